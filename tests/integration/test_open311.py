"""Open311 GeoReport v2 on moto, in process: services, filing with a partner key, public listing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest

from tests.conftest import load_function
from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims

DESCRIPTION = "Lampu jalan di depan pasar Muara Teweh mati sejak seminggu, gelap sekali di malam hari."


@pytest.fixture
def open311_api(api: Api) -> Api:
    api.modules["open311"] = load_function("open311")
    api.modules["open311_submit"] = load_function("open311_submit")
    return api


@pytest.fixture
def api_key(aws: Aws) -> str:
    from lapor.open311 import create_partner_key

    return create_partner_key("FixMyStreet Barito Utara")[1]


def get(api: Api, resource: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
    return api.call("open311", "GET", resource, **kwargs)


def post(api: Api, fmt: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, Any, dict]:
    return api.call(
        "open311_submit",
        "POST",
        f"/open311/v2/requests.{fmt}",
        body=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )


def form(api_key: str, **fields: str) -> dict[str, str]:
    return {
        "api_key": api_key,
        "service_code": "jalan-jembatan",
        "description": DESCRIPTION,
        "lat": "-0.9553",
        "long": "114.8956",
        **fields,
    }


def xml(text: str) -> ElementTree.Element:
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(text.encode("utf-8"))


def test_services_are_the_categories_with_their_agency_in_json_and_xml(open311_api: Api) -> None:
    status, services, headers = get(open311_api, "/open311/v2/services.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    roads = next(s for s in services if s["service_code"] == "jalan-jembatan")
    assert roads["service_name"] == "Jalan dan Jembatan" and roads["type"] == "realtime" and roads["metadata"] is True
    assert roads["group"] == "Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten Barito Utara"
    assert {s["service_code"] for s in services} == {"jalan-jembatan", "kesehatan", "kependudukan", "lainnya"}
    status, text, headers = get(open311_api, "/open311/v2/services.xml")
    assert status == 200 and headers["Content-Type"] == "text/xml; charset=utf-8"
    root = xml(text)
    assert root.tag == "services" and len(root.findall("service")) == 4
    assert root.find("service/metadata").text == "true"  # type: ignore[union-attr]


def test_service_definition_offers_kind_title_anonymous_and_confidential(open311_api: Api) -> None:
    status, definition, _ = get(
        open311_api, "/open311/v2/services/{service_file}", path_params={"service_file": "kesehatan.json"}
    )
    assert status == 200 and definition["service_code"] == "kesehatan"
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert [v["key"] for v in attributes["kind"]["values"]] == ["complaint", "aspiration", "information_request"]
    assert attributes["kind"]["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attributes["confidential"]["values"]} == {"true", "false"}
    assert set(attributes) == {"kind", "title", "anonymous", "confidential"}
    status, text, _ = get(
        open311_api, "/open311/v2/services/{service_file}", path_params={"service_file": "kesehatan.xml"}
    )
    root = xml(text)
    assert root.tag == "service_definition" and len(root.findall("attributes/attribute")) == 4
    assert [v.text for v in root.findall("attributes/attribute/values/value/key")][:3] == [
        "complaint",
        "aspiration",
        "information_request",
    ]


@pytest.mark.parametrize(
    ("service_file", "query"),
    [
        ("tidak-ada.json", None),
        ("kesehatan.html", None),
        ("kesehatan", None),
        ("kesehatan.json", {"jurisdiction_id": "x"}),
    ],
)
def test_unknown_services_formats_and_jurisdictions_are_404_in_open311_errors(
    open311_api: Api, service_file: str, query: dict[str, str] | None
) -> None:
    status, body, headers = get(
        open311_api, "/open311/v2/services/{service_file}", path_params={"service_file": service_file}, query=query
    )
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert [e["code"] for e in body] == [404] and body[0]["description"]


def test_discovery_points_at_this_endpoint(open311_api: Api) -> None:
    status, found, _ = get(open311_api, "/open311/v2/discovery.json")
    assert status == 200
    (endpoint,) = found["endpoints"]
    assert endpoint["url"] == "https://lapor.test/open311/v2" and endpoint["specification"].endswith("GeoReport_v2")
    root = xml(get(open311_api, "/open311/v2/discovery.xml")[1])
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]


def test_filing_needs_a_known_unrevoked_key_and_counts_each_use(open311_api: Api, aws: Aws) -> None:
    from lapor.open311 import create_partner_key, partner_keys, revoke_partner_key

    no_key = {k: v for k, v in form("").items() if k != "api_key"}
    for fields in (no_key, form(""), form("o311_not-a-key")):
        status, errors, _ = post(open311_api, "json", fields)
        assert status == 403 and errors == [{"code": 403, "description": errors[0]["description"]}]
    status, text, _ = post(open311_api, "xml", form("o311_wrong"))
    root = xml(text)
    assert status == 403 and root.tag == "errors" and root.find("error/code").text == "403"  # type: ignore[union-attr]
    key_id, key = create_partner_key("Aplikasi Warga")
    assert post(open311_api, "json", form(key))[0] == 201
    assert post(open311_api, "json", form(key, description="pendek"))[0] == 400  # a use, though refused
    (record,) = [r for r in partner_keys() if r["key_id"] == key_id]
    assert record["uses"] == 2 and record["revoked_at"] is None and key not in json.dumps(partner_keys())
    assert revoke_partner_key(key_id) and not revoke_partner_key(key_id)
    assert post(open311_api, "json", form(key))[0] == 403
    stored = str(aws.raw_items())
    assert key not in stored  # only its hash


def test_a_filed_request_is_a_report_like_any_other(open311_api: Api, aws: Aws, api_key: str) -> None:
    fields = form(api_key, email="siti@example.org", first_name="Siti", last_name="Rahma", address_string="Jl. Pasar")
    status, (answer,), headers = post(open311_api, "json", fields)
    assert status == 201 and headers["Cache-Control"] == "no-store"
    tid = answer["service_request_id"]
    assert answer["access_code"] and answer["tracking_url"].endswith(f"/track/{tid}") and answer["account_id"] is None
    officer = claims("dpupr-barito-utara")
    status, view, _ = open311_api.agency(officer, "GET", "/agency/reports/{tracking_id}", tid)
    assert status == 200 and view["channel"] == "open311" and view["kind"] == "complaint"
    assert view["reporter"] == {"name": "Siti Rahma", "email": "siti@example.org"} and not view["anonymous"]
    assert view["title"] == "Lampu jalan di depan pasar Muara Teweh mati sejak seminggu, gelap sekali di"
    assert view["location"] == {"lat": -0.9553, "lon": 114.8956, "address": "Jl. Pasar"}
    assert view["agency"]["id"] == "dpupr-barito-utara" and view["due_at"]
    # The same notification as POST /reports
    assert [m["type"] for m in aws.messages()] == ["report.submitted"]
    # The reporter's contact is sealed like any other
    assert "siti@example.org" not in str(aws.raw_items())
    # The access code works on the reporter's view
    status, mine, _ = open311_api.reporter("GET", "/reports/{tracking_id}/private", tid, answer["access_code"])
    assert status == 200 and mine["reporter"]["name"] == "Siti Rahma"


def test_form_fields_choose_kind_title_anonymity_and_confidentiality(open311_api: Api, api_key: str) -> None:
    officer = claims("dinkes-barito-utara")
    fields = form(
        api_key, service_code="kesehatan", **{"attribute[kind]": "aspiration", "attribute[title]": "Jam buka puskesmas"}
    )
    (answer,) = post(open311_api, "json", fields)[1]
    view = open311_api.agency(officer, "GET", "/agency/reports/{tracking_id}", answer["service_request_id"])[1]
    assert view["kind"] == "aspiration" and view["title"] == "Jam buka puskesmas" and view["anonymous"]
    assert "reporter" not in view
    secret = form(
        api_key,
        service_code="kesehatan",
        phone="+6281234567890",
        first_name="Budi",
        **{"attribute[confidential]": "true"},
    )
    (answer,) = post(open311_api, "json", secret)[1]
    view = open311_api.agency(officer, "GET", "/agency/reports/{tracking_id}", answer["service_request_id"])[1]
    assert view["confidential"] and view["reporter"] == {"name": "Budi", "phone": "+6281234567890"}


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"description": "terlalu pendek"}, ["description"]),
        ({"lat": "utara"}, ["lat"]),
        ({"lat": "95", "long": "114"}, ["lat"]),
        ({"service_code": "tidak-ada"}, ["service_code"]),
        ({"email": "siti@example.org"}, ["first_name"]),
        ({"first_name": "Siti"}, ["email"]),
        ({"email": "x@y.z", "first_name": "Siti", "attribute[anonymous]": "true"}, ["attribute[anonymous]"]),
        ({"email": "x@y.z", "first_name": "S", "last_name": "R"}, ["first_name", "last_name"]),
        ({"lat": "1e1", "long": "114"}, ["lat"]),
        ({"attribute[kind]": "praise"}, ["attribute[kind]"]),
        ({"media_url": "https://example.org/a.jpg"}, ["media_url"]),
        ({"favourite_colour": "blue"}, ["favourite_colour"]),
        ({"attribute[colour]": "blue"}, ["attribute[colour]"]),
    ],
)
def test_fields_that_are_not_valid_are_400_one_error_each(
    open311_api: Api, aws: Aws, api_key: str, fields: dict[str, str], where: list[str]
) -> None:
    status, errors, _ = post(open311_api, "json", form(api_key, **fields))
    assert status == 400
    assert [e["description"].split(":")[0] for e in errors] == where and {e["code"] for e in errors} == {400}
    assert not [i for i in aws.raw_items() if i["pk"]["S"].startswith("REPORT#")]


def test_location_is_required_and_another_jurisdiction_is_404(open311_api: Api, api_key: str) -> None:
    nowhere = {k: v for k, v in form(api_key).items() if k not in ("lat", "long")}
    status, errors, _ = post(open311_api, "json", nowhere)
    assert status == 400 and errors[0]["description"].startswith("address_string")
    assert post(open311_api, "json", form(api_key, jurisdiction_id="jakarta.go.id"))[0] == 404
    assert post(open311_api, "json", form(api_key, jurisdiction_id="baritoutarakab.go.id"))[0] == 201


def test_a_retry_with_the_same_idempotency_key_files_nothing_new(open311_api: Api, aws: Aws, api_key: str) -> None:
    headers = {"Idempotency-Key": "7d0c1f84-4b9a-4c55-9a59-0d3f1c7b1e42"}
    first = post(open311_api, "json", form(api_key), headers)[1][0]
    again = post(open311_api, "xml", form(api_key), headers)
    assert xml(again[1]).find("request/service_request_id").text == first["service_request_id"]  # type: ignore[union-attr]
    assert post(open311_api, "json", form(api_key, description=DESCRIPTION + " Tambahan."), headers)[0] == 400
    assert len([i for i in aws.raw_items() if i["pk"]["S"].startswith("REPORT#")]) == 1


def test_listing_shows_public_reports_only_and_follows_them_to_closed(open311_api: Api, aws: Aws, api_key: str) -> None:
    public = post(open311_api, "json", form(api_key))[1][0]["service_request_id"]
    secret = post(open311_api, "json", form(api_key, **{"attribute[confidential]": "true"}))[1][0]["service_request_id"]
    health = post(open311_api, "json", form(api_key, service_code="kesehatan"))[1][0]["service_request_id"]
    status, listed, _ = get(open311_api, "/open311/v2/requests.json")
    assert status == 200 and {r["service_request_id"] for r in listed} == {health, public}
    item = next(r for r in listed if r["service_request_id"] == public)
    assert item["status"] == "open" and item["status_notes"].startswith("Laporan diterima")
    assert item["description"] == DESCRIPTION and item["lat"] == -0.955 and item["long"] == 114.896  # the area
    assert item["agency_responsible"].startswith("Dinas Pekerjaan Umum") and item["expected_datetime"].endswith(
        "+07:00"
    )
    assert set(item) >= {"requested_datetime", "updated_datetime", "service_name", "address", "media_url"}
    for query in (
        {"service_request_id": f"{public},{secret}"},
        {"status": "open,closed"},
        {"service_code": "jalan-jembatan"},
    ):
        found = get(open311_api, "/open311/v2/requests.json", query=query)[1]
        assert secret not in json.dumps(found) and public in json.dumps(found)
    assert (
        get(open311_api, "/open311/v2/requests.json", query={"service_code": "kesehatan"})[1][0]["service_request_id"]
        == health
    )
    assert get(open311_api, "/open311/v2/requests.json", query={"status": "closed"})[1] == []
    for tid, fmt in ((secret, "json"), (secret, "xml"), ("LPR-0000-0000-0000", "json"), ("nonsense", "json")):
        status, body, _ = get(
            open311_api, "/open311/v2/requests/{request_file}", path_params={"request_file": f"{tid}.{fmt}"}
        )
        assert status == 404 and (xml(body).tag == "errors" if fmt == "xml" else body[0]["code"] == 404)
    officer = claims("dpupr-barito-utara")
    open311_api.act(officer, public, action="verify")
    open311_api.act(officer, public, action="respond", message="Lampu sudah diganti petugas.")
    one = get(open311_api, "/open311/v2/requests/{request_file}", path_params={"request_file": f"{public}.json"})[1]
    assert one[0]["status"] == "open"
    assert one[0]["status_notes"] == "Instansi sudah menanggapi laporan."
    open311_api.act(officer, public, action="close")
    closed = get(open311_api, "/open311/v2/requests.json", query={"status": "closed"})[1]
    assert [r["service_request_id"] for r in closed] == [public]
    assert closed[0]["status_notes"] == "Laporan selesai dan ditutup."
    root = xml(
        get(open311_api, "/open311/v2/requests/{request_file}", path_params={"request_file": f"{public}.xml"})[1]
    )
    assert root.tag == "service_requests" and root.find("request/status").text == "closed"  # type: ignore[union-attr]
    assert [
        r["service_request_id"] for r in get(open311_api, "/open311/v2/requests.json", query={"status": "open"})[1]
    ] == [health]


@pytest.mark.parametrize(
    "query",
    [
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        {"start_date": "2026-06-01"},
        {"start_date": "9999-12-31T00:00:00Z"},
        {"status": "pending"},
        {"status": "open "},
        {"service_code": "tidak-ada"},
        {"service_request_id": ","},
        {"lat": "-0.9553"},
        {"long": "114.8956"},
        {"lat": "-95", "long": "114.8956"},
        {"lat": "-0.9553", "long": "114.8956", "radius": "1001"},
        {"lat": "-0.9553", "long": "114.8956", "radius": "0"},
        {"lat": "-0.9553", "long": "114.8956", "status": "closed"},
        {"radius": "500"},
    ],
)
def test_queries_that_are_not_valid_are_400(open311_api: Api, query: dict[str, str]) -> None:
    status, errors, _ = get(open311_api, "/open311/v2/requests.json", query=query)
    assert status == 400 and errors[0]["code"] == 400


def test_nothing_listed_carries_reporter_data_and_the_index_holds_none(
    open311_api: Api, aws: Aws, api_key: str
) -> None:
    post(open311_api, "json", form(api_key, email="siti@example.org", first_name="Siti", phone="+6281234567890"))
    listed = json.dumps(get(open311_api, "/open311/v2/requests.json")[1])
    assert "siti" not in listed.lower() and "6281234567890" not in listed
    ddb = aws.client("dynamodb")
    for index, key, value in (
        ("public", "public_pk", "PUBLIC#open"),
        ("public_service", "service_pk", "PUBLIC#jalan-jembatan#open"),
    ):
        (item,) = ddb.query(
            TableName=aws.reports_table,
            IndexName=index,
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": key},
            ExpressionAttributeValues={":v": {"S": value}},
        )["Items"]
        assert "sealed" not in item and "access_code_hash" not in item and "tracking_id" in item


def test_a_listing_reads_only_about_what_it_lists(
    open311_api: Api, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lapor import open311, store

    for n in range(12):
        post(open311_api, "json", form(api_key, service_code=("kesehatan", "jalan-jembatan")[n % 2]))
    monkeypatch.setattr(open311, "MAX_LISTED", 5)
    read = store.ReadCount()
    listed = open311.find_requests({}, read=read)
    assert len(listed) == 5 and read.items <= 5 + 1  # the other partition's (empty) page
    assert [r["requested_datetime"] for r in listed] == sorted((r["requested_datetime"] for r in listed), reverse=True)


def test_each_report_names_the_partner_key_that_filed_it_and_each_key_counts_its_reports(
    open311_api: Api, aws: Aws
) -> None:
    """Second audit, item 9: a partner's spam can be found (agency view, CSV) and counted (`open311-key list`)."""
    import csv
    import io

    from lapor.open311 import create_partner_key, partner_keys

    key_id, key = create_partner_key("Aplikasi Warga")
    headers = {"Idempotency-Key": "3f0c1f84-4b9a-4c55-9a59-0d3f1c7b1e42"}
    filed = post(open311_api, "json", form(key), headers)[1][0]["service_request_id"]
    assert post(open311_api, "xml", form(key), headers)[0] == 201  # a replay: no new report, not counted
    assert post(open311_api, "json", form(key, description="pendek"))[0] == 400  # a use, no report
    web = open311_api.submit(valid_submission())["tracking_id"]
    officer = claims("dpupr-barito-utara")
    view = open311_api.agency(officer, "GET", "/agency/reports/{tracking_id}", filed)[1]
    assert view["open311_key_id"] == key_id and view["channel"] == "open311"
    assert open311_api.agency(officer, "GET", "/agency/reports/{tracking_id}", web)[1]["open311_key_id"] is None
    status, text, _ = open311_api.agency(officer, "GET", "/agency/reports.csv")
    rows = {row["tracking_id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert status == 200 and rows[filed]["open311_key_id"] == key_id and rows[web]["open311_key_id"] == ""
    (record,) = [r for r in partner_keys() if r["key_id"] == key_id]
    assert (record["uses"], record["reports"]) == (3, 1)


def test_requests_near_a_point_come_nearest_first_from_the_nearby_index(open311_api: Api, api_key: str) -> None:
    from lapor import geo, store
    from lapor.open311 import find_requests

    # Given open road reports about 110 m and 890 m north of a point, one 1,500 m away, a closed one at 110 m
    # and a health report at 110 m
    def at(north_m: float, **overrides: Any) -> str:
        location = {"lat": round(-0.955 + north_m / geo.METRES_PER_DEGREE, 3), "lon": 114.896}
        return str(open311_api.submit(valid_submission(location=location, **overrides))["tracking_id"])

    far = at(890)
    near = at(110)
    at(1500)
    closed = at(110)
    assert open311_api.act(claims("dpupr-barito-utara"), closed, action="reject", message="Ganda.")[0] == 200
    health = at(110, category="kesehatan", agency_id="dinkes-barito-utara")
    point = {"lat": "-0.955", "long": "114.896"}
    # When a client lists requests near the point, Then the open ones within the radius come, nearest first
    listed = get(open311_api, "/open311/v2/requests.json", query={**point, "service_code": "jalan-jembatan"})[1]
    assert [r["service_request_id"] for r in listed] == [near, far]
    assert [r["service_request_id"] for r in get(open311_api, "/open311/v2/requests.json", query=point)[1]] == [
        *sorted([near, health]),
        far,
    ]
    narrow = get(open311_api, "/open311/v2/requests.xml", query={**point, "radius": "500"})[1]
    assert sorted(e.text for e in xml(narrow).iter("service_request_id")) == sorted([near, health])
    # And it reads the nearby index only: at most 4 cells, about what it lists
    read = store.ReadCount()
    assert len(find_requests({**point, "service_code": "jalan-jembatan"}, read=read)) == 2
    assert read.items == 3  # the two listed and the one 1,500 m away in the same cells
