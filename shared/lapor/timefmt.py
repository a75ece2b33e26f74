"""Timestamps: stored in UTC (sortable), shown with the deployment's offset (ISO 8601)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now, timezone-aware, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def to_store(moment: datetime) -> str:
    """The stored form: UTC, ISO 8601 with ``Z``, lexicographically sortable."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_store(text: str) -> datetime:
    """Parse a stored or client-given ISO 8601 timestamp (an offset is required)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timestamp needs an offset")
    return moment


@overload
def to_public(text: str, time_zone: str) -> str: ...
@overload
def to_public(text: str | None, time_zone: str) -> str | None: ...
def to_public(text: str | None, time_zone: str) -> str | None:
    """A stored timestamp shown in the deployment's time zone, e.g. ``2026-11-09T10:15:00+07:00``."""
    if not text:
        return None
    return from_store(text).astimezone(ZoneInfo(time_zone)).isoformat()
