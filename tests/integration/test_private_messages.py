"""Every private message is sealed under its report's data key, confidential report or not (issue 23, item 4).

A message the public does not see (the reporter's, an agency's private answer, a rating's comment) is
readable by the reporter and the agency only: no raw item holds its text, and the public lookup, which
may not use KMS, cannot read the attribute that holds it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims

DPUPR = claims("dpupr-barito-utara")
PRIVATE = "/reports/{tracking_id}/private"
ONE = "/agency/reports/{tracking_id}"
FROM_REPORTER = "Nomor saya 0812-9999-1234, rumah cat hijau."
FROM_AGENCY = "Petugas kami akan menelepon Anda di nomor tadi."
COMMENT = "Terima kasih, hubungi saya lagi di 0812-9999-1234."


def partition(aws: Aws, tracking_id: str) -> list[dict[str, Any]]:
    return [i for i in aws.raw_items() if i["pk"]["S"] == f"REPORT#{tracking_id}"]


def public_lookup_attributes() -> list[str]:
    """What TrackReportFunction may read of a report's partition (template.yaml)."""
    from lapor_local.template import load_template

    function = load_template(ROOT / "template.yaml")["Resources"]["TrackReportFunction"]
    statement = next(
        s
        for policy in function["Properties"]["Policies"]
        for s in policy["Statement"]
        if s.get("Sid") == "ReadOneReportsPublicPart"
    )
    attributes: list[str] = statement["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
    return attributes


@pytest.mark.parametrize("submission", [valid_submission(), valid_submission(anonymous=True, reporter=None)])
def test_private_messages_of_a_public_report_are_sealed_and_only_the_parties_read_them(
    api: Api, aws: Aws, submission: dict[str, Any]
) -> None:
    receipt = api.submit(submission)
    tid, code = receipt["tracking_id"], receipt["access_code"]
    assert api.reporter("POST", "/reports/{tracking_id}/messages", tid, code, body={"message": FROM_REPORTER})[0] < 300
    assert api.act(DPUPR, tid, action="verify", message=FROM_AGENCY, private=True)[0] == 200
    assert api.act(DPUPR, tid, action="respond", message="Jalan sudah ditambal.")[0] == 200
    body = {"score": 4, "comment": COMMENT}
    assert api.reporter("POST", "/reports/{tracking_id}/rating", tid, code, body=body)[0] == 201

    raw = json.dumps(partition(aws, tid), default=str)
    for text in (FROM_REPORTER, FROM_AGENCY, COMMENT, "0812-9999-1234"):
        assert text not in raw
    assert "Jalan sudah ditambal." in raw  # the public answer stays readable by the public lookup

    # The public lookup may read no attribute that holds a private message, in any item of the partition.
    readable = set(public_lookup_attributes())
    for item in partition(aws, tid):
        if item["sk"]["S"].startswith("PRIVATE#"):
            assert not (set(item) - {"pk", "sk"}) & readable, item["sk"]["S"]
    assert FROM_REPORTER not in json.dumps(api.public(tid))

    # The reporter and the agency read them all, decrypted.
    for view in (api.reporter("GET", PRIVATE, tid, code)[1], api.agency(DPUPR, "GET", ONE, tid)[1]):
        messages = [entry["message"] for entry in view["timeline"]]
        assert FROM_REPORTER in messages and FROM_AGENCY in messages and "Jalan sudah ditambal." in messages
        assert view["rating"]["comment"] == COMMENT


def test_a_report_with_nothing_sealed_gets_its_data_key_with_its_first_private_message(api: Api, aws: Aws) -> None:
    receipt = api.submit(valid_submission(anonymous=True, reporter=None))
    tid = receipt["tracking_id"]
    report = next(i for i in partition(aws, tid) if i["sk"]["S"] == "REPORT")
    assert "sealed" not in report  # an anonymous public report: nothing to seal at submission
    assert api.act(DPUPR, tid, action="verify", message="Terlihat jelas di foto.")[0] == 200
    report = next(i for i in partition(aws, tid) if i["sk"]["S"] == "REPORT")
    assert "sealed" not in report  # a public message needs no key
    message = "Hanya untuk pelapor: kami butuh foto tambahan."
    assert api.act(DPUPR, tid, action="start", message=message, private=True)[0] == 200
    report = next(i for i in partition(aws, tid) if i["sk"]["S"] == "REPORT")
    assert "edk" in report["sealed"]["M"]  # the envelope of the new key, stored with the message
    assert message not in json.dumps(partition(aws, tid), default=str)
    assert api.agency(DPUPR, "GET", ONE, tid)[1]["timeline"][-1]["message"] == message
