"""What a citizen does with a phone: scan a poster, report, keep the receipt, follow the report, answer.

Chromium at 360 x 740 against the local stack. Screenshots of the form, the receipt and the tracking page
are written to docs/screenshots/ on every run.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lapor_local.devtoken import dev_token_secret, mint_dev_token
from playwright.sync_api import BrowserContext, Page, expect

from tests import photos
from tests.browser.conftest import RunningStack
from tests.conftest import ROOT
from tests.e2e.client import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

AGENCY = "dpupr-barito-utara"
AGENCY_NAME = "Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten Barito Utara"
POSTER_PATH = f"/?agency={AGENCY}&channel=qr"
TITLE = "Lampu jalan padam di Jl. Yetro Sinseng"
DESCRIPTION = "Sudah tiga minggu lampu jalan padam, rawan kecelakaan dan kejahatan pada malam hari."
TRACKING_ID = re.compile(r"LPR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
ACCESS_CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}")


def api(stack: RunningStack, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """Call the local API directly (to set a scene the browser then looks at)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(stack.api_url + path, data=data, method=method, headers=headers or {})
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def confidential_report(stack: RunningStack) -> dict[str, Any]:
    body = {"title": TITLE, "description": DESCRIPTION, "category": "jalan-jembatan"}
    return api(stack, "POST", "/reports", {**body, "anonymous": True, "confidential": True, "channel": "web"})


