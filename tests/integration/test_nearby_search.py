"""Issue 27 on moto, the search itself (`lapor.nearby._search` over `lapor.store`'s nearby index): a crowded cell is
read point by point, recent reports only; the search stops once nothing left can be nearer than the fifth found, and
reads on at the fifth's very distance (a smaller Tracking ID may be there)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from lapor import nearby, store
from lapor.timefmt import to_store, utcnow

from tests.integration.conftest import Aws

CATEGORY = "jalan-jembatan"
Q = (0.0, 0.0)  # a grid point: row 90,000 (cell 30,000, its first row), column 180,000 (cell 60,000, its first)
EAST, WEST, FAR_EAST = (0.0, 0.001), (0.0, -0.001), (0.0, 0.003)  # WEST is in the cell west of Q's
NOW = utcnow()
RECENT, OLD = to_store(NOW - timedelta(days=1)), to_store(NOW - timedelta(days=200))


def index(aws: Aws, tracking_id: str, point: tuple[float, float], submitted_at: str) -> None:
    """An open public report in the nearby index, with the keys `store.nearby_keys` gives it."""
    report = {
        "tracking_id": tracking_id,
        "category": CATEGORY,
        "status": "submitted",
        "location": {"lat": point[0], "lon": point[1]},
        "submitted_at": submitted_at,
    }
    item = {**report, **store.nearby_keys(report, "submitted"), "pk": f"REPORT#{tracking_id}", "sk": "REPORT"}
    aws.client("dynamodb").put_item(TableName=aws.reports_table, Item=store.to_item(item))


@pytest.fixture
def reads(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """What the search asked the store for, in order: ("cell", cell) or ("point", (cell, point in it))."""
    calls: list[tuple[str, Any]] = []

    def spy(kind: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def read(*args: Any) -> Any:
            calls.append((kind, args[0] if kind == "cell" else (args[0], args[1])))
            return real(*args)

        return read

    monkeypatch.setattr(store, "nearby_cell", spy("cell", store.nearby_cell))
    monkeypatch.setattr(store, "nearby_point", spy("point", store.nearby_point))
    return calls


def search(enough: int | None = nearby.MAX_PUBLIC) -> tuple[list[str], int]:
    read = store.ReadCount()
    found = nearby.find_nearby(*Q, nearby.PUBLIC_RADIUS_M, CATEGORY, read, now=NOW, enough=enough)
    return [str(item["tracking_id"]) for _, item in found], read.items


def test_a_crowded_cell_is_read_point_by_point_and_only_its_recent_reports(aws: Aws, reads: list[tuple[str, Any]]):
    # Given Q's cell crowded with old open reports at Q's point, and two recent ones: at Q and east of it
    for n in range(6):
        index(aws, f"OLD-{n}", Q, OLD)
    index(aws, "NEW-Q", Q, RECENT)
    index(aws, "NEW-EAST", EAST, RECENT)
    # When a citizen at Q looks
    found, read = search()
    # Then both recent ones come back, nearest first
    assert found == ["NEW-Q", "NEW-EAST"]
    # And the cell's first query read PROBE reports (old ones among them), then each of its points within 250 m
    # on its own from 90 days back: the old reports beyond the probe were never read
    q_cell, _ = store.NEARBY_GRID.cell(store.NEARBY_GRID.point(*Q))
    assert reads[0] == ("cell", q_cell)
    points = {where for kind, where in reads if kind == "point"}
    assert (q_cell, (0, 0)) in points and (q_cell, (0, 1)) in points
    assert read == nearby.PROBE + 2 < 8


def test_points_before_the_last_one_probed_were_read_whole(aws: Aws, reads: list[tuple[str, Any]]):
    # Given a cell with one old report at its first point and more than a probe's worth at its second
    index(aws, "OLD-A", Q, OLD)
    for n in range(4):
        index(aws, f"OLD-B{n}", EAST, OLD)
    index(aws, "NEW-B", EAST, RECENT)
    found, read = search()
    assert found == ["NEW-B"]
    # Then Q's own point is not read again: the probe read all of it (its last report was at the second point)
    q_cell, _ = store.NEARBY_GRID.cell(store.NEARBY_GRID.point(*Q))
    points = [where for kind, where in reads if kind == "point" and where[0] == q_cell]
    assert (q_cell, (0, 0)) not in points and (q_cell, (0, 1)) in points
    assert read == nearby.PROBE + 1


def test_the_search_stops_once_nothing_left_is_nearer_than_the_fifth(aws: Aws, reads: list[tuple[str, Any]]):
    # Given five recent reports at Q itself and more around it
    for n in range(5):
        index(aws, f"AT-Q-{n}", Q, RECENT)
    index(aws, "EAST", EAST, RECENT)
    index(aws, "WEST", WEST, RECENT)
    found, read = search()
    # Then the five at Q come back, and nothing farther was read: not the west cell, not the east point
    assert found == [f"AT-Q-{n}" for n in range(5)]
    q_cell, _ = store.NEARBY_GRID.cell(store.NEARBY_GRID.point(*Q))
    assert reads == [("cell", q_cell), ("point", (q_cell, (0, 0)))]
    assert read == nearby.PROBE + 5
    # Without a limit every cell within the radius is read and everything in it is found
    assert search(enough=None)[0] == [*(f"AT-Q-{n}" for n in range(5)), "EAST", "WEST"]


def test_at_the_fifths_very_distance_the_search_reads_on(aws: Aws, reads: list[tuple[str, Any]]):
    # Given four reports at Q, and at exactly the same distance a larger Tracking ID in the west cell (read first:
    # a cell before a point at the same distance) and a smaller one at the east point of Q's (crowded) cell
    for n in range(4):
        index(aws, f"AT-Q-{n}", Q, RECENT)
    index(aws, "T-9", WEST, RECENT)
    index(aws, "T-1", EAST, RECENT)
    index(aws, "FAR", FAR_EAST, RECENT)
    found, _ = search()
    # Then the fifth is the smaller Tracking ID: at a tie the search does not stop
    assert found[:4] == [f"AT-Q-{n}" for n in range(4)] and found[4:] == ["T-1", "T-9"]
    assert "FAR" not in found
    kinds = [kind for kind, _ in reads]
    assert kinds.index("cell", 1) < max(i for i, kind in enumerate(kinds) if kind == "point")


def test_nothing_open_nearby_reads_nothing(aws: Aws, reads: list[tuple[str, Any]]):
    assert search() == ([], 0)
    assert 1 <= len(reads) <= 9 and {kind for kind, _ in reads} == {"cell"}


def test_the_antimeridian_is_one_place_for_every_reader(aws: Aws):
    # Given a report whose public point is 180.0 (the same grid column as -180.0) and one just west of it
    index(aws, "EAST-EDGE", (0.0, 179.9996), RECENT)
    index(aws, "WEST-SIDE", (0.0, -179.999), RECENT)
    # Then a citizen just east of the line finds both, nearest first, across it
    read = store.ReadCount()
    near = nearby.find_nearby(0.0, 179.9995, nearby.PUBLIC_RADIUS_M, CATEGORY, read, now=NOW, enough=5)
    assert [(round(d), item["tracking_id"]) for d, item in near] == [(56, "EAST-EDGE"), (167, "WEST-SIDE")]
    # And so do an officer (exact points, whole partitions on both sides) and a listing of every category
    wide = nearby.find_nearby(0.0, -179.9999, nearby.WIDE_RADIUS_M, CATEGORY, read, exact=True, now=NOW)
    assert [item["tracking_id"] for _, item in wide] == ["EAST-EDGE", "WEST-SIDE"]
    assert len(nearby.find_nearby(0.0, 179.9999, nearby.WIDE_RADIUS_M, None, read, now=NOW)) == 2
