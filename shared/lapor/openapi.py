"""The OpenAPI 3.1 document, generated from `lapor.contract`, the request models and the response shapes.

Generating it imports pydantic and builds every model: more than a whole cold start at 128 MB's CPU share.
So the layer carries it generated (openapi.json next to this file, `make openapi`; a unit test fails when
it is stale), and the docs function only fills in the deployment's server and directory.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import import_module
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lapor.contract import Operation
    from lapor.directory import Directory

PUBLISHED = Path(__file__).with_name("openapi.json")

STATUS_TITLES = {
    400: "Body is not JSON, or a header (Idempotency-Key) is not valid",
    401: "No or invalid credentials",
    403: "Not allowed for this report",
    404: "Not found (unknown or malformed Tracking ID alike)",
    409: "Not allowed now (state or version), or the same request is still in progress",
    413: "Body larger than ${max_body_kib} KiB",
    422: "A field or combination of fields is not valid",
    429: "Rate limit hit; see Retry-After",
}

DESCRIPTION = """\
lapor: public-service complaints for Indonesian local governments, in the spirit of SP4N LAPOR!

* Every 4xx and 5xx body is `application/problem+json` (RFC 9457); 422 bodies list one `errors` entry per
  problem, each with `loc` and `msg`. Unknown fields in a request body are refused (422).
* Timestamps are ISO 8601 with an offset, shown in the deployment's time zone.
* Optional request fields are either absent or valid: `null` is not accepted for them.
* Bodies over ${max_body_kib} KiB are refused with 413; bodies that are not JSON with 400.
* Tracking IDs are public and safe to share; access codes are secret, shown once, stored only as a hash.
* `Idempotency-Key` must be unguessable: a random version-4 UUID or ${key_length} base64url characters; any
  other value is 400 with one `errors` entry at `["header", "Idempotency-Key"]`. The server keys its record
  of a key with a secret of its own, so neither a guessed key nor a copy of its tables yields a receipt.
* Free text: titles and names refuse control characters, bidirectional overrides and isolates and
  zero-width characters; longer texts (description, message, comment, address) refuse control characters
  other than newline and tab. Email addresses are ASCII, of the form the schema's pattern states (every one
  of which email-validator accepts), stored with the domain in lower case.
* Every agency read of a report and every action is recorded with the officer's token subject (`sub`) in
  an internal audit trail that no endpoint shows.
