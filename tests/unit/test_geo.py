"""The nearby lookup's geometry: the public grid, its cells and partitions, the cells near a point, distances
(issue 27)."""

from __future__ import annotations

import math

import pytest
from lapor import geo, store
from lapor.views import PUBLIC_DECIMALS, public_location

MUARA_TEWEH = (-0.9553, 114.8956)
LATITUDES = {"Muara Teweh": -0.9553, "the equator": 0.0, "6 deg S": -6.0}
GRID = store.NEARBY_GRID
STEP = 10.0**-PUBLIC_DECIMALS


def _points_within(lat: float, lon: float, radius_m: float) -> list[geo.Point]:
    """Every grid point within `radius_m` of the place, by brute force over a box far wider than the circle."""
    reach = math.ceil(2 * radius_m / (geo.METRES_PER_DEGREE * STEP * math.cos(math.radians(abs(lat) + 1)))) + 2
    row, column = GRID.point(lat, lon)
    return [
        (row + i, (column + j) % GRID.columns)
        for i in range(-reach, reach + 1)
        for j in range(-reach, reach + 1)
        if GRID.distance(lat, lon, (row + i, (column + j) % GRID.columns)) <= radius_m
    ]


def test_the_index_uses_the_public_grid():
    assert GRID.decimals == PUBLIC_DECIMALS == 3
    # A grid point's place is exactly the public point of every location rounded to it
    for lat, lon in [MUARA_TEWEH, (-6.17539, 106.82715), (0.0004999, -0.0005001), (-89.99961, 179.99949)]:
        public = public_location({"lat": lat, "lon": lon}) or {}
        assert GRID.place(GRID.point(public["lat"], public["lon"])) == (public["lat"], public["lon"])
    # Rows count from the south pole and columns from the antimeridian: never negative, string order = numeric
    assert GRID.point(-90.0, -180.0) == (0, 0) and GRID.point(90.0, 179.999) == (180_000, 359_999)
    assert GRID.point(0.0, 180.0) == GRID.point(0.0, -180.0)  # the same meridian


def test_a_report_is_keyed_by_its_public_point():
    report = {"category": "jalan-jembatan", "submitted_at": "2026-12-01T08:00:00Z", "tracking_id": "LPR-ABC"}
    # -0.955 is row 89,045 (cell 29,681, its third row); 114.896 is column 294,896 (cell 98,298, its third column)
    keys = store.nearby_keys({**report, "location": {"lat": -0.95549, "lon": 114.89561}}, "submitted")
    assert keys == {
        "geo_pk": "GEO#1855:6143",
        "geo_sk": "jalan-jembatan#29681:098298#22#2026-12-01T08:00:00Z#LPR-ABC",
    }
    # Every exact point with the same public point has the same keys
    assert store.nearby_keys({**report, "location": {"lat": -0.95451, "lon": 114.89551}}, "submitted") == keys
    assert store.nearby_keys({**report, "location": {"lat": -0.95549, "lon": 114.89649}}, "verified") == keys
    # Closed, confidential or without a location: not in the index
    assert store.nearby_keys({**report, "location": {"lat": -0.95549, "lon": 114.89561}}, "closed") == {}
    assert store.nearby_keys({**report, "confidential": True, "location": {"lat": -0.9, "lon": 114.9}}, "new") == {}
    assert store.nearby_keys({**report, "location": None}, "submitted") == {}


@pytest.mark.parametrize("place", list(LATITUDES))
def test_a_250_m_circle_is_covered_by_at_most_9_cells(place):
    # Given places all over a cell at the latitude (its corners and edges included by the offsets)
    lat0 = LATITUDES[place]
    sizes = []
    for i in range(7):
        for j in range(7):
            lat, lon = lat0 + i * 3 * STEP / 6, MUARA_TEWEH[1] + j * 3 * STEP / 6
            # When the cells near it are worked out
            near = GRID.cells_near(lat, lon, 250)
            sizes.append(len(near))
            # Then there are at most 9, nearest first, and every grid point within 250 m is in one of them
            assert 1 <= len(near) <= 9
            assert [distance for distance, _ in near] == sorted(distance for distance, _ in near)
            cells = {cell: distance for distance, cell in near}
            for point in _points_within(lat, lon, 250):
                cell, _ = GRID.cell(point)
                assert cell in cells
                # A cell's distance is its nearest point's: nothing in it is nearer
                assert cells[cell] <= GRID.distance(lat, lon, point)
            for cell, distance in cells.items():
                assert distance == min(GRID.distance(lat, lon, point) for point, _ in GRID.points(cell))
    # Fewer in fact: a corner cell's nearest point is two steps away in both directions (314 m at the equator)
    assert 4 < max(sizes) <= 9


