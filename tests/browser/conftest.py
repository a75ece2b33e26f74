"""Browser tests: Chromium driven by Playwright, against the local stack in a subprocess.

The browser is found or installed by `tests.provision` (under a lock every worker waits on); only when
none can be had do the tests fail (never skip), saying what to run. One browser serves the whole session;
each test gets a fresh profile. Pages are 360 px wide, as on a small phone, unless a test says otherwise.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests import provision
from tests.conftest import ROOT, RunningStack
from tests.qrdecode import read_qr_codes

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


def browser_executable() -> str | None:
    """The Chromium to launch (None: Playwright's own); the tests fail with what to run when there is none."""
    try:
        return provision.chromium()
    except provision.Unavailable as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = browser_executable()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


AXE = Axe()


@pytest.fixture(scope="session")
def axe_results() -> dict[str, list[str]]:
    """Every page axe looked at this session, with its serious or critical violations (for the report)."""
    return {}


@pytest.fixture
def assert_accessible(axe_results: dict[str, list[str]]) -> Callable[[Page, str], None]:
    """Run axe-core on the page as it is now: no violation of impact serious or critical may remain."""

    def check(page: Page, name: str) -> None:
        results = AXE.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        axe_results[name] = bad
        impacts = [v["impact"] for v in results.response["violations"]]
        print(f"axe on {name}: {len(results.response['passes'])} rules passed, violations by impact: {impacts}")
        assert bad == [], f"axe on {name}: " + "; ".join(bad)

    return check


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
def decode_qr() -> Callable[[bytes], list[str]]:
    return read_qr_codes
