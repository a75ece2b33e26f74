"""Every kind of QR code the project makes, drawn by a browser and read back by zxing-cpp, opens the right page."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from lapor_local.poster import write_poster
from playwright.sync_api import Page

from tests.browser.conftest import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

AGENCY = "disdukcapil-barito-utara"
TRACKING_ID = "LPR-7KQ2-M9XD-3FHW"


def shown(page: Page, url: str) -> bytes:
    """A screenshot of the image at `url`, drawn 300 px wide as on a phone screen."""
    page.set_content(f'<body style="margin:0;background:#fff"><img id="code" width="300" height="300" src="{url}">')
    page.wait_for_function("document.getElementById('code').complete")
    return page.locator("#code").screenshot()


def test_the_agency_png_opens_the_form_for_that_agency(
    local_stack: RunningStack, decode_qr: Callable[[bytes], list[str]]
) -> None:
    url = f"{local_stack.api_url}/agencies/{AGENCY}/qr.png"
    with urllib.request.urlopen(url, timeout=10) as response:  # a scanner reads the PNG itself
        assert response.headers["Content-Type"] == "image/png"
        png = response.read()
    assert decode_qr(png) == [f"{local_stack.api_url}/?agency={AGENCY}&channel=qr"]


def test_the_agency_svg_opens_the_form_for_that_agency(
    page: Page, local_stack: RunningStack, decode_qr: Callable[[bytes], list[str]]
) -> None:
    png = shown(page, f"{local_stack.api_url}/agencies/{AGENCY}/qr.svg")
    assert decode_qr(png) == [f"{local_stack.api_url}/?agency={AGENCY}&channel=qr"]


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_a_receipt_code_opens_the_tracking_page_of_the_canonical_id(
    page: Page, local_stack: RunningStack, decode_qr: Callable[[bytes], list[str]], kind: str
) -> None:
    typed = TRACKING_ID.lower().replace("-", "")
    png = shown(page, f"{local_stack.api_url}/reports/{typed}/qr.{kind}")
    assert decode_qr(png) == [f"{local_stack.api_url}/track/{TRACKING_ID}"]


def test_the_printed_poster_opens_the_form_for_its_agency(
    page: Page, local_stack: RunningStack, decode_qr: Callable[[bytes], list[str]], tmp_path: Path
) -> None:
    poster = tmp_path / "poster.svg"
    write_poster(AGENCY, poster, local_stack.api_url)
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.goto(poster.as_uri())
    assert decode_qr(page.screenshot()) == [f"{local_stack.api_url}/?agency={AGENCY}&channel=qr"]
