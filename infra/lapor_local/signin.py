"""The local stack's stand-in for the user pool's managed login: OAuth 2.0 authorization code with PKCE.

The console talks to the same three endpoints as in AWS (`/oauth2/authorize`, `/oauth2/token`, `/logout`),
here under `/local-auth` on the local API. The sign-in page lists the users of the local user pool (moto's,
created from template.yaml and seeded with a regency's first officers; an administrator invites more), with no
password or MFA; the token it hands out is a dev token (`lapor dev-token`) with the user's `sub`, email,
agency and role as Cognito would put them in an ID token, which only the local stack accepts. As in AWS a
disabled user cannot sign in and a refresh token no longer works once the user is disabled or signed out
everywhere. None of this is in template.yaml: a deployment has Cognito's login and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from lapor.contract import BY_ID
from lapor.userpool import PoolUser

from lapor_local.devtoken import mint_dev_token

PREFIX = "/local-auth"
CODE_SECONDS = 300
FORWARDED = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")
Answer = tuple[int, list[tuple[str, str]], bytes]

PAGE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"),
]
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;line-height:1.5;color:#1b1b1b}main{max-width:36rem;"
    "margin:0 auto;padding:1rem}header{background:#0b4f71;color:#fff;padding:.75rem 1rem;font-weight:700}"
    "label{display:block;font-weight:700;margin-top:1rem}select,button{font:inherit;width:100%;padding:.5rem;"
    "margin-top:.25rem}fieldset{border:0;padding:0;margin:1rem 0}legend{font-weight:700}.choice label"
    "{display:inline;font-weight:400;margin:0 0 0 .4rem}.choice{margin:.3rem 0}button{background:#0b4f71;"
    "color:#fff;border:0;border-radius:4px;min-height:2.75rem;font-weight:700;margin-top:1rem}"
    ".note{border-left:5px solid #9a5b00;background:#fff4e0;padding:.5rem 1rem}"
)


# Cognito's defaults for an app client that does not set them: ID token one hour, refresh token 30 days.
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_DEFAULTS = {"IdToken": (1, "hours"), "RefreshToken": (30, "days")}


def token_lifetimes(client: Mapping[str, Any]) -> tuple[int, int]:
    """The ID and refresh token lifetimes, in seconds, of an AWS::Cognito::UserPoolClient's properties."""
    units = client.get("TokenValidityUnits") or {}
    lifetimes = []
    for token in ("IdToken", "RefreshToken"):
        amount, unit = client.get(f"{token}Validity"), units.get(token)
        default_amount, default_unit = _DEFAULTS[token]
        lifetimes.append(int(amount or default_amount) * _UNIT_SECONDS[unit or default_unit])
    return lifetimes[0], lifetimes[1]


@dataclass(frozen=True)
class _Session:
    """What a refresh token stands for: the user it was issued to, for this client, from `issued` to `expires`."""

    username: str
    client_id: str
    issued: float
    expires: float


@dataclass(frozen=True)
class _Grant:
    username: str
    client_id: str
    redirect_uri: str
    challenge: str
    expires: float


def _problem(status: int, detail: str) -> Answer:
    body = {"type": "about:blank", "title": "Sign-in failed", "status": status, "detail": detail}
    return status, [("Content-Type", "application/problem+json")], json.dumps(body).encode()


