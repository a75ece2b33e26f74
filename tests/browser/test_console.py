"""The agency console and /statistik in Chromium, with the citizen on the other side of the loop.

Every person is a browser profile of their own. Officers sign in as they would on `make run`: the console's
sign-in button, the local stack's sign-in page (authorization code with PKCE), back to the console. Screenshots
of the inbox, a report and /statistik at 360x740 and 1280x800 are written to docs/screenshots/ on every run.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lapor_local.devtoken import dev_token_secret, mint_dev_token
from lapor_local.seed import LOCAL_OFFICERS
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests import photos
from tests.browser.conftest import SCREENSHOTS, VIEWPORT, WAIT_MS, RunningStack
from tests.conftest import ROOT
from tests.e2e.client import eventually
from tests.e2e.test_agency_loop import mails_to

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

DPUPR = "dpupr-barito-utara"
DPUPR_NAME = "Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten Barito Utara"
DINKES = "dinkes-barito-utara"
DINKES_NAME = "Dinas Kesehatan Kabupaten Barito Utara"
# The Dinkes officer of the local pool (lapor_local.seed): the name an assignment shows.
DINKES_OFFICER = next(o[0] for o in LOCAL_OFFICERS if o[2:] == ("dinkes-barito-utara", "officer"))
DISDUKCAPIL = "disdukcapil-barito-utara"
PEMKAB = "pemkab-barito-utara"
TITLE = "Jalan berlubang di depan SDN 1 Muara Teweh"
DESCRIPTION = "Lubang besar sejak dua minggu, sudah ada motor yang jatuh di malam hari."
SAVED_REPLY = "Terima kasih atas laporan Anda. Lubang sudah ditambal oleh tim kami hari ini."
WIDE = {"width": 1280, "height": 800}
PAGE_LIMIT = 100_000  # bytes: what the console and /statistik may transfer, uncompressed


def api(stack: RunningStack, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(stack.api_url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def token(agency: str, role: str = "officer") -> str:
    return mint_dev_token(dev_token_secret(ROOT), agency, role)


def report_for(stack: RunningStack, category: str = "jalan-jembatan", agency: str | None = None) -> dict[str, Any]:
    body = {"title": TITLE, "description": DESCRIPTION, "category": category, "anonymous": True, "channel": "web"}
    return api(stack, "POST", "/reports", {**body, **({"agency_id": agency} if agency else {})})


@pytest.fixture
def new_person(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Opens a page in a browser profile of its own (one per person); all are closed after the test."""
    contexts: list[BrowserContext] = []

    def open_page() -> Page:
        context = browser.new_context(viewport=VIEWPORT, locale="id-ID", service_workers="block")
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def pool_option(agency: str, role: str = "officer") -> str:
    """The local sign-in page's entry for the seeded user of `agency` with `role`."""
    email, name, _, _ = next(o for o in LOCAL_OFFICERS if o[2:] == (agency, role))
    return f"{name} — {email} ({agency}, {role})"


def sign_in(
    page: Page, stack: RunningStack, agency: str, role: str = "officer", path: str = "/console", user: str | None = None
) -> None:
    """What an officer does on `make run`: open the console, sign in, choose themselves among the pool's users
    (the seeded user of `agency` and `role`, or the entry `user`)."""
    page.goto(stack.api_url + path)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/local-auth/oauth2/authorize\?"))
    page.get_by_label("Officer").select_option(label=user or pool_option(agency, role))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-out")).to_be_visible()


def open_from_inbox(page: Page, tracking_id: str) -> None:
    expect(page.locator("#inbox")).to_be_visible()
    page.get_by_role("link", name=tracking_id).click()
    expect(page.locator("#report-heading")).to_have_text(f"Laporan {tracking_id}")


