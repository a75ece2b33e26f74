"""WhatsApp (issue 25), the conversation's use case: each queued message (`lapor.inbound` took it in) moves its
sender's conversation on (`converse`: the machine of `lapor.conversation`, its effects through the web's own
use cases). The sender is known by a keyed hash of the number; the state is sealed.
"""

from __future__ import annotations

import time
from typing import Any

from lapor import conversation, public, reporter, store
from lapor.channels import DeliveryFailed, DeliveryRejected, download_whatsapp_media, send_whatsapp, upload_photo
from lapor.config import settings
from lapor.conversation import Chat, Context, File, LookUp, Relay, Said, Turn, Unlock
from lapor.crypto import open_for, seal_for
from lapor.crypto import whatsapp_sender_id as sender_id
from lapor.errors import Conflict, Forbidden, LaporError, RateLimited, ReportNotFound, ValidationFailed
from lapor.inbound import open_inbound
from lapor.models import AttachmentRequest, ReporterMessage, ReportSubmission, parse
from lapor.observability import count, logger
from lapor.reports import body_fingerprint, submit_report
from lapor.store import current_directory
from lapor.timefmt import utcnow
from lapor.whatsapp import Inbound, text_message

_STATE_PURPOSE = "lapor-whatsapp-state"
STATE_SECONDS = 24 * 3600  # a conversation is forgotten a day after the sender's last message


# ---------------------------------------------------------------- the conversation


def converse(body: dict[str, Any]) -> None:
    """Move one sender's conversation on by one queued message: the limits, the machine, its effect, the state
    (sealed, 24 hours), then the replies. A message handled before (SQS delivered it again) sends the replies it
    led to again and changes nothing else; a reply that cannot be sent now fails the record (retried)."""
    key, inbound = open_inbound(body)
    sender = sender_id(inbound.sender)
    s, now = settings(), int(time.time())
    record = store.get_conversation(sender)
    saved = open_for(_STATE_PURPOSE, sender, bytes(record["sealed"])) if record else {}
    if record is not None and record.get("last") == key:
        _send(inbound.sender, list(saved.get("replies") or []))
        return
    chat = Chat.from_json(saved.get("chat") or {})
    if not store.count_whatsapp_use(sender, f"h{now // 3600}", s.whatsapp_messages_per_hour, now + 3600):
        count("WhatsAppSenderLimited")
        _send(inbound.sender, [conversation.text(chat.lang, "limit_messages")])
        return
    opted_out = chat.opted_out
    turn = conversation.advance(chat, _said(inbound), _context())
    if turn.effect is not None:
        turn = _carry_out(turn, inbound, key, sender)
    if turn.chat.opted_out and not opted_out:  # STOP: recorded beyond the conversation's day
        store.set_whatsapp_opt_out(sender, True)
    sealed = seal_for(_STATE_PURPOSE, sender, {"chat": turn.chat.to_json(), "replies": turn.replies})
    store.put_conversation(sender, {"sealed": sealed, "last": key}, now + STATE_SECONDS)
    count("WhatsAppMessageHandled")
    _send(inbound.sender, turn.replies)


def _said(inbound: Inbound) -> Said:
    return Said(inbound.kind, inbound.text, inbound.image_id, inbound.lat, inbound.lon, inbound.address)


def _context() -> Context:
    categories = sorted(current_directory().categories.values(), key=lambda c: (c.code == "lainnya", c.name))
    return Context([(c.code, c.name) for c in categories], f"{settings().link_base_url}/privasi")


def _send(to: str, replies: list[str]) -> None:
    for reply in replies:
        try:
            send_whatsapp(text_message(to, reply))
        except DeliveryRejected as exc:  # the number cannot be written to (blocked, not on WhatsApp): never retried
            logger.warning("whatsapp reply refused", extra={"reason": exc.reason})
            count("WhatsAppReplyRefused")
            return
    count("WhatsAppReplySent", len(replies))


