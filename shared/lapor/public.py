"""What anyone may read without a code: a report's public view (no sealed envelope, private message or KMS
call), the directory, every agency's figures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lapor import store
from lapor.config import settings
from lapor.errors import ReportNotFound
from lapor.ids import parse_tracking_id
from lapor.photos import photo_views
from lapor.stats import agency_figures
from lapor.views import public_view

if TYPE_CHECKING:
    from lapor.shapes import AgencyFigures, AgencyOut, CategoryOut, PublicReportView


def public_report(tracking_id: str) -> PublicReportView:
    """`GET /reports/{tracking_id}`; a malformed Tracking ID is not found, as an unknown one."""
    item = store.read_public_report(parse_tracking_id(tracking_id))
    if item is None:
        raise ReportNotFound()
    time_zone = settings().time_zone
    return public_view(item, time_zone, photo_views(item, "public", time_zone))


def public_figures() -> list[AgencyFigures]:
    """`GET /stats`: every agency of the directory with its counters (zero before its first report)."""
    rows = store.read_stats()
    return [agency_figures(rows.get(a.id, {}), a.id, a.name) for a in store.current_directory().agencies.values()]


def public_agencies() -> list[AgencyOut]:
    return [agency.public() for agency in store.current_directory().agencies.values()]


def public_categories() -> list[CategoryOut]:
    return [category.public() for category in store.current_directory().categories.values()]
