"""API Gateway (REST, v1 proxy integration) in front of the local functions.

Routes come from the functions' `Type: Api` events on the template's API: a method and a path of literal
segments and `{parameter}` segments, as the template writes them (a greedy `{proxy+}`, `ANY` or SAM's
implicit API stop the start with a TemplateError). Each request becomes the proxy event that API Gateway
would send, and the function's proxy response becomes the HTTP response. Cognito authorizers are stood in
for by tokens from `lapor dev-token`.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import logging
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from lapor_local.devtoken import InvalidDevToken, verify_dev_token
from lapor_local.runtime import ACCOUNT_ID
from lapor_local.template import TemplateError, resource_properties

log = logging.getLogger("lapor.local")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's own payload limit
STAGE = "local"

Invoke = Callable[[str, dict[str, Any]], Any]
# Pages only the local stack has (its stand-in for Cognito's sign-in): (method, path, query, body) -> answer.
LocalPages = Callable[[str, str, str, bytes], tuple[int, list[tuple[str, str]], bytes] | None]


@dataclass(frozen=True)
class Route:
    """One `Type: Api` event: which function answers `method` on the path template `path`."""

    function: str
    api: str
    method: str
    path: str
    token_header: str | None = None  # the header a Cognito authorizer reads; None for a public route
    stage_variables: tuple[tuple[str, str], ...] = ()  # the stage's `Variables`, resolved, as the event has them
    minimum_compression: int | None = None  # the API's MinimumCompressionSize: gzip from this many bytes on

    @property
    def segments(self) -> tuple[str, ...]:
        return _segments(self.path)

    def match(self, segments: tuple[str, ...]) -> dict[str, str] | None:
        """The URL-decoded path parameters when `segments` (still percent-encoded) fit this template."""
        parameters: dict[str, str] = {}
        template = self.segments
        if len(segments) != len(template):
            return None
        for part, segment in zip(template, segments, strict=True):
            if not segment:
                return None
            if part.startswith("{"):
                parameters[part[1:-1]] = unquote(segment)
            elif unquote(segment) != part:
                return None
        return parameters

    @property
    def specificity(self) -> tuple[int, ...]:
        """Smaller is more specific: literal segments beat parameters."""
        return tuple(1 if part.startswith("{") else 0 for part in self.segments)

    def allows(self, method: str) -> bool:
        return self.method == method or (method == "HEAD" and self.method == "GET")


def _segments(path: str) -> tuple[str, ...]:
    stripped = path.strip("/")
    return tuple(stripped.split("/")) if stripped else ()


def check_api_event(function_id: str, event_name: str, event_props: Mapping[str, Any]) -> None:
    """Refuse what the local stack does not route: a greedy path, `ANY`, SAM's implicit API."""
    method, path = str(event_props["Method"]).upper(), event_props["Path"]
    if "RestApiId" not in event_props or "+}" in path or method == "ANY":
        raise TemplateError(
            f"{function_id} {event_name}: the local stack serves one method on a path of literal and "
            f"{{parameter}} segments of an API in the template (RestApiId), not {method} {path}"
            + ("" if "RestApiId" in event_props else " on SAM's implicit API")
        )


