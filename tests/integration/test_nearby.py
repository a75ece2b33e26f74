"""Issue 27 on moto, through the handlers: "Sudah dilaporkan?" lists exactly the open public reports of the
category within 250 m, nearest first, from the nearby index (never a scan), and none that is confidential,
closed, of another category, farther, or older than 90 days."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from lapor import geo

from tests.conftest import CapturedLogs
from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims

DPUPR = claims("dpupr-barito-utara")


def grid_points(q: tuple[float, float], targets: list[float], tolerance: float = 6.0) -> list[tuple[float, float]]:
    """Points on the public grid (3 decimals, so their public point is the point itself), one near each
    distance of `targets` from `q`, all different; [] when the grid has none that close."""
    chosen: list[tuple[float, float]] = []
    base_lat, base_lon = round(q[0], 3), round(q[1], 3)
    candidates = [
        (round(base_lat + i / 1000, 3), round(base_lon + j / 1000, 3))
        for i, j in itertools.product(range(-25, 26), repeat=2)
    ]
    for target in targets:
        best = min((p for p in candidates if p not in chosen), key=lambda p: abs(geo.distance_m(*q, *p) - target))
        if abs(geo.distance_m(*q, *best) - target) > tolerance:
            return []
        chosen.append(best)
    return chosen


def query_point() -> tuple[tuple[float, float], list[tuple[float, float]]]:
    """A point near Muara Teweh with grid points at about 100, 240, 260 and 2,000 m."""
    for k in range(400):
        q = (-0.9553 + (k % 20) * 0.000037, 114.8956 + (k // 20) * 0.000041)
        points = grid_points(q, [100, 240, 260, 2000])
        if points:
            return q, points
    raise AssertionError("no query point found")


Q, (AT_100, AT_240, AT_260, AT_2000) = query_point()


def report_at(api: Api, point: tuple[float, float], **overrides: Any) -> str:
    body = valid_submission(location={"lat": point[0], "lon": point[1], "address": "Jl. Yetro Sinseng"}, **overrides)
    return str(api.submit(body)["tracking_id"])


def nearby(api: Api, **query: str) -> tuple[int, Any]:
    status, body, _ = api.call("track_report", "GET", "/reports/nearby", query=query)
    return status, body


def lookup(api: Api, category: str = "jalan-jembatan") -> list[dict[str, Any]]:
    status, body = nearby(api, lat=f"{Q[0]:.6f}", lon=f"{Q[1]:.6f}", category=category)
    assert status == 200, body
    return body


def test_the_right_reports_come_back_nearest_first(api: Api):
    # Given reports at about 240, 100, 260 and 2,000 m, and at 100 m a confidential one, a closed one and one of
    # another category
    far_in = report_at(api, AT_240)
    near = report_at(api, AT_100)
    report_at(api, AT_260)
    report_at(api, AT_2000)
    report_at(api, AT_100, confidential=True)
    closed = report_at(api, AT_100)
    assert api.act(DPUPR, closed, action="reject", message="Bukan wewenang kami, sudah diteruskan.")[0] == 200
    report_at(api, AT_100, category="kesehatan", agency_id="dinkes-barito-utara")
    # When a citizen at Q about to report a road problem looks
    found = lookup(api)
    # Then exactly the two open public road reports within 250 m come back, nearest first
    assert [r["tracking_id"] for r in found] == [near, far_in]
    assert [r["distance_m"] for r in found] == [
        round(geo.distance_m(*Q, *AT_100) / 10) * 10,
        round(geo.distance_m(*Q, *AT_240) / 10) * 10,
    ]
    first = found[0]
    assert first["title"] == valid_submission()["title"] and first["status"] == "submitted"
    assert first["location"] == {"lat": AT_100[0], "lon": AT_100[1], "address": "Jl. Yetro Sinseng"}
    assert first["support_count"] == 0 and first["merged_count"] == 0
    # And a health report is found under its own category only
    assert len(lookup(api, "kesehatan")) == 1


def test_the_distance_is_measured_from_the_public_point(api: Api):
    # Given an anonymous report whose exact point is 3 m from Q (its public point is rounded to 3 decimals)
    exact = (Q[0] + 0.00003, Q[1])
    report_at(api, exact, anonymous=True, reporter=None)
    [found] = lookup(api)
    public = (round(exact[0], 3), round(exact[1], 3))
    # Then neither its exact point nor its exact distance is shown
    assert found["location"]["lat"] == public[0] and found["location"]["lon"] == public[1]
    assert found["distance_m"] == round(geo.distance_m(*Q, *public) / 10) * 10


def test_at_most_five_and_only_of_the_last_90_days(api: Api):
    from lapor import nearby as use_case
    from lapor import store
    from lapor.timefmt import utcnow

    for _ in range(7):
        report_at(api, AT_100)
    assert len(lookup(api)) == 5
    read = store.ReadCount()
    later = use_case.find_nearby(*Q, 250, "jalan-jembatan", read, now=utcnow() + timedelta(days=91))
    # A cell's first query reads at most PROBE reports of any date; its crowded point's key range starts 90 days
    # back: the other old ones are not even read
    assert later == [] and read.items == use_case.PROBE < 7


def test_a_report_leaves_the_index_when_it_closes(api: Api):
    tracking_id = report_at(api, AT_100)
    assert [r["tracking_id"] for r in lookup(api)] == [tracking_id]
    for action in ({"action": "verify"}, {"action": "respond", "message": "Sudah kami tambal kemarin sore."}):
        assert api.act(DPUPR, tracking_id, **action)[0] == 200
    assert [r["status"] for r in lookup(api)] == ["responded"]  # responded is still open
    assert api.act(DPUPR, tracking_id, action="close")[0] == 200
    assert lookup(api) == []


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ({"lat": "-91", "lon": "114.9", "category": "jalan-jembatan"}, "lat"),
        ({"lat": "-0.95", "lon": "180.5", "category": "jalan-jembatan"}, "lon"),
        ({"lat": "abc", "lon": "114.9", "category": "jalan-jembatan"}, "lat"),
        ({"lat": "NaN", "lon": "114.9", "category": "jalan-jembatan"}, "lat"),
        ({"lon": "114.9", "category": "jalan-jembatan"}, "lat"),
        ({"lat": "-0.95", "lon": "114.9", "category": "tidak-ada"}, "category"),
        ({"lat": "-0.95", "lon": "114.9"}, "category"),
    ],
)
def test_bad_coordinates_or_an_unknown_category_are_422(api: Api, query: dict[str, str], where: str):
    status, body = nearby(api, **query)
    assert status == 422
    assert ["query", where] in [e["loc"] for e in body["errors"]]


def test_where_a_citizen_looks_is_in_no_log_line(api: Api, captured_logs: CapturedLogs):
    # Given a report nearby, When a citizen looks from their point (a failed lookup too)
    report_at(api, AT_100)
    assert len(lookup(api)) == 1
    assert nearby(api, lat=f"{Q[0]:.6f}", lon="999", category="jalan-jembatan")[0] == 422
    # Then neither their coordinates nor the report's point was logged (the request was)
    logged = captured_logs.text
    assert "request handled" in logged
    for value in (f"{Q[0]:.6f}", f"{Q[1]:.6f}", f"{Q[0]:.4f}", str(AT_100[0]), str(AT_100[1])):
        assert value not in logged


@pytest.mark.parametrize(("lat", "lon"), [("90", "180"), ("-90", "-180"), ("89.9999", "0")])
def test_a_pole_answers_at_once_with_nothing(api: Api, lat: str, lon: str):
    status, body = nearby(api, lat=lat, lon=lon, category="lainnya")
    assert status == 200 and body == []


def _rekey(aws: Aws, tracking_id: str, keys: dict[str, str] | None) -> None:
    """As a report stored before the nearby index (no keys), or under another layout's `keys`."""
    update: dict[str, Any] = {"UpdateExpression": "REMOVE geo_pk, geo_sk"}
    if keys is not None:
        update = {
            "UpdateExpression": "SET geo_pk = :pk, geo_sk = :sk",
            "ExpressionAttributeValues": {":pk": {"S": keys["geo_pk"]}, ":sk": {"S": keys["geo_sk"]}},
        }
    aws.client("dynamodb").update_item(
        TableName=aws.reports_table, Key={"pk": {"S": f"REPORT#{tracking_id}"}, "sk": {"S": "REPORT"}}, **update
    )


