"""Cognito authorizers on the local stack: only tokens from `lapor dev-token` get through."""

from __future__ import annotations

import stat
import time
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from lapor_local.cli import main
from lapor_local.devtoken import mint_dev_token
from lapor_local.stack import LocalStack
from lapor_local.template import TemplateError

from tests.local_stack.conftest import TOKEN_SECRET
from tests.local_stack.support import TEMPLATE, call, write_tree


def agency_call(stack: LocalStack, authorization: str | None) -> tuple[int, dict]:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = call(stack.api_url, "GET", "/agency/me", headers=headers)
    return response.status, response.json()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer " + mint_dev_token("another-secret-of-the-recommended-length", "dinkes-barito-utara"),
        "Bearer " + mint_dev_token(TOKEN_SECRET, "dinkes-barito-utara", hours=-1),
        "Bearer " + jwt.encode({"sub": "x", "iss": "someone-else", "iat": 1, "exp": 2**31}, TOKEN_SECRET),
    ],
    ids=["absent", "empty", "no-token", "basic", "malformed", "other-secret", "expired", "other-issuer"],
)
def test_requests_without_a_valid_dev_token_are_401_and_never_reach_the_function(
    stack: LocalStack, authorization: str | None
) -> None:
    stack.functions["HttpFunction"]._handler = lambda event, context: pytest.fail("the function was called")

    status, body = agency_call(stack, authorization)

    assert status == 401
    assert body["title"] == "Unauthorized"
    assert body["status"] == 401


def test_a_tampered_token_is_401(stack: LocalStack) -> None:
    header, _payload, signature = mint_dev_token(TOKEN_SECRET, "dinkes-barito-utara").split(".")
    forged_payload = jwt.utils.base64url_encode(b'{"custom:agency_id":"kemenpan-rb"}').decode()

    assert agency_call(stack, f"Bearer {header}.{forged_payload}.{signature}")[0] == 401


def test_a_valid_token_passes_its_claims_as_strings_like_cognito(stack: LocalStack) -> None:
    token = mint_dev_token(TOKEN_SECRET, "dpupr-barito-utara", role="dispatcher")

    status, body = agency_call(stack, f"Bearer {token}")

    assert status == 200
    claims = body["event"]["requestContext"]["authorizer"]["claims"]
    assert claims["custom:agency_id"] == "dpupr-barito-utara"
    assert claims["custom:role"] == "dispatcher"
    assert claims["token_use"] == "id"
    assert claims["iss"] == "lapor-local"
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["exp"].endswith(time.strftime("%Y", time.gmtime()))


def test_public_routes_ignore_authorization(stack: LocalStack) -> None:
    assert call(stack.api_url, "GET", "/echo/x", headers={"Authorization": "Bearer junk"}).status == 200


def test_authorizers_other_than_cognito_are_refused_at_start(
    tmp_path: Path, make_stack: Callable[..., LocalStack]
) -> None:
    text = TEMPLATE.replace("UserPoolArn: !GetAtt UserPool.Arn", "FunctionArn: !GetAtt UserPool.Arn")

    with pytest.raises(TemplateError, match="only Cognito"):
        make_stack(root=write_tree(tmp_path / "lambda-auth", template=text))


def test_a_token_from_the_dev_token_command_is_accepted_with_the_secret_kept_in_the_repository(
    tree: Path,
    make_stack: Callable[..., LocalStack],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("LAPOR_DEV_TOKEN_SECRET")
    stack = make_stack()

    assert main(["dev-token", "--root", str(tree), "--agency", "dinkes-barito-utara"]) == 0
    token = capsys.readouterr().out.strip()

    status, body = agency_call(stack, f"Bearer {token}")
    assert status == 200
    assert body["event"]["requestContext"]["authorizer"]["claims"]["custom:role"] == "officer"
    secret_file = tree / ".lapor" / "dev-token-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
