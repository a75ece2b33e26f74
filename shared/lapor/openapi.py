"""The OpenAPI 3.1 document, generated from `lapor.contract` and the pydantic models."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from lapor.contract import OPERATIONS, Operation
from lapor.directory import Directory
from lapor.models import Problem

STATUS_TITLES = {
    400: "Body is not JSON",
    401: "No or invalid credentials",
    403: "Not allowed for this report",
    404: "Not found (unknown or malformed Tracking ID alike)",
    409: "Not allowed now (state or version), or the same request is still in progress",
    413: "Body larger than 64 KiB",
    422: "A field or combination of fields is not valid",
    429: "Rate limit hit; see Retry-After",
}

DESCRIPTION = """\
lapor: public-service complaints for Indonesian local governments, in the spirit of SP4N LAPOR!

* Every 4xx and 5xx body is `application/problem+json` (RFC 9457); 422 bodies list one `errors` entry per
  problem, each with `loc` and `msg`. Unknown fields in a request body are refused (422).
* Timestamps are ISO 8601 with an offset, shown in the deployment's time zone.
* Optional request fields are either absent or valid: `null` is not accepted for them.
* Bodies over 64 KiB are refused with 413; bodies that are not JSON with 400.
* Tracking IDs are public and safe to share; access codes are secret, shown once, stored only as a hash.
"""


def _models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [Problem]
    for op in OPERATIONS:
        for model in (op.request, op.response[0] if isinstance(op.response, tuple) else op.response):
            if model is not None and model not in found:
                found.append(model)
    return found


def build_openapi(directory: Directory | None = None, server_url: str = "/") -> dict[str, Any]:
    """The whole API's OpenAPI document. With a directory, category codes and agency ids become enums."""
    all_models = _models()
    mode_models = [(m, "validation" if _is_request(m) else "serialization") for m in all_models]
    keys, definitions = models_json_schema(mode_models, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
    schemas: dict[str, Any] = copy.deepcopy(definitions.get("$defs", {}))
    if directory is not None:
        _restrict_to_directory(schemas, directory)
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, keys)
    return {
        "openapi": "3.1.0",
        "info": {"title": "lapor API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "tags": [
            {"name": "citizen", "description": "Public endpoints for reporters, no login"},
            {"name": "directory", "description": "Agencies and categories"},
            {"name": "agency", "description": "The agency inbox and actions (bearer token)"},
            {"name": "operations", "description": "Health and documentation"},
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


def _is_request(model: type[BaseModel]) -> bool:
    return any(op.request is model for op in OPERATIONS)


def _ref(keys: dict[Any, Any], model: type[BaseModel]) -> dict[str, Any]:
    mode = "validation" if _is_request(model) else "serialization"
    return dict(keys[(model, mode)])


def _operation(op: Operation, keys: dict[Any, Any]) -> dict[str, Any]:
    problem_ref = _ref(keys, Problem)
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
    success: dict[str, Any] = {"description": "OK", "content": {op.content_type: {"schema": success_schema}}}
    if op.success_status == 204:
        success = {"description": "Done; no content"}
    if op.response_headers:
        success["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in op.response_headers.items()
        }
    responses: dict[str, Any] = {str(op.success_status): success}
    for status in op.errors:
        entry: dict[str, Any] = {
            "description": STATUS_TITLES[status],
            "content": {"application/problem+json": {"schema": problem_ref}},
        }
        if status == 429:
            entry["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
        responses[str(status)] = entry
    result: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "description": op.description,
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
                "description": p.description,
                "schema": p.schema,
            }
            for p in op.parameters
        ]
    if op.request is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(keys, op.request)}},
        }
    return result


def _restrict_to_directory(schemas: dict[str, Any], directory: Directory) -> None:
    submission = schemas.get("ReportSubmission", {}).get("properties", {})
    if "category" in submission:
        submission["category"]["enum"] = sorted(directory.categories)
    if "agency_id" in submission:
        submission["agency_id"]["enum"] = sorted(directory.agencies)
