""" "Sudah dilaporkan?" in a real browser (issue 27): the form offers the open reports near the chosen point, a
citizen supports one instead of filing it again, and a duplicate an officer marks shows on both tracking pages.

Each test places its reports at its own point, far from the other browser tests' reports."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from lapor_local.devtoken import dev_token_secret, mint_dev_token
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import SCREENSHOTS, RunningStack
from tests.browser.test_citizen_web import AGENCY, api
from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

ROAD = "Jembatan kayu di Desa Lemo patah sebagian"
ROAD_TEXT = "Papan jembatan patah di tengah, motor tidak bisa lewat dan anak sekolah memutar jauh."


def report_at(stack: RunningStack, lat: float, lon: float, title: str = ROAD) -> dict[str, Any]:
    body = {"title": title, "description": ROAD_TEXT, "category": "jalan-jembatan", "anonymous": True}
    return api(stack, "POST", "/reports", {**body, "location": {"lat": lat, "lon": lon}, "channel": "web"})


def choose_place(page: Page, context: BrowserContext, stack: RunningStack, lat: float, lon: float) -> None:
    context.grant_permissions(["geolocation"], origin=stack.api_url)
    context.set_geolocation({"latitude": lat, "longitude": lon})
    page.goto(stack.api_url + "/")
    page.get_by_label("Kategori").select_option("jalan-jembatan")
    page.get_by_role("button", name="Gunakan lokasi saya").click()


def test_the_form_offers_the_report_nearby_and_supporting_it_opens_its_tracking_page(
    page: Page,
    context: BrowserContext,
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
) -> None:
    # Given an open road report about 60 m from where the citizen stands
    existing = report_at(local_stack, -1.234, 114.567)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # When they choose the category and their location
    choose_place(page, context, local_stack, -1.23445, 114.5672)
    # Then the form asks whether it was already reported, with that report, its distance and supporters
    step = page.locator("#nearby")
    expect(step).to_be_visible()
    expect(step.get_by_role("heading", name="Sudah dilaporkan?")).to_be_visible()
    expect(step).to_contain_text(ROAD)
    expect(step).to_contain_text(existing["tracking_id"])
    expect(step).to_contain_text("m dari lokasi Anda · Diterima · 0 pendukung")
    assert_accessible(page, "form with 'Sudah dilaporkan?'")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    step.screenshot(path=SCREENSHOTS / "form-nearby.png")  # the step alone: the README shows it
    # When they support it, Then its tracking page opens and counts them
    step.get_by_role("button", name="Dukung laporan ini").click()
    expect(page).to_have_url(f"{local_stack.api_url}/track/{existing['tracking_id']}")
    expect(page.locator("#report")).to_contain_text("Pendukung1")
    assert errors == []


def test_bukan_lanjutkan_continues_with_the_form(
    page: Page, context: BrowserContext, local_stack: RunningStack
) -> None:
    report_at(local_stack, -1.244, 114.577)
    choose_place(page, context, local_stack, -1.2441, 114.5772)
    expect(page.locator("#nearby")).to_be_visible()
    page.get_by_role("button", name="Bukan, lanjutkan").click()
    expect(page.locator("#nearby")).to_be_hidden()
    expect(page.get_by_label("Kirim tanpa identitas (anonim)")).to_be_focused()
    # And coming back to the same place and category does not ask again
    page.get_by_label("Kategori").select_option("kesehatan")
    page.get_by_label("Kategori").select_option("jalan-jembatan")
    page.wait_for_timeout(300)
    expect(page.locator("#nearby")).to_be_hidden()


def test_the_step_is_skipped_silently_when_the_lookup_fails(
    page: Page, context: BrowserContext, local_stack: RunningStack
) -> None:
    report_at(local_stack, -1.254, 114.587)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    looked: list[str] = []

    def fail(route: Any) -> None:
        looked.append(route.request.url)
        route.fulfill(status=503, body="")

    page.route("**/reports/nearby?*", fail)
    choose_place(page, context, local_stack, -1.2541, 114.5872)
    expect(page.locator("#location-status")).to_contain_text("-1.2541")
    page.wait_for_timeout(500)
    assert looked, "the form asked"
    expect(page.locator("#nearby")).to_be_hidden()
    page.get_by_label("Judul laporan").fill("Jembatan di ujung desa berlubang")
    assert errors == []


def test_a_duplicate_shows_on_both_tracking_pages(
    page: Page,
    local_stack: RunningStack,
    assert_accessible: Callable[[Page, str], None],
) -> None:
    # Given two reports of the same bridge, the second marked by an officer as a duplicate of the first
    original = report_at(local_stack, -1.264, 114.597)
    duplicate = report_at(local_stack, -1.264, 114.598, "Jembatan kayu Desa Lemo rusak lagi")
    bearer = {"Authorization": f"Bearer {mint_dev_token(dev_token_secret(ROOT), AGENCY)}"}
    path = f"/agency/reports/{duplicate['tracking_id']}"
    assert [r["tracking_id"] for r in api(local_stack, "GET", f"{path}/nearby", None, bearer)] == [
        original["tracking_id"]
    ]
    api(
        local_stack,
        "POST",
        f"{path}/actions",
        {"action": "mark_duplicate", "duplicate_of": original["tracking_id"]},
        bearer,
    )
    # Then the duplicate's tracking page says so and links to the original
    page.goto(f"{local_stack.api_url}/track/{duplicate['tracking_id']}")
    expect(page.locator(".status-name")).to_have_text("Selesai")
    expect(page.locator("#report")).to_contain_text("Laporan ini sama dengan laporan lain")
    expect(page.locator(".timeline")).to_contain_text(f"Laporan ini sama dengan {original['tracking_id']}.")
    assert_accessible(page, "tracking page of a duplicate")
    page.get_by_role("link", name=original["tracking_id"]).click()
    # And the original's shows the merged report, counted among its supporters
    expect(page).to_have_url(f"{local_stack.api_url}/track/{original['tracking_id']}")
    expect(page.locator("#report")).to_contain_text("Laporan serupa yang digabungkan1")
    expect(page.locator("#report")).to_contain_text("Pendukung1")
    expect(page.locator("#report")).not_to_contain_text(duplicate["tracking_id"])
    assert_accessible(page, "tracking page of an original")


def test_an_officer_picks_the_original_from_the_nearby_list_and_the_console_shows_both_sides(
    page: Page, local_stack: RunningStack, assert_accessible: Callable[[Page, str], None]
) -> None:
    from tests.browser.test_console import open_from_inbox, sign_in

    original = report_at(local_stack, -1.274, 114.607)
    duplicate = report_at(local_stack, -1.275, 114.607, "Jembatan kayu Desa Lemo hampir putus")
    sign_in(page, local_stack, AGENCY)
    open_from_inbox(page, duplicate["tracking_id"])
    form = page.locator('form[data-action="mark_duplicate"]')
    choice = form.get_by_label(re.compile(original["tracking_id"]))
    expect(choice).to_be_visible()
    expect(form).to_contain_text("110 m")  # about 0.001 deg of latitude, measured from the exact points
    assert_accessible(page, "console report with the nearby list")
    choice.check()
    form.get_by_role("button", name="Tandai duplikat").click()
    expect(page.locator(".status")).to_have_text("Selesai")
    expect(page.locator("#report-body")).to_contain_text(f"Laporan ini sama dengan {original['tracking_id']}.")
    # And the duplicate's page points to the original, a link to its page in the console
    said = page.locator("#report-status")
    expect(said).to_contain_text(f"Laporan ini sama dengan {original['tracking_id']}.")
    expect(said).not_to_contain_text("null")  # nothing missing written out
    assert_accessible(page, "console report of a duplicate")
    said.get_by_role("link", name=original["tracking_id"]).click()
    expect(page).to_have_url(f"{local_stack.api_url}/console/reports/{original['tracking_id']}")
    expect(page.locator("#report-heading")).to_have_text(f"Laporan {original['tracking_id']}")
    # Where the original counts what was merged into it (and is no duplicate itself)
    expect(said).to_contain_text("1 laporan digabungkan ke laporan ini")
    expect(said).not_to_contain_text("Laporan ini sama dengan")
    expect(said).not_to_contain_text("null")
    expect(page.locator("#report-body")).to_contain_text("Pendukung1")
    assert_accessible(page, "console report of an original")
    # And both say it in English too
    page.goto(f"{local_stack.api_url}/console/reports/{original['tracking_id']}?lang=en")
    expect(said).to_contain_text("1 report merged into this one")
    page.goto(f"{local_stack.api_url}/console/reports/{duplicate['tracking_id']}?lang=en")
    expect(said).to_contain_text(f"This report is the same as {original['tracking_id']}.")
    expect(said.get_by_role("link", name=original["tracking_id"])).to_have_attribute(
        "href", f"../../console/reports/{original['tracking_id']}?lang=en"
    )
