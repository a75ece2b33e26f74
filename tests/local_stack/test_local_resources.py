"""The stack creates what the template declares, from the template's own properties."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from lapor_local.resources import creation_order
from lapor_local.stack import LocalStack
from lapor_local.template import TemplateError, load_template, resource_properties

from tests.local_stack.support import TEMPLATE, write_tree

ROOT = Path(__file__).resolve().parents[2]


def client(stack: LocalStack, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.aws_url,
        region_name=stack.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_tables_are_built_from_the_templates_key_schema_indexes_ttl_and_backups(stack: LocalStack) -> None:
    dynamodb = client(stack, "dynamodb")

    table = dynamodb.describe_table(TableName=stack.ref("ItemsTable"))["Table"]

    assert stack.ref("ItemsTable") == "lapor-ItemsTable"
    assert stack.get_att("ItemsTable", "Arn") == table["TableArn"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "by_status"
    assert gsi["KeySchema"][0] == {"AttributeName": "status", "KeyType": "HASH"}
    assert gsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert table["SSEDescription"]["KMSMasterKeyArn"] == stack.ref("ItemsKey")
    ttl = dynamodb.describe_time_to_live(TableName="lapor-ItemsTable")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = dynamodb.describe_continuous_backups(TableName="lapor-ItemsTable")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_queues_carry_the_templates_attributes_and_redrive_policy(stack: LocalStack) -> None:
    sqs = client(stack, "sqs")

    attributes = sqs.get_queue_attributes(QueueUrl=stack.ref("WorkQueue"), AttributeNames=["All"])["Attributes"]

    assert stack.ref("WorkQueue").endswith("/lapor-WorkQueue")
    assert attributes["VisibilityTimeout"] == "30"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": stack.get_att("WorkDeadLetterQueue", "Arn"),
        "maxReceiveCount": 2,
    }
    assert stack.get_att("WorkQueue", "QueueName") == "lapor-WorkQueue"


def test_keys_identities_and_buckets_exist(stack: LocalStack) -> None:
    key = client(stack, "kms").describe_key(KeyId=stack.ref("ItemsKey"))["KeyMetadata"]
    identities = client(stack, "ses").list_identities()["Identities"]
    buckets = client(stack, "s3").list_buckets()["Buckets"]

    assert key["Description"] == "synthetic items key"
    assert key["Arn"] == stack.get_att("ItemsKey", "Arn")
    assert identities == ["noreply@example.org"]
    assert [bucket["Name"] for bucket in buckets] == ["lapor-uploads"]


def test_secrets_are_generated_as_the_template_asks(stack: LocalStack) -> None:
    signing = client(stack, "secretsmanager").get_secret_value(SecretId=stack.ref("SigningSecret"))

    assert stack.ref("SigningSecret").startswith("arn:aws:secretsmanager:")
    assert signing["Name"] == "lapor-SigningSecret"
    assert len(signing["SecretString"]) == 64
    assert signing["SecretString"].isalnum()


def test_resources_whose_condition_is_false_are_not_created(stack: LocalStack) -> None:
    assert "ProdOnlyQueue" not in stack.outputs
    assert "ProdOnlyFunction" not in stack.functions
    assert "Api" not in stack.outputs, "the local stack serves the API itself"


ECHO_ROUTE = 'Echo: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/echo/{name}", Method: get}}'
SCHEDULE = "Properties: {Schedule: rate(1 minute)}"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  ItemsKey:\n", "  Pipe:\n    Type: AWS::Pipes::Pipe\n  ItemsKey:\n", "does not support: Pipe"),
        (ECHO_ROUTE, ECHO_ROUTE.replace("/echo/{name}", "/echo/{proxy+}"), r"not GET /echo/\{proxy\+\}"),
        (ECHO_ROUTE, ECHO_ROUTE.replace("Method: get", "Method: any"), "not ANY /echo"),
        (ECHO_ROUTE, ECHO_ROUTE.replace("RestApiId: !Ref Api, ", ""), "implicit API"),
        (SCHEDULE, 'Properties: {Schedule: "cron(0 1 * * ? *)"}', "rate"),
        (SCHEDULE, "Properties: {Schedule: rate(1 minute), Input: '{}'}", "Input on this event"),
        ("Type: Schedule", "Type: ScheduleV2", "ScheduleV2 events"),
    ],
    ids=["resource-type", "greedy-path", "any-method", "implicit-api", "cron", "input", "schedule-v2"],
)
def test_a_template_feature_the_local_stack_does_not_emulate_stops_the_start_with_its_name(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in TEMPLATE
    root = write_tree(tmp_path / "unsupported", template=TEMPLATE.replace(old, new))
    stack = LocalStack(root, api_port=0, aws_port=0)

    with pytest.raises(TemplateError, match=message):
        stack.start()
    assert stack.aws_url == "", "refused before anything started"


def test_the_functions_share_one_environment_from_the_template(stack: LocalStack) -> None:
    assert os.environ["ITEMS_TABLE"] == "lapor-ItemsTable"
    assert os.environ["WORK_QUEUE_URL"] == stack.ref("WorkQueue")
    assert os.environ["GREETING"] == f"halo-{stack.region}"
    assert os.environ["AWS_ENDPOINT_URL"] == stack.aws_url
    assert os.environ["PUBLIC_BASE_URL"] == stack.api_url
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    # Agencies' test receivers on this machine speak plain http; a deployment accepts https:// only.
    assert os.environ["LAPOR_ALLOW_HTTP_WEBHOOKS"] == "1"


def test_an_explicit_public_base_url_wins(make_stack: Callable[..., LocalStack]) -> None:
    make_stack(public_base_url="https://lapor.example")

    assert os.environ["PUBLIC_BASE_URL"] == "https://lapor.example"


def test_two_functions_needing_different_values_for_one_variable_stop_the_start(
    tmp_path: Path, make_stack: Callable[..., LocalStack]
) -> None:
    text = TEMPLATE.replace(
        "      CodeUri: fn/tick/\n", "      CodeUri: fn/tick/\n      Environment: {Variables: {GREETING: other}}\n"
    )
    root = write_tree(tmp_path / "conflict", template=text)
    before = dict(os.environ)

    with pytest.raises(TemplateError, match="GREETING"):
        make_stack(root=root)
    assert dict(os.environ) == before, "a failed start leaves the environment as it was"


def test_the_directory_is_seeded_when_the_functions_name_a_reports_table(
    tmp_path: Path, make_stack: Callable[..., LocalStack], stub_seed: list[dict[str, Any]]
) -> None:
    text = TEMPLATE.replace(
        "        OUT_DIR: !Ref OutDir\n", "        OUT_DIR: !Ref OutDir\n        REPORTS_TABLE: !Ref ItemsTable\n"
    )

    stack = make_stack(root=write_tree(tmp_path / "seeded", template=text))

    assert stub_seed == [{"path": None, "table": "lapor-ItemsTable", "endpoint": stack.aws_url}]


def test_resources_are_created_after_what_they_refer_to(tmp_path: Path) -> None:
    order = creation_order(load_template(write_tree(tmp_path / "order") / "template.yaml"))

    assert order.index("WorkDeadLetterQueue") < order.index("WorkQueue")
    assert order.index("ItemsKey") < order.index("ItemsTable")


def test_circular_references_are_reported() -> None:
    template = {
        "Resources": {
            "A": {"Type": "AWS::SQS::Queue", "Properties": {"X": {"Ref": "B"}}},
            "B": {"Type": "AWS::SQS::Queue", "Properties": {"X": {"Fn::Sub": "${A.Arn}"}}},
        }
    }

    with pytest.raises(TemplateError, match="circular references between A, B"):
        creation_order(template)


def test_the_repository_template_runs_on_the_local_stack(stub_seed: list[dict[str, Any]]) -> None:
    template = load_template(ROOT / "template.yaml")

    with LocalStack(ROOT, api_port=0, aws_port=0, schedules=False) as stack:
        dynamodb = client(stack, "dynamodb")
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == "AWS::DynamoDB::Table":
                declared = resource_properties(template, logical_id)
                table = dynamodb.describe_table(TableName=stack.ref(logical_id))["Table"]
                assert table["KeySchema"] == declared["KeySchema"]
                assert sorted(index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])) == sorted(
                    index["IndexName"] for index in declared.get("GlobalSecondaryIndexes", [])
                )
                ttl = dynamodb.describe_time_to_live(TableName=stack.ref(logical_id))["TimeToLiveDescription"]
                if "TimeToLiveSpecification" in declared:
                    assert ttl["AttributeName"] == declared["TimeToLiveSpecification"]["AttributeName"]
                else:
                    assert ttl["TimeToLiveStatus"] == "DISABLED"
            if resource["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in resource["Properties"]:
                attributes = client(stack, "sqs").get_queue_attributes(
                    QueueUrl=stack.ref(logical_id), AttributeNames=["RedrivePolicy"]
                )["Attributes"]
                policy = resource["Properties"]["RedrivePolicy"]
                assert json.loads(attributes["RedrivePolicy"]) == {
                    "deadLetterTargetArn": stack.get_att(policy["deadLetterTargetArn"]["Fn::GetAtt"][0], "Arn"),
                    "maxReceiveCount": policy["maxReceiveCount"],
                }
        assert len(stub_seed) == 1
