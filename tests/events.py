"""API Gateway REST proxy events, as AWS sends them to a function (with the caller's IP and user agent)."""

from __future__ import annotations

import json
import uuid
from typing import Any


def api_event(
    method: str,
    resource: str,
    *,
    path_params: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    source_ip: str = "203.0.113.77",
    user_agent: str = "Mozilla/5.0 (Linux; Android 10; Redmi 9A) UniqueAgent/4242",
    claims: dict[str, str] | None = None,
    stage_variables: dict[str, str] | None = None,
) -> dict[str, Any]:
    path = resource
    for name, value in (path_params or {}).items():
        path = path.replace("{" + name + "}", value)
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    all_headers = {"User-Agent": user_agent, "X-Forwarded-For": source_ip, **(headers or {})}
    context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method,
        "path": f"/v1{path}",
        "stage": "v1",
        "requestId": str(uuid.uuid4()),
        "domainName": "abc123.execute-api.ap-southeast-3.amazonaws.com",
        "identity": {"sourceIp": source_ip, "userAgent": user_agent},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_params,
        "stageVariables": stage_variables,
        "requestContext": context,
        "body": text,
        "isBase64Encoded": False,
    }


def valid_submission(**overrides: Any) -> dict[str, Any]:
    """The example body of API.md, identified and public, with `overrides` applied."""
    body: dict[str, Any] = {
        "kind": "complaint",
        "title": "Jalan berlubang di depan SDN 1 Muara Teweh",
        "description": "Lubang besar sejak dua minggu, sudah ada motor yang jatuh.",
        "category": "jalan-jembatan",
        "agency_id": "dpupr-barito-utara",
        "location": {"lat": -0.9553, "lon": 114.8956, "address": "Jl. Yetro Sinseng, Muara Teweh"},
        "anonymous": False,
        "confidential": False,
        "reporter": {"name": "Siti Rahma", "email": "siti@example.org", "phone": "+6281234567890"},
        "channel": "web",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
