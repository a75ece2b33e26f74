"""The Cloud API's rules, alone: the webhook signature, the verification handshake, the payload's messages."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from lapor.whatsapp import messages, sign, signature_valid, statuses, verification_challenge

from tests import whatsapp

SECRET = b"app-secret-of-the-meta-app"
BODY = whatsapp.raw(whatsapp.text("Halo"))


def header(body: bytes, secret: bytes = SECRET) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def test_the_right_signature_over_the_raw_body_is_accepted() -> None:
    assert signature_valid(SECRET, BODY, header(BODY))
    assert sign(SECRET, BODY) == header(BODY)


@pytest.mark.parametrize(
    "value",
    [
        None,  # missing
        "",
        header(BODY, b"another-secret"),  # wrong secret
        header(BODY).replace("sha256=", "sha1="),  # another algorithm's prefix
        header(BODY).removeprefix("sha256="),  # no prefix at all
        "sha256=" + "z" * 64,  # not hex
        "sha256=",
    ],
    # BODY is new on each run: named ids keep xdist's workers collecting the same tests.
    ids=["missing", "empty", "wrong-secret", "sha1-prefix", "no-prefix", "not-hex", "prefix-only"],
)
def test_a_missing_or_wrong_signature_is_refused(value: str | None) -> None:
    assert not signature_valid(SECRET, BODY, value)


def test_a_body_changed_by_one_byte_no_longer_matches_its_signature() -> None:
    changed = bytearray(BODY)
    changed[-3] ^= 0x01
    assert not signature_valid(SECRET, bytes(changed), header(BODY))


def test_the_signature_covers_the_bytes_not_the_json_value() -> None:
    # The same JSON with other spacing is another body: Meta signs what it sends, so must we check.
    spaced = BODY.replace(b":", b": ")
    assert not signature_valid(SECRET, spaced, header(BODY))


TOKEN = b"verify-token-chosen-by-the-operator"


def test_the_handshake_echoes_the_challenge_for_our_token() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": TOKEN.decode(), "hub.challenge": "1158201444"}
    assert verification_challenge(query, TOKEN) == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": TOKEN.decode(), "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": TOKEN.decode()},
        {"hub.verify_token": TOKEN.decode(), "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": TOKEN.decode(), "hub.challenge": "x" * 201},
    ],
)
def test_the_handshake_refuses_anything_else(query: dict[str, str]) -> None:
    assert verification_challenge(query, TOKEN) is None


def test_text_image_and_location_messages_are_read_as_meta_documents_them() -> None:
    (text,) = messages(whatsapp.text("Jalan rusak", wamid="wamid.ABC"))
    assert (text.wamid, text.sender, text.kind, text.text) == ("wamid.ABC", whatsapp.CITIZEN, "text", "Jalan rusak")
    (image,) = messages(whatsapp.image("1234567890", caption="lubang"))
    assert (image.kind, image.image_id, image.text) == ("image", "1234567890", "lubang")
    (place,) = messages(whatsapp.location(-0.95, 114.89, name="Pasar", address="Jl. Ahmad Yani"))
    assert (place.kind, place.lat, place.lon, place.address) == ("location", -0.95, 114.89, "Pasar, Jl. Ahmad Yani")


def test_statuses_are_read_and_carry_no_message() -> None:
    payload = whatsapp.status("delivered")
    assert list(statuses(payload)) == ["delivered"]
    assert list(messages(payload)) == []


@pytest.mark.parametrize(
    "payload",
    [None, [], {"object": "page", "entry": []}, {"object": "whatsapp_business_account", "entry": [None, 3]}],
)
def test_payloads_of_other_shapes_hold_no_message(payload: object) -> None:
    assert list(messages(payload)) == [] and list(statuses(payload)) == []
