"""The reporter's side on moto: the private view, answers that reopen, ratings, support, wrong codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CapturedLogs
from tests.events import valid_submission
from tests.integration.conftest import Api, claims

DPUPR = claims("dpupr-barito-utara")
PRIVATE = "/reports/{tracking_id}/private"
MESSAGES = "/reports/{tracking_id}/messages"
RATING = "/reports/{tracking_id}/rating"


@pytest.fixture
def receipt(api: Api) -> dict[str, Any]:
    return api.submit(valid_submission(confidential=True))


def respond(api: Api, tracking_id: str, message: str = "Lubang sudah ditambal kemarin.") -> None:
    assert api.act(DPUPR, tracking_id, action="verify")[0] == 200
    assert api.act(DPUPR, tracking_id, action="respond", message=message, private=True)[0] == 200


def test_the_access_code_opens_the_reporters_own_view(api: Api, receipt: dict[str, Any]) -> None:
    tid, code = receipt["tracking_id"], receipt["access_code"]
    respond(api, tid, "Balasan pribadi untuk pelapor.")
    status, view, headers = api.reporter("GET", PRIVATE, tid.lower(), code.lower().replace("-", ""))
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert view["title"] == "Jalan berlubang di depan SDN 1 Muara Teweh"
    assert view["reporter"]["email"] == "siti@example.org"
    assert view["timeline"][-1]["message"] == "Balasan pribadi untuk pelapor." and view["timeline"][-1]["private"]
    assert "version" not in view  # the agency's bookkeeping is not the reporter's
    assert "Balasan pribadi" not in json.dumps(api.public(tid))


@pytest.mark.parametrize("code", [None, "", "AAAAA-AAAAA-AAAAA-AAAAA", "x" * 500])
def test_missing_or_wrong_codes_are_403_and_never_echoed(
    api: Api, receipt: dict[str, Any], code: str | None, captured_logs: CapturedLogs
) -> None:
    for method, path, body in (("GET", PRIVATE, None), ("POST", MESSAGES, {"message": "Halo"})):
        status, problem, _ = api.reporter(method, path, receipt["tracking_id"], code, body=body)
        assert status == 403 and problem["title"] == "Forbidden"
        if code:
            assert code not in json.dumps(problem) and code not in captured_logs.text
    assert receipt["access_code"] not in captured_logs.text


def test_wrong_codes_are_rate_limited_per_report(api: Api, receipt: dict[str, Any]) -> None:
    tid = receipt["tracking_id"]
    for _ in range(10):
        assert api.reporter("GET", PRIVATE, tid, "WRONG-CODE0-00000-00000")[0] == 403
    status, _problem, headers = api.reporter("GET", PRIVATE, tid, receipt["access_code"])
    assert status == 429 and int(headers["Retry-After"]) > 0  # even the right code waits: guessing gains nothing
    other = api.submit(valid_submission())
    assert api.reporter("GET", PRIVATE, other["tracking_id"], other["access_code"])[0] == 200


def test_a_code_opens_only_its_own_report(api: Api, receipt: dict[str, Any]) -> None:
    other = api.submit(valid_submission())
    assert api.reporter("GET", PRIVATE, other["tracking_id"], receipt["access_code"])[0] == 403


def test_answer_after_a_response_reopens_with_a_new_deadline(api: Api, receipt: dict[str, Any]) -> None:
    tid, code = receipt["tracking_id"], receipt["access_code"]
    respond(api, tid)
    status, view, _ = api.reporter("POST", MESSAGES, tid, code, body={"message": "Masih ada lubang di sisi kiri."})
    assert status == 201 and view["status"] == "in_progress"
    assert [e["event"] for e in view["timeline"]][-2:] == ["reporter_replied", "reopened"]
    assert view["timeline"][-2]["message"] == "Masih ada lubang di sisi kiri."
    from datetime import datetime

    from lapor.calendar import add_working_days

    assert datetime.fromisoformat(view["due_at"]) == add_working_days(
        datetime.fromisoformat(view["timeline"][-1]["at"]), 5, "Asia/Jakarta"
    )
    public = api.public(tid)
    assert public["status"] == "in_progress" and "Masih ada lubang" not in json.dumps(public)
    assert api.agency(DPUPR, "GET", "/agency/reports/{tracking_id}", tid)[1]["timeline"][-2]["message"].startswith(
        "Masih"
    )


def test_message_before_a_response_adds_information_without_reopening(api: Api, receipt: dict[str, Any]) -> None:
    status, view, _ = api.reporter(
        "POST", MESSAGES, receipt["tracking_id"], receipt["access_code"], body={"message": "Foto menyusul."}
    )
    assert status == 201 and view["status"] == "submitted"
    assert view["timeline"][-1]["event"] == "reporter_replied"


def test_closed_reports_take_no_more_messages(api: Api, receipt: dict[str, Any]) -> None:
    tid = receipt["tracking_id"]
    respond(api, tid)
    api.act(DPUPR, tid, action="close")
    assert api.reporter("POST", MESSAGES, tid, receipt["access_code"], body={"message": "Halo?"})[0] == 409


@pytest.mark.parametrize("body", [{"message": ""}, {"message": "   "}, {"message": "x" * 4001}, {}, {"text": "hi"}])
def test_bad_messages_are_422(api: Api, receipt: dict[str, Any], body: dict[str, Any]) -> None:
    assert api.reporter("POST", MESSAGES, receipt["tracking_id"], receipt["access_code"], body=body)[0] == 422


def test_rating_once_after_a_response(api: Api, receipt: dict[str, Any], aws: Any) -> None:
    tid, code = receipt["tracking_id"], receipt["access_code"]
    assert api.reporter("POST", RATING, tid, code, body={"score": 5})[0] == 409  # nothing to rate yet
    respond(api, tid)
    status, view, _ = api.reporter("POST", RATING, tid, code, body={"score": 4, "comment": "Cepat, terima kasih."})
    assert status == 201 and view["rating"]["score"] == 4 and view["rating"]["comment"] == "Cepat, terima kasih."
    assert view["timeline"][-1]["event"] == "rated"
    assert "Cepat, terima kasih" not in json.dumps(aws.raw_items(), default=str)  # confidential: sealed
    assert api.reporter("POST", RATING, tid, code, body={"score": 1})[0] == 409


@pytest.mark.parametrize(
    "body", [{"score": 0}, {"score": 6}, {"score": True}, {"score": 4.5}, {"score": "5"}, {"score": 5.0, "x": 1}, {}]
)
def test_bad_ratings_are_422(api: Api, receipt: dict[str, Any], body: dict[str, Any]) -> None:
    respond(api, receipt["tracking_id"])
    assert api.reporter("POST", RATING, receipt["tracking_id"], receipt["access_code"], body=body)[0] == 422


def test_support_counts_public_reports_only(api: Api, receipt: dict[str, Any]) -> None:
    public = api.submit(valid_submission())["tracking_id"]

    def support(tid: str) -> tuple[int, Any]:
        status, body, _ = api.call(
            "support_report", "POST", "/reports/{tracking_id}/support", path_params={"tracking_id": tid}
        )
        return status, body

    assert support(public) == (200, {"tracking_id": public, "support_count": 1})
    assert support(public.lower())[1]["support_count"] == 2
    assert api.public(public)["support_count"] == 2
    assert support(receipt["tracking_id"])[0] == 409
    assert support("LPR-7KQ2-M9XD-3FHW")[0] == 404
    assert support("nonsense")[0] == 404


def test_a_report_full_of_messages_refuses_more_with_409_never_a_server_error(
    api: Api, receipt: dict[str, Any]
) -> None:
    # Given a reporter who keeps sending the longest messages (four bytes a character)
    tid, code = receipt["tracking_id"], receipt["access_code"]
    long_message = "😀" * 4000
    statuses = [api.reporter("POST", MESSAGES, tid, code, body={"message": long_message})[0] for _ in range(14)]
    # Then the report takes messages until it is nearly full, then refuses with 409, and stays usable
    assert statuses[0] == 201 and 409 in statuses and 500 not in statuses, str(statuses)
    assert statuses.index(409) >= 8  # about 16 KB each: several of the longest messages fit first
    assert api.reporter("GET", PRIVATE, tid, code)[0] == 200
    assert api.act(DPUPR, tid, action="verify")[0] == 200
