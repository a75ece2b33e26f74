"""Tracking IDs and access codes.

Tracking ID: ``LPR-`` and 12 Crockford base32 characters in three groups of four; 11 random characters
(55 bits from `secrets`) and a Luhn mod 32 check character, which catches every single mistyped
character and most swapped neighbours. Access code: 100 random bits as four groups of five characters,
kept only as a hash. Both accept lower case, missing dashes and the letters people confuse (I, L, O).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from lapor.errors import ReportNotFound

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford decoding: letters that look like digits read as those digits.
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_PREFIX = "LPR"
_RANDOM_CHARS = 11
_ACCESS_CODE_CHARS = 20


def _luhn_check(payload: str) -> str:
    """Luhn mod N (N = 32) check character for `payload`."""
    n = len(ALPHABET)
    factor, total = 2, 0
    for ch in reversed(payload):
        addend = factor * _VALUE[ch]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def _clean(text: str) -> str:
    return text.strip().upper().replace("-", "").replace(" ", "")


def new_tracking_id() -> str:
    """A fresh, unguessable Tracking ID in its canonical form."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(_RANDOM_CHARS))
    body = payload + _luhn_check(payload)
    return f"{_PREFIX}-{body[0:4]}-{body[4:8]}-{body[8:12]}"


def tracking_url(base_url: str, tracking_id: str) -> str:
    """A report's public page: what receipts, QR codes, emails and webhooks link (Tracking ID in canonical form)."""
    return f"{base_url}/track/{tracking_id}"


def parse_tracking_id(text: str) -> str:
    """The canonical form of a Tracking ID typed by a person.

    Raises `ReportNotFound` for anything malformed, so that a malformed ID cannot be told apart from
    an unknown one.
    """
    if not isinstance(text, str) or len(text) > 40:
        raise ReportNotFound()
    cleaned = _clean(text)
    if cleaned.startswith(_PREFIX):
        cleaned = cleaned[len(_PREFIX) :]
    cleaned = cleaned.translate(_READ_AS)
    if len(cleaned) != _RANDOM_CHARS + 1 or any(ch not in _VALUE for ch in cleaned):
        raise ReportNotFound()
    if _luhn_check(cleaned[:-1]) != cleaned[-1]:
        raise ReportNotFound()
    return f"{_PREFIX}-{cleaned[0:4]}-{cleaned[4:8]}-{cleaned[8:12]}"


def new_access_code() -> str:
    """A fresh access code (100 bits), formatted for a person to copy, e.g. ``Q7M2K-9XDAF-3HT8P-WZ4NC``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(_ACCESS_CODE_CHARS))
    return "-".join(raw[i : i + 5] for i in range(0, _ACCESS_CODE_CHARS, 5))


def hash_access_code(tracking_id: str, code: str) -> str:
    """The stored form of an access code: SHA-256 over the normalised code, salted by the Tracking ID.

    The code carries 100 random bits, so a fast hash is enough: there is nothing to brute-force.
    """
    normalised = _clean(code).translate(_READ_AS)
    return hashlib.sha256(f"lapor-access-code:{tracking_id}:{normalised}".encode()).hexdigest()


def access_code_matches(tracking_id: str, code: str | None, stored_hash: str | None) -> bool:
    """Whether `code` is the access code of the report; constant time whatever the input."""
    if not code or not stored_hash or len(code) > 64:
        # Still spend the same work so timing does not tell a missing code from a wrong one.
        hmac.compare_digest(hash_access_code(tracking_id, "-"), "0" * 64)
        return False
    return hmac.compare_digest(hash_access_code(tracking_id, code), stored_hash)