* Open311 GeoReport v2 lives under `/open311/v2/`, in JSON or XML (the path's suffix). Its errors are Open311's
  own: `[{"code", "description"}]` (XML `<errors><error>`), with 400, 403 or 404.
"""

XML_SCHEMA = {
    "type": "string",
    "description": "UTF-8 XML with the element names of the Open311 GeoReport v2 specification",
}


@cache
def facts() -> dict[str, object]:
    """The figures the descriptions quote (`${name}`), read from the constants and defaults that enforce them."""
    from lapor import admin, agency, inbound, nearby, notify, open311, photos, replies, reporter, rights, views
    from lapor.config import Settings
    from lapor.contract import IDEMPOTENCY_KEY_CHARACTERS
    from lapor.http import MAX_BODY_BYTES
    from lapor.lifecycle import REOPEN, TRANSITIONS
    from lapor.models import MAX_BULK
    from lapor.store import ROSTER_DAYS

    defaults = Settings.from_env({})
    return {
        "max_body_kib": MAX_BODY_BYTES // 1024,
        "idempotency_hours": defaults.idempotency_ttl_seconds // 3600,
        "max_wrong_codes": reporter.MAX_WRONG_CODES,
        "wrong_code_minutes": int(reporter.WRONG_CODE_WINDOW.total_seconds()) // 60,
        "messages_per_day": defaults.reporter_messages_per_day,
        "messages_per_report": defaults.reporter_messages_per_report,
        "data_requests_per_day": rights.DATA_REQUESTS_PER_DAY,
        "max_total_days": defaults.max_total_days,
        "slot_minutes": photos.SLOT_SECONDS // 60,
        "photo_mb": photos.MAX_BYTES // (1024 * 1024),
        "photo_side": photos.MAX_SIDE,
        "max_photos": photos.MAX_PHOTOS,
        "max_page": agency.MAX_PAGE,
        "max_bulk": MAX_BULK,
        "roster_days": ROSTER_DAYS,
        "verify_days": defaults.verify_working_days,
        "page_size": agency.PAGE_SIZE,
        "max_replies": replies.MAX_REPLIES,
        "open311_ids": open311.MAX_IDS,
        "open311_days": open311.MAX_RANGE.days,
        "open311_listed": f"{open311.MAX_LISTED:,}",
        "whatsapp_days": inbound.MESSAGE_KEPT_SECONDS // 86400,
        "public_decimals": views.PUBLIC_DECIMALS,
        "max_export": agency.MAX_EXPORT,
        "nearby_max": nearby.MAX_PUBLIC,
        "nearby_radius": nearby.PUBLIC_RADIUS_M,
        "nearby_wide": f"{nearby.WIDE_RADIUS_M:,}",
        "nearby_wide_max": nearby.MAX_WIDE,
        "nearby_days": nearby.RECENT_DAYS,
        "nearby_round": nearby.ROUND_M,
        "history_size": admin.HISTORY_SIZE,
        "directory_cache_seconds": defaults.directory_cache_seconds,
        "reply_notice_minutes": int(notify.REPLY_NOTICE_QUIET.total_seconds()) // 60,
        "key_length": "{} to {}".format(*IDEMPOTENCY_KEY_CHARACTERS),
        "reopened": REOPEN.to,
        "agency_actions": ", ".join(TRANSITIONS),
        "transitions": _transitions({"due_at": f"due_at at most {defaults.max_total_days} days after submission"}),
    }


def _transitions(notes: dict[str, str]) -> str:
    """`lifecycle.TRANSITIONS` as the contract states it: each action, the statuses it moves a report from (and
    to), and the fields it needs (`lapor.models.ACTION_FIELDS`, a field said as in `notes`)."""
    from lapor.lifecycle import TRANSITIONS
    from lapor.models import ACTION_FIELDS

    def stated(action: str, move: str) -> str:
        fields = [notes.get(name, name) for name, (actions, _) in ACTION_FIELDS.items() if action in actions]
        return f"{action} {move}" + (f" ({', '.join(fields)})" if fields else "")

    return "; ".join(
        stated(a, "|".join(t.allowed_from) + (f"->{t.to}" if t.to else "")) for a, t in TRANSITIONS.items()
    )


def _text(template: str) -> str:
    return Template(template).substitute(facts())


def model(name: str) -> type:
    """The response shape (`lapor.shapes`) or request model (`lapor.models`) a contract operation names."""
    from lapor import shapes

    found: type = getattr(shapes, name, None) or getattr(import_module("lapor.models"), name)
    return found


def _models() -> list[type]:
    from lapor.contract import OPERATIONS
    from lapor.shapes import Open311Error, Problem

    found: list[type] = [Problem, Open311Error]
    for op in OPERATIONS:
        for name in (op.request, op.response[0] if isinstance(op.response, tuple) else op.response):
            if name is not None and model(name) not in found:
                found.append(model(name))
    return found


def published_openapi(
    directory: Directory | None = None, server_url: str = "/", jurisdiction_id: str | None = None
) -> dict[str, Any]:
    """`for_deployment` of the generated file (what `generate_openapi` makes): no pydantic on the request path."""
    return for_deployment(_published(), directory, server_url, jurisdiction_id)


@cache
def _published() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    return document


def for_deployment(
    document: dict[str, Any], directory: Directory | None, server_url: str, jurisdiction_id: str | None = None
) -> dict[str, Any]:
    """A copy of the generated document with this deployment's server URL and Open311 jurisdiction; with a
    directory, category codes and agency ids become enums."""
    document = copy.deepcopy(document)
    document["servers"] = [{"url": server_url}]
    schemas = document["components"]["schemas"]
    if directory is not None:
        _restrict_to_directory(schemas, directory)
    form = schemas.get("Open311RequestForm", {}).get("properties", {})
    if jurisdiction_id and "jurisdiction_id" in form:
        form["jurisdiction_id"]["enum"] = [jurisdiction_id]
    for path, operations in document["paths"].items():
        if not path.startswith("/open311/"):
            continue
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _parameter_schema(
                    parameter["name"], parameter["schema"], directory, jurisdiction_id
                )
    return document


def generate_openapi() -> dict[str, Any]:
    """The document as the contract and the models describe it, before any deployment's details."""
    from pydantic import TypeAdapter
    from pydantic.json_schema import JsonSchemaMode
    from typing_extensions import is_typeddict

    from lapor.contract import OPERATIONS

    # Responses are shapes (TypedDicts), requests are models.
    inputs: list[tuple[type, JsonSchemaMode, TypeAdapter[Any]]] = [
        (m, "serialization" if is_typeddict(m) else "validation", TypeAdapter(m)) for m in _models()
    ]
    found, definitions = TypeAdapter.json_schemas(inputs, ref_template="#/components/schemas/{model}")
    keys = {cls: ref for (cls, _), ref in found.items()}
    schemas: dict[str, Any] = copy.deepcopy(definitions.get("$defs", {}))
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, keys)
    return {
        "openapi": "3.1.0",
        "info": {"title": "lapor API", "version": "1.0.0", "description": _text(DESCRIPTION)},
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "citizen", "description": "Public endpoints for reporters, no login"},
            {"name": "directory", "description": "Agencies and categories"},
            {"name": "agency", "description": "The agency inbox and actions (bearer token)"},
            {"name": "administration", "description": "The regency administrator: officers and the directory"},
            {"name": "operations", "description": "Health and documentation"},
            {"name": "open311", "description": "Open311 GeoReport v2: services are categories, requests reports"},
            {"name": "whatsapp", "description": "The WhatsApp Business Cloud API's webhook (Meta calls it)"},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "agencyToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito ID token of an agency officer (locally: `lapor dev-token --agency <id>`)",
                }
            },
        },
    }