def tab_to(page: Page, element_id: str, limit: int = 40) -> None:
    """Press Tab until `element_id` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    pytest.fail(f"#{element_id} cannot be reached with the Tab key")


def nothing_stored(context: BrowserContext, page: Page) -> bool:
    return context.cookies() == [] and page.evaluate("localStorage.length + sessionStorage.length") == 0


def test_a_poster_scan_opens_the_form_with_the_agency_preselected(page: Page, local_stack: RunningStack) -> None:
    page.goto(local_stack.api_url + POSTER_PATH)
    expect(page.get_by_label("Instansi tujuan")).to_have_value(AGENCY)
    expect(page.locator("#qr-agency")).to_have_text(f"Laporan ini akan dikirim kepada: {AGENCY_NAME}")


def test_an_anonymous_confidential_report_from_the_form_to_its_tracking_page(
    page: Page,
    context: BrowserContext,
    local_stack: RunningStack,
    screenshot: Callable[[Page, str], None],
    decode_qr: Callable[[bytes], list[str]],
    assert_accessible: Callable[[Page, str], None],
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    # Given the form opened from a poster, filled in as an anonymous, confidential report
    page.goto(local_stack.api_url + POSTER_PATH)
    expect(page.get_by_label("Instansi tujuan")).to_have_value(AGENCY)
    page.get_by_label("Kategori").select_option("jalan-jembatan")
    page.get_by_label("Judul laporan").fill(TITLE)
    page.get_by_label("Isi laporan", exact=True).fill(DESCRIPTION)
    expect(page.locator("#description-count")).to_have_text(f"{len(DESCRIPTION)} / 4000 karakter")
    page.get_by_label("Alamat atau patokan").fill("Jl. Yetro Sinseng, Muara Teweh")
    page.get_by_label("Kirim tanpa identitas (anonim)").check()
    expect(page.get_by_label("Nama", exact=True)).to_be_hidden()
    page.get_by_label("Rahasiakan isi laporan").check()
    screenshot(page, "form")
    assert_accessible(page, "landing page with the form")

    # When it is sent
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/reports")) as sent:
        page.get_by_role("button", name="Kirim laporan").click()
    body = sent.value.post_data_json
    assert body["channel"] == "qr" and body["agency_id"] == AGENCY
    assert body["anonymous"] is True and body["confidential"] is True and "reporter" not in body
    # A random version-4 UUID, the kind of key the API accepts.
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", sent.value.headers["idempotency-key"]
    )

    # Then the receipt shows the Tracking ID, the access code once, and a QR code of the tracking page
    expect(page.locator("#receipt")).to_be_focused()
    tracking_id = page.locator("#receipt-id").inner_text()
    access_code = page.locator("#receipt-code").inner_text()
    assert TRACKING_ID.fullmatch(tracking_id) and ACCESS_CODE.fullmatch(access_code)
    expect(page.locator("#receipt")).to_contain_text("hanya ditampilkan sekali")
    notice = page.locator("#receipt").get_by_role("link", name="Pemberitahuan privasi dan hak Anda")
    expect(notice).to_have_attribute("href", re.compile(r"privasi\?lang=id$"))
    expect(page.locator("#receipt-agency")).to_have_text(AGENCY_NAME)
    qr_code = page.locator("#receipt-qr")
    expect(qr_code).to_have_js_property("complete", True)
    assert qr_code.evaluate("img => img.naturalWidth") > 0
    screenshot(page, "receipt")
    page.get_by_role("button", name="Salin").first.click()
    expect(page.locator("#copy-status")).to_have_text("Tersalin")
    assert page.evaluate("navigator.clipboard.readText()") == tracking_id
    tracking_url = f"{local_stack.api_url}/track/{tracking_id}"
    assert decode_qr(qr_code.screenshot()) == [tracking_url]
    assert nothing_stored(context, page)
    assert_accessible(page, "receipt")

    # And the tracking page that the QR code opens shows status and timeline, not the content
    page.goto(tracking_url)
    expect(page.locator(".status-name")).to_have_text("Diterima")
    expect(page.locator(".timeline")).to_contain_text("Laporan dikirim")
    expect(page.locator("#report")).to_contain_text("Isi laporan ini dirahasiakan")
    expect(page.locator("#report")).to_contain_text(AGENCY_NAME)
    assert TITLE not in page.content() and DESCRIPTION not in page.content()
    screenshot(page, "tracking")
    assert_accessible(page, "tracking page")
    assert all(url.startswith(local_stack.api_url + "/") for url in requested), "only the deployment itself"


def test_the_access_code_opens_the_reporters_view_and_lets_them_answer(
    page: Page, context: BrowserContext, local_stack: RunningStack, assert_accessible: Callable[[Page, str], None]
) -> None:
    receipt = confidential_report(local_stack)
    page.goto(f"{local_stack.api_url}/track/{receipt['tracking_id'].lower().replace('-', '')}")
    expect(page.locator("#tracking-id")).to_have_text(receipt["tracking_id"])
    expect(page.locator("#report")).not_to_contain_text(TITLE)

    page.get_by_label("Kode akses").fill("AAAAA-BBBBB-CCCCC-DDDDD")
    page.get_by_label("Kode akses").press("Enter")
    expect(page.locator("#access-error")).to_have_text("Kode akses salah. Periksa kembali kode pada tanda terima Anda.")
    expect(page.locator("#report")).not_to_contain_text(TITLE)

    page.get_by_label("Kode akses").fill(receipt["access_code"].lower())
    page.get_by_role("button", name="Buka laporan saya").click()
    expect(page.locator("#report")).to_contain_text(TITLE)
    expect(page.locator("#report")).to_contain_text(DESCRIPTION)
    expect(page.locator("#report")).to_contain_text("Laporan anonim: tidak ada identitas yang tersimpan.")
    expect(page.get_by_label("Kode akses")).to_have_value("")
    assert_accessible(page, "tracking page, reporter's view (confidential)")

    page.get_by_label("Pesan", exact=True).fill("Lampunya ada di tiang nomor 12, dekat warung.")
    page.get_by_role("button", name="Kirim balasan").click()
    expect(page.locator("#reply-status")).to_have_text("Balasan terkirim.")
    answer = page.locator(".timeline li.private").last
    expect(answer).to_contain_text("Pelapor membalas")
    expect(answer).to_contain_text("Pesan pribadi")
    expect(answer).to_contain_text("tiang nomor 12")
    assert receipt["access_code"].lower() not in page.url
    assert nothing_stored(context, page)

    page.get_by_role("button", name="Tutup tampilan pelapor").click()
    expect(page.locator("#report")).not_to_contain_text(TITLE)
    expect(page.get_by_label("Kode akses")).to_be_visible()


def test_the_reporter_rates_the_agencys_response(page: Page, local_stack: RunningStack) -> None:
    receipt = confidential_report(local_stack)
    token = mint_dev_token(dev_token_secret(ROOT), AGENCY)
    actions = f"/agency/reports/{receipt['tracking_id']}/actions"
    bearer = {"Authorization": f"Bearer {token}"}
    api(local_stack, "POST", actions, {"action": "verify"}, bearer)
    api(local_stack, "POST", actions, {"action": "respond", "message": "Lampu sudah diganti hari ini."}, bearer)

    page.goto(f"{local_stack.api_url}/track/{receipt['tracking_id']}")
    expect(page.locator(".status-name")).to_have_text("Sudah ditanggapi")
    expect(page.locator(".timeline")).not_to_contain_text("Lampu sudah diganti")  # confidential
    page.get_by_label("Kode akses").fill(receipt["access_code"])
    page.get_by_label("Kode akses").press("Enter")
    expect(page.locator(".timeline")).to_contain_text("Lampu sudah diganti hari ini.")
    page.get_by_label("4 — puas").check()
    page.get_by_label("Komentar (tidak wajib)").fill("Cepat ditangani, terima kasih.")
    page.get_by_role("button", name="Kirim penilaian").click()
    expect(page.locator("#rate-status")).to_have_text("Terima kasih atas penilaian Anda.")
    expect(page.locator("#rate-form")).to_be_hidden()
    expect(page.locator(".timeline")).to_contain_text("Pelapor memberi penilaian")


def test_a_too_short_title_is_explained_next_to_the_title(page: Page, local_stack: RunningStack) -> None:
    page.goto(local_stack.api_url + "/")
    page.get_by_label("Kategori").select_option("kesehatan")
    page.get_by_label("Judul laporan").fill("Antre")
    page.get_by_label("Isi laporan", exact=True).fill(DESCRIPTION)
    page.get_by_label("Kirim tanpa identitas (anonim)").check()
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/reports")) as answered:
        page.get_by_role("button", name="Kirim laporan").click()
    assert answered.value.status == 422

    title = page.get_by_label("Judul laporan")
    expect(page.locator('[data-loc="title"] .error')).to_have_text("Minimal 10 karakter.")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_attribute("aria-describedby", re.compile(r"^error-title "))
    expect(page.locator('[data-loc="description"] .error')).to_have_count(0)
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Judul laporan: Minimal 10 karakter.").click()
    expect(title).to_be_focused()
    expect(page.locator("#receipt")).to_be_hidden()


def test_the_page_switches_to_english_without_losing_what_was_typed(page: Page, local_stack: RunningStack) -> None:
    page.goto(local_stack.api_url + POSTER_PATH)
    expect(page.get_by_label("Instansi tujuan")).to_have_value(AGENCY)
    page.get_by_label("Judul laporan").fill(TITLE)

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send your report")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Title", exact=True)).to_have_value(TITLE)
    expect(page.get_by_label("Agency", exact=True)).to_have_value(AGENCY)
    expect(page.locator("#qr-agency")).to_have_text(f"This report will be sent to: {AGENCY_NAME}")
    expect(page.get_by_label("Send without my identity (anonymous)")).to_be_visible()
    assert "lang=en" in page.url and f"agency={AGENCY}" in page.url

    page.reload()  # the address now asks for English: the server writes it so
    expect(page.get_by_role("heading", level=1)).to_have_text("Send your report")
    page.get_by_role("link", name="Bahasa Indonesia").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sampaikan laporan Anda")


def test_a_keyboard_alone_fills_in_and_sends_a_report(page: Page, local_stack: RunningStack) -> None:
    page.goto(local_stack.api_url + POSTER_PATH)
    expect(page.get_by_label("Instansi tujuan")).to_have_value(AGENCY)
    tab_to(page, "kind-complaint")
    page.keyboard.press("ArrowDown")
    tab_to(page, "category")
    page.keyboard.press("ArrowDown")
    tab_to(page, "title")
    page.keyboard.type(TITLE)
    tab_to(page, "description")
    page.keyboard.type(DESCRIPTION)
    tab_to(page, "anonymous")
    page.keyboard.press("Space")
    tab_to(page, "submit")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/reports")) as sent:
        page.keyboard.press("Enter")
    body = sent.value.post_data_json
    assert (body["kind"], body["anonymous"], body["title"]) == ("aspiration", True, TITLE)
    assert body["category"]
    expect(page.locator("#receipt")).to_be_focused()
    expect(page.locator("#receipt-id")).to_have_text(TRACKING_ID)


def test_a_tracking_id_typed_on_the_landing_page_opens_its_tracking_page(page: Page, local_stack: RunningStack) -> None:
    receipt = confidential_report(local_stack)
    page.goto(local_stack.api_url + "/")
    page.get_by_label("Tracking ID").fill(receipt["tracking_id"])
    page.get_by_label("Tracking ID").press("Enter")
    expect(page.locator(".status-name")).to_have_text("Diterima")
    page.goto(f"{local_stack.api_url}/track/LPR-0000-0000-0001")
    expect(page.locator("#report")).to_have_text(
        "Tidak ada laporan dengan Tracking ID ini. Periksa kembali penulisannya."
    )
    expect(page.locator("#access")).to_be_hidden()


def test_the_landing_page_is_light_and_loads_nothing_from_elsewhere(page: Page, local_stack: RunningStack) -> None:
    responses = []
    complaints: list[str] = []  # script errors, and whatever the Content-Security-Policy blocked
    page.on("response", lambda response: responses.append(response))
    page.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    page.goto(local_stack.api_url + "/", wait_until="networkidle")
    page_files = [r for r in responses if r.request.resource_type in ("document", "script", "stylesheet")]
    assert sorted(r.request.resource_type for r in page_files) == ["document", "script", "stylesheet"]
    transferred = sum(
        r.request.sizes()["responseBodySize"] + r.request.sizes()["responseHeadersSize"] for r in page_files
    )
    print(f"landing page: {transferred} bytes transferred for the page, its script and its style")
    # Gzipped as API Gateway sends them (the API's MinimumCompressionSize): a citizen's weak connection
    # carries about a third of the files' 58 KB.
    assert all(r.headers.get("content-encoding") == "gzip" for r in page_files)
    assert transferred < 25_000
    assert all(r.url.startswith(local_stack.api_url + "/") for r in responses)
    assert "content-security-policy" in page_files[0].headers
    expect(page.get_by_label("Kategori")).to_contain_text("Jalan dan Jembatan")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send your report")
    assert complaints == []


def test_the_pages_work_under_a_stage_prefix(page: Page, staged_api: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{staged_api}?agency={AGENCY}&channel=qr")
    expect(page.get_by_label("Instansi tujuan")).to_have_value(AGENCY)
    page.get_by_label("Kategori").select_option("jalan-jembatan")
    page.get_by_label("Judul laporan").fill(TITLE)
    page.get_by_label("Isi laporan", exact=True).fill(DESCRIPTION)
    page.get_by_label("Kirim tanpa identitas (anonim)").check()
    page.get_by_role("button", name="Kirim laporan").click()
    expect(page.locator("#receipt-id")).to_have_text(TRACKING_ID)
    tracking_id = page.locator("#receipt-id").inner_text()
    expect(page.locator("#receipt-qr")).to_have_js_property("complete", True)
    assert page.locator("#receipt-qr").evaluate("img => img.naturalWidth") > 0

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your report has been received")
    page.goto(f"{staged_api}track/{tracking_id}")
    expect(page.locator(".status-name")).to_have_text("Diterima")
    expect(page.locator("#report")).to_contain_text("Jalan dan Jembatan")  # the categories came through too
    assert all(url.startswith(staged_api) for url in requested), [u for u in requested if not u.startswith(staged_api)]


def test_a_photo_added_on_the_form_shows_on_the_tracking_page_once_verified(
    page: Page, local_stack: RunningStack, tmp_path: Path
) -> None:
    complaints: list[str] = []  # script errors, and whatever the Content-Security-Policy blocked
    page.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    picture = tmp_path / "lampu.jpg"
    original = photos.phone_jpeg(size=(3200, 2400))
    picture.write_bytes(original)

    # Given a report with a photo taken sideways, added with "Tambah foto"
    page.goto(local_stack.api_url + POSTER_PATH)
    page.get_by_label("Kategori").select_option("jalan-jembatan")
    page.get_by_label("Judul laporan").fill(TITLE)
    page.get_by_label("Isi laporan", exact=True).fill(DESCRIPTION)
    page.get_by_label("Kirim tanpa identitas (anonim)").check()
    page.get_by_label("Tambah foto").set_input_files(str(picture))
    preview = page.locator("#photo-previews img")
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("img => img.naturalWidth") > 0

    # When the report is sent, the photo goes straight to storage after the receipt
    with page.expect_request(lambda r: r.method == "POST" and r.url.startswith(local_stack.aws_url)):
        page.get_by_role("button", name="Kirim laporan").click()
    expect(page.locator("#uploads")).to_contain_text("Foto 1: terkirim, sedang diperiksa.")
    expect(page.locator("#uploads progress")).to_have_js_property("value", 100)
    tracking_id = page.locator("#receipt-id").inner_text()
    access_code = page.locator("#receipt-code").inner_text()

    def stored() -> bool:
        view = api(local_stack, "GET", f"/reports/{tracking_id}/private", headers={"X-Access-Code": access_code})
        return [p["status"] for p in view["photos"]] == ["stored"]

    eventually(stored, message="the photo was not processed")

    # Then the tracking page shows no photo before the agency verifies the report, and the photo after
    page.goto(f"{local_stack.api_url}/track/{tracking_id}")
    expect(page.locator(".status-name")).to_have_text("Diterima")
    expect(page.locator(".gallery")).to_have_count(0)
    token = mint_dev_token(dev_token_secret(ROOT), AGENCY)
    api(
        local_stack,
        "POST",
        f"/agency/reports/{tracking_id}/actions",
        {"action": "verify"},
        {"Authorization": f"Bearer {token}"},
    )
    page.reload()
    expect(page.locator(".status-name")).to_have_text("Diverifikasi")
    expect(page.locator(".gallery")).to_have_count(0)  # verified, but no officer has shown the photo yet
    (photo,) = api(local_stack, "GET", f"/agency/reports/{tracking_id}", headers={"Authorization": f"Bearer {token}"})[
        "photos"
    ]
    api(
        local_stack,
        "PUT",
        f"/agency/reports/{tracking_id}/photos/{photo['id']}/visibility",
        {"public": True},
        {"Authorization": f"Bearer {token}"},
    )
    page.reload()
    image = page.locator(".gallery img")
    expect(image).to_have_count(1)
    expect(image).to_have_js_property("complete", True)
    width, height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert (width, height) == (1920, 2560)  # upright as shown on the phone, capped at 2560 px
    assert complaints == []


def test_the_form_says_the_public_sees_only_the_area_and_can_send_only_the_area(
    page: Page,
    context: BrowserContext,
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
) -> None:
    """Issue 23: next to "Gunakan lokasi saya" the form says what the public sees of the point, and "Kirim
    area saja" makes the browser send 3 decimals; the tracking page shows the area and says so."""
    context.grant_permissions(["geolocation"], origin=local_stack.api_url)
    context.set_geolocation({"latitude": -0.95531, "longitude": 114.89562})
    page.goto(local_stack.api_url + "/")
    page.get_by_label("Kategori").select_option("jalan-jembatan")
    page.get_by_label("Judul laporan").fill(TITLE)
    page.get_by_label("Isi laporan", exact=True).fill(DESCRIPTION)
    page.get_by_label("Kirim tanpa identitas (anonim)").check()
    expect(page.locator("#area-explain")).to_have_text(
        "Publik hanya melihat perkiraan areanya (sekitar 100 m), juga untuk laporan anonim; "
        "instansi melihat titik persisnya."
    )
    page.get_by_role("button", name="Gunakan lokasi saya").click()
    expect(page.locator("#location-status")).to_have_text("Titik lokasi terpasang: -0.95531, 114.89562")
    page.get_by_label("Kirim area saja (sekitar 100 m)").check()
    expect(page.locator("#location-status")).to_have_text("Titik lokasi terpasang: -0.955, 114.896")
    assert_accessible(page, "landing page with a location, area only")

    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/reports")) as sent:
        page.get_by_role("button", name="Kirim laporan").click()
    assert sent.value.post_data_json["location"] == {"lat": -0.955, "lon": 114.896}
    expect(page.locator("#receipt")).to_be_focused()
    tracking_id = page.locator("#receipt-id").inner_text()

    page.goto(f"{local_stack.api_url}/track/{tracking_id}")
    expect(page.locator("#report")).to_contain_text("-0.955, 114.896 · perkiraan area, sekitar 100 m")
    expect(page.locator("#report")).not_to_contain_text("-0.9553")


