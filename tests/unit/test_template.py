"""template.yaml: valid, least privilege per function, and the one source of routes, tables and queues."""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest
from lapor.contract import OPERATIONS
from lapor_local.template import Resolver, load_template

from tests import iam
from tests.cfn import sam_transformed
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
    assert granted <= {"dynamodb:GetItem", "dynamodb:Query", "s3:GetObject"}


def s3_resources(logical_id: str, action: str) -> list[str]:
    """The object ARNs (as their !Sub text) on which a function is granted `action`."""
    found = []
    for statement in statements(logical_id):
        granted = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        if action in granted:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            found.extend(r["Fn::Sub"] for r in resources)
    return found


def test_public_lookup_can_never_read_photos_of_confidential_reports() -> None:
    """It may link open photos only; confidential ones are elsewhere, under a key it may not use."""
    from lapor.photos import CONFIDENTIAL_PHOTOS, OPEN_PHOTOS, clean_key

    assert s3_resources("TrackReportFunction", "s3:GetObject") == ["${PhotosBucket.Arn}/" + OPEN_PHOTOS + "*"]
    assert clean_key("LPR-X", "a", confidential=True).startswith(CONFIDENTIAL_PHOTOS)
    assert not clean_key("LPR-X", "a", confidential=True).startswith(OPEN_PHOTOS)
    photo_key = {"Fn::GetAtt": ["PhotoKey", "Arn"]}
    assert not [s for s in statements("TrackReportFunction") if s.get("Resource") == photo_key]
    # Confidential photos are written with SSE-KMS under PhotoKey: reading one needs kms:Decrypt on it.
    writer = [s for s in statements("ProcessPhotoFunction") if s.get("Resource") == photo_key]
    assert [s["Action"] for s in writer] == [["kms:GenerateDataKey"]]
    readers = {
        f for f in FUNCTIONS for s in statements(f) if s.get("Resource") == photo_key and "kms:Decrypt" in s["Action"]
    }
    assert readers == {"ReporterAccessFunction", "AgencyReportsFunction"}


def test_photos_bucket_is_private_tls_only_unlogged_and_originals_last_a_day() -> None:
    bucket = RESOURCES["PhotosBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "LoggingConfiguration" not in bucket, "S3 access logs would hold the uploaders' IP addresses"
    assert "VersioningConfiguration" not in bucket, "a deleted original must be gone, not a noncurrent version"
    (expiry,) = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    assert expiry == {"Id": "ExpireOriginals", "Status": "Enabled", "Prefix": "originals/", "ExpirationInDays": 1}
    policy = RESOURCES["PhotosBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "PhotosBucket"}
    (tls,) = policy["PolicyDocument"]["Statement"]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_uploads_reach_the_photo_queue_through_eventbridge_without_the_uploaders_ip() -> None:
    # S3's own notifications carry requestParameters.sourceIPAddress and userIdentity: the bucket tells only
    # EventBridge, whose rule passes on bucket, key, size and time (issue 23).
    bucket = RESOURCES["PhotosBucket"]["Properties"]
    assert bucket["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    rules = [r for r in RESOURCES.values() if r["Type"] == "AWS::Events::Rule" and "aws.s3" in str(r)]
    assert len(rules) == 1
    rule = rules[0]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [{"Ref": "PhotosBucket"}]}, "object": {"key": [{"prefix": "originals/"}]}},
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["PhotoUploadsQueue", "Arn"]}
    # No DeadLetterConfig: a rule's dead-letter queue keeps the original event, IP included.
    assert set(target) == {"Id", "Arn", "InputTransformer"}
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == {
        "bucket": "$.detail.bucket.name",
        "key": "$.detail.object.key",
        "size": "$.detail.object.size",
        "time": "$.time",
    }
    assert re.findall(r"<(\w+)>", transformer["InputTemplate"]) == ["bucket", "key", "size", "time"]
    assert "aws.events.event" not in transformer["InputTemplate"]  # never the whole event
    # Only that rule may send to the queue; S3 no longer may.
    (statement,) = RESOURCES["PhotoUploadsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["PhotoUploadsRule", "Arn"]}}}


def test_only_the_photo_function_decodes_images_and_pillow_stays_out_of_the_layer() -> None:
    layer = (ROOT / "shared" / "requirements.txt").read_text().lower()
    assert "pillow" not in layer
    assert "pillow" in (ROOT / "functions" / "process_photo" / "requirements.txt").read_text().lower()
    importers = {
        path.relative_to(ROOT).parts[1]
        for path in [*ROOT.glob("functions/*/*.py"), *ROOT.glob("shared/lapor/*.py")]
        if re.search(r"^\s*(from|import) PIL\b", path.read_text(), re.MULTILINE)
    }
    assert importers == {"process_photo"}


def test_photo_processing_may_take_originals_and_store_clean_copies_only() -> None:
    assert actions("ProcessPhotoFunction") == {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "kms:GenerateDataKey",
    }
    assert s3_resources("ProcessPhotoFunction", "s3:GetObject") == ["${PhotosBucket.Arn}/originals/*"]
    assert sorted(s3_resources("ProcessPhotoFunction", "s3:PutObject")) == [
        "${PhotosBucket.Arn}/confidential-photos/*",
        "${PhotosBucket.Arn}/photos/*",
    ]
    assert s3_resources("ProcessPhotoFunction", "s3:DeleteObject") == ["${PhotosBucket.Arn}/originals/*"]
    for uploader in ("ReporterAccessFunction", "AgencyReportsFunction"):
        assert s3_resources(uploader, "s3:PutObject") == ["${PhotosBucket.Arn}/originals/*"]
        assert s3_resources(uploader, "s3:DeleteObject") == []


def test_public_lookup_reads_a_reports_partition_only_through_its_public_attributes() -> None:
    from lapor.store import PUBLIC_ATTRIBUTES

    reads = [s for s in statements("TrackReportFunction") if "REPORT#*" in str(s.get("Condition"))]
    assert len(reads) == 1 and reads[0]["Action"] == ["dynamodb:Query"]
    condition = reads[0]["Condition"]
    assert condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["REPORT#*"]
    # The code asks for exactly what the policy allows: no sealed envelope, no access code hash
    assert condition["ForAllValues:StringEquals"]["dynamodb:Attributes"] == list(PUBLIC_ATTRIBUTES)
    assert condition["StringEqualsIfExists"]["dynamodb:Select"] == "SPECIFIC_ATTRIBUTES"
    assert not {"sealed", "access_code_hash", "rating", "outbox"} & set(PUBLIC_ATTRIBUTES)
    assert not any(s["Action"] == ["dynamodb:GetItem"] for s in statements("TrackReportFunction"))


@pytest.mark.parametrize("logical_id", ["AgencyReportsFunction", "ReporterAccessFunction", "EscalateOverdueFunction"])
def test_functions_that_write_timeline_messages_may_put_items_in_report_partitions_only(logical_id: str) -> None:
    # A message is an item of its report's partition, written just before the change that refers to it
    table = {"Fn::GetAtt": ["ReportsTable", "Arn"]}
    report_puts = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["REPORT#*"]}}
    puts = [s for s in statements(logical_id) if "dynamodb:PutItem" in s["Action"] and s["Resource"] == table]
    messages = [s for s in puts if s.get("Condition") == report_puts]
    assert len(messages) == 1 and messages[0]["Action"] == ["dynamodb:PutItem"]
    # Any other PutItem of the reports table is limited to partitions that are not reports.
    assert all("REPORT#" not in str(s.get("Condition")) for s in puts if s not in messages)
    assert {"dynamodb:UpdateItem", "dynamodb:Query"} <= actions(logical_id)


