"""QR codes and the poster: what each code opens, decoded the way a phone would (zxing-cpp), and the A4 poster."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from lapor import qr
from lapor.ids import tracking_url
from lapor_local.poster import write_poster

from tests.conftest import ROOT
from tests.qrdecode import read_qr_codes

SVG = "{http://www.w3.org/2000/svg}"
BASE = "https://lapor.baritoutarakab.go.id"


def test_a_posters_code_opens_the_landing_page_for_its_agency_from_a_qr_scan() -> None:
    assert qr.agency_url(BASE, "dpupr-barito-utara") == f"{BASE}/?agency=dpupr-barito-utara&channel=qr"
    assert qr.agency_url(BASE, "a&b c") == f"{BASE}/?agency=a%26b%20c&channel=qr"


def test_a_receipts_code_opens_the_tracking_page() -> None:
    assert tracking_url(BASE, "LPR-7KQ2-M9XD-3FHW") == f"{BASE}/track/LPR-7KQ2-M9XD-3FHW"


@pytest.mark.parametrize(
    "url",
    [qr.agency_url(BASE, "disdukcapil-barito-utara"), tracking_url("http://127.0.0.1:3000", "LPR-7KQ2-M9XD-3FHW")],
)
def test_the_png_decodes_to_the_url_and_stays_small(url: str, tmp_path: Path) -> None:
    png = qr.png(url)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) < 2000
    assert read_qr_codes(png) == [url]


def test_the_svg_is_one_path_on_white_in_module_units() -> None:
    url = qr.agency_url(BASE, "dpupr-barito-utara")
    document = ET.fromstring(qr.svg(url))
    path, side = qr.svg_path(url)
    assert document.tag == f"{SVG}svg"
    assert document.get("viewBox") == f"0 0 {side} {side}"
    assert [child.tag for child in document] == [f"{SVG}rect", f"{SVG}path"]
    assert document[0].get("fill") == "white"
    assert document[1].get("d") == path
    assert "http" not in path  # nothing to fetch: the drawing is all there is


def test_the_poster_is_an_a4_svg_with_the_agency_how_to_report_the_code_and_the_three_promises(tmp_path: Path) -> None:
    out = tmp_path / "poster.svg"
    write_poster("disdukcapil-barito-utara", out, BASE + "/")
    document = ET.fromstring(out.read_text(encoding="utf-8"))
    assert (document.get("width"), document.get("height"), document.get("viewBox")) == ("210mm", "297mm", "0 0 210 297")
    text = " ".join(" ".join(node.itertext()) for node in document.iter(f"{SVG}text"))
    assert "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Barito Utara" in text
    assert "Pindai kode QR" in text
    for promise in ("Anonim", "Rahasia", "Tracking ID"):
        assert promise in text
    url = f"{BASE}/?agency=disdukcapil-barito-utara&channel=qr"
    assert url in text  # printed under the code for people who type it in
    assert qr.svg_path(url)[0] in [node.get("d") for node in document.iter(f"{SVG}path")]
    assert not [node for node in document.iter() if node.tag in (f"{SVG}image", f"{SVG}use", f"{SVG}script")]


def test_the_poster_reads_the_agency_from_the_given_directory(tmp_path: Path) -> None:
    data = json.loads((ROOT / "infra" / "directory.json").read_text(encoding="utf-8"))
    data["agencies"][0]["name"] = "Kantor Uji Poster"
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "poster.svg"
    write_poster(data["agencies"][0]["id"], out, BASE, directory)
    assert "Kantor Uji Poster" in out.read_text(encoding="utf-8")


def test_the_poster_refuses_an_unknown_agency_and_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="dpupr-barito-utara"):
        write_poster("no-such-agency", tmp_path / "poster.svg", BASE)
    assert not (tmp_path / "poster.svg").exists()