def _carry_out(turn: Turn, inbound: Inbound, key: str, sender: str) -> Turn:
    """Do what the machine asked, through the web's use cases, and say how it went."""
    chat, effect = turn.chat, turn.effect
    try:
        if isinstance(effect, File):
            return _file(chat, effect, inbound, key, sender)
        if isinstance(effect, LookUp):
            try:
                return conversation.looked_up(chat, dict(public.public_report(effect.tracking_id)))
            except ReportNotFound:
                return conversation.looked_up(chat, None)
        if isinstance(effect, Unlock):
            view = reporter.reporter_view(effect.tracking_id, effect.access_code)
            return conversation.unlocked(chat, dict(view), effect.access_code)
        if isinstance(effect, Relay):
            message = parse(ReporterMessage, {"message": effect.message}).message
            reporter.post_message(effect.tracking_id, effect.access_code, message)
            return conversation.relayed(chat)
    except LaporError as exc:
        return conversation.refused(chat, _reason(chat.lang, exc))
    return turn


def _reason(lang: str, exc: LaporError) -> str:
    """A refusal in one line the citizen reads."""
    if isinstance(exc, Forbidden):
        return conversation.text(lang, "wrong_code")
    if isinstance(exc, RateLimited):
        return conversation.text(lang, "too_many")
    if isinstance(exc, Conflict):
        return conversation.text(lang, "closed")
    if isinstance(exc, ValidationFailed) and exc.problems:
        problem = exc.problems[0]
        return f"{'.'.join(str(p) for p in problem.loc[1:])}: {problem.msg}"
    if isinstance(exc, ReportNotFound):
        return conversation.text(lang, "not_found")
    return conversation.text(lang, "try_later")


def _file(chat: Chat, effect: File, inbound: Inbound, key: str, sender: str) -> Turn:
    """File the report as POST /reports does (same model, same use case), its idempotency key the message's:
    a message handled twice files once. Then its photos, through the web's upload path."""
    s, now = settings(), utcnow()
    day = now.astimezone(_zone(s.time_zone)).strftime("%Y%m%d")
    body = conversation.with_sender(effect.submission, inbound.sender)
    submission = parse(ReportSubmission, body)
    if not store.count_whatsapp_use(sender, f"d{day}", s.whatsapp_reports_per_day, int(time.time()) + 86400):
        count("WhatsAppReportsLimited")
        chat.step, chat.draft = "menu", {}
        return Turn(chat, [conversation.text(chat.lang, "limit_reports", n=s.whatsapp_reports_per_day)])
    idempotency = f"whatsapp:{key}"
    updates = {"to": inbound.sender, "lang": chat.lang} if effect.updates else None
    receipt = submit_report(
        submission,
        base_url=s.link_base_url,
        idempotency_key=idempotency,
        fingerprint=body_fingerprint("WHATSAPP", {**body, "updates": effect.updates}),
        whatsapp=updates,
    )
    if effect.updates:  # asking for updates on a new report lifts an earlier STOP
        chat.opted_out = False
        store.set_whatsapp_opt_out(sender, False)
    count("WhatsAppReportFiled")
    for media_id in effect.photos:
        _attach(receipt["tracking_id"], receipt["access_code"], media_id)
    return conversation.filed(chat, dict(receipt))


def _attach(tracking_id: str, access_code: str, media_id: str) -> None:
    """One photo the citizen sent, from the Graph API into an upload slot of the report: the photo function
    strips it as it does a web upload. A photo that cannot be had is left out; the report stands."""
    try:
        mime, data = download_whatsapp_media(media_id)
        content_type = parse(AttachmentRequest, {"content_type": mime}).content_type
        slot = reporter.request_photo_slot(tracking_id, access_code, content_type)
        upload_photo(slot["upload"]["url"], dict(slot["upload"]["fields"]), content_type, data)
    except (DeliveryFailed, LaporError) as exc:
        logger.warning("whatsapp photo left out", extra={"error_type": type(exc).__name__})
        count("WhatsAppPhotoLeftOut")
        return
    count("WhatsAppPhotoAttached")


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
