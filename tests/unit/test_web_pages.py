"""The web pages function: pages in two languages that load nothing from elsewhere, cacheable assets, and QR
codes that open the right URL without ever reading a report."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from types import ModuleType
from typing import Any, get_args

import pytest
from lapor import qr, shapes
from lapor.config import settings
from lapor.directory import Directory
from lapor.errors import ReportNotFound
from lapor.http import problem_for

from tests.conftest import ROOT, LambdaContext, load_function
from tests.events import api_event

HERE = ROOT / "functions" / "web_pages"
API_BASE = "https://abc123.execute-api.ap-southeast-3.amazonaws.com/v1"
DIRECTORY = Directory.from_file(ROOT / "infra" / "directory.json")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The function with the demo directory, and no configured public base (links follow the request)."""
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    settings.cache_clear()
    module = load_function("web_pages")
    monkeypatch.setattr(module, "current_directory", lambda: DIRECTORY)
    yield module
    settings.cache_clear()


def call(app: ModuleType, resource: str, **kwargs: Any) -> dict[str, Any]:
    return app.lambda_handler(api_event("GET", resource, **kwargs), LambdaContext())


def body_bytes(response: dict[str, Any]) -> bytes:
    body = response["body"]
    return base64.b64decode(body) if response["isBase64Encoded"] else body.encode("utf-8")


