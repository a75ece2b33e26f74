"""Bearer tokens for the agency API on the local stack, standing in for Cognito's ID tokens.

`lapor dev-token` mints them and the local stack's authorizer accepts them and nothing else. Both sides share
one HS256 secret: `LAPOR_DEV_TOKEN_SECRET` when set, else a random one kept in `<root>/.lapor/` (never
committed: `.lapor/` is git-ignored).
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from lapor.statuses import ROLES

ISSUER = "lapor-local"
ALGORITHM = "HS256"
SECRET_ENV = "LAPOR_DEV_TOKEN_SECRET"  # noqa: S105 - the name of a variable, not a secret


class InvalidDevToken(Exception):
    """The token is missing, malformed, tampered with, expired or not from `lapor dev-token`."""


def secret_path(root: Path) -> Path:
    return root / ".lapor" / "dev-token-secret"


def dev_token_secret(root: Path) -> str:
    """The shared secret, created once (mode 600) when the environment does not provide one."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env
    path = secret_path(root)
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (the stack or `lapor dev-token`) won the race
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(secret + "\n")
    return secret


def mint_dev_token(
    secret: str,
    agency_id: str,
    role: str = "officer",
    hours: float = 1.0,
    *,
    sub: str | None = None,
    email: str | None = None,
) -> str:
    """A JWT with the claims a Cognito ID token of an agency user would carry (one hour, as the pool's
    IdTokenValidity, unless told otherwise)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    now = int(time.time())
    claims = {
        "sub": sub or str(uuid.uuid4()),
        "email": email or f"{role}@{agency_id}.lapor.local",
        "custom:agency_id": agency_id,
        "custom:role": role,
        "token_use": "id",
        "iss": ISSUER,
        "iat": now,
        "exp": now + int(hours * 3600),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_dev_token(secret: str, token: str) -> dict[str, Any]:
    """The token's claims if it was minted with `secret` and has not expired."""
    try:
        return jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidDevToken(str(error)) from error
