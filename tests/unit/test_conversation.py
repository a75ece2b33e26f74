"""The WhatsApp conversation as pure transitions: every state, its good answers and its bad ones."""

from __future__ import annotations

from typing import Any

import pytest
from lapor.conversation import (
    MAX_PHOTOS,
    STEPS,
    Chat,
    Context,
    File,
    LookUp,
    Relay,
    Said,
    Unlock,
    advance,
    filed,
    looked_up,
    refused,
    relayed,
    submission,
    title_from,
    unlocked,
    with_sender,
)
from lapor.models import ReportSubmission

CTX = Context(
    [("jalan-jembatan", "Jalan dan Jembatan"), ("kesehatan", "Kesehatan"), ("lainnya", "Lainnya")],
    "https://lapor.test/privasi",
)
DESCRIPTION = "Jalan berlubang di depan pasar\nSudah dua minggu, motor sering jatuh di sana."


def say(chat: Chat, *messages: str | Said) -> Any:
    turn = None
    for message in messages:
        turn = advance(chat, message if isinstance(message, Said) else Said("text", message), CTX)
    return turn


def at(step: str, **draft: Any) -> Chat:
    return Chat(step=step, draft=dict(draft))


def full_draft() -> Chat:
    chat = Chat()
    say(chat, "1", "1", "1", DESCRIPTION, Said("location", lat=-0.95, lon=114.89, address="Pasar Muara Teweh"))
    say(chat, Said("image", image_id="media-1"), "0", "1", "2", "1")
    return chat


def test_any_other_text_shows_the_menu() -> None:
    turn = say(Chat(), "halo")
    assert turn.chat.step == "menu" and "1 Lapor" in turn.replies[-1]


def test_the_menu_leads_to_filing_status_and_privacy() -> None:
    assert say(Chat(), "1").chat.step == "kind"
    assert say(Chat(), "2").chat.step == "track_id"
    privacy = say(Chat(), "3")
    assert privacy.chat.step == "menu" and "https://lapor.test/privasi" in privacy.replies[0]
    assert len(privacy.replies[0].splitlines()) == 4  # three short lines and the link


def test_filing_walks_every_question_and_ends_with_the_same_model_as_post_reports() -> None:
    chat = Chat()
    assert say(chat, "1").chat.step == "kind"
    assert say(chat, "1").chat.step == "category"
    assert say(chat, "1").chat.step == "description"
    assert say(chat, DESCRIPTION).chat.step == "location"
    assert say(chat, Said("location", lat=-0.95, lon=114.89)).chat.step == "photos"
    assert say(chat, Said("image", image_id="m1")).chat.step == "photos"
    assert say(chat, "0").chat.step == "anonymous"
    assert say(chat, "2").chat.step == "name"
    assert say(chat, "Siti Aminah").chat.step == "confidential"
    assert say(chat, "2").chat.step == "updates"
    summary = say(chat, "1")
    assert summary.chat.step == "confirm" and "Jalan berlubang di depan pasar" in summary.replies[0]
    sent = say(chat, "1")
    assert isinstance(sent.effect, File) and sent.effect.photos == ("m1",) and sent.effect.updates
    body = with_sender(sent.effect.submission, "6281234567890")
    report = ReportSubmission.model_validate(body)
    assert report.title == "Jalan berlubang di depan pasar" and report.channel == "whatsapp"
    assert report.reporter is not None and report.reporter.phone == "+6281234567890"
    assert report.location is not None and report.location.lat == -0.95


def test_an_anonymous_report_carries_no_reporter_not_even_the_number() -> None:
    chat = Chat()
    sent = say(chat, "1", "2", "3", DESCRIPTION, "0", "0", "1", "1", "2", "1")
    assert isinstance(sent.effect, File)
    body = with_sender(sent.effect.submission, "6281234567890")
    assert "reporter" not in body and "6281234567890" not in str(body)
    report = ReportSubmission.model_validate(body)
    assert report.anonymous and report.confidential and report.kind == "aspiration"
    assert report.category == "lainnya" and report.location is None


def test_three_photos_move_on_by_themselves() -> None:
    chat = at("photos")
    for i in range(MAX_PHOTOS):
        turn = say(chat, Said("image", image_id=f"m{i}"))
    assert turn.chat.step == "anonymous" and chat.draft["photos"] == ["m0", "m1", "m2"]


