"""The stand-in Graph API refuses what the Cloud API refuses, in its error shape, and the layer's client reads
those answers as Meta means them: a refusal for good, or a failure worth retrying."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lapor_local.whatsapp import GraphApiStandIn, check_message

TOKEN = "local-access-token"
PHONE = "100000000000001"


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[GraphApiStandIn]:
    stand_in = GraphApiStandIn(tmp_path, lambda: TOKEN, PHONE).start()
    yield stand_in
    stand_in.stop()


def post(graph: GraphApiStandIn, path: str, body: Any, token: str = TOKEN) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{graph.url}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


TEXT = {"messaging_product": "whatsapp", "to": "6281234567890", "type": "text", "text": {"body": "Halo"}}


def test_a_well_formed_message_is_written_to_the_outbox_and_answered_with_its_wamid(graph: GraphApiStandIn) -> None:
    status, answer = post(graph, f"/v21.0/{PHONE}/messages", TEXT)
    assert status == 200 and answer["messages"][0]["id"].startswith("wamid.")
    assert answer["contacts"] == [{"input": "6281234567890", "wa_id": "6281234567890"}]
    (sent,) = graph.sent()
    assert sent["to"] == "6281234567890" and sent["text"]["body"] == "Halo"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**TEXT, "messaging_product": "sms"}, 100),
        ({k: v for k, v in TEXT.items() if k != "messaging_product"}, 100),
        ({**TEXT, "to": "not a number"}, 100),
        ({**TEXT, "type": "fax"}, 100),
        ({**TEXT, "text": {"body": ""}}, 100),
        ({**TEXT, "text": {"body": "x" * 4097}}, 100),
        ({**TEXT, "type": "template", "template": {"name": "lapor_status_update"}}, 100),
    ],
)
def test_malformed_messages_are_refused_as_the_cloud_api_does(
    graph: GraphApiStandIn, body: dict[str, Any], code: int
) -> None:
    status, answer = post(graph, f"/v21.0/{PHONE}/messages", body)
    assert status == 400 and answer["error"]["code"] == code
    assert set(answer["error"]) >= {"message", "type", "code", "fbtrace_id"}
    assert graph.sent() == []
    assert check_message(body) is not None


def test_a_wrong_token_is_401_with_oauth_code_190(graph: GraphApiStandIn) -> None:
    status, answer = post(graph, f"/v21.0/{PHONE}/messages", TEXT, token="stolen")
    assert status == 401 and answer["error"] == {**answer["error"], "type": "OAuthException", "code": 190}


def test_media_is_looked_up_then_downloaded_with_the_token(graph: GraphApiStandIn) -> None:
    media_id = graph.add_media("image/jpeg", b"\xff\xd8photo")
    request = urllib.request.Request(f"{graph.url}/v21.0/{media_id}", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        media = json.loads(response.read())
    assert media["mime_type"] == "image/jpeg" and media["file_size"] == 7
    download = urllib.request.Request(media["url"], headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(download, timeout=10) as response:
        assert response.read() == b"\xff\xd8photo"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{graph.url}/v21.0/{media_id}", timeout=10)  # no token


@pytest.fixture
def client(graph: GraphApiStandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The layer's Graph client pointed at the stand-in, its token given as Secrets Manager would."""
    from lapor import channels, config, crypto

    monkeypatch.setenv("WHATSAPP_GRAPH_URL", graph.url)
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", PHONE)
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN_ARN", "arn:local:token")
    config.settings.cache_clear()
    monkeypatch.setitem(crypto._masters, "arn:local:token", TOKEN.encode())
    yield channels
    config.settings.cache_clear()


def test_the_client_sends_and_reads_the_new_wamid(client: Any, graph: GraphApiStandIn) -> None:
    from lapor.whatsapp import template_message, text_message

    assert client.send_whatsapp(text_message("6281234567890", "Halo")).startswith("wamid.")
    client.send_whatsapp(template_message("6281234567890", "lapor_status_update", "id", ["LPR-A", "ditanggapi"]))
    assert [m["type"] for m in graph.sent()] == ["text", "template"]


def test_a_malformed_message_is_refused_for_good_a_bad_token_is_retried(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lapor import crypto

    with pytest.raises(client.DeliveryRejected) as refused:
        client.send_whatsapp({"messaging_product": "whatsapp", "to": "x", "type": "text", "text": {"body": "a"}})
    assert refused.value.reason == "whatsapp_100"
    monkeypatch.setitem(crypto._masters, "arn:local:token", b"expired")
    with pytest.raises(client.DeliveryFailed) as expired:  # until the operator replaces it (DLQ alarm)
        client.send_whatsapp({"messaging_product": "whatsapp", "to": "628123", "type": "text", "text": {"body": "a"}})
    assert not isinstance(expired.value, client.DeliveryRejected)


def test_an_unreachable_api_is_a_failure_to_retry(client: Any, graph: GraphApiStandIn) -> None:
    graph.stop()
    with pytest.raises(client.DeliveryFailed) as failed:
        client.send_whatsapp({"messaging_product": "whatsapp", "to": "628123", "type": "text", "text": {"body": "a"}})
    assert not isinstance(failed.value, client.DeliveryRejected)


def test_media_comes_back_with_its_type(client: Any, graph: GraphApiStandIn) -> None:
    media_id = graph.add_media("image/png", b"\x89PNG...")
    assert client.download_whatsapp_media(media_id) == ("image/png", b"\x89PNG...")
    with pytest.raises(client.DeliveryFailed):
        client.download_whatsapp_media("999")
