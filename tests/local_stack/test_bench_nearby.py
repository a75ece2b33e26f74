"""The bench's "Sudah dilaporkan?" phase at a small scale: what `make bench` reports about it must be true.

3,000 located road reports seeded as `make bench` seeds 50,000 (a dense town centre and a sparse regency); each
lookup goes through TrackReportFunction, and its answer is checked against the nearest open reports worked out from
every seeded report. A lookup that scanned would read thousands.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bench import local
from tests.bench.report import Report, nearby_figures
from tests.conftest import ROOT

REPORTS = 3_000


@pytest.fixture(scope="module")
def lookups(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    state: Path = tmp_path_factory.mktemp("bench-nearby") / "state"
    with local.bench_stack(ROOT, state) as stack:
        yield local.nearby_at_scale(stack, REPORTS, lambda _: None, lookups=3)


def test_each_lookup_answers_right_from_at_most_9_cells_and_their_points_and_never_scans(
    lookups: list[dict[str, Any]],
) -> None:
    assert [run["area"] for run in lookups] == ["town"] * 3 + ["regency"] * 3
    for run in lookups:
        assert run["as_expected"], run
        assert run["scans"] == 0 and set(run["calls"]) == {"dynamodb:Query"}, run
        # Queries: at most 9 cells, and then at most the 21 grid points within 250 m (crowded cells, point by point)
        assert 1 <= run["cells"] <= 9 + 21, run
        assert run["read"] <= 3 * run["returned"] + run["cells"] + 10, run  # the target, with a margin at this scale
    report = Report()
    nearby_figures(lookups, report)
    assert any("GET /reports/nearby at scale" in line for line in report.lines)
