"""A guessable Idempotency-Key never gives away an access code, online or from a copy of the table.

The attacker knows the code (it is public) and the public view of a report, but not the deployment's
master secret. Before keys were keyed with that secret, a report submitted with the key "42" handed its
first receipt (access code included) to anyone who sent the same body with "42", and a copy of the
idempotency table let anyone test key guesses offline.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tests.events import valid_submission
from tests.integration.conftest import Api, Aws

# A key shaped like a random UUID but counted up: valid in form, guessable in fact (a careless client).
COUNTER_KEY = "00000000-0000-4000-8000-000000000042"


def likely_keys() -> list[str]:
    """The 1,000 keys an attacker tries first: counters, small numbers, words, UUID-shaped counters."""
    keys = [str(i) for i in range(500)]
    keys += [f"key-{i}" for i in range(100)]
    keys += [f"00000000-0000-4000-8000-{i:012d}" for i in range(100)]
    keys += [str(uuid.UUID(int=i)) for i in range(100)]
    keys += [c * n for c in "0aAxz-_" for n in (2, 8, 16, 22, 32)]
    keys += ["test", "retry", "idempotency-key", "Idempotency-Key", "abc", "key", "uuid", "null", "undefined"]
    keys += [f"request-{i}" for i in range(1000 - len(keys))]
    assert len(keys) == len(set(keys)) == 1000 and "42" in keys and COUNTER_KEY in keys
    return keys


def rebuilt_body(api: Api, tracking_id: str, channel: str) -> dict[str, Any]:
    """What anyone can rebuild from the public view of an anonymous, public report."""
    view = api.public(tracking_id)
    body: dict[str, Any] = {
        "kind": view["kind"],
        "title": view["title"],
        "description": view["description"],
        "category": view["category"],
        "agency_id": view["agency"]["id"],
        "anonymous": True,
        "confidential": False,
        "channel": channel,  # not public: the attacker is given it (the worst case)
    }
    if view.get("location"):
        body["location"] = view["location"]
    return body


def submit(api: Api, body: dict[str, Any], key: str) -> tuple[int, Any]:
    status, reply, _ = api.call("submit_report", "POST", "/reports", body=body, headers={"Idempotency-Key": key})
    return status, reply


def test_guessed_keys_get_no_receipt_and_no_oracle_online(api: Api, aws: Aws) -> None:
    body = valid_submission(anonymous=True, reporter=None)
    # A careless client's key is refused before anything is stored: it would be guessed.
    status, problem = submit(api, body, "42")
    assert status == 400, problem
    assert problem["errors"] == [
        {
            "loc": ["header", "Idempotency-Key"],
            "msg": "must be a random version-4 UUID or 22 to 255 random base64url characters "
            "(a key made by hand, such as one symbol repeated or the nil UUID's digits, is refused)",
        }
    ]
    assert not [i for i in aws.raw_items() if i["sk"]["S"] == "REPORT"]
    # The citizen page's kind of key works.
    status, receipt = submit(api, body, str(uuid.uuid4()))
    assert status == 201, receipt

    # The attacker rebuilds the body from the public view and tries the likely keys.
    attack = rebuilt_body(api, receipt["tracking_id"], body["channel"])
    # The public view rounds the location to the area; the worst case is an attacker who knows the exact
    # point anyway (they stood there): the body is then rebuilt exactly.
    assert attack["location"] != body["location"]
    attack["location"] = body["location"]
    assert attack == {k: v for k, v in body.items() if k != "reporter"}
    statuses: dict[int, int] = {}
    for key in likely_keys():
        status, reply = submit(api, attack, key)
        statuses[status] = statuses.get(status, 0) + 1
        text = json.dumps(reply)
        assert receipt["access_code"] not in text and receipt["tracking_id"] not in text
    # Guessable keys are refused as such (400), so nothing tells a used key from an unused one (no 422);
    # the few keys of a valid form merely create the attacker's own new reports.
    assert set(statuses) <= {400, 201} and statuses[400] >= 850, statuses


def test_a_copy_of_the_idempotency_table_yields_nothing_offline(api: Api, aws: Aws) -> None:
    status, receipt = submit(api, valid_submission(anonymous=True, reporter=None), COUNTER_KEY)
    assert status == 201, receipt
    records = [
        {k: next(iter(v.values())) for k, v in item.items()}
        for item in aws.raw_items(aws.idempotency_table)
        if not item["pk"]["S"].startswith("delivery:")
    ]
    assert len(records) == 1
    (record,) = records
    sealed = bytes(record["sealed_response"])

    def unkeyed_replay_key(key: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lapor-idempotency", info=b"replay").derive(
            key.encode()
        )

    def opens(replay_key: bytes) -> bool:
        try:
            AESGCM(replay_key).decrypt(sealed[:12], sealed[12:], b"lapor-replay")
        except InvalidTag:
            return False
        return True

    found = []
    for key in likely_keys():
        # Every derivation that needs no secret: the record id and the replay key from the key alone.
        ids = {
            hashlib.sha256(f"lapor-idempotency-id:{key}".encode()).hexdigest(),
            hashlib.sha256(key.encode()).hexdigest(),
        }
        if record["pk"] in ids or opens(unkeyed_replay_key(key)) or opens(hashlib.sha256(key.encode()).digest()):
            found.append(key)
    assert found == []

    # With the deployment's secret (which the table does not hold) the same search finds the key: the secret
    # is what protects the record, and the search above would have seen a hit.
    from lapor.crypto import _replay_key, idempotency_record_id, master_secret

    assert [k for k in likely_keys() if idempotency_record_id(k) == record["pk"]] == [COUNTER_KEY]
    assert opens(_replay_key(COUNTER_KEY))
    stored = json.dumps(aws.raw_items() + aws.raw_items(aws.idempotency_table), default=str)
    assert master_secret().decode() not in stored and receipt["access_code"] not in stored


def test_a_replay_needs_the_same_key_and_the_same_body(api: Api, aws: Aws) -> None:
    body, key = valid_submission(), str(uuid.uuid4())
    status, first = submit(api, body, key)
    assert status == 201
    assert submit(api, body, key) == (201, first)
    # Another key with the same body is another submission, with its own code.
    status, other = submit(api, body, str(uuid.uuid4()))
    assert status == 201 and other["tracking_id"] != first["tracking_id"]
    assert other["access_code"] != first["access_code"]
    # The same key with another body is refused and shows nothing of the first receipt.
    status, problem = submit(api, valid_submission(title="Judul yang berbeda sama sekali"), key)
    assert status == 422 and first["access_code"] not in json.dumps(problem)