@pytest.mark.parametrize(
    ("step", "answer", "hint"),
    [
        ("kind", "4", "angka"),
        ("kind", "dua", "angka"),
        ("kind", Said("image", image_id="m"), "angka"),
        ("category", "9", "angka"),
        ("category", "0", "angka"),
        ("description", "Jalan rusak", "minimal 20"),
        ("description", "x" * 4001, "paling banyak 4000"),
        ("description", "Jalan rusak\x00 di depan pasar sejak lama", "tidak diizinkan"),
        ("description", Said("image", image_id="m"), "teks"),
        ("title", "Pendek", "minimal 10"),
        ("title", Said("location", lat=1, lon=1), "teks"),
        ("location", "x" * 301, "300"),
        ("location", Said("other"), "angka"),
        ("anonymous", "3", "angka"),
        ("name", "A", "minimal 2"),
        ("name", Said("image", image_id="m"), "teks"),
        ("confidential", "ya", "angka"),
        ("updates", "5", "angka"),
        ("confirm", "7", "angka"),
    ],
)
def test_a_bad_answer_is_explained_in_one_line_and_the_question_asked_again(step: str, answer: Any, hint: str) -> None:
    chat = at(step, kind="complaint", category="lainnya", title="Judul yang cukup panjang", description=DESCRIPTION)
    turn = say(chat, answer)
    assert turn.chat.step == step and turn.effect is None
    assert hint in turn.replies[0] and len(turn.replies) == 2


def test_photos_step_asks_again_for_anything_but_an_image_or_skip() -> None:
    turn = say(at("photos"), "foto?")
    assert turn.chat.step == "photos" and "foto" in turn.replies[0]


def test_change_goes_back_to_one_answer_then_to_the_summary() -> None:
    chat = full_draft()
    assert chat.step == "confirm"
    assert say(chat, "2").chat.step == "edit"
    assert say(chat, "1").chat.step == "title"
    turn = say(chat, "Jalan pasar rusak berat")
    assert turn.chat.step == "confirm" and "Judul: Jalan pasar rusak berat" in turn.replies[0]
    # A new description keeps a title the sender gave
    say(chat, "2", "2", "Uraian baru yang cukup panjang untuk laporan ini")
    assert chat.step == "confirm" and chat.draft["title"] == "Jalan pasar rusak berat"
    assert say(chat, "2", "9").chat.step == "confirm"  # not a choice: the summary again


def test_zero_at_the_summary_cancels_and_batal_cancels_anywhere() -> None:
    turn = say(full_draft(), "0")
    assert turn.chat.step == "menu" and turn.chat.draft == {} and turn.replies[0] == "Dibatalkan."
    for step in STEPS:
        turn = say(at(step, description=DESCRIPTION), "BATAL")
        assert turn.chat.step == "menu" and turn.chat.draft == {}


def test_stop_records_the_opt_out() -> None:
    turn = say(at("description"), "STOP")
    assert turn.chat.opted_out and turn.chat.step == "menu"
    assert say(Chat(), "berhenti").chat.opted_out


def test_en_switches_the_language_and_asks_the_same_question_again() -> None:
    chat = at("kind")
    turn = say(chat, "EN")
    assert chat.lang == "en" and chat.step == "kind" and "What kind of report?" in turn.replies[0]
    assert "1 Report" in say(Chat(), "en").replies[0]
    assert say(chat, "ID").replies[0].startswith("Jenis laporan?")


def test_the_first_line_becomes_the_title_else_the_first_words() -> None:
    assert title_from(DESCRIPTION) == "Jalan berlubang di depan pasar"
    assert title_from("Rusak\nJalan di depan pasar berlubang") == "Rusak Jalan di depan pasar berlubang"
    long = "kata " * 60
    assert len(title_from(long)) <= 150 and title_from(long).endswith("...")


