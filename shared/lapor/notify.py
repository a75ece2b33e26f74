"""Telling people what happened: the consumer of report events.

For each event, the deliveries it calls for (the responsible agency by email and, where the directory
gives one, by signed webhook; the reporter by email when a response arrives), each sent at most once:
a delivery is claimed in the idempotency table before sending and marked sent after, so a redelivered
message (SQS is at least once) or a relay re-send never mails twice. When every delivery is done the
event leaves the report's outbox, together with its `agency_notified` timeline entries, in one write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lapor import store
from lapor.channels import DeliveryFailed, DeliveryRejected, post_webhook, send_email
from lapor.config import settings
from lapor.crypto import open_fields
from lapor.directory import Agency
from lapor.ids import tracking_url
from lapor.lifecycle import timeline_entry
from lapor.observability import count, log_fields, logger
from lapor.store import current_directory
from lapor.timefmt import to_public, to_store, utcnow

AGENCY_EVENTS = {
    "report.submitted": ("Laporan baru", "New report"),
    "report.transferred": ("Laporan dialihkan kepada Anda", "Report transferred to you"),
    "report.not_responsible": (
        "Laporan dikembalikan (bukan wewenang): mohon disposisikan",
        "Report returned (not responsible): please dispose of it",
    ),
    "report.escalated": ("Laporan melewati batas waktu dan dieskalasi", "Report overdue and escalated"),
    "report.overdue": ("Laporan melewati batas waktu di tingkat tertinggi", "Report overdue at the top level"),
    "report.reporter_replied": ("Pelapor menambahkan pesan", "The reporter added a message"),
    "report.reopened": ("Pelapor menjawab tanggapan; laporan dibuka kembali", "The reporter answered; report reopened"),
}
# A claim not finished within this time is taken over: well above the consumer's 30 s timeout.
STALE_CLAIM_SECONDS = 120
# "The reporter added a message" is emailed at most once per report in this time; the messages after it
# wait in the inbox (each still reaches a webhook, and the report's updated_at moves).
REPLY_NOTICE_QUIET = timedelta(hours=1)


class DeliveryInFlight(Exception):
    """Another consumer is sending this notification right now; try again later."""


@dataclass(frozen=True)
class Delivery:
    channel: str  # email or webhook
    audience: str  # agency or reporter
    target: str  # agency id, or "reporter"
    address: str  # email address or webhook URL (never logged)
    agency: Agency | None = None


def plan_deliveries(event: dict[str, Any], item: dict[str, Any]) -> list[Delivery]:
    """Who must hear of this event, through which channels."""
    directory = current_directory()
    deliveries: list[Delivery] = []
    if event["type"] in AGENCY_EVENTS:
        targets = [event["agency_id"]]
        if event["type"] == "report.escalated" and event.get("previous_agency_id"):
            targets.append(event["previous_agency_id"])
        for agency_id in targets:
            agency = directory.agency(agency_id)
            if agency is None:
                continue
            if agency.email:
                deliveries.append(Delivery("email", "agency", agency.id, agency.email, agency))
            if agency.webhook_url:
                deliveries.append(Delivery("webhook", "agency", agency.id, agency.webhook_url, agency))
    elif event["type"] == "report.responded" and not item.get("anonymous") and item.get("sealed") is not None:
        reporter = open_fields(item["tracking_id"], item["sealed"]).get("reporter") or {}
        if reporter.get("email"):
            deliveries.append(Delivery("email", "reporter", "reporter", reporter["email"]))
    return deliveries


def _agency_email(event: dict[str, Any], item: dict[str, Any], agency: Agency) -> tuple[str, str]:
    s = settings()
    title_id, title_en = AGENCY_EVENTS[event["type"]]
    tracking_id = item["tracking_id"]
    due = to_public(item.get("due_at"), s.time_zone) or "-"
    subject = f"[LAPOR] {title_id}: {tracking_id}"
    batched = (
        "Pesan pelapor berikutnya dalam satu jam tidak diemailkan lagi; lihat kotak masuk.\n"
        "Further messages from the reporter within the hour are not emailed again; see the inbox.\n\n"
        if event["type"] == "report.reporter_replied"
        else ""
    )
    body = (
        f"{title_id} / {title_en}\n\n"
        f"{batched}"
        f"Instansi / Agency: {agency.name}\n"
        f"Tracking ID: {tracking_id}\n"
        f"Jenis / Kind: {item['kind']}\nKategori / Category: {item['category']}\n"
        f"Status: {item['status']}\nBatas waktu / Due: {due}\n"
        f"Tingkat eskalasi / Escalation level: {item.get('escalation_level', 0)}\n\n"
        f"Buka di konsol instansi / Open in the agency console:\n  {s.link_base_url}/console/reports/{tracking_id}\n"
        f"Halaman publik / Public page:\n  {tracking_url(s.link_base_url, tracking_id)}\n\n"
        "Isi laporan dan data pelapor tidak pernah dikirim lewat email.\n"
        "Report content and reporter data are never sent by email.\n"
    )
    return subject, body


def _reporter_email(item: dict[str, Any]) -> tuple[str, str]:
    s = settings()
    tracking_id = item["tracking_id"]
    subject = f"[LAPOR] Laporan Anda telah ditanggapi: {tracking_id}"
    body = (
        "Instansi telah menanggapi laporan Anda. / The agency has responded to your report.\n\n"
        f"Tracking ID: {tracking_id}\n"
        f"Buka / Open: {tracking_url(s.link_base_url, tracking_id)}\n\n"
        "Masukkan kode akses Anda di halaman itu untuk membaca tanggapan dan menjawabnya.\n"
        "Enter your access code on that page to read the response and answer it.\n"
    )
    return subject, body


def _send(delivery: Delivery, event: dict[str, Any], item: dict[str, Any]) -> None:
    if delivery.channel == "webhook":
        assert delivery.agency is not None
        payload = {
            **event,
            "status": item["status"],
            "due_at": to_public(item.get("due_at"), settings().time_zone),
            "links": {
                "agency": f"{settings().link_base_url}/agency/reports/{item['tracking_id']}",
                "public": tracking_url(settings().link_base_url, item["tracking_id"]),
            },
        }
        post_webhook(delivery.address, delivery.agency.id, payload, event["event_id"])
    elif delivery.audience == "agency":
        assert delivery.agency is not None
        send_email(delivery.address, *_agency_email(event, item, delivery.agency))
    else:
        send_email(delivery.address, *_reporter_email(item))


def _failure_message(delivery: Delivery) -> str:
    """The internal timeline entry's text: which notification did not arrive, never an address."""
    if delivery.agency is None:
        return "Email ke pelapor tidak dapat dikirim."
    if delivery.channel == "webhook":
        return f"Webhook {delivery.agency.name} menolak pemberitahuan."
    return f"Email ke {delivery.agency.name} tidak dapat dikirim."