def test_a_citizen_and_an_officer_close_the_loop_in_two_browsers(
    new_person: Callable[[], Page],
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], None],
) -> None:
    citizen, officer = new_person(), new_person()

    # A citizen sends a report from the landing page, with a name and an email for the agency
    citizen.goto(f"{local_stack.api_url}/?agency={DPUPR}")
    citizen.get_by_label("Kategori").select_option("jalan-jembatan")
    citizen.get_by_label("Judul laporan").fill(TITLE)
    citizen.get_by_label("Isi laporan", exact=True).fill(DESCRIPTION)
    citizen.get_by_label("Nama", exact=True).fill("Siti Rahma")
    citizen.get_by_label("Email").fill("siti@example.org")
    citizen.get_by_role("button", name="Kirim laporan").click()
    expect(citizen.locator("#receipt-id")).to_have_text(re.compile(r"^LPR-"))
    tracking_id = citizen.locator("#receipt-id").inner_text()
    access_code = citizen.locator("#receipt-code").inner_text()

    # An officer of the agency signs in, keeps a saved reply, and finds the report in the inbox
    sign_in(officer, local_stack, DPUPR)
    expect(officer.locator("#who")).to_have_text(f"{DPUPR_NAME} (petugas)")
    assert officer.context.cookies() == [] and officer.evaluate("localStorage.length") == 0
    assert sorted(officer.evaluate("Object.keys(sessionStorage)")) == ["lapor.console.refresh", "lapor.console.token"]
    officer.get_by_label("Nama").fill("Lubang ditambal")
    officer.get_by_label("Teks").fill(SAVED_REPLY)
    officer.get_by_role("button", name="Simpan balasan").click()
    expect(officer.locator("#reply-list")).to_contain_text("Lubang ditambal")
    card = officer.locator("#list li").filter(has_text=tracking_id)
    expect(card).to_contain_text(TITLE)
    expect(card).to_contain_text("Diterima")
    expect(officer.locator("#counts")).to_contain_text("Diterima")
    assert_accessible(officer, "console inbox")

    # ... opens it: decrypted content, the reporter's contact, the timeline; only what "submitted" allows
    open_from_inbox(officer, tracking_id)
    body = officer.locator("#report-body")
    expect(body).to_contain_text(DESCRIPTION)
    expect(body).to_contain_text("siti@example.org")
    expect(body).to_contain_text("Laporan dikirim")
    expect(body).to_contain_text("sisa")
    forms = officer.locator("#action-forms form")
    expect(forms).to_have_count(5)
    actions = [f.get_attribute("data-action") for f in forms.all()]
    assert actions == [
        "verify",
        "transfer",
        "not_responsible",
        "reject",
        "mark_duplicate",
    ]  # an officer does not assign
    assert_accessible(officer, "console report")

    # ... verifies it (with If-Match) and answers with the saved reply
    with officer.expect_request(lambda r: r.url.endswith("/actions")) as sent:
        officer.get_by_role("button", name="Verifikasi laporan").click()
    assert sent.value.headers["if-match"] == '"1"'
    expect(officer.locator(".status")).to_have_text("Diverifikasi")
    officer.get_by_label("Pakai balasan tersimpan").select_option(label="Lubang ditambal")
    expect(officer.get_by_label("Tanggapan", exact=True)).to_have_value(SAVED_REPLY)
    officer.get_by_role("button", name="Kirim tanggapan").click()
    expect(officer.locator(".status")).to_have_text("Sudah ditanggapi")
    expect(officer.locator("#action-forms form")).to_have_count(2)  # only "close" and "mark_duplicate" are left

    # The citizen opens the tracking page with the access code, reads the answer and rates it
    citizen.goto(f"{local_stack.api_url}/track/{tracking_id}")
    citizen.get_by_label("Kode akses").fill(access_code)
    citizen.get_by_label("Kode akses").press("Enter")
    expect(citizen.locator(".timeline")).to_contain_text(SAVED_REPLY)
    assert_accessible(citizen, "tracking page, reporter's view")
    citizen.get_by_label("5 — sangat puas").check()
    citizen.get_by_role("button", name="Kirim penilaian").click()
    expect(citizen.locator("#rate-status")).to_have_text("Terima kasih atas penilaian Anda.")

    # The officer sees the rating
    officer.reload()
    expect(officer.locator("#report-body")).to_contain_text("5 dari 5")
    expect(officer.locator("#report-body")).to_contain_text("Pelapor memberi penilaian")

    for size, suffix in ((VIEWPORT, ""), (WIDE, "-wide")):
        officer.set_viewport_size(size)
        screenshot(officer, f"console-report{suffix}")
        officer.goto(f"{local_stack.api_url}/console")
        # A list on a phone, a table at a desk (issue 26).
        expect(officer.locator("#list li:visible, .inbox-table tbody tr:visible").first).to_be_visible()
        screenshot(officer, f"console-inbox{suffix}")
        officer.goto(f"{local_stack.api_url}/console/reports/{tracking_id}")
        expect(officer.locator(".status")).to_be_visible()

    # Signing out forgets the token
    officer.get_by_role("button", name="Keluar").click()
    expect(officer.get_by_role("button", name="Masuk")).to_be_visible()
    assert officer.evaluate("sessionStorage.length") == 0