class Links(HTMLParser):
    """What a page would make the browser load or run."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href", "action") and value is not None]
        if tag == "script":
            self.scripts.append(found)
        if tag == "style" or "style" in found:
            self.inline_styles += 1


def strings(lang: str) -> dict[str, str]:
    return dict(json.loads((HERE / "strings" / f"{lang}.json").read_text(encoding="utf-8")))


# ---------------------------------------------------------------- pages


def test_the_landing_page_is_in_bahasa_indonesia_with_a_strict_content_security_policy(app: ModuleType) -> None:
    response = call(app, "/")
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    page = response["body"]
    assert '<html lang="id">' in page
    assert '<h1 id="form-heading" data-t="form.heading">Sampaikan laporan Anda</h1>' in page
    policy = response["headers"]["Content-Security-Policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert not {name.lower() for name in response["headers"]} & {"set-cookie"}


def test_the_policy_lets_photos_come_from_and_go_to_the_bucket_only(
    app: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In AWS: presigned POSTs and links point at the bucket's regional host, which the policy allows.
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PHOTOS_BUCKET", "lapor-photos-x1")
    monkeypatch.setenv("AWS_REGION", "ap-southeast-3")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # signing needs a key; nothing is sent
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.cache_clear()
    policy = call(app, "/")["headers"]["Content-Security-Policy"]
    origin = "https://lapor-photos-x1.s3.ap-southeast-3.amazonaws.com"
    assert f"img-src 'self' data: blob: {origin};" in policy and f"connect-src 'self' {origin};" in policy
    from lapor import aws

    aws.reset_clients()
    s3 = aws.client("s3")  # what the functions sign with
    assert s3.generate_presigned_post("lapor-photos-x1", "originals/a/b")["url"].startswith(origin + "/")
    assert s3.generate_presigned_url("get_object", {"Bucket": "lapor-photos-x1", "Key": "k"}).startswith(origin + "/")
    aws.reset_clients()
    # Locally: wherever the local AWS endpoint is.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    policy = call(app, "/")["headers"]["Content-Security-Policy"]
    assert "img-src 'self' data: blob: http://127.0.0.1:4566;" in policy


def test_lang_en_serves_every_text_in_english(app: ModuleType) -> None:
    english = strings("en")
    for resource in ("/", "/track/{tracking_id}"):
        page = call(app, resource, query={"lang": "en"}, path_params={"tracking_id": "x"} if "{" in resource else None)
        assert '<html lang="en">' in page["body"]
        filled = re.findall(r'data-t="([\w.]+)"[^>]*>([^<]*)<', page["body"])
        assert filled
        for key, text in filled:
            assert text == html.escape(english[key], quote=False), key


def test_both_languages_have_the_same_strings_and_cover_every_text_the_pages_use() -> None:
    indonesian, english = strings("id"), strings("en")
    assert indonesian.keys() == english.keys()
    used = set()
    for name in ("index.html", "track.html", "statistik.html"):
        used |= set(re.findall(r'data-t="([\w.]+)"', (HERE / "pages" / name).read_text(encoding="utf-8")))
    charts = (HERE / "assets" / "statistik.js").read_text(encoding="utf-8")
    used |= set(re.findall(r'"(stats\.[a-z_.]+)"', charts))
    metrics = re.search(r"const METRICS = \[([^\]]+)\]", charts)
    assert metrics
    for metric in re.findall(r'"(\w+)"', metrics.group(1)):
        assert metric in shapes.AgencyFigures.__annotations__
        used |= {f"stats.metric.{metric}", f"stats.explain.{metric}"}
    script = "".join((HERE / "assets" / name).read_text(encoding="utf-8") for name in ("lapor.js", "track.js"))
    used |= set(re.findall(r'"((?:[a-z_]+\.)+[a-z_0-9]+)"', script)) - {"p.error", "a.privacy"}  # CSS selectors
    for status in get_args(shapes.ReportStatus):
        used |= {f"status.{status}", f"status.{status}.explain"}
    used |= {f"event.{event}" for event in (*get_args(shapes.TimelineEvent), *get_args(shapes.DataRequestEvent))}
    used |= {f"kind.{kind}" for kind in get_args(shapes.ReportKind)}
    assert used - indonesian.keys() == set()


def test_the_privacy_notice_has_its_own_strings_in_both_languages_for_every_text_it_uses() -> None:
    own = {lang: dict(json.loads((HERE / "strings" / f"privasi.{lang}.json").read_text())) for lang in ("id", "en")}
    assert own["id"].keys() == own["en"].keys()
    assert not own["id"].keys() & strings("id").keys(), "its texts are its own, not the shared ones"
    used = set(re.findall(r'data-t="([\w.]+)"', (HERE / "pages" / "privasi.html").read_text(encoding="utf-8")))
    assert used == own["id"].keys() | {"site.name", "lang.switch"}


@pytest.mark.parametrize(("resource", "root"), [("/", ""), ("/track/{tracking_id}", "../")])
def test_pages_load_only_their_own_relative_assets_and_run_no_inline_script(
    app: ModuleType, resource: str, root: str
) -> None:
    page = call(app, resource, path_params={"tracking_id": "LPR-7KQ2-M9XD-3FHW"} if "{" in resource else None)
    links = Links()
    links.feed(page["body"])
    assert links.urls, "the page links its assets"
    for url in links.urls:
        if url == "data:,":
            continue  # the empty favicon: it spares the browser a request
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//|^/", url, re.IGNORECASE), f"{url} is not relative"
    assert f"{root}assets/lapor.js?v={app.SITE.version()}" in links.urls
    assert f"{root}assets/lapor.css?v={app.SITE.version()}" in links.urls
    inline = [s for s in links.scripts if "src" not in s]
    assert inline == [{"type": "application/json", "id": "strings"}]  # data, never run
    assert links.inline_styles == 0


def test_the_strings_block_cannot_end_the_script_element(app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.SITE.strings("id"), "form.intro", "</script><script>alert(1)</script>")
    app.SITE.page.cache_clear()
    try:
        page = call(app, "/")["body"]
    finally:
        app.SITE.page.cache_clear()
    links = Links()
    links.feed(page)
    assert len(links.scripts) == 2  # the page's script and the strings block: nothing was injected


def test_the_landing_page_and_its_assets_fit_a_slow_phone_connection(app: ModuleType) -> None:
    for lang in ("id", "en"):
        total = sum(
            len(body_bytes(call(app, resource, query={"lang": lang})))
            for resource in ("/", "/assets/lapor.js", "/assets/lapor.css")
        )
        assert total < 60_000, f"{lang}: {total} bytes"


def test_the_tracking_page_is_the_same_for_any_tracking_id(app: ModuleType) -> None:
    pages = [
        call(app, "/track/{tracking_id}", path_params={"tracking_id": tracking_id})
        for tracking_id in ("LPR-7KQ2-M9XD-3FHW", "not-an-id", "<script>")
    ]
    assert {page["statusCode"] for page in pages} == {200}
    assert len({page["body"] for page in pages}) == 1
    assert "&lt;script&gt;" not in pages[0]["body"] and "not-an-id" not in pages[0]["body"]


def test_a_stage_url_without_its_slash_is_sent_to_the_slash_so_relative_links_keep_the_stage(app: ModuleType) -> None:
    event = api_event("GET", "/", query={"agency": "dpupr-barito-utara", "channel": "qr"})
    event["requestContext"]["path"] = "/v1"
    response = app.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 301
    assert response["headers"]["Location"] == "v1/?agency=dpupr-barito-utara&channel=qr"
    assert call(app, "/")["statusCode"] == 200  # with the slash: no redirect loop


# ---------------------------------------------------------------- assets


def test_versioned_assets_are_cached_for_a_year_and_others_revalidate(app: ModuleType) -> None:
    version = app.SITE.version()
    script = call(app, "/assets/lapor.js", query={"v": version})
    assert script["headers"]["Content-Type"] == "application/javascript; charset=utf-8"
    assert script["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"
    style = call(app, "/assets/lapor.css", query={"v": "old"})
    assert style["headers"]["Content-Type"] == "text/css; charset=utf-8"
    assert style["headers"]["Cache-Control"] == "public, max-age=300"


def test_both_style_sheets_start_with_the_rules_every_page_shares(app: ModuleType) -> None:
    base = (ROOT / "shared" / "lapor" / "base.css").read_text(encoding="utf-8")
    citizen = call(app, "/assets/lapor.css")["body"]
    served = load_function("console").lambda_handler(api_event("GET", "/console/assets/console.css"), LambdaContext())
    console = served["body"]
    assert served["headers"]["Content-Type"] == "text/css; charset=utf-8"
    assert citizen.startswith(base) and console.startswith(base)
    own = citizen.removeprefix(base)
    assert own == (HERE / "assets" / "lapor.css").read_text(encoding="utf-8")
    assert not set(base.splitlines()) & set(own.splitlines()) - {"}", ":root {"}, "no rule is written twice"


def test_a_browser_holding_the_same_body_gets_304_without_a_body(app: ModuleType) -> None:
    first = call(app, "/")
    again = call(app, "/", headers={"If-None-Match": first["headers"]["ETag"]})
    assert (again["statusCode"], again["body"]) == (304, "")
    assert call(app, "/", headers={"If-None-Match": '"other"'})["statusCode"] == 200


def test_strings_of_a_language_are_served_for_switching_in_place(app: ModuleType) -> None:
    response = call(app, "/assets/strings/{lang}", path_params={"lang": "en"})
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response["body"])["form.heading"] == "Send your report"
    missing = call(app, "/assets/strings/{lang}", path_params={"lang": "fr"})
    assert missing["statusCode"] == 404
    assert missing["headers"]["Content-Type"] == "application/problem+json"


# ---------------------------------------------------------------- QR codes


def test_an_agency_code_opens_the_landing_page_for_that_agency(app: ModuleType) -> None:
    url = f"{API_BASE}/?agency=dpupr-barito-utara&channel=qr"
    params = {"agency_id": "dpupr-barito-utara"}
    png = call(app, "/agencies/{agency_id}/qr.png", path_params=params)
    assert png["headers"]["Content-Type"] == "image/png"
    assert png["isBase64Encoded"] is True
    assert body_bytes(png) == qr.png(url)
    svg = call(app, "/agencies/{agency_id}/qr.svg", path_params=params)
    assert svg["headers"]["Content-Type"] == "image/svg+xml"
    assert svg["body"] == qr.svg(url)
    assert svg["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"


def test_an_unknown_agency_has_no_code(app: ModuleType) -> None:
    response = call(app, "/agencies/{agency_id}/qr.svg", path_params={"agency_id": "no-such-agency"})
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "application/problem+json"


def test_the_configured_public_base_is_what_codes_open(app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://lapor.baritoutarakab.go.id/")
    settings.cache_clear()
    response = call(app, "/reports/{tracking_id}/qr.png", path_params={"tracking_id": "LPR-7KQ2-M9XD-3FHW"})
    assert body_bytes(response) == qr.png("https://lapor.baritoutarakab.go.id/track/LPR-7KQ2-M9XD-3FHW")


@pytest.fixture
def no_reads(app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the directory or any report fails the test: receipt codes need neither."""
    from lapor import store

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a receipt's QR code must not read the table")

    monkeypatch.setattr(app, "current_directory", refuse)
    monkeypatch.setattr(store, "get_report", refuse)
    monkeypatch.setattr(store, "read_directory", refuse)


