"""The bench's retention run at scale, at a small scale: what `make bench` reports about it must be true.

ErasePersonalDataFunction finds due reports through the sparse retention index. Here 2,000 reports, 100 of
them closed longer ago than the retention period and about 950 closed since (in the index, not due): a run
that scanned the table, or read the whole index, would read 2,000 or 1,050 items; it reads the 100 due ones
(and each one's PRIVATE# keys: none in these copies), whatever else the table and the index hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bench import local
from tests.bench.report import READ_PER_ERASED_TARGET, Report, retention_figures
from tests.conftest import ROOT

REPORTS, DUE = 2_000, 100


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state: Path = tmp_path_factory.mktemp("bench-retention") / "state"
    with local.bench_stack(ROOT, state) as stack:
        yield local.retention_at_scale(stack, REPORTS, DUE, lambda _: None)


def test_a_retention_run_reads_the_due_reports_only_and_erases_exactly_them(run: dict[str, Any]) -> None:
    assert run["reports"] >= REPORTS and run["in_index"] > 5 * DUE
    assert run["summary"]["erased"] == DUE and run["due_left"] == 0
    assert run["left_in_index"] == run["in_index"] - DUE
    assert run["scans"] == 0 and "dynamodb:Scan" not in run["calls"]
    assert DUE <= run["read"] <= READ_PER_ERASED_TARGET * DUE, run
    report = Report()
    retention_figures(run, report)
    assert report.problems == [] and run["read_per_erased"] <= READ_PER_ERASED_TARGET


def test_the_report_flags_reading_too_much_a_scan_and_a_report_left_behind() -> None:
    good = {"reports": 50_000, "in_index": 25_000, "due": 1000, "summary": {"erased": 1000}, "read": 1000}
    good |= {"scans": 0, "due_left": 0, "left_in_index": 24_000, "calls": {"dynamodb:Query": 1011}}
    cases = [
        (good, None),
        ({**good, "read": 26_000}, "read 26000 items"),
        ({**good, "scans": 1}, "scans"),
        ({**good, "summary": {"erased": 999}, "due_left": 1, "left_in_index": 24_001}, "erased 999 of 1000"),
    ]
    for case, problem in cases:
        report = Report()
        retention_figures(dict(case), report)
        if problem is None:
            assert report.problems == []
        else:
            assert len(report.problems) == 1 and problem in report.problems[0], report.problems