def test_a_dispatcher_transfers_a_report_and_the_new_agency_sees_it(
    new_person: Callable[[], Page], local_stack: RunningStack
) -> None:
    tracking_id = report_for(local_stack, agency=DPUPR)["tracking_id"]
    dispatcher, dinkes = new_person(), new_person()

    sign_in(dispatcher, local_stack, PEMKAB, "dispatcher")
    dispatcher.get_by_label("Instansi", exact=True).select_option(DPUPR)
    expect(dispatcher).to_have_url(re.compile(f"agency={DPUPR}"))
    expect(dispatcher.locator("#list li").filter(has_text=tracking_id)).to_contain_text(DPUPR_NAME)
    dispatcher.reload()  # the filter survives a reload
    expect(dispatcher.get_by_label("Instansi", exact=True)).to_have_value(DPUPR)
    open_from_inbox(dispatcher, tracking_id)
    dispatcher.get_by_label("Instansi baru yang bertanggung jawab").select_option(DINKES)
    dispatcher.get_by_role("button", name="Alihkan laporan").click()
    expect(dispatcher.locator("#report-body")).to_contain_text(DINKES_NAME)
    expect(dispatcher.locator("#notice")).to_have_text("Selesai: Alihkan.")

    sign_in(dinkes, local_stack, DINKES)
    open_from_inbox(dinkes, tracking_id)
    expect(dinkes.locator("#report-body")).to_contain_text("Dialihkan ke instansi yang berwenang")


def test_two_officers_act_at_once_and_the_second_is_told_and_shown_the_new_state(
    new_person: Callable[[], Page], local_stack: RunningStack
) -> None:
    tracking_id = report_for(local_stack)["tracking_id"]
    first, second = new_person(), new_person()
    for officer in (first, second):
        sign_in(officer, local_stack, DPUPR, path=f"/console/reports/{tracking_id}")
        expect(officer.locator(".status")).to_have_text("Diterima")

    first.get_by_role("button", name="Verifikasi laporan").click()
    expect(first.locator(".status")).to_have_text("Diverifikasi")
    with second.expect_response(lambda r: r.url.endswith("/actions")) as answered:
        second.get_by_role("button", name="Verifikasi laporan").click()
    assert answered.value.status == 409
    expect(second.locator("#notice")).to_have_text(
        "Laporan ini telah diubah oleh orang lain. Laporan sudah dimuat ulang: periksa lalu coba lagi."
    )
    expect(second.locator(".status")).to_have_text("Diverifikasi")
    expect(second.get_by_role("button", name="Verifikasi laporan")).to_have_count(0)


