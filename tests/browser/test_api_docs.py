"""/docs in a real browser: Swagger UI renders the contract under the page's Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_swagger_ui_works_offline_under_its_content_security_policy(page: Page, local_stack: RunningStack) -> None:
    complaints: list[str] = []  # script errors, and whatever the Content-Security-Policy blocked
    page.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(local_stack.api_url + "/docs")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    # The operations are drawn from /openapi.json, and one opens to show its parameters.
    expect(page.locator('.opblock-summary-path[data-path="/reports/{tracking_id}/private"]')).to_be_visible()
    # Opening an operation only redraws the page (no navigation to wait for).
    page.locator(".opblock-summary-path", has_text="/reports").first.click(no_wait_after=True)
    expect(page.get_by_text("Idempotency-Key").first).to_be_visible(timeout=30_000)
    assert complaints == []
    assert all(url.startswith(local_stack.api_url + "/") for url in requested)