def _oauth_error(error: str) -> Answer:
    return (
        400,
        [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
        json.dumps({"error": error}).encode(),
    )


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class LocalSignIn:
    """`handle` answers requests under /local-auth; `users` lists the pool's users as they are now, and
    `refused_before` says when a user's sessions were last ended (`lapor.store.tokens_refused_before`)."""

    def __init__(
        self,
        token_secret: Callable[[], str],
        users: Callable[[], list[PoolUser]],
        client_id: Callable[[], str],
        lifetimes: tuple[int, int] = (3600, 12 * 3600),
        refused_before: Callable[[str], int | None] = lambda sub: None,
    ) -> None:
        self.token_secret = token_secret
        self.users = users
        self.refused_before = refused_before
        self.client_id = client_id
        self.id_seconds, self.refresh_seconds = lifetimes  # the template's app client says them
        self._grants: dict[str, _Grant] = {}
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def handle(self, method: str, path: str, query: str, body: bytes) -> Answer | None:
        """The answer for a /local-auth request, None for any other path."""
        if not path.startswith(PREFIX + "/"):
            return None
        endpoint = path[len(PREFIX) :]
        if endpoint == "/oauth2/authorize" and method in ("GET", "HEAD"):
            return self._page(dict(parse_qsl(query)))
        if endpoint == "/oauth2/authorize" and method == "POST":
            return self._grant(dict(parse_qsl(body.decode("utf-8", "replace"))))
        if endpoint == "/oauth2/token" and method == "POST":
            return self._token(dict(parse_qsl(body.decode("utf-8", "replace"))))
        if endpoint == "/logout" and method in ("GET", "HEAD"):
            target = dict(parse_qsl(query)).get("logout_uri", "")
            if not self._console_url(target):
                return _problem(400, "logout_uri is not the console")
            return 302, [("Location", target), ("Cache-Control", "no-store")], b""
        return _problem(404, f"No local sign-in endpoint {method} {endpoint}")

    @staticmethod
    def _console_url(url: str) -> bool:
        parts, console = urlsplit(url), BY_ID["consoleInbox"].path
        return parts.scheme in ("http", "https") and parts.path.endswith(console) and not parts.query

    def _check_request(self, params: dict[str, str]) -> str | None:
        if params.get("response_type") != "code":
            return "response_type must be code"
        if params.get("client_id") != self.client_id():
            return "unknown client_id"
        if not self._console_url(params.get("redirect_uri", "")):
            return "redirect_uri is not the console"
        if params.get("code_challenge_method") != "S256" or len(params.get("code_challenge", "")) < 43:
            return "PKCE with S256 is required"
        return None

    def _page(self, params: dict[str, str]) -> Answer:
        problem = self._check_request(params)
        if problem:
            return _problem(400, problem)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in params.items()
            if name
            in ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")
        )
        users = "".join(
            f'<option value="{html.escape(user.username)}">'
            f"{html.escape(user.name or user.email)} — {html.escape(user.email)} ({html.escape(user.agency_id)}, "
            f"{html.escape(user.role)})</option>"
            for user in sorted(self.users(), key=lambda u: (u.agency_id, u.role, u.email))
            if user.enabled  # Cognito refuses a disabled user's sign-in
        )
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Local sign-in — lapor</title><style>{STYLE}</style></head><body>"
            "<header>lapor — local sign-in</header><main><h1>Sign in to the agency console</h1>"
            '<p class="note">Development only: this page exists on the local stack (<code>make run</code>). '
            "A deployment signs officers in with the Cognito user pool.</p>"
            f'<form method="post" action="authorize">{hidden}'
            f'<label for="user">Officer</label><select id="user" name="username">{users}</select>'
            "<p>The users of the local user pool: an administrator invites more in the console (Pengaturan).</p>"
            '<button type="submit">Sign in</button></form></main></body></html>'
        )
        return 200, PAGE_HEADERS, page.encode()

    def _grant(self, form: dict[str, str]) -> Answer:
        problem = self._check_request(form)
        if problem:
            return _problem(400, problem)
        user = self._user(form.get("username", ""))
        if user is None or not user.enabled:
            return _problem(400, "choose an enabled user of the pool")
        code = secrets.token_urlsafe(24)
        grant = _Grant(
            user.username, form["client_id"], form["redirect_uri"], form["code_challenge"], time.time() + CODE_SECONDS
        )
        with self._lock:
            self._grants[code] = grant
        query = urlencode({"code": code, **({"state": form["state"]} if form.get("state") else {})})
        return 302, [("Location", f"{form['redirect_uri']}?{query}"), ("Cache-Control", "no-store")], b""

    def _token(self, form: dict[str, str]) -> Answer:
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code is good for one exchange only
        if form.get("grant_type") != "authorization_code" or grant is None or grant.expires < time.time():
            return _oauth_error("invalid_grant")
        if form.get("client_id") != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error("invalid_grant")
        if _s256(form.get("code_verifier", "")) != grant.challenge:
            return _oauth_error("invalid_grant")
        now = time.time()
        session = _Session(grant.username, grant.client_id, now, now + self.refresh_seconds)
        refresh = secrets.token_urlsafe(48)
        with self._lock:
            self._sessions[refresh] = session
        return self._tokens(session, refresh)

    def _user(self, username: str) -> PoolUser | None:
        return next((user for user in self.users() if user.username == username), None)

    def _refresh(self, form: dict[str, str]) -> Answer:
        """A new ID token for a refresh token, as Cognito's token endpoint gives (no new refresh token)."""
        with self._lock:
            session = self._sessions.get(form.get("refresh_token", ""))
        if session is None or session.expires < time.time() or form.get("client_id") != session.client_id:
            return _oauth_error("invalid_grant")
        # Cognito refuses the refresh token of a disabled user, and every one issued before a global sign-out.
        user = self._user(session.username)
        ended = self.refused_before(user.sub) if user is not None else None
        if user is None or not user.enabled or (ended is not None and session.issued <= ended):
            return _oauth_error("invalid_grant")
        return self._tokens(session, None)

    def _tokens(self, session: _Session, refresh: str | None) -> Answer:
        user = self._user(session.username)
        if user is None:
            return _oauth_error("invalid_grant")
        # The user's attributes as they are now, as in a Cognito ID token (an agency or role changed since
        # the sign-in shows in the renewed token).
        token = mint_dev_token(
            self.token_secret(), user.agency_id, user.role, self.id_seconds / 3600, sub=user.sub, email=user.email
        )
        body = {"id_token": token, "access_token": token, "token_type": "Bearer", "expires_in": self.id_seconds}
        if refresh is not None:
            body["refresh_token"] = refresh
        return 200, [("Content-Type", "application/json"), ("Cache-Control", "no-store")], json.dumps(body).encode()
