"""Browser tests: Debian's Chromium, driven by Playwright, against the local stack in a subprocess.

The tests use the system browser at /usr/bin/chromium and fail (never skip) when it is missing;
`playwright install` is never needed. The page is 360 px wide, as on a small phone.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import ROOT

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
READY_LINE = "lapor local stack is ready"
START_SECONDS = 60


@dataclass(frozen=True)
class RunningStack:
    api_url: str
    aws_url: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """`python -m lapor_local run` on free ports until the session ends; stopped with SIGTERM."""
    paths = [str(ROOT / "shared"), str(ROOT / "infra"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    env.pop("PUBLIC_BASE_URL", None)
    log_path = tmp_path_factory.mktemp("local-stack") / "stderr.log"
    command = [sys.executable, "-m", "lapor_local", "run", "--no-schedules"]
    command += ["--api-port", str(_free_port()), "--aws-port", str(_free_port())]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    urls: dict[str, str] = {}
    ready = False
    try:
        while "API" not in urls or "AWS" not in urls:
            line = lines.get(timeout=START_SECONDS)
            if line is None:
                break
            ready = ready or READY_LINE in line
            match = re.match(r"\s*(API|AWS):\s+(\S+)", line)
            if ready and match:
                urls[match.group(1)] = match.group(2)
    except queue.Empty:
        pass
    if "API" not in urls or "AWS" not in urls:
        process.kill()
        process.wait(timeout=10)
        pytest.fail(f"the local stack did not start:\n{log_path.read_text()[-3000:]}", pytrace=False)
    try:
        yield RunningStack(api_url=urls["API"], aws_url=urls["AWS"])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


STAGE = "/v1"


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
    created.set_default_timeout(10_000)
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
