"""HTTP on the local stack: requests become API Gateway REST proxy events, responses come back as HTTP."""

from __future__ import annotations

import http.client
import json
import logging
import socket
from typing import Any

import pytest
from lapor_local.stack import LocalStack

from tests.local_stack.support import call


def echoed(stack: LocalStack, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = call(stack.api_url, method, path, **kwargs)
    assert response.status == 200, response.body
    return response.json()


def test_a_request_becomes_the_proxy_event_api_gateway_would_send(stack: LocalStack) -> None:
    headers = {"X-Trace": "abc", "User-Agent": "pytest-agent", "X-Forwarded-For": "203.0.113.7, 10.0.0.1"}

    body = echoed(stack, "GET", "/echo/Siti%20R?lang=en&tag=a&tag=b&empty=", headers=headers)
    event = body["event"]

    assert event["resource"] == "/echo/{name}"
    assert event["path"] == "/echo/Siti%20R"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"name": "Siti R"}
    assert event["queryStringParameters"] == {"lang": "en", "tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"lang": ["en"], "tag": ["a", "b"], "empty": [""]}
    assert event["headers"]["X-Trace"] == "abc", "header names as the client sent them"
    assert event["multiValueHeaders"]["X-Trace"] == ["abc"]
    assert event["stageVariables"] == {"greeting": "halo"}, "the API's Variables, resolved, as its stage passes them"
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == "/echo/{name}"
    assert context["httpMethod"] == "GET"
    assert context["stage"] == "local"
    assert context["identity"] == {"sourceIp": "203.0.113.7", "userAgent": "pytest-agent"}
    assert context["domainName"] == stack.api_url.removeprefix("http://")
    assert len(context["requestId"]) == 36
    assert isinstance(context["requestTimeEpoch"], int)
    assert "authorizer" not in context


def test_the_handler_gets_a_lambda_context_and_its_layer(stack: LocalStack) -> None:
    response = call(stack.api_url, "GET", "/echo/x")

    assert response.json()["context"]["function_name"] == "lapor-local-HttpFunction"
    assert response.json()["context"]["memory"] == 256, "the function's MemorySize overrides Globals"
    assert 0 < response.json()["context"]["remaining"] <= 5000
    assert response.headers["X-Helper"] == "from-layer"
    assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_without_a_query_or_forwarded_for_the_event_has_none_and_the_peer_address(stack: LocalStack) -> None:
    event = echoed(stack, "GET", "/echo/x")["event"]

    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_literal_paths_win_over_parameters(stack: LocalStack) -> None:
    assert echoed(stack, "GET", "/echo/mine")["event"]["resource"] == "/echo/mine"
    assert echoed(stack, "GET", "/echo/other")["event"]["resource"] == "/echo/{name}"


def test_text_bodies_pass_as_text_and_binary_bodies_as_base64(stack: LocalStack) -> None:
    text = echoed(stack, "POST", "/echo/x", body=b'{"judul": "Jalan berlubang"}')["event"]
    binary = echoed(stack, "POST", "/echo/x", body=b"\xff\x00\xfe")["event"]

    assert text["body"] == '{"judul": "Jalan berlubang"}'
    assert text["isBase64Encoded"] is False
    assert binary["body"] == "/wD+"
    assert binary["isBase64Encoded"] is True


def chunked(stack: LocalStack, raw_chunks: bytes) -> tuple[int, dict[str, Any]]:
    """POST /echo/x with a hand-written chunked body (a clients' streaming upload); status and JSON answer."""
    with socket.create_connection(("127.0.0.1", int(stack.api_url.rsplit(":", 1)[1])), timeout=5) as connection:
        connection.sendall(
            b"POST /echo/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/json\r\nConnection: close\r\n\r\n" + raw_chunks
        )
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response.status, json.loads(response.read())


def test_a_chunked_request_body_reaches_the_function_whole_as_api_gateway_passes_it(stack: LocalStack) -> None:
    status, body = chunked(stack, b"6\r\nJalan \r\n9;ext=1\r\nberlubang\r\n0\r\nX-Trailer: t\r\n\r\n")
    assert status == 200 and body["event"]["body"] == "Jalan berlubang"
    status, problem_body = chunked(stack, b"zz\r\nJalan\r\n0\r\n\r\n")
    assert status == 400 and problem_body["detail"] == "The chunked request body is malformed."
    big = b"".join(b"10000\r\n" + b"a" * 0x10000 + b"\r\n" for _ in range(161)) + b"0\r\n\r\n"  # 10 MB + 64 KB
    assert chunked(stack, big)[0] == 413


def test_base64_responses_are_sent_as_bytes(stack: LocalStack) -> None:
    response = call(stack.api_url, "GET", "/binary")

    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.body == bytes(range(256))
    assert response.headers["Content-Length"] == "256"


def test_head_answers_like_get_without_a_body(stack: LocalStack) -> None:
    response = call(stack.api_url, "HEAD", "/binary")

    assert response.status == 200
    assert response.headers["Content-Length"] == "256"
    assert response.body == b""


def problem_of(response: Any) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json()


def test_an_unknown_path_is_a_404_problem(stack: LocalStack) -> None:
    response = call(stack.api_url, "GET", "/x")

    assert response.status == 404
    assert problem_of(response) == {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "detail": "No route for GET /x",
    }


def test_a_known_path_with_another_method_is_a_405_problem(stack: LocalStack) -> None:
    response = call(stack.api_url, "PUT", "/echo/x")

    assert response.status == 405
    assert problem_of(response)["status"] == 405
    assert response.headers["Allow"] == "GET, POST"


def test_a_body_over_api_gateways_limit_is_a_413_problem(stack: LocalStack) -> None:
    response = call(stack.api_url, "POST", "/echo/x", body=b"x" * (10 * 1024 * 1024 + 1))

    assert response.status == 413
    assert problem_of(response)["status"] == 413


def test_a_failing_handler_is_a_502_problem_with_the_traceback_on_stderr(
    stack: LocalStack, capfd: pytest.CaptureFixture[str]
) -> None:
    response = call(stack.api_url, "GET", "/boom")

    assert response.status == 502
    assert problem_of(response)["title"] == "Bad gateway"
    assert "RuntimeError: boom" in capfd.readouterr().err
    assert "boom" not in response.body.decode(), "the error itself stays out of the response"


def test_a_malformed_proxy_response_is_a_502(stack: LocalStack) -> None:
    stack.functions["HttpFunction"]._handler = lambda event, context: {"body": "no status"}

    assert call(stack.api_url, "GET", "/echo/x").status == 502


def test_keep_alive_connections_serve_several_requests(stack: LocalStack) -> None:
    connection = http.client.HTTPConnection(stack.api_url.removeprefix("http://"), timeout=5)
    try:
        statuses = []
        for path in ("/echo/a", "/nope", "/echo/b"):
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()

    assert statuses == [200, 404, 200]


def test_each_request_is_logged_by_route_without_personal_data(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="lapor.local")

    call(stack.api_url, "GET", "/echo/Siti?phone=0812", headers={"X-Forwarded-For": "203.0.113.7"})
    call(stack.api_url, "GET", "/nope")

    messages = [record.getMessage() for record in caplog.records if record.name == "lapor.local"]
    assert [message.rsplit(" ", 2)[0] for message in messages] == ["GET /echo/{name} 200", "GET (no route) 404"]
    assert not any(secret in json.dumps(messages) for secret in ("Siti", "0812", "203.0.113.7"))


def test_bodies_from_the_minimum_compression_size_on_go_out_gzipped_to_clients_that_take_it() -> None:
    """API Gateway's MinimumCompressionSize, as the local gateway applies it."""
    import gzip

    from lapor_local.api import Route, accepts_gzip, compressed

    route = Route(function="F", api="Api", method="GET", path="/x", minimum_compression=1024)
    big, small = b"a" * 1024, b"a" * 1023
    headers = [("Content-Type", "text/html")]
    takes = [("Accept-Encoding", "br, gzip;q=0.8")]
    (*_, encoding), body = compressed(route, takes, headers, big)
    assert encoding == ("Content-Encoding", "gzip") and gzip.decompress(body) == big
    assert compressed(route, takes, headers, small) == (headers, small)
    assert compressed(route, [("Accept-Encoding", "gzip;q=0")], headers, big) == (headers, big)
    assert compressed(route, [], headers, big) == (headers, big)
    encoded = [*headers, ("Content-Encoding", "br")]
    assert compressed(route, takes, encoded, big) == (encoded, big)
    unset = Route(function="F", api="Api", method="GET", path="/x")
    assert compressed(unset, takes, headers, big) == (headers, big)
    assert accepts_gzip([("accept-encoding", "*")]) and not accepts_gzip([("Accept-Encoding", "identity")])
