"""The photo function's memory: the worst picture it accepts fits its MemorySize with room to spare.

Each picture is cleaned in a fresh interpreter and that process's peak (VmHWM) is read. `make bench` prints
the whole table (every format, mode and orientation); here the turned worst case of each format and mode.
"""

from __future__ import annotations

from typing import Any

import pytest
from lapor.photos import MAX_PIXELS
from lapor_local.template import load_template, resource_properties

from tests import photos
from tests.conftest import ROOT

TEMPLATE = load_template(ROOT / "template.yaml")
MEMORY_MB = resource_properties(TEMPLATE, "ProcessPhotoFunction")["MemorySize"]


@pytest.mark.parametrize(("kind", "mode"), photos.WORST_KINDS, ids=[f"{k}-{m}" for k, m in photos.WORST_KINDS])
def test_the_worst_accepted_picture_peaks_under_half_the_function_memory(kind: str, mode: str) -> None:
    measured = photos.cleaning_peak(photos.worst_accepted(kind, mode, orientation=6), ROOT)
    assert measured["outcome"] == "1707x2560", "accepted, turned upright and scaled to the long side cap"
    assert measured["peak_mb"] < MEMORY_MB / 2, measured


def test_a_phone_photo_fits_and_a_bigger_picture_is_refused_before_decoding() -> None:
    assert 12_000_000 <= MAX_PIXELS <= 25_000_000, "a phone photo's 12 to 24 megapixels, no more"
    measured = photos.cleaning_peak(photos.webp_memory_bomb(), ROOT)
    assert measured == {"outcome": "refused: too_many_pixels", "peak_mb": measured["peak_mb"]}
    assert measured["peak_mb"] < 100, "refused from the header: nothing was decoded"


def test_a_flood_of_uploads_decodes_a_bounded_number_of_photos_at_once() -> None:
    event: dict[str, Any] = resource_properties(TEMPLATE, "ProcessPhotoFunction")["Events"]["PhotoUploads"]
    assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] * MEMORY_MB <= 8 * 1024
