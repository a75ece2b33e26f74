"""Planning without AWS: what each action, deadline and reporter step changes, asserted on the planned change.

No moto, no network: the planners are pure functions of the report as read, the directory, the settings and
the time; the store alone turns their change into keys (its `layout`, tested last) and one conditional write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lapor import stats
from lapor.calendar import add_working_days
from lapor.config import Settings, settings
from lapor.directory import Agency, Directory
from lapor.errors import Conflict, RateLimited, ValidationFailed
from lapor.escalation import plan_deadline
from lapor.lifecycle import INTERNAL_ACTIONS, TRANSITIONS, ActionRequest, Change, plan_action
from lapor.models import ACTION_FIELDS, AgencyAction
from lapor.openapi import generate_openapi
from lapor.reporter import plan_message, plan_rating
from lapor.store import layout

SETTINGS = Settings.from_env({})
TZ = SETTINGS.time_zone
NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Jakarta
STATUSES = ("submitted", "verified", "in_progress", "responded", "closed", "rejected")

PROVINCE = Agency("prov-kalteng", "Pemprov Kalimantan Tengah", None, "province", "62")
REGENCY = Agency("pemkab-barito-utara", "Pemkab Barito Utara", "prov-kalteng", "regency", "62.05")
DPUPR = Agency("dpupr-barito-utara", "DPUPR Barito Utara", "pemkab-barito-utara", "office", "62.05")
DIRECTORY = Directory({a.id: a for a in (PROVINCE, REGENCY, DPUPR)}, {})


def report(status: str = "submitted", **fields: Any) -> dict[str, Any]:
    """A stored report as the planners read it."""
    return {
        "tracking_id": "LPR-ABCD-EFGH",
        "status": status,
        "agency_id": DPUPR.id,
        "agency_name": DPUPR.name,
        "category": "jalan",
        "submitted_at": "2026-11-09T03:00:00Z",
        "due_at": "2026-11-12T16:59:59Z",
        "due_stage": "verify",
        "version": 3,
        **fields,
    }


def act(item: dict[str, Any], action: str, **request: Any) -> Change:
    new_agency = REGENCY if action in ("transfer", "not_responsible") else None
    if action == "extend":
        request.setdefault("due_at", NOW + timedelta(days=7))
    if action == "assign":
        request.setdefault("assignee", {"sub": "officer-2", "name": "budi@dpupr.example", "agency_id": DPUPR.id})
    change = plan_action(item, ActionRequest(action, **request), DPUPR, new_agency, SETTINGS, NOW, 3, None)
    if change.agency is not None:  # as lapor.agency.act does: the new agency's coordinators
        change.scope = DIRECTORY.coordinators(change.agency[0])
    return change


# ---------------------------------------------------------------- the transition table


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("status", STATUSES)
def test_an_action_is_planned_exactly_from_the_statuses_the_table_allows(action: str, status: str) -> None:
    # Given a report in some status
    item = report(status)
    transition = TRANSITIONS[action]
    if status in transition.allowed_from:
        # When an agency takes an allowed action, Then it moves to the table's status and emits its event,
        # conditional on the version and status it was planned from
        change = act(item, action)
        assert change.status == (transition.to or status)
        assert change.expected_version == 3 and change.expected_status == (status,)
        if action in INTERNAL_ACTIONS:  # the agency's own business: no event, nothing on the timeline
            assert change.event is None and change.timeline == []
        else:
            assert change.event is not None and change.event["type"] == f"report.{transition.event}"
            assert change.timeline[-1]["event"] == transition.event
    else:
        # When it is not allowed, Then nothing is planned
        with pytest.raises(Conflict):
            act(item, action)


def test_the_models_the_table_and_the_contract_name_the_same_actions() -> None:
    # Given the actions the request model accepts, the actions its field rules name, and the published contract
    accepted = set(AgencyAction.model_json_schema()["properties"]["action"]["enum"])
    named = {action for actions, _ in ACTION_FIELDS.values() for action in actions}
    operation = generate_openapi()["paths"]["/agency/reports/{tracking_id}/actions"]["post"]
    # Then each is the table's, and the contract states every action with the statuses it is allowed from
    assert accepted == set(TRANSITIONS) and named <= set(TRANSITIONS)
    for action, transition in TRANSITIONS.items():
        assert action in operation["summary"]
        assert f"{action} {'|'.join(transition.allowed_from)}" in operation["description"]


def test_verify_moves_a_submitted_report_on_and_starts_the_response_deadline() -> None:
    change = act(report("submitted"), "verify")
    assert change.status == "verified" and change.due_stage == "respond"
    assert change.due_at == add_working_days(NOW, SETTINGS.respond_working_days, TZ)
    assert change.event is not None and "stats" not in change.event  # open before and after: no counter moves


def test_transfer_moves_the_report_to_the_new_agency_and_restarts_verification() -> None:
    change = act(report("verified"), "transfer", agency_id=REGENCY.id)
    assert change.agency == (REGENCY.id, REGENCY.name) and change.status == "submitted"
    assert change.due_stage == "verify" and change.due_at == add_working_days(NOW, SETTINGS.verify_working_days, TZ)
    assert change.event is not None and change.event["agency_id"] == REGENCY.id
    assert change.event["previous_agency_id"] == DPUPR.id
    assert change.event["stats"] == {DPUPR.id: {"open": -1}, REGENCY.id: {"received": 1, "open": 1}}


def test_transfer_to_the_agency_that_has_it_is_refused() -> None:
    with pytest.raises(Conflict):
        plan_action(report(), ActionRequest("transfer"), DPUPR, DPUPR, SETTINGS, NOW, 3, None)


def test_the_first_response_is_counted_once() -> None:
    # Given a report in progress, When the agency responds for the first time
    first = act(report("in_progress"), "respond", message="Sudah ditambal.")
    # Then the auto-close deadline starts and the first response is counted with its working days
    assert first.due_stage == "auto_close" and first.set_fields["first_response_at"] == "2026-11-10T03:00:00Z"
    assert first.event is not None and first.event["stats"] == {DPUPR.id: {"responded": 1, "frd_1": 1}}
    # When it responds again after the reporter reopened it, Then nothing more is counted
    again = act(report("in_progress", first_response_at="2026-11-10T03:00:00Z"), "respond", message="Lagi.")
    assert "first_response_at" not in again.set_fields
    assert again.event is not None and "stats" not in again.event


def test_extend_keeps_the_stage_and_refuses_a_date_past_the_limit() -> None:
    change = act(report("in_progress", due_stage="respond"), "extend", message="Butuh alat berat.")
    assert change.status == "in_progress" and change.due_stage == "respond"
    assert change.due_at == NOW + timedelta(days=7)
    too_late = datetime(2026, 11, 9, 3, tzinfo=UTC) + timedelta(days=SETTINGS.max_total_days, seconds=1)
    with pytest.raises(ValidationFailed):
        act(report("in_progress"), "extend", message="x", due_at=too_late)
    with pytest.raises(ValidationFailed):
        act(report("in_progress"), "extend", message="x", due_at=NOW)


@pytest.mark.parametrize(("action", "status"), [("reject", "verified"), ("close", "responded")])
def test_reject_and_close_end_the_deadline_and_count_it(action: str, status: str) -> None:
    change = act(report(status, overdue=True), action, message="Selesai.")
    assert change.clear_deadline and change.due_at is None
    assert change.set_fields["closed_at"] == "2026-11-10T03:00:00Z"
    counted = "rejected" if action == "reject" else "closed"
    assert change.event is not None
    assert change.event["stats"] == {DPUPR.id: {"open": -1, "overdue": -1, counted: 1}}


def test_start_leaves_the_deadline_and_its_overdue_flag_alone() -> None:
    change = act(report("verified", overdue=True), "start")
    assert change.due_at is None and not change.clear_deadline
    assert change.event is not None and "stats" not in change.event


def test_a_confidential_reports_message_is_planned_sealed() -> None:
    def sealer(text: str) -> dict[str, Any]:
        return {"ct": text[::-1].encode()}

    request = ActionRequest("respond", message="Rahasia.", private=True)
    change = plan_action(report("verified"), request, DPUPR, None, SETTINGS, NOW, 3, sealer)
    entry = change.timeline[-1]
    assert entry["sealed"] == {"ct": b".aisahaR"} and "message" not in entry and entry["private"] is True


# ---------------------------------------------------------------- the stats deltas


def test_a_new_report_is_received_and_open_at_its_agency() -> None:
    after = {"status": "submitted", "agency_id": "a", "overdue": False}
    assert stats.deltas(None, after) == {"a": {"received": 1, "open": 1}}


def test_a_move_between_open_statuses_counts_nothing() -> None:
    before = {"status": "verified", "agency_id": "a", "overdue": False}
    assert stats.deltas(before, {**before, "status": "in_progress"}) == {}


def test_an_escalation_moves_the_open_report_and_counts_against_the_agency_below() -> None:
    before = {"status": "verified", "agency_id": "a", "overdue": False}
    assert stats.deltas(before, {**before, "agency_id": "b"}, escalated=True) == {
        "a": {"open": -1, "escalated": 1},
        "b": {"received": 1, "open": 1},
    }


def test_closing_an_overdue_report_takes_it_out_of_open_and_overdue() -> None:
    before = {"status": "responded", "agency_id": "a", "overdue": True}
    assert stats.deltas(before, {**before, "status": "closed", "overdue": False}) == {
        "a": {"open": -1, "overdue": -1, "closed": 1}
    }


def test_a_first_response_adds_to_its_histogram_bucket() -> None:
    before = {"status": "in_progress", "agency_id": "a", "overdue": False}
    after = {**before, "status": "responded"}
    assert stats.deltas(before, after, first_response_days=4) == {"a": {"responded": 1, "frd_4": 1}}


def test_the_median_first_response_reads_the_histogram() -> None:
    assert stats.median_from_histogram({}) is None
    assert stats.median_from_histogram({1: 2, 5: 1}) == 1.0
    assert stats.median_from_histogram({1: 1, 4: 1}) == 2.5


# ---------------------------------------------------------------- escalation planning


def test_an_unanswered_response_is_closed_when_its_deadline_passes() -> None:
    outcome, change = plan_deadline(report("responded", due_stage="auto_close"), DIRECTORY, SETTINGS, NOW)
    assert outcome == "closed" and change.status == "closed" and change.clear_deadline
    assert change.require_equal == {"due_at": "2026-11-12T16:59:59Z"} and change.expected_version == 3
    assert change.timeline[-1]["actor"] == "system"
    assert change.event is not None and change.event["type"] == "report.closed"
    assert change.event["stats"] == {DPUPR.id: {"open": -1, "closed": 1}}


@pytest.mark.parametrize(("stage", "days"), [("verify", "verify_working_days"), ("respond", "respond_working_days")])
def test_a_passed_deadline_goes_one_level_up_with_a_fresh_deadline(stage: str, days: str) -> None:
    outcome, change = plan_deadline(report("verified", due_stage=stage), DIRECTORY, SETTINGS, NOW)
    assert outcome == "escalated" and change.agency == (REGENCY.id, REGENCY.name) and change.status is None
    assert change.due_stage == stage and change.due_at == add_working_days(NOW, getattr(SETTINGS, days), TZ)
    assert change.add_fields == {"escalation_level": 1}
    assert change.timeline[-1]["message"] == f"{DPUPR.name} → {REGENCY.name}"
    assert change.event is not None and change.event["previous_agency_id"] == DPUPR.id
    assert change.event["stats"] == {DPUPR.id: {"open": -1, "escalated": 1}, REGENCY.id: {"received": 1, "open": 1}}


def test_at_the_top_of_the_hierarchy_a_passed_deadline_is_flagged_overdue() -> None:
    item = report("in_progress", agency_id=PROVINCE.id, agency_name=PROVINCE.name, due_stage="respond")
    outcome, change = plan_deadline(item, DIRECTORY, SETTINGS, NOW)
    assert outcome == "overdue" and change.overdue and change.agency is None and change.due_at is None
    assert change.event is not None and change.event["stats"] == {PROVINCE.id: {"overdue": 1}}


def test_a_deadline_with_nothing_to_enforce_is_only_dropped_from_the_due_index() -> None:
    outcome, change = plan_deadline(report("responded", due_stage="respond"), DIRECTORY, SETTINGS, NOW)
    assert outcome == "skipped" and change.unenforce_deadline and not change.bump_version
    assert change.event is None and change.status is None and not change.timeline


# ---------------------------------------------------------------- the reporter's messages and rating


KEY = bytes(range(32))  # a report's data key: every reporter message is private, so sealed (issue 23)


def test_a_reporter_message_is_private_and_counted_against_the_caps() -> None:
    from lapor.crypto import open_message

    item = report("verified")
    change = plan_message(item, "Lubangnya makin besar.", NOW, SETTINGS, KEY)
    assert change.status is None and change.due_at is None
    assert change.set_fields["reporter_day"] == "2026-11-10" and change.set_fields["reporter_day_count"] == 1
    assert change.add_fields == {"reporter_messages": 1}
    assert change.timeline[-1] == {
        "at": "2026-11-10T03:00:00Z",
        "event": "reporter_replied",
        "status": "verified",
        "actor": "reporter",
        "private": True,
        "sealed": change.timeline[-1]["sealed"],
    }
    assert open_message(KEY, item["tracking_id"], change.timeline[-1]["sealed"]) == "Lubangnya makin besar."
    assert change.event is not None and change.event["type"] == "report.reporter_replied"


def test_a_reporter_message_after_a_response_reopens_the_report() -> None:
    item = report("responded", due_stage="auto_close", reporter_day="2026-11-10", reporter_day_count=2)
    change = plan_message(item, "Belum beres.", NOW, SETTINGS, KEY)
    assert change.status == "in_progress" and change.due_stage == "respond"
    assert change.due_at == add_working_days(NOW, SETTINGS.respond_working_days, TZ)
    assert change.set_fields["reporter_day_count"] == 3
    assert [e["event"] for e in change.timeline] == ["reporter_replied", "reopened"]
    assert change.event is not None and change.event["type"] == "report.reopened"


def test_reporter_messages_stop_at_the_caps_and_on_closed_reports() -> None:
    per_day = {"reporter_day": "2026-11-10", "reporter_day_count": SETTINGS.reporter_messages_per_day}
    with pytest.raises(RateLimited):
        plan_message(report("verified", **per_day), "x", NOW, SETTINGS, KEY)
    with pytest.raises(RateLimited):
        plan_message(
            report("verified", reporter_messages=SETTINGS.reporter_messages_per_report), "x", NOW, SETTINGS, KEY
        )
    with pytest.raises(Conflict):
        plan_message(report("closed"), "x", NOW, SETTINGS, KEY)
    # Yesterday's count does not hold today's message back
    yesterday = {"reporter_day": "2026-11-09", "reporter_day_count": SETTINGS.reporter_messages_per_day}
    assert plan_message(report("verified", **yesterday), "x", NOW, SETTINGS, KEY).set_fields["reporter_day_count"] == 1


def test_a_rating_is_planned_once_after_a_response() -> None:
    change = plan_rating(report("responded"), 4, "Cepat.", NOW, None)
    assert change.require_absent == ("rating",) and change.expected_status == ("responded", "closed")
    assert change.set_fields["rating"] == {"score": 4, "at": "2026-11-10T03:00:00Z", "comment": "Cepat."}
    assert change.timeline[-1]["message"] == "4/5"
    assert change.event is not None and change.event["type"] == "report.rated"
    with pytest.raises(Conflict):
        plan_rating(report("in_progress"), 4, None, NOW, None)
    with pytest.raises(Conflict):
        plan_rating(report("closed", rating={"score": 1}), 4, None, NOW, None)


def test_a_confidential_reports_rating_comment_is_sealed() -> None:
    change = plan_rating(report("closed"), 2, "Lambat.", NOW, lambda text: {"ct": text.encode()})
    assert change.set_fields["rating"] == {"score": 2, "at": "2026-11-10T03:00:00Z", "sealed": {"ct": b"Lambat."}}


# ---------------------------------------------------------------- the store's translation into keys


def test_the_store_places_a_closed_public_report_in_the_closed_listing_and_out_of_the_due_index() -> None:
    # Given a planned close, When the store lays it out
    sets, removes = layout(act(report("responded"), "close"))
    # Then the inbox by status, the public listing and the outbox follow, and the deadline is gone
    assert sets["status_pk"] == f"AGENCY#{DPUPR.id}#closed"
    assert (sets["public_pk"], sets["service_pk"]) == ("PUBLIC#closed", "PUBLIC#jalan#closed")
    assert sets["public_sk"] == "2026-11-09T03:00:00Z#LPR-ABCD-EFGH"
    assert sets["outbox_pk"] == "OUTBOX"
    grace = timedelta(seconds=settings().outbox_grace_seconds)
    assert sets["outbox_at"] == (NOW + grace).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert set(removes) == {"due_at", "due_stage", "due_pk", "overdue"}


def test_the_store_moves_a_transferred_report_between_inboxes_and_never_lists_a_confidential_one() -> None:
    sets, removes = layout(act(report("verified", confidential=True), "transfer", agency_id=REGENCY.id))
    assert (sets["agency_id"], sets["agency_name"]) == (REGENCY.id, REGENCY.name)
    assert sets["inbox_pk"] == f"AGENCY#{REGENCY.id}" and sets["status_pk"] == f"AGENCY#{REGENCY.id}#submitted"
    assert sets["due_pk"] == "DUE" and sets["due_stage"] == "verify" and removes == ["overdue"]
    assert not {"public_pk", "service_pk", "public_sk"} & set(sets)
    closed, _ = layout(act(report("verified", confidential=True), "reject", message="Bukan wewenang."))
    assert not {"public_pk", "service_pk", "public_sk"} & set(closed)


def test_the_store_takes_an_overdue_or_unenforced_deadline_out_of_the_due_index_only() -> None:
    top = report("in_progress", agency_id=PROVINCE.id, agency_name=PROVINCE.name, due_stage="respond")
    sets, removes = layout(plan_deadline(top, DIRECTORY, SETTINGS, NOW)[1])
    assert sets["overdue"] is True and removes == ["due_pk"] and "status_pk" not in sets
    sets, removes = layout(plan_deadline(report("responded", due_stage="respond"), DIRECTORY, SETTINGS, NOW)[1])
    assert sets == {"updated_at": "2026-11-10T03:00:00Z"} and removes == ["due_pk"]


def test_erasure_keeps_the_rating_without_its_comment_and_drops_a_confidential_reports_photos() -> None:
    from lapor.lifecycle import plan_erasure

    now = datetime(2027, 12, 7, 5, tzinfo=UTC)
    attachments = {"a" * 16: {"status": "stored"}, "b" * 16: {"status": "refused"}}
    rating = {"score": 4, "at": "2026-12-06T10:00:00Z", "sealed": {"nonce": b"n", "ct": b"c"}}
    confidential = plan_erasure(report("closed", confidential=True, attachments=attachments, rating=rating), now)
    assert confidential.entry == {
        "at": "2027-12-07T05:00:00Z",
        "event": "personal_data_erased",
        "status": "closed",
        "actor": "system",
    }
    assert confidential.kept == {"rating": {"score": 4, "at": "2026-12-06T10:00:00Z"}, "attachments": None}
    assert confidential.photos == [("a" * 16, True), ("b" * 16, False)]
    public = plan_erasure(report("rejected", attachments=attachments), now)
    assert public.kept == {} and public.photos == [("a" * 16, False), ("b" * 16, False)]


def test_closing_or_rejecting_puts_a_report_in_the_retention_index() -> None:
    closed = Change(report("responded"), status="closed", set_fields={"closed_at": "2026-12-06T10:00:00Z"})
    sets, _ = layout(closed)
    assert sets["retain_pk"] == "RETAIN" and sets["retain_at"] == "2026-12-06T10:00:00Z"
    sets, _ = layout(Change(report("verified"), status="in_progress", set_fields={"updated_at": "x"}))
    assert "retain_pk" not in sets


# ---------------------------------------------------------------- the coordinators' indexes (issue 26)


def test_a_report_names_its_coordinators_at_each_level_and_the_store_keys_them() -> None:
    assert DIRECTORY.coordinators(DPUPR.id) == {"regency": REGENCY.id, "province": PROVINCE.id}
    assert DIRECTORY.coordinators(PROVINCE.id) == {"province": PROVINCE.id}
    sets, removes = layout(act(report("verified", scope={"regency": REGENCY.id}), "not_responsible", message="Bukan."))
    # Returned to the regency: its keys are the regency's and the province's, by status; no office level.
    assert sets["scope"] == {"regency": REGENCY.id, "province": PROVINCE.id}
    assert sets["scope_regency_pk"] == f"AGENCY#{REGENCY.id}"
    assert sets["scope_province_status_pk"] == f"AGENCY#{PROVINCE.id}#submitted"
    assert not any(key.startswith("scope_national") for key in sets) and "scope_national_pk" not in removes
    # A status change rewrites the status keys of the scope the report already has.
    seen = report("submitted", scope={"regency": REGENCY.id}, scope_regency_pk=f"AGENCY#{REGENCY.id}")
    sets, _ = layout(act(seen, "verify"))
    assert sets["scope_regency_status_pk"] == f"AGENCY#{REGENCY.id}#verified" and "scope" not in sets


def test_an_assignment_keys_the_officers_index_and_ends_with_a_move_or_a_close() -> None:
    sets, _ = layout(act(report("verified"), "assign"))
    assert sets["assignee"]["sub"] == "officer-2" and sets["assignee_pk"] == "OFFICER#officer-2"
    assigned = report("verified", assignee={"sub": "officer-2", "name": "b", "agency_id": DPUPR.id})
    for change in (act(assigned, "transfer", agency_id=REGENCY.id), act(assigned, "reject", message="Ganda.")):
        assert {"assignee", "assignee_pk"} <= set(layout(change)[1])
    assert "assignee" not in layout(act(assigned, "start"))[1]


def test_a_coordinator_whose_level_repeats_below_is_served_by_the_merge() -> None:
    kecamatan = Agency("kec-teweh-tengah", "Kecamatan Teweh Tengah", REGENCY.id, "regency", "62.05")
    nested = Directory({a.id: a for a in (PROVINCE, REGENCY, DPUPR, kecamatan)}, {})
    assert DIRECTORY.scope_served_by_level(REGENCY.id) and DIRECTORY.scope_served_by_level(PROVINCE.id)
    assert not nested.scope_served_by_level(REGENCY.id)  # the kecamatan would take its reports' regency key
    assert nested.scope_served_by_level(PROVINCE.id) and not nested.scope_served_by_level(DPUPR.id)
