"""The citizen-facing web: the landing page with the report form, the tracking page, the public figures as
charts (/statistik), their scripts, style and strings, and the QR codes printed on posters and receipts.

The pages are static files of this folder, read once per warm function; the chosen language's strings are
written into the HTML (text and a JSON block) so the first paint needs no extra round trip. The pages only
talk to this API, with relative URLs, so they also work under a stage prefix (`.../v1/`). This function
reads the directory (for agency QR codes) and nothing else: it never sees a report.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from lapor import qr
from lapor.directory import current_directory
from lapor.errors import NotFound
from lapor.http import Request, Response, Router
from lapor.ids import parse_tracking_id
from lapor.observability import logger
from lapor.photos import bucket_origin

HERE = Path(__file__).parent
LANGUAGES = ("id", "en")
ASSET_TYPES = {
    "lapor.js": "application/javascript; charset=utf-8",
    "lapor.css": "text/css; charset=utf-8",
    "statistik.js": "application/javascript; charset=utf-8",
}
HTML = "text/html; charset=utf-8"


# Scripts, styles, images and calls from this origin only (data: for the empty favicon that saves a request),
# plus the photo bucket: uploads go there through presigned POSTs, photos come from presigned links, and
# previews of chosen photos are blob: URLs. Nothing inline runs: the strings block is data.
def _page_headers() -> dict[str, str]:
    bucket = bucket_origin()
    return {
        "Content-Security-Policy": f"default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob: {bucket}; connect-src 'self' {bucket}; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'",
        "Permissions-Policy": "geolocation=(self), camera=(), microphone=(), payment=(), usb=()",
        "Cache-Control": "no-cache",
    }


# A versioned asset URL (?v=<version>) never changes: cache it for a year. Anything else: revalidate soon.
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
_TEXT_SLOT = re.compile(r'data-t="([\w.]+)"[^>]*>')

router = Router("web_pages")


@cache
def _file(*parts: str) -> str:
    return HERE.joinpath(*parts).read_text(encoding="utf-8")


@cache
def _strings(lang: str) -> dict[str, str]:
    return dict(json.loads(_file("strings", f"{lang}.json")))


@cache
def _version() -> str:
    """Changes whenever the script, the style or a language's strings change: the assets' cache key."""
    files = [("assets", name) for name in sorted(ASSET_TYPES)] + [("strings", f"{lang}.json") for lang in LANGUAGES]
    digest = hashlib.sha256()
    for parts in files:
        digest.update(_file(*parts).encode())
    return digest.hexdigest()[:12]


@cache
def _page(name: str, lang: str) -> str:
    """A page in one language: every `data-t` element filled with its text, the strings as a JSON block."""
    strings = _strings(lang)
    page = _TEXT_SLOT.sub(lambda m: m.group(0) + html.escape(strings[m.group(1)], quote=False), _file("pages", name))
    block = json.dumps(strings, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    for slot, value in (("lang", lang), ("other", strings["_other"]), ("version", _version()), ("strings", block)):
        page = page.replace("{{" + slot + "}}", value)
    return page


def _language(request: Request) -> str:
    lang = request.query.get("lang", "")
    return lang if lang in LANGUAGES else LANGUAGES[0]


def _etag(content: str | bytes) -> str:
    data = content.encode() if isinstance(content, str) else content
    return '"' + hashlib.sha256(data).hexdigest()[:24] + '"'


def _not_modified(request: Request, etag: str) -> bool:
    return etag in (tag.strip() for tag in (request.header("If-None-Match") or "").split(","))


def _cached(request: Request, body: str | bytes, content_type: str, headers: dict[str, str]) -> Response:
    """200 with an ETag, or 304 when the browser already holds this very body (cheap on a slow line)."""
    headers = {**headers, "ETag": _etag(body)}
    if _not_modified(request, headers["ETag"]):
        return Response(304, None, headers, content_type)
    return Response(200, body, headers, content_type)


def _asset_cache(request: Request) -> str:
    return IMMUTABLE if request.query.get("v") == _version() else SHORT


@router.route("GET", "/")
def landing_page(request: Request) -> Response:
    return _cached(request, _page("index.html", _language(request)), HTML, _page_headers())


@router.route("GET", "/track/{tracking_id}")
def tracking_page(request: Request) -> Response:
    # The same page for every ID, read by the script: an unknown and a malformed ID look alike here too.
    return _cached(request, _page("track.html", _language(request)), HTML, _page_headers())


@router.route("GET", "/statistik")
def statistics_page(request: Request) -> Response:
    return _cached(request, _page("statistik.html", _language(request)), HTML, _page_headers())


@router.route("GET", "/assets/statistik.js")
def statistics_script(request: Request) -> Response:
    body = _file("assets", "statistik.js")
    return _cached(request, body, ASSET_TYPES["statistik.js"], {"Cache-Control": _asset_cache(request)})


@router.route("GET", "/assets/lapor.js")
def script(request: Request) -> Response:
    return _cached(
        request, _file("assets", "lapor.js"), ASSET_TYPES["lapor.js"], {"Cache-Control": _asset_cache(request)}
    )


@router.route("GET", "/assets/lapor.css")
def style(request: Request) -> Response:
    return _cached(
        request, _file("assets", "lapor.css"), ASSET_TYPES["lapor.css"], {"Cache-Control": _asset_cache(request)}
    )


@router.route("GET", "/assets/strings/{lang}")
def strings(request: Request) -> Response:
    lang = request.path_params.get("lang", "")
    if lang not in LANGUAGES:
        raise NotFound("No strings for this language.")
    body = _file("strings", f"{lang}.json")
    return _cached(request, body, "application/json; charset=utf-8", {"Cache-Control": _asset_cache(request)})


def _agency_url(request: Request) -> str:
    agency_id = request.path_params.get("agency_id", "")
    if current_directory().agency(agency_id) is None:
        raise NotFound("No agency has this id.")
    return qr.agency_url(request.base_url, agency_id)


def _tracking_url(request: Request) -> str:
    # Malformed IDs raise ReportNotFound, the very answer an unknown report gets; the table is never read.
    return qr.tracking_url(request.base_url, parse_tracking_id(request.path_params.get("tracking_id", "")))


def _qr_image(request: Request, url: str, kind: str) -> Response:
    """A QR code never changes for a given URL: cacheable for a year, and 304 without drawing it again."""
    headers = {"Cache-Control": IMMUTABLE, "ETag": _etag(f"{kind} {url}")}
    content_type = "image/svg+xml" if kind == "svg" else "image/png"
    if _not_modified(request, headers["ETag"]):
        return Response(304, None, headers, content_type)
    body: str | bytes = qr.svg(url) if kind == "svg" else qr.png(url)
    return Response(200, body, headers, content_type)


@router.route("GET", "/agencies/{agency_id}/qr.svg")
def agency_qr_svg(request: Request) -> Response:
    return _qr_image(request, _agency_url(request), "svg")


@router.route("GET", "/agencies/{agency_id}/qr.png")
def agency_qr_png(request: Request) -> Response:
    return _qr_image(request, _agency_url(request), "png")


@router.route("GET", "/reports/{tracking_id}/qr.svg")
def report_qr_svg(request: Request) -> Response:
    return _qr_image(request, _tracking_url(request), "svg")


@router.route("GET", "/reports/{tracking_id}/qr.png")
def report_qr_png(request: Request) -> Response:
    return _qr_image(request, _tracking_url(request), "png")


def _stage_root_redirect(event: dict[str, Any]) -> dict[str, Any] | None:
    """`https://.../v1` (no slash) also reaches `/`, but the page's relative links would then lose the stage.

    Send the browser to `v1/` (relative: right behind any custom domain too), keeping the query string.
    """
    visible = str((event.get("requestContext") or {}).get("path") or "")
    if event.get("resource") != "/" or not visible or visible.endswith("/"):
        return None
    query = urlencode(event.get("queryStringParameters") or {})
    location = visible.rsplit("/", 1)[-1] + "/" + (f"?{query}" if query else "")
    return Response(301, None, {"Location": location, "Cache-Control": SHORT}, HTML).to_proxy()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return _stage_root_redirect(event) or router(event, context)
