"""What the public sees of a report's place and of a rejected report (issue 23), without AWS: every public
location rounded to the area by `lapor.views.public_location`, and a rejected report stripped to its status,
dates and reason in both the public view and its Open311 entry."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from lapor.directory import Directory
from lapor.open311 import request_view
from lapor.photos import photo_views
from lapor.shapes import Open311ServiceRequest, PublicReportView
from lapor.views import PUBLIC_DECIMALS, for_agency, public_location, public_view

from tests.conforms import conform

TZ = "Asia/Jakarta"
DIRECTORY = Directory.from_file(Path(__file__).resolve().parents[2] / "infra" / "directory.json")
EXACT = {"lat": -0.95531, "lon": 114.89562, "address": "Jl. Yetro Sinseng"}
TITLE = "Petugas Budi Santoso di loket 3 meminta uang"
DESCRIPTION = "Budi Santoso, tinggal di Jl. Pramuka 17, meminta Rp 50.000 untuk surat keterangan."
REASON = "Bukan pelayanan publik: urusan pribadi antarwarga."


def decimals(number: float) -> int:
    """How many decimal places `number` shows when written as JSON (as every public endpoint writes it)."""
    text = json.dumps(number)
    assert "e" not in text.lower(), text
    return len(text.partition(".")[2])


def stored(status: str = "verified", **changes: Any) -> dict[str, Any]:
    """A stored report item: anonymous, not confidential, at the phone's position (5 decimals)."""
    return {
        "tracking_id": "LPR-7K3M-Q9XD-4T2P",
        "kind": "complaint",
        "category": "kependudukan",
        "agency_id": "disdukcapil-barito-utara",
        "agency_name": "Disdukcapil Barito Utara",
        "status": status,
        "submitted_at": "2026-11-02T01:00:00Z",
        "updated_at": "2026-11-03T01:00:00Z",
        "due_at": None if status == "rejected" else "2026-11-10T10:00:00Z",
        "anonymous": True,
        "confidential": False,
        "title": TITLE,
        "description": DESCRIPTION,
        "location": dict(EXACT),
        "timeline": [
            {"at": "2026-11-02T01:00:00Z", "event": "submitted", "status": "submitted", "actor": "reporter"},
            {
                "at": "2026-11-02T02:00:00Z",
                "event": "verified",
                "status": "verified",
                "actor": "Disdukcapil",
                "message": "Kami periksa laporan tentang Budi Santoso.",
            },
        ],
        **changes,
    }


def rejected() -> dict[str, Any]:
    item = stored("rejected")
    item["timeline"].append(
        {
            "at": "2026-11-03T01:00:00Z",
            "event": "rejected",
            "status": "rejected",
            "actor": "Disdukcapil",
            "message": REASON,
        }
    )
    item["attachments"] = {
        "a1": {"id": "a1", "author": "reporter", "status": "stored", "created_at": "2026-11-02T01:01:00Z"}
    }
    return item


def test_public_location_rounds_to_the_area_and_keeps_the_address() -> None:
    assert PUBLIC_DECIMALS == 3  # about 110 m: the area, not the doorstep
    assert public_location(EXACT) == {"lat": -0.955, "lon": 114.896, "address": "Jl. Yetro Sinseng"}
    assert public_location({"address": "Pasar Muara Teweh"}) == {"address": "Pasar Muara Teweh"}
    assert public_location({"lat": 90, "lon": -180}) == {"lat": 90.0, "lon": -180.0}
    assert public_location(None) is None
    assert EXACT == {"lat": -0.95531, "lon": 114.89562, "address": "Jl. Yetro Sinseng"}  # the stored one untouched


def test_no_rounded_coordinate_shows_more_than_three_decimals_or_moves_more_than_half_a_step() -> None:
    rng = random.Random(23)
    points = [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(5000)]
    points += [(-0.95531, 114.89562), (0.0005, -0.0005), (1e-9, 179.99951), (-89.99949, 1.0000000001)]
    for lat, lon in points:
        shown = public_location({"lat": lat, "lon": lon})
        assert shown is not None
        for exact, rounded in ((lat, shown["lat"]), (lon, shown["lon"])):
            assert rounded is not None and decimals(rounded) <= PUBLIC_DECIMALS, (exact, rounded)
            assert abs(rounded - exact) <= 0.5 * 10**-PUBLIC_DECIMALS + 1e-12


def test_the_public_view_shows_the_area_and_the_agency_the_exact_point() -> None:
    view = public_view(stored(), TZ, [])
    conform(PublicReportView, json.dumps(view))
    assert view["location"] == {"lat": -0.955, "lon": 114.896, "address": "Jl. Yetro Sinseng"}
    assert not re.search(r"\d\.\d{4}", json.dumps(view["location"]))
    assert for_agency(stored(), TZ, {}, [])["location"] == EXACT


def test_the_open311_entry_shows_the_area() -> None:
    entry = request_view(stored(), DIRECTORY)
    conform(Open311ServiceRequest, json.dumps(entry))
    assert (entry["lat"], entry["long"], entry["address"]) == (-0.955, 114.896, "Jl. Yetro Sinseng")
    assert entry["description"] == DESCRIPTION


def test_a_rejected_reports_public_view_holds_status_dates_and_reason_only() -> None:
    view = public_view(rejected(), TZ, photo_views(rejected(), "public", TZ))
    conform(PublicReportView, json.dumps(view))
    assert "title" not in view and "description" not in view and "location" not in view
    assert view["photos"] == []
    assert view["status"] == "rejected" and view["submitted_at"] and view["updated_at"]
    assert [(e["event"], e["message"]) for e in view["timeline"]] == [
        ("submitted", None),
        ("verified", None),  # an earlier message may quote what is withheld
        ("rejected", REASON),
    ]
    text = json.dumps(view)
    for withheld in ("Budi", "Pramuka", "Yetro", "114.8", "-0.95"):
        assert withheld not in text, withheld
    agency = for_agency(rejected(), TZ, {}, [])  # the agency still sees everything
    assert agency["title"] == TITLE and agency["location"] == EXACT


def test_a_private_rejection_reason_stays_private() -> None:
    item = rejected()
    item["timeline"][-1]["private"] = True
    assert public_view(item, TZ, [])["timeline"][-1]["message"] is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_rejected_reports_open311_entry_has_no_description_or_location(fmt: str) -> None:
    from lapor.http import xml_document

    entry = request_view(rejected(), DIRECTORY)
    conform(Open311ServiceRequest, json.dumps(entry))
    assert entry["status"] == "closed" and entry["status_notes"] == "Laporan ditolak."
    assert entry["description"] is None and entry["address"] is None and entry["media_url"] is None
    assert entry["lat"] is None and entry["long"] is None
    assert entry["requested_datetime"] and entry["updated_datetime"]
    text = json.dumps(entry) if fmt == "json" else xml_document("service_requests", [entry])
    for withheld in ("Budi", "Pramuka", "Yetro", "114.8", "-0.95"):
        assert withheld not in text, withheld
