"""A printable A4 poster for one agency: its name, how to report, the QR code, and the three promises.

Plain SVG in millimetres with system fonts and the QR code as a vector path, so any browser or print shop
prints it sharp at any size, and nothing is fetched from anywhere.
"""

from __future__ import annotations

import textwrap
from html import escape
from pathlib import Path

from lapor import qr
from lapor.directory import Directory

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[1] / "directory.json"

WIDTH, HEIGHT, MARGIN = 210, 297, 15  # A4 portrait, mm
QR_SIZE = 105
FONT = "DejaVu Sans, Noto Sans, Arial, Helvetica, sans-serif"
RED, INK, MUTED = "#a4161a", "#1b1b1b", "#4f4f4f"

HEADING = "Sampaikan laporan Anda"
SUBHEADING = "Pengaduan · Aspirasi · Permintaan informasi"
HOW_TO = (
    "Pindai kode QR ini dengan kamera ponsel, isi formulirnya, lalu simpan Tracking ID Anda untuk memantau "
    "tindak lanjut laporan."
)
PROMISES = (
    ("Anonim", "Anda boleh melapor tanpa nama; identitas Anda tidak diminta dan tidak disimpan."),
    ("Rahasia", "Isi laporan dapat dirahasiakan; hanya instansi yang menangani yang dapat membacanya."),
    ("Tracking ID", "Setiap laporan mendapat Tracking ID untuk memantau tindak lanjutnya secara langsung."),
)
FOOTER = "Layanan ini gratis. Setiap laporan wajib ditindaklanjuti sesuai prosedur."


def _lines(text: str, size: float, width: float) -> list[str]:
    """Wrap `text` for a `size` mm font into `width` mm (an average glyph is a little over half as wide as tall)."""
    return textwrap.wrap(text, max(10, int(width / (size * 0.56))))


def _text(x: float, y: float, size: float, lines: list[str], **style: str) -> tuple[str, float]:
    """A block of lines starting at baseline `y`; returns the SVG and the baseline after the block."""
    attrs = " ".join(f'{name.replace("_", "-")}="{escape(value)}"' for name, value in style.items())
    spans = "".join(
        f'<tspan x="{x}" y="{y + i * size * 1.3:.1f}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text font-size="{size}" {attrs}>{spans}</text>', y + len(lines) * size * 1.3


def poster_svg(agency_name: str, url: str) -> str:
    """The poster as an SVG document: `url` is what its QR code opens."""
    centre, inner = WIDTH / 2, WIDTH - 2 * MARGIN
    parts = [
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<rect width="{WIDTH}" height="46" fill="{RED}"/>',
    ]
    heading, _ = _text(centre, 22, 12, [HEADING], fill="#fff", font_weight="bold", text_anchor="middle")
    sub, _ = _text(centre, 35, 6, [SUBHEADING], fill="#fff", text_anchor="middle")
    name, y = _text(
        centre, 62, 7.5, _lines(agency_name, 7.5, inner), fill=INK, font_weight="bold", text_anchor="middle"
    )
    how, y = _text(centre, y + 3, 5, _lines(HOW_TO, 5, inner), fill=INK, text_anchor="middle")
    parts += [heading, sub, name, how]

    path, modules = qr.svg_path(url)
    top = y + 1
    scale = QR_SIZE / modules
    parts.append(
        f'<g transform="translate({centre - QR_SIZE / 2:.2f} {top:.2f}) scale({scale:.5f})">'
        f'<rect width="{modules}" height="{modules}" fill="#fff"/><path d="{path}" fill="#000"/></g>'
    )
    url_size = min(4.0, inner / (len(url) * 0.6))
    link, y = _text(
        centre, top + QR_SIZE + 5, url_size, [url], fill=MUTED, text_anchor="middle", font_family="monospace"
    )
    parts.append(link)

    y += 4
    for title, sentence in PROMISES:
        parts.append(f'<rect x="{MARGIN}" y="{y:.1f}" width="3" height="15" fill="{RED}"/>')
        block, _ = _text(MARGIN + 7, y + 5.5, 5.5, [title], fill=INK, font_weight="bold")
        body, _ = _text(MARGIN + 7, y + 11.5, 4.2, _lines(sentence, 4.2, inner - 7)[:2], fill=INK)
        parts += [block, body]
        y += 21
    footer, _ = _text(centre, HEIGHT - 10, 4.2, [FOOTER], fill=MUTED, text_anchor="middle")
    parts.append(footer)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}mm" height="{HEIGHT}mm" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}">' + "".join(parts) + "</svg>\n"
    )


def write_poster(agency_id: str, out: Path, base_url: str, directory_path: Path | None = None) -> None:
    """Write the A4 SVG poster of `agency_id` to `out`; its QR code opens the landing page at `base_url`.

    Raises KeyError (naming the known ids) when the directory has no such agency.
    """
    directory = Directory.from_file(directory_path or DEFAULT_DIRECTORY)
    agency = directory.agency(agency_id)
    if agency is None:
        raise KeyError(f"no agency {agency_id!r} in the directory; known: {', '.join(sorted(directory.agencies))}")
    url = qr.agency_url(base_url.rstrip("/"), agency.id)
    out.write_text(poster_svg(agency.name, url), encoding="utf-8")