def test_reports_stored_before_the_index_are_found_after_lapor_reindex_scope(api: Api, aws: Aws):
    from lapor.agency import reindex_coordinators

    # Given open reports stored before the index (one without keys, one under an older layout's), and a
    # confidential, a rejected and an unlocated one without keys either
    missing, older = report_at(api, AT_100), report_at(api, AT_240)
    secret, closed = report_at(api, AT_100, confidential=True), report_at(api, AT_100)
    assert api.act(DPUPR, closed, action="reject", message="Bukan wewenang kami, sudah diteruskan.")[0] == 200
    nowhere = str(api.submit(valid_submission(location=None))["tracking_id"])
    for tracking_id in (missing, secret, closed, nowhere):
        _rekey(aws, tracking_id, None)
    _rekey(aws, older, {"geo_pk": "GEO#zzzzz", "geo_sk": f"jalan-jembatan#00#{older}"})
    assert lookup(api) == []
    # When the operator runs the reindex
    summary = reindex_coordinators()
    # Then the two open public reports are placed in the index and found; nothing else is
    assert summary["read"] == 5 and summary["nearby_set"] == 2 and summary["nearby_raced"] == 0
    assert [r["tracking_id"] for r in lookup(api)] == [missing, older]
    before = aws.raw_items()
    stored = {item["tracking_id"]["S"]: item for item in before if item["sk"]["S"] == "REPORT"}
    assert all("geo_pk" not in stored[t] and "geo_sk" not in stored[t] for t in (secret, closed, nowhere))
    # And a second run changes nothing
    assert reindex_coordinators() == {**summary, "nearby_set": 0}
    assert aws.raw_items() == before


def test_the_reindex_leaves_a_report_that_closed_meanwhile_out_of_the_index(api: Api, aws: Aws):
    from lapor import store

    # Given a report without keys, read by the reindex's pass while open
    tracking_id = report_at(api, AT_100)
    _rekey(aws, tracking_id, None)
    seen = next(item for page in store.report_scopes() for item in page if item["tracking_id"] == tracking_id)
    keys = store.nearby_keys(seen, seen["status"])
    assert keys
    # When it is rejected before the reindex writes its keys
    assert api.act(DPUPR, tracking_id, action="reject", message="Bukan wewenang kami, sudah diteruskan.")[0] == 200
    # Then the write is refused: a closed report stays out of the index
    assert store.set_nearby(seen, keys) is False
    assert lookup(api) == []
    # While an open one whose keys changed meanwhile is not overwritten either
    other = report_at(api, AT_240)
    _rekey(aws, other, None)
    seen = next(item for page in store.report_scopes() for item in page if item["tracking_id"] == other)
    _rekey(aws, other, {"geo_pk": "GEO#zzzzz", "geo_sk": "x"})
    assert store.set_nearby(seen, store.nearby_keys(seen, seen["status"])) is False
