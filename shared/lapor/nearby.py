""" "Sudah dilaporkan?": open public reports near a point, before a citizen files the same problem again
(issue 27, after FixMyStreet's duplicate suggestions).

Read from the sparse `nearby` index only (`lapor.store`), keyed by public points: the citizen's lookup searches at
most 9 cells of 3 x 3 points (about 333 m) around the point nearest first, a crowded cell point by point, and stops
once nothing left can be nearer than the fifth found (`_search`); officers and Open311 read the partitions around
the point (`lapor.geo`). Everything is then filtered by distance. Confidential, closed and rejected reports are not
in that index, so they are never listed or counted. The public sees distances from the public point, rounded like
every public location (`lapor.views.public_location`): an exact distance, even rounded to 10 m, from three points
would give back the exact point, where the reporter may live. Officers measure from the exact points.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lapor import geo, store
from lapor.config import settings
from lapor.contract import LATITUDE_PATTERN, LONGITUDE_PATTERN
from lapor.errors import FieldProblem, ValidationFailed
from lapor.store import current_directory
from lapor.timefmt import to_public, to_store, utcnow
from lapor.views import PUBLIC_DECIMALS, public_location

if TYPE_CHECKING:
    from lapor import shapes

PUBLIC_RADIUS_M = 250  # the citizen's step: FixMyStreet's default nearby distance
WIDE_RADIUS_M = 1000  # officers choosing the original of a duplicate, and Open311's `radius` at most
MAX_PUBLIC = 5  # reports the citizen's step lists
MAX_WIDE = 10  # reports the console offers
RECENT_DAYS = 90  # only reports submitted this recently are offered
ROUND_M = 10  # distances are shown to this
PROBE = 3  # reports a cell's first query reads: more left, and the cell is read point by point
CELL, POINT = 0, 1  # what the search's heap holds
# How far an exact point may lie from its public one (half the rounding step in each direction): an officer's
# circle reads the partitions of this much more.
PUBLIC_SLACK_M = math.sqrt(2) * 0.5 * 10.0**-PUBLIC_DECIMALS * geo.METRES_PER_DEGREE


def coordinate(raw: str | None, name: str, bound: int, problems: list[FieldProblem]) -> float:
    """A query's latitude (`bound` 90) or longitude (180) as the contract's pattern says; a problem (and 0.0)
    otherwise."""
    if raw is None:
        problems.append(FieldProblem(("query", name), "Field required"))
        return 0.0
    if re.fullmatch(LATITUDE_PATTERN if bound == 90 else LONGITUDE_PATTERN, raw) is None:
        problems.append(FieldProblem(("query", name), f"must be decimal degrees from -{bound} to {bound}"))
        return 0.0
    return float(raw)


def find_nearby(
    lat: float,
    lon: float,
    radius_m: float,
    category: str | None,
    read: store.ReadCount,
    exact: bool = False,
    now: datetime | None = None,
    since: str | None = None,
    enough: int | None = None,
) -> list[tuple[float, dict[str, Any]]]:
    """Open public reports of `category` (None: any) within `radius_m` (at most `WIDE_RADIUS_M`) of the point,
    submitted in the last `RECENT_DAYS` (or from `since`, a stored time, on), nearest first (then by Tracking ID),
    each with its distance in metres (from the public point unless `exact`).

    Public distances of one category up to `PUBLIC_RADIUS_M` are searched cell by cell (`_search`); with
    `enough`, the list is only right up to that many. Exact distances, any category or a wider circle read the
    whole partitions around the point.
    """
    since = since or to_store((now or utcnow()) - timedelta(days=RECENT_DAYS))
    if category is not None and not exact and radius_m <= PUBLIC_RADIUS_M:
        return _search(lat, lon, radius_m, category, since, read, enough)
    # An exact point lies up to PUBLIC_SLACK_M from the public one the index keys it by
    partitions = store.NEARBY_GRID.partitions_near(lat, lon, radius_m + (PUBLIC_SLACK_M if exact else 0.0))
    found = []
    for item in store.nearby_partitions(partitions, category, since, read):
        distance = _distance(lat, lon, item, exact)
        if distance <= radius_m:
            found.append((distance, item))
    return sorted(found, key=_order)


def _distance(lat: float, lon: float, item: Mapping[str, Any], exact: bool) -> float:
    """Metres from the place to a report: to its exact point, or to its public one (the index's grid point)."""
    point: Mapping[str, Any] = item["location"] if exact else public_location(item["location"]) or {}
    return geo.distance_m(lat, lon, float(point["lat"]), float(point["lon"]))


def _order(pair: tuple[float, Mapping[str, Any]]) -> tuple[float, str]:
    return pair[0], str(pair[1]["tracking_id"])


def _search(
    lat: float, lon: float, radius_m: float, category: str, since: str, read: store.ReadCount, enough: int | None
) -> list[tuple[float, dict[str, Any]]]:
    """Best first over the cells with a grid point within `radius_m`, public distances (exactly what the index is
    keyed by: no slack). A cell is one query of at most `PROBE` reports of any date; when more remain it is
    crowded, and each of its points from the last one read on (those before were read whole) within the radius is
    searched on its own: one query of its recent reports. Stops once `enough` are found and the nearest cell or
    point left is farther than the `enough`-th (at the same distance it may hold a smaller Tracking ID)."""
    grid = store.NEARBY_GRID
    # (distance, kind, cell, point in cell): a cell's distance is its nearest point's
    heap: list[tuple[float, int, geo.Cell, geo.Point]] = [
        (distance, CELL, cell, (0, 0)) for distance, cell in grid.cells_near(lat, lon, radius_m)
    ]
    heapq.heapify(heap)
    found: dict[str, tuple[float, dict[str, Any]]] = {}
    ranked: list[tuple[float, dict[str, Any]]] = []
    while heap:
        distance, kind, cell, at = heapq.heappop(heap)
        if enough and len(ranked) >= enough and distance > ranked[enough - 1][0]:
            break  # the heap is in order of distance: everything left is farther still
        if kind == CELL:
            items, last = store.nearby_cell(cell, category, read, PROBE)
            crowded = [] if last is None else [(point, place) for point, place in grid.points(cell) if place >= last]
            for point, place in crowded:
                point_distance = grid.distance(lat, lon, point)
                if point_distance <= radius_m:
                    heapq.heappush(heap, (point_distance, POINT, cell, place))
        else:
            items = store.nearby_point(cell, at, category, since, read)
        for item in items:
            if item["submitted_at"] >= since and item["tracking_id"] not in found:
                item_distance = _distance(lat, lon, item, exact=False)
                if item_distance <= radius_m:
                    found[item["tracking_id"]] = (item_distance, item)
        ranked = sorted(found.values(), key=_order)
    return ranked


def nearby_view(distance: float, item: Mapping[str, Any], time_zone: str) -> shapes.NearbyReport:
    """One report of a nearby list: what its public view shows of it, and how far it is."""
    return {
        "tracking_id": item["tracking_id"],
        "category": item["category"],
        "title": item.get("title"),
        "status": item["status"],
        "submitted_at": to_public(item["submitted_at"], time_zone),
        "distance_m": int(round(distance / ROUND_M) * ROUND_M),
        "support_count": int(item.get("support_count", 0)),
        "merged_count": int(item.get("merged_count", 0)),
        "location": public_location(item.get("location")),
    }


def public_nearby(query: Mapping[str, str], now: datetime | None = None) -> list[shapes.NearbyReport]:
    """`GET /reports/nearby`: at most `MAX_PUBLIC` open public reports of the category within `PUBLIC_RADIUS_M`."""
    problems: list[FieldProblem] = []
    lat = coordinate(query.get("lat"), "lat", 90, problems)
    lon = coordinate(query.get("lon"), "lon", 180, problems)
    category = query.get("category")
    if category is None:
        problems.append(FieldProblem(("query", "category"), "Field required"))
    elif current_directory().category(category) is None:
        problems.append(FieldProblem(("query", "category"), "is not a category of GET /categories"))
    if problems:
        raise ValidationFailed(problems, "Query is not valid")
    found = find_nearby(lat, lon, PUBLIC_RADIUS_M, category, store.ReadCount(), now=now, enough=MAX_PUBLIC)
    time_zone = settings().time_zone
    return [nearby_view(distance, item, time_zone) for distance, item in found[:MAX_PUBLIC]]
