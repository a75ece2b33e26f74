"""Places on the earth: geohash cells, the cells that cover a circle, and distances. Pure functions.

A geohash names a cell of a grid by interleaving the bits of longitude and latitude, five bits a character
(http://geohash.org). Written here because the index needs a few small functions (encode, a cell's size, the
cells over a box), not a dependency in the layer every function loads.

The nearby index has two levels, one key (`lapor.store`). Its partitions are precision-5 cells, 4.9 km x 4.9 km
x cos(latitude): a 1,000 m circle touches at most 2 x 2 of them. Each is split 16 x 16 into fine cells of
305 m x 305 m x cos(latitude) (four more bits of each coordinate: a geohash of 33 bits, named by its precision-5
cell and two hexadecimal digits). A circle of 250 m touches at most 3 x 3 fine cells wherever they are at least
250 m wide (up to 35 deg of latitude: all of Indonesia), and their area is on average 3.3 times the circle's, so a
lookup reads about 3 reports for each one within 250 m. Precision-6 cells (1,221 m x 611 m) would touch at most 4
but read about 10 for each; precision-7 cells (153 m) would need up to 25 queries.
"""

from __future__ import annotations

import math

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG): haversine's sphere
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
COARSE = 5  # geohash characters of the index's partitions (`lapor.store`)
SUB_BITS = 4  # more bits of each coordinate in a fine cell: a coarse cell holds 16 x 16 of them
FINE, WIDE = "fine", "coarse"  # the two levels a cover is asked for
# The most cells a cover may have: 250 m up to 85 deg of latitude, 1,000 m up to 89 deg. Nearer a pole a circle
# spans thousands of cells (at the pole every longitude): no cover, nothing found, rather than a request that reads
# for minutes.
MOST_CELLS = 64


def _indices(lat: float, lon: float, lon_bits: int, lat_bits: int) -> tuple[int, int]:
    """The column and row of the point in a grid of 2**lon_bits x 2**lat_bits cells over the globe."""
    column = min(int((lon + 180.0) / 360.0 * 2**lon_bits), 2**lon_bits - 1)
    row = min(int((lat + 90.0) / 180.0 * 2**lat_bits), 2**lat_bits - 1)
    return column, row


def _geohash(column: int, row: int, precision: int) -> str:
    """The geohash of grid cell (column, row) at `precision` characters: the bits interleaved, longitude first."""
    bits = 5 * precision
    lon_bits, lat_bits = bits - bits // 2, bits // 2
    value = 0
    for i in range(bits):
        source, width, taken = (column, lon_bits, i // 2) if i % 2 == 0 else (row, lat_bits, i // 2)
        value = value * 2 + (source >> (width - 1 - taken)) % 2
    return "".join(BASE32[(value >> (5 * (precision - 1 - k))) % 32] for k in range(precision))


def encode(lat: float, lon: float, precision: int) -> str:
    """The geohash of the cell of `precision` characters that holds the point."""
    bits = 5 * precision
    return _geohash(*_indices(lat, lon, bits - bits // 2, bits // 2), precision)


def fine_cell(lat: float, lon: float) -> str:
    """The fine cell of the point: its precision-5 geohash, then its column and row inside it (hexadecimal)."""
    bits = 5 * COARSE
    column, row = _indices(lat, lon, bits - bits // 2 + SUB_BITS, bits // 2 + SUB_BITS)
    size = 2**SUB_BITS
    return _geohash(column // size, row // size, COARSE) + f"{column % size:x}{row % size:x}"


def cell_size(level: str) -> tuple[float, float]:
    """Height and width of a cell of `level` (FINE or WIDE), in degrees of latitude and longitude."""
    bits = 5 * COARSE
    height, width = 180 / 2 ** (bits // 2), 360 / 2 ** (bits - bits // 2)
    return (height / 2**SUB_BITS, width / 2**SUB_BITS) if level == FINE else (height, width)


def level_for(radius_m: float) -> str:
    """The level whose cells answer a circle of `radius_m` (at most 1,000 m) in at most 9 cells (4 when WIDE)."""
    return FINE if radius_m <= cell_size(FINE)[0] * METRES_PER_DEGREE * math.cos(math.radians(35)) else WIDE


def _steps(low: float, high: float, step: float) -> list[float]:
    """Points from `low` to `high` (both included) no more than `step` apart: one in every cell of that size the
    interval touches."""
    points, at = [], low
    while at < high:
        points.append(at)
        at += step
    return [*points, high]


def cover(lat: float, lon: float, radius_m: float, level: str) -> list[str]:
    """The cells of `level` that the circle of `radius_m` around the point touches (its bounding box's cells),
    sorted; none when they would be more than `MOST_CELLS` (near a pole)."""
    height, width = cell_size(level)
    d_lat = radius_m / METRES_PER_DEGREE
    south, north = max(-90.0, lat - d_lat), min(90.0, lat + d_lat)
    widest = max(abs(south), abs(north))
    d_lon = 180.0 if widest >= 89.9 else min(180.0, d_lat / math.cos(math.radians(widest)))
    if (int((north - south) / height) + 2) * (int(2 * d_lon / width) + 2) > MOST_CELLS:
        return []
    cells = set()
    for at_lat in _steps(south, north, height):
        for at_lon in _steps(lon - d_lon, lon + d_lon, width):
            wrapped = (at_lon + 180.0) % 360.0 - 180.0
            cells.add(fine_cell(at_lat, wrapped) if level == FINE else encode(at_lat, wrapped, COARSE))
    return sorted(cells)


def _column_row(geohash: str) -> tuple[int, int]:
    """The grid column and row a geohash names (the inverse of `_geohash`)."""
    value = 0
    for char in geohash:
        value = value * 32 + BASE32.index(char)
    bits, column, row = 5 * len(geohash), 0, 0
    for i in range(bits):
        bit = (value >> (bits - 1 - i)) % 2
        column, row = (column * 2 + bit, row) if i % 2 == 0 else (column, row * 2 + bit)
    return column, row


def bounds(cell: str) -> tuple[float, float, float, float]:
    """South, west, north and east edges of a cell of `cover` (either level), in degrees."""
    column, row = _column_row(cell[:COARSE])
    height, width = cell_size(WIDE)
    south, west = -90.0 + row * height, -180.0 + column * width
    if len(cell) > COARSE:
        height, width = cell_size(FINE)
        south, west = south + int(cell[COARSE + 1], 16) * height, west + int(cell[COARSE], 16) * width
    return south, west, south + height, west + width


def distance_to_cell(lat: float, lon: float, cell: str) -> float:
    """Metres from the point to the nearest point of the cell (0 inside it; 0 across the antimeridian)."""
    south, west, north, east = bounds(cell)
    nearest_lon = min(max(lon, west), east)
    if abs(nearest_lon - lon) > 180:
        return 0.0
    return distance_m(lat, lon, min(max(lat, south), north), nearest_lon)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on the mean sphere (haversine: stable for short distances)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
