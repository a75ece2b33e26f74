"""`lapor whatsapp chat` plays a citizen on WhatsApp against the running local stack: each line typed is
sent to the webhook as Meta sends it (signed with the local app secret), and the replies the stack sends
through its stand-in Graph API are printed. `lapor whatsapp app-secret` prints the local app secret, for any
HTTP client to sign its own webhook calls (X-Hub-Signature-256)."""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

NAME = "whatsapp"
HELP = "chat with the local stack as a citizen on WhatsApp, or print the local app secret"
WAIT_SECONDS = 15.0
QUIET_SECONDS = 1.0


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    chat = actions.add_parser(
        "chat", help="type messages as a citizen; /foto PATH sends a photo, /lokasi LAT,LON a pin"
    )
    chat.add_argument(
        "--number", default="6281200000000", help="the citizen's WhatsApp number (digits, default %(default)s)"
    )
    actions.add_parser("app-secret", help="print the local Meta app secret that signs webhook calls")


def _secret(variable: str) -> str:
    import os

    import boto3

    client = boto3.client("secretsmanager")
    return str(client.get_secret_value(SecretId=os.environ[variable])["SecretString"])


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - local http
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def message(number: str, line: str, media: Any) -> dict[str, Any] | None:
    """The webhook payload Meta sends for one line typed (None: nothing to send)."""
    content: dict[str, Any]
    if line.startswith("/foto ") or line.startswith("/photo "):
        path = Path(line.split(" ", 1)[1].strip()).expanduser()
        kind = {".png": "image/png", ".webp": "image/webp"}.get(path.suffix.lower(), "image/jpeg")
        content = {"type": "image", "image": {"id": media(kind, path.read_bytes()), "mime_type": kind}}
    elif line.startswith("/lokasi ") or line.startswith("/location "):
        lat, lon = (float(part) for part in line.split(" ", 1)[1].split(","))
        content = {"type": "location", "location": {"latitude": lat, "longitude": lon}}
    elif line.strip():
        content = {"type": "text", "text": {"body": line}}
    else:
        return None
    wamid = "wamid.LOCAL" + uuid.uuid4().hex.upper()
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "local", "phone_number_id": "local"},
        "contacts": [{"profile": {"name": "Warga"}, "wa_id": number}],
        "messages": [{"from": number, "id": wamid, "timestamp": str(int(time.time())), **content}],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "local", "changes": [{"value": value, "field": "messages"}]}],
    }


def _replies(outbox: Path, number: str, seen: int) -> tuple[list[str], int]:
    lines = outbox.read_text(encoding="utf-8").splitlines() if outbox.exists() else []
    found = []
    for line in lines[seen:]:
        sent = json.loads(line)
        if sent.get("to", "").lstrip("+") == number:
            found.append(sent["text"]["body"] if sent.get("type") == "text" else json.dumps(sent.get("template")))
    return found, len(lines)


def run(args: argparse.Namespace) -> int:
    from lapor_local.attach import NoRunningStack, running_stack, state_dir

    try:
        state = running_stack(args.root)
    except NoRunningStack as error:
        print(f"lapor whatsapp: {error}", file=sys.stderr)
        return 2
    app_secret = _secret("WHATSAPP_APP_SECRET_ARN")
    if args.action == "app-secret":
        print(app_secret)
        return 0
    from lapor.whatsapp import sign

    environment = state["environment"]
    graph = f"{environment['WHATSAPP_GRAPH_URL']}/{environment.get('WHATSAPP_GRAPH_VERSION', 'v21.0')}"
    token = _secret("WHATSAPP_ACCESS_TOKEN_ARN")

    def media(kind: str, data: bytes) -> str:
        url = f"{graph}/{environment['WHATSAPP_PHONE_NUMBER_ID']}/media"
        status, answer = _post(url, data, {"Authorization": f"Bearer {token}", "Content-Type": kind})
        if status != 200:
            raise SystemExit(f"lapor whatsapp: the photo was refused ({status}): {answer.decode(errors='replace')}")
        return str(json.loads(answer)["id"])

    outbox = state_dir(args.root) / "whatsapp" / "outbox.jsonl"
    _, seen = _replies(outbox, args.number, 0)
    print(f"WhatsApp {args.number} -> {state['api_url']}/whatsapp/webhook (Ctrl-D to end). Ketik 'halo' untuk mulai.")
    for line in sys.stdin:
        payload = message(args.number, line.rstrip("\n"), media)
        if payload is None:
            continue
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(app_secret.encode(), body)}
        status, answer = _post(f"{state['api_url']}/whatsapp/webhook", body, headers)
        if status != 200:
            print(f"[webhook answered {status}: {answer.decode(errors='replace')}]", file=sys.stderr)
            continue
        started, last = time.monotonic(), None
        while time.monotonic() - started < WAIT_SECONDS:
            found, seen = _replies(outbox, args.number, seen)
            for reply in found:
                print(f"\n{reply}\n", flush=True)
                last = time.monotonic()
            if last is not None and time.monotonic() - last > QUIET_SECONDS:
                break
            time.sleep(0.1)
    return 0
