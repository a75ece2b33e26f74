"""The WhatsApp conversation (issue 25) as a pure state machine: numbered menus in Bahasa Indonesia (English
after "EN"), one question at a time, every answer checked by the same rules as POST /reports.

`advance` reads the sender's state and one message and returns the next state, the replies and at most one
`Effect` for the use case (`lapor.chat`) to carry out: file the report, look a report up, open it with the
access code, send the reporter's message. The effect's outcome comes back through `filed`, `looked_up`,
`unlocked`, `relayed` or `refused`, which say what the citizen reads next. Nothing here reaches AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, get_args

from lapor.models import Address, Description, PersonName, Title, TrimCheck
from lapor.whatsapp import status_words

MAX_PHOTOS = 3  # lapor.photos.MAX_PHOTOS: what a reporter may attach to a report
SKIP = ("0", "lewati", "skip", "selesai", "done", "tidak", "no")
CANCEL = ("batal", "cancel")
STOP = ("stop", "berhenti")
KINDS = ("complaint", "aspiration", "information_request")

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        "menu": "Selamat datang di layanan pengaduan LAPOR!\nBalas dengan angka:\n1 Lapor\n2 Cek status laporan\n"
        "3 Privasi\n\nKetik BATAL kapan saja untuk membatalkan, EN for English.",
        "kind": "Jenis laporan?\n1 Pengaduan\n2 Aspirasi\n3 Permintaan informasi",
        "category": "Kategori?\n{options}",
        "description": "Ceritakan masalahnya: apa, di mana, sejak kapan. Baris pertama menjadi judul.",
        "title": "Judul laporan (10 sampai 150 karakter)?",
        "location": "Kirim lokasi (📎 > Lokasi), tulis alamatnya, atau balas 0 untuk melewati.",
        "photos": "Kirim sampai {n} foto, satu per pesan, atau balas 0 untuk melewati.",
        "photo_more": "Foto {i} diterima. Kirim foto lagi, atau balas 0 untuk lanjut.",
        "anonymous": "Laporkan secara anonim? Tanpa nama, nomor Anda tidak disimpan bersama laporan.\n1 Ya, anonim\n"
        "2 Tidak, dengan nama saya",
        "name": "Nama Anda (hanya untuk instansi yang menangani)?",
        "confidential": "Rahasiakan isi laporan dari publik?\n1 Ya, rahasia\n2 Tidak",
        "updates": "Kirim kabar perkembangan laporan ke WhatsApp ini?\n1 Ya\n2 Tidak",
        "summary": "Periksa laporan Anda:\nJenis: {kind}\nKategori: {category}\nJudul: {title}\nUraian: {description}\n"
        "Lokasi: {location}\nFoto: {photos}\nAnonim: {anonymous}\nRahasia: {confidential}\nKabar via WhatsApp: "
        "{updates}\n\n1 Kirim\n2 Ubah\n0 Batal",
        "edit": "Ubah apa?\n1 Judul\n2 Uraian\n3 Kategori\n4 Lokasi\n5 Anonim, rahasia dan kabar",
        "filed": "Laporan terkirim.\nTracking ID: {tracking_id}\nKode akses: {access_code}\n\n"
        "Simpan sekarang: kode ini hanya ditampilkan sekali dan tidak dapat dipulihkan. Jangan bagikan "
        "kepada siapa pun. Dengan kode ini Anda "
        "dapat membaca laporan Anda dan membalas instansi.\n\nIkuti laporan: {tracking_url}",
        "track_id": "Tracking ID laporan (contoh LPR-7KQ2-M9XD-3FHW)?",
        "not_found": "Tracking ID itu tidak ditemukan. Periksa lagi, atau balas 0 untuk kembali.",
        "status": "{tracking_id}\nStatus: {status}\nBatas waktu: {due_at}\nJawaban terakhir instansi: {answer}\n\n"
        "Kirim kode akses untuk membaca dan membalas sebagai pelapor, atau 0 untuk selesai.",
        "unlocked": "Pesan terakhir instansi: {answer}\n\nTulis balasan Anda untuk instansi, atau 0 untuk selesai.",
        "relayed": "Pesan Anda terkirim ke instansi.",
        "withheld": "(laporan rahasia: isinya tidak dikirim lewat WhatsApp; bacalah di halaman Tracking ID)",
        "privacy": "Anonim: nomor dan nama Anda tidak disimpan bersama laporan.\nDengan nama: nama dan nomor hanya "
        "dilihat instansi yang menangani, tersimpan terenkripsi.\nRahasia: isi laporan tidak tampil di publik; "
        "kabar WhatsApp hanya berisi Tracking ID dan status.\nSelengkapnya: {privacy_url}",
        "cancelled": "Dibatalkan.",
        "stopped": "Anda tidak akan menerima kabar lagi di WhatsApp. Laporan Anda tetap ditangani.",
        "choose": "Balas dengan salah satu angka.",
        "too_short": "Terlalu pendek: minimal {n} karakter.",
        "too_long": "Terlalu panjang: paling banyak {n} karakter.",
        "bad_chars": "Teks itu berisi karakter yang tidak diizinkan.",
        "text_only": "Mohon balas dengan teks.",
        "limit_messages": "Mohon maaf, terlalu banyak pesan dalam satu jam. Silakan coba lagi nanti.",
        "limit_reports": "Mohon maaf, nomor ini sudah mengirim {n} laporan hari ini. Silakan coba lagi besok.",
        "refused": "Tidak bisa: {reason}",
        "wrong_code": "kode akses salah",
        "ask_code": "Kirim kode akses lagi, atau 0 untuk selesai.",
        "too_many": "terlalu banyak percobaan atau pesan; coba lagi nanti",
        "closed": "laporan ini sudah ditutup",
        "try_later": "Mohon maaf, terjadi gangguan. Silakan coba lagi sebentar lagi.",
        "yes": "Ya",
        "no": "Tidak",
        "none": "-",
        "complaint": "Pengaduan",
        "aspiration": "Aspirasi",
        "information_request": "Permintaan informasi",
        "other": "Lainnya",
    },
    "en": {
        "menu": "Welcome to the LAPOR! complaint service.\nReply with a number:\n1 Report\n2 Check a report\n"
        "3 Privacy\n\nType CANCEL at any time to cancel, ID untuk Bahasa Indonesia.",
        "kind": "What kind of report?\n1 Complaint\n2 Aspiration\n3 Information request",
        "category": "Category?\n{options}",
        "description": "Describe the problem: what, where, since when. The first line becomes the title.",
        "title": "Title of the report (10 to 150 characters)?",
        "location": "Send a location (📎 > Location), write the address, or reply 0 to skip.",
        "photos": "Send up to {n} photos, one per message, or reply 0 to skip.",
        "photo_more": "Photo {i} received. Send another, or reply 0 to go on.",
        "anonymous": "Report anonymously? Without a name, your number is not stored with the report.\n"
        "1 Yes, anonymous\n2 No, with my name",
        "name": "Your name (for the agency handling it only)?",
        "confidential": "Keep the report's content from the public?\n1 Yes, confidential\n2 No",
        "updates": "Send news of the report to this WhatsApp?\n1 Yes\n2 No",
        "summary": "Check your report:\nKind: {kind}\nCategory: {category}\nTitle: {title}\n"
        "Description: {description}\nLocation: {location}\nPhotos: {photos}\nAnonymous: "
        "{anonymous}\nConfidential: {confidential}\nNews on "
        "WhatsApp: {updates}\n\n1 Send\n2 Change\n0 Cancel",
        "edit": "Change what?\n1 Title\n2 Description\n3 Category\n4 Location\n5 Anonymous, confidential and news",
        "filed": "Report sent.\nTracking ID: {tracking_id}\nAccess code: {access_code}\n\n"
        "Save it now: this code is shown only once and cannot be recovered. Do not share it with anyone. "
        "With it you can read your report and answer "
        "the agency.\n\nFollow the report: {tracking_url}",
        "track_id": "The report's Tracking ID (for example LPR-7KQ2-M9XD-3FHW)?",
        "not_found": "That Tracking ID was not found. Check it, or reply 0 to go back.",
        "status": "{tracking_id}\nStatus: {status}\nDeadline: {due_at}\nThe agency's latest answer: {answer}\n\n"
        "Send the access code to read and answer as the reporter, or 0 to finish.",
        "unlocked": "The agency's latest message: {answer}\n\nWrite your answer to the agency, or 0 to finish.",
        "relayed": "Your message was sent to the agency.",
        "withheld": "(a confidential report: its content is not sent on WhatsApp; read it on the Tracking ID page)",
        "privacy": "Anonymous: your number and name are not stored with the report.\nWith your name: only the agency "
        "handling it sees your name and number, stored encrypted.\nConfidential: the content is not public; WhatsApp "
        "news holds the Tracking ID and status only.\nMore: {privacy_url}",
        "cancelled": "Cancelled.",
        "stopped": "You will get no more news on WhatsApp. Your reports are still handled.",
        "choose": "Reply with one of the numbers.",
        "too_short": "Too short: at least {n} characters.",
        "too_long": "Too long: at most {n} characters.",
        "bad_chars": "That text holds characters that are not allowed.",
        "text_only": "Please answer with text.",
        "limit_messages": "Sorry, too many messages in one hour. Please try again later.",
        "limit_reports": "Sorry, this number has sent {n} reports today. Please try again tomorrow.",
        "refused": "Not possible: {reason}",
        "wrong_code": "wrong access code",
        "ask_code": "Send the access code again, or 0 to finish.",
        "too_many": "too many attempts or messages; try again later",
        "closed": "this report is closed",
        "try_later": "Sorry, something went wrong. Please try again in a moment.",
        "yes": "Yes",
        "no": "No",
        "none": "-",
        "complaint": "Complaint",
        "aspiration": "Aspiration",
        "information_request": "Information request",
        "other": "Other",
    },
}


@dataclass(frozen=True)
class Context:
    """What the machine is told: the directory's categories as (code, name), "lainnya" last, and the privacy
    page's address."""

    categories: list[tuple[str, str]]
    privacy_url: str = ""


