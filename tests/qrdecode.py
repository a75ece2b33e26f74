"""QR codes read back from PNG images with zxing-cpp (a pip wheel), as a phone's scanner would."""

from __future__ import annotations

import png
import zxingcpp


class _Grey:
    """An 8-bit greyscale image in the array interface that zxing-cpp reads (no numpy or Pillow needed)."""

    def __init__(self, pixels: bytes, width: int, height: int) -> None:
        self.__array_interface__ = {"shape": (height, width), "typestr": "|u1", "data": pixels, "version": 3}


def read_qr_codes(image: bytes) -> list[str]:
    """Every QR code found in a PNG image (any colour type or bit depth), as text."""
    width, height, rows, _ = png.Reader(bytes=image).asRGBA8()
    grey = bytearray()
    for row in rows:
        grey.extend(row[0::4])  # the codes are black on white: the red channel is enough
    return [found.text for found in zxingcpp.read_barcodes(_Grey(bytes(grey), width, height))]