@pytest.mark.parametrize("logical_id", ["AgencyReportsFunction", "ReporterAccessFunction"])
def test_functions_that_write_private_messages_may_seal_them_under_a_reports_data_key(logical_id: str) -> None:
    # A private message is sealed on every report; one with nothing sealed yet gets its key with the message
    # (issue 23). Only with the tracking_id context: checked for every KMS grant below.
    field_key = {"Fn::GetAtt": ["FieldKey", "Arn"]}
    grants = [s for s in statements(logical_id) if s["Resource"] == field_key]
    assert len(grants) == 1 and sorted(grants[0]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_submission_may_encrypt_but_never_decrypt() -> None:
    granted = actions("SubmitReportFunction")
    assert "kms:GenerateDataKey" in granted
    assert not {"kms:Decrypt", "kms:*", "kms:ReEncrypt*", "kms:ReEncryptFrom"} & granted
    assert not {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan"} & granted


def test_submission_may_read_the_master_secret_and_nothing_else_of_secrets_manager() -> None:
    # Idempotency records are keyed with a secret derived from it (lapor.crypto.derived_key).
    granted = [s for s in statements("SubmitReportFunction") if "secretsmanager" in str(s["Action"])]
    assert granted == [
        {
            "Sid": "IdempotencyKeyingSecret",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": {"Ref": "WebhookSigningSecret"},
        }
    ]


def test_the_agency_function_writes_audit_entries_messages_saved_replies_and_the_roster_only() -> None:
    # Officers' reads and actions are recorded (lapor.store.append_audit), a timeline message is an item of
    # its report's partition, saved replies live in their agency's directory partition, the officers'
    # roster (whom coordinators assign reports to) in its own: nothing else is written.
    writes = {
        s["Sid"]: s
        for s in statements("AgencyReportsFunction")
        if {"dynamodb:PutItem", "dynamodb:DeleteItem"} & set(s["Action"])
    }
    assert set(writes) == {"AppendAuditTrail", "StoreTimelineMessages", "SavedRepliesOnly", "OfficersRoster"}
    expected = {
        "AppendAuditTrail": (["dynamodb:PutItem"], ["AUDIT#*"]),
        "StoreTimelineMessages": (["dynamodb:PutItem"], ["REPORT#*"]),
        "SavedRepliesOnly": (["dynamodb:PutItem", "dynamodb:DeleteItem"], ["DIRECTORY#REPLIES#*"]),
        "OfficersRoster": (["dynamodb:PutItem"], ["DIRECTORY#OFFICERS"]),
    }
    for sid, (granted, keys) in expected.items():
        assert writes[sid]["Action"] == granted
        assert writes[sid]["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": keys}}
    assert "dynamodb:BatchWriteItem" not in actions("AgencyReportsFunction")


def test_open311_reads_cannot_write_decrypt_or_read_more_than_public_reports() -> None:
    from lapor.store import OPEN311_ATTRIBUTES

    granted = actions("Open311Function")
    assert not any(a.startswith("kms:") for a in granted)
    assert granted <= {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
    for statement in statements("Open311Function"):
        if {"dynamodb:GetItem", "dynamodb:BatchGetItem"} & set(statement["Action"]):
            # Reports only: never a partner key, the directory's contacts or anything else by key; and of a
            # report its public attributes only (issue 24, item 3), which is what every read asks for.
            assert statement["Condition"] == {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["REPORT#*"]},
                "ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "sk", *OPEN311_ATTRIBUTES]},
                "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
            }
        elif statement["Sid"] == "ListPublicReports":
            assert statement["Resource"] == [
                {"Fn::Sub": "${ReportsTable.Arn}/index/public"},
                {"Fn::Sub": "${ReportsTable.Arn}/index/public_service"},
            ]
            keys = ["pk", "sk", "public_pk", "service_pk", "public_sk"]
            assert statement["Condition"] == {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["PUBLIC#*"]},
                "ForAllValues:StringEquals": {"dynamodb:Attributes": [*keys, *OPEN311_ATTRIBUTES]},
                "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
            }


