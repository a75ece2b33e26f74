"""Responses held to the shapes the contract names for them (`lapor.shapes`): no required key missing, no
unknown key, strict types and every bound. The published document lets clients ignore keys it does not know
(as it always has); the tests do not let the server send one.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from lapor.contract import OPERATIONS
from lapor.openapi import model
from lapor.shapes import Open311Error, Problem
from pydantic import ConfigDict, TypeAdapter

EXACT = ConfigDict(extra="forbid", strict=True)


@cache
def exact(shape: type) -> TypeAdapter[Any]:
    """A validator of a JSON array of `shape`: pydantic takes no config for a TypedDict itself (its own
    `__pydantic_config__` would be its place), but the config of a list reaches every TypedDict within."""
    return TypeAdapter(list[shape], config=EXACT)  # type: ignore[valid-type]


def conform(shape: type, body: str, many: bool = False) -> None:
    """Raise pydantic's ValidationError unless `body` (JSON text) is exactly one `shape` (`many`: an array)."""
    exact(shape).validate_json(body if many else f"[{body}]")


def check_response(method: str, resource: str, status: int, content_type: str, body: str) -> None:
    """A function's answer to `method resource` against the contract: its success shape, or the error format."""
    op = next(op for op in OPERATIONS if (op.method, op.path) == (method, resource))
    if not content_type.split(";")[0].endswith("json") or status == 204:
        return
    if status >= 400:
        conform(Open311Error, body, many=True) if op.formats else conform(Problem, body)
    elif op.response is not None:
        many = isinstance(op.response, tuple)
        conform(model(op.response[0] if isinstance(op.response, tuple) else op.response), body, many)
