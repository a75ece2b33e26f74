"""Test pictures: a phone-like JPEG full of identifying metadata, and every kind of upload to refuse.

The metadata is written into the files here (EXIF with GPS, make, model and serial, XMP, IPTC, a comment),
so a test can say exactly what must not survive. Also: how to read every metadata block back, with Pillow
and with exiv2 (a second, independent reader), and how to upload through a presigned POST as a browser does.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import urllib.request
import uuid
from typing import Any

from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo

MAKE, MODEL, SERIAL = "Pindai", "Pindai X9 Pro", "SN-7741-0098-2231"
OWNER = "Rahmawati Kusumadewi"
COMMENT = "dikirim oleh Rahmawati dari Lahei"
XMP_CREATOR = "xmp-creator-rahmawati"
IPTC_BYLINE = "iptc-byline-rahmawati"
GPS = ((0.0, 48.0, 44.28), (115.0, 0.0, 44.44))  # about -0.8123, 115.0123: the sender's doorstep
SECRETS = (MAKE, MODEL, SERIAL, OWNER, COMMENT, XMP_CREATOR, IPTC_BYLINE)
RAW_SIZE = (640, 480)  # as stored in the file; shown rotated (EXIF orientation 6) as 480 x 640


def picture(size: tuple[int, int] = RAW_SIZE) -> Image.Image:
    """Four differently coloured quarters: any rotation or mirroring shows in the corners."""
    image = Image.new("RGB", size, (200, 30, 30))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((w // 2, 0, w, h // 2), fill=(30, 200, 30))
    draw.rectangle((0, h // 2, w // 2, h), fill=(30, 30, 200))
    draw.rectangle((w // 2, h // 2, w, h), fill=(230, 230, 30))
    return image


def identifying_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = MAKE
    exif[0x0110] = MODEL
    exif[0x013B] = OWNER  # Artist
    exif[0x0112] = orientation
    exif[0x0132] = "2026:11:29 08:15:00"  # DateTime
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0xA431] = SERIAL  # BodySerialNumber
    exif_ifd[0xA430] = OWNER  # CameraOwnerName
    exif_ifd[0x9003] = "2026:11:29 08:15:00"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", GPS[0], "E", GPS[1]
    return exif


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _xmp() -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="{XMP_CREATOR}"/></rdf:RDF></x:xmpmeta>'
        '<?xpacket end="w"?>'
    ).encode()


def _iptc() -> bytes:
    byline = IPTC_BYLINE.encode()
    record = b"\x1c\x02\x50" + struct.pack(">H", len(byline)) + byline  # 2:80 By-line
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record)) + record
    return b"Photoshop 3.0\x00" + resource + (b"\x00" if len(record) % 2 else b"")


def phone_jpeg(size: tuple[int, int] = RAW_SIZE, quality: int = 92) -> bytes:
    """A JPEG as a phone writes it: EXIF (GPS, make, model, serial, owner, orientation 6), XMP, IPTC, an ICC
    profile and a comment."""
    out = io.BytesIO()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture(size).save(
        out, "JPEG", quality=quality, exif=identifying_exif(), comment=COMMENT.encode(), icc_profile=profile
    )
    data = out.getvalue()
    extra = _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + _xmp()) + _segment(0xED, _iptc())
    return data[:2] + extra + data[2:]


def png_with_text() -> bytes:
    info = PngInfo()
    info.add_text("Author", OWNER)
    info.add_text("Comment", COMMENT)
    info.add_itxt("XML:com.adobe.xmp", _xmp().decode(), zip=False)
    out = io.BytesIO()
    picture((320, 200)).convert("RGBA").save(out, "PNG", pnginfo=info, exif=identifying_exif(orientation=1))
    return out.getvalue()


def webp_with_exif() -> bytes:
    out = io.BytesIO()
    picture((300, 200)).save(out, "WEBP", exif=identifying_exif(orientation=1), xmp=_xmp())
    return out.getvalue()


def pdf_named_jpg() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def html_named_jpg() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def polyglot() -> bytes:
    """A valid JPEG that is also an HTML page: a browser sniffing it would run the script."""
    out = io.BytesIO()
    picture((64, 64)).save(out, "JPEG")
    return out.getvalue() + b"<html><body><script>fetch('/steal?c='+document.cookie)</script></body></html>"


def decompression_bomb(side: int = 12_000) -> bytes:
    """A few kilobytes of PNG that decode to `side` x `side` pixels (144 million by default)."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def webp_memory_bomb() -> bytes:
    """8000 x 8000 RGBA WebP of a few hundred KB, turned by its EXIF: under the old 64-megapixel cap its
    cleaning peaked at 1 GB (the second audit's finding)."""
    out = io.BytesIO()
    Image.new("RGBA", (8000, 8000), (10, 20, 30, 128)).save(
        out, "WEBP", quality=10, exif=identifying_exif(orientation=6)
    )
    return out.getvalue()


def oversized(megabytes: int = 12) -> bytes:
    """A JPEG header followed by `megabytes` of filler: too large whatever it is."""
    return b"\xff\xd8\xff\xe0" + b"\x00" * (megabytes * 1024 * 1024)