@pytest.mark.usefixtures("no_reads")
def test_a_receipt_code_opens_the_tracking_page_of_the_canonical_tracking_id(app: ModuleType) -> None:
    response = call(app, "/reports/{tracking_id}/qr.svg", path_params={"tracking_id": "lpr7kq2m9xd3fhw"})
    assert response["statusCode"] == 200
    assert response["body"] == qr.svg(f"{API_BASE}/track/LPR-7KQ2-M9XD-3FHW")


@pytest.mark.usefixtures("no_reads")
@pytest.mark.parametrize("tracking_id", ["LPR-7KQ2-M9XD-3FHX", "LPR-7KQ2", "x" * 41, "LPR-UUUU-UUUU-UUUU"])
def test_a_malformed_tracking_id_gets_exactly_the_unknown_report_answer(app: ModuleType, tracking_id: str) -> None:
    expected = problem_for(ReportNotFound()).to_proxy()
    for resource in ("/reports/{tracking_id}/qr.svg", "/reports/{tracking_id}/qr.png"):
        response = call(app, resource, path_params={"tracking_id": tracking_id})
        assert response["statusCode"] == 404
        assert response["body"] == expected["body"]
        assert response["headers"]["Content-Type"] == expected["headers"]["Content-Type"]


def test_a_cached_code_is_not_drawn_again(app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    params = {"tracking_id": "LPR-7KQ2-M9XD-3FHW"}
    etag = call(app, "/reports/{tracking_id}/qr.png", path_params=params)["headers"]["ETag"]
    monkeypatch.setattr(qr, "png", lambda url: pytest.fail("drawn again"))
    again = call(app, "/reports/{tracking_id}/qr.png", path_params=params, headers={"If-None-Match": etag})
    assert again["statusCode"] == 304


# ---------------------------------------------------------------- the privacy notice


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_privacy_notice_names_the_configured_data_protection_officer(
    app: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVACY_CONTACT_EMAIL", "ppdp@baritoutarakab.go.id")
    settings.cache_clear()
    app.SITE.page.cache_clear()
    try:
        response = call(app, "/privasi")
    finally:
        app.SITE.page.cache_clear()
    page = response["body"]
    assert response["statusCode"] == 200 and response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response["headers"]["Content-Security-Policy"]
    assert '<html lang="id">' in page
    assert '<a id="privacy-contact" href="mailto:ppdp@baritoutarakab.go.id">ppdp@baritoutarakab.go.id</a>' in page


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_privacy_notice_says_how_long_personal_data_and_audit_entries_are_kept(
    app: ModuleType, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    # The template's PersonalDataRetentionDays and AuditRetentionDays, as the retention job applies them (issue 23)
    monkeypatch.setenv("LAPOR_PERSONAL_DATA_RETENTION_DAYS", "730")
    monkeypatch.setenv("LAPOR_AUDIT_RETENTION_DAYS", "3650")
    settings.cache_clear()
    app.SITE.page.cache_clear()
    try:
        page = call(app, "/privasi", query={"lang": lang})["body"]
    finally:
        app.SITE.page.cache_clear()
        monkeypatch.undo()
        settings.cache_clear()
    text = visible_text(page)
    erased = {"id": "dihapus untuk selamanya", "en": "erased for good"}[lang]
    days = {"id": "hari", "en": "days"}[lang]
    assert re.search(rf"{erased}.* 730 {days}\.", text) and re.search(rf" 3650 {days}\.", text)
    assert "belum menghapusnya" not in text and "does not yet delete" not in text


def test_without_a_configured_officer_the_notice_shows_the_templates_default(app: ModuleType) -> None:
    app.SITE.page.cache_clear()
    assert "mailto:privasi@example.go.id" in call(app, "/privasi")["body"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_privacy_notice_says_what_is_stored_why_how_long_who_sees_it_and_the_rights(
    app: ModuleType, lang: str
) -> None:
    own = dict(json.loads((HERE / "strings" / f"privasi.{lang}.json").read_text(encoding="utf-8")))
    page = call(app, "/privasi", query={"lang": lang})["body"]
    assert f'<html lang="{lang}">' in page
    filled = dict(re.findall(r'data-t="([\w.]+)"[^>]*>([^<]*)<', page))
    assert {key: html.unescape(text) for key, text in filled.items() if key in own} == own
    text = visible_text(page)
    expected = {
        "id": [
            "anonim",
            "rahasia",
            "Foto",
            "sekitar 110 m",
            "UU PDP",
            "jadwal retensi arsip",
            "Jejak audit",
            "Pasal 7",
            "Pasal 6",
            "Pasal 8",
            "Pasal 9",
            "Pejabat Pelindungan Data Pribadi",
            "3×24 jam",
        ],
        "en": [
            "Anonymous",
            "Confidential",
            "Photos",
            "about 110 m",
            "UU PDP",
            "archive retention schedule",
            "audit trail",
            "Article 7",
            "Article 6",
            "Article 8",
            "Article 9",
            "Data Protection Officer",
            "3×24 hours",
        ],
    }[lang]
    assert [word for word in expected if word not in text] == []


def test_the_privacy_notice_runs_no_script_and_loads_only_the_style_sheet(app: ModuleType) -> None:
    links = Links()
    links.feed(call(app, "/privasi")["body"])
    assert links.scripts == [] and links.inline_styles == 0
    assert [url for url in links.urls if "assets/" in url] == [f"assets/lapor.css?v={app.SITE.version()}"]
    assert "?lang=en" in links.urls and "./?lang=id" in links.urls  # the language switch, and back to the form


def test_the_form_links_the_notice_before_sending_and_the_receipt_links_it_too(app: ModuleType) -> None:
    page = call(app, "/", query={"lang": "en"})["body"]
    link = '<a class="privacy" href="privasi?lang=en" target="_blank" data-t="privacy.link">'
    form, receipt = page.split('<section id="receipt"')
    assert link in form.split('id="submit"')[0].rsplit("<fieldset", 1)[1], "between the last fieldset and Send"
    assert link in receipt.split("</section>")[0]
    assert "privacy.stored" not in page, "the notice's long texts are not in the landing page's strings"
