"""End to end: `lapor outbox` lists the events the relay gave up on and re-drives them on the running stack."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import RunningStack
from tests.e2e.client import call, eventually
from tests.e2e.test_agency_loop import mails_to
from tests.events import valid_submission

AGENCY_MAIL = "dpupr@baritoutara.lapor.example"


def stored(local_stack: RunningStack, tracking_id: str) -> dict[str, Any]:
    ddb = local_stack.aws_client("dynamodb")
    return ddb.get_item(
        TableName="lapor-ReportsTable",
        Key={"pk": {"S": f"REPORT#{tracking_id}"}, "sk": {"S": "REPORT"}},
        ConsistentRead=True,
    )["Item"]


def test_a_stuck_event_is_listed_and_redriven_until_the_agency_is_told(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    tid = call(api, "POST", "/reports", valid_submission()).json["tracking_id"]
    eventually(lambda: mails_to(local_stack.mail_dir, AGENCY_MAIL, tid), message="no agency email")
    eventually(lambda: stored(local_stack, tid)["outbox"]["M"] == {}, message="the event was not acknowledged")
    # What the relay leaves after its last attempt (it needs hours of backoff to get there on its own): a
    # pending event, moved to the stuck part of the outbox index.
    item = stored(local_stack, tid)
    event = {
        "event_id": "e2e0stuck0event",
        "type": "report.transferred",
        "tracking_id": tid,
        "agency_id": "dpupr-barito-utara",
        "at": item["submitted_at"]["S"],
    }
    local_stack.aws_client("dynamodb").update_item(
        TableName="lapor-ReportsTable",
        Key={"pk": {"S": f"REPORT#{tid}"}, "sk": {"S": "REPORT"}},
        UpdateExpression="SET #o.#e = :event, outbox_pk = :stuck, outbox_at = :at, outbox_attempts = :attempts",
        ExpressionAttributeNames={"#o": "outbox", "#e": event["event_id"]},
        ExpressionAttributeValues={
            ":event": {"M": {k: {"S": v} for k, v in event.items()}},
            ":stuck": {"S": "OUTBOX_STUCK"},
            ":at": {"S": event["at"]},
            ":attempts": {"N": "8"},
        },
    )

    listed = [json.loads(line) for line in local_stack.cli("outbox").splitlines()]
    assert {"tracking_id": tid, "event_id": event["event_id"], "type": "report.transferred"}.items() <= next(
        e for e in listed if e["tracking_id"] == tid
    ).items()

    assert json.loads(local_stack.cli("outbox", "--redrive", tid)) == {"reports": 1, "sent": 1, "failed": 0}
    eventually(
        lambda: len(mails_to(local_stack.mail_dir, AGENCY_MAIL, tid)) == 2, message="the re-driven event sent nothing"
    )
    eventually(lambda: stored(local_stack, tid)["outbox"]["M"] == {}, message="the re-driven event stayed")
    assert tid not in local_stack.cli("outbox")
    timeline = call(api, "GET", f"/reports/{tid}").json["timeline"]
    assert [e["event"] for e in timeline].count("agency_notified") == 2
