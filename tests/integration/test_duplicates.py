"""Issue 27 on moto, through the handlers: an officer marks a report as a duplicate of another of their scope.
The duplicate closes with a public pointer, the original counts it as merged and its reporter and supporters as
supporters, both in one transaction; nothing about the duplicate's reporter reaches the original's reporter."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.events import valid_submission
from tests.integration.conftest import Api, claims

DPUPR = claims("dpupr-barito-utara")
DINKES = claims("dinkes-barito-utara")
NEAR = {"lat": -0.955, "lon": 114.896, "address": "Jembatan Pramuka"}
SECOND_REPORTER = {"name": "Budi Hartono", "email": "budi.hartono@example.org", "phone": "+6281298765432"}


def submit(api: Api, **overrides: Any) -> dict[str, Any]:
    return api.submit(valid_submission(location=NEAR, **overrides))


def support(api: Api, tracking_id: str) -> None:
    status, _, _ = api.call(
        "support_report", "POST", "/reports/{tracking_id}/support", path_params={"tracking_id": tracking_id}
    )
    assert status == 200


def candidates(api: Api, who: dict[str, str], tracking_id: str) -> tuple[int, Any]:
    status, body, _ = api.agency(who, "GET", "/agency/reports/{tracking_id}/nearby", tracking_id)
    return status, body


def test_a_duplicate_closes_with_a_pointer_and_the_original_counts_it(api: Api):
    # Given an original with one supporter, and the same problem reported again by someone else, supported twice
    original = submit(api)
    support(api, original["tracking_id"])
    duplicate = submit(api, reporter=SECOND_REPORTER, title="Jembatan Pramuka rusak lagi parah")
    for _ in range(2):
        support(api, duplicate["tracking_id"])
    # When the officer looks for candidates near the duplicate, and marks it as a duplicate of the original
    status, found = candidates(api, DPUPR, duplicate["tracking_id"])
    assert status == 200 and [r["tracking_id"] for r in found] == [original["tracking_id"]]
    status, view, _ = api.act(
        DPUPR, duplicate["tracking_id"], action="mark_duplicate", duplicate_of=original["tracking_id"].lower()
    )
    # Then the duplicate is closed and points publicly to the original
    assert status == 200 and view["status"] == "closed" and view["duplicate_of"] == original["tracking_id"]
    public_duplicate = api.public(duplicate["tracking_id"])
    assert public_duplicate["duplicate_of"] == original["tracking_id"]
    assert public_duplicate["timeline"][-1]["message"].startswith(f"Laporan ini sama dengan {original['tracking_id']}.")
    # And the original shows one merged report, its supporters counting the duplicate's reporter and supporters
    public_original = api.public(original["tracking_id"])
    assert public_original["merged_count"] == 1 and public_original["support_count"] == 1 + 1 + 2
    assert public_original["status"] == "submitted" and "duplicate_of" not in {
        k for k, v in public_original.items() if v is not None
    }
    # And the original's reporter learns nothing about the duplicate or who filed it
    status, private, _ = api.reporter(
        "GET", "/reports/{tracking_id}/private", original["tracking_id"], original["access_code"]
    )
    assert status == 200
    text = json.dumps(private)
    for secret in (duplicate["tracking_id"], *SECOND_REPORTER.values()):
        assert secret not in text
    # And the duplicate is no longer offered nearby, nor a candidate
    status, found = candidates(api, DPUPR, original["tracking_id"])
    assert status == 200 and found == []


def test_marking_twice_or_a_stale_original_changes_nothing(api: Api):
    original, duplicate = submit(api), submit(api)
    assert (
        api.act(DPUPR, duplicate["tracking_id"], action="mark_duplicate", duplicate_of=original["tracking_id"])[0]
        == 200
    )
    again = api.act(DPUPR, duplicate["tracking_id"], action="mark_duplicate", duplicate_of=original["tracking_id"])
    assert again[0] == 409
    assert api.public(original["tracking_id"])["merged_count"] == 1


def _refused(api: Api, tracking_id: str, **body: Any) -> tuple[int, Any]:
    status, problem, _ = api.act(DPUPR, tracking_id, action="mark_duplicate", **body)
    return status, problem


def test_the_original_must_be_another_open_public_report_of_the_scope(api: Api):
    duplicate = submit(api)
    closed = submit(api)
    assert api.act(DPUPR, closed["tracking_id"], action="reject", message="Sudah ditangani sebelumnya.")[0] == 200
    confidential = submit(api, confidential=True)
    elsewhere = submit(api, category="kesehatan", agency_id="dinkes-barito-utara")
    cases = {
        duplicate["tracking_id"]: "itself",
        closed["tracking_id"]: "open",
        confidential["tracking_id"]: "open",
        elsewhere["tracking_id"]: "scope",
        "LPR-12": "Tracking ID",
        "LPR-7KQ2-M9XD-3FHW": "scope",  # well formed, unknown: the same answer as another agency's
    }
    for original, words in cases.items():
        status, problem = _refused(api, duplicate["tracking_id"], duplicate_of=original)
        assert status == 422, (original, problem)
        assert problem["errors"][0]["loc"] == ["body", "duplicate_of"] and words in problem["errors"][0]["msg"]
    view = api.public(duplicate["tracking_id"])
    assert view["status"] == "submitted" and view.get("duplicate_of") is None
    assert api.public(elsewhere["tracking_id"])["merged_count"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"duplicate_of": "LPR-7KQ2-M9XD-3FHW", "private": True, "message": "Lihat laporan sebelumnya."},
    ],
)
def test_a_missing_original_or_a_private_pointer_is_422(api: Api, body: dict[str, Any]):
    duplicate = submit(api)
    status, problem = _refused(api, duplicate["tracking_id"], **body)
    assert status == 422, problem


def test_only_mark_duplicate_takes_duplicate_of(api: Api):
    report = submit(api)
    status, _, _ = api.act(DPUPR, report["tracking_id"], action="verify", duplicate_of="LPR-7KQ2-M9XD-3FHW")
    assert status == 422


def test_a_confidential_report_cannot_be_marked(api: Api):
    original, secret = submit(api), submit(api, confidential=True)
    status, _ = _refused(api, secret["tracking_id"], duplicate_of=original["tracking_id"])
    assert status == 409
    status, found = candidates(api, DPUPR, secret["tracking_id"])
    assert status == 200 and found == []


def test_another_agency_sees_no_candidates_of_a_report_it_does_not_handle(api: Api):
    report = submit(api)
    assert candidates(api, DINKES, report["tracking_id"])[0] == 403
