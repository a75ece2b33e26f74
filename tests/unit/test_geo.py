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


@pytest.mark.parametrize("place", list(LATITUDES))
@pytest.mark.parametrize("radius", [250, 1000])
def test_a_circle_lies_in_at_most_four_cells_of_its_precision(place, radius):
    # Given points on a grid of centres around the latitude (cell corners and edges included by the offsets)
    lat0 = LATITUDES[place]
    precision = geo.precision_for(radius)
    height, width = geo.cell_size(precision)
    for i in range(7):
        for j in range(7):
            lat, lon = lat0 + i * height / 6, MUARA_TEWEH[1] + j * width / 6
            # When the cells are computed
            cells = geo.cover(lat, lon, radius, precision)
            # Then there are at most 4 (the issue allows 9) and every point of the circle is in one of them
            assert 1 <= len(cells) <= 4
            assert {geo.encode(a, b, precision) for a, b in _circle(lat, lon, radius)} <= set(cells)


def test_the_public_radius_reads_fine_cells_and_the_wide_one_coarse_cells():
    assert geo.precision_for(250) == 6
    assert geo.precision_for(1000) == 5
    height, width = geo.cell_size(6)
    assert round(height * geo.METRES_PER_DEGREE) == 611
    assert round(width * geo.METRES_PER_DEGREE * math.cos(math.radians(6))) == 1215


def test_cover_wraps_at_the_antimeridian_and_spans_a_pole():
    east = geo.cover(0.0, 179.9999, 250, 6)
    assert any(cell.startswith("8") for cell in east) and any(cell.startswith("x") for cell in east)
    assert len(geo.cover(89.999, 0.0, 1000, 5)) > 4  # every longitude: still a finite set


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
