"""A stand-in for the WhatsApp Cloud API (Graph API), served by the local stack: the messages endpoint and the
media endpoints, checking requests as the Cloud API does and answering in its shapes, errors included
(``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``).

Every message the functions send is written as one JSON line to `<state dir>/whatsapp/outbox.jsonl`, which
`lapor whatsapp chat` reads. Photos a citizen "sends" are put here first (`add_media`, or over HTTP with the
upload endpoint `POST /{version}/{phone-number-id}/media`, here taking the file as the raw body with its
Content-Type rather than Meta's multipart form), as Meta keeps the media of a webhook message for the business
to download with its token.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OUTBOX = "outbox.jsonl"
_VERSION = re.compile(r"^v[0-9]+\.[0-9]+$")
_TYPES = ("text", "template", "image", "location", "interactive", "reaction", "audio", "document", "video", "sticker")


def graph_error(
    status: int, message: str, code: int, kind: str = "OAuthException", subcode: int | None = None
) -> tuple:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_urlsafe(12)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}


def check_message(body: Any) -> tuple[int, dict[str, Any]] | None:
    """What the Cloud API says about a malformed send request (None: well-formed)."""
    if not isinstance(body, dict):
        return graph_error(400, "(#100) The parameter messaging_product is required.", 100)
    if body.get("messaging_product") != "whatsapp":
        return graph_error(400, "(#100) The parameter messaging_product is required.", 100)
    to = body.get("to")
    if not isinstance(to, str) or not re.fullmatch(r"\+?[0-9]{6,15}", to):
        return graph_error(400, "(#100) Invalid parameter: to", 100)
    kind = body.get("type", "text")
    if kind not in _TYPES or not isinstance(body.get(kind), dict):
        return graph_error(400, f"(#100) Param {kind} must be an object for type {kind}", 100)
    if kind == "text":
        text = body["text"].get("body")
        if not isinstance(text, str) or not text.strip() or len(text) > 4096:
            return graph_error(400, "(#100) Param text['body'] must be 1 to 4096 characters", 100)
    if kind == "template":
        template = body["template"]
        language = template.get("language")
        if not isinstance(template.get("name"), str) or not isinstance(language, dict) or "code" not in language:
            return graph_error(400, "(#100) Param template['name'] and template['language']['code'] are required", 100)
    return None


class GraphApiStandIn:
    """The Cloud API's messages and media endpoints on a local port; `token` gives the access token to expect."""

    def __init__(self, folder: Path, token: Callable[[], str], phone_number_id: str, host: str = "127.0.0.1") -> None:
        self.folder = folder
        self.token = token
        self.phone_number_id = phone_number_id
        self.media: dict[str, tuple[str, bytes]] = {}
        self._lock = threading.Lock()
        self._token: str | None = None
        folder.mkdir(parents=True, exist_ok=True)
        (folder / OUTBOX).write_text("", encoding="utf-8")  # a fresh stack has a fresh outbox
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return  # numbers and texts stay out of every log

            def do_GET(self) -> None:
                stand_in._answer(self, "GET")

            def do_POST(self) -> None:
                stand_in._answer(self, "POST")

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="lapor-graph", daemon=True)

    def start(self) -> GraphApiStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def outbox(self) -> Path:
        return self.folder / OUTBOX

    def add_media(self, mime_type: str, data: bytes) -> str:
        """Keep a photo a citizen sends; its media id, as a webhook's image message carries it."""
        media_id = str(secrets.randbelow(10**15) + 10**15)
        self.media[media_id] = (mime_type, data)
        return media_id

    def sent(self) -> list[dict[str, Any]]:
        """Every message sent so far, oldest first."""
        text = self.outbox.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        try:
            status, body = self._route(
                method,
                request.path.split("?")[0],
                request.headers.get("Authorization"),
                raw,
                str(request.headers.get("Content-Type") or "").split(";")[0].strip(),
            )
        except Exception as error:  # an answer in the API's shape, never a dropped connection
            message = f"An unexpected error has occurred ({type(error).__name__})"
            status, body = graph_error(500, message, 2)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request.send_response(status)
        request.send_header(
            "Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json"
        )
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _expected_token(self, authorization: str | None) -> str:
        """The access token, read once (and again when a request brings another: the secret may have changed)."""
        with self._lock:
            if self._token is None or authorization != f"Bearer {self._token}":
                self._token = self.token()
            return self._token

    def _route(
        self, method: str, path: str, authorization: str | None, raw: bytes, content_type: str = ""
    ) -> tuple[int, Any]:
        if authorization != f"Bearer {self._expected_token(authorization)}":
            return graph_error(401, "Invalid OAuth access token - Cannot parse access token", 190)
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 2 and parts[0] == "media" and parts[1] in self.media:
            return 200, self.media[parts[1]][1]
        if not parts or not _VERSION.match(parts[0]):
            return graph_error(400, "Unknown path components", 2500)
        if method == "GET" and len(parts) == 2:
            found = self.media.get(parts[1])
            if found is None:
                return graph_error(400, "(#100) Unsupported get request.", 100, "GraphMethodException", 33)
            return 200, {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/media/{parts[1]}",
                "mime_type": found[0],
                "file_size": len(found[1]),
                "id": parts[1],
            }
        if method == "POST" and len(parts) == 3 and parts[2] == "media" and parts[1] == self.phone_number_id:
            if not raw or content_type not in ("image/jpeg", "image/png", "image/webp"):
                return graph_error(400, "(#100) Param file must be a JPEG, PNG or WebP image", 100)
            return 200, {"id": self.add_media(content_type, raw)}
        if method == "POST" and len(parts) == 3 and parts[2] == "messages":
            if parts[1] != self.phone_number_id:
                return graph_error(400, "(#100) Invalid parameter: phone number id", 100, "GraphMethodException", 33)
            try:
                body = json.loads(raw)
            except ValueError:
                return graph_error(400, "(#100) The parameter messaging_product is required.", 100)
            problem = check_message(body)
            if problem is not None:
                return problem
            wamid = "wamid.LOCAL" + secrets.token_hex(12).upper()
            record = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "id": wamid, **body}
            with self._lock, self.outbox.open("a", encoding="utf-8") as outbox:
                outbox.write(json.dumps(record, ensure_ascii=False) + "\n")
            to = body["to"]
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": wamid}],
            }
        return graph_error(400, "Unsupported request", 100, "GraphMethodException")