def test_a_cell_is_3_x_3_points_of_about_333_m_and_a_partition_16_x_16_cells():
    cell, place = GRID.cell(GRID.point(*MUARA_TEWEH))
    points = GRID.points(cell)
    assert len(points) == 9 and (GRID.point(round(MUARA_TEWEH[0], 3), round(MUARA_TEWEH[1], 3)), place) in points
    assert sorted(place for _, place in points) == [(r, c) for r in range(3) for c in range(3)]
    south, north = GRID.place(points[0][0]), GRID.place(points[-1][0])
    assert geo.distance_m(south[0], south[1], north[0], south[1]) + 111.195 == pytest.approx(333.6, abs=0.1)
    assert GRID.partition(cell) == (cell[0] // 16, cell[1] // 16)


@pytest.mark.parametrize("place", list(LATITUDES))
@pytest.mark.parametrize("radius", [1000, 1000 + 79])
def test_a_1000_m_circle_lies_in_at_most_4_partitions(place, radius):
    lat0 = LATITUDES[place]
    sizes = []
    for i in range(5):
        for j in range(5):
            lat, lon = lat0 + i * 48 * STEP / 4, MUARA_TEWEH[1] + j * 48 * STEP / 4
            partitions = GRID.partitions_near(lat, lon, radius)
            sizes.append(len(partitions))
            assert 1 <= len(partitions) <= 4
            assert {GRID.partition(GRID.cell(point)[0]) for point in _points_within(lat, lon, radius)} <= set(
                partitions
            )
    assert max(sizes) == 4


def test_the_cells_wrap_at_the_antimeridian_and_give_up_near_a_pole():
    near = GRID.cells_near(0.0, 179.9999, 250)
    columns = {cell[1] for _, cell in near}
    assert 0 in columns and GRID.columns // 3 - 1 in columns and len(near) <= 9
    west = GRID.partitions_near(0.0, -179.9999, 1000)
    assert {column for _, column in west} == {0, GRID.columns // 48 - 1}
    # Near a pole a circle spans thousands of cells (every longitude at the pole): nothing rather than minutes
    assert GRID.cells_near(90.0, 180.0, 250) == [] and GRID.partitions_near(-89.999, 0.0, 1000) == []
    assert GRID.cells_near(-89.9, 0.0, 250) == []
    assert 9 < len(GRID.cells_near(84.0, 10.0, 250)) <= geo.MOST_CELLS
    assert 4 < len(GRID.partitions_near(-89.0, 10.0, 1000)) <= geo.MOST_CELLS
    # At the pole's own row, the one point of each column is a cell's only point
    assert [point for point, _ in GRID.points((60_000, 5))] == [(180_000, 15), (180_000, 16), (180_000, 17)]


def _law_of_cosines(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    cos_c = math.sin(phi1) * math.sin(phi2) + math.cos(phi1) * math.cos(phi2) * math.cos(math.radians(lon2 - lon1))
    return geo.EARTH_RADIUS_M * math.acos(max(-1.0, min(1.0, cos_c)))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (MUARA_TEWEH, (-0.9500, 114.9000)),
        (MUARA_TEWEH, (-2.2136, 113.9108)),  # Palangka Raya
        ((-6.2, 106.8), (-6.9, 107.6)),  # Jakarta - Bandung
        ((0.0, 0.0), (0.0, 0.00225)),  # 250 m on the equator
        ((0.0, 179.9995), (0.0, -179.9995)),  # across the antimeridian
    ],
)
def test_distance_agrees_with_the_spherical_law_of_cosines(a, b):
    assert geo.distance_m(*a, *b) == pytest.approx(_law_of_cosines(*a, *b), abs=0.5)


def test_a_degree_of_latitude_is_111_195_m_and_a_point_is_0_m_from_itself():
    assert geo.distance_m(0.0, 114.0, 1.0, 114.0) == pytest.approx(111_195, abs=1)
    assert geo.distance_m(*MUARA_TEWEH, *MUARA_TEWEH) == 0.0
