"""The bench's coordinator inbox at a regency's size, at a small scale: what `make bench` reports must be true.

Twelve offices and 600 open reports (`make bench`: 40 and 5,000) through AgencyReportsFunction: each page of
the regency dispatcher's inbox is one query reading its 20 reports and one more, all statuses or one; the
per-agency merge it replaced made 13 queries here and read up to 13 pages of items.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bench import local
from tests.bench.report import Report, inbox_figures
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def listings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    state: Path = tmp_path_factory.mktemp("bench-inbox") / "state"
    with local.bench_stack(ROOT, state) as stack:
        yield local.coordinator_inbox_at_scale(stack, offices=12, reports=600, progress=lambda _: None)


def test_a_coordinators_page_is_one_query_reading_what_it_lists(listings: list[dict[str, Any]]) -> None:
    assert [run["query"] for run in listings] == [name for name, _ in local.INBOX_QUERIES]
    for run in listings:
        assert run["listed"] == 20 * local.INBOX_PAGES, run
        assert run["newest_first"] and run["in_status"], run
        assert run["queries"] == local.INBOX_PAGES, run
        assert run["read"] <= run["listed"] + run["pages"], run
        # the pages' queries, and each request's account check (a disabled officer is refused at once)
        assert set(run["calls"]) == {"dynamodb:Query", "dynamodb:GetItem"}, run


def test_the_report_states_the_targets_and_misses_none(listings: list[dict[str, Any]]) -> None:
    report = Report()
    inbox_figures(listings, report)
    assert report.problems == []
    assert any("queries/page" in line for line in report.lines)
    # A run that made a query per office would be named.
    slow = [{**listings[0], "queries": 13 * local.INBOX_PAGES}]
    missed = Report()
    inbox_figures(slow, missed)
    assert missed.problems and "made 39 queries" in missed.problems[0]