@dataclass
class Chat:
    """One sender's conversation: the question being asked (`step`), the language, the report being written."""

    step: str = "menu"
    lang: str = "id"
    draft: dict[str, Any] = field(default_factory=dict)
    opted_out: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "lang": self.lang, "draft": self.draft, "opted_out": self.opted_out}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chat:
        return cls(
            str(data.get("step", "menu")),
            str(data.get("lang", "id")),
            dict(data.get("draft") or {}),
            bool(data.get("opted_out")),
        )


@dataclass(frozen=True)
class Said:
    """What the machine reads of one message: its kind (text, image, location, other) and content."""

    kind: str
    text: str = ""
    image_id: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""


@dataclass(frozen=True)
class File:
    """File the draft (`submission`: the body of POST /reports); answer with `filed` or `refused`."""

    submission: dict[str, Any]
    photos: tuple[str, ...]
    updates: bool


@dataclass(frozen=True)
class LookUp:
    """Read a report's public view; answer with `looked_up` (None: not found)."""

    tracking_id: str


@dataclass(frozen=True)
class Unlock:
    """Open the reporter's view with the access code; answer with `unlocked` or `refused`."""

    tracking_id: str
    access_code: str


@dataclass(frozen=True)
class Relay:
    """Send the reporter's message (same caps as the web); answer with `relayed` or `refused`."""

    tracking_id: str
    access_code: str
    message: str


