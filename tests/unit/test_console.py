"""The agency console function, the local stand-in for its sign-in, and how the template deploys both.

The console is static (no table, queue or key); it signs in with the user pool's managed login in AWS and
with the local stack's /local-auth pages on `make run`, which a deployment must never have.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from types import ModuleType
from typing import Any, get_args
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from lapor import models, shapes
from lapor.config import settings
from lapor.userpool import PoolUser
from lapor_local.devtoken import verify_dev_token
from lapor_local.signin import LocalSignIn
from lapor_local.template import load_template

from tests.conftest import ROOT, LambdaContext, load_function
from tests.events import api_event

HERE = ROOT / "functions" / "console"
AUTH = "https://lapor-1234.auth.ap-southeast-3.amazoncognito.com"
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("CONSOLE_AUTH_URL", AUTH)
    settings.cache_clear()
    module = load_function("console")
    yield module
    settings.cache_clear()
    module._auth_url.cache_clear()
    module.SITE.page.cache_clear()


def call(app: ModuleType, resource: str, **kwargs: Any) -> dict[str, Any]:
    stage = {"consoleClientId": "client-abc"}  # as the template's LaporApi stage passes it
    return app.lambda_handler(api_event("GET", resource, stage_variables=stage, **kwargs), LambdaContext())


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href", "action") and value]
        if tag == "script" and "src" not in dict(attrs):
            self.inline_scripts.append(dict(attrs))


def strings(lang: str) -> dict[str, str]:
    return dict(json.loads((HERE / "strings" / f"{lang}.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize(("resource", "root"), [("/console", "./"), ("/console/reports/{tracking_id}", "../../")])
def test_console_pages_load_only_their_own_assets_and_may_fetch_only_from_the_sign_in_origin(
    app: ModuleType, resource: str, root: str
) -> None:
    response = call(app, resource, path_params={"tracking_id": "LPR-7KQ2-M9XD-3FHW"} if "{" in resource else None)
    assert response["statusCode"] == 200
    page = response["body"]
    assert '<html lang="id">' in page and f'data-auth="{AUTH}" data-client="client-abc"' in page
    links = Links()
    links.feed(page)
    assert f"{root}console/assets/console.js?v={app.SITE.version()}" in links.urls
    assert f"{root}console/assets/console.css?v={app.SITE.version()}" in links.urls
    assert all(url == "data:," or not re.match(r"^[a-z]+:|^//|^/", url) for url in links.urls), links.urls
    assert links.inline_scripts == [{"type": "application/json", "id": "strings"}]
    policy = response["headers"]["Content-Security-Policy"]
    assert f"connect-src 'self' {AUTH};" in policy and "script-src 'self';" in policy
    assert "unsafe-inline" not in policy and "Set-Cookie" not in response["headers"]


def test_both_languages_cover_every_text_of_the_console() -> None:
    indonesian, english = strings("id"), strings("en")
    assert indonesian.keys() == english.keys()
    used = set(re.findall(r'data-t="([\w.]+)"', (HERE / "console.html").read_text(encoding="utf-8")))
    script = (HERE / "assets" / "console.js").read_text(encoding="utf-8")
    used |= set(re.findall(r'"((?:[a-z_]+\.)+[a-z_0-9]+)"', script)) - {
        "lapor.console.token",
        "lapor.console.refresh",
        "lapor.console.pkce",
    }
    used |= {f"status.{s}" for s in get_args(shapes.ReportStatus)} | {f"kind.{k}" for k in get_args(shapes.ReportKind)}
    used |= {f"event.{e}" for e in (*get_args(shapes.TimelineEvent), *get_args(shapes.DataRequestEvent))}
    used |= {f"action.{a}{part}" for a in get_args(models.AgencyActionName) for part in ("", ".hint", ".submit")}
    assert used - indonesian.keys() == set()


def test_lang_en_serves_the_console_in_english(app: ModuleType) -> None:
    page = call(app, "/console", query={"lang": "en"})["body"]
    assert '<html lang="en">' in page and ">Agency console</a>" in page


def test_a_trailing_slash_is_sent_to_the_address_the_relative_links_work_from(app: ModuleType) -> None:
    event = api_event("GET", "/console")
    event["requestContext"]["path"] = "/v1/console/"
    response = app.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 301 and response["headers"]["Location"] == "../console"


# ---------------------------------------------------------------- the local sign-in (make run only)

CONSOLE = "http://127.0.0.1:3000/console"
SECRET = "s" * 32


def pkce() -> tuple[str, str]:
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def pool_user(username: str, agency_id: str, role: str, enabled: bool = True) -> PoolUser:
    now = datetime.now(UTC)
    email = f"{username}@example.org"
    return PoolUser(
        username, f"sub-{username}", email, username.title(), agency_id, role, enabled, "CONFIRMED", now, now
    )


# The local pool: a DPUPR officer, the regency's coordinator and a disabled account.
USERS = [
    pool_user("petugas", "dpupr-barito-utara", "officer"),
    pool_user("koordinator", "pemkab-barito-utara", "dispatcher"),
    pool_user("pensiun", "dpupr-barito-utara", "officer", enabled=False),
]


@pytest.fixture
def local_sign_in() -> LocalSignIn:
    return LocalSignIn(lambda: SECRET, lambda: USERS, lambda: "client-abc")


def authorize_query(challenge: str, **changes: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": "client-abc",
        "redirect_uri": CONSOLE,
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return {**query, **changes}


def test_the_local_sign_in_is_the_authorization_code_flow_with_pkce(local_sign_in: LocalSignIn) -> None:
    verifier, challenge = pkce()
    query = authorize_query(challenge)
    status, _, page = local_sign_in.handle("GET", "/local-auth/oauth2/authorize", urlencode(query), b"")
    assert status == 200
    # The pool's enabled users, each with their agency and role (a disabled one cannot sign in, as on Cognito)
    assert b'<option value="petugas">Petugas \xe2\x80\x94 petugas@example.org (dpupr-barito-utara, officer)' in page
    assert b'value="koordinator"' in page and b'value="pensiun"' not in page
    refused = urlencode({**query, "username": "pensiun"}).encode()
    assert local_sign_in.handle("POST", "/local-auth/oauth2/authorize", "", refused)[0] == 400

    form = urlencode({**query, "username": "koordinator"}).encode()
    status, headers, _ = local_sign_in.handle("POST", "/local-auth/oauth2/authorize", "", form)
    location = urlsplit(dict(headers)["Location"])
    assert status == 302 and f"{location.scheme}://{location.netloc}{location.path}" == CONSOLE
    back = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert back["state"] == "xyz"

    exchange = {"grant_type": "authorization_code", "client_id": "client-abc", "redirect_uri": CONSOLE}
    wrong = urlencode({**exchange, "code": back["code"], "code_verifier": "w" * 50}).encode()
    assert local_sign_in.handle("POST", "/local-auth/oauth2/token", "", wrong)[0] == 400
    # A code is spent by its first exchange, even a failed one: the right verifier is too late now.
    right = urlencode({**exchange, "code": back["code"], "code_verifier": verifier}).encode()
    assert local_sign_in.handle("POST", "/local-auth/oauth2/token", "", right)[0] == 400

    status, headers, _ = local_sign_in.handle("POST", "/local-auth/oauth2/authorize", "", form)
    code = parse_qs(urlsplit(dict(headers)["Location"]).query)["code"][0]
    right = urlencode({**exchange, "code": code, "code_verifier": verifier}).encode()
    status, _, body = local_sign_in.handle("POST", "/local-auth/oauth2/token", "", right)
    assert status == 200
    claims = verify_dev_token(SECRET, json.loads(body)["id_token"])
    assert (claims["custom:agency_id"], claims["custom:role"]) == ("pemkab-barito-utara", "dispatcher")
    assert (claims["sub"], claims["email"]) == ("sub-koordinator", "koordinator@example.org")


def signed_in(local_sign_in: LocalSignIn) -> dict[str, Any]:
    """The token endpoint's answer to a console that just signed in as a dispatcher."""
    verifier, challenge = pkce()
    query = authorize_query(challenge)
    form = urlencode({**query, "username": "koordinator"}).encode()
    _, headers, _ = local_sign_in.handle("POST", "/local-auth/oauth2/authorize", "", form)
    code = parse_qs(urlsplit(dict(headers)["Location"]).query)["code"][0]
    exchange = {"grant_type": "authorization_code", "client_id": "client-abc", "redirect_uri": CONSOLE}
    body = urlencode({**exchange, "code": code, "code_verifier": verifier}).encode()
    status, _, answer = local_sign_in.handle("POST", "/local-auth/oauth2/token", "", body)
    assert status == 200
    return dict(json.loads(answer))


