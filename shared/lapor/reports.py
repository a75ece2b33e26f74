"""Use cases on reports: submitting one (the citizen path)."""

from __future__ import annotations

import hmac
import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from lapor import stats, store
from lapor.calendar import add_working_days
from lapor.config import settings
from lapor.crypto import idempotency_record_id, keyed_digest, open_replay, seal_fields, seal_replay
from lapor.errors import FieldProblem, IdempotencyKeyReused, RequestInProgress, ValidationFailed
from lapor.events import publish
from lapor.ids import hash_access_code, new_access_code, new_tracking_id, tracking_url
from lapor.lifecycle import new_event
from lapor.observability import count, log_fields, logger
from lapor.store import current_directory
from lapor.timefmt import to_public, to_store, utcnow

if TYPE_CHECKING:
    from lapor.models import ReportSubmission
    from lapor.shapes import SubmissionReceipt

_RETRIES = 5


def body_fingerprint(operation: str, body: Any) -> str:
    """What "the same body" means for idempotency: the same JSON value, whatever its formatting.

    Keyed with the server's secret: a stored fingerprint cannot be matched against a body rebuilt from
    the public view.
    """
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return keyed_digest("lapor-idempotency-body", f"{operation}\n{canonical}".encode()).hex()


def submit_report(
    submission: ReportSubmission,
    *,
    base_url: str,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    now: datetime | None = None,
    partner: tuple[str, str] | None = None,
) -> SubmissionReceipt:
    """Store a new report and tell its agency; returns the receipt (shown once: it holds the access code).

    With an Idempotency-Key, a retry of the same body returns the first receipt again and creates
    nothing; the same key with another body is refused. `partner` is the (key id, key hash) of the Open311
    partner filing it: the report keeps the id (the agency sees who filed it) and the key counts it.
    """
    directory = current_directory()
    problems = []
    category = directory.category(submission.category)
    if category is None:
        problems.append(FieldProblem(("body", "category"), "is not a category of GET /categories"))
    agency_id = submission.agency_id or (category.default_agency_id if category else None)
    agency = directory.agency(agency_id) if agency_id else None
    if agency_id and agency is None:
        problems.append(FieldProblem(("body", "agency_id"), "is not an agency of GET /agencies"))
    if problems:
        raise ValidationFailed(problems, "Request body is not valid")
    assert agency is not None

    s = settings()
    now = now or utcnow()
    due_at = add_working_days(now, s.verify_working_days, s.time_zone)
    for attempt in range(_RETRIES):
        tracking_id, access_code = new_tracking_id(), new_access_code()
        counters = stats.deltas(None, {"status": "submitted", "agency_id": agency.id, "overdue": False})
        event = new_event("submitted", tracking_id, agency.id, now, stats=counters)
        item = _new_report(submission, tracking_id, access_code, agency.id, agency.name, now, due_at)
        item["scope"] = directory.coordinators(agency.id)  # the coordinators' inboxes it shows in
        if partner is not None:
            item["open311_key_id"] = partner[0]
        receipt: SubmissionReceipt = {
            "tracking_id": tracking_id,
            "access_code": access_code,
            "status": "submitted",
            "submitted_at": to_public(item["submitted_at"], s.time_zone),
            "due_at": to_public(item["due_at"], s.time_zone),
            "agency": {"id": agency.id, "name": agency.name},
            "tracking_url": tracking_url(base_url, tracking_id),
        }
        record = None
        if idempotency_key is not None:
            record = (
                idempotency_record_id(idempotency_key),
                {
                    "body_hash": fingerprint,
                    "sealed_response": seal_replay(idempotency_key, receipt),
                    "tracking_id": tracking_id,
                    "expires_at": int(time.time()) + s.idempotency_ttl_seconds,
                },
            )
        try:
            store.create_report(item, event, record)
        except store.AlreadyExists as exc:
            if exc.which == "report":
                continue  # a Tracking ID collision (55 random bits): draw again
            assert idempotency_key is not None and fingerprint is not None
            replayed = _replay(idempotency_key, fingerprint)
            if replayed is not None:
                return replayed
            continue  # the record expired between the write and the read: try again
        except store.WriteConflict:
            # A concurrent request with the same key is being written right now.
            assert idempotency_key is not None and fingerprint is not None
            time.sleep(0.05 * (attempt + 1))
            replayed = _replay(idempotency_key, fingerprint)
            if replayed is not None:
                return replayed
            continue
        if partner is not None:
            _count_for_partner(partner[1])
        publish(event)
        count("ReportSubmitted")
        fields = log_fields(
            item,
            kind=submission.kind,
            category=category.code if category else None,
            agency_id=agency.id,
            channel=submission.channel,
            confidential=submission.confidential,
        )
        logger.info("report submitted", extra=fields)
        return receipt
    raise RequestInProgress()


def _count_for_partner(key_hash: str) -> None:
    """The partner key's count of reports; a failure here loses one count, never the report."""
    try:
        store.count_partner_report(key_hash)
    except Exception:  # the report is stored and acknowledged: a count is not worth a 5xx
        logger.warning("partner report count failed")


def _replay(key: str, fingerprint: str) -> SubmissionReceipt | None:
    record = store.get_idempotency_record(idempotency_record_id(key))
    if record is None:
        return None
    if not hmac.compare_digest(str(record.get("body_hash", "")), fingerprint):
        raise IdempotencyKeyReused()
    count("SubmissionReplayed")
    return cast("SubmissionReceipt", open_replay(key, record["sealed_response"]))  # what seal_replay sealed


def _new_report(
    submission: ReportSubmission,
    tracking_id: str,
    access_code: str,
    agency_id: str,
    agency_name: str,
    now: datetime,
    due_at: datetime,
) -> dict[str, Any]:
    """A new report's attributes (the store places it in its indexes)."""
    submitted_at = to_store(now)
    # Stored as sent: the optional fields that were left out stay out.
    location = submission.location.model_dump(exclude_none=True) if submission.location else None
    item: dict[str, Any] = {
        "tracking_id": tracking_id,
        "kind": submission.kind,
        "category": submission.category,
        "agency_id": agency_id,
        "agency_name": agency_name,
        "original_agency_id": agency_id,
        "status": "submitted",
        "channel": submission.channel,
        "anonymous": submission.anonymous,
        # In plain text, so counting the reporters who can be told of a breach opens nothing (lapor audit).
        "has_contact": submission.reporter is not None,
        "confidential": submission.confidential,
        "submitted_at": submitted_at,
        "updated_at": submitted_at,
        "due_at": to_store(due_at),
        "due_stage": "verify",
        "escalation_level": 0,
        "support_count": 0,
        "version": 1,
        "access_code_hash": hash_access_code(tracking_id, access_code),
        "timeline": [{"at": submitted_at, "event": "submitted", "status": "submitted", "actor": "reporter"}],
    }
    secret: dict[str, Any] = {}
    text = {"title": submission.title, "description": submission.description, "location": location}
    (secret if submission.confidential else item).update(text)
    if submission.reporter is not None:
        secret["reporter"] = submission.reporter.model_dump(exclude_none=True)
    if secret:
        item["sealed"] = seal_fields(tracking_id, secret)
    return item