Effect = File | LookUp | Unlock | Relay


@dataclass
class Turn:
    """What one message leads to: the state to keep, the replies to send, and what to do first."""

    chat: Chat
    replies: list[str]
    effect: Effect | None = None


def text(lang: str, key: str, **values: Any) -> str:
    """A reply in `lang` (id or en)."""
    return TEXTS.get(lang, TEXTS["id"])[key].format(**values)


def _menu(chat: Chat, *before: str) -> Turn:
    chat.step, chat.draft = "menu", {}
    return Turn(chat, [*before, text(chat.lang, "menu")])


def _ask(chat: Chat, step: str, ctx: Context, *before: str) -> Turn:
    chat.step = step
    values: dict[str, Any] = {"n": MAX_PHOTOS}
    if step == "category":
        values["options"] = "\n".join(f"{i} {name}" for i, (_, name) in enumerate(ctx.categories, 1))
    if step == "confirm":
        return Turn(chat, [*before, summary(chat)])
    key = {"confirm": "summary"}.get(step, step)
    return Turn(chat, [*before, text(chat.lang, key, **values)])


def _choice(said: Said, options: int) -> int | None:
    """The number chosen (1..options, or 0), else None."""
    answer = said.text.strip().rstrip(".")
    if said.kind != "text" or not answer.isdigit() or int(answer) > options:
        return None
    return int(answer)


