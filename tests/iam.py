"""Just enough of IAM's policy evaluation to check template.yaml's statements against real AWS calls.

`requests_for(call)` turns one recorded boto3 call into the IAM requests AWS would authorize (a DynamoDB
transaction is one request per item, as IAM sees it); `allowing(statements, request)` names the statements
that allow it. Condition operators this file does not know are an error, never a silent match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class Request:
    """One authorization request: an action on a resource, with the condition keys it carries."""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __str__(self) -> str:
        keys = ", ".join(f"{k}={list(v)}" for k, v in sorted(self.context.items()))
        return f"{self.action} on {self.resource}" + (f" ({keys})" if keys else "")


def _pattern(text: str, *, case_sensitive: bool = True) -> re.Pattern[str]:
    """An IAM wildcard (`*` any run, `?` one character) as a regular expression."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE)


def _like(value: str, pattern: str) -> bool:
    return _pattern(pattern).fullmatch(value) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_STRING_OPERATORS = {
    "StringEquals": lambda value, expected: value == expected,
    "StringLike": _like,
}


def _test(operator: str, values: tuple[str, ...] | None, expected: list[str]) -> bool:
    """One condition operator on one key (values None: the request does not carry the key)."""
    if operator == "Null":
        (flag,) = expected
        return (not values) == (str(flag).lower() == "true")
    qualifier, _, base = operator.rpartition(":")
    if base.endswith("IfExists"):
        if not values:
            return True  # IfExists: a request without the key passes
        base = base.removesuffix("IfExists")
    negated = base.startswith("StringNot")
    compare = _STRING_OPERATORS.get(base.replace("StringNot", "String"))
    if compare is None or qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise ValueError(f"condition operator {operator} is not modelled: extend tests/iam.py")

    def matches(value: str) -> bool:
        hit = any(compare(value, str(e)) for e in expected)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(matches(v) for v in values or ())  # no values at all: vacuously true, as in IAM
    if qualifier == "ForAnyValue":
        return any(matches(v) for v in values or ())
    if not values:
        return negated  # a missing key fails positive operators and passes negated ones
    if len(values) != 1:
        raise ValueError(f"{operator} on the multi-valued key needs ForAllValues or ForAnyValue")
    return matches(values[0])


def conditions_hold(condition: Mapping[str, Mapping[str, Any]] | None, request: Request) -> bool:
    for operator, keys in (condition or {}).items():
        for key, expected in keys.items():
            if not _test(operator, request.context.get(key), [str(e) for e in _as_list(expected)]):
                return False
    return True


def allows(statement: Mapping[str, Any], request: Request) -> bool:
    if statement.get("Effect") != "Allow":
        raise ValueError("only Allow statements are modelled")
    if not any(_pattern(a, case_sensitive=False).fullmatch(request.action) for a in _as_list(statement["Action"])):
        return False
    if not any(_pattern(r).fullmatch(request.resource) for r in _as_list(statement["Resource"])):
        return False
    return conditions_hold(statement.get("Condition"), request)


def allowing(statements: Iterable[Mapping[str, Any]], request: Request) -> list[int]:
    """Indexes of the statements that allow `request` (none: AWS would refuse it)."""
    return [i for i, statement in enumerate(statements) if allows(statement, request)]


# ---------------------------------------------------------------- boto3 calls as IAM requests


@dataclass(frozen=True)
class Call:
    """One boto3 API call as a function made it."""

    service: str
    operation: str
    params: Mapping[str, Any]
    region: str
    response: Mapping[str, Any] | None = None


@dataclass
class KeySchemas:
    """Each table's (and index's) partition key attribute, by table name: what dynamodb:LeadingKeys reads."""

    tables: dict[str, str] = field(default_factory=dict)
    indexes: dict[tuple[str, str], str] = field(default_factory=dict)


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


def _scalar(attribute: Mapping[str, Any]) -> str:
    ((_, value),) = attribute.items()
    return str(value)