# ---------------------------------------------------------------- reading metadata back


def pillow_metadata(data: bytes) -> dict[str, Any]:
    """Every metadata block Pillow can see: EXIF (with its GPS and Exif IFDs), info keys, XMP, ICC."""
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return {
        "exif": dict(exif),
        "gps": dict(exif.get_ifd(0x8825)),
        "exif_ifd": dict(exif.get_ifd(0x8769)),
        "info": {
            k: v for k, v in image.info.items() if k not in ("jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi")
        },
        "applist": [marker for marker, _ in getattr(image, "applist", []) if marker != "APP0"],
    }


def exiv2_metadata(data: bytes) -> dict[str, Any]:
    """What exiv2 reads in the file (the C++ library, bundled in the pyexiv2 wheel: a reader independent of
    Pillow): every EXIF, IPTC and XMP tag by its exiv2 key ("Exif.GPSInfo.GPSLatitude"), the ICC profile
    and the comment."""
    import pyexiv2

    pyexiv2.set_log_level(4)  # mute: a file without metadata is no warning here
    image = pyexiv2.ImageData(data)
    try:
        tags: dict[str, Any] = {**image.read_exif(), **image.read_iptc(), **image.read_xmp()}
        if image.read_icc():
            tags["ICC.Profile"] = len(image.read_icc())
        if image.read_comment():
            tags["Comment.Text"] = image.read_comment()
    finally:
        image.close()
    return tags


def metadata_groups(tags: dict[str, Any]) -> set[str]:
    """The blocks the tags come from: "Exif.Image" (IFD0), "Exif.Photo", "Exif.GPSInfo", "Xmp.dc", "ICC" ..."""
    return {name.rsplit(".", 1)[0] for name in tags}


# ---------------------------------------------------------------- uploading as a browser does


def multipart(fields: dict[str, str], data: bytes, content_type: str) -> tuple[bytes, str]:
    """A multipart/form-data body: the slot's fields, then the file last (S3 ignores fields after it)."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_upload(slot: dict[str, Any], data: bytes) -> int:
    """POST a file through a slot's presigned form, over HTTP; the status S3 answered."""
    body, content_type = multipart(slot["upload"]["fields"], data, slot["content_type"])
    request = urllib.request.Request(
        slot["upload"]["url"], data=body, method="POST", headers={"Content-Type": content_type}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def near_limit_jpeg(limit: int = 10 * 1024 * 1024) -> bytes:
    """A phone-sized (4000 x 3000) JPEG of noise with EXIF, as close under `limit` bytes as a quality step allows:
    the worst case the processing function must handle."""
    import random

    rng = random.Random(7)
    image = Image.frombytes("RGB", (4000, 3000), rng.randbytes(4000 * 3000 * 3))
    best = b""
    for quality in (95, 93, 90, 88, 85, 80, 75):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, exif=identifying_exif())
        if len(out.getvalue()) <= limit:
            best = out.getvalue()
            break
    return best


# ---------------------------------------------------------------- the worst pictures the cleaner accepts

# What each accepted format can hold at most: every mode of it that costs the most memory to decode.
WORST_KINDS = (("JPEG", "RGB"), ("PNG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGB"), ("WEBP", "RGBA"))
ORIENTATIONS = tuple(range(1, 9))


def worst_accepted(kind: str, mode: str, orientation: int) -> bytes:
    """A picture of exactly `MAX_PIXELS` (as 3:2, a phone's shape) with EXIF orientation `orientation`:
    the most the cleaner must decode for that format and mode."""
    from lapor.photos import MAX_PIXELS

    width = int((MAX_PIXELS * 3 / 2) ** 0.5)
    size = (width, MAX_PIXELS // width)
    image = Image.new(mode, size, (90, 120, 200, 160)[: len(mode)])
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2, size[1] // 2), fill=(200, 40, 40, 255)[: len(mode)])
    out = io.BytesIO()
    image.save(out, kind, exif=identifying_exif(orientation=orientation), **({"quality": 50} if kind != "PNG" else {}))
    return out.getvalue()


_MEASURE = """
import json, sys
sys.path[:0] = [sys.argv[1] + "/functions/process_photo", sys.argv[1] + "/shared"]
from cleaner import clean_image
from lapor.photos import PhotoRefused
data = sys.stdin.buffer.read()
try:
    clean = clean_image(data)
    outcome = f"{clean.width}x{clean.height}"
except PhotoRefused as refused:
    outcome = f"refused: {refused.code}"
with open("/proc/self/status", encoding="ascii") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
print(json.dumps({"outcome": outcome, "peak_mb": peak}))
"""


def cleaning_peak(data: bytes, root: Any) -> dict[str, Any]:
    """Clean `data` in a fresh interpreter: its outcome and the peak memory of that process (VmHWM, MB,
    the interpreter and Pillow included), as the photo function would use it."""
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(root)], input=data, capture_output=True, timeout=120, check=True
    )
    return dict(json.loads(done.stdout))