def _checked(lang: str, kind: Any, value: str) -> tuple[str | None, str | None]:
    """`value` as the model's field type (`Title`, `Description` ...) accepts it, or the reason in one line."""
    check = next(m.func for m in get_args(kind)[1:] if isinstance(getattr(m, "func", None), TrimCheck))
    try:
        return check(value), None
    except ValueError as exc:
        if "at least" in str(exc):
            return None, text(lang, "too_short", n=check.minimum)
        if "at most" in str(exc):
            return None, text(lang, "too_long", n=check.maximum)
        return None, text(lang, "bad_chars")


def title_from(description: str) -> str:
    """The title a description gives: its first line when it fits a title, else its first words."""
    first = description.strip().splitlines()[0].strip() if description.strip() else ""
    if _checked("id", Title, first)[0] is not None:
        return first
    words = " ".join(description.split())
    if len(words) <= 150:
        return words
    return words[:147].rsplit(" ", 1)[0].rstrip(" ,.;:") + "..."


def advance(chat: Chat, said: Said, ctx: Context) -> Turn:
    """The next state and replies for one message (`chat` changes in place; the turn holds it)."""
    word = said.text.strip().lower() if said.kind == "text" else ""
    if word in CANCEL:
        return _menu(chat, text(chat.lang, "cancelled"))
    if word in STOP:
        chat.opted_out = True
        return _menu(chat, text(chat.lang, "stopped"))
    if word in ("en", "id"):
        chat.lang = word
        if chat.step == "menu":
            return _menu(chat)
        return _ask(chat, chat.step, ctx)
    handler = _STEPS.get(chat.step)
    if handler is None:
        return _menu(chat)
    return handler(chat, said, ctx)


def _on_menu(chat: Chat, said: Said, ctx: Context) -> Turn:
    choice = _choice(said, 3)
    if choice == 1:
        chat.draft = {}
        return _ask(chat, "kind", ctx)
    if choice == 2:
        return _ask(chat, "track_id", ctx)
    if choice == 3:
        return _menu(chat, text(chat.lang, "privacy", privacy_url=ctx.privacy_url))
    return _menu(chat)


def _then(chat: Chat, step: str, ctx: Context) -> Turn:
    """Ask `step` next, or go back to the summary when the sender was changing one answer."""
    return _ask(chat, "confirm" if chat.draft.get("editing") else step, ctx)


def _on_kind(chat: Chat, said: Said, ctx: Context) -> Turn:
    choice = _choice(said, len(KINDS))
    if not choice:
        return _ask(chat, "kind", ctx, text(chat.lang, "choose"))
    chat.draft["kind"] = KINDS[choice - 1]
    return _then(chat, "category", ctx)


