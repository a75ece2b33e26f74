"""Pixels only: decode an upload safely and re-encode it with no metadata at all.

The type comes from the bytes, never from the name or the declared type. The size is checked before
decoding (a decompression bomb is refused without allocating it); JPEGs are decoded at a reduced scale
when they are larger than needed, and any other picture is shrunk by a whole factor right after decoding,
before it is turned or converted, so no second full-size copy exists. The EXIF orientation is applied to
the pixels, colours are converted
to sRGB, and a brand-new image is built from the pixel values alone, so EXIF (GPS, make, serial), XMP,
IPTC, ICC profiles, maker notes and comments cannot survive: there is nowhere for them to go.
"""

from __future__ import annotations

import io
import warnings

from lapor.photos import MAX_PIXELS, MAX_SIDE, STORED_TYPE, CleanImage, PhotoRefused
from PIL import Image, ImageCms

# Formats recognised by their first bytes; WebP is RIFF....WEBP.
_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"))
# Markers of documents and markup a browser or reader would act on: a file that carries one as well as a
# picture is a polyglot, and is refused even though its picture would be re-encoded harmlessly.
_FOREIGN = (b"<html", b"<script", b"<svg", b"<!doctype", b"<?php", b"<iframe", b"<body", b"%pdf-", b"<object")
JPEG_QUALITY = 85
_REDUCIBLE = ("L", "LA", "RGB", "RGBA", "CMYK", "I", "F", "YCbCr")

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard too: it raises beyond twice this
_ORIENTATION = 0x0112
# EXIF orientation → the turn that shows the picture upright (as ImageOps.exif_transpose does).
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def sniff(data: bytes) -> str:
    """The Pillow format name of an accepted image, from its first bytes."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise PhotoRefused("not_an_image")


def clean_image(data: bytes) -> CleanImage:
    """The picture in `data` as a metadata-free JPEG, its long side at most `MAX_SIDE`; `PhotoRefused` if not."""
    kind = sniff(data)
    lowered = data.lower()
    if any(marker in lowered for marker in _FOREIGN):
        raise PhotoRefused("other_content")
    del lowered
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size
            if width < 1 or height < 1 or width * height > MAX_PIXELS:
                raise PhotoRefused("too_many_pixels")
            if kind == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale when that still leaves the long side at MAX_SIDE or more.
                scale = MAX_SIDE / max(width, height)
                if scale < 1:
                    image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
            icc = image.info.get("icc_profile")
            turn = _TURNS.get(image.getexif().get(_ORIENTATION, 1))
            image.load()
            # Shrink before any turn or conversion, so that no second full-size copy is ever made.
            image = _reduced(image)
            if turn is not None:
                image = image.transpose(turn)
    except PhotoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused("too_many_pixels") from None
    except Exception:
        raise PhotoRefused("unreadable") from None
    image = _srgb(image, icc)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A new image from the pixel values alone: it has no info, no EXIF, no profile to carry over.
    pixels = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=JPEG_QUALITY)
    return CleanImage(out.getvalue(), STORED_TYPE, pixels.width, pixels.height)


def _reduced(image: Image.Image) -> Image.Image:
    """The decoded picture shrunk by a whole factor while its long side stays at MAX_SIDE or more (a box
    filter, cheap); the full-size pixels are released at once. Modes `reduce` cannot take are widened first."""
    factor = max(image.size) // MAX_SIDE
    if factor < 2:
        return image
    if image.mode not in _REDUCIBLE:
        image = image.convert("RGBA" if image.mode == "P" and "transparency" in image.info else "RGB")
    reduced = image.reduce(factor)
    image.close()
    return reduced


def _srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Plain RGB in sRGB: colour profiles are converted away, transparency is laid on white."""
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: the pixels are kept as they are
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image