def test_the_privacy_notice_opens_from_the_form_and_switches_to_english(
    page: Page,
    context: BrowserContext,
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], None],
) -> None:
    # Given the form, partly filled in
    page.goto(local_stack.api_url + POSTER_PATH)
    page.get_by_label("Judul laporan").fill(TITLE)

    # When the reporter opens the privacy notice next to the Send button
    with context.expect_page() as opened:
        page.get_by_role("link", name="Pemberitahuan privasi dan hak Anda").click()
    notice = opened.value

    # Then it opens in a new tab (the form keeps what was typed), in Bahasa Indonesia, with the officer's address
    expect(notice.get_by_role("heading", level=1)).to_have_text("Bagaimana kami menjaga data Anda")
    expect(notice.get_by_role("heading", name="Pejabat Pelindungan Data Pribadi")).to_be_visible()
    expect(notice.get_by_role("link", name="privasi@example.go.id")).to_have_attribute(
        "href", "mailto:privasi@example.go.id"
    )
    expect(notice.locator("main")).to_contain_text("sekitar 110 m")
    # How long: the template's PersonalDataRetentionDays and AuditRetentionDays (issue 23)
    expect(notice.locator("main")).to_contain_text("dihapus untuk selamanya")
    expect(notice.locator("#retention-days")).to_have_text("365")
    expect(notice.locator("#audit-days")).to_have_text("1825")
    # How to use the rights: the tracking page's "Data Anda" section, with the access code
    expect(notice.locator("main")).to_contain_text('bagian "Data Anda" pilih "Unduh data saya"')
    expect(page.get_by_label("Judul laporan")).to_have_value(TITLE)
    assert_accessible(notice, "privacy notice")
    screenshot(notice, "privasi")

    # And in English
    notice.get_by_role("link", name="English").click()
    expect(notice.get_by_role("heading", level=1)).to_have_text("How we look after your data")
    expect(notice.locator("html")).to_have_attribute("lang", "en")
    expect(notice.get_by_role("heading", name="Your rights")).to_be_visible()
    assert_accessible(notice, "privacy notice in English")

    # And once the form switches to English, its link opens the English notice
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("link", name="Privacy notice and your rights")).to_have_attribute(
        "href", re.compile(r"privasi\?lang=en$")
    )