def _on_category(chat: Chat, said: Said, ctx: Context) -> Turn:
    choice = _choice(said, len(ctx.categories))
    if not choice:
        return _ask(chat, "category", ctx, text(chat.lang, "choose"))
    chat.draft["category"], chat.draft["category_name"] = ctx.categories[choice - 1]
    return _then(chat, "description", ctx)


def _on_description(chat: Chat, said: Said, ctx: Context) -> Turn:
    if said.kind != "text":
        return _ask(chat, "description", ctx, text(chat.lang, "text_only"))
    value, problem = _checked(chat.lang, Description, said.text)
    if value is None:
        return _ask(chat, "description", ctx, str(problem))
    chat.draft["description"] = value
    if not chat.draft.get("title_given"):
        chat.draft["title"] = title_from(value)
    return _then(chat, "location", ctx)


def _on_title(chat: Chat, said: Said, ctx: Context) -> Turn:
    if said.kind != "text":
        return _ask(chat, "title", ctx, text(chat.lang, "text_only"))
    value, problem = _checked(chat.lang, Title, said.text)
    if value is None:
        return _ask(chat, "title", ctx, str(problem))
    chat.draft["title"], chat.draft["title_given"] = value, True
    return _then(chat, "confirm", ctx)


def _on_location(chat: Chat, said: Said, ctx: Context) -> Turn:
    if said.kind == "location" and said.lat is not None and said.lon is not None:
        place: dict[str, Any] = {"lat": said.lat, "lon": said.lon}
        if said.address:
            place["address"] = said.address
        chat.draft["location"] = place
    elif said.kind == "text" and said.text.strip().lower() in SKIP:
        chat.draft.pop("location", None)
    elif said.kind == "text":
        address = " ".join(said.text.split())
        if not _address_ok(address):
            return _ask(chat, "location", ctx, text(chat.lang, "too_long", n=300))
        chat.draft["location"] = {"address": address}
    else:
        return _ask(chat, "location", ctx, text(chat.lang, "choose"))
    return _then(chat, "photos", ctx)


def _address_ok(address: str) -> bool:
    from pydantic import TypeAdapter, ValidationError

    try:
        TypeAdapter(Address).validate_python(address)
    except ValidationError:
        return False
    return True


def _on_photos(chat: Chat, said: Said, ctx: Context) -> Turn:
    photos: list[str] = chat.draft.setdefault("photos", [])
    if said.kind == "image" and said.image_id:
        photos.append(said.image_id)
        if len(photos) < MAX_PHOTOS:
            return Turn(chat, [text(chat.lang, "photo_more", i=len(photos))])
    elif not (said.kind == "text" and said.text.strip().lower() in SKIP):
        return _ask(chat, "photos", ctx)
    return _then(chat, "anonymous", ctx)


def _yes_no(said: Said) -> bool | None:
    choice = _choice(said, 2)
    return None if not choice else choice == 1


def _on_anonymous(chat: Chat, said: Said, ctx: Context) -> Turn:
    answer = _yes_no(said)
    if answer is None:
        return _ask(chat, "anonymous", ctx, text(chat.lang, "choose"))
    chat.draft["anonymous"] = answer
    if answer:
        chat.draft.pop("name", None)
        return _ask(chat, "confidential", ctx)
    return _ask(chat, "name", ctx)


def _on_name(chat: Chat, said: Said, ctx: Context) -> Turn:
    if said.kind != "text":
        return _ask(chat, "name", ctx, text(chat.lang, "text_only"))
    value, problem = _checked(chat.lang, PersonName, said.text)
    if value is None:
        return _ask(chat, "name", ctx, str(problem))
    chat.draft["name"] = value
    return _ask(chat, "confidential", ctx)


def _on_confidential(chat: Chat, said: Said, ctx: Context) -> Turn:
    answer = _yes_no(said)
    if answer is None:
        return _ask(chat, "confidential", ctx, text(chat.lang, "choose"))
    chat.draft["confidential"] = answer
    return _ask(chat, "updates", ctx)