def _read_context(keys: Iterable[str], params: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """dynamodb:Attributes and dynamodb:Select of a GetItem or BatchGetItem: the key's attributes and those
    its projection names (SPECIFIC_ATTRIBUTES); without a projection the read asks for ALL_ATTRIBUTES, which a
    policy that lists attributes refuses (AWS evaluates it so: the whole item would be returned)."""
    projection = params.get("ProjectionExpression")
    names = params.get("ExpressionAttributeNames", {})
    named = [names.get(w, w) for w in re.findall(r"#?\w+", projection or "")]
    return {
        "dynamodb:Attributes": tuple(dict.fromkeys([*keys, *named])),
        "dynamodb:Select": ("SPECIFIC_ATTRIBUTES" if projection else "ALL_ATTRIBUTES",),
    }


def _item_request(
    action: str, table: str, key: Mapping[str, Any], call: Call, schemas: KeySchemas, body: Mapping[str, Any]
) -> Request:
    """One item's request; `body` is the part of the call that names it (a GetItem's projection)."""
    leading = _scalar(key[schemas.tables[table]])
    context: dict[str, tuple[str, ...]] = {"dynamodb:LeadingKeys": (leading,)}
    if action == "GetItem":
        context.update(_read_context(key, body))
    if action in ("PutItem", "UpdateItem", "DeleteItem") and body.get("ReturnValues"):
        # What the write answers with: ALL_OLD or ALL_NEW would read the whole item (dynamodb:ReturnValues).
        context["dynamodb:ReturnValues"] = (str(body["ReturnValues"]),)
    return Request(f"dynamodb:{action}", _arn("dynamodb", call.region, f"table/{table}"), context)


def _query_request(call: Call, schemas: KeySchemas) -> Request:
    table, index = call.params["TableName"], call.params.get("IndexName")
    resource = f"table/{table}" + (f"/index/{index}" if index else "")
    partition = schemas.indexes[(table, index)] if index else schemas.tables[table]
    names = call.params.get("ExpressionAttributeNames", {})
    values = call.params.get("ExpressionAttributeValues", {})
    leading: tuple[str, ...] = ()
    for name, placeholder in re.findall(r"(#?\w+)\s*=\s*(:\w+)", call.params["KeyConditionExpression"]):
        if names.get(name, name) == partition:
            leading = (_scalar(values[placeholder]),)
    context: dict[str, tuple[str, ...]] = {"dynamodb:LeadingKeys": leading}
    # dynamodb:Attributes: the attributes the request names (projection and key condition); dynamodb:Select:
    # SPECIFIC_ATTRIBUTES with a projection, else what Select says (ALL_ATTRIBUTES by default)
    projection = call.params.get("ProjectionExpression")
    words = re.findall(r"[#:]?\w+", call.params["KeyConditionExpression"] + " " + (projection or ""))
    named = [w for w in words if not w.startswith(":") and w not in ("AND", "BETWEEN", "begins_with")]
    context["dynamodb:Attributes"] = tuple(dict.fromkeys(names.get(n, n) for n in named))
    select = call.params.get("Select") or ("SPECIFIC_ATTRIBUTES" if projection else "ALL_ATTRIBUTES")
    context["dynamodb:Select"] = (select,)
    return Request("dynamodb:Query", _arn("dynamodb", call.region, resource), context)


_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _dynamodb_requests(call: Call, schemas: KeySchemas) -> list[Request]:
    p, op = call.params, call.operation
    if op in ("GetItem", "UpdateItem", "DeleteItem"):
        return [_item_request(op, p["TableName"], p["Key"], call, schemas, p)]
    if op == "PutItem":
        return [_item_request(op, p["TableName"], p["Item"], call, schemas, p)]
    if op == "Query":
        return [_query_request(call, schemas)]
    if op == "TransactWriteItems":
        found = []
        for entry in p["TransactItems"]:
            ((kind, body),) = entry.items()
            key = body["Item"] if kind == "Put" else body["Key"]
            found.append(_item_request(_TRANSACT_ACTIONS[kind], body["TableName"], key, call, schemas, body))
        return found
    if op == "TransactGetItems":
        return [
            _item_request("GetItem", e["Get"]["TableName"], e["Get"]["Key"], call, schemas, e["Get"])
            for e in p["TransactItems"]
        ]
    if op in ("BatchWriteItem", "BatchGetItem"):
        found = []
        for table, entries in p["RequestItems"].items():
            keys = (
                [e.get("PutRequest", {}).get("Item") or e["DeleteRequest"]["Key"] for e in entries]
                if op == "BatchWriteItem"
                else entries["Keys"]
            )
            leading = tuple(_scalar(k[schemas.tables[table]]) for k in keys)
            context: dict[str, tuple[str, ...]] = {"dynamodb:LeadingKeys": leading}
            if op == "BatchGetItem":
                context.update(_read_context(dict.fromkeys(a for k in keys for a in k), entries))
            found.append(Request(f"dynamodb:{op}", _arn("dynamodb", call.region, f"table/{table}"), context))
        return found
    return [Request(f"dynamodb:{op}", _arn("dynamodb", call.region, f"table/{p.get('TableName', '*')}"))]


def _kms_request(call: Call) -> Request:
    key = call.params.get("KeyId") or (call.response or {}).get("KeyId") or "unknown-key"
    resource = key if key.startswith("arn:") else _arn("kms", call.region, f"key/{key}")
    context = call.params.get("EncryptionContext") or {}
    return Request(f"kms:{call.operation}", resource, {"kms:EncryptionContextKeys": tuple(context)} if context else {})


def _sqs_request(call: Call) -> Request:
    url = call.params.get("QueueUrl", "")
    account, name = url.rstrip("/").split("/")[-2:]
    return Request(f"sqs:{call.operation}", f"arn:aws:sqs:{call.region}:{account}:{name}")


def _ses_request(call: Call) -> Request:
    sender = call.params.get("Source") or call.params.get("FromEmailAddress") or ""
    return Request(
        f"ses:{call.operation}", _arn("ses", call.region, f"identity/{sender}"), {"ses:FromAddress": (sender,)}
    )


def _key_arn(key: str, region: str) -> str:
    return key if key.startswith("arn:") else _arn("kms", region, f"key/{key}")


def _s3_requests(call: Call) -> list[Request]:
    """An object call, and the KMS call S3 makes on the caller's behalf for an SSE-KMS object.

    Presigned URLs and POSTs are recorded as the call they authorize (the signer's permissions decide),
    with the object's encryption, which S3 would use when the link is followed, as their response.
    """
    bucket, key = call.params.get("Bucket", ""), call.params.get("Key", "")
    requests = [Request(f"s3:{call.operation}", f"arn:aws:s3:::{bucket}/{key}")]
    via = {"kms:ViaService": (f"s3.{call.region}.amazonaws.com",)}
    if call.operation == "PutObject" and call.params.get("ServerSideEncryption") == "aws:kms":
        requests.append(Request("kms:GenerateDataKey", _key_arn(call.params["SSEKMSKeyId"], call.region), via))
    response = call.response or {}
    if call.operation == "GetObject" and response.get("ServerSideEncryption") == "aws:kms":
        requests.append(Request("kms:Decrypt", _key_arn(response["SSEKMSKeyId"], call.region), via))
    return requests


def requests_for(call: Call, schemas: KeySchemas) -> list[Request]:
    """The IAM requests one boto3 call makes (`*` as resource where this file knows no better)."""
    if call.service == "dynamodb":
        return _dynamodb_requests(call, schemas)
    if call.service == "kms":
        return [_kms_request(call)]
    if call.service == "sqs":
        return [_sqs_request(call)]
    if call.service in ("ses", "sesv2"):
        return [_ses_request(call)]
    if call.service == "s3":
        return _s3_requests(call)
    if call.service == "cognito-idp":  # a user pool's administrative calls act on the pool
        pool = call.params.get("UserPoolId", "*")
        return [Request(f"cognito-idp:{call.operation}", _arn("cognito-idp", call.region, f"userpool/{pool}"))]
    if call.service == "secretsmanager":
        return [Request(f"secretsmanager:{call.operation}", call.params.get("SecretId", "*"))]
    return [Request(f"{call.service}:{call.operation}", "*")]
