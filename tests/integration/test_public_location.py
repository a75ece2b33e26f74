"""Issue 23 on moto, through the handlers: a report's exact point never reaches a public route, and a rejected
report's content leaves every public route. The public routes are the public lookup (track_report) and
Open311's listing and single request, each in JSON and XML; the agency route still shows the exact point."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree

import pytest

from tests import photos
from tests.conftest import load_function
from tests.events import valid_submission
from tests.integration.conftest import Api, claims
from tests.integration.test_photos import send, visibility

EXACT = {"lat": -0.95531, "lon": 114.89562}  # what "Gunakan lokasi saya" sends: the phone's position to ~1 m
AREA = {"lat": -0.955, "lon": 114.896}
TITLE = "Tetangga Budi Santoso membuang sampah ke sungai"
DESCRIPTION = "Budi Santoso di Jl. Pramuka 17 membuang sampah rumah tangga ke sungai setiap malam."
ADDRESS = "Dekat jembatan Pramuka"
REASON = "Bukan pelayanan publik: sengketa antarwarga."
# A number with more than 3 decimals anywhere in a body (JSON or XML text).
PRECISE = re.compile(r"\d\.\d{4,}")


@pytest.fixture
def public_api(api: Api) -> Api:
    api.modules["open311"] = load_function("open311")
    api.modules["process_photo"] = load_function("process_photo")
    return api


def anonymous_report(api: Api) -> dict[str, Any]:
    body = valid_submission(
        title=TITLE,
        description=DESCRIPTION,
        anonymous=True,
        reporter=None,
        location={**EXACT, "address": ADDRESS},
    )
    return api.submit(body)


def open311(api: Api, resource: str, **kwargs: Any) -> Any:
    status, body, _ = api.call("open311", "GET", resource, **kwargs)
    assert status == 200, body
    return body


def public_bodies(api: Api, tracking_id: str) -> dict[str, str]:
    """Every public route's body for this report, as text, by route."""
    single = {"path_params": {"request_file": ""}}
    bodies = {"GET /reports/{id}": json.dumps(api.public(tracking_id))}
    for fmt in ("json", "xml"):
        listed = open311(api, f"/open311/v2/requests.{fmt}", query={"service_request_id": tracking_id})
        single["path_params"]["request_file"] = f"{tracking_id}.{fmt}"
        one = open311(api, "/open311/v2/requests/{request_file}", **single)
        everything = open311(api, f"/open311/v2/requests.{fmt}")
        if fmt == "json":
            listed, one, everything = json.dumps(listed), json.dumps(one), json.dumps(everything)
        assert tracking_id in listed and tracking_id in one and tracking_id in everything
        bodies[f"requests.{fmt}?service_request_id"] = listed
        bodies[f"requests/{{id}}.{fmt}"] = one
        bodies[f"requests.{fmt}"] = everything
    return bodies


def open311_entries(api: Api, tracking_id: str) -> list[dict[str, Any]]:
    """This report's Open311 entry from the listing and from requests/{id}, in JSON and in XML."""
    entries = []
    for fmt in ("json", "xml"):
        one = open311(api, "/open311/v2/requests/{request_file}", path_params={"request_file": f"{tracking_id}.{fmt}"})
        listed = open311(api, f"/open311/v2/requests.{fmt}")
        for body in (one, listed):
            if fmt == "json":
                entries += [e for e in body if e["service_request_id"] == tracking_id]
            else:
                for request in ElementTree.fromstring(body.encode("utf-8")).findall("request"):
                    if request.findtext("service_request_id") == tracking_id:
                        entries.append({child.tag: child.text for child in request})
    assert len(entries) == 4
    return entries


def test_an_anonymous_reports_exact_point_reaches_the_agency_only(public_api: Api) -> None:
    tid = anonymous_report(public_api)["tracking_id"]
    assert public_api.public(tid)["location"] == {**AREA, "address": ADDRESS}
    for route, body in public_bodies(public_api, tid).items():
        assert not PRECISE.search(body), f"{route}: {PRECISE.search(body)}"
        assert "-0.955" in body and "114.896" in body, route  # the area is shown, not dropped
        assert "-0.9553" not in body and "114.8956" not in body, route
    for entry in open311_entries(public_api, tid):
        assert float(entry["lat"]) == AREA["lat"] and float(entry["long"]) == AREA["lon"]
    status, view, _ = public_api.agency(claims("dpupr-barito-utara"), "GET", "/agency/reports/{tracking_id}", tid)
    assert status == 200 and view["location"] == {**EXACT, "address": ADDRESS}


def test_a_rejected_report_shows_the_public_its_status_dates_and_reason_only(public_api: Api) -> None:
    receipt = anonymous_report(public_api)
    tid = receipt["tracking_id"]
    officer = claims("dpupr-barito-utara")
    public_api.act(officer, tid, action="verify", message="Laporan tentang Budi Santoso kami periksa.")
    photo = send(public_api, receipt, photos.phone_jpeg())
    assert visibility(public_api, officer, receipt, photo["id"], True)[0] == 200  # an officer shows it
    shown = public_api.public(tid)
    assert shown["title"] == TITLE and len(shown["photos"]) == 1  # public while verified
    status, _, _ = public_api.act(officer, tid, action="reject", message=REASON)
    assert status == 200

    view = public_api.public(tid)
    assert view["status"] == "rejected" and view["submitted_at"] and view["updated_at"]
    assert {"title", "description", "location"}.isdisjoint(view) and view["photos"] == []
    assert [e["message"] for e in view["timeline"] if e["event"] == "rejected"] == [REASON]
    for entry in open311_entries(public_api, tid):
        assert entry["status"] == "closed" and entry["requested_datetime"] and entry["updated_datetime"]
        for field in ("description", "address", "lat", "long", "media_url"):
            assert entry[field] is None, (field, entry[field])
    for route, body in public_bodies(public_api, tid).items():
        for withheld in ("Budi", "Pramuka", "sampah", "114.8", "-0.95", "photos/"):
            assert withheld not in body, f"{route}: {withheld}"
    status, agency, _ = public_api.agency(officer, "GET", "/agency/reports/{tracking_id}", tid)
    assert agency["title"] == TITLE and agency["location"]["lat"] == EXACT["lat"] and len(agency["photos"]) == 1
