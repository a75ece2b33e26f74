"""The pure parts of the reporter's rights and of the retention backfill (issue 23), without AWS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from lapor.lifecycle import ERASED, data_request_entry, retention_start
from lapor.views import erased, public_timeline, stored_items

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
TZ = "Asia/Jakarta"


def test_a_data_request_is_private_to_the_reporter_and_the_agency_and_never_public() -> None:
    entry = data_request_entry(NOW, "contact_erased", "verified")
    assert entry == {
        "at": "2026-12-06T08:00:00Z",
        "event": "contact_erased",
        "status": "verified",
        "actor": "reporter",
        "private": True,
    }
    submitted = {"at": "2026-12-01T08:00:00Z", "event": "submitted", "status": "submitted", "actor": "reporter"}
    shown = public_timeline({"timeline": [submitted, entry]}, TZ)
    assert [e["event"] for e in shown] == ["submitted"]
    with pytest.raises(ValueError):
        data_request_entry(NOW, "verified", "verified")


def test_the_export_shows_every_attribute_with_what_is_sealed_opened() -> None:
    items: list[dict[str, Any]] = [
        {
            "pk": "REPORT#LPR-1",
            "sk": "REPORT",
            "sealed": {"edk": b"k", "nonce": b"n", "ct": b"c"},
            "rating": {"score": 4, "sealed": {"nonce": b"n", "ct": b"c"}},
            "access_code_hash": "ab12",
            "tags": {"b", "a"},
            "blob": b"\x00\x01",
        },
        {"pk": "REPORT#LPR-1", "sk": "PRIVATE#m1", "sealed": {"nonce": b"n", "ct": b"x"}},
    ]

    def opened(sealed: Any) -> Any:
        return {"reporter": {"name": "Siti"}} if "edk" in sealed else "pesan"

    assert stored_items(items, opened) == [
        {
            "key": "REPORT",
            "attributes": {
                "sealed": {"reporter": {"name": "Siti"}},
                "rating": {"score": 4, "sealed": "pesan"},
                "access_code_hash": "ab12",
                "tags": ["a", "b"],
                "blob": "AAE=",
            },
        },
        {"key": "PRIVATE#m1", "attributes": {"sealed": "pesan"}},
    ]


def test_what_was_erased_and_when_comes_from_the_timeline() -> None:
    timeline = [
        {"at": "2026-12-01T08:00:00Z", "event": "submitted"},
        {"at": "2026-12-02T08:00:00Z", "event": "contact_erased"},
        {"at": "2027-12-03T08:00:00Z", "event": ERASED},
    ]
    assert erased({"timeline": timeline}, TZ) == [
        {"event": "contact_erased", "at": "2026-12-02T15:00:00+07:00"},
        {"event": ERASED, "at": "2027-12-03T15:00:00+07:00"},
    ]


@pytest.mark.parametrize(
    ("report", "start"),
    [
        ({"status": "closed", "closed_at": "2025-01-02T00:00:00Z", "updated_at": "2025-02-01T00:00:00Z"}, "2025-01-02"),
        ({"status": "rejected", "updated_at": "2025-02-01T00:00:00Z"}, "2025-02-01"),
        ({"status": "in_progress", "updated_at": "2025-02-01T00:00:00Z"}, None),
        ({"status": "closed", "closed_at": "2025-01-02T00:00:00Z", "timeline": [{"event": ERASED}]}, None),
    ],
)
def test_the_backfill_starts_retention_when_the_report_closed_unless_it_is_open_or_erased(
    report: dict[str, Any], start: str | None
) -> None:
    found = retention_start(report)
    assert (found[:10] if found else None) == start