def _on_updates(chat: Chat, said: Said, ctx: Context) -> Turn:
    answer = _yes_no(said)
    if answer is None:
        return _ask(chat, "updates", ctx, text(chat.lang, "choose"))
    chat.draft["updates"] = answer
    return _ask(chat, "confirm", ctx)


def _on_confirm(chat: Chat, said: Said, ctx: Context) -> Turn:
    choice = _choice(said, 2)
    if choice == 0:
        return _menu(chat, text(chat.lang, "cancelled"))
    if choice == 2:
        return _ask(chat, "edit", ctx)
    if choice == 1:
        draft = chat.draft
        effect = File(submission(draft), tuple(draft.get("photos") or ()), bool(draft.get("updates")))
        return Turn(chat, [], effect)
    return _ask(chat, "confirm", ctx, text(chat.lang, "choose"))


EDITS = ("title", "description", "category", "location", "anonymous")


def _on_edit(chat: Chat, said: Said, ctx: Context) -> Turn:
    choice = _choice(said, len(EDITS))
    if not choice:
        return _ask(chat, "confirm", ctx)
    chat.draft["editing"] = True
    return _ask(chat, EDITS[choice - 1], ctx)


def _on_track_id(chat: Chat, said: Said, ctx: Context) -> Turn:
    if said.kind == "text" and said.text.strip() in SKIP:
        return _menu(chat)
    if said.kind != "text" or not said.text.strip():
        return _ask(chat, "track_id", ctx, text(chat.lang, "text_only"))
    return Turn(chat, [], LookUp(said.text.strip()[:40]))


def _on_track_code(chat: Chat, said: Said, ctx: Context) -> Turn:
    if said.kind != "text" or said.text.strip().lower() in SKIP:
        return _menu(chat)
    return Turn(chat, [], Unlock(str(chat.draft.get("tracking_id", "")), said.text.strip()[:64]))


def _on_reporter_message(chat: Chat, said: Said, ctx: Context) -> Turn:
    if said.kind == "text" and said.text.strip().lower() in SKIP:
        return _menu(chat)
    if said.kind != "text" or not said.text.strip():
        return Turn(chat, [text(chat.lang, "text_only")])
    draft = chat.draft
    return Turn(chat, [], Relay(str(draft.get("tracking_id", "")), str(draft.get("access_code", "")), said.text))


_STEPS = {
    "menu": _on_menu,
    "kind": _on_kind,
    "category": _on_category,
    "description": _on_description,
    "title": _on_title,
    "location": _on_location,
    "photos": _on_photos,
    "anonymous": _on_anonymous,
    "name": _on_name,
    "confidential": _on_confidential,
    "updates": _on_updates,
    "confirm": _on_confirm,
    "edit": _on_edit,
    "track_id": _on_track_id,
    "track_code": _on_track_code,
    "reporter_message": _on_reporter_message,
}
STEPS = tuple(_STEPS)


def submission(draft: dict[str, Any], sender: str = "") -> dict[str, Any]:
    """The draft as the body of POST /reports (`lapor.models.ReportSubmission` validates it), channel whatsapp.

    The reporter's phone is the sender's number, added by the use case (`with_sender`) for a named report only.
    """
    body: dict[str, Any] = {
        "kind": draft.get("kind", "complaint"),
        "title": draft.get("title", ""),
        "description": draft.get("description", ""),
        "category": draft.get("category", ""),
        "anonymous": bool(draft.get("anonymous", True)),
        "confidential": bool(draft.get("confidential", False)),
        "channel": "whatsapp",
    }
    if draft.get("location"):
        body["location"] = dict(draft["location"])
    if not body["anonymous"]:
        body["reporter"] = {"name": draft.get("name", "")}
    return body


