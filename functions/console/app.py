"""The agency console: the page officers work their reports in, its script, style and strings.

Static files only: this function has no table, queue or key permission. The page signs the officer in
(Cognito's managed login, authorization code with PKCE), keeps the ID token in the tab's sessionStorage and
reads and changes reports through the agency API with it, like any other API client.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lapor.config import settings
from lapor.contract import BY_ID
from lapor.http import Request, Response, Router
from lapor.observability import handler
from lapor.pages import HTML, SHORT, Site, cached, language
from lapor.photos import bucket_origin

SITE = Site(Path(__file__).parent, ("console.js", "console.css"))
router = Router("console")


# The app client's id arrives with each request as this stage variable (template.yaml, LaporApi): the
# client's callback URL names the API, so the function's environment cannot name the client.
CLIENT_STAGE_VARIABLE = "consoleClientId"


@cache
def _auth_url() -> str:
    """The user pool's managed login (its https origin)."""
    return settings().console_auth_url


def _headers() -> dict[str, str]:
    # The token is fetched from the sign-in origin; everything else comes from this origin only.
    auth = urlsplit(_auth_url())
    token_origin = f" {auth.scheme}://{auth.netloc}" if auth.scheme == "https" else ""
    # Photos come from the bucket through presigned links.
    return {
        "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: {bucket_origin()}; "
        f"connect-src 'self'{token_origin}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        "Permissions-Policy": "geolocation=(), camera=(), microphone=(), payment=(), usb=()",
        "Cache-Control": "no-cache",
    }


def _html(request: Request, root: str) -> Response:
    client_id = request.stage_variables.get(CLIENT_STAGE_VARIABLE, "")
    page = SITE.page(
        "console.html", language(request), root=root, auth=html.escape(_auth_url()), client=html.escape(client_id)
    )
    return cached(request, page, HTML, _headers())


@router.operation("consoleInbox")
def inbox_page(request: Request) -> Response:
    return _html(request, "./")


@router.operation("consoleReport")
def report_page(request: Request) -> Response:
    # The same page for every ID: the script asks the agency API, which decides what this officer may see.
    return _html(request, "../../")


@router.operation("consoleSettings")
def settings_page(request: Request) -> Response:
    return _html(request, "../")


@router.operation("consoleSettingsHistory")
def settings_history_page(request: Request) -> Response:
    return _html(request, "../../")


@router.operation("getConsoleScript")
def script(request: Request) -> Response:
    return SITE.asset(request, "console.js")


@router.operation("getConsoleStyle")
def style(request: Request) -> Response:
    return SITE.asset(request, "console.css")


def _trailing_slash_redirect(event: dict[str, Any]) -> dict[str, Any] | None:
    """`.../console/` reaches the same route, but its relative links would point one folder too deep."""
    visible = str((event.get("requestContext") or {}).get("path") or event.get("path") or "")
    if event.get("resource") != BY_ID["consoleInbox"].path or not visible.endswith("/"):
        return None
    return Response(301, None, {"Location": "../console", "Cache-Control": SHORT}, HTML).to_proxy()


@handler
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return _trailing_slash_redirect(event) or router(event, context)