def test_extend_and_reject_ask_for_what_they_need_and_the_date_picker_stops_at_the_cap(
    new_person: Callable[[], Page], local_stack: RunningStack
) -> None:
    extended, rejected = report_for(local_stack)["tracking_id"], report_for(local_stack)["tracking_id"]
    api(local_stack, "POST", f"/agency/reports/{extended}/actions", {"action": "verify"}, token(DPUPR))
    officer = new_person()
    sign_in(officer, local_stack, DPUPR, path=f"/console/reports/{extended}")
    expect(officer.locator(".status")).to_have_text("Diverifikasi")
    officer.get_by_role("button", name="Perpanjang", exact=True).click()
    expect(officer.locator("#a-extend-error")).to_have_text("Pilih tanggal terlebih dahulu.")
    picker = officer.get_by_label("Batas waktu baru")
    last_day = picker.get_attribute("max")
    assert last_day
    picker.fill(last_day)  # the very last day the 60-day cap allows
    officer.get_by_role("button", name="Perpanjang", exact=True).click()
    expect(officer.locator("#a-extend-error")).to_have_text("Tulis teksnya terlebih dahulu.")
    officer.get_by_role("form", name="Perpanjang batas waktu").get_by_label("Alasan").fill(
        "Menunggu material aspal dari provinsi."
    )
    officer.get_by_role("button", name="Perpanjang", exact=True).click()
    expect(officer.locator("#notice")).to_have_text("Selesai: Perpanjang batas waktu.")
    expect(officer.locator("#report-body")).to_contain_text("Menunggu material aspal dari provinsi.")
    view = api(local_stack, "GET", f"/agency/reports/{extended}", token=token(DPUPR))
    assert view["due_at"].startswith(last_day)

    officer.goto(f"{local_stack.api_url}/console/reports/{rejected}")
    officer.get_by_role("button", name="Tolak laporan").click()
    expect(officer.locator("#a-reject-error")).to_have_text("Tulis teksnya terlebih dahulu.")
    officer.get_by_role("form", name="Tolak").get_by_label("Alasan").fill(
        "Jalan ini kewenangan provinsi; silakan lapor ke Dinas PU Provinsi."
    )
    officer.get_by_role("button", name="Tolak laporan").click()
    expect(officer.locator(".status")).to_have_text("Ditolak")
    expect(officer.locator("#actions")).to_be_hidden()


