"""The bench's Open311 listing at scale, at a small scale: what `make bench` reports about it must be true.

The Open311Function lists through its public index; the bench counts what DynamoDB read for a listing and
checks the listing against the table's contents. Here 2,002 reports, all within the default 90 days, one in
ten closed (as `make bench` seeds 50,000): the default listing takes about 900 from the open partition and 100
from the closed one. A listing that scanned, or read its partitions whole or in full pages, would read 2,000
items or more; one that sized its first pages evenly read 1,145 here (1.45 per item at 50,000).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bench import local
from tests.bench.report import Report, open311_figures
from tests.conftest import ROOT

# One in ten reports closed, as in `make bench`: the newest 1,000 are about 900 open and 100 closed.
REPORTS = 2_002
FIRST_PAGE = 1_000 // 2 // 4


@pytest.fixture(scope="module")
def listings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    state: Path = tmp_path_factory.mktemp("bench-open311") / "state"
    with local.bench_stack(ROOT, state) as stack:
        yield local.open311_listing_at_scale(stack, REPORTS, lambda _: None, spread_days=60, closed_every=10)


def test_a_listing_reads_what_it_lists_and_never_scans(listings: list[dict[str, Any]]) -> None:
    assert [run["query"] for run in listings] == [name for name, _ in local.OPEN311_QUERIES]
    for run in listings:
        assert run["reports"] >= REPORTS
        assert run["listed"] == 1_000, run
        assert run["as_expected"], run
        assert run["scans"] == 0, run
        assert set(run["calls"]) == {"dynamodb:Query"}, run
        # What it lists, and at most the unused rest of one first page (a quarter of an even share, 125 items)
        # more: the closed partition holds few of the newest reports. A first page of the even share read 1,145.
        assert run["listed"] <= run["read"] <= run["listed"] + FIRST_PAGE, run
        assert run["read_units"] > 0


def test_the_report_flags_a_scan_a_wrong_listing_and_reading_more_than_listed() -> None:
    good = {"query": "q", "reports": 50_000, "listed": 1000, "read": 1000, "scans": 0, "read_units": 75.0}
    cases = [
        ({**good, "as_expected": True, "calls": {"dynamodb:Query": 2}}, None),
        ({**good, "as_expected": True, "scans": 1, "calls": {"dynamodb:Scan": 1}}, "scans"),
        ({**good, "as_expected": False, "calls": {"dynamodb:Query": 2}}, "newest"),
        ({**good, "as_expected": True, "read": 50_000, "calls": {"dynamodb:Query": 50}}, "read 50000 items"),
    ]
    for run, problem in cases:
        report = Report()
        open311_figures([run], report)
        if problem is None:
            assert report.problems == []
        else:
            assert len(report.problems) == 1 and problem in report.problems[0], report.problems
