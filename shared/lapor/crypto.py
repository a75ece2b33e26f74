"""Field-level encryption.

Envelope encryption: one KMS data key per report (encryption context ``tracking_id``), AES-256-GCM
over the sealed fields with the Tracking ID as associated data. The stored envelope holds only the
KMS-encrypted data key, so reading it back needs kms:Decrypt, which the public lookup function does
not have. Submitting needs one GenerateDataKey call, nothing more. Every message the public may not read
(private ones on any report, all of a confidential report's) is sealed under the same key; a report with
nothing sealed at submission (anonymous and public) gets its key with its first private message.

Idempotency: the record id, the replay key and the body fingerprint are HMACs of the client's
Idempotency-Key (and body) under keys derived from the deployment's master secret (Secrets Manager),
which no table holds. The stored response (it holds the access code) is sealed under the replay key, so
a copy of the idempotency table is useless without the secret, and no key guess can be tested offline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from lapor.aws import client
from lapor.config import settings
from lapor.errors import ConfigurationError

ENVELOPE_VERSION = 1


def _aesgcm(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def prime() -> None:
    """Load and run AES-GCM and HKDF once, during INIT (SnapStart's snapshot), so that a first request that
    seals, opens or derives a key costs what a later one does. A zero key and a zero nonce: nothing unique
    is drawn and nothing is kept."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    aead = _aesgcm(bytes(32))
    aead.decrypt(bytes(12), aead.encrypt(bytes(12), b"prime", b"prime"), b"prime")
    HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lapor", info=b"prime").derive(bytes(32))


def seal_fields(tracking_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Encrypt `fields` for one report: returns the envelope to store (no plaintext key in it)."""
    return _new_envelope(tracking_id, fields)[1]


def new_data_key(tracking_id: str) -> tuple[bytes, dict[str, Any]]:
    """A data key for a report that has nothing sealed yet (anonymous and public), with the envelope to store
    in the same write that first uses it (one GenerateDataKey call)."""
    return _new_envelope(tracking_id, {})


def reseal_fields(
    tracking_id: str, envelope: dict[str, Any], data_key: bytes, fields: dict[str, Any]
) -> dict[str, Any]:
    """The envelope with its fields replaced by `fields`, sealed under the same data key (no KMS call): what
    is sealed under the key besides (the private messages) stays readable, and the old ciphertext is gone
    from the item once it is stored."""
    return {**envelope, **_sealed_fields(tracking_id, data_key, fields)}


def _sealed_fields(tracking_id: str, data_key: bytes, fields: dict[str, Any]) -> dict[str, Any]:
    nonce = os.urandom(12)
    plaintext = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return {"nonce": nonce, "ct": _aesgcm(data_key).encrypt(nonce, plaintext, tracking_id.encode("ascii"))}


def _new_envelope(tracking_id: str, fields: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    data_key = client("kms").generate_data_key(
        KeyId=settings().field_key_id, KeySpec="AES_256", EncryptionContext={"tracking_id": tracking_id}
    )
    sealed = _sealed_fields(tracking_id, data_key["Plaintext"], fields)
    return data_key["Plaintext"], {"v": ENVELOPE_VERSION, "edk": data_key["CiphertextBlob"], **sealed}


def open_data_key(tracking_id: str, envelope: dict[str, Any]) -> bytes:
    """The report's data key, from KMS (needs kms:Decrypt with the report's encryption context)."""
    plain_key: bytes = client("kms").decrypt(
        CiphertextBlob=envelope["edk"],
        EncryptionContext={"tracking_id": tracking_id},
        KeyId=settings().field_key_id,
    )["Plaintext"]
    return plain_key


def open_fields(tracking_id: str, envelope: dict[str, Any], data_key: bytes | None = None) -> dict[str, Any]:
    """Decrypt an envelope made by `seal_fields` (one KMS call unless the data key is given)."""
    key = data_key if data_key is not None else open_data_key(tracking_id, envelope)
    data = _aesgcm(key).decrypt(envelope["nonce"], envelope["ct"], tracking_id.encode("ascii"))
    result: dict[str, Any] = json.loads(data)
    return result


def report_data_key(item: dict[str, Any]) -> bytes | None:
    """The data key of a stored report (one KMS call), or None when the report has nothing sealed."""
    return open_data_key(item["tracking_id"], item["sealed"]) if item.get("sealed") is not None else None


def open_report(item: dict[str, Any], data_key: bytes | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored report with its sealed messages opened (a timeline entry's as `message`, the rating's as
    `comment`), and its sealed fields opened (title, description, location, reporter): what `lapor.views`
    shows the reporter and the agency. As stored, and no fields, when `data_key` is None."""
    if data_key is None:
        return item, {}
    tracking_id = item["tracking_id"]

    def opened(holder: dict[str, Any], name: str) -> dict[str, Any]:
        sealed = holder.get("sealed")
        return holder if sealed is None else {**holder, name: open_message(data_key, tracking_id, sealed)}

    shown = {**item, "timeline": [opened(entry, "message") for entry in item.get("timeline", [])]}
    if item.get("rating"):
        shown["rating"] = opened(item["rating"], "comment")
    secret = open_fields(tracking_id, item["sealed"], data_key) if item.get("sealed") is not None else {}
    return shown, secret


def sealing_key(item: dict[str, Any], sealing: bool) -> tuple[bytes | None, dict[str, Any] | None]:
    """The report's data key (None when the report has nothing sealed and we are not `sealing`), and the
    envelope to store with the change when the key is new: a report with nothing sealed gets its key with its
    first private message (issue 23), so every private message can be destroyed with the key. Two first
    messages at once: the report's version lets one change through, the other is retried (409)."""
    key = report_data_key(item)
    if key is None and sealing:
        return new_data_key(item["tracking_id"])
    return key, None


def message_sealer(
    item: dict[str, Any], data_key: bytes | None, private: bool
) -> Callable[[str], dict[str, Any]] | None:
    """How a new message of a report is stored: sealed under its data key when the public may not read it (a
    private message, on any report; every message of a confidential report), else as plain text."""
    if not private and not item.get("confidential"):
        return None
    if data_key is None:
        raise ValueError("a message the public may not read needs the report's data key (see sealing_key)")
    tracking_id = item["tracking_id"]
    return lambda text: seal_message(data_key, tracking_id, text)


def seal_message(data_key: bytes, tracking_id: str, text: str) -> dict[str, Any]:
    """Encrypt one message (timeline or rating comment) under the report's data key."""
    nonce = os.urandom(12)
    ciphertext = _aesgcm(data_key).encrypt(nonce, text.encode("utf-8"), f"{tracking_id}:message".encode("ascii"))
    return {"nonce": nonce, "ct": ciphertext}


def open_message(data_key: bytes, tracking_id: str, sealed: dict[str, Any]) -> str:
    """Decrypt a message sealed by `seal_message`."""
    plaintext: bytes = _aesgcm(data_key).decrypt(
        sealed["nonce"], sealed["ct"], f"{tracking_id}:message".encode("ascii")
    )
    return plaintext.decode("utf-8")


_masters: dict[str, bytes] = {}
_derived: dict[tuple[str, str], bytes] = {}
_secret_lock = threading.Lock()


def master_secret() -> bytes:
    """The deployment's master secret: one Secrets Manager call per container, on first use."""
    arn = settings().webhook_secret_arn
    if not arn:
        raise ConfigurationError("WEBHOOK_SECRET_ARN is not set")
    found = _masters.get(arn)
    if found is None:
        with _secret_lock:
            found = _masters.get(arn)
            if found is None:
                found = client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"].encode("utf-8")
                _masters[arn] = found
    return found


def derived_key(purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from the master secret (HKDF-SHA256, `purpose` as info)."""
    master = master_secret()
    cache_key = (hashlib.sha256(master).hexdigest(), purpose)
    found = _derived.get(cache_key)
    if found is None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        found = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lapor", info=purpose.encode("ascii")).derive(master)
        _derived[cache_key] = found
    return found


def keyed_digest(purpose: str, data: bytes) -> bytes:
    """HMAC-SHA256 of `data` under the key derived for `purpose`: nobody without the secret can compute it."""
    return hmac.new(derived_key(purpose), data, hashlib.sha256).digest()


def idempotency_record_id(key: str) -> str:
    """Where a request's replay is stored: a keyed hash of the Idempotency-Key, never the key itself."""
    return keyed_digest("lapor-idempotency-id", key.encode("utf-8")).hex()


def _replay_key(key: str) -> bytes:
    return keyed_digest("lapor-idempotency-replay", key.encode("utf-8"))


def seal_replay(key: str, response: Mapping[str, Any]) -> bytes:
    """Encrypt a response so that only a retry carrying the same Idempotency-Key can read it."""
    nonce = os.urandom(12)
    plaintext = json.dumps(response, ensure_ascii=False).encode("utf-8")
    sealed: bytes = nonce + _aesgcm(_replay_key(key)).encrypt(nonce, plaintext, b"lapor-replay")
    return sealed


def open_replay(key: str, sealed: bytes) -> dict[str, Any]:
    """Decrypt a response sealed by `seal_replay`."""
    plaintext = _aesgcm(_replay_key(key)).decrypt(sealed[:12], sealed[12:], b"lapor-replay")
    result: dict[str, Any] = json.loads(plaintext)
    return result
