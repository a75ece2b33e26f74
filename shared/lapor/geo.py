"""Places on the earth: a grid of points, its cells and partitions, the cells near a point, and distances. Pure
functions.

The nearby index (`lapor.store`) keys each report by its public point: its location rounded to a number of decimal
places (`lapor.views.PUBLIC_DECIMALS`: 3, a grid of about 111 m), the very point the public's distances are measured
from. A `Grid` names those points by two non-negative integers, a row counted from the south pole and a column from
the antimeridian (row = round(lat x 10^decimals) + 90 x 10^decimals, column likewise from 180 deg, wrapped).

Three by three points make a cell (about 333 m at the equator). A circle of 250 m holds at most 7 columns of points
where they are more than 71.4 m apart (up to 50 deg of latitude: all of Indonesia), and 7 columns lie in at most 3
columns of cells: the circle touches at most 3 x 3 cells. A cell is read with one query; a crowded one point by point
(`lapor.nearby`). Sixteen by sixteen cells make a partition (about 5.3 km): a 1,000 m circle touches at most 2 x 2
of them below 60 deg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG): haversine's sphere
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
CELL_POINTS = 3  # a cell is CELL_POINTS x CELL_POINTS grid points
PARTITION_CELLS = 16  # a partition is PARTITION_CELLS x PARTITION_CELLS cells
# The most cells (or partitions) a search may read: 250 m up to 87 deg of latitude, 1,000 m up to 89.5 deg. Nearer
# a pole a circle spans thousands of them (at the pole every longitude): nothing found rather than a request that
# reads for minutes.
MOST_CELLS = 64
FLOAT_SLACK = 1e-6  # of a grid step: how far a float product may stray from the grid point it means

Point = tuple[int, int]  # a grid point: row, column
Cell = tuple[int, int]  # a cell: row, column (a point's row and column floor-divided by CELL_POINTS)
Partition = tuple[int, int]  # a partition: row, column (a cell's floor-divided by PARTITION_CELLS)


@dataclass(frozen=True)
class Grid:
    """The points at `decimals` decimal places of latitude and longitude, their cells and partitions."""

    decimals: int

    @property
    def per_degree(self) -> int:
        return int(10**self.decimals)

    @property
    def columns(self) -> int:
        """Grid columns around the globe (column 0 is longitude -180, the antimeridian)."""
        return 360 * self.per_degree

    def point(self, lat: float, lon: float) -> Point:
        """The grid point nearest the place (a place already on the grid: exactly its point)."""
        return round(lat * self.per_degree) + 90 * self.per_degree, (
            round(lon * self.per_degree) + 180 * self.per_degree
        ) % self.columns

    def place(self, point: Point) -> tuple[float, float]:
        """Latitude and longitude of a grid point: the same floats as the place rounded to `decimals`."""
        row, column = point
        return (row - 90 * self.per_degree) / self.per_degree, (column - 180 * self.per_degree) / self.per_degree

    @staticmethod
    def cell(point: Point) -> tuple[Cell, Point]:
        """The cell that holds a grid point, and the point's row and column inside it (0 to CELL_POINTS - 1)."""
        (cell_row, row), (cell_column, column) = divmod(point[0], CELL_POINTS), divmod(point[1], CELL_POINTS)
        return (cell_row, cell_column), (row, column)

    @staticmethod
    def partition(cell: Cell) -> Partition:
        return cell[0] // PARTITION_CELLS, cell[1] // PARTITION_CELLS

    def points(self, cell: Cell) -> list[tuple[Point, Point]]:
        """The grid points of a cell (those beyond a pole left out), each with its row and column inside it."""
        return [
            ((cell[0] * CELL_POINTS + row, cell[1] * CELL_POINTS + column), (row, column))
            for row in range(CELL_POINTS)
            for column in range(CELL_POINTS)
            if cell[0] * CELL_POINTS + row <= 180 * self.per_degree
        ]

    def distance(self, lat: float, lon: float, point: Point) -> float:
        """Metres from the place to a grid point."""
        return distance_m(lat, lon, *self.place(point))

    def _box(self, lat: float, lon: float, radius_m: float) -> tuple[range, range]:
        """Rows and columns (unwrapped: may run past either end) of the grid points in the box around the
        circle."""
        d_lat = radius_m / METRES_PER_DEGREE
        south, north = max(-90.0, lat - d_lat), min(90.0, lat + d_lat)
        widest = max(abs(south), abs(north))
        d_lon = 180.0 if widest >= 89.9 else min(180.0, d_lat / math.cos(math.radians(widest)))
        scale, rows, columns = self.per_degree, 90 * self.per_degree, 180 * self.per_degree
        low, high = -FLOAT_SLACK, 1 + FLOAT_SLACK  # a point on the box's edge stays in it whatever the rounding
        return (
            range(math.ceil(south * scale + low) + rows, math.floor(north * scale + high) + rows),
            range(math.ceil((lon - d_lon) * scale + low) + columns, math.floor((lon + d_lon) * scale + high) + columns),
        )

    def cells_near(self, lat: float, lon: float, radius_m: float) -> list[tuple[float, Cell]]:
        """The cells with a grid point within `radius_m` of the place, each with its nearest point's distance
        (nothing in the cell is nearer), nearest first; none when the circle's box spans more than `MOST_CELLS`
        cells (near a pole)."""
        rows, columns = self._box(lat, lon, radius_m)
        if not rows or not columns:
            return []
        cell_rows = range(rows.start // CELL_POINTS, (rows.stop - 1) // CELL_POINTS + 1)
        cell_columns = range(columns.start // CELL_POINTS, (columns.stop - 1) // CELL_POINTS + 1)
        if len(cell_rows) * len(cell_columns) > MOST_CELLS:
            return []
        around = self.columns // CELL_POINTS
        found: dict[Cell, float] = {}
        for cell_row in cell_rows:
            for cell_column in cell_columns:
                cell = (cell_row, cell_column % around)
                nearest = min(self.distance(lat, lon, point) for point, _ in self.points(cell))
                if nearest <= radius_m:
                    found[cell] = min(nearest, found.get(cell, nearest))
        return sorted((distance, cell) for cell, distance in found.items())

    def partitions_near(self, lat: float, lon: float, radius_m: float) -> list[Partition]:
        """The partitions that hold the grid points within `radius_m` of the place (those of its box), sorted; none
        when they would be more than `MOST_CELLS` (near a pole)."""
        rows, columns = self._box(lat, lon, radius_m)
        if not rows or not columns:
            return []
        size = CELL_POINTS * PARTITION_CELLS
        partition_rows = range(rows.start // size, (rows.stop - 1) // size + 1)
        partition_columns = range(columns.start // size, (columns.stop - 1) // size + 1)
        if len(partition_rows) * len(partition_columns) > MOST_CELLS:
            return []
        around = self.columns // size
        return sorted({(row, column % around) for row in partition_rows for column in partition_columns})


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on the mean sphere (haversine: stable for short distances)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