def _batched_reply_notice(delivery: Delivery, event: dict[str, Any], now: datetime) -> bool:
    """True when this "the reporter replied" email falls in the quiet hour after the last one."""
    if event["type"] != "report.reporter_replied" or delivery.channel != "email":
        return False
    quiet_since = to_store(now - REPLY_NOTICE_QUIET)
    return not store.claim_reply_notice(event["tracking_id"], event["event_id"], to_store(now), quiet_since)


def handle_event(event: dict[str, Any]) -> str:
    """Handle one report event; returns what happened ("done", "duplicate", "gone"). Raises to retry.

    A delivery refused for good (`DeliveryRejected`) is not retried: it is recorded on the report as an
    internal `notification_failed` entry (shown to the agency only) and counted, and the event is
    acknowledged as for a delivery, so that its figures apply. Any other failure raises, to be retried.
    """
    item = store.get_report(event["tracking_id"], store.NOTIFY_ATTRIBUTES)
    if item is None:
        return "gone"
    if event["event_id"] not in (item.get("outbox") or {}):
        return "duplicate"  # handled before: this is a redelivery or a relay re-send
    now = utcnow()
    notified: dict[str, Agency] = {}
    refused: list[Delivery] = []
    for delivery in plan_deliveries(event, item):
        if _batched_reply_notice(delivery, event, now):
            count("ReplyNoticeBatched")
            continue
        delivery_id = f"{event['event_id']}:{delivery.channel}:{delivery.target}"
        state = store.claim_delivery(delivery_id, STALE_CLAIM_SECONDS)
        if state == "busy":
            raise DeliveryInFlight(delivery_id)
        if state == "claimed":
            try:
                _send(delivery, event, item)
            except DeliveryRejected as exc:
                store.finish_delivery(delivery_id, "rejected")
                count(f"DeliveryRejected_{delivery.channel}")
                logger.warning(
                    "notification refused for good",
                    extra={"channel": delivery.channel, "audience": delivery.audience, "reason": exc.reason},
                )
                state = "rejected"
            except DeliveryFailed:
                store.finish_delivery(delivery_id, "retry")
                count(f"DeliveryFailed_{delivery.channel}")
                raise
            else:
                store.finish_delivery(delivery_id, "sent")
                count(f"Delivered_{delivery.channel}")
        if state == "rejected":
            refused.append(delivery)
        elif delivery.agency is not None:
            notified[delivery.agency.id] = delivery.agency
    status = item["status"]
    timeline = [timeline_entry(now, "agency_notified", status, "system", a.name) for a in notified.values()]
    timeline += [
        {**timeline_entry(now, "notification_failed", status, "system", _failure_message(d)), "internal": True}
        for d in refused
    ]
    store.ack_event(item["tracking_id"], event["event_id"], timeline, event.get("stats") or {})
    logger.info("event handled", extra=log_fields(item, event_type=event["type"]))
    return "done"
