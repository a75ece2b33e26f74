"""Browser tests: Debian's Chromium, driven by Playwright, against the local stack in a subprocess.

The tests use the system browser at /usr/bin/chromium and fail (never skip) when it is missing;
`playwright install` is never needed. The page is 360 px wide, as on a small phone.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import ROOT, RunningStack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 360, "height": 740}
SCREENSHOTS = ROOT / "docs" / "screenshots"


STAGE = "/v1"

# What a person waits for (a receipt, a reply) arrives after a request through the local stack; on a loaded
# 2-core machine that takes longer than Playwright's 5 s default. Every wait stays bounded.
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture(scope="session")
def staged_api(local_stack: RunningStack) -> Iterator[str]:
    """The local API behind a stage prefix, as API Gateway serves it (`.../v1/`): the URL of the stage root.

    Anything outside the prefix answers 404, so a page that builds an absolute path breaks here.
    """
    opener = urllib.request.build_opener(_NoRedirect)

    class Forward(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the stack logs every request already."""

        def forward(self) -> None:
            if not self.path.startswith(STAGE + "/"):
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            request = urllib.request.Request(
                local_stack.api_url + self.path[len(STAGE) :],
                data=self.rfile.read(length) if length else None,
                method=self.command,
                headers=headers,
            )
            try:
                response = opener.open(request, timeout=10)
            except urllib.error.HTTPError as error:
                response = error
            body = response.read()
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}{STAGE}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium "
            "(the browser tests use Debian's Chromium; never `playwright install`)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, local_stack: RunningStack) -> Iterator[BrowserContext]:
    """A fresh phone-sized browser profile: no cookies, no storage, clipboard allowed for the API's origin."""
    created = browser.new_context(viewport=VIEWPORT, locale="id-ID", service_workers="block")
    created.grant_permissions(["clipboard-read", "clipboard-write"], origin=local_stack.api_url)
    created.set_default_timeout(WAIT_MS)
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def screenshot() -> Callable[[Page, str], None]:
    """Save the page as docs/screenshots/<name>.png (linked from the README; rewritten on every run)."""

    def save(page: Page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return save


@pytest.fixture
def decode_qr(tmp_path: Path) -> Callable[[bytes], list[str]]:
    """Every QR code that zbarimg (Debian zbar-tools) finds in a PNG image, as a phone's scanner would."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("zbarimg is missing: apt-get install -y zbar-tools", pytrace=False)

    def decode(png: bytes) -> list[str]:
        image = tmp_path / "scan.png"
        image.write_bytes(png)
        result = subprocess.run([zbarimg, "--quiet", "--raw", str(image)], capture_output=True, text=True, timeout=30)
        return result.stdout.splitlines()

    return decode
