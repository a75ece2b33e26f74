"""The agency console: the page officers work their reports in, its script, style and strings.

Static files only: this function has no table, queue or key permission. The page signs the officer in
(Cognito's managed login, authorization code with PKCE), keeps the ID token in the tab's sessionStorage and
reads and changes reports through the agency API with it, like any other API client.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lapor.http import Request, Response, Router
from lapor.observability import logger

HERE = Path(__file__).parent
LANGUAGES = ("id", "en")
ASSETS = {"console.js": "application/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}
HTML = "text/html; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
_TEXT_SLOT = re.compile(r'data-t="([\w.]+)"[^>]*>')

router = Router("console")


@cache
def _file(*parts: str) -> str:
    return HERE.joinpath(*parts).read_text(encoding="utf-8")


@cache
def _strings(lang: str) -> dict[str, str]:
    return dict(json.loads(_file("strings", f"{lang}.json")))


@cache
def _version() -> str:
    """The assets' cache key: changes whenever the script, the style or a language's strings change."""
    digest = hashlib.sha256()
    for parts in [("assets", name) for name in sorted(ASSETS)] + [("strings", f"{x}.json") for x in LANGUAGES]:
        digest.update(_file(*parts).encode())
    return digest.hexdigest()[:12]


@cache
def _sign_in() -> tuple[str, str]:
    """The user pool's managed login (its https origin) and the console's app client id."""
    return os.environ.get("CONSOLE_AUTH_URL", "").rstrip("/"), os.environ.get("CONSOLE_CLIENT_ID", "")


def _headers() -> dict[str, str]:
    # The token is fetched from the sign-in origin; everything else comes from this origin only.
    auth = urlsplit(_sign_in()[0])
    token_origin = f" {auth.scheme}://{auth.netloc}" if auth.scheme == "https" else ""
    return {
        "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'{token_origin}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        "Permissions-Policy": "geolocation=(), camera=(), microphone=(), payment=(), usb=()",
        "Cache-Control": "no-cache",
    }


@cache
def _page(lang: str, root: str) -> str:
    strings = _strings(lang)
    page = _TEXT_SLOT.sub(lambda m: m.group(0) + html.escape(strings[m.group(1)], quote=False), _file("console.html"))
    block = json.dumps(strings, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    auth_url, client_id = _sign_in()
    slots = {
        "lang": lang,
        "other": strings["_other"],
        "version": _version(),
        "root": root,
        "auth": html.escape(auth_url),
        "client": html.escape(client_id),
        "strings": block,
    }
    for slot, value in slots.items():
        page = page.replace("{{" + slot + "}}", value)
    return page


def _etag(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:24] + '"'


def _cached(request: Request, body: str, content_type: str, headers: dict[str, str]) -> Response:
    headers = {**headers, "ETag": _etag(body)}
    if headers["ETag"] in (tag.strip() for tag in (request.header("If-None-Match") or "").split(",")):
        return Response(304, None, headers, content_type)
    return Response(200, body, headers, content_type)


def _html(request: Request, root: str) -> Response:
    lang = request.query.get("lang", "")
    return _cached(request, _page(lang if lang in LANGUAGES else LANGUAGES[0], root), HTML, _headers())


@router.route("GET", "/console")
def inbox_page(request: Request) -> Response:
    return _html(request, "./")


@router.route("GET", "/console/reports/{tracking_id}")
def report_page(request: Request) -> Response:
    # The same page for every ID: the script asks the agency API, which decides what this officer may see.
    return _html(request, "../../")


def _asset(request: Request, name: str) -> Response:
    cache_control = IMMUTABLE if request.query.get("v") == _version() else SHORT
    return _cached(request, _file("assets", name), ASSETS[name], {"Cache-Control": cache_control})


@router.route("GET", "/console/assets/console.js")
def script(request: Request) -> Response:
    return _asset(request, "console.js")


@router.route("GET", "/console/assets/console.css")
def style(request: Request) -> Response:
    return _asset(request, "console.css")


def _trailing_slash_redirect(event: dict[str, Any]) -> dict[str, Any] | None:
    """`.../console/` reaches the same route, but its relative links would point one folder too deep."""
    visible = str((event.get("requestContext") or {}).get("path") or event.get("path") or "")
    if event.get("resource") != "/console" or not visible.endswith("/"):
        return None
    return Response(301, None, {"Location": "../console", "Cache-Control": SHORT}, HTML).to_proxy()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return _trailing_slash_redirect(event) or router(event, context)
