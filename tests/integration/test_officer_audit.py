"""Who saw a reporter's identity is answerable: every officer read and action is in an internal audit trail.

The trail holds the officer's `sub` (the token's subject) and the name they sign in with (their work
email), and no view shows it: not the public one, not the reporter's, not the agency's.
"""

from __future__ import annotations

import json
from typing import Any

from tests.events import valid_submission
from tests.integration.conftest import Api, claims

ONE = "/agency/reports/{tracking_id}"
PRIVATE = "/reports/{tracking_id}/private"


def officer(sub: str, agency_id: str = "dpupr-barito-utara", role: str = "officer") -> dict[str, str]:
    return {**claims(agency_id, role), "sub": sub, "email": f"{sub}@dpupr.example"}


def trail(tracking_id: str) -> list[dict[str, Any]]:
    from lapor.store import audit_trail

    return audit_trail(tracking_id)


def test_every_officer_read_and_action_is_recorded_with_the_officers_sub(api: Api) -> None:
    receipt = api.submit(valid_submission(confidential=True))
    tid = receipt["tracking_id"]
    reader, actor, dispatcher = (
        officer("6f1c2a9e-reader"),
        officer("0b7d4e21-actor"),
        officer("93aa51f0-dispatcher", "pemkab-barito-utara", "dispatcher"),
    )
    assert trail(tid) == []

    assert api.agency(reader, "GET", ONE, tid)[0] == 200
    status, page, _ = api.agency(dispatcher, "GET", "/agency/reports")
    assert status == 200 and tid in [r["tracking_id"] for r in page["items"]]
    assert api.act(actor, tid, action="verify")[0] == 200
    assert api.act(actor, tid, action="respond", message="Sudah ditambal.")[0] == 200
    assert api.act(actor, tid, action="verify")[0] == 409  # refused, but the attempt is on record too

    entries = [(e["officer_sub"], e["access"], e.get("action"), e["version"]) for e in trail(tid)]
    assert entries == [
        ("6f1c2a9e-reader", "read", None, 1),
        ("0b7d4e21-actor", "action", "verify", 1),
        ("0b7d4e21-actor", "action", "respond", 2),
        ("0b7d4e21-actor", "action", "verify", 3),
    ]
    # The dispatcher's inbox showed no identity and decrypted nothing: listing is not recorded (issue 23).
    assert {e["officer_agency_id"] for e in trail(tid)} == {"dpupr-barito-utara"}
    # The name each signed in with too: the trail stays readable when a replaced user pool issues new subs.
    assert {e["officer_sub"]: e["officer_username"] for e in trail(tid)} == {
        "6f1c2a9e-reader": "6f1c2a9e-reader@dpupr.example",
        "0b7d4e21-actor": "0b7d4e21-actor@dpupr.example",
    }

    # No view shows who looked: not the public one, the reporter's or the agency's.
    views = [
        api.public(tid),
        api.reporter("GET", PRIVATE, tid, receipt["access_code"])[1],
        api.agency(reader, "GET", ONE, tid)[1],
        api.agency(dispatcher, "GET", "/agency/reports")[1],
    ]
    for view in views:
        text = json.dumps(view)
        assert "6f1c2a9e" not in text and "0b7d4e21" not in text and "93aa51f0" not in text
        assert "audit" not in text


def test_a_token_without_a_subject_reads_nothing(api: Api) -> None:
    tid = api.submit(valid_submission(confidential=True))["tracking_id"]
    anonymous_officer = {k: v for k, v in claims("dpupr-barito-utara").items() if k != "sub"}
    status, problem, _ = api.agency(anonymous_officer, "GET", ONE, tid)
    assert status == 401 and "Siti" not in json.dumps(problem)
    assert trail(tid) == []


def test_an_officer_of_another_agency_is_refused_before_anything_is_recorded(api: Api) -> None:
    tid = api.submit(valid_submission(confidential=True))["tracking_id"]
    assert api.agency(officer("x-dinkes", "dinkes-barito-utara"), "GET", ONE, tid)[0] == 403
    assert trail(tid) == []
