"""The citizen-facing web: the landing page with the report form, the tracking page, the public figures as
charts (/statistik), the privacy notice (/privasi), their scripts, style and strings, and the QR codes printed
on posters and receipts.

The pages are static files of this folder, served by `lapor.pages`. The pages only
talk to this API, with relative URLs, so they also work under a stage prefix (`.../v1/`). This function
reads the directory (for agency QR codes) and nothing else: it never sees a report.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from lapor import qr
from lapor.config import settings
from lapor.contract import BY_ID
from lapor.errors import NotFound
from lapor.http import Request, Response, Router
from lapor.ids import parse_tracking_id, tracking_url
from lapor.observability import handler
from lapor.pages import HTML, IMMUTABLE, LANGUAGES, SHORT, Site, cached, etag, language, not_modified
from lapor.photos import bucket_origin
from lapor.store import current_directory

SITE = Site(Path(__file__).parent, ("lapor.js", "track.js", "lapor.css", "statistik.js"))


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


router = Router("web_pages")
PAGES = ("index.html", "track.html", "statistik.html")
# INIT, in SnapStart's snapshot: every page in every language read and built once (static files; no AWS).
for _lang in LANGUAGES:
    for _name in PAGES:
        SITE.page(f"pages/{_name}", _lang)


def _page(request: Request, name: str) -> Response:
    return cached(request, SITE.page(f"pages/{name}", language(request)), HTML, _page_headers())


@router.operation("landingPage")
def landing_page(request: Request) -> Response:
    return _page(request, "index.html")


@router.operation("trackingPage")
def tracking_page(request: Request) -> Response:
    # The same page for every ID, read by the script: an unknown and a malformed ID look alike here too.
    return _page(request, "track.html")


@router.operation("statisticsPage")
def statistics_page(request: Request) -> Response:
    return _page(request, "statistik.html")


@router.operation("privacyPage")
def privacy_page(request: Request) -> Response:
    contact = html.escape(settings().privacy_contact_email)
    s = settings()
    page = SITE.page(
        "pages/privasi.html",
        language(request),
        privacy_contact=contact,
        retention_days=str(s.personal_data_retention_days),
        audit_days=str(s.audit_retention_days),
    )
    return cached(request, page, HTML, _page_headers())


@router.operation("getStatisticsScript")
def statistics_script(request: Request) -> Response:
    return SITE.asset(request, "statistik.js")


@router.operation("getPageScript")
def script(request: Request) -> Response:
    return SITE.asset(request, "lapor.js")


@router.operation("getTrackingScript")
def tracking_script(request: Request) -> Response:
    return SITE.asset(request, "track.js")


@router.operation("getPageStyle")
def style(request: Request) -> Response:
    return SITE.asset(request, "lapor.css")


@router.operation("getPageStrings")
def strings(request: Request) -> Response:
    lang = request.path_params.get("lang", "")
    if lang not in LANGUAGES:
        raise NotFound("No strings for this language.")
    return SITE.asset(request, f"{lang}.json", "strings")


def _agency_url(request: Request) -> str:
    agency_id = request.path_params.get("agency_id", "")
    if current_directory().agency(agency_id) is None:
        raise NotFound("No agency has this id.")
    return qr.agency_url(request.base_url, agency_id)


def _tracking_url(request: Request) -> str:
    # Malformed IDs raise ReportNotFound, the very answer an unknown report gets; the table is never read.
    return tracking_url(request.base_url, parse_tracking_id(request.path_params.get("tracking_id", "")))


def _qr_image(request: Request, url: str) -> Response:
    """A QR code never changes for a given URL: cacheable for a year, and 304 without drawing it again.

    The operation says the format: its path ends in qr.svg or qr.png, and its content type matches."""
    assert request.operation is not None
    kind, content_type = request.operation.path.rpartition(".")[2], request.operation.content_type
    headers = {"Cache-Control": IMMUTABLE, "ETag": etag(f"{kind} {url}")}
    if not_modified(request, headers["ETag"]):
        return Response(304, None, headers, content_type)
    body: str | bytes = qr.svg(url) if kind == "svg" else qr.png(url)
    return Response(200, body, headers, content_type)


@router.operation("getAgencyQrSvg")
@router.operation("getAgencyQrPng")
def agency_qr(request: Request) -> Response:
    return _qr_image(request, _agency_url(request))


@router.operation("getReportQrSvg")
@router.operation("getReportQrPng")
def report_qr(request: Request) -> Response:
    return _qr_image(request, _tracking_url(request))


def _stage_root_redirect(event: dict[str, Any]) -> dict[str, Any] | None:
    """`https://.../v1` (no slash) also reaches `/`, but the page's relative links would then lose the stage.

    Send the browser to `v1/` (relative: right behind any custom domain too), keeping the query string.
    """
    visible = str((event.get("requestContext") or {}).get("path") or "")
    if event.get("resource") != BY_ID["landingPage"].path or not visible or visible.endswith("/"):
        return None
    query = urlencode(event.get("queryStringParameters") or {})
    location = visible.rsplit("/", 1)[-1] + "/" + (f"?{query}" if query else "")
    return Response(301, None, {"Location": location, "Cache-Control": SHORT}, HTML).to_proxy()


@handler
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return _stage_root_redirect(event) or router(event, context)