def test_the_id_token_lasts_an_hour_and_the_refresh_token_renews_it_for_the_same_officer(
    local_sign_in: LocalSignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lapor_local import signin

    tokens = signed_in(local_sign_in)
    first = verify_dev_token(SECRET, tokens["id_token"])
    assert tokens["expires_in"] == first["exp"] - first["iat"] == 3600 and tokens["refresh_token"]
    assert first["email"], "an ID token names who signed in, as Cognito's does with the email scope"

    def refresh(token: str, client: str = "client-abc") -> tuple[int, dict[str, Any]]:
        form = urlencode({"grant_type": "refresh_token", "client_id": client, "refresh_token": token}).encode()
        status, _, answer = local_sign_in.handle("POST", "/local-auth/oauth2/token", "", form)
        return status, json.loads(answer)

    status, renewed = refresh(tokens["refresh_token"])
    assert status == 200 and "refresh_token" not in renewed  # Cognito keeps the first refresh token
    again = verify_dev_token(SECRET, renewed["id_token"])
    assert (again["sub"], again["custom:agency_id"], again["custom:role"]) == (
        first["sub"],
        first["custom:agency_id"],
        first["custom:role"],
    )
    assert refresh(tokens["refresh_token"], client="other") == (400, {"error": "invalid_grant"})
    assert refresh("made-up") == (400, {"error": "invalid_grant"})
    # A global sign-out (lapor.store.tokens_refused_before) or a disable ends the refresh token, as on Cognito.
    ended = LocalSignIn(lambda: SECRET, lambda: USERS, lambda: "client-abc", refused_before=lambda sub: 2**40)
    tokens_then = signed_in(ended)
    assert refresh_with(ended, tokens_then["refresh_token"]) == (400, {"error": "invalid_grant"})
    pool = list(USERS)
    changing = LocalSignIn(lambda: SECRET, lambda: pool, lambda: "client-abc")
    tokens_then = signed_in(changing)
    pool[1] = pool_user("koordinator", "pemkab-barito-utara", "dispatcher", enabled=False)
    assert refresh_with(changing, tokens_then["refresh_token"]) == (400, {"error": "invalid_grant"})
    later = signin.time.time() + 12 * 3600 + 1  # past the refresh token's twelve hours
    monkeypatch.setattr(signin.time, "time", lambda: later)
    assert refresh(tokens["refresh_token"]) == (400, {"error": "invalid_grant"})


def refresh_with(sign_in: LocalSignIn, token: str) -> tuple[int, dict[str, Any]]:
    form = urlencode({"grant_type": "refresh_token", "client_id": "client-abc", "refresh_token": token}).encode()
    status, _, answer = sign_in.handle("POST", "/local-auth/oauth2/token", "", form)
    return status, json.loads(answer)


def test_the_local_token_lifetimes_are_the_templates() -> None:
    from lapor_local.signin import token_lifetimes

    client = RESOURCES["AgencyUserPoolClient"]["Properties"]
    assert token_lifetimes(client) == (3600, 12 * 3600)
    assert token_lifetimes({}) == (3600, 30 * 86400), "Cognito's own defaults when the template says nothing"


@pytest.mark.parametrize(
    "changes",
    [
        {"redirect_uri": "https://evil.example/steal"},
        {"client_id": "other"},
        {"code_challenge_method": "plain"},
        {"response_type": "token"},
    ],
)
def test_the_local_sign_in_refuses_requests_a_console_would_not_make(
    local_sign_in: LocalSignIn, changes: dict[str, str]
) -> None:
    query = urlencode(authorize_query(pkce()[1], **changes))
    assert local_sign_in.handle("GET", "/local-auth/oauth2/authorize", query, b"")[0] == 400


def test_the_local_sign_in_answers_only_under_its_own_prefix(local_sign_in: LocalSignIn) -> None:
    assert local_sign_in.handle("GET", "/console", "", b"") is None
    status, headers, _ = local_sign_in.handle("GET", "/local-auth/logout", urlencode({"logout_uri": CONSOLE}), b"")
    assert status == 302 and dict(headers)["Location"] == CONSOLE


# ---------------------------------------------------------------- what a deployment gets


def routes() -> list[str]:
    return [
        event["Properties"]["Path"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "Api"
    ]


def test_a_deployment_has_no_local_sign_in_page_and_no_way_to_mint_tokens() -> None:
    assert routes(), "the template's routes were read"
    assert not [path for path in routes() if "local-auth" in path or "dev" in path or "token" in path]
    template_text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    assert "local-auth" not in template_text and "lapor_local" not in template_text


def test_the_console_function_is_static_and_signs_in_with_the_user_pool_domain() -> None:
    console = RESOURCES["ConsoleFunction"]["Properties"]
    assert "Policies" not in console, "static files only: no table, queue or key"
    variables = console["Environment"]["Variables"]
    assert "${AgencyUserPoolDomain}" in variables["CONSOLE_AUTH_URL"]["Fn::Sub"]
    # The client id comes as a stage variable: in the environment it would close a circle (test_template_graph).
    assert "CONSOLE_CLIENT_ID" not in variables
    stage_variables = RESOURCES["LaporApi"]["Properties"]["Variables"]
    assert stage_variables["consoleClientId"] == {"Ref": "AgencyUserPoolClient"}
    assert RESOURCES["AgencyUserPoolDomain"]["Properties"]["UserPoolId"] == {"Ref": "AgencyUserPool"}


def test_officer_tokens_are_short_lived_and_the_pool_is_protected() -> None:
    """Second audit, item 7: an hour's ID token, a working day's refresh, deletion protection, threat
    protection on by default (the Plus plan), all in the template, not only in the local stack."""
    client = RESOURCES["AgencyUserPoolClient"]["Properties"]
    units = client["TokenValidityUnits"]
    assert (client["IdTokenValidity"], units["IdToken"]) == (1, "hours")
    assert (client["AccessTokenValidity"], units["AccessToken"]) == (1, "hours")
    assert (client["RefreshTokenValidity"], units["RefreshToken"]) == (12, "hours")
    pool = RESOURCES["AgencyUserPool"]["Properties"]
    assert pool["DeletionProtection"] == "ACTIVE"
    assert pool["UserPoolTier"] == {"Fn::If": ["OfficerThreatProtectionOn", "PLUS", "ESSENTIALS"]}
    assert pool["UserPoolAddOns"]["AdvancedSecurityMode"] == {
        "Fn::If": ["OfficerThreatProtectionOn", "ENFORCED", "OFF"]
    }
    assert TEMPLATE["Parameters"]["OfficerThreatProtection"]["Default"] == "on"


def test_the_app_client_allows_only_the_code_flow_back_to_the_console() -> None:
    client = RESOURCES["AgencyUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False  # a browser cannot keep one: PKCE instead
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"] is True
    for urls in (client["CallbackURLs"], client["LogoutURLs"]):
        ((condition, public, api),) = [u["Fn::If"] for u in urls]
        assert condition == "HasPublicBaseUrl"
        assert public == {"Fn::Sub": "${PublicBaseUrl}/console"}
        assert api["Fn::Sub"].endswith("/${StageName}/console") and "${LaporApi}" in api["Fn::Sub"]
