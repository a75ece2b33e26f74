"""Webhooks that cannot be misdirected or replayed: no redirects, https only outside the local stack, a
signed timestamp, and one bound on the whole call. Real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import types
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims, sent_emails

ROOT = Path(__file__).resolve().parents[2]
DPUPR = claims("dpupr-barito-utara")
MAX_AGE_SECONDS = 300  # what the notifications guide tells receivers


def readme_receiver_check() -> tuple[Callable[[str, Any, bytes], bool], dict[str, Any]]:
    """The check the notifications guide (docs/notifications.md) tells an agency's receiver to make, taken
    from the guide itself; and its namespace, whose `time` a test may replace to move the receiver's clock."""
    readme = (ROOT / "docs" / "notifications.md").read_text()
    (code,) = re.findall(r"```python\n(.*?def lapor_request_is_genuine.*?)```", readme, flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # our own guide
    return namespace["lapor_request_is_genuine"], namespace


def receiver_accepts(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """The guide's check, on a receiver whose clock says `now`."""
    check, namespace = readme_receiver_check()
    namespace["time"] = types.SimpleNamespace(time=lambda: now)
    return check(secret, headers, body)


class Receiver:
    """A local HTTP server whose answer to each request the test chooses."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, bytes], None]) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(("POST", dict(self.headers), body))
                answer(self, body)

            def do_GET(self) -> None:
                receiver.requests.append(("GET", dict(self.headers), b""))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/lapor"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler, bytes], None]], Receiver]]:
    started: list[Receiver] = []

    def start(answer: Callable[[BaseHTTPRequestHandler, bytes], None]) -> Receiver:
        started.append(Receiver(answer))
        return started[-1]

    yield start
    for receiver in started:
        receiver.close()


@pytest.fixture
def local_http(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain-http receivers allowed, as on the local stack."""
    from lapor import config

    monkeypatch.setenv("LAPOR_ALLOW_HTTP_WEBHOOKS", "1")
    config.settings.cache_clear()


def use_webhook(url: str) -> None:
    from lapor import store

    data = json.loads((ROOT / "infra" / "directory.json").read_text())
    for agency in data["agencies"]:
        if agency["id"] == "dpupr-barito-utara":
            agency["webhook_url"] = url
    store.write_directory(data)
    store.forget_directory()


def answer_with(status: int, headers: dict[str, str] | None = None) -> Callable[[BaseHTTPRequestHandler, bytes], None]:
    def answer(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def test_a_redirect_is_not_followed_and_never_counts_as_delivered(
    api: Api, aws: Aws, local_http: None, receivers: Callable[..., Receiver]
) -> None:
    elsewhere = receivers(answer_with(204))
    redirecting = receivers(answer_with(302, {"Location": elsewhere.url}))
    use_webhook(redirecting.url)
    tracking_id = api.submit(valid_submission())["tracking_id"]

    result = api.deliver_events()

    assert result["batchItemFailures"] == []  # refused for good: recorded, not retried
    assert len(redirecting.requests) == 1 and elsewhere.requests == []  # nothing went to the new location
    assert api.deliver_events()["records"] == 0 and len(redirecting.requests) == 1
    status, view, _ = api.agency(DPUPR, "GET", "/agency/reports/{tracking_id}", tracking_id)
    assert status == 200
    # The email went out, so the agency was notified; the refused webhook is recorded for the agency only.
    assert [e["event"] for e in view["timeline"]] == ["submitted", "agency_notified", "notification_failed"]
    assert "Webhook" in view["timeline"][-1]["message"]
    assert len(sent_emails()) == 1


@pytest.mark.parametrize("status", [301, 307, 308])
def test_every_redirect_status_is_refused(
    aws: Aws, local_http: None, receivers: Callable[..., Receiver], status: int
) -> None:
    from lapor.channels import DeliveryRejected, post_webhook

    elsewhere = receivers(answer_with(204))
    redirecting = receivers(answer_with(status, {"Location": elsewhere.url}))
    with pytest.raises(DeliveryRejected, match=f"webhook_http_{status}"):
        post_webhook(redirecting.url, "dpupr-barito-utara", {"type": "report.submitted"}, "d-1")
    assert elsewhere.requests == []


def test_a_receiver_in_trouble_is_retried_but_one_that_refuses_is_not(
    aws: Aws, local_http: None, receivers: Callable[..., Receiver]
) -> None:
    from lapor.channels import DeliveryFailed, DeliveryRejected, post_webhook

    for status in (500, 503, 429, 408):
        with pytest.raises(DeliveryFailed) as failed:
            post_webhook(receivers(answer_with(status)).url, "dpupr-barito-utara", {}, "d-1")
        assert not isinstance(failed.value, DeliveryRejected)
    for status in (400, 404, 410):
        with pytest.raises(DeliveryRejected):
            post_webhook(receivers(answer_with(status)).url, "dpupr-barito-utara", {}, "d-1")


def test_the_signature_covers_a_timestamp_so_a_receiver_can_refuse_replays(
    aws: Aws, local_http: None, receivers: Callable[..., Receiver]
) -> None:
    from lapor.channels import post_webhook, webhook_secret

    secret = webhook_secret("dpupr-barito-utara")

    def check(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        ok = receiver_accepts(secret, dict(handler.headers), body, time.time())
        answer_with(204 if ok else 401)(handler, body)

    receiver = receivers(check)
    post_webhook(receiver.url, "dpupr-barito-utara", {"type": "report.submitted", "tracking_id": "x"}, "d-1")

    ((_, headers, body),) = receiver.requests
    sent_at = int(headers["X-Lapor-Timestamp"])
    assert receiver_accepts(secret, headers, body, sent_at + MAX_AGE_SECONDS)
    # Replayed later, the same request is refused; a fresher timestamp does not match the signature.
    assert not receiver_accepts(secret, headers, body, sent_at + MAX_AGE_SECONDS + 1)
    assert not receiver_accepts(secret, {**headers, "X-Lapor-Timestamp": str(sent_at + 600)}, body, sent_at + 600)
    assert not receiver_accepts(secret, headers, body + b" ", sent_at)
    assert not receiver_accepts(webhook_secret("dinkes-barito-utara"), headers, body, sent_at)


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_deadline(
    aws: Aws, local_http: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lapor import channels

    # One byte every 0.2 s: each read is far within any socket timeout, the whole answer takes 12 s.
    answer = b"HTTP/1.1 204 No Content\r\nX-Padding: " + b"x" * 40 + b"\r\n\r\n"
    outcome: dict[str, Any] = {}
    done = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def serve() -> None:
            connection, _ = server.accept()
            sent = 0
            try:
                connection.recv(65536)
                for byte in answer:
                    connection.sendall(bytes([byte]))
                    sent += 1
                    time.sleep(0.2)
                connection.recv(1)
            except OSError:
                pass
            finally:
                outcome["sent"] = sent
                connection.close()
                done.set()

        threading.Thread(target=serve, daemon=True).start()
        monkeypatch.setattr(channels, "WEBHOOK_TIMEOUT_SECONDS", 1.0)  # the same bound, shorter for the test
        with pytest.raises(channels.DeliveryFailed, match="timed out") as failed:
            channels.post_webhook(f"http://127.0.0.1:{port}/slow", "dpupr-barito-utara", {}, "d-1")
        assert not isinstance(failed.value, channels.DeliveryRejected)  # retried later
        assert done.wait(30)
    assert outcome["sent"] < len(answer)  # the connection was closed long before the answer was complete


def test_the_whole_call_is_bounded_to_five_seconds() -> None:
    from lapor.channels import WEBHOOK_TIMEOUT_SECONDS

    assert WEBHOOK_TIMEOUT_SECONDS == 5.0


def test_only_https_webhooks_are_accepted_outside_the_local_stack(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lapor import config, store
    from lapor.channels import DeliveryRejected, post_webhook
    from lapor.directory import Directory
    from lapor.errors import ConfigurationError
    from lapor_local.seed import seed_directory

    data = json.loads((ROOT / "infra" / "directory.json").read_text())
    agency = next(a for a in data["agencies"] if a["id"] == "dpupr-barito-utara")
    monkeypatch.delenv("LAPOR_ALLOW_HTTP_WEBHOOKS", raising=False)
    config.settings.cache_clear()

    agency["webhook_url"] = "https://sipd.baritoutarakab.go.id/lapor"
    assert Directory.from_data(data).agencies["dpupr-barito-utara"].webhook_url == agency["webhook_url"]
    for refused in ("http://sipd.baritoutarakab.go.id/lapor", "ftp://x/y", "https:///nohost", "javascript:alert(1)"):
        agency["webhook_url"] = refused
        with pytest.raises(ConfigurationError, match="dpupr-barito-utara: webhook_url"):
            Directory.from_data(data)
    with pytest.raises(DeliveryRejected, match="webhook_url_refused"):
        post_webhook("http://127.0.0.1:9/lapor", "dpupr-barito-utara", {}, "d-1")

    # `lapor seed` checks the file before writing anything.
    agency["webhook_url"] = "http://sipd.baritoutarakab.go.id/lapor"
    before = store.read_directory()
    file = tmp_path / "directory.json"
    file.write_text(json.dumps(data))
    with pytest.raises(ConfigurationError):
        seed_directory(file)
    assert store.read_directory() == before

    # The local stack sets LAPOR_ALLOW_HTTP_WEBHOOKS=1 for the agencies' test receivers on this machine.
    monkeypatch.setenv("LAPOR_ALLOW_HTTP_WEBHOOKS", "1")
    config.settings.cache_clear()
    assert Directory.from_data(data).agencies["dpupr-barito-utara"].webhook_url == agency["webhook_url"]
