"""Schemathesis hooks for lapor's run (loaded through SCHEMATHESIS_HOOKS).

The contract says a reused Idempotency-Key with another body is refused (422): a rule across requests
that no schema can express. Generated cases would reuse keys with different bodies, so each valid key
is made unique per request; invalid keys are left as generated, to be refused.

Open311 filing needs a partner key that only an operator can issue: the test issues one
(LAPOR_OPEN311_KEY) and every generated form that carries an api_key carries that one, so the forms reach
the submission itself instead of stopping at 403.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import schemathesis
from jsonschema import Draft202012Validator
from lapor.contract import IDEMPOTENCY_KEY

VALID_KEY = Draft202012Validator(IDEMPOTENCY_KEY.schema)
# The schema's "not" (keys made by hand: one symbol repeated) is a rule its coverage phase may pass over,
# offering "AAAAAAAAAAAAAAAAAAAAAA" as valid: a key shaped like a valid one is made unique and valid too.
SHAPED_LIKE_A_KEY = [Draft202012Validator({"pattern": branch["pattern"]}) for branch in IDEMPOTENCY_KEY.schema["anyOf"]]


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and (VALID_KEY.is_valid(key) or any(v.is_valid(key) for v in SHAPED_LIKE_A_KEY)):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        case.headers = headers
    body = case.body
    partner_key = os.environ.get("LAPOR_OPEN311_KEY")
    if partner_key and isinstance(body, dict) and isinstance(body.get("api_key"), str):
        body["api_key"] = partner_key
