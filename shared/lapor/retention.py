"""Retention by crypto-shredding (issue 23, UU PDP Ps 42-44): a report closed or rejected longer ago than
`PersonalDataRetentionDays` loses its personal data for good.

Runs from a schedule. It reads only the sparse `retention` index (closed reports that still hold personal
data), never the table. Per report: the PRIVATE# message items and the photo files go first, then one
conditional write removes the sealed envelope (the wrapped data key: the contact, the confidential text and
every sealed message become unreadable for good), the rating's comment, a confidential report's photo
records, and the report's place in the index, and records `personal_data_erased` on the timeline. A run that
dies half way leaves the report in the index and the next run finishes it; a second run finds nothing.
Reports closed before the index existed enter it once through `backfill_retention_index` (`lapor retention
--backfill`).
The public record stays: status, dates, agency, timeline, the public text of a non-confidential report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from lapor import store
from lapor.config import settings
from lapor.lifecycle import plan_erasure, retention_start
from lapor.observability import count, logger
from lapor.photos import erase_photo_files
from lapor.timefmt import to_store, utcnow


def erase_expired_personal_data(
    now: datetime | None = None, page_size: int = 100, time_left: Callable[[], float] | None = None
) -> dict[str, int]:
    """Erase the personal data of every report closed at least `personal_data_retention_days` before `now`;
    returns what was read and done."""
    now = now or utcnow()
    closed_by = to_store(now - timedelta(days=settings().personal_data_retention_days))
    summary = {"read": 0, "erased": 0, "skipped": 0, "messages": 0}
    for page, scanned in store.retention_pages(closed_by, page_size):
        summary["read"] += scanned
        for item in page:
            erasure = plan_erasure(item, now)
            summary["messages"] += store.delete_private_messages(item["tracking_id"])
            erase_photo_files(item["tracking_id"], erasure.photos)
            if store.erase_personal_data(item, erasure.entry, erasure.kept):
                summary["erased"] += 1
            else:
                summary["skipped"] += 1  # another run erased it first
        if time_left is not None and time_left() < 10:
            break  # the next run picks up the rest: they are still in the index
    if summary["erased"]:
        count("PersonalDataErased", summary["erased"])
    logger.info("retention run", extra={**summary, "at": to_store(now), "closed_by": closed_by})
    return summary


def backfill_retention_index(agency_ids: Iterable[str]) -> dict[str, int]:
    """Put in the retention index every closed or rejected report of `agency_ids` that is not in it and was
    never erased: reports closed before retention was deployed. Reads the agencies' closed and rejected
    partitions of the inbox_status index (never the table); running it again changes nothing."""
    summary = {"read": 0, "indexed": 0, "erased_before": 0}
    for agency_id in agency_ids:
        for page, scanned in store.closed_outside_retention(agency_id):
            summary["read"] += scanned
            for item in page:
                started = retention_start(item)
                if started is None:
                    summary["erased_before"] += 1
                elif store.enter_retention(item, started):
                    summary["indexed"] += 1
    logger.info("retention backfill", extra=summary)
    return summary