def test_open311_filing_has_the_submissions_permissions_and_may_only_count_key_uses() -> None:
    submit = {s["Sid"]: s for s in statements("SubmitReportFunction")}
    filing = {s["Sid"]: s for s in statements("Open311SubmitFunction")}
    counting = filing.pop("CountPartnerKeyUse")
    assert filing == submit
    assert counting["Action"] == ["dynamodb:UpdateItem"]
    assert counting["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["OPEN311_KEY"]}}


def test_the_public_indexes_project_exactly_the_public_attributes() -> None:
    from lapor.store import OPEN311_ATTRIBUTES

    indexes = {i["IndexName"]: i for i in RESOURCES["ReportsTable"]["Properties"]["GlobalSecondaryIndexes"]}
    for name, key in (("public", "public_pk"), ("public_service", "service_pk")):
        assert [k["AttributeName"] for k in indexes[name]["KeySchema"]] == [key, "public_sk"]
        projection = indexes[name]["Projection"]
        assert projection["ProjectionType"] == "INCLUDE"
        assert sorted(projection["NonKeyAttributes"]) == sorted(OPEN311_ATTRIBUTES)
        assert not {"sealed", "access_code_hash", "reporter"} & set(projection["NonKeyAttributes"])


def test_no_function_has_wildcards_or_scans() -> None:
    for logical_id in FUNCTIONS:
        for statement in statements(logical_id):
            granted = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            assert not any(a.endswith(":*") or a == "*" for a in granted), logical_id
            assert "dynamodb:Scan" not in granted, logical_id
            assert statement.get("Resource") not in ("*", ["*"]), logical_id


def test_keys_are_used_only_with_a_tracking_id_context_or_through_s3() -> None:
    for logical_id in FUNCTIONS:
        for statement in statements(logical_id):
            granted = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            if not any(a.startswith("kms:") for a in granted):
                continue
            if statement["Resource"] == {"Fn::GetAtt": ["FieldKey", "Arn"]}:
                assert "tracking_id" in str(statement.get("Condition"))
            else:
                # The photo key, only as S3 uses it for SSE-KMS objects: never to decrypt anything else.
                assert statement["Resource"] == {"Fn::GetAtt": ["PhotoKey", "Arn"]}, logical_id
                assert statement["Condition"] == {
                    "StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}
                }


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


@pytest.mark.parametrize(
    ("queue", "dead_letters"),
    [
        ("ReportEventsQueue", "ReportEventsDeadLetterQueue"),
        ("PhotoUploadsQueue", "PhotoUploadsDeadLetterQueue"),
        ("WhatsAppInboundQueue", "WhatsAppInboundDeadLetterQueue"),
    ],
)
def test_each_queue_has_a_dead_letter_queue_and_a_long_enough_visibility(queue: str, dead_letters: str) -> None:
    props = RESOURCES[queue]["Properties"]
    assert props["RedrivePolicy"]["maxReceiveCount"] >= 5
    assert props["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letters, "Arn"]}
    consumers = [
        resource
        for resource in FUNCTIONS.values()
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "SQS" and event["Properties"]["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    assert len(consumers) == 1
    timeout = int(consumers[0]["Properties"].get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"]))
    assert props["VisibilityTimeout"] >= 6 * timeout


def test_dead_letters_and_stuck_outbox_events_each_raise_an_alarm() -> None:
    from lapor.relay import STUCK_METRIC

    alarms = {k: v["Properties"] for k, v in RESOURCES.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    dead_letters = alarms["DeadLetterQueueAlarm"]
    assert (dead_letters["Namespace"], dead_letters["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert dead_letters["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ReportEventsDeadLetterQueue", "QueueName"]}}
    ]
    assert alarms["WhatsAppDeadLetterAlarm"]["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["WhatsAppInboundDeadLetterQueue", "QueueName"]}}
    ]
    stuck = alarms["StuckOutboxAlarm"]
    # The metric as Powertools writes it from the relay: the functions' namespace, the service dimension.
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert (stuck["Namespace"], stuck["MetricName"]) == (variables["POWERTOOLS_METRICS_NAMESPACE"], STUCK_METRIC)
    assert stuck["Dimensions"] == [{"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}]
    for alarm in (dead_letters, stuck):
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
        assert alarm["AlarmActions"] == [{"Ref": "OperatorAlarmTopic"}]


def test_api_has_stage_throttling_and_a_tighter_limit_on_lookups() -> None:
    api = RESOURCES["LaporApi"]["Properties"]
    stage, *lookups = api["MethodSettings"]
    assert stage["ResourcePath"] == "/*" and stage["HttpMethod"] == "*"
    assert "ThrottlingRateLimit" in stage and "ThrottlingBurstLimit" in stage
    # Every lookup by Tracking ID, the public one and Open311's, and "Sudah dilaporkan?" (a map of open reports
    # for a bot that walks the points); API Gateway writes "/" as "~1".
    by_id = {
        ("GET", "/reports/{tracking_id}"),
        ("GET", "/open311/v2/requests/{request_file}"),
        ("GET", "/reports/nearby"),
    }
    assert {(s["HttpMethod"], s["ResourcePath"]) for s in lookups} == {
        (method, "/" + path.replace("/", "~1")) for method, path in by_id
    }
    for lookup in lookups:
        assert lookup["ThrottlingRateLimit"] == {"Ref": "LookupRateLimit"}
    assert {(m, p) for m, p, _ in api_routes()} >= by_id


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
    contract = [(op.method, op.path, op.function) for op in OPERATIONS]
    assert len({op.operation_id for op in OPERATIONS}) == len({(m, p) for m, p, _ in contract}) == len(contract)
    assert api_routes() == set(contract)


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
    "logical_id",
    [
        "TrackReportFunction",
        "ApiDocsFunction",
        "WebPagesFunction",
        "SubmitReportFunction",
        "Open311Function",
        "Open311SubmitFunction",
    ],
)
def test_functions_that_read_the_directory_may_query_it(logical_id: str) -> None:
    queries = [s for s in statements(logical_id) if "dynamodb:Query" in s["Action"]]
    table = {"Fn::GetAtt": ["ReportsTable", "Arn"]}
    assert any(s["Resource"] == table or table in s["Resource"] for s in queries)
    partitions = [
        s.get("Condition", {}).get("ForAllValues:StringEquals", {}).get("dynamodb:LeadingKeys") for s in queries
    ]
    assert any(keys and "DIRECTORY" in keys for keys in partitions)


# ---------------------------------------------------------------- issue 8.6: promises kept on a real account


def test_the_api_gzips_what_is_worth_it() -> None:
    assert RESOURCES["LaporApi"]["Properties"]["MinimumCompressionSize"] == 1024


def test_sam_creates_one_stage_only_the_throttled_one() -> None:
    resources = sam_transformed(TEMPLATE)["Resources"]
    stages = {k: v for k, v in resources.items() if v["Type"] == "AWS::ApiGateway::Stage"}
    assert len(stages) == 1, sorted(stages)
    ((stage_id, stage),) = stages.items()
    assert stage["Properties"]["StageName"] == {"Ref": "StageName"}
    assert stage["Properties"]["MethodSettings"][0]["ThrottlingRateLimit"] == {"Ref": "ThrottleRateLimit"}
    # A deployment with a StageName would create a second, unthrottled stage (SAM's implicit "Stage").
    deployments = [v for v in resources.values() if v["Type"] == "AWS::ApiGateway::Deployment"]
    assert deployments and all("StageName" not in d["Properties"] for d in deployments)
    # WAF guards that very stage.
    arn = resources["LaporWebAclAssociation"]["Properties"]["ResourceArn"]
    assert arn["Fn::Sub"].endswith(f"/restapis/${{LaporApi}}/stages/${{{stage_id}}}")


@pytest.mark.parametrize(("name", "allowed"), [("v1", True), ("prod_2", True), ("Stage", False), ("v-1", False)])
def test_stage_name_cannot_collide_with_sams_implicit_stage(name: str, allowed: bool) -> None:
    pattern = TEMPLATE["Parameters"]["StageName"]["AllowedPattern"]
    assert (re.fullmatch(pattern, name) is not None) is allowed


def resolved_statements(logical_id: str) -> list[dict[str, Any]]:
    """Statements with intrinsics evaluated; resources stand in as "LogicalId.Attribute" placeholders."""
    resolver = Resolver(TEMPLATE, region="ap-southeast-3")
    return [resolver.resolve(s) for s in statements(logical_id)]


def kms_grants() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (logical_id, action, statement)
        for logical_id in FUNCTIONS
        for statement in resolved_statements(logical_id)
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        if action.startswith("kms:")
    ]


def test_kms_grants_need_the_tracking_id_context_and_nothing_else() -> None:
    # The photo key is used only through S3 (SSE-KMS), which sends its own context: checked on its own below.
    grants = [g for g in kms_grants() if g[2]["Resource"] != "PhotoKey.Arn"]
    assert {g[0] for g in grants} >= {"SubmitReportFunction", "AgencyReportsFunction", "ReporterAccessFunction"}
    for logical_id, action, statement in grants:
        key = "FieldKey.Arn"
        assert iam.allows(statement, iam.Request(action, key, {"kms:EncryptionContextKeys": ("tracking_id",)}))
        # ForAllValues alone is satisfied by an empty set: a call without any context must still be refused.
        assert not iam.allows(statement, iam.Request(action, key, {})), logical_id
        assert not iam.allows(statement, iam.Request(action, key, {"kms:EncryptionContextKeys": ("tracking_id", "x")}))


def dynamodb_request(action: str, table: str, leading: str, index: str | None = None) -> iam.Request:
    resource = f"{table}.Arn" + (f"/index/{index}" if index else "")
    return iam.Request(f"dynamodb:{action}", resource, {"dynamodb:LeadingKeys": (leading,)})


def allowed(logical_id: str, request: iam.Request) -> bool:
    return bool(iam.allowing(resolved_statements(logical_id), request))


DYNAMODB_READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
# Read-only statements of read-only functions that list no attributes, and why.
UNLISTED_READS = {
    ("TrackReportFunction", "ReadStats"): "public counters, one per working day (frd_<n>): no fixed names",
}


def leading_keys(statement: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (operator, keys["dynamodb:LeadingKeys"])
        for operator, keys in statement.get("Condition", {}).items()
        if operator.startswith("ForAllValues:String") and "dynamodb:LeadingKeys" in keys
    ]


def dynamodb_statements() -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, statement)
        for logical_id in FUNCTIONS
        for statement in statements(logical_id)
        if any(a.startswith("dynamodb:") for a in iam._as_list(statement["Action"]))
    ]


def test_every_dynamodb_statement_names_the_partitions_it_may_touch() -> None:
    # Issue 24, item 3: GetItem and UpdateItem too (a statement without LeadingKeys reaches every partition:
    # the unauthenticated support counter could have changed OPEN311_KEY or AUDIT# items).
    missing = []
    for logical_id, statement in dynamodb_statements():
        found = leading_keys(statement)
        named = [keys for operator, keys in found if "Not" not in operator]
        if not named:
            missing.append(f"{logical_id} {statement.get('Sid')}")
    assert missing == [], "DynamoDB statements without dynamodb:LeadingKeys: " + ", ".join(missing)


def test_replay_statements_reach_replay_records_only() -> None:
    # A replay record is keyed by the hex of a keyed hash; the notifier's deliveries and the WhatsApp records
    # (message claims, conversations, limits, opt-outs) share the table under prefixes, out of the replays' reach.
    # (tests/integration/test_permissions.py: the real replay records of every replaying function are allowed.)
    from lapor.store import (
        WHATSAPP_CHAT_PREFIX,
        WHATSAPP_LIMIT_PREFIX,
        WHATSAPP_MESSAGE_PREFIX,
        WHATSAPP_OPT_OUT_PREFIX,
    )

    replay = hashlib.sha256(uuid.uuid4().bytes).hexdigest()  # the form of crypto.idempotency_record_id
    others = [
        f"{prefix}{replay}"
        for prefix in ("delivery:", WHATSAPP_MESSAGE_PREFIX, WHATSAPP_CHAT_PREFIX, WHATSAPP_OPT_OUT_PREFIX)
    ] + [f"{WHATSAPP_LIMIT_PREFIX}{replay}#2026-12-06T10"]
    replays = {
        (logical_id, statement["Sid"]): statement
        for logical_id in FUNCTIONS
        for statement in resolved_statements(logical_id)
        if statement.get("Sid") in ("StoreReplays", "ReadReplays")
    }
    assert {logical_id for logical_id, _ in replays} == {
        "SubmitReportFunction",
        "Open311SubmitFunction",
        "WhatsAppConversationFunction",
    }
    for (logical_id, sid), statement in replays.items():
        action = "PutItem" if sid == "StoreReplays" else "GetItem"
        read = (
            {"dynamodb:Attributes": ("pk",), "dynamodb:Select": ("SPECIFIC_ATTRIBUTES",)}
            if sid == "ReadReplays"
            else {}
        )

        def request(key: str) -> iam.Request:
            found = dynamodb_request(action, "IdempotencyTable", key)  # noqa: B023 - used at once
            return iam.Request(found.action, found.resource, {**found.context, **read})  # noqa: B023

        assert iam.allows(statement, request(replay)), (logical_id, sid)
        for key in others:
            assert not iam.allows(statement, request(key)), (logical_id, sid, key)


def test_read_only_functions_read_named_attributes_only() -> None:
    # Issue 24, item 3: a function that only reads gets each item's listed attributes and nothing more, and its
    # reads must ask for them by name (Select SPECIFIC_ATTRIBUTES: a read without a projection is refused).
    read_only = [
        logical_id
        for logical_id in FUNCTIONS
        if {a for a in actions(logical_id) if a.startswith("dynamodb:")} <= DYNAMODB_READS
    ]
    assert {"TrackReportFunction", "Open311Function", "ApiDocsFunction", "WebPagesFunction"} <= set(read_only)
    unlimited = []
    for logical_id, statement in dynamodb_statements():
        if logical_id not in read_only or (logical_id, statement.get("Sid")) in UNLISTED_READS:
            continue
        condition = statement.get("Condition", {})
        listed = condition.get("ForAllValues:StringEquals", {}).get("dynamodb:Attributes")
        select = {**condition.get("StringEquals", {}), **condition.get("StringEqualsIfExists", {})}
        if not listed or select.get("dynamodb:Select") != "SPECIFIC_ATTRIBUTES":
            unlimited.append(f"{logical_id} {statement.get('Sid')}")
    assert unlimited == [], "read-only statements without dynamodb:Attributes and Select: " + ", ".join(unlimited)


def attribute_condition(statement: dict[str, Any]) -> tuple[list[str] | None, str | None]:
    """A statement's dynamodb:Attributes (ForAllValues:StringEquals) and dynamodb:Select (StringEquals[IfExists])."""
    condition = statement.get("Condition", {})
    listed = condition.get("ForAllValues:StringEquals", {}).get("dynamodb:Attributes")
    select = {**condition.get("StringEquals", {}), **condition.get("StringEqualsIfExists", {})}.get("dynamodb:Select")
    return listed, select


def test_every_read_names_the_attributes_it_may_read() -> None:
    # Issue 24, item 3, for every function, those that also write included: each statement that allows a read
    # lists the attributes it may read, with Select SPECIFIC_ATTRIBUTES (a read without a projection is refused).
    # A statement that reads must not also write: dynamodb:Attributes would then limit what is written too.
    unlimited, mixed = [], []
    for logical_id, statement in dynamodb_statements():
        granted = set(iam._as_list(statement["Action"]))
        if not granted & DYNAMODB_READS or (logical_id, statement.get("Sid")) in UNLISTED_READS:
            continue
        listed, select = attribute_condition(statement)
        if not listed or select != "SPECIFIC_ATTRIBUTES":
            unlimited.append(f"{logical_id} {statement.get('Sid')}")
        if granted - DYNAMODB_READS:
            mixed.append(f"{logical_id} {statement.get('Sid')}")
    assert unlimited == [], "reading statements without dynamodb:Attributes and Select: " + ", ".join(unlimited)
    assert mixed == [], "statements that read and write: " + ", ".join(mixed)


def _with_messages(attributes: tuple[str, ...]) -> tuple[str, ...]:
    from lapor.store import DATA_REQUEST_ATTRIBUTES, MESSAGE_ATTRIBUTES

    return tuple(dict.fromkeys((*attributes, *MESSAGE_ATTRIBUTES, *DATA_REQUEST_ATTRIBUTES)))


def reading_lists() -> dict[tuple[str, str], tuple[str, ...]]:
    """What each reading statement of the functions that also write must list: the layer's lists, which the code
    projects (one owner: lapor.store; the template's copies are compared here, so they cannot drift)."""
    from lapor import store

    view = store.VIEW_ATTRIBUTES
    return {
        ("AgencyReportsFunction", "ReadReports"): view,
        ("AgencyReportsFunction", "ReadReportWithMessages"): _with_messages(view),
        ("AgencyReportsFunction", "ReadInboxes"): store.INBOX_ATTRIBUTES,
        ("AgencyReportsFunction", "ReadSavedReplies"): store.REPLY_ATTRIBUTES,
        ("AgencyReportsFunction", "ReadAssignedReports"): store.INBOX_ATTRIBUTES,
        ("AgencyReportsFunction", "ReadOfficersRoster"): store.ROSTER_ATTRIBUTES,
        ("AgencyReportsFunction", "ReadNearbyReports"): store.NEARBY_READ,
        ("AgencyReportsFunction", "ReadAccountRefusals"): store.ACCESS_ATTRIBUTES,
        ("AgencyAdminFunction", "ReadAccountRefusals"): store.ACCESS_ATTRIBUTES,
        ("AgencyAdminFunction", "ReadSettingsTrail"): store.SETTINGS_TRAIL_ATTRIBUTES,
        ("AgencyAdminFunction", "OpenReportsOfAnAgency"): store.INBOX_ATTRIBUTES,
        ("ReporterAccessFunction", "ReadReport"): store.REPORTER_ATTRIBUTES,
        ("ReporterAccessFunction", "ReadReportWithTimeline"): _with_messages(view),
        ("ReporterAccessFunction", "ExportReport"): store.EXPORT_ATTRIBUTES,
        ("NotifyAgencyFunction", "ReadReports"): store.NOTIFY_ATTRIBUTES,
        ("NotifyAgencyFunction", "ReadDeliveryState"): store.DELIVERY_ATTRIBUTES,
        ("ProcessPhotoFunction", "ReadReport"): store.PHOTO_ATTRIBUTES,
        ("RelayEventsFunction", "ReadPendingOutbox"): store.OUTBOX_ATTRIBUTES,
        ("EscalateOverdueFunction", "ReadOnlyWhatIsDue"): store.DEADLINE_ATTRIBUTES,
        ("ErasePersonalDataFunction", "ReadOnlyWhatIsDueForErasure"): (
            "pk",
            "sk",
            "retain_pk",
            *store.RETENTION_ATTRIBUTES,
        ),
        ("ErasePersonalDataFunction", "FindPrivateMessages"): store.KEY_ATTRIBUTES,
        ("SupportReportFunction", "FindReport"): store.KEY_ATTRIBUTES,
        ("SubmitReportFunction", "ReadReplays"): store.REPLAY_ATTRIBUTES,
        ("Open311SubmitFunction", "ReadReplays"): store.REPLAY_ATTRIBUTES,
        ("NotifyAgencyFunction", "WhatsAppOptOutAndWindow"): store.WHATSAPP_CONTACT_ATTRIBUTES,
        ("WhatsAppConversationFunction", "ReadReport"): store.REPORTER_ATTRIBUTES,
        ("WhatsAppConversationFunction", "ReadReportWithTimeline"): _with_messages(view),
        ("WhatsAppConversationFunction", "ReadReplays"): store.REPLAY_ATTRIBUTES,
        ("WhatsAppConversationFunction", "ReadConversations"): store.CONVERSATION_ATTRIBUTES,
    }


def test_the_reads_of_functions_that_write_list_the_layers_attributes() -> None:
    # The template's lists are copies of lapor.store's (CloudFormation has no way to share one): equal, in order.
    expected = reading_lists()
    for (logical_id, sid), attributes in expected.items():
        (statement,) = [s for s in statements(logical_id) if s.get("Sid") == sid]
        assert attribute_condition(statement) == (list(attributes), "SPECIFIC_ATTRIBUTES"), (logical_id, sid)
    # Every reading statement of a function that writes is named above (or is a directory read).
    read_only = {"TrackReportFunction", "Open311Function", "ApiDocsFunction", "WebPagesFunction", "ConsoleFunction"}
    unnamed = [
        (logical_id, statement.get("Sid"))
        for logical_id, statement in dynamodb_statements()
        if logical_id not in read_only
        and set(iam._as_list(statement["Action"])) & DYNAMODB_READS
        and ("ForAllValues:StringEquals", ["DIRECTORY"]) not in leading_keys(statement)
        and (logical_id, statement.get("Sid")) not in expected
    ]
    assert unnamed == []


def test_no_view_reads_the_access_codes_secrets_and_only_the_reporters_check_does() -> None:
    from lapor import store

    secrets = {"access_code_hash", store.WRONG_CODES}
    for (logical_id, sid), attributes in reading_lists().items():
        # The WhatsApp conversation checks the access code as the reporter's function does (the same use case).
        checks = {("ReporterAccessFunction", "ReadReport"), ("WhatsAppConversationFunction", "ReadReport")}
        assert bool(secrets & set(attributes)) == ((logical_id, sid) in checks)
    assert set(store.REPORT_ATTRIBUTES) >= set(store.REPORTER_ATTRIBUTES) >= set(store.VIEW_ATTRIBUTES)
    # The inbox decrypts nothing and shows no content: it reads no envelope, description, location or message.
    assert not {"sealed", "description", "location", "timeline", "rating"} & set(store.INBOX_ATTRIBUTES)
    assert set(store.INBOX_ATTRIBUTES) <= set(store.VIEW_ATTRIBUTES)
    assert not [a for a in store.REPORT_ATTRIBUTES if "@" in a or "#" in a]  # fixed names only


# UpdateItem statements that may answer with the whole item (ReturnValues ALL_NEW), and why.
WHOLE_ITEM_ANSWERS = {
    ("Open311SubmitFunction", "CountPartnerKeyUse"): "the partner key's record (no personal data): its key id",
}


def test_writes_never_answer_with_more_than_they_changed() -> None:
    # An UpdateItem with ReturnValues ALL_OLD or ALL_NEW reads the whole item: every UpdateItem statement allows
    # NONE (or UPDATED_NEW: the attributes the request changes) only, so no write reads what the reads may not.
    loose = []
    for logical_id, statement in dynamodb_statements():
        if "dynamodb:UpdateItem" not in iam._as_list(statement["Action"]):
            continue
        if (logical_id, statement.get("Sid")) in WHOLE_ITEM_ANSWERS:
            continue
        returns = statement.get("Condition", {}).get("StringEqualsIfExists", {}).get("dynamodb:ReturnValues")
        if not returns or not set(returns) <= {"NONE", "UPDATED_NEW"}:
            loose.append(f"{logical_id} {statement.get('Sid')}")
    assert loose == [], "UpdateItem statements that may return whole items: " + ", ".join(loose)
    update = iam.Request("dynamodb:UpdateItem", "ReportsTable.Arn", {"dynamodb:LeadingKeys": ("REPORT#AB12CD34EF",)})
    for returns in ("ALL_NEW", "ALL_OLD", "UPDATED_OLD"):
        refused = iam.Request(update.action, update.resource, {**update.context, "dynamodb:ReturnValues": (returns,)})
        assert not allowed("SupportReportFunction", refused)
    answered = iam.Request(
        update.action, update.resource, {**update.context, "dynamodb:ReturnValues": ("UPDATED_NEW",)}
    )
    assert allowed("SupportReportFunction", answered)


def test_directory_reads_ask_for_what_the_policies_allow() -> None:
    from lapor.store import DIRECTORY_ATTRIBUTES, VERSIONED_DIRECTORY_ATTRIBUTES

    reads = [
        (logical_id, s)
        for logical_id, s in dynamodb_statements()
        if ("ForAllValues:StringEquals", ["DIRECTORY"]) in leading_keys(s) and "dynamodb:Query" in s["Action"]
    ]
    assert len(reads) == 11  # the WhatsApp conversation lists the categories, the administrator edits them
    for logical_id, statement in reads:
        assert statement["Action"] == ["dynamodb:Query"], logical_id
        condition = statement["Condition"]
        # Only the administrators' editor reads the entries' versions (for If-Match).
        expected = VERSIONED_DIRECTORY_ATTRIBUTES if logical_id == "AgencyAdminFunction" else DIRECTORY_ATTRIBUTES
        assert condition["ForAllValues:StringEquals"]["dynamodb:Attributes"] == list(expected)
        assert condition["StringEqualsIfExists"]["dynamodb:Select"] == "SPECIFIC_ATTRIBUTES"


def item_request(action: str, leading: str, *attributes: str) -> iam.Request:
    context = {"dynamodb:LeadingKeys": (leading,)}
    if action == "GetItem":
        select = "SPECIFIC_ATTRIBUTES" if attributes else "ALL_ATTRIBUTES"
        context |= {"dynamodb:Attributes": ("pk", "sk", *attributes), "dynamodb:Select": (select,)}
    return iam.Request(f"dynamodb:{action}", "ReportsTable.Arn", context)


@pytest.mark.parametrize("partition", ["OPEN311_KEY", "AUDIT#AB12CD34EF", "STATS", "DIRECTORY", "DUE"])
@pytest.mark.parametrize("action", ["GetItem", "UpdateItem"])
def test_the_support_counter_reaches_report_items_only(action: str, partition: str) -> None:
    # Its read asks for the key only: whether the report exists
    assert allowed("SupportReportFunction", item_request(action, "REPORT#AB12CD34EF", "pk"))
    assert not allowed("SupportReportFunction", item_request(action, partition, "pk"))
    assert not allowed("SupportReportFunction", item_request("GetItem", "REPORT#AB12CD34EF"))  # the whole item
    assert not allowed("SupportReportFunction", item_request("GetItem", "REPORT#AB12CD34EF", "access_code_hash"))


def test_open311_reads_reports_by_id_through_their_public_attributes_only() -> None:
    from lapor.store import OPEN311_ATTRIBUTES

    for action in ("GetItem", "BatchGetItem"):
        assert allowed("Open311Function", item_request(action, "REPORT#AB12CD34EF", *OPEN311_ATTRIBUTES))
        assert not allowed("Open311Function", item_request(action, "OPEN311_KEY", *OPEN311_ATTRIBUTES))
    assert not allowed("Open311Function", item_request("GetItem", "REPORT#AB12CD34EF"))  # the whole item
    assert not allowed("Open311Function", item_request("GetItem", "REPORT#AB12CD34EF", "sealed"))
    assert not allowed("Open311Function", item_request("GetItem", "REPORT#AB12CD34EF", "access_code_hash"))


def test_submission_cannot_read_reports_or_query_replays() -> None:
    assert not allowed("SubmitReportFunction", dynamodb_request("GetItem", "ReportsTable", "REPORT#AB12CD34EF"))
    assert not allowed("SubmitReportFunction", dynamodb_request("Query", "IdempotencyTable", "abc"))
    assert not allowed("SubmitReportFunction", dynamodb_request("Query", "ReportsTable", "REPORT#AB12CD34EF"))
    assert not allowed("SubmitReportFunction", dynamodb_request("PutItem", "ReportsTable", "STATS"))
    assert not allowed("SubmitReportFunction", dynamodb_request("PutItem", "IdempotencyTable", "delivery:x"))
    assert allowed("SubmitReportFunction", dynamodb_request("PutItem", "ReportsTable", "REPORT#AB12CD34EF"))
    assert allowed("SubmitReportFunction", dynamodb_request("Query", "ReportsTable", "DIRECTORY"))


@pytest.mark.parametrize("action", ["PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query"])
def test_notify_touches_only_delivery_records_of_the_idempotency_table(action: str) -> None:
    # A citizen's replay record holds a sealed receipt with the access code: out of the notifier's reach.
    assert not allowed("NotifyAgencyFunction", dynamodb_request(action, "IdempotencyTable", "3f9a0c"))
    expected = action != "Query"
    assert (
        allowed("NotifyAgencyFunction", dynamodb_request(action, "IdempotencyTable", "delivery:ev-1:email")) is expected
    )


def test_every_function_has_a_log_group_with_a_retention() -> None:
    retention = TEMPLATE["Parameters"]["LogRetentionDays"]
    assert retention["Default"] == 90 and retention["Type"] == "Number"
    groups = {
        json.dumps(r["Properties"]["LogGroupName"]): r["Properties"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    for logical_id in FUNCTIONS:
        group = groups.get(json.dumps({"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}))
        assert group is not None, f"{logical_id} has no log group"
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert "Condition" not in RESOURCES[logical_id]


def test_the_dead_letter_queue_keeps_messages_longer_than_its_source() -> None:
    # SQS keeps a message's first enqueue time when it moves it: equal retentions would expire it at once.
    source = RESOURCES["ReportEventsQueue"]["Properties"]["MessageRetentionPeriod"]
    dlq = RESOURCES["ReportEventsDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"]
    assert dlq > source and dlq - source >= 7 * 86400


def test_officers_must_use_totp() -> None:
    pool = RESOURCES["AgencyUserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_one_aws_call_with_all_its_retries_ends_inside_every_function_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from lapor import aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-3")
    aws.reset_clients()
    try:
        config = aws.client("dynamodb").meta.config  # builds a client; calls nothing
    finally:
        aws.reset_clients()
    assert config.retries["mode"] == "standard"
    # botocore's max_attempts counts retries, total_max_attempts counts the first call too.
    attempts = config.retries.get("total_max_attempts") or config.retries["max_attempts"] + 1
    # Standard mode waits up to min(2**i s, 20 s) before retry i+1 (the throttling scale, the longest).
    backoff = sum(min(2**i, 20) for i in range(attempts - 1))
    budget = attempts * (config.connect_timeout + config.read_timeout) + backoff
    timeouts = [
        int(f["Properties"].get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"])) for f in FUNCTIONS.values()
    ]
    assert budget < min(timeouts), f"one call may take {budget} s; the shortest Timeout is {min(timeouts)} s"


GATEWAY_5XX = [
    "API_CONFIGURATION_ERROR",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "AUTHORIZER_FAILURE",
    "INTEGRATION_FAILURE",
    "INTEGRATION_TIMEOUT",
    "DEFAULT_5XX",
]


def test_gateway_responses_say_their_real_status_in_the_problem_body() -> None:
    responses = RESOURCES["LaporApi"]["Properties"]["GatewayResponses"]
    assert set(GATEWAY_5XX) <= set(responses)
    for name, response in responses.items():
        # A template cannot read the status, so each response pins one and its body repeats it.
        assert "StatusCode" in response, name
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert body["status"] == int(response["StatusCode"]), name
        assert response["ResponseParameters"]["Headers"]["Content-Type"] == "'application/problem+json'"
    assert all(500 <= int(responses[name]["StatusCode"]) < 600 for name in GATEWAY_5XX)


def test_layer_ships_the_zone_database_and_no_jwt_or_tooling() -> None:
    layer = (ROOT / "shared" / "requirements.txt").read_text().lower()
    assert re.search(r"^tzdata\b", layer, re.M)
    assert "pyjwt" not in layer
    for path in [*(ROOT / "shared" / "lapor").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "jwt" for n in names), f"{path} imports jwt: the layer has no PyJWT"
            # Seeding, dev tokens and the local stack live in infra/, which is never deployed.
            assert not any(n.split(".")[0] == "lapor_local" for n in names), f"{path} imports the local tooling"


def test_layer_claims_only_the_runtime_it_was_built_for() -> None:
    layer = RESOURCES["SharedLayer"]
    assert layer["Properties"]["CompatibleRuntimes"] == [TEMPLATE["Globals"]["Function"]["Runtime"]]
    assert layer["Properties"]["CompatibleArchitectures"] == TEMPLATE["Globals"]["Function"]["Architectures"]


def test_the_webhook_secret_arn_is_an_output() -> None:
    assert TEMPLATE["Outputs"]["WebhookSigningSecretArn"]["Value"] == {"Ref": "WebhookSigningSecret"}


def test_waf_is_optional_on_by_default_and_limits_rate_and_body_size() -> None:
    from lapor.http import MAX_BODY_BYTES

    assert TEMPLATE["Parameters"]["EnableWaf"]["Default"] == "true"
    assert TEMPLATE["Conditions"]["WafEnabled"] == {"Fn::Equals": [{"Ref": "EnableWaf"}, "true"]}
    waf = {k: v for k, v in RESOURCES.items() if v["Type"].startswith("AWS::WAFv2::")}
    assert {v["Type"] for v in waf.values()} == {"AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation"}
    assert all(v["Condition"] == "WafEnabled" for v in waf.values())
    (acl,) = [v["Properties"] for v in waf.values() if v["Type"] == "AWS::WAFv2::WebACL"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    rate = [r["Statement"]["RateBasedStatement"] for r in rules.values() if "RateBasedStatement" in r["Statement"]]
    assert len(rate) == 2 and all(r["AggregateKeyType"] == "IP" for r in rate)
    (size,) = [
        r["Statement"]["SizeConstraintStatement"] for r in rules.values() if "SizeConstraintStatement" in r["Statement"]
    ]
    assert size["ComparisonOperator"] == "GT" and size["Size"] == MAX_BODY_BYTES
    assert size["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    assert acl["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"] == "KB_64"
    # IP addresses stay with WAF: no logging configuration, no sampled requests.
    assert not any(v["Type"] == "AWS::WAFv2::LoggingConfiguration" for v in RESOURCES.values())
    configs = [acl["VisibilityConfig"], *(r["VisibilityConfig"] for r in rules.values())]
    assert all(c["SampledRequestsEnabled"] is False for c in configs)


def waf_matches(statement: dict[str, Any], request: dict[str, Any]) -> bool:
    """Whether a WAF statement of the kinds the template uses matches a request (path, query, headers)."""
    from urllib.parse import unquote

    ((kind, spec),) = statement.items()
    if kind in ("AndStatement", "OrStatement"):
        results = [waf_matches(s, request) for s in spec["Statements"]]
        return all(results) if kind == "AndStatement" else any(results)
    if kind == "NotStatement":
        return not waf_matches(spec["Statement"], request)
    ((field, options),) = spec["FieldToMatch"].items()
    value = {"UriPath": request["path"], "QueryString": request.get("query", "")}.get(field)
    if field == "SingleHeader":
        value = request.get("headers", {}).get(options["Name"])
        if value is None:
            return False  # a missing header matches no size constraint
    for step in sorted(spec["TextTransformations"], key=lambda s: s["Priority"]):
        value = {"LOWERCASE": str.lower, "URL_DECODE": unquote, "NONE": str}[step["Type"]](value)
    if kind == "ByteMatchStatement":
        assert spec["PositionalConstraint"] == "CONTAINS"
        return spec["SearchString"] in value
    if kind == "RegexMatchStatement":
        return re.search(spec["RegexString"], value) is not None
    if kind == "SizeConstraintStatement":
        assert spec["ComparisonOperator"] == "GT"
        return len(value) > spec["Size"]
    raise AssertionError(f"a WAF statement this test does not know: {kind}")


@pytest.mark.parametrize(
    ("request_", "counted_by"),
    [
        ({"path": "/v1/reports", "query": ""}, {"CitizenRequestsPerIp"}),
        ({"path": "/v1/reports/LPR-7KQ2-M9XD-3FHW"}, {"CitizenRequestsPerIp", "LookupsPerIp"}),
        ({"path": "/reports/LPR-7KQ2-M9XD-3FHW"}, {"CitizenRequestsPerIp", "LookupsPerIp"}),  # a custom domain
        ({"path": "/v1/reports/LPR-7KQ2-M9XD-3FHW/private"}, {"CitizenRequestsPerIp"}),
        ({"path": "/v1/open311/v2/requests/LPR-7KQ2-M9XD-3FHW.json"}, {"CitizenRequestsPerIp", "LookupsPerIp"}),
        (
            {"path": "/v1/open311/v2/requests.json", "query": "service_request_id=LPR-A%2CLPR-B"},
            {"CitizenRequestsPerIp", "LookupsPerIp"},
        ),
        ({"path": "/v1/open311/v2/requests.json", "query": "status=open"}, {"CitizenRequestsPerIp"}),
        (
            {"path": "/v1/reports/nearby", "query": "lat=-0.95&lon=114.9&category=x"},
            {"CitizenRequestsPerIp", "LookupsPerIp"},
        ),
        (
            {"path": "/v1/open311/v2/requests.json", "query": "lat=-0.95&long=114.9&radius=500"},
            {"CitizenRequestsPerIp", "LookupsPerIp"},
        ),
        ({"path": "/v1/agency/reports", "headers": {"authorization": "Bearer x"}}, set()),
        ({"path": "/v1/agency/reports", "headers": {}}, {"CitizenRequestsPerIp"}),  # no token: no exemption
        # Meta's few addresses carry every citizen's WhatsApp messages; the signature check still guards it.
        ({"path": "/v1/whatsapp/webhook"}, set()),
        ({"path": "/whatsapp/webhook"}, set()),
        ({"path": "/v1/whatsapp/webhook/x"}, {"CitizenRequestsPerIp"}),
    ],
)
def test_waf_counts_citizens_and_lookups_per_address_and_exempts_only_officers_with_a_token(
    request_: dict[str, Any], counted_by: set[str]
) -> None:
    """Second audit, item 6: one crowd cannot fill the lookup bucket for everyone, and /agency/ without a token
    is no way around the per-address limit."""
    (acl,) = [v["Properties"] for v in RESOURCES.values() if v["Type"] == "AWS::WAFv2::WebACL"]
    counting = {
        rule["Name"]
        for rule in acl["Rules"]
        if "RateBasedStatement" in rule["Statement"]
        and waf_matches(rule["Statement"]["RateBasedStatement"]["ScopeDownStatement"], request_)
    }
    assert counting == counted_by
    lookups = next(r for r in acl["Rules"] if r["Name"] == "LookupsPerIp")["Statement"]["RateBasedStatement"]
    assert lookups["Limit"] == {"Ref": "WafLookupRateLimit"} and lookups["EvaluationWindowSec"] == 300


def test_the_local_stack_knows_every_resource_type_of_the_template() -> None:
    from lapor_local.resources import CREATORS, NOTHING_TO_CREATE

    unknown = {v["Type"] for v in RESOURCES.values()} - set(CREATORS) - NOTHING_TO_CREATE
    assert unknown == set(), "the local stack would refuse to start: give each a creator or list it"


def test_only_the_agency_function_may_touch_saved_replies() -> None:
    for logical_id in FUNCTIONS:
        for other in statements(logical_id):
            assert "REPLIES" not in str(other.get("Condition", {})) or logical_id == "AgencyReportsFunction"


def test_the_console_function_has_no_permission_at_all() -> None:
    assert statements("ConsoleFunction") == []


def test_only_the_retention_function_may_delete_report_items_and_confidential_photos() -> None:
    # Issue 23: the data key (sealed envelope), the contact, PRIVATE# items and confidential photos are destroyed
    # by one function, run by a schedule; no API function may delete any of them.
    table = {"Fn::GetAtt": ["ReportsTable", "Arn"]}
    for logical_id in FUNCTIONS:
        if logical_id == "ErasePersonalDataFunction":
            continue
        for statement in statements(logical_id):
            granted = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            if "dynamodb:DeleteItem" in granted and statement["Resource"] == table:
                condition = statement["Condition"]
                found = condition.get("ForAllValues:StringLike") or condition["ForAllValues:StringEquals"]
                keys = found["dynamodb:LeadingKeys"]
                assert not [k for k in keys if k.startswith("REPORT#")], logical_id
        assert not [r for r in s3_resources(logical_id, "s3:DeleteObject") if "confidential-photos/" in r], logical_id

    granted = {s["Sid"]: s for s in statements("ErasePersonalDataFunction")}
    assert actions("ErasePersonalDataFunction") == {
        "dynamodb:Query",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "s3:DeleteObject",
    }  # no KMS (destroying a wrapped key needs none), no reads of whole items, no writes of new ones
    index = granted["ReadOnlyWhatIsDueForErasure"]
    assert index["Resource"] == {"Fn::Sub": "${ReportsTable.Arn}/index/retention"}
    from lapor.store import RETENTION_ATTRIBUTES

    assert index["Condition"]["ForAllValues:StringEquals"] == {
        "dynamodb:LeadingKeys": ["RETAIN"],
        "dynamodb:Attributes": ["pk", "sk", "retain_pk", *RETENTION_ATTRIBUTES],  # never the sealed envelope
    }
    # In a report's partition it reads keys only (never a message's text), then deletes and updates there only.
    private = granted["FindPrivateMessages"]["Condition"]
    assert private["ForAllValues:StringEquals"]["dynamodb:Attributes"] == ["pk", "sk"]
    for sid in ("FindPrivateMessages", "DeletePrivateMessages", "ShredTheDataKey"):
        assert granted[sid]["Condition"]["ForAllValues:StringLike"] == {"dynamodb:LeadingKeys": ["REPORT#*"]}
    assert sorted(s3_resources("ErasePersonalDataFunction", "s3:DeleteObject")) == [
        "${PhotosBucket.Arn}/confidential-photos/*",
        "${PhotosBucket.Arn}/originals/*",
    ]
    (event,) = FUNCTIONS["ErasePersonalDataFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "Schedule"


def test_retention_periods_are_parameters_and_audit_entries_expire_by_ttl() -> None:
    from lapor.store import RETENTION_ATTRIBUTES

    params = TEMPLATE["Parameters"]
    assert params["PersonalDataRetentionDays"]["Default"] == 365
    assert params["AuditRetentionDays"]["Default"] == 1825
    env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert env["LAPOR_PERSONAL_DATA_RETENTION_DAYS"] == {"Ref": "PersonalDataRetentionDays"}
    assert env["LAPOR_AUDIT_RETENTION_DAYS"] == {"Ref": "AuditRetentionDays"}
    props = RESOURCES["ReportsTable"]["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    (index,) = [i for i in props["GlobalSecondaryIndexes"] if i["IndexName"] == "retention"]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["retain_pk", "retain_at"]
    # What erasing reads (lapor.store) is what the index projects: never the sealed envelope
    assert [*index["Projection"]["NonKeyAttributes"], "retain_at"] == list(RETENTION_ATTRIBUTES)
    assert "sealed" not in RETENTION_ATTRIBUTES