def test_checking_a_report_asks_the_id_then_the_code_then_relays_the_answer() -> None:
    chat = Chat()
    turn = say(chat, "2", "lpr-7kq2-m9xd-3fhw")
    assert turn.effect == LookUp("lpr-7kq2-m9xd-3fhw")
    view = {
        "tracking_id": "LPR-7KQ2-M9XD-3FHW",
        "status": "responded",
        "due_at": "2026-12-10T16:00:00+07:00",
        "timeline": [
            {"actor": "reporter", "event": "submitted"},
            {"actor": "Dinas PUPR", "event": "responded", "message": "Sudah ditambal."},
            {"actor": "system", "event": "agency_notified", "message": "Dinas PUPR"},
        ],
    }
    turn = looked_up(chat, view)
    assert chat.step == "track_code" and "ditanggapi" in turn.replies[0] and "Sudah ditambal." in turn.replies[0]
    turn = say(chat, "ABCD-1234")
    assert turn.effect == Unlock("LPR-7KQ2-M9XD-3FHW", "ABCD-1234")
    turn = unlocked(chat, view, "ABCD-1234")
    assert chat.step == "reporter_message" and "Sudah ditambal." in turn.replies[0]
    turn = say(chat, "Terima kasih, tapi masih ada satu lubang.")
    assert turn.effect == Relay("LPR-7KQ2-M9XD-3FHW", "ABCD-1234", "Terima kasih, tapi masih ada satu lubang.")
    assert relayed(chat).chat.step == "menu" and chat.draft == {}


def test_an_unknown_id_is_said_and_asked_again_zero_goes_back() -> None:
    chat = at("track_id")
    turn = looked_up(chat, None)
    assert chat.step == "track_id" and "tidak ditemukan" in turn.replies[0]
    assert say(chat, "0").chat.step == "menu"
    assert say(at("track_code", tracking_id="LPR-X"), "0").chat.step == "menu"
    assert say(at("reporter_message", tracking_id="LPR-X"), "0").chat.step == "menu"
    assert say(at("track_id"), Said("image", image_id="m")).chat.step == "track_id"
    assert say(at("reporter_message"), Said("image", image_id="m")).chat.step == "reporter_message"


def test_filing_ends_with_the_receipt_shown_once_and_the_menu() -> None:
    chat = full_draft()
    receipt = {"tracking_id": "LPR-A", "access_code": "SECRET-CODE", "tracking_url": "https://lapor.test/track/LPR-A"}
    turn = filed(chat, receipt)
    assert "SECRET-CODE" in turn.replies[0] and "hanya ditampilkan sekali" in turn.replies[0]
    assert "https://lapor.test/track/LPR-A" in turn.replies[0] and chat.step == "menu" and chat.draft == {}


def test_a_refused_effect_says_why_and_asks_again() -> None:
    chat = full_draft()
    turn = refused(chat, "kategori tidak dikenal")
    assert chat.step == "confirm" and "kategori tidak dikenal" in turn.replies[0] and "1 Kirim" in turn.replies[1]
    turn = refused(at("track_code", tracking_id="LPR-X"), "kode akses salah")
    assert "kode akses salah" in turn.replies[0] and "kode akses lagi" in turn.replies[1]
    assert turn.chat.step == "track_code"
    turn = refused(at("reporter_message", tracking_id="LPR-X"), "laporan ini sudah ditutup")
    assert turn.chat.step == "menu" and "sudah ditutup" in turn.replies[0]


def test_every_step_has_a_handler_and_an_unknown_step_falls_back_to_the_menu() -> None:
    assert say(Chat(step="nonsense"), "1").chat.step == "menu"
    for step in STEPS:
        assert advance(at(step), Said("other"), CTX).replies, step


def test_the_state_survives_json() -> None:
    chat = full_draft()
    again = Chat.from_json(chat.to_json())
    assert again == chat
    assert submission(again.draft)["channel"] == "whatsapp"


def test_a_confidential_reports_content_is_never_sent_back_on_whatsapp() -> None:
    chat = Chat()
    summary = say(chat, "1", "1", "1", DESCRIPTION, "0", "0", "1", "1", "2").replies[0]
    assert "Jalan berlubang" not in summary and "rahasia" in summary and "Rahasia: Ya" in summary
    view = {
        "tracking_id": "LPR-7KQ2-M9XD-3FHW",
        "confidential": True,
        "timeline": [{"actor": "Dinas", "message": "Isi tanggapan rahasia"}],
    }
    (opened,) = unlocked(Chat(step="track_code"), view, "CODE").replies
    assert "Isi tanggapan rahasia" not in opened and "rahasia" in opened
