"""Places on the earth: geohash cells, the cells that cover a circle, and distances. Pure functions.

A geohash names a cell of a grid by interleaving the bits of longitude and latitude, five bits a character
(http://geohash.org). Written here because the index needs three small functions (encode, a cell's size, the
cells over a box), not a dependency in the layer every function loads.

Which precision answers which radius: a circle of radius r lies in the cells of precision p that its bounding box
touches; when a cell is at least 2r high and 2r wide, that is at most 2 x 2 cells. Precision 6 cells are 611 m
high and 1,222 m x cos(latitude) wide (1,221 m at Muara Teweh, 0.95 deg S; 1,215 m at 6 deg S): a 250 m circle
touches at most 4 of them up to 65 deg of latitude. Precision 5 cells are 4.9 km x 4.9 km x cos(latitude): a
1,000 m circle touches at most 4 of them. Precision 6 cells for 1,000 m would be up to 3 x 5 = 15 queries, which
is why the wider lookup reads the coarser cell (see `lapor.store` for the one key that serves both).
"""

from __future__ import annotations

import math

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG): haversine's sphere
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
FINE, COARSE = 6, 5  # the index's cell precisions (`lapor.store`): one for 250 m, one for 1,000 m


def encode(lat: float, lon: float, precision: int) -> str:
    """The geohash of the cell of `precision` characters that holds the point."""
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    chars: list[str] = []
    bits, count, on_lon = 0, 0, True
    while len(chars) < precision:
        bounds, value = (lon_range, lon) if on_lon else (lat_range, lat)
        middle = (bounds[0] + bounds[1]) / 2
        bit = value >= middle
        bounds[0 if bit else 1] = middle
        bits, count, on_lon = bits * 2 + bit, count + 1, not on_lon
        if count == 5:
            chars.append(BASE32[bits])
            bits = count = 0
    return "".join(chars)


def cell_size(precision: int) -> tuple[float, float]:
    """Height and width of a cell of `precision` characters, in degrees of latitude and longitude."""
    bits = 5 * precision
    return 180 / 2 ** (bits // 2), 360 / 2 ** (bits - bits // 2)


def precision_for(radius_m: float) -> int:
    """The index precision whose cells answer a circle of `radius_m` (at most 1,000 m) in at most 4 cells."""
    return FINE if radius_m <= cell_size(FINE)[0] * METRES_PER_DEGREE / 2 else COARSE


def _steps(low: float, high: float, step: float) -> list[float]:
    """Points from `low` to `high` (both included) no more than `step` apart: one in every cell of that size the
    interval touches."""
    points, at = [], low
    while at < high:
        points.append(at)
        at += step
    return [*points, high]


def cover(lat: float, lon: float, radius_m: float, precision: int) -> list[str]:
    """The cells of `precision` that the circle of `radius_m` around the point touches (its bounding box's cells),
    sorted. Near a pole the box spans every longitude."""
    height, width = cell_size(precision)
    d_lat = radius_m / METRES_PER_DEGREE
    south, north = max(-90.0, lat - d_lat), min(90.0, lat + d_lat)
    widest = max(abs(south), abs(north))
    d_lon = 180.0 if widest >= 89.9 else d_lat / math.cos(math.radians(widest))
    cells = set()
    for at_lat in _steps(south, north, height):
        for at_lon in _steps(lon - min(d_lon, 180.0), lon + min(d_lon, 180.0), width):
            wrapped = (at_lon + 180.0) % 360.0 - 180.0
            cells.add(encode(min(at_lat, 90.0 - 1e-9), wrapped, precision))
    return sorted(cells)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on the mean sphere (haversine: stable for short distances)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