def test_data_anda_downloads_corrects_and_erases_the_reporters_contact(
    page: Page,
    context: BrowserContext,
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
    tmp_path: Path,
) -> None:
    # Given an identified report, opened with its access code
    body = {"title": TITLE, "description": DESCRIPTION, "category": "jalan-jembatan", "channel": "web"}
    reporter = {"name": "Siti Rahma", "email": "siti@example.org", "phone": "+6281234567890"}
    receipt = api(local_stack, "POST", "/reports", {**body, "reporter": reporter})
    page.goto(f"{local_stack.api_url}/track/{receipt['tracking_id']}")
    page.get_by_label("Kode akses").fill(receipt["access_code"])
    page.get_by_label("Kode akses").press("Enter")
    section = page.locator("#your-data")
    expect(section.get_by_role("heading", name="Data Anda")).to_be_visible()
    expect(section.get_by_label("Email", exact=True)).to_have_value("siti@example.org")
    assert_accessible(page, "tracking page, Data Anda")

    # When the reporter downloads their data
    with page.expect_download() as download:
        section.get_by_role("button", name="Unduh data saya (JSON)").click()
    saved = tmp_path / "data.json"
    download.value.save_as(saved)
    export = json.loads(saved.read_text())
    # Then the file is the export: their contact, and every stored item
    assert export["tracking_id"] == receipt["tracking_id"] and export["report"]["reporter"] == reporter
    assert "REPORT" in [record["key"] for record in export["stored"]]
    expect(page.locator("#data-status")).to_have_text("Data Anda sudah diunduh.")
    expect(page.locator(".timeline")).to_contain_text("Pelapor mengunduh data pribadinya")

    # When they correct their phone number (typed as people write it)
    section.get_by_label("Nomor HP", exact=True).fill("0813 9999 8888")
    section.get_by_role("button", name="Simpan perbaikan kontak").click()
    expect(page.locator("#contact-status")).to_have_text("Kontak Anda sudah diperbaiki.")
    expect(page.locator("#report")).to_contain_text("+6281399998888")

    # When they ask to erase their contact, change their mind, then confirm
    section.get_by_role("button", name="Hapus kontak saya").click()
    expect(section.get_by_role("group")).to_contain_text("tidak dapat dibatalkan")
    assert_accessible(page, "tracking page, erasing the contact (confirmation)")
    section.get_by_role("button", name="Batal").click()
    expect(section.get_by_role("group")).to_be_hidden()
    expect(page.locator("#report")).to_contain_text("siti@example.org")
    section.get_by_role("button", name="Hapus kontak saya").click()
    section.get_by_role("button", name="Ya, hapus kontak saya").click()

    # Then the contact is gone, the report goes on as an anonymous one, and nothing was kept in the browser
    expect(page.locator("#contact-status")).to_have_text(
        "Kontak Anda sudah dihapus. Laporan berlanjut sebagai laporan anonim."
    )
    expect(page.locator("#report")).to_contain_text("Laporan anonim: tidak ada identitas yang tersimpan.")
    expect(page.locator("#contact-form")).to_be_hidden()
    expect(page.locator(".timeline")).to_contain_text("Pelapor menghapus data kontaknya")
    assert nothing_stored(context, page)
    assert_accessible(page, "tracking page, contact erased")

    # And in English (the page switches in place: the reporter's view stays open) the section says the same
    page.get_by_role("link", name="English").click()
    expect(section.get_by_role("heading", name="Your data")).to_be_visible()
    expect(page.locator("#contact-status")).to_have_text(
        "Your contact was erased. The report goes on as an anonymous one."
    )
    expect(page.locator(".timeline")).to_contain_text("The reporter erased their contact data")