def with_sender(body: dict[str, Any], sender: str) -> dict[str, Any]:
    """A submission with the sender's number (E.164) as the named reporter's phone; anonymous ones unchanged."""
    if "reporter" not in body:
        return body
    return {**body, "reporter": {**body["reporter"], "phone": "+" + re.sub(r"\D", "", sender)}}


def summary(chat: Chat) -> str:
    """The draft as the sender checks it before sending."""
    draft, lang = chat.draft, chat.lang
    yes_no = {True: text(lang, "yes"), False: text(lang, "no")}
    place = draft.get("location") or {}
    where = place.get("address") or (f"{place['lat']}, {place['lon']}" if "lat" in place else text(lang, "none"))
    # A confidential report's content is never sent on WhatsApp, not even back to its author.
    withheld = text(lang, "withheld") if draft.get("confidential") else None
    return text(
        lang,
        "summary",
        kind=text(lang, str(draft.get("kind", "complaint"))),
        category=draft.get("category_name") or draft.get("category", ""),
        title=withheld or draft.get("title", ""),
        description=withheld or draft.get("description", ""),
        location=withheld or where,
        photos=len(draft.get("photos") or []),
        anonymous=yes_no[bool(draft.get("anonymous"))],
        confidential=yes_no[bool(draft.get("confidential"))],
        updates=yes_no[bool(draft.get("updates"))],
    )


# ---------------------------------------------------------------- outcomes of effects


def filed(chat: Chat, receipt: dict[str, Any]) -> Turn:
    """The report is stored: the Tracking ID, the access code (this once) with the receipt's warning, the link."""
    reply = text(
        chat.lang,
        "filed",
        tracking_id=receipt["tracking_id"],
        access_code=receipt["access_code"],
        tracking_url=receipt["tracking_url"],
    )
    return _menu(chat, reply)


def refused(chat: Chat, reason: str) -> Turn:
    """An effect was refused (a rule of the web holds here too): the reason in one line, the question again."""
    line = text(chat.lang, "refused", reason=reason)
    if chat.step == "confirm":
        return Turn(chat, [line, summary(chat)])
    if chat.step == "track_code":
        return Turn(chat, [line, text(chat.lang, "ask_code")])
    return _menu(chat, line)


def looked_up(chat: Chat, view: dict[str, Any] | None) -> Turn:
    """A Tracking ID's public status, deadline and latest public answer; then the access code is asked for."""
    if view is None:
        chat.step = "track_id"
        return Turn(chat, [text(chat.lang, "not_found")])
    chat.step, chat.draft = "track_code", {"tracking_id": view["tracking_id"]}
    return Turn(chat, [_status_line(chat.lang, view, "status")])


def unlocked(chat: Chat, view: dict[str, Any], access_code: str) -> Turn:
    """The reporter's view opened: the agency's latest message (not for a confidential report: its content is
    never sent on WhatsApp); the next text goes to the agency."""
    chat.step = "reporter_message"
    chat.draft = {"tracking_id": view["tracking_id"], "access_code": access_code}
    answer = text(chat.lang, "withheld") if view.get("confidential") else latest_answer(view)
    return Turn(chat, [text(chat.lang, "unlocked", answer=answer or text(chat.lang, "none"))])


def relayed(chat: Chat) -> Turn:
    return _menu(chat, text(chat.lang, "relayed"))


def _status_line(lang: str, view: dict[str, Any], key: str) -> str:
    return text(
        lang,
        key,
        tracking_id=view["tracking_id"],
        status=status_words(lang, str(view["status"])),
        due_at=(view.get("due_at") or text(lang, "none"))[:16].replace("T", " "),
        answer=latest_answer(view) or text(lang, "none"),
    )


def latest_answer(view: dict[str, Any]) -> str | None:
    """The agency's latest message the view shows (public messages, or the reporter's private ones too)."""
    for entry in reversed(view.get("timeline") or []):
        if entry.get("actor") not in ("reporter", "system") and entry.get("message"):
            return str(entry["message"])
    return None
