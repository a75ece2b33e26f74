"""Schemathesis hooks for lapor's run (loaded through SCHEMATHESIS_HOOKS).

The contract says a reused Idempotency-Key with another body is refused (422): a rule across requests
that no schema can express. Generated cases would reuse keys with different bodies, so each valid key
is made unique per request; invalid keys are left as generated, to be refused.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis
from jsonschema import Draft202012Validator
from lapor.contract import IDEMPOTENCY_KEY

VALID_KEY = Draft202012Validator(IDEMPOTENCY_KEY.schema)


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.is_valid(key):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        case.headers = headers
