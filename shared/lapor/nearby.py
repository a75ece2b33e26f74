""" "Sudah dilaporkan?": open public reports near a point, before a citizen files the same problem again
(issue 27, after FixMyStreet's duplicate suggestions).

Read from the sparse `nearby` index only (`lapor.store`), in at most 9 cells of about 300 m around the point
(`lapor.geo`), then filtered by distance. Confidential, closed and rejected reports are not in that index, so they
are never listed or counted. The public sees distances from the public point, rounded like every public location
(`lapor.views.public_location`): an exact distance, even rounded to 10 m, from three points would give back the
exact point, where the reporter may live. Officers measure from the exact points.
"""

from __future__ import annotations

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
# How far a public point may lie from the exact one (half the rounding step in each direction): a report in a cell
# this much farther than the fifth found may still show nearer.
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
    submitted in the last `RECENT_DAYS` (or from `since`, a stored time, on), nearest first, each with its
    distance in metres (from the public point unless `exact`).

    With `enough` (and a category), the fine cells are read nearest first, and no further once none of them can
    hold a report nearer than the `enough`-th found: the list is only right up to that many.
    """
    since = since or to_store((now or utcnow()) - timedelta(days=RECENT_DAYS))
    level = geo.level_for(radius_m)
    cells = sorted(geo.cover(lat, lon, radius_m, level), key=lambda cell: geo.distance_to_cell(lat, lon, cell))
    batches = [[cell] for cell in cells] if enough and category and level == geo.FINE else [cells]
    slack = 0.0 if exact else PUBLIC_SLACK_M
    found: list[tuple[float, dict[str, Any]]] = []
    for batch in batches:
        if enough and len(found) >= enough and geo.distance_to_cell(lat, lon, batch[0]) - slack > found[enough - 1][0]:
            break  # the cells are in order of distance: every one left is farther still
        for item in store.nearby_items(batch, category, since, read):
            point: Mapping[str, Any] = item["location"] if exact else public_location(item["location"]) or {}
            distance = geo.distance_m(lat, lon, float(point["lat"]), float(point["lon"]))
            if distance <= radius_m:
                found.append((distance, item))
        found.sort(key=lambda pair: (pair[0], str(pair[1]["tracking_id"])))
    return found


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