def test_an_officer_of_another_agency_is_told_the_report_is_not_theirs(
    new_person: Callable[[], Page], local_stack: RunningStack
) -> None:
    tracking_id = report_for(local_stack)["tracking_id"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        api(local_stack, "GET", f"/agency/reports/{tracking_id}", token=token(DISDUKCAPIL))
    assert refused.value.code == 403

    other = new_person()
    sign_in(other, local_stack, DINKES, path=f"/console/reports/{tracking_id}")
    expect(other.locator("#report-body")).to_have_text(
        "Laporan ini bukan milik Anda: instansi lain yang bertanggung jawab."
    )
    expect(other.locator("#actions")).to_be_hidden()
    assert TITLE not in other.content()


def test_the_link_in_the_agency_email_opens_the_report_in_the_console_after_sign_in(
    new_person: Callable[[], Page], local_stack: RunningStack
) -> None:
    tracking_id = report_for(local_stack)["tracking_id"]
    (mail,) = eventually(
        lambda: mails_to(local_stack.mail_dir, "dpupr@baritoutara.lapor.example", tracking_id), message="no email"
    )
    link = re.search(r"https?://\S+/console/reports/\S+", mail)
    assert link and link.group(0) == f"{local_stack.api_url}/console/reports/{tracking_id}"
    officer = new_person()
    sign_in(officer, local_stack, DPUPR, path=link.group(0).removeprefix(local_stack.api_url))
    expect(officer).to_have_url(link.group(0))
    expect(officer.locator("#report-body")).to_contain_text(DESCRIPTION)


def test_the_console_and_statistik_are_light_load_nothing_from_elsewhere_and_pass_axe(
    new_person: Callable[[], Page],
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], None],
) -> None:
    report_for(local_stack)
    page = new_person()
    responses: list[Any] = []
    complaints: list[str] = []
    page.on("response", lambda response: responses.append(response))
    page.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))

    def transferred(kinds: tuple[str, ...]) -> int:
        files = [r for r in responses if r.request.resource_type in kinds]
        return sum(r.request.sizes()["responseBodySize"] + r.request.sizes()["responseHeadersSize"] for r in files)

    # The sign-in page of the local stack, then the console with its data
    page.goto(local_stack.api_url + "/console", wait_until="networkidle")
    console_files = transferred(("document", "script", "stylesheet"))
    assert_accessible(page, "console sign-in")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_label("Officer")).to_be_visible()
    assert_accessible(page, "local sign-in page")
    page.get_by_label("Officer").select_option(label=pool_option(DPUPR))
    responses.clear()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#list li").first).to_be_visible()
    console_data = transferred(("fetch",))
    print(f"console: {console_files} bytes page, script and style; {console_data} bytes of data to show the inbox")
    assert console_files + console_data < PAGE_LIMIT

    responses.clear()
    page.goto(local_stack.api_url + "/statistik", wait_until="networkidle")
    expect(page.locator("svg.chart")).to_have_count(7)
    expect(page.locator("table")).to_have_count(7)
    expect(page.locator("table").first).to_contain_text(DPUPR_NAME)
    stats_total = transferred(("document", "script", "stylesheet", "fetch"))
    print(f"/statistik: {stats_total} bytes with its data")
    assert stats_total < PAGE_LIMIT
    assert_accessible(page, "/statistik")
    assert all(r.url.startswith(local_stack.api_url + "/") for r in responses)
    for size, suffix in ((VIEWPORT, ""), (WIDE, "-wide")):
        page.set_viewport_size(size)
        screenshot(page, f"statistik{suffix}")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How agencies handle reports")
    expect(page.locator("table caption").first).to_have_text("Reports received")
    assert complaints == []
    assert (SCREENSHOTS / "statistik.png").is_file()


def test_the_citizen_page_links_to_statistik(new_person: Callable[[], Page], local_stack: RunningStack) -> None:
    page = new_person()
    page.goto(local_stack.api_url + "/")
    page.get_by_role("link", name="Angka per instansi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bagaimana instansi menangani laporan")


def test_an_hour_old_sign_in_is_renewed_unseen_and_signing_out_forgets_it(
    new_person: Callable[[], Page], local_stack: RunningStack
) -> None:
    """ID tokens last an hour (the pool's IdTokenValidity): the console renews its token with the refresh
    token instead of sending an officer with a queue of reports back to the sign-in page."""
    tracking_id = report_for(local_stack, agency=DPUPR)["tracking_id"]
    officer = new_person()
    sign_in(officer, local_stack, DPUPR)
    # An hour later: the kept ID token has expired (only its payload is read in the browser).
    officer.evaluate("sessionStorage.setItem('lapor.console.token', 'x.' + btoa(JSON.stringify({exp: 1})) + '.y')")
    officer.reload()
    expect(officer.locator("#sign-out")).to_be_visible()
    open_from_inbox(officer, tracking_id)
    renewed = officer.evaluate("sessionStorage.getItem('lapor.console.token')")
    assert renewed and not renewed.startswith("x."), "a new ID token from the token endpoint"
    # Signing out forgets both tokens: nothing in this tab can renew the session any more.
    officer.locator("#sign-out").click()
    officer.goto(local_stack.api_url + "/console")
    expect(officer.get_by_role("button", name="Masuk")).to_be_visible()
    assert officer.evaluate("sessionStorage.getItem('lapor.console.refresh')") is None