def routes_from_template(
    template: Mapping[str, Any],
    functions: Mapping[str, Mapping[str, Any]],
    stage_variables: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Route]:
    """Every `Type: Api` event of the given functions (logical id → merged, resolved properties), with the
    resolved stage variables of each API (its logical id → `Variables`)."""
    routes: dict[tuple[str, str], Route] = {}
    for function_id, properties in functions.items():
        for event in (properties.get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            event_props = event["Properties"]
            api_id = event_props["RestApiId"]  # resolved: the logical id of the template's API
            route = Route(
                function=function_id,
                api=api_id,
                method=str(event_props["Method"]).upper(),
                path=event_props["Path"],
                token_header=_token_header(template, api_id, event_props.get("Auth") or {}),
                stage_variables=tuple(sorted(((stage_variables or {}).get(api_id) or {}).items())),
                minimum_compression=_minimum_compression(template, api_id),
            )
            key = (route.method, "/" + "/".join(route.segments))
            if key in routes:
                raise TemplateError(
                    f"{route.method} {route.path} is served by both {routes[key].function} and {function_id}"
                )
            routes[key] = route
    return list(routes.values())


def _minimum_compression(template: Mapping[str, Any], api_id: str) -> int | None:
    size = resource_properties(template, api_id).get("MinimumCompressionSize")
    return None if size is None else int(size)


def accepts_gzip(headers: list[tuple[str, str]]) -> bool:
    """Whether Accept-Encoding names gzip (or *) without q=0."""
    for name, value in headers:
        if name.lower() != "accept-encoding":
            continue
        for part in value.split(","):
            coding, _, params = part.strip().partition(";")
            refused = params.replace(" ", "").lower() in ("q=0", "q=0.0", "q=0.00", "q=0.000")
            if coding.strip().lower() in ("gzip", "*") and not refused:
                return True
    return False


def compressed(
    route: Route, request_headers: list[tuple[str, str]], headers: list[tuple[str, str]], data: bytes
) -> tuple[list[tuple[str, str]], bytes]:
    """The response as API Gateway sends it with MinimumCompressionSize: gzip when the client takes it and the
    body is at least that large (and not encoded already)."""
    if route.minimum_compression is None or len(data) < route.minimum_compression:
        return headers, data
    if not accepts_gzip(request_headers) or any(name.lower() == "content-encoding" for name, _ in headers):
        return headers, data
    return [*headers, ("Content-Encoding", "gzip")], gzip.compress(data, mtime=0)


def _token_header(template: Mapping[str, Any], api_id: str, event_auth: Mapping[str, Any]) -> str | None:
    """The header that the Cognito authorizer guarding a route reads, or None for a public route."""
    name = event_auth.get("Authorizer")
    if name is None:
        return None
    api_auth = resource_properties(template, api_id).get("Auth") or {}
    definition = (api_auth.get("Authorizers") or {}).get(name)
    if definition is None:
        raise TemplateError(f"authorizer {name!r} is not defined on {api_id}")
    if "UserPoolArn" not in definition:
        raise TemplateError(f"authorizer {name!r}: the local stack supports only Cognito (UserPoolArn) authorizers")
    return str((definition.get("Identity") or {}).get("Header", "Authorization"))


def problem(status: int, title: str, detail: str) -> tuple[int, dict[str, str], bytes]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return status, {"Content-Type": "application/problem+json"}, json.dumps(body).encode()


_CLAIM_DATES = ("exp", "iat")


def cognito_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as a REST API's Cognito authorizer passes them on: all strings, exp/iat as dates."""
    converted: dict[str, str] = {}
    for name, value in claims.items():
        if name in _CLAIM_DATES and isinstance(value, int | float):
            converted[name] = datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        elif isinstance(value, bool):
            converted[name] = "true" if value else "false"
        else:
            converted[name] = str(value)
    return converted


def proxy_event(
    *,
    route: Route,
    method: str,
    raw_path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    client_ip: str,
    domain_name: str,
    path_parameters: Mapping[str, str],
    claims: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The REST API proxy event that API Gateway sends for this request."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    query_single: dict[str, str] = {}
    query_multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        query_single[name] = value
        query_multi.setdefault(name, []).append(value)
    forwarded = next((value for name, value in headers if name.lower() == "x-forwarded-for"), None)
    source_ip = forwarded.split(",")[0].strip() if forwarded else client_ip
    user_agent = next((value for name, value in headers if name.lower() == "user-agent"), None)
    now = datetime.now(UTC)
    if not body:
        event_body, is_base64 = None, False
    else:
        try:
            event_body, is_base64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            event_body, is_base64 = base64.b64encode(body).decode("ascii"), True
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": route.api,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".")[0],
        "extendedRequestId": str(uuid.uuid4()),
        "httpMethod": method,
        "identity": {"sourceIp": source_ip, "userAgent": user_agent},
        "path": raw_path,
        "protocol": "HTTP/1.1",
        "requestId": str(uuid.uuid4()),
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "resourcePath": route.path,
        "stage": STAGE,
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": dict(claims)}
    return {
        "resource": route.path,
        "path": raw_path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": query_single or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": dict(route.stage_variables) or None,
        "requestContext": request_context,
        "body": event_body,
        "isBase64Encoded": is_base64,
    }


def proxy_response(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body from a function's proxy response; ValueError when it is malformed."""
    if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
        raise ValueError("Malformed Lambda proxy response: no integer statusCode")
    headers: list[tuple[str, str]] = []
    multi = response.get("multiValueHeaders") or {}
    multi_names = {name.lower() for name in multi}
    for name, value in (response.get("headers") or {}).items():
        if name.lower() not in multi_names:
            headers.append((name, str(value)))
    for name, values in multi.items():
        headers.extend((name, str(value)) for value in values)
    headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    body = response.get("body") or ""
    if not isinstance(body, str):
        raise ValueError("Malformed Lambda proxy response: body is not a string")
    data = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode("utf-8")
    return response["statusCode"], headers, data


class ApiGateway:
    """Routing, authorization and the proxy integration, independent of the HTTP server."""

    def __init__(
        self,
        routes: list[Route],
        invoke: Invoke,
        token_secret: Callable[[], str],
        local_pages: LocalPages | None = None,
    ) -> None:
        self.routes = routes
        self.invoke = invoke
        self.token_secret = token_secret
        self.local_pages = local_pages

    def find(self, method: str, raw_path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        """The most specific route for the request, its path parameters, and the methods the path allows."""
        segments = _segments(raw_path)
        matching = [(route, params) for route in self.routes if (params := route.match(segments)) is not None]
        allowed = [(route, params) for route, params in matching if route.allows(method)]
        if not allowed:
            return None, {}, sorted({route.method for route, _ in matching})
        route, params = min(allowed, key=lambda pair: pair[0].specificity)
        return route, params, []

    def authorize(self, headers: list[tuple[str, str]], header: str) -> dict[str, str] | None:
        """The token's claims for `<header>: Bearer <dev token>`, None when absent or not valid."""
        value = next((value for name, value in headers if name.lower() == header.lower()), "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return cognito_claims(verify_dev_token(self.token_secret(), token.strip()))
        except InvalidDevToken:
            return None

    def handle(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        client_ip: str,
        domain_name: str,
    ) -> tuple[Route | None, int, list[tuple[str, str]], bytes]:
        """Answer one request: (route or None, status, headers, body)."""
        parts = urlsplit(target)
        raw_path = parts.path or "/"
        local = self.local_pages(method, raw_path, parts.query, body) if self.local_pages else None
        if local is not None:
            return None, *local
        route, params, methods = self.find(method, raw_path)
        if route is None:
            if methods:
                status, response_headers, data = problem(
                    405, "Method not allowed", f"{method} is not allowed here; allowed: {', '.join(methods)}"
                )
                return None, status, [*response_headers.items(), ("Allow", ", ".join(methods))], data
            status, response_headers, data = problem(404, "Not found", f"No route for {method} {raw_path}")
            return None, status, list(response_headers.items()), data
        claims = None
        if route.token_header:
            claims = self.authorize(headers, route.token_header)
            if claims is None:
                status, response_headers, data = problem(401, "Unauthorized", "A valid bearer token is required.")
                return route, status, list(response_headers.items()), data
        event = proxy_event(
            route=route,
            method="GET" if method == "HEAD" and route.method == "GET" else method,
            raw_path=raw_path,
            query=parts.query,
            headers=headers,
            body=body,
            client_ip=client_ip,
            domain_name=domain_name,
            path_parameters=params,
            claims=claims,
        )
        try:
            status, response_headers, data = proxy_response(self.invoke(route.function, event))
            return route, status, *compressed(route, headers, response_headers, data)
        except Exception:
            traceback.print_exc()
            status, response_headers, data = problem(
                502, "Bad gateway", f"{route.function} failed; its traceback is on the local stack's stderr."
            )
            return route, status, list(response_headers.items()), data


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LocalHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the standard line carries the client's address and the query string."""

    def _read_body(self) -> bytes | None:
        """The request body, with a Content-Length or chunked (as API Gateway takes both), or None when it is
        over API Gateway's limit (it is read and dropped). ValueError when the chunks are malformed."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length <= MAX_BODY_BYTES:
            return self.rfile.read(length)
        remaining = length
        while remaining > 0:
            read = self.rfile.read(min(remaining, 1 << 16))
            if not read:
                break
            remaining -= len(read)
        return None

    def _read_chunked(self) -> bytes | None:
        body, over = bytearray(), False
        while True:
            size = int(self.rfile.readline(1024).split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            chunk = self.rfile.read(size)
            if self.rfile.readline(8).strip() or len(chunk) != size:
                raise ValueError("a chunk does not end where its size says")
            over = over or len(body) + size > MAX_BODY_BYTES
            if not over:
                body += chunk
        while self.rfile.readline(8192).strip():
            pass  # trailer fields, ignored as API Gateway does
        return None if over else bytes(body)

    def _answer(self) -> None:
        """One request: log method, route template, status and duration only (never personal data)."""
        started = time.monotonic()
        method = self.command.upper()
        route: Route | None = None
        try:
            body = self._read_body()
            malformed = False
        except ValueError:
            body, malformed = None, True
        if malformed:
            # What is left of the body cannot be told from a next request: answered, then the connection closed.
            self.close_connection = True
            status, problem_headers, data = problem(400, "Bad request", "The chunked request body is malformed.")
            headers = [*problem_headers.items(), ("Connection", "close")]
        elif body is None:
            status, problem_headers, data = problem(
                413, "Payload too large", f"The request body is over {MAX_BODY_BYTES} bytes."
            )
            headers = list(problem_headers.items())
        else:
            route, status, headers, data = self.server.gateway.handle(
                method,
                self.path,
                list(self.headers.items()),
                body,
                self.client_address[0],
                self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}",
            )
        # Logged before the response goes out, so that a client that has its answer also finds the line.
        log.info(
            "%s %s %d %.1f ms",
            method,
            route.path if route else "(no route)",
            status,
            (time.monotonic() - started) * 1000,
        )
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)
        if malformed:
            self._drain()

    def _drain(self) -> None:
        """Take in what the client still sends (for a moment, up to the body limit) before closing: closing a
        socket with unread data resets the connection, and the client might lose the answer."""
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_WR)
        self.connection.settimeout(2)
        received = 0
        with contextlib.suppress(OSError):
            while received <= MAX_BODY_BYTES and (chunk := self.connection.recv(1 << 16)):
                received += len(chunk)

    def __getattr__(self, name: str) -> Any:
        # Every method, even one http.server has never heard of (QUERY, PROPFIND ...), gets an answer
        # from the gateway (404 or 405 as a problem), never http.server's own 501.
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)


class LocalHttpServer(ThreadingHTTPServer):
    """A threading HTTP server that can close its keep-alive connections when it stops."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], gateway: ApiGateway) -> None:
        super().__init__(address, _RequestHandler)
        self.gateway = gateway
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake up threads waiting on idle keep-alive connections so they end now."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
