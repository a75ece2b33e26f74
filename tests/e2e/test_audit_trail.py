"""End to end: an operator can tell which officer (token `sub`) saw a report and acted on it."""

from __future__ import annotations

import base64
import json

from tests.conftest import RunningStack
from tests.e2e.client import call
from tests.events import valid_submission


def subject(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def test_lapor_audit_lists_who_read_and_acted_on_a_report(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    tid = call(api, "POST", "/reports", valid_submission(confidential=True)).json["tracking_id"]
    reader = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    actor = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    path = f"/agency/reports/{tid}"
    assert call(api, "GET", path, headers={"Authorization": f"Bearer {reader}"}).status == 200
    verify = call(api, "POST", f"{path}/actions", {"action": "verify"}, {"Authorization": f"Bearer {actor}"})
    assert verify.status == 200

    lines = local_stack.cli("audit", "--tracking-id", tid.lower()).splitlines()
    trail = [json.loads(line) for line in lines]
    assert [(e["officer_sub"], e["access"], e.get("action")) for e in trail] == [
        (subject(reader), "read", None),
        (subject(actor), "action", "verify"),
    ]
    # Nothing of it in what the public or the agency sees.
    for view in (
        call(api, "GET", f"/reports/{tid}").raw,
        call(api, "GET", path, headers={"Authorization": f"Bearer {reader}"}).raw,
    ):
        assert subject(reader).encode() not in view and subject(actor).encode() not in view
