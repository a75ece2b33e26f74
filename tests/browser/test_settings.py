"""The regency's administrator runs lapor from the console (Pengaturan), in Chromium on the local stack.

The administrator (seeded in the local user pool) invites an officer; the officer signs in through the local
sign-in page, sees their agency's inbox only and answers a report; the administrator disables them and their
next request is refused; the administrator adds a category and the citizen form offers it at once. axe checks
the settings pages; the settings page's screenshot is the README's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningStack
from tests.browser.test_console import (
    DPUPR,
    DPUPR_NAME,
    PEMKAB,
    WIDE,
    new_person,  # noqa: F401 - the fixture
    open_from_inbox,
    report_for,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_an_administrator_onboards_and_removes_an_officer_and_adds_a_category(
    new_person: Callable[[], Page],  # noqa: F811 - the fixture
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
    screenshot: Callable[[Page, str], None],
) -> None:
    admin, officer, citizen = new_person(), new_person(), new_person()
    ours = report_for(local_stack, agency=DPUPR)["tracking_id"]
    theirs = report_for(local_stack, category="kesehatan")["tracking_id"]  # Dinkes'

    # The administrator signs in and opens Pengaturan (shown to admins only)
    sign_in(admin, local_stack, PEMKAB, "admin")
    admin.get_by_role("link", name="Pengaturan").click()
    expect(admin.locator("#settings-heading")).to_have_text("Pengaturan")
    expect(admin.locator("#officer-list li").first).to_be_visible()
    assert_accessible(admin, "console settings")

    # ... and invites an officer of DPUPR
    email = f"petugas.{uuid.uuid4().hex[:8]}@dpupr.example.org"
    form = admin.locator("#invite-form")
    form.get_by_label("Nama").fill("Rahmat Hidayat")
    form.get_by_label("Email kerja").fill(email)
    form.get_by_label("Instansi").select_option(DPUPR)
    form.get_by_label("Peran").select_option("officer")
    form.get_by_role("button", name="Kirim undangan").click()
    expect(admin.locator("#notice")).to_have_text(f"Undangan untuk {email} dikirim.")
    card = admin.locator("#officer-list li").filter(has_text=email)
    expect(card).to_contain_text("Aktif")

    # The officer signs in (the local pool lists them now) and sees their agency's inbox only
    sign_in(officer, local_stack, DPUPR, user=f"Rahmat Hidayat — {email} ({DPUPR}, officer)")
    expect(officer.locator("#who")).to_have_text(f"{DPUPR_NAME} (petugas)")
    expect(officer.get_by_role("link", name="Pengaturan")).to_be_hidden()
    expect(officer.locator("#list li").filter(has_text=ours)).to_be_visible()
    expect(officer.locator("#list li").filter(has_text=theirs)).to_have_count(0)
    # ... and answers a report
    open_from_inbox(officer, ours)
    officer.get_by_role("button", name="Verifikasi laporan").click()
    expect(officer.locator(".status")).to_have_text("Diverifikasi")
    officer.get_by_label("Tanggapan", exact=True).fill("Tim kami sudah menambal lubang itu pagi ini.")
    officer.get_by_role("button", name="Kirim tanggapan").click()
    expect(officer.locator(".status")).to_have_text("Sudah ditanggapi")

    # The administrator disables them: the officer's very next request is refused, and the console says so
    card.get_by_role("button", name=f"Nonaktifkan {email}").click()
    expect(admin.locator("#officer-list li").filter(has_text=email)).to_contain_text("Nonaktif")
    # (A request the old page started before the reload may still answer 200: wait for the refusal itself, which
    # never comes if the account still works.)
    with officer.expect_response(lambda r: "/agency/" in r.url and r.status == 401):
        officer.reload()
    expect(officer.locator("#signin")).to_be_visible()
    expect(officer.locator("#notice")).to_have_text("Sesi Anda telah berakhir. Silakan masuk lagi.")
    # ... nor can they sign in again: a disabled user is not offered
    officer.get_by_role("button", name="Masuk").click()
    expect(officer.get_by_label("Officer")).to_be_visible()
    assert email not in officer.locator("#user").inner_text()

    # The administrator adds a category; the citizen form offers it without a restart
    code = f"air-bersih-{uuid.uuid4().hex[:6]}"
    form = admin.locator("#category-form")
    form.get_by_label("Nama kategori").fill("Air Bersih")
    form.get_by_label("Kode").fill(code)
    form.get_by_label("Instansi penerima").select_option(DPUPR)
    form.get_by_role("button", name="Simpan kategori").click()
    expect(admin.locator("#notice")).to_have_text("Kategori Air Bersih tersimpan.")
    citizen.goto(local_stack.api_url + "/")
    expect(citizen.get_by_label("Kategori").locator(f'option[value="{code}"]')).to_have_text("Air Bersih")

    for size, suffix in ((None, ""), (WIDE, "-wide")):
        if size:
            admin.set_viewport_size(size)
        admin.reload()
        expect(admin.locator("#officer-list li").first).to_be_visible()
        screenshot(admin, f"console-settings{suffix}")

    # Riwayat pengaturan: who did what, with before and after
    admin.get_by_role("link", name="Riwayat pengaturan").click()
    expect(admin.locator("#history-heading")).to_have_text("Riwayat pengaturan")
    history = admin.locator("#history-list")
    expect(history.locator("li").first).to_contain_text(f"create_category category:{code}")
    expect(history).to_contain_text(f"update_officer officer:{email}")
    expect(history).to_contain_text(f"invite officer:{email}")
    expect(history).to_contain_text(re.compile(r"enabled: true.*enabled: false", re.S))
    assert_accessible(admin, "console settings history")
