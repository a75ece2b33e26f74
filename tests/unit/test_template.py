"""template.yaml: valid, least privilege per function, and the one source of routes, tables and queues."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from lapor.contract import OPERATIONS
from lapor_local.template import load_template

from tests.conftest import ROOT, load_function

TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}


def statements(logical_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in FUNCTIONS[logical_id]["Properties"].get("Policies", []):
        assert isinstance(policy, dict) and "Statement" in policy, "inline statements only: no broad SAM templates"
        found.extend(policy["Statement"])
    return found


def actions(logical_id: str) -> set[str]:
    result: set[str] = set()
    for statement in statements(logical_id):
        assert statement["Effect"] == "Allow"
        result.update([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    return result


def api_routes() -> set[tuple[str, str, str]]:
    routes = set()
    for logical_id, resource in FUNCTIONS.items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                props = event["Properties"]
                routes.add((props["Method"].upper(), props["Path"], logical_id))
    return routes


def test_cfn_lint_reports_nothing() -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is a dev dependency: run `make test` to install it"
    result = subprocess.run([cfn_lint, str(ROOT / "template.yaml")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_public_lookup_cannot_write_or_decrypt() -> None:
    granted = actions("TrackReportFunction")
    assert not any(a.startswith("kms:") for a in granted)
    assert granted <= {"dynamodb:GetItem", "dynamodb:Query"}


def test_submission_may_encrypt_but_never_decrypt() -> None:
    granted = actions("SubmitReportFunction")
    assert "kms:GenerateDataKey" in granted
    assert not {"kms:Decrypt", "kms:*", "kms:ReEncrypt*", "kms:ReEncryptFrom"} & granted
    assert not {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan"} & granted


def test_no_function_has_wildcards_or_scans() -> None:
    for logical_id in FUNCTIONS:
        for statement in statements(logical_id):
            granted = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            assert not any(a.endswith(":*") or a == "*" for a in granted), logical_id
            assert "dynamodb:Scan" not in granted, logical_id
            assert statement.get("Resource") not in ("*", ["*"]), logical_id


def test_only_the_field_key_is_used_and_only_with_a_tracking_id_context() -> None:
    for logical_id in FUNCTIONS:
        for statement in statements(logical_id):
            granted = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            if any(a.startswith("kms:") for a in granted):
                assert statement["Resource"] == {"Fn::GetAtt": ["FieldKey", "Arn"]}
                assert "tracking_id" in str(statement.get("Condition"))


def test_reports_table_is_durable_encrypted_and_indexed_for_later_work() -> None:
    props = RESOURCES["ReportsTable"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "TableKey"}}
    assert RESOURCES["TableKey"]["Type"] == "AWS::KMS::Key"
    indexes = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in props["GlobalSecondaryIndexes"]}
    assert indexes["inbox"] == ["inbox_pk", "inbox_sk"]
    assert indexes["due"] == ["due_pk", "due_at"]
    assert indexes["outbox"] == ["outbox_pk", "outbox_at"]
    assert RESOURCES["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"]["Enabled"] is True


def test_event_queue_has_a_dead_letter_queue_and_a_long_enough_visibility() -> None:
    props = RESOURCES["ReportEventsQueue"]["Properties"]
    assert props["RedrivePolicy"]["maxReceiveCount"] >= 5
    assert props["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ReportEventsDeadLetterQueue", "Arn"]}
    consumers = [
        (logical_id, resource)
        for logical_id, resource in FUNCTIONS.items()
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "SQS"
    ]
    longest = max(
        [int(r["Properties"].get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"])) for _, r in consumers] or [30]
    )
    assert props["VisibilityTimeout"] >= 6 * longest


def test_api_has_stage_throttling_and_a_tighter_limit_on_lookups() -> None:
    api = RESOURCES["LaporApi"]["Properties"]
    stage, lookup = api["MethodSettings"]
    assert stage["ResourcePath"] == "/*" and stage["HttpMethod"] == "*"
    assert "ThrottlingRateLimit" in stage and "ThrottlingBurstLimit" in stage
    # API Gateway writes "/" as "~1" in a method setting's resource path.
    assert lookup["ResourcePath"] == "/~1reports~1{tracking_id}" and lookup["HttpMethod"] == "GET"
    assert {"Path": "/reports/{tracking_id}", "Method": "get"}.items() <= FUNCTIONS["TrackReportFunction"][
        "Properties"
    ]["Events"]["GetReport"]["Properties"].items()


def test_every_function_uses_the_shared_layer_and_a_python_3_12_or_newer_runtime() -> None:
    function_globals = TEMPLATE["Globals"]["Function"]
    assert function_globals["Layers"] == [{"Ref": "SharedLayer"}]
    assert re.fullmatch(r"python3\.(1[2-9]|[2-9]\d)", function_globals["Runtime"])
    for resource in FUNCTIONS.values():
        props = resource["Properties"]
        assert (
            "Layers" not in props and props.get("Runtime", function_globals["Runtime"]) == function_globals["Runtime"]
        )
        assert (ROOT / props["CodeUri"] / "app.py").is_file()


def test_template_routes_and_the_contract_agree() -> None:
    contract = {(op.method, op.path, op.function) for op in OPERATIONS}
    assert api_routes() == contract


@pytest.mark.parametrize("logical_id", sorted({route[2] for route in api_routes()}))
def test_each_function_serves_exactly_its_template_routes(logical_id: str) -> None:
    folder = Path(FUNCTIONS[logical_id]["Properties"]["CodeUri"]).name
    module = load_function(folder)
    served = set(module.router.routes)
    declared = {(m, p) for m, p, f in api_routes() if f == logical_id}
    assert served == declared


def test_layer_requirements_follow_the_project_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [
        line.strip()
        for line in (ROOT / "shared" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert sorted(layer) == sorted(d for d in project if not d.startswith("boto3"))


@pytest.mark.parametrize(
    "logical_id", ["TrackReportFunction", "ApiDocsFunction", "WebPagesFunction", "SubmitReportFunction"]
)
def test_functions_that_read_the_directory_may_query_it(logical_id: str) -> None:
    queries = [s for s in statements(logical_id) if "dynamodb:Query" in s["Action"]]
    table = {"Fn::GetAtt": ["ReportsTable", "Arn"]}
    assert any(s["Resource"] == table or table in s["Resource"] for s in queries)
    for statement in queries:
        keys = statement.get("Condition", {}).get("ForAllValues:StringEquals", {}).get("dynamodb:LeadingKeys")
        assert keys is None or "DIRECTORY" in keys
