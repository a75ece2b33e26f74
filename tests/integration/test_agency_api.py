"""The agency API on moto: inbox, one report, actions, authorization for every route, concurrency."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims

DPUPR = claims("dpupr-barito-utara")
DINKES = claims("dinkes-barito-utara")
PEMKAB_DISPATCHER = claims("pemkab-barito-utara", "dispatcher")
PEMKAB_OFFICER = claims("pemkab-barito-utara")
DINKES_DISPATCHER = claims("dinkes-barito-utara", "dispatcher")
ONE = "/agency/reports/{tracking_id}"


@pytest.fixture
def report(api: Api) -> dict[str, Any]:
    return api.submit(valid_submission(confidential=True))


def test_officer_sees_the_report_decrypted_with_a_version(api: Api, report: dict[str, Any]) -> None:
    status, view, headers = api.agency(DPUPR, "GET", ONE, report["tracking_id"])
    assert status == 200
    assert view["title"] == "Jalan berlubang di depan SDN 1 Muara Teweh"
    assert view["location"]["address"] == "Jl. Yetro Sinseng, Muara Teweh"
    assert view["reporter"] == {"name": "Siti Rahma", "email": "siti@example.org", "phone": "+6281234567890"}
    assert view["version"] == 1 and headers["ETag"] == '"1"'
    assert view["confidential"] is True


def test_anonymous_report_has_no_reporter_block(api: Api) -> None:
    receipt = api.submit(valid_submission(anonymous=True, reporter=None))
    _, view, _ = api.agency(DPUPR, "GET", ONE, receipt["tracking_id"])
    assert "reporter" not in view


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (DPUPR, 200),
        (DINKES, 403),
        (PEMKAB_OFFICER, 403),
        (PEMKAB_DISPATCHER, 200),
        (claims("pemprov-kalteng", "dispatcher"), 200),
        (DINKES_DISPATCHER, 403),
        (claims("dpupr-barito-utara", "superuser"), 403),
        (claims("no-such-agency"), 403),
        (None, 401),
        ({"sub": "x"}, 401),
    ],
)
def test_object_level_authorization_on_every_route(
    api: Api, report: dict[str, Any], who: dict[str, str] | None, expected: int
) -> None:
    tracking_id = report["tracking_id"]
    assert api.agency(who, "GET", ONE, tracking_id)[0] == expected
    status, _, _ = api.agency(who, "POST", ONE + "/actions", tracking_id, body={"action": "verify"})
    assert status == expected
    status, page, _ = api.agency(who, "GET", "/agency/reports")
    if expected == 200:
        assert [i["tracking_id"] for i in page["items"]] == [tracking_id]
    elif (
        expected == 403
        and who is not None
        and who.get("custom:role") in ("officer", "dispatcher")
        and (who["custom:agency_id"] in ("dinkes-barito-utara", "pemkab-barito-utara"))
    ):
        assert status == 200 and page["items"] == []  # their own (empty) inbox, never another agency's
    else:
        assert status == expected


def test_unknown_report_is_404_for_an_authorized_officer(api: Api) -> None:
    assert api.agency(DPUPR, "GET", ONE, "LPR-7KQ2-M9XD-3FHW")[0] == 404
    assert api.agency(DPUPR, "GET", ONE, "not-an-id")[0] == 404


ALL_STATUSES = ("submitted", "verified", "in_progress", "responded", "closed", "rejected")
ALLOWED = {
    "verify": {"submitted"},
    "transfer": {"submitted", "verified", "in_progress"},
    "start": {"verified"},
    "respond": {"verified", "in_progress"},
    "extend": {"verified", "in_progress"},
    "reject": {"submitted", "verified"},
    "close": {"responded"},
}
PATH_TO = {
    "submitted": [],
    "verified": [{"action": "verify"}],
    "in_progress": [{"action": "verify"}, {"action": "start"}],
    "responded": [{"action": "verify"}, {"action": "respond", "message": "Sudah diperbaiki."}],
    "closed": [{"action": "verify"}, {"action": "respond", "message": "Sudah diperbaiki."}, {"action": "close"}],
    "rejected": [{"action": "reject", "message": "Bukan pelayanan publik."}],
}


def body_for(action: str) -> dict[str, Any]:
    due = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    return {
        "verify": {"action": "verify"},
        "transfer": {"action": "transfer", "agency_id": "dinkes-barito-utara", "message": "Bukan wewenang kami."},
        "start": {"action": "start"},
        "respond": {"action": "respond", "message": "Lubang sudah ditambal."},
        "extend": {"action": "extend", "due_at": due, "message": "Perlu pemeriksaan lapangan."},
        "reject": {"action": "reject", "message": "Tidak jelas."},
        "close": {"action": "close"},
    }[action]


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("start", ALL_STATUSES)
def test_transition_table(api: Api, action: str, start: str) -> None:
    tracking_id = api.submit(valid_submission())["tracking_id"]
    for step in PATH_TO[start]:
        assert api.act(DPUPR, tracking_id, **step)[0] == 200
    status, view, _ = api.act(DPUPR, tracking_id, **body_for(action))
    if start in ALLOWED[action]:
        assert status == 200, view
        assert view["timeline"][-1]["actor"] == "Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten Barito Utara"
    else:
        assert status == 409 and view["title"] == "Conflict"
        assert api.agency(DPUPR, "GET", ONE, tracking_id)[1]["status"] == start  # nothing changed


def test_verify_starts_the_five_working_day_follow_up(api: Api, report: dict[str, Any]) -> None:
    from lapor.calendar import add_working_days

    status, view, _ = api.act(DPUPR, report["tracking_id"], action="verify")
    assert status == 200 and view["status"] == "verified" and view["version"] == 2
    verified_at = datetime.fromisoformat(view["timeline"][-1]["at"])
    assert datetime.fromisoformat(view["due_at"]) == add_working_days(verified_at, 5, "Asia/Jakarta")


@pytest.mark.parametrize("action", ["respond", "extend", "reject"])
def test_actions_that_need_a_message_refuse_without_one(api: Api, report: dict[str, Any], action: str) -> None:
    api.act(DPUPR, report["tracking_id"], action="verify")
    body = body_for(action)
    body.pop("message")
    status, problem, _ = api.act(DPUPR, report["tracking_id"], **body)
    assert status == 422 and {"loc": ["body", "message"], "msg": f"Field required for {action}"} in problem["errors"]


def test_bad_action_bodies_are_422(api: Api, report: dict[str, Any]) -> None:
    tid = report["tracking_id"]
    assert api.act(DPUPR, tid, action="dance")[0] == 422
    assert api.act(DPUPR, tid, action="verify", agency_id="dinkes-barito-utara")[0] == 422
    assert api.act(DPUPR, tid, action="transfer")[0] == 422
    assert api.act(DPUPR, tid, action="transfer", agency_id="dinas-hantu")[0] == 422
    assert api.act(DPUPR, tid, action="transfer", agency_id="dpupr-barito-utara")[0] == 409  # already there
    assert api.act(DPUPR, tid, action="verify", colour="red")[0] == 422
    api.act(DPUPR, tid, action="verify")
    too_late = (datetime.now(UTC) + timedelta(days=61)).isoformat()
    status, problem, _ = api.act(DPUPR, tid, action="extend", due_at=too_late, message="Lapangan")
    assert status == 422 and problem["errors"][0]["loc"] == ["body", "due_at"]
    assert api.act(DPUPR, tid, action="extend", due_at="next tuesday", message="Lapangan")[0] == 422


def test_extend_moves_the_deadline(api: Api, report: dict[str, Any]) -> None:
    api.act(DPUPR, report["tracking_id"], action="verify")
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    status, view, _ = api.act(
        DPUPR, report["tracking_id"], action="extend", due_at=due.isoformat(), message="Perlu survei."
    )
    assert status == 200 and datetime.fromisoformat(view["due_at"]) == due
    assert view["timeline"][-1]["event"] == "extended"


def test_if_match_makes_an_action_conditional(api: Api, report: dict[str, Any]) -> None:
    tid = report["tracking_id"]
    status, problem, _ = api.act(DPUPR, tid, headers={"If-Match": '"7"'}, action="verify")
    assert status == 409 and "version 1" in problem["detail"]
    status, _view, headers = api.act(DPUPR, tid, headers={"If-Match": '"1"'}, action="verify")
    assert status == 200 and headers["ETag"] == '"2"'
    assert api.act(DPUPR, tid, headers={"If-Match": "1"}, action="start")[0] == 409
    assert api.act(DPUPR, tid, headers={"If-Match": "2"}, action="start")[0] == 200
    assert api.act(DPUPR, tid, headers={"If-Match": "two"}, action="start")[0] == 422


def test_two_concurrent_actions_one_wins(api: Api, report: dict[str, Any], serialized_dynamodb: None) -> None:
    tid = report["tracking_id"]
    bodies = [{"action": "verify"}, {"action": "reject", "message": "Duplikat."}] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(lambda b: api.act(DPUPR, tid, headers={"If-Match": "1"}, **b)[0], bodies))
    assert statuses == [200, 409, 409, 409, 409, 409]
    _, view, _ = api.agency(DPUPR, "GET", ONE, tid)
    assert view["version"] == 2 and len([e for e in view["timeline"] if e["actor"] != "reporter"]) == 1


def test_transfer_moves_the_report_to_the_new_agencys_inbox(api: Api, aws: Aws, report: dict[str, Any]) -> None:
    tid = report["tracking_id"]
    aws.messages()
    status, view, _ = api.act(DPUPR, tid, **body_for("transfer"))
    assert status == 200 and view["agency"]["id"] == "dinkes-barito-utara" and view["status"] == "submitted"
    assert view["original_agency_id"] == "dpupr-barito-utara"
    assert api.agency(DPUPR, "GET", "/agency/reports")[1]["items"] == []
    assert [i["tracking_id"] for i in api.agency(DINKES, "GET", "/agency/reports")[1]["items"]] == [tid]
    assert api.agency(DPUPR, "GET", ONE, tid)[0] == 403
    (event,) = aws.messages()
    assert event["type"] == "report.transferred" and event["agency_id"] == "dinkes-barito-utara"
    assert event["previous_agency_id"] == "dpupr-barito-utara"


def test_every_transition_publishes_its_event_and_keeps_it_in_the_outbox(api: Api, aws: Aws) -> None:
    tid = api.submit(valid_submission())["tracking_id"]
    for step in PATH_TO["closed"]:
        api.act(DPUPR, tid, **step)
    assert [e["type"] for e in aws.messages()] == [
        "report.submitted",
        "report.verified",
        "report.responded",
        "report.closed",
    ]
    raw = next(i for i in aws.raw_items() if i["pk"]["S"] == f"REPORT#{tid}" and i["sk"]["S"] == "REPORT")
    assert len(raw["outbox"]["M"]) == 4  # until notify_agency has handled them


def test_confidential_messages_are_sealed_and_private_ones_stay_private(api: Api, aws: Aws) -> None:
    secret_reply = "Petugas loket sudah kami tegur secara tertulis."
    confidential = api.submit(valid_submission(confidential=True))["tracking_id"]
    public = api.submit(valid_submission())["tracking_id"]
    for tid in (confidential, public):
        api.act(DPUPR, tid, action="verify")
        api.act(DPUPR, tid, action="respond", message=secret_reply, private=(tid == public))
    assert secret_reply not in json.dumps([i for i in aws.raw_items() if confidential in i["pk"]["S"]], default=str)
    for tid in (confidential, public):
        assert secret_reply not in json.dumps(api.public(tid))
        assert api.agency(DPUPR, "GET", ONE, tid)[1]["timeline"][-1]["message"] == secret_reply


def test_inbox_pages_newest_first_without_gaps_or_repeats(api: Api) -> None:
    ids = [api.submit(valid_submission(title=f"Laporan nomor {n:02d} tentang jalan"))["tracking_id"] for n in range(23)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "10", **({"cursor": cursor} if cursor else {})}
        status, page, _ = api.agency(DPUPR, "GET", "/agency/reports", query=query)
        assert status == 200
        seen += [i["tracking_id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    submitted = [api.agency(DPUPR, "GET", ONE, t)[1]["submitted_at"] for t in seen]
    assert submitted == sorted(submitted, reverse=True)


def test_inbox_filters_by_status_and_dispatchers_merge_their_agencies(api: Api) -> None:
    road = api.submit(valid_submission())["tracking_id"]
    health = api.submit(valid_submission(category="kesehatan", agency_id=None))["tracking_id"]
    api.act(DPUPR, road, action="verify")
    verified = api.agency(DPUPR, "GET", "/agency/reports", query={"status": "verified"})[1]["items"]
    assert [i["tracking_id"] for i in verified] == [road]
    assert api.agency(DPUPR, "GET", "/agency/reports", query={"status": "submitted"})[1]["items"] == []
    merged = api.agency(PEMKAB_DISPATCHER, "GET", "/agency/reports")[1]["items"]
    assert {i["tracking_id"] for i in merged} == {health, road}
    assert merged[0]["submitted_at"] >= merged[1]["submitted_at"]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "lost"},
        {"status": ""},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"cursor": "x" * 201},
        {"cursor": "\x13abc"},
    ],
)
def test_bad_inbox_queries_are_422(api: Api, query: dict[str, str]) -> None:
    status, problem, _ = api.agency(DPUPR, "GET", "/agency/reports", query=query)
    assert status == 422 and problem["errors"][0]["loc"][0] == "query"