def test_an_officer_looks_at_a_reporters_photo_and_shows_it_to_the_public(
    new_person: Callable[[], Page],
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], None],
) -> None:
    """Second audit, item 1: a reporter's photo reaches public pages only by an officer's button."""
    report = report_for(local_stack, agency=DPUPR)
    tracking_id = report["tracking_id"]
    ask = urllib.request.Request(
        f"{local_stack.api_url}/reports/{tracking_id}/attachments",
        data=json.dumps({"content_type": "image/jpeg"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Access-Code": report["access_code"]},
    )
    with urllib.request.urlopen(ask, timeout=10) as response:
        slot = json.loads(response.read())
    assert photos.post_upload(slot, photos.phone_jpeg()) == 204
    api(local_stack, "POST", f"/agency/reports/{tracking_id}/actions", {"action": "verify"}, token(DPUPR))

    def public_photos() -> list[dict[str, Any]]:
        return list(api(local_stack, "GET", f"/reports/{tracking_id}")["photos"])

    officer = new_person()
    sign_in(officer, local_stack, DPUPR, path=f"/console/reports/{tracking_id}")
    expect(officer.locator(".photos li")).to_contain_text("Foto 1 (dari pelapor)")
    for _ in range(60):  # processing is asynchronous: reload until the photo is stored
        if officer.get_by_role("button", name="Tampilkan foto ini untuk publik").count():
            break
        officer.wait_for_timeout(500)
        officer.reload()
    image = officer.locator(".photos img")
    image.scroll_into_view_if_needed()  # lazy: below the actions and the content on a phone
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0, "the bucket's link loads under the console's CSP"
    expect(officer.locator(".photos li")).to_contain_text("belum tampil untuk publik")
    assert public_photos() == []
    assert_accessible(officer, "console report with a photo")
    officer.get_by_role("button", name="Tampilkan foto ini untuk publik").click()
    expect(officer.locator("#notice")).to_contain_text("Foto ditampilkan untuk publik")
    expect(officer.locator(".photos li")).to_contain_text("tampil untuk publik")
    assert len(public_photos()) == 1
    screenshot(officer, "console-photo")
    officer.get_by_role("button", name="Sembunyikan dari publik").click()
    expect(officer.locator("#notice")).to_have_text("Foto tidak lagi tampil untuk publik.")
    assert public_photos() == []


# ---------------------------------------------------------------- disposition (issue 26)


def test_a_coordinator_disposes_in_bulk_at_a_desk_and_an_office_returns_a_report_from_a_phone(
    new_person: Callable[[], Page],
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], None],
) -> None:
    first, second = (report_for(local_stack, agency=DPUPR)["tracking_id"] for _ in range(2))
    already = report_for(local_stack, agency=DINKES)["tracking_id"]
    # A Dinkes officer has used the console: the coordinator can assign to them.
    dinkes = new_person()
    sign_in(dinkes, local_stack, DINKES)
    expect(dinkes.locator("#list li").first).to_be_visible()

    # At a desk the coordinator's inbox is a table with a checkbox per row.
    coordinator = new_person()
    coordinator.set_viewport_size(WIDE)
    sign_in(coordinator, local_stack, PEMKAB, "dispatcher")
    table = coordinator.get_by_role("table", name="Laporan di kotak masuk")
    expect(table).to_be_visible()
    expect(coordinator.locator("#list")).to_be_hidden()
    headers = table.locator("thead th")
    expect(headers).to_have_text(
        ["", "ID Pelacakan", "Judul", "Kategori", "Status", "Batas waktu", "Eskalasi", "Petugas"]
    )
    for tracking_id in (first, second, already):
        coordinator.get_by_label(f"Pilih {tracking_id}").check()
    expect(coordinator.locator("#bulk-selected")).to_have_text("3 laporan dipilih")
    assert_accessible(coordinator, "console inbox as a table, with bulk actions")
    screenshot(coordinator, "console-bulk-wide")
    coordinator.get_by_label("Alihkan ke instansi").select_option(DINKES)
    coordinator.get_by_role("button", name="Alihkan yang dipilih").click()
    # Two moved, one was already there: named with the reason, and left selected.
    result = coordinator.locator("#bulk-result")
    expect(result).to_contain_text("2 berhasil, 1 tidak dilakukan.")
    expect(result).to_contain_text(f"{already}: The report is already with this agency.")
    expect(coordinator.locator("#bulk-selected")).to_have_text("1 laporan dipilih")
    # Assign the two moved ones to the Dinkes officer.
    coordinator.get_by_label(f"Pilih {already}").uncheck()
    for tracking_id in (first, second):
        coordinator.get_by_label(f"Pilih {tracking_id}").check()
    dinkes_sub = dinkes.evaluate(
        "JSON.parse(atob(sessionStorage.getItem('lapor.console.token').split('.')[1]"
        ".replace(/-/g, '+').replace(/_/g, '/'))).sub"
    )
    coordinator.get_by_label("Tugaskan kepada petugas").select_option(dinkes_sub)
    coordinator.get_by_role("button", name="Tugaskan yang dipilih").click()
    expect(result).to_have_text("2 berhasil, 0 tidak dilakukan.")  # and nothing else (no "null" for no failures)
    row = table.locator("tbody tr").filter(has_text=first)
    expect(row).to_contain_text(DINKES_NAME)
    expect(row).to_contain_text(DINKES_OFFICER)

    # On a phone the same inbox is the list, with the assignee on each card.
    coordinator.set_viewport_size(VIEWPORT)
    expect(coordinator.locator("#table-wrap")).to_be_hidden()
    expect(coordinator.locator("#list li").filter(has_text=first)).to_contain_text(f"Petugas: {DINKES_OFFICER}")
    expect(coordinator.locator("#bulk")).to_be_hidden()
    assert_accessible(coordinator, "a coordinator's inbox as a list on a phone")

    # The Dinkes officer lists what is theirs, opens one on the phone: the actions come right under the status.
    dinkes.reload()
    dinkes.get_by_label("Hanya yang ditugaskan kepada saya").check()  # even while the whole inbox loads
    expect(dinkes.locator("#list li")).to_have_count(2)
    open_from_inbox(dinkes, first)
    status, actions = dinkes.locator("#report-status .status"), dinkes.get_by_role("heading", name="Tindakan")
    expect(actions).to_be_visible()
    status_box, actions_box = status.bounding_box(), actions.bounding_box()
    timeline_box = dinkes.locator(".timeline").bounding_box()
    assert status_box and actions_box and timeline_box
    assert status_box["y"] < actions_box["y"] < timeline_box["y"]
    assert actions_box["y"] < VIEWPORT["height"], "the actions start on the first screen of a phone"
    assert_accessible(dinkes, "console report on a phone, actions under the status")
    screenshot(dinkes, "console-report-actions")
    # Bukan wewenang: back to the coordinator, waiting for its disposition.
    dinkes.get_by_role("button", name="Kembalikan ke koordinator").click()
    expect(dinkes.locator("#a-not_responsible-error")).to_have_text("Tulis teksnya terlebih dahulu.")
    dinkes.get_by_role("form", name="Bukan wewenang").get_by_label("Alasan").fill("Urusan jalan, bukan kesehatan.")
    dinkes.get_by_role("button", name="Kembalikan ke koordinator").click()
    expect(dinkes.locator("#notice")).to_have_text("Selesai: Bukan wewenang.")
    expect(dinkes.locator("#report-body")).to_contain_text("Dikembalikan ke koordinator: bukan wewenang")
    expect(dinkes.locator(".status")).to_have_text("Diterima")
    view = api(local_stack, "GET", f"/agency/reports/{first}", token=token(PEMKAB, "dispatcher"))
    assert view["agency"]["id"] == PEMKAB and view.get("assignee") is None
