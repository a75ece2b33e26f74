"""HTTP plumbing for API Gateway (REST, proxy integration): a small router, JSON and problem responses,
and the one place where domain errors become HTTP (RFC 9457 problem details).

Hand-written rather than Powertools' resolver, whose import costs a cold start without SnapStart several times
this module's (docs/measured.md). The price: routing, body validation (the contract's request model, before
the handler runs: `Router`) and this error mapping are ours to keep, in about 300 lines.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from xml.etree import ElementTree

from lapor import contract, errors
from lapor.config import settings
from lapor.observability import log_unexpected, logger

if TYPE_CHECKING:
    from lapor.shapes import Open311Error, Problem

M = TypeVar("M")
MAX_BODY_BYTES = 64 * 1024
JSON = "application/json; charset=utf-8"
PROBLEM = "application/problem+json"
XML = "text/xml; charset=utf-8"

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
    body: Problem = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if problems is not None:
        body["errors"] = [{"loc": list(p.loc), "msg": p.msg} for p in problems]
    return Response(status=status, body=body, headers=dict(headers or {}), content_type=PROBLEM)


def problem_for(exc: BaseException) -> Response:
    """The one mapping from domain errors to HTTP."""
    if isinstance(exc, errors.ValidationFailed):
        n = len(exc.problems)
        detail = f"{n} field is not valid" if n == 1 else f"{n} fields are not valid"
        return problem(422, exc.title, detail, exc.problems)
    if isinstance(exc, errors.InvalidHeader):
        return problem(400, exc.title, "1 header is not valid", [exc.problem])
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


# ---------------------------------------------------------------- Open311 GeoReport v2 representations

# The spec's element names for the members of lists (the list's own element holds them).
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


@cache
def _not_xml() -> re.Pattern[str]:
    """Characters XML 1.0 cannot carry at all, even escaped: shown as U+FFFD so the document stays
    well-formed. Compiled on first use (only Open311's XML needs it, and it takes milliseconds)."""
    return re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _not_xml().sub("\ufffd", str(value))


def _xml_fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, member in value.items():
            _xml_fill(ElementTree.SubElement(element, name), member)
    elif isinstance(value, list):
        item_tag = XML_ITEMS[element.tag]
        for member in value:
            _xml_fill(ElementTree.SubElement(element, item_tag), member)
    elif value is not None:
        element.text = _xml_text(value)


def xml_document(root: str, value: Any) -> str:
    """`value` as a UTF-8 XML document under `root`, lists in the spec's element names, null as empty."""
    element = ElementTree.Element(root)
    _xml_fill(element, value)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(element, encoding="unicode")


def open311_response(
    status: int, root: str, value: Any, fmt: str, headers: Mapping[str, str] | None = None
) -> Response:
    """An Open311 answer in the requested format: JSON as it is, XML under `root`."""
    if fmt == "xml":
        return Response(status, xml_document(root, value), dict(headers or {}), XML)
    return Response(status, value, dict(headers or {}))


# Open311 clients know 400, 403 and 404; a field problem or a body too large is a bad request to them.
_OPEN311_STATUS = {413: 400, 422: 400, 401: 403}


def open311_error_for(exc: BaseException | None, fmt: str) -> Response:
    """The one mapping from domain errors to Open311's `[{"code", "description"}]` (XML `<errors>`).

    The status and wording are those of `problem_for`; field problems become one entry each.
    """
    base = problem_for(exc) if exc is not None else problem(404, "Not found", "No such Open311 resource.")
    status = _OPEN311_STATUS.get(base.status, base.status)
    body = base.body
    entries: list[Open311Error]
    if body.get("errors"):
        entries = [
            {"code": status, "description": f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"}
            for e in body["errors"]
        ]
    else:
        entries = [{"code": status, "description": body["detail"]}]
    retry = {k: v for k, v in base.headers.items() if k == "Retry-After"}
    return open311_response(status, "errors", entries, fmt, retry)


class Request:
    """The parts of an API Gateway proxy event a route needs. No client IP or user agent on purpose."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.method: str = str(event.get("httpMethod") or "GET").upper()
        self.resource: str = str(event.get("resource") or event.get("path") or "/")
        self.path_params: dict[str, str] = dict(event.get("pathParameters") or {})
        self.query: dict[str, str] = dict(event.get("queryStringParameters") or {})
        self.headers: dict[str, str] = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        raw = event.get("body")
        # The bytes as the client sent them (a signature covers exactly these): API Gateway passes a body as
        # text, or base64-encoded when it is not UTF-8 or its type is one of the API's binary media types.
        self.raw_body: bytes = b""
        if raw is not None and event.get("isBase64Encoded"):
            try:
                self.raw_body = base64.b64decode(raw)
                raw = self.raw_body.decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raw = "\x00"  # not text at all: the JSON parser rejects it with a 400
        elif raw is not None:
            self.raw_body = str(raw).encode("utf-8", "surrogatepass")
        self.body: str | None = raw
        context = event.get("requestContext") or {}
        self.claims: dict[str, str] = dict((context.get("authorizer") or {}).get("claims") or {})
        # The stage's `Variables` (template.yaml, LaporApi): deploy-time settings no environment may name.
        self.stage_variables: dict[str, str] = dict(event.get("stageVariables") or {})
        self._domain = str(context.get("domainName") or "")
        self.operation: contract.Operation | None = None  # the contract's operation being served, set by the Router
        self.body_model: Any = None  # its JSON body as the contract's model, validated by the Router
        self._stage = str(context.get("stage") or "")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @cached_property
    def parsed(self) -> Any:
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

    def body_as(self, model: type[M]) -> M:
        """The JSON body as the operation's request model: the Router validated it before the handler ran."""
        assert isinstance(self.body_model, model), f"the operation's JSON body is not a {model.__name__}"
        return self.body_model

    def checked_query(self) -> dict[str, str]:
        """The query parameters the operation declares, each checked against its schema in the contract (422)."""
        assert self.operation is not None
        found, problems = {}, []
        for parameter in [p for p in self.operation.parameters if p.location == "query" and p.name in self.query]:
            value, schema = self.query[parameter.name], parameter.schema
            if "enum" in schema and value not in schema["enum"]:
                problem = f"Input should be one of {', '.join(schema['enum'])}"
            elif len(value) > schema.get("maxLength", len(value)):
                problem = f"String should have at most {schema['maxLength']} characters"
            elif not re.search(schema.get("pattern", "").removesuffix("$") + r"\Z", value):
                problem = f"String should match pattern '{schema['pattern']}'"
            else:
                found[parameter.name] = value
                continue
            problems.append(errors.FieldProblem(("query", parameter.name), problem))
        if problems:
            raise errors.ValidationFailed(problems, "Query is not valid")
        return found

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


ErrorRenderer = Callable[[BaseException | None, Request], Response]


def _problem_or_no_route(exc: BaseException | None, request: Request) -> Response:
    if exc is None:
        return problem(404, "Not found", f"No route for {request.method} {request.resource}")
    return problem_for(exc)


def open311_errors(exc: BaseException | None, request: Request) -> Response:
    """A Router's error renderer for Open311 routes: the format the request asked for (.xml, else JSON)."""
    asked = [request.resource, *request.path_params.values()]
    return open311_error_for(exc, "xml" if any(name.endswith(".xml") for name in asked) else "json")


class Router:
    """Serves operations of `lapor.contract` by id and turns every outcome into a proxy response.

    An operation with a JSON request body gets it validated as the contract's model before its handler runs
    (`Request.body_as`); registering the operation imports the models (a function's INIT, so the snapshot
    holds their validators).

    Errors become problem details, unless `errors` renders them otherwise (Open311 has its own
    format); it gets None for a request no route serves.
    """

    def __init__(self, name: str, errors: ErrorRenderer = _problem_or_no_route) -> None:
        self.name = name
        self._routes: dict[tuple[str, str], tuple[contract.Operation, Handler, Any]] = {}
        self._errors = errors

    def operation(self, operation_id: str) -> Callable[[Handler], Handler]:
        """Serve the contract's operation `operation_id` (its method, path and request body) with the function."""
        op = contract.BY_ID[operation_id]
        model = None
        if op.request and op.request_content_type == "application/json":
            from lapor.models import BODIES

            model = BODIES[op.request]

        def register(fn: Handler) -> Handler:
            self._routes[(op.method, op.path)] = (op, fn, model)
            return fn

        return register

    @property
    def routes(self) -> list[tuple[str, str]]:
        return sorted(self._routes)

    def _serve(self, request: Request) -> Response:
        found = self._routes.get((request.method, request.resource))
        if found is None and request.method == "HEAD":
            found = self._routes.get(("GET", request.resource))
        if found is None:
            return self._errors(None, request)
        request.operation, fn, model = found
        if model is not None:
            from lapor.models import parse

            request.body_model = parse(model, request.parsed)
        return fn(request)

    def __call__(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        request = Request(event)
        operation = f"{request.method} {request.resource}"
        try:
            response = self._serve(request)
        except errors.LaporError as exc:
            response = self._errors(exc, request)
            if response.status >= 500:
                log_unexpected(operation, exc)
        except Exception as exc:
            log_unexpected(operation, exc)
            response = self._errors(exc, request)
        logger.info("request handled", extra={"operation": operation, "status": response.status})
        return response.to_proxy()


def if_match(request: Request) -> int | None:
    """The version in `If-Match: 3`, `"3"` or `W/"3"`; anything else is a 422."""
    header = request.header("If-Match")
    if header is None:
        return None
    text = header.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 12:
        raise errors.ValidationFailed(
            [errors.FieldProblem(("header", "If-Match"), "must be the report's version number")]
        )
    return int(text)


def _matches(pattern: str, key: str) -> bool:
    return re.fullmatch(pattern[1:-1], key, re.ASCII) is not None


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key header, checked (the patterns: `lapor.contract`), or None when absent.

    Not Powertools' idempotency utility: a submission's key record is written in the same DynamoDB
    transaction as the report (both or neither), and the replayed receipt holds the access code, so it is
    stored encrypted (`lapor.reports`); the utility keeps its own record, apart and in plain JSON.
    """
    key = request.header("Idempotency-Key")
    if key is None:
        return None
    uuid4 = _matches(contract.IDEMPOTENCY_KEY_UUID4, key) and not _matches(
        contract.IDEMPOTENCY_KEY_UUID_ONE_SYMBOL, key
    )
    other = _matches(contract.IDEMPOTENCY_KEY_BASE64URL, key) and not (
        _matches(contract.IDEMPOTENCY_KEY_UUID_SHAPE, key) or _matches(contract.IDEMPOTENCY_KEY_ONE_SYMBOL, key)
    )
    if not (uuid4 or other):
        low, high = contract.IDEMPOTENCY_KEY_CHARACTERS
        raise errors.InvalidHeader(
            errors.FieldProblem(
                ("header", "Idempotency-Key"),
                f"must be a random version-4 UUID or {low} to {high} random base64url characters "
                "(a key made by hand, such as one symbol repeated or the nil UUID's digits, is refused)",
            ),
            "Idempotency-Key is not valid",
        )
    return key
