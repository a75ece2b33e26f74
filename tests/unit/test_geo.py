"""The nearby lookup's geometry: geohash cells, the cells over a circle, distances (issue 27)."""

from __future__ import annotations

import math

import pytest
from lapor import geo

MUARA_TEWEH = (-0.9553, 114.8956)
LATITUDES = {"Muara Teweh": -0.9553, "the equator": 0.0, "6 deg S": -6.0}


def _circle(lat: float, lon: float, radius_m: float, points: int = 720) -> list[tuple[float, float]]:
    """Points on and inside the circle (its edge, half way in, the centre), by the destination formula."""
    found = [(lat, lon)]
    for fraction in (1.0, 0.5):
        for k in range(points):
            bearing = 2 * math.pi * k / points
            delta = radius_m * fraction / geo.EARTH_RADIUS_M
            phi1, lambda1 = math.radians(lat), math.radians(lon)
            phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(bearing))
            lambda2 = lambda1 + math.atan2(
                math.sin(bearing) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
            )
            found.append((math.degrees(phi2), math.degrees(lambda2)))
    return found


def test_encode_gives_the_published_geohashes():
    assert geo.encode(57.64911, 10.40744, 11) == "u4pruydqqvj"  # Wikipedia's example
    assert geo.encode(42.6, -5.6, 5) == "ezs42"
    assert geo.encode(-0.9553, 114.8956, 6).startswith(geo.encode(-0.9553, 114.8956, 5))
    assert geo.encode(-90.0, -180.0, 3) == "000" and geo.encode(90.0, 180.0, 3) == "zzz"


@pytest.mark.parametrize("place", list(LATITUDES))
@pytest.mark.parametrize(("radius", "most"), [(250, 9), (1000, 4)])
def test_a_circle_lies_in_the_cells_of_its_cover(place, radius, most):
    # Given points all over a cell at the latitude (its corners and edges included by the offsets)
    lat0 = LATITUDES[place]
    level = geo.level_for(radius)
    height, width = geo.cell_size(level)
    sizes = []
    for i in range(7):
        for j in range(7):
            lat, lon = lat0 + i * height / 6, MUARA_TEWEH[1] + j * width / 6
            # When the cells of its circle are computed
            cells = geo.cover(lat, lon, radius, level)
            sizes.append(len(cells))
            # Then there are at most 9 (4 of the wide level) and every point of the circle is in one of them
            assert 1 <= len(cells) <= most
            cell_of = geo.fine_cell if level == geo.FINE else lambda a, b: geo.encode(a, b, geo.COARSE)
            assert {cell_of(a, b) for a, b in _circle(lat, lon, radius)} <= set(cells)
    assert max(sizes) == most


def test_the_public_radius_reads_fine_cells_of_about_300_m_and_the_wide_one_coarse_cells():
    assert geo.level_for(250) == geo.FINE
    assert geo.level_for(1000) == geo.WIDE
    height, width = geo.cell_size(geo.FINE)
    assert round(height * geo.METRES_PER_DEGREE) == 305
    assert round(width * geo.METRES_PER_DEGREE * math.cos(math.radians(6))) == 304
    # The 9 cells' area against the circle's: about 3 items read for each within 250 m, on average
    expected_cells = (1 + 500 / (height * geo.METRES_PER_DEGREE)) * (1 + 500 / (width * geo.METRES_PER_DEGREE))
    ratio = expected_cells * (height * width * geo.METRES_PER_DEGREE**2) / (math.pi * 250**2)
    assert 3.0 < ratio < 3.5


def test_a_fine_cell_lies_in_its_coarse_cell_and_names_its_place_in_it():
    cell = geo.fine_cell(*MUARA_TEWEH)
    assert cell[:5] == geo.encode(*MUARA_TEWEH, 5) and len(cell) == 7
    width = geo.cell_size(geo.FINE)[1]
    east = geo.fine_cell(MUARA_TEWEH[0], MUARA_TEWEH[1] + width)
    assert (int(east[5], 16) - int(cell[5], 16)) % 16 == 1 and east[6] == cell[6]


def test_cover_wraps_at_the_antimeridian_and_gives_up_near_a_pole():
    east = geo.cover(0.0, 179.9999, 250, geo.FINE)
    assert any(cell.startswith("8") for cell in east) and any(cell.startswith("x") for cell in east)
    # Near a pole a circle spans thousands of cells (every longitude at the pole): no cover rather than minutes
    assert geo.cover(90.0, 180.0, 250, geo.FINE) == [] and geo.cover(-89.999, 0.0, 1000, geo.WIDE) == []
    assert 9 < len(geo.cover(85.0, 10.0, 250, geo.FINE)) <= geo.MOST_CELLS
    assert 4 < len(geo.cover(-89.0, 10.0, 1000, geo.WIDE)) <= geo.MOST_CELLS


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
    ],
)
def test_distance_agrees_with_the_spherical_law_of_cosines(a, b):
    assert geo.distance_m(*a, *b) == pytest.approx(_law_of_cosines(*a, *b), abs=0.5)


def test_a_degree_of_latitude_is_111_195_m_and_a_point_is_0_m_from_itself():
    assert geo.distance_m(0.0, 114.0, 1.0, 114.0) == pytest.approx(111_195, abs=1)
    assert geo.distance_m(*MUARA_TEWEH, *MUARA_TEWEH) == 0.0


@pytest.mark.parametrize("place", list(LATITUDES))
def test_a_cell_holds_its_points_and_its_distance_is_to_its_nearest_edge(place):
    lat, lon = LATITUDES[place] + 0.0001, MUARA_TEWEH[1] + 0.0001
    for level in (geo.FINE, geo.WIDE):
        cell = geo.fine_cell(lat, lon) if level == geo.FINE else geo.encode(lat, lon, geo.COARSE)
        south, west, north, east = geo.bounds(cell)
        assert south <= lat < north and west <= lon < east
        assert geo.distance_to_cell(lat, lon, cell) == 0.0
    # A cell of the cover is never nearer than any point of it: the search may stop at it safely
    for cell in geo.cover(lat, lon, 250, geo.FINE):
        south, west, north, east = geo.bounds(cell)
        corners_and_middle = [
            (a, b) for a in (south, north, (south + north) / 2) for b in (west, east, (west + east) / 2)
        ]
        assert geo.distance_to_cell(lat, lon, cell) <= min(
            geo.distance_m(lat, lon, a, b) for a, b in corners_and_middle
        )
