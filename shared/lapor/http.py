"""HTTP plumbing for API Gateway (REST, proxy integration): a small router, JSON and problem responses,
and the one place where domain errors become HTTP (RFC 9457 problem details).

Deliberately small instead of Powertools' resolver: the public lookup must start within 1.2x of a bare
boto3 client, and the resolver with validation costs more than that on its own.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lapor import errors
from lapor.config import settings
from lapor.observability import flush_metrics, log_unexpected, logger

MAX_BODY_BYTES = 64 * 1024
JSON = "application/json; charset=utf-8"
PROBLEM = "application/problem+json"

# Sent on every response: nothing may be framed, sniffed or leak the Tracking ID through a Referer.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Frame-Options": "DENY",
}


@dataclass
class Response:
    """What a route returns: a status, a body (JSON-able, text or bytes) and headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON

    def to_proxy(self) -> dict[str, Any]:
        headers = {**SECURITY_HEADERS, "Content-Type": self.content_type, **self.headers}
        if isinstance(self.body, bytes):
            return {
                "statusCode": self.status,
                "headers": headers,
                "body": base64.b64encode(self.body).decode("ascii"),
                "isBase64Encoded": True,
            }
        if isinstance(self.body, str):
            text = self.body
        elif self.body is None:
            text = ""
        else:
            text = json.dumps(self.body, ensure_ascii=False, separators=(",", ":"))
        return {"statusCode": self.status, "headers": headers, "body": text, "isBase64Encoded": False}


def problem(
    status: int,
    title: str,
    detail: str,
    problems: list[errors.FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An RFC 9457 problem response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if problems is not None:
        body["errors"] = [{"loc": list(p.loc), "msg": p.msg} for p in problems]
    return Response(status=status, body=body, headers=dict(headers or {}), content_type=PROBLEM)


def problem_for(exc: BaseException) -> Response:
    """The one mapping from domain errors to HTTP."""
    if isinstance(exc, errors.ValidationFailed):
        n = len(exc.problems)
        detail = f"{n} field is not valid" if n == 1 else f"{n} fields are not valid"
        return problem(422, exc.title, detail, exc.problems)
    if isinstance(exc, errors.BadRequestBody):
        return problem(400, "Body is not valid JSON", "Send the request body as a JSON object.")
    if isinstance(exc, errors.PayloadTooLarge):
        return problem(413, "Body is too large", f"The request body may be at most {MAX_BODY_BYTES} bytes.")
    if isinstance(exc, errors.IdempotencyKeyReused):
        return problem(
            422,
            "Idempotency-Key reused with a different body",
            "Use a new Idempotency-Key for a different request.",
            [errors.FieldProblem(("header", "Idempotency-Key"), "was already used with a different body")],
        )
    if isinstance(exc, errors.RequestInProgress):
        return problem(
            409,
            "Request in progress",
            "The same request is still being handled; retry shortly.",
            None,
            {"Retry-After": "1"},
        )
    if isinstance(exc, errors.ReportNotFound):
        return problem(404, "Report not found", "No report has this Tracking ID.")
    if isinstance(exc, errors.NotFound):
        return problem(404, "Not found", str(exc) or "Nothing is here.")
    if isinstance(exc, errors.Unauthorized):
        return problem(
            401,
            "Unauthorized",
            str(exc) or "Credentials are missing or not valid.",
            None,
            {"WWW-Authenticate": "Bearer"},
        )
    if isinstance(exc, errors.Forbidden):
        return problem(403, "Forbidden", str(exc) or "These credentials do not allow this.")
    if isinstance(exc, errors.Conflict):
        return problem(409, "Conflict", str(exc) or "The report changed; reload and try again.")
    if isinstance(exc, errors.RateLimited):
        headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
        return problem(429, "Too many requests", str(exc), None, headers)
    return problem(500, "Internal error", "Something went wrong on our side; nothing was changed. Please try again.")


class Request:
    """The parts of an API Gateway proxy event a route needs. No client IP or user agent on purpose."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.method: str = str(event.get("httpMethod") or "GET").upper()
        self.resource: str = str(event.get("resource") or event.get("path") or "/")
        self.path_params: dict[str, str] = dict(event.get("pathParameters") or {})
        self.query: dict[str, str] = dict(event.get("queryStringParameters") or {})
        self.headers: dict[str, str] = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        raw = event.get("body")
        if raw is not None and event.get("isBase64Encoded"):
            try:
                raw = base64.b64decode(raw).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raw = "\x00"  # not text at all: the JSON parser rejects it with a 400
        self.body: str | None = raw
        context = event.get("requestContext") or {}
        self.claims: dict[str, str] = dict((context.get("authorizer") or {}).get("claims") or {})
        self._domain = str(context.get("domainName") or "")
        self._stage = str(context.get("stage") or "")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON: 413 when over the limit, 400 when not JSON."""
        text = self.body or ""
        if len(text.encode("utf-8")) > MAX_BODY_BYTES:
            raise errors.PayloadTooLarge()
        try:
            parsed = json.loads(text, parse_constant=_not_json)
            # "\ud800" parses, but a lone surrogate is no character: nothing could store or show it.
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        except (ValueError, RecursionError) as exc:
            raise errors.BadRequestBody() from exc
        return parsed

    @property
    def base_url(self) -> str:
        """Public origin for links: the configured one, else this API's own URL."""
        configured = settings().public_base_url
        if configured:
            return configured
        if self._domain:
            stage = f"/{self._stage}" if self._stage and self._stage != "$default" else ""
            return f"https://{self._domain}{stage}"
        return ""


def _not_json(constant: str) -> Any:
    """NaN and Infinity are not JSON, whatever Python's parser accepts."""
    raise ValueError(f"{constant} is not JSON")


Handler = Callable[[Request], Response]


class Router:
    """Routes (method, resource template) to functions and turns every outcome into a proxy response."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._routes: dict[tuple[str, str], Handler] = {}

    def route(self, method: str, resource: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self._routes[(method.upper(), resource)] = fn
            return fn

        return register

    @property
    def routes(self) -> list[tuple[str, str]]:
        return sorted(self._routes)

    def __call__(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        request = Request(event)
        fn = self._routes.get((request.method, request.resource))
        if fn is None and request.method == "HEAD":
            fn = self._routes.get(("GET", request.resource))
        operation = f"{request.method} {request.resource}"
        try:
            response = problem(404, "Not found", f"No route for {operation}") if fn is None else fn(request)
        except errors.LaporError as exc:
            response = problem_for(exc)
            if response.status >= 500:
                log_unexpected(operation, exc)
        except Exception as exc:
            log_unexpected(operation, exc)
            response = problem_for(exc)
        finally:
            flush_metrics()
        logger.info("request handled", extra={"operation": operation, "status": response.status})
        return response.to_proxy()


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key header, checked: 1-255 printable ASCII characters, or absent."""
    key = request.header("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or any(not " " <= ch <= "~" for ch in key):
        raise errors.ValidationFailed(
            [errors.FieldProblem(("header", "Idempotency-Key"), "must be 1 to 255 printable ASCII characters")],
            "Idempotency-Key is not valid",
        )
    return key
