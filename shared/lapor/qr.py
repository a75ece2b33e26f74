"""QR codes for posters and receipts: what they open, and the images themselves (SVG and PNG, no Pillow).

A poster's code opens the landing page with its agency preselected; a receipt's code opens the report's
tracking page. Both URLs start with the deployment's public base, so a code keeps working wherever it is
printed. Error correction level M survives a smudge or a crease and keeps the codes small enough to scan
from a phone screen.
"""

from __future__ import annotations

import io
from urllib.parse import quote

import qrcode
import qrcode.constants
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathFillImage

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
PNG_MODULE_PIXELS = 8


def agency_url(base_url: str, agency_id: str) -> str:
    """What a poster's code opens: the landing page, this agency preselected, counted as the QR channel."""
    return f"{base_url}/?agency={quote(agency_id, safe='')}&channel=qr"


def _code(data: str, image_factory: type) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=PNG_MODULE_PIXELS if image_factory is PyPNGImage else 10,
        border=QUIET_ZONE,
        image_factory=image_factory,
    )
    code.add_data(data)
    code.make(fit=True)
    return code


def svg(data: str) -> str:
    """A standalone SVG document (one path on a white square) that opens `data`."""
    return str(_code(data, SvgPathFillImage).make_image().to_string(encoding="unicode"))


def svg_path(data: str) -> tuple[str, int]:
    """The code as SVG path data in module units, and its side in modules (quiet zone included).

    For embedding in a larger drawing such as a poster: scale a ``<path d=...>`` by (wanted size / side).
    """
    image = _code(data, SvgPathFillImage).make_image()
    assert image.path is not None  # set by the image's processing step
    return str(image.path.get("d")), image.width + 2 * QUIET_ZONE


def png(data: str) -> bytes:
    """A PNG image of the code, 8 pixels per module."""
    out = io.BytesIO()
    _code(data, PyPNGImage).make_image().save(out)
    return out.getvalue()
