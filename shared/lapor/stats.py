"""Public transparency figures per agency, kept as counters that move with the reports.

Every event carries the counter changes of the transition that caused it (derived from the report's
state before and after), and the consumer adds them in the same transaction that takes the event out
of the report's outbox: each change is counted exactly once, and nothing ever scans the table.

Per agency:
  received   reports that became its responsibility (submitted, transferred or escalated to it)
  open       reports it is responsible for now that are not closed or rejected
  responded  reports it gave their first response to
  closed     reports closed while it was responsible
  rejected   reports it rejected
  overdue    reports it is responsible for now that are past their deadline with nobody above to take them
  escalated  reports escalated away from it because a deadline passed
  median_first_response_working_days   from submission to first response, for the reports it answered first
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from lapor.statuses import CLOSED, OPEN

if TYPE_CHECKING:
    from lapor.shapes import AgencyFigures

COUNTERS = ("received", "open", "responded", "closed", "rejected", "overdue", "escalated")
HISTOGRAM_PREFIX = "frd_"  # frd_<working days> = how many first responses took that long


def deltas(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    escalated: bool = False,
    first_response_days: int | None = None,
) -> dict[str, dict[str, int]]:
    """Counter changes per agency between two states of a report (`before` is None for a new one).

    A state is a dict with `status`, `agency_id` and `overdue`.
    """
    changes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    old_agency = before["agency_id"] if before else None
    new_agency = after["agency_id"]
    if old_agency != new_agency:
        changes[new_agency]["received"] += 1
    if before and before["status"] in OPEN:
        changes[old_agency or new_agency]["open"] -= 1
    if after["status"] in OPEN:
        changes[new_agency]["open"] += 1
    if before and before.get("overdue"):
        changes[old_agency or new_agency]["overdue"] -= 1
    if after.get("overdue"):
        changes[new_agency]["overdue"] += 1
    status_changed = before is None or before["status"] != after["status"]
    if status_changed and after["status"] in CLOSED:
        changes[new_agency][after["status"]] += 1
    if escalated and old_agency:
        changes[old_agency]["escalated"] += 1
    if first_response_days is not None:
        changes[new_agency]["responded"] += 1
        changes[new_agency][f"{HISTOGRAM_PREFIX}{first_response_days}"] += 1
    return {
        agency: {k: v for k, v in counters.items() if v}
        for agency, counters in changes.items()
        if any(counters.values())
    }


def state(item: dict[str, Any]) -> dict[str, Any]:
    """The parts of a report that the counters depend on."""
    return {"status": item["status"], "agency_id": item["agency_id"], "overdue": bool(item.get("overdue"))}


def median_from_histogram(histogram: dict[int, int]) -> float | None:
    """The median of values given as value -> count."""
    total = sum(histogram.values())
    if total == 0:
        return None
    ordered = sorted(histogram.items())

    def nth(n: int) -> int:
        seen = 0
        for value, number in ordered:
            seen += number
            if n < seen:
                return value
        return ordered[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def agency_figures(row: dict[str, Any], agency_id: str, name: str) -> AgencyFigures:
    """One agency's counters as `GET /stats` shows them."""
    histogram = {
        int(key[len(HISTOGRAM_PREFIX) :]): int(value)
        for key, value in row.items()
        if key.startswith(HISTOGRAM_PREFIX) and int(value) > 0
    }
    counters = {counter: max(0, int(row.get(counter, 0))) for counter in COUNTERS}
    return {
        "agency_id": agency_id,
        "name": name,
        "received": counters["received"],
        "open": counters["open"],
        "responded": counters["responded"],
        "closed": counters["closed"],
        "rejected": counters["rejected"],
        "overdue": counters["overdue"],
        "escalated": counters["escalated"],
        "median_first_response_working_days": median_from_histogram(histogram),
    }