def _ref(refs: dict[Any, Any], cls: type | str) -> dict[str, Any]:
    return dict(refs[model(cls) if isinstance(cls, str) else cls])


def _content(op: Operation, schema: dict[str, Any], keys: dict[Any, Any], error: bool) -> dict[str, Any]:
    """The media types of one response: Open311 operations answer in the format asked for, even errors."""
    from lapor.shapes import Open311Error, Problem

    if not op.formats:
        if error:
            return {"application/problem+json": {"schema": _ref(keys, Problem)}}
        return {op.content_type: {"schema": schema}}
    content: dict[str, Any] = {}
    if "json" in op.formats:
        errors = {"type": "array", "items": _ref(keys, Open311Error)}
        content["application/json"] = {"schema": errors if error else schema}
    if "xml" in op.formats:
        content["text/xml"] = {"schema": XML_SCHEMA}
    return content


def _operation(op: Operation, keys: dict[Any, Any]) -> dict[str, Any]:
    from lapor.shapes import Problem

    if isinstance(op.response, tuple):
        success_schema: dict[str, Any] = {"type": "array", "items": _ref(keys, op.response[0])}
    elif op.response is not None:
        success_schema = _ref(keys, op.response)
    elif op.content_type == "application/json":
        success_schema = {"type": "object"}
    elif op.content_type == "image/png":
        success_schema = {"type": "string", "contentMediaType": "image/png"}
    else:
        success_schema = {"type": "string"}
    success: dict[str, Any] = {"description": "OK", "content": _content(op, success_schema, keys, error=False)}
    if op.success_status == 204:
        success = {"description": "Done; no content"}
    if op.response_headers:
        success["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in op.response_headers.items()
        }
    responses: dict[str, Any] = {str(op.success_status): success}
    for status in (*op.errors, 429):
        entry: dict[str, Any] = {
            "description": _text(
                OPEN311_TITLES.get(status, STATUS_TITLES[status]) if op.formats else STATUS_TITLES[status]
            ),
            "content": _content(op, {}, keys, error=True),
        }
        if status == 429:
            # API Gateway's throttle answers before any function, in the problem format.
            entry["content"] = {"application/problem+json": {"schema": _ref(keys, Problem)}}
            entry["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
        responses[str(status)] = entry
    result: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": _text(op.summary),
        "description": _text(op.description),
        "tags": [op.tag],
        "responses": responses,
    }
    if op.agency_token:
        result["security"] = [{"agencyToken": []}]
    if op.parameters:
        result["parameters"] = [
            {
                "name": p.name,
                "in": p.location,
                "required": p.required,
                "description": _text(p.description),
                "schema": p.schema,
            }
            for p in op.parameters
        ]
    if op.request is not None:
        result["requestBody"] = {
            "required": True,
            "content": {op.request_content_type: {"schema": _ref(keys, op.request)}},
        }
    return result


def _parameter_schema(
    name: str, schema: dict[str, Any], directory: Directory | None, jurisdiction_id: str | None
) -> dict[str, Any]:
    """An Open311 parameter's schema narrowed to this deployment: its jurisdiction and its service codes."""
    if name == "jurisdiction_id" and jurisdiction_id:
        return {**schema, "enum": [jurisdiction_id]}
    if name == "service_code" and directory is not None and directory.categories:
        codes = "|".join(sorted(directory.categories))
        return {**schema, "pattern": f"^({codes})(,({codes}))*$"}
    return schema


OPEN311_TITLES = {
    400: "A parameter or field is not valid (one error per problem)",
    403: "No api_key, or one that is unknown or revoked",
    404: "Unknown resource, unknown or confidential report, another jurisdiction_id, or a format other than "
    "json or xml",
    409: "The same request (Idempotency-Key) is still being handled",
}


def _restrict_to_directory(schemas: dict[str, Any], directory: Directory) -> None:
    submission = schemas.get("ReportSubmission", {}).get("properties", {})
    if "category" in submission:
        submission["category"]["enum"] = sorted(directory.categories)
    if "agency_id" in submission:
        submission["agency_id"]["enum"] = sorted(directory.agencies)
    form = schemas.get("Open311RequestForm", {}).get("properties", {})
    if "service_code" in form:
        form["service_code"]["enum"] = sorted(directory.categories)
