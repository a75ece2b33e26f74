"""End to end over HTTP: `lapor retention --at` erases a closed report's personal data on the local stack once
PersonalDataRetentionDays (365 by default) have passed, and not a day earlier (issue 23, item 1)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.conftest import RunningStack
from tests.e2e.client import call
from tests.events import valid_submission

NAME, EMAIL, PHONE = "Wulandari Pratiwi", "wulandari.p@example.org", "+6285211119999"
TITLE = "Pungli pembuatan akta kelahiran di kecamatan"
DESCRIPTION = "Diminta Rp150.000 tanpa kuitansi oleh petugas loket akta pada hari Kamis."
FROM_REPORTER = "Hubungi saya setelah jam kerja di 0852-1111-9999."
PERSONAL = (NAME, EMAIL, PHONE, TITLE, DESCRIPTION, FROM_REPORTER, "0852-1111-9999")


def retention(local_stack: RunningStack, at: datetime) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads(local_stack.cli("retention", "--at", at.isoformat()).strip().splitlines()[-1])
    return summary


def report_partition(local_stack: RunningStack, tracking_id: str) -> list[dict[str, Any]]:
    ddb = local_stack.aws_client("dynamodb")
    return ddb.query(
        TableName="lapor-ReportsTable",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"REPORT#{tracking_id}"}},
    )["Items"]


def personal_part(items: list[dict[str, Any]]) -> dict[str, Any]:
    """What the retention job destroys or records in a report's partition."""
    report = next(i for i in items if i["sk"]["S"] == "REPORT")
    return {
        "private": sorted(i["sk"]["S"] for i in items if i["sk"]["S"].startswith("PRIVATE#")),
        "sealed": report.get("sealed"),
        "has_contact": report.get("has_contact"),
        "retain": (report.get("retain_pk"), report.get("retain_at")),
        "erased": [e for e in report["timeline"]["L"] if e["M"]["event"]["S"] == "personal_data_erased"],
    }


def test_lapor_retention_erases_personal_data_after_the_period_and_the_public_view_stays(
    local_stack: RunningStack,
) -> None:
    api = local_stack.api_url
    body = valid_submission(
        title=TITLE, description=DESCRIPTION, confidential=True, reporter={"name": NAME, "email": EMAIL, "phone": PHONE}
    )
    receipt = call(api, "POST", "/reports", body).json
    tid, code = receipt["tracking_id"], receipt["access_code"]
    token = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    officer = {"Authorization": f"Bearer {token}"}
    actions = f"/agency/reports/{tid}/actions"
    assert call(api, "POST", actions, {"action": "verify"}, officer).status == 200
    message = call(api, "POST", f"/reports/{tid}/messages", {"message": FROM_REPORTER}, {"X-Access-Code": code})
    assert message.status < 300
    assert call(api, "POST", actions, {"action": "respond", "message": "Sudah kami periksa."}, officer).status == 200
    assert call(api, "POST", actions, {"action": "close"}, officer).status == 200
    (report,) = [i for i in report_partition(local_stack, tid) if i["sk"]["S"] == "REPORT"]
    closed_at = datetime.fromisoformat(report["closed_at"]["S"].replace("Z", "+00:00"))
    assert "sealed" in report

    # One day short of the period: everything stays (the notifier may still add its own timeline entries)
    before = personal_part(report_partition(local_stack, tid))
    retention(local_stack, closed_at + timedelta(days=364))
    assert personal_part(report_partition(local_stack, tid)) == before
    assert call(api, "GET", f"/agency/reports/{tid}", headers=officer).json["reporter"]["email"] == EMAIL

    # The day after it ended: the data key, contact, messages and confidential text are gone
    assert retention(local_stack, closed_at + timedelta(days=366))["erased"] >= 1
    items = report_partition(local_stack, tid)
    assert [i["sk"]["S"] for i in items if not i["sk"]["S"].startswith("PUBLIC#")] == ["REPORT"]
    assert "sealed" not in items[-1] and "retain_pk" not in items[-1]
    ddb = local_stack.aws_client("dynamodb")
    stored = json.dumps(ddb.scan(TableName="lapor-ReportsTable")["Items"], default=str)
    s3 = local_stack.aws_client("s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "photos" in b["Name"].lower())
    objects = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    everything = stored + "\n".join(objects) + local_stack.logs()
    for text in PERSONAL:
        assert text not in everything, text
    assert not [key for key in objects if tid in key]

    # The public record answers, saying what happened; the agency sees no reporter any more
    public = call(api, "GET", f"/reports/{tid}")
    assert public.status == 200 and public.json["status"] == "closed"
    assert public.json["timeline"][-1]["event"] == "personal_data_erased"
    assert "reporter" not in call(api, "GET", f"/agency/reports/{tid}", headers=officer).json

    # A second run changes nothing
    erased = personal_part(items)
    retention(local_stack, closed_at + timedelta(days=367))
    assert personal_part(report_partition(local_stack, tid)) == erased
