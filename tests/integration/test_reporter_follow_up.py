"""The reporter's side on moto: the private view, answers that reopen, ratings, support, wrong codes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
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


def test_wrong_codes_are_slowed_but_the_right_code_always_opens(api: Api, receipt: dict[str, Any]) -> None:
    from lapor.reporter import MAX_WRONG_CODES

    tid = receipt["tracking_id"]
    for _ in range(MAX_WRONG_CODES):
        assert api.reporter("GET", PRIVATE, tid, "WRONG-CODE0-00000-00000")[0] == 403
    status, problem, headers = api.reporter("GET", PRIVATE, tid, "WRONG-CODE0-00000-00001")
    assert status == 429 and problem["status"] == 429 and 0 < int(headers["Retry-After"]) <= 15 * 60 + 1
    assert api.reporter("POST", MESSAGES, tid, None, body={"message": "Halo"})[0] == 429  # a missing code too
    # The reporter is not locked out: the right code opens the report and takes a message
    assert api.reporter("GET", PRIVATE, tid, receipt["access_code"])[0] == 200
    assert api.reporter("POST", MESSAGES, tid, receipt["access_code"], body={"message": "Masih di sini."})[0] == 201
    other = api.submit(valid_submission())
    assert api.reporter("GET", PRIVATE, other["tracking_id"], "WRONG-CODE0-00000-00000")[0] == 403  # per report


def test_fifty_parallel_wrong_codes_evaluate_at_most_the_limit_and_never_lock_the_reporter_out(
    api: Api, receipt: dict[str, Any], aws: Any, serialized_dynamodb: None
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from lapor.reporter import MAX_WRONG_CODES

    tid = receipt["tracking_id"]
    guesses = [f"WRONG-CODE0-00000-{n:05d}" for n in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda code: api.reporter("GET", PRIVATE, tid, code), guesses))
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [403] * MAX_WRONG_CODES + [429] * (50 - MAX_WRONG_CODES), statuses
    assert all(int(headers["Retry-After"]) > 0 for status, _, headers in answers if status == 429)
    # One counter on the report, never more than the limit
    (report,) = [i for i in aws.raw_items() if i["sk"]["S"] == "REPORT" and i["pk"]["S"] == f"REPORT#{tid}"]
    counters = report["wrong_codes"]["M"]  # {window start: count}, one fixed attribute name
    assert [int(v["N"]) for v in counters.values()] == [MAX_WRONG_CODES]
    status, view, _ = api.reporter("GET", PRIVATE, tid, receipt["access_code"])
    assert status == 200 and view["tracking_id"] == tid


def test_a_new_window_counts_afresh_and_drops_the_old_counter(
    api: Api, receipt: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from lapor import reporter
    from lapor.timefmt import utcnow

    tid = receipt["tracking_id"]
    for _ in range(reporter.MAX_WRONG_CODES + 1):
        api.reporter("GET", PRIVATE, tid, "WRONG-CODE0-00000-00000")
    later = utcnow() + reporter.WRONG_CODE_WINDOW + timedelta(seconds=1)
    monkeypatch.setattr(reporter, "utcnow", lambda: later)
    assert api.reporter("GET", PRIVATE, tid, "WRONG-CODE0-00000-00000")[0] == 403
    (report,) = [i for i in aws.raw_items() if i["sk"]["S"] == "REPORT" and i["pk"]["S"] == f"REPORT#{tid}"]
    (window,) = report["wrong_codes"]["M"]  # the earlier window's count is gone
    assert window == reporter._window(later)[0] and report["wrong_codes"]["M"][window] == {"N": "1"}


def test_a_wrong_code_read_before_another_started_the_window_counts_in_it_up_to_the_limit(
    receipt: dict[str, Any], aws: Any
) -> None:
    # The report as read (`seen`) had no count for the window, or an earlier one: another attempt started the
    # window meanwhile, and this one neither replaces its map nor gets past the limit.
    from lapor import store

    tid, window = receipt["tracking_id"], "2026-01-05T03:00:00Z"
    assert store.count_wrong_code(tid, window, 3, None)  # starts the window
    assert store.count_wrong_code(tid, window, 3, None)  # read before that: counts in it
    assert store.count_wrong_code(tid, window, 3, {"2026-01-05T02:45:00Z": 10})
    assert not store.count_wrong_code(tid, window, 3, None)  # the limit
    (report,) = [i for i in aws.raw_items() if i["sk"]["S"] == "REPORT" and i["pk"]["S"] == f"REPORT#{tid}"]
    assert report["wrong_codes"] == {"M": {window: {"N": "3"}}}
    assert not store.count_wrong_code("LPR-0000-0000-0000", window, 3, None)  # no such report: nothing stored
    assert not [i for i in aws.raw_items() if i["pk"]["S"] == "REPORT#LPR-0000-0000-0000"]


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


def _caps(monkeypatch: pytest.MonkeyPatch, per_day: int | None = None, per_report: int | None = None) -> None:
    from lapor.config import settings

    if per_day is not None:
        monkeypatch.setenv("LAPOR_REPORTER_MESSAGES_PER_DAY", str(per_day))
    if per_report is not None:
        monkeypatch.setenv("LAPOR_REPORTER_MESSAGES_PER_REPORT", str(per_report))
    settings.cache_clear()


def test_two_hundred_long_messages_and_the_agency_still_acts(
    api: Api, receipt: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a report holding the 200 messages a reporter may send, long ones (four bytes a character): more
    # than one DynamoDB item can hold. They are written by the very change POST /messages makes, without
    # building its answer each time (moto needs seconds per answer once a report is that long).
    from lapor import reporter, store
    from lapor.config import settings
    from lapor.crypto import report_data_key
    from lapor.timefmt import utcnow

    _caps(monkeypatch, per_day=1000)
    assert settings().reporter_messages_per_report == 200  # the documented default
    tid, code = receipt["tracking_id"], receipt["access_code"]
    long_message = "😀" * 600
    item = store.get_report(tid)
    assert item is not None
    key = report_data_key(item)
    for n in range(200):
        change = reporter.plan_message(item, f"{n:03d} " + long_message, utcnow(), settings(), key)
        change.expected_version = None  # the version moves with each message; `item` is read once
        store.apply_change(tid, change)
    # Then the 201st is refused (429, and waiting will not help), and the report stays readable
    status, problem, headers = api.reporter("POST", MESSAGES, tid, code, body={"message": "Satu lagi."})
    assert status == 429 and "200" in problem["detail"] and "Retry-After" not in headers
    # And the agency can still act: verify, extend, respond, close
    assert api.act(DPUPR, tid, action="verify")[0] == 200
    due = (datetime.fromisoformat(api.public(tid)["submitted_at"]) + timedelta(days=30)).isoformat()
    status, _, _ = api.act(DPUPR, tid, action="extend", message="Butuh alat berat.", due_at=due)
    assert status == 200
    assert api.act(DPUPR, tid, action="respond", message="Sudah ditambal.", private=True)[0] == 200
    status, agency_view, _ = api.act(DPUPR, tid, action="close")
    assert status == 200 and agency_view["status"] == "closed"
    # The timeline is oldest first, whole, in the order things happened, in every view
    events = ["submitted"] + ["reporter_replied"] * 200 + ["verified", "extended", "responded", "closed"]
    private = api.reporter("GET", PRIVATE, tid, code)[1]
    public = api.public(tid)
    for view in (agency_view, private, public):
        assert [e["event"] for e in view["timeline"]] == events
        assert [e["at"] for e in view["timeline"]] == sorted(e["at"] for e in view["timeline"])
    for view in (agency_view, private):
        replies = [e["message"] for e in view["timeline"] if e["event"] == "reporter_replied"]
        assert replies == [f"{n:03d} " + long_message for n in range(200)]
        assert view["timeline"][-2]["message"] == "Sudah ditambal." and view["timeline"][-2]["private"]
    # The public never sees a private or confidential message; nothing of them is stored in plain text
    assert all(e["message"] is None for e in public["timeline"])
    stored = [i for i in aws.raw_items() if i["pk"]["S"] == f"REPORT#{tid}"]
    assert long_message[:50] not in json.dumps(stored, default=str, ensure_ascii=False)
    assert sum(len(json.dumps(i, default=str)) for i in stored) > 400_000  # DynamoDB's limit for one item


def test_past_the_reports_cap_messages_are_429_and_the_agency_still_acts(
    api: Api, receipt: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _caps(monkeypatch, per_report=3)
    tid, code = receipt["tracking_id"], receipt["access_code"]
    for n in range(3):
        assert api.reporter("POST", MESSAGES, tid, code, body={"message": f"Pesan {n}"})[0] == 201
    status, problem, headers = api.reporter("POST", MESSAGES, tid, code, body={"message": "Pesan 4"})
    assert status == 429 and "3 messages" in problem["detail"] and "Retry-After" not in headers
    respond(api, tid)
    status, view, _ = api.act(DPUPR, tid, action="close")
    assert status == 200 and [e["event"] for e in view["timeline"]].count("reporter_replied") == 3


def test_a_reporter_may_send_a_documented_number_of_messages_a_day(
    api: Api, receipt: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lapor import reporter
    from lapor.config import settings
    from lapor.timefmt import utcnow

    tid, code = receipt["tracking_id"], receipt["access_code"]
    assert settings().reporter_messages_per_day == 20  # the documented default
    for n in range(20):
        assert api.reporter("POST", MESSAGES, tid, code, body={"message": f"Pesan {n}"})[0] == 201
    status, _, headers = api.reporter("POST", MESSAGES, tid, code, body={"message": "Pesan 21"})
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 24 * 3600 + 1
    assert api.reporter("GET", PRIVATE, tid, code)[0] == 200  # reading is never capped
    # The agency acts on the capped report; the next day the reporter may write again
    assert api.act(DPUPR, tid, action="reject", message="Bukan kewenangan kami.")[0] == 200
    tomorrow = utcnow() + timedelta(seconds=int(headers["Retry-After"]))
    monkeypatch.setattr(reporter, "utcnow", lambda: tomorrow)
    assert api.reporter("POST", MESSAGES, tid, code, body={"message": "Besok"})[0] == 409  # rejected: closed for good


def test_the_daily_cap_restarts_the_next_day(
    api: Api, receipt: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lapor import reporter
    from lapor.timefmt import utcnow

    _caps(monkeypatch, per_day=2)
    tid, code = receipt["tracking_id"], receipt["access_code"]
    for _ in range(2):
        assert api.reporter("POST", MESSAGES, tid, code, body={"message": "Halo"})[0] == 201
    status, _, headers = api.reporter("POST", MESSAGES, tid, code, body={"message": "Halo"})
    assert status == 429
    tomorrow = utcnow() + timedelta(seconds=int(headers["Retry-After"]))
    monkeypatch.setattr(reporter, "utcnow", lambda: tomorrow)
    assert api.reporter("POST", MESSAGES, tid, code, body={"message": "Halo lagi"})[0] == 201


def test_the_public_lookup_is_one_query_and_never_reads_a_sealed_or_private_message(
    api: Api, receipt: dict[str, Any]
) -> None:
    from lapor.aws import client

    tid, code = receipt["tracking_id"], receipt["access_code"]
    api.reporter("POST", MESSAGES, tid, code, body={"message": "Rahasia pelapor."})
    respond(api, tid, "Balasan pribadi.")
    calls: list[tuple[str, Any]] = []

    def seen(http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
        calls.append((model.name, parsed))

    ddb = client("dynamodb")
    ddb.meta.events.register("after-call.dynamodb", seen)
    try:
        view = api.public(tid)
    finally:
        ddb.meta.events.unregister("after-call.dynamodb", seen)
    assert [name for name, _ in calls] == ["Query"]
    raw = json.dumps(calls[0][1], default=str)
    assert "sealed" not in raw and "PRIVATE#" not in raw and "access_code_hash" not in raw
    assert [e["event"] for e in view["timeline"]][-3:] == ["reporter_replied", "verified", "responded"]
