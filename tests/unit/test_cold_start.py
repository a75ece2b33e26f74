"""What a function does during INIT, and SnapStart: the template's switch, one snapshot restored twice,
connections after a restore. Cheap: subprocesses and an offline SAM transform, no moto.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

API_FUNCTIONS = {
    "SubmitReportFunction",
    "TrackReportFunction",
    "ApiDocsFunction",
    "WebPagesFunction",
    "AgencyReportsFunction",
    "AgencyAdminFunction",
    "ReporterAccessFunction",
    "SupportReportFunction",
    "Open311Function",
    "Open311SubmitFunction",
    "WhatsAppWebhookFunction",
}
# What each function creates (and primes) during INIT: the clients its requests need; the API functions, whose
# INIT is SnapStart's snapshot, also those only some requests need (KMS, SQS, Secrets Manager), so that no
# first request after a restore creates one (issue 22).
INIT_CLIENTS = {
    "submit_report": ["dynamodb", "kms", "secretsmanager", "sqs"],
    "track_report": ["dynamodb"],
    "agency_reports": ["dynamodb", "kms", "sqs"],
    "agency_admin": ["cognito-idp", "dynamodb"],
    "reporter_access": ["dynamodb", "kms", "sqs"],
    "support_report": ["dynamodb"],
    "notify_agency": ["dynamodb", "ses"],
    "escalate_overdue": ["dynamodb"],
    "relay_events": ["dynamodb"],
    "api_docs": ["dynamodb"],
    "web_pages": [],
    "open311": ["dynamodb"],
    "open311_submit": ["dynamodb", "kms", "secretsmanager", "sqs"],
    "process_photo": ["dynamodb", "s3"],
    "whatsapp_webhook": ["dynamodb", "secretsmanager", "sqs"],
    "whatsapp_conversation": ["dynamodb", "kms", "s3", "secretsmanager", "sqs"],
}


def _lambda_env(tmp_path: Path) -> dict[str, str]:
    """Lambda-like: a region and credentials, and an endpoint where nothing listens (any call would fail)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_REGION": "ap-southeast-3",
            "AWS_DEFAULT_REGION": "ap-southeast-3",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            # The layer, and infra/ for the function loader alone (lapor_local.runtime, which loads nothing more).
            "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT / "infra")]),
            "WEBHOOK_SECRET_ARN": "arn:aws:secretsmanager:ap-southeast-3:123456789012:secret:lapor-master",
        }
    )
    return env


def _run(code: str, tmp_path: Path, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=_lambda_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_init_creates_the_clients_every_request_needs_and_calls_no_aws(tmp_path: Path) -> None:
    found = _run(
        """
        import json, sys
        from botocore.endpoint import Endpoint
        from botocore.client import BaseClient
        from lapor_local.runtime import load_function

        # Priming builds, signs and parses requests (answered by a stub): nothing may reach the network.
        def refuse(self, request):
            raise AssertionError(f"AWS call during INIT: {request.url}")

        Endpoint._send = refuse
        primed = []
        original = BaseClient._make_api_call
        def counting(self, operation, params):
            primed.append(operation)
            return original(self, operation, params)
        BaseClient._make_api_call = counting
        from lapor import aws

        created = {}
        for name in sys.argv[1:]:
            aws.reset_clients()
            primed.clear()
            load_function(f"functions/{name}", f"init_{name}")
            created[name] = sorted(aws._clients)
            expected = [op for service in created[name] for op, _ in aws.PRIMING.get(service, ())]
            assert sorted(primed) == sorted(expected), (name, primed)
        print(json.dumps(created))
        """,
        tmp_path,
        *INIT_CLIENTS,
    )
    assert found == {name: sorted(services) for name, services in INIT_CLIENTS.items()}


def test_functions_with_a_json_body_build_its_model_in_init_and_the_others_load_no_pydantic(tmp_path: Path) -> None:
    """Registering an operation with a JSON body imports the models (`lapor.http.Router`), so pydantic and every
    validator are built in INIT, inside SnapStart's snapshot; open311_submit imports them for the filings it
    validates as a ReportSubmission. Functions without a body load neither pydantic nor the models, nor the
    response shapes (`lapor.shapes`: for mypy and the document)."""
    found = _run(
        """
        import json, sys
        from lapor_local.runtime import load_function

        loaded = {}
        for name in sys.argv[1:]:
            for module in [m for m in sys.modules if m.startswith(("pydantic", "lapor"))]:
                del sys.modules[module]
            load_function(f"functions/{name}", f"init_{name}")
            watched = ("pydantic", "lapor.models", "lapor.shapes")
            loaded[name] = [m for m in watched if m in sys.modules]
            if "lapor.models" in sys.modules:
                assert all(m.__pydantic_complete__ for m in sys.modules["lapor.models"].BODIES.values())
        print(json.dumps(loaded))
        """,
        tmp_path,
        "track_report",
        "agency_reports",
        "reporter_access",
        "support_report",
        "api_docs",
        "web_pages",
        "open311",
        "submit_report",
        "open311_submit",
        "whatsapp_webhook",
    )
    with_bodies = {"agency_reports", "reporter_access", "submit_report", "open311_submit"}
    assert found == {name: ["pydantic", "lapor.models"] if name in with_bodies else [] for name in found}
    assert len(found) == 10


def test_api_functions_load_neither_boto3_nor_powertools_nor_email_validator(tmp_path: Path) -> None:
    """Each cost an API function's cold start for nothing it used (docs/measured.md, "What a citizen waits for"):
    boto3 over botocore's own clients, Powertools' Logger over lapor's JSON lines, email-validator over
    the one form the schema allows."""
    found = _run(
        """
        import json, sys
        from lapor_local.runtime import load_function

        unwanted = ("boto3", "s3transfer", "aws_lambda_powertools", "email_validator")
        loaded = {}
        for name in sys.argv[1:]:
            load_function(f"functions/{name}", f"init_{name}")
            loaded[name] = sorted({m.split(".")[0] for m in sys.modules if m.startswith(unwanted)})
        print(json.dumps(loaded))
        """,
        tmp_path,
        "submit_report",
        "track_report",
        "agency_reports",
        "reporter_access",
        "support_report",
        "web_pages",
        "open311",
        "open311_submit",
        "whatsapp_webhook",
    )
    assert found == {name: [] for name in found} and len(found) == 9


def test_a_first_request_after_init_builds_no_validator_and_imports_no_pydantic_module(tmp_path: Path) -> None:
    """submit_report's INIT (the snapshot) holds what its first requests validate with: a refused body and a
    valid one generate no schema and import nothing of pydantic's. The stored location and reporter leave out
    the optional fields that were left out."""
    found = _run(
        """
        import json, sys
        from datetime import UTC, datetime
        from lapor_local.runtime import load_function

        app = load_function("functions/submit_report", "submit_app")  # INIT, as before the snapshot
        import lapor.reports as reports
        from pydantic._internal import _generate_schema
        from lapor.models import ReportSubmission

        built, before = [], {m for m in sys.modules if m.startswith("pydantic")}
        original = _generate_schema.GenerateSchema.__init__
        def counting(self, *args, **kwargs):
            built.append(1)
            original(self, *args, **kwargs)
        _generate_schema.GenerateSchema.__init__ = counting

        refused = app.lambda_handler({"httpMethod": "POST", "resource": "/reports", "body": '{"title": 1}'}, None)
        reports.seal_fields = lambda tracking_id, secret: secret  # no KMS here
        body = {
            "title": "Jalan berlubang di depan sekolah", "description": "Lubang besar sejak dua minggu lalu.",
            "category": "jalan-jembatan", "location": {"lat": -0.95, "lon": 114.9, "address": "Jl. Yetro"},
            "reporter": {"name": "Siti Rahma", "email": "siti@Example.org"},
        }
        now = datetime.now(UTC)
        submission = ReportSubmission.model_validate(body)
        item = reports._new_report(submission, "LPR-TEST", "AAAAA-AAAAA-AAAAA-AAAAA", "a", "A", now, now)
        print(json.dumps({
            "refused": refused["statusCode"],
            "schemas_built": len(built),
            "new_pydantic_modules": sorted({m for m in sys.modules if m.startswith("pydantic")} - before),
            "location": item["location"],
            "reporter": item["sealed"]["reporter"],
        }))
        """,
        tmp_path,
    )
    assert found == {
        "refused": 422,
        "schemas_built": 0,
        "new_pydantic_modules": [],
        "location": {"lat": -0.95, "lon": 114.9, "address": "Jl. Yetro"},
        "reporter": {"name": "Siti Rahma", "email": "siti@example.org"},
    }


def test_two_processes_restored_from_one_initialized_state_never_share_an_id_code_or_nonce(tmp_path: Path) -> None:
    """SnapStart resumes many execution environments from one snapshot taken after INIT: anything unique
    drawn before the snapshot (or from a generator seeded then) would repeat. os.fork() after INIT gives
    two processes with that very memory; each then makes what a request makes.
    """
    draws = _run(
        """
        import json, os, sys
        from lapor_local.runtime import load_function

        load_function("functions/submit_report", "submit_app")  # INIT, as before the snapshot
        from lapor import crypto, ids

        # The master secret as the first request with an Idempotency-Key reads it (not unique: may be shared).
        crypto._masters[os.environ["WEBHOOK_SECRET_ARN"]] = bytes(32)

        def draw():
            key = bytes(32)
            return {
                "tracking_id": [ids.new_tracking_id() for _ in range(300)],
                "access_code": [ids.new_access_code() for _ in range(300)],
                "nonce": [crypto.seal_message(key, "LPR-0000-0000-0000", "x")["nonce"].hex() for _ in range(300)],
                "replay_nonce": [crypto.seal_replay("k", {})[:12].hex() for _ in range(300)],
            }

        files = [os.path.join(sys.argv[1], f"restored-{n}.json") for n in range(2)]
        for path in files:
            pid = os.fork()
            if pid == 0:
                with open(path, "w") as out:
                    json.dump(draw(), out)
                os._exit(0)
            os.waitpid(pid, 0)
        print(json.dumps([json.load(open(path)) for path in files]))
        """,
        tmp_path,
        str(tmp_path),
    )
    first, second = draws
    for kind in first:
        assert len(set(first[kind])) == len(first[kind]), kind
        assert not set(first[kind]) & set(second[kind]), f"two restored processes made the same {kind}"


def test_connections_are_dropped_after_a_restore(monkeypatch: pytest.MonkeyPatch) -> None:
    from lapor import aws

    hooks: list[Any] = []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_after_restore = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-3")
    aws.reset_clients()
    try:
        aws.prepare("dynamodb")
        assert hooks == [aws.close_connections]
        manager = aws.client("dynamodb")._endpoint.http_session._manager
        # The connection pool a call made before the snapshot would have left behind.
        manager.connection_from_url("https://dynamodb.ap-southeast-3.amazonaws.com/")
        assert len(manager.pools) == 1
        hooks[0]()
        assert len(manager.pools) == 0
    finally:
        aws.reset_clients()


def _transformed(parameters: dict[str, str]) -> dict[str, Any]:
    from lapor_local.template import load_template
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(load_template(ROOT / "template.yaml"))
    for resource in template["Resources"].values():
        props = resource.get("Properties") or {}
        # The translator wants code in S3 (sam build would upload it); nothing else is changed.
        if resource["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = "s3://bucket/function.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://bucket/layer.zip"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    result: dict[str, Any] = transform(template, parameters, NoManagedPolicies())
    return result


@pytest.mark.parametrize("switch", ["on", "off"])
def test_snapstart_switch_transforms_and_the_api_invokes_the_published_alias(
    switch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-3")
    resources = _transformed({"SnapStart": switch})["Resources"]
    functions = {k for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    snapstart = {k for k in functions if "SnapStart" in resources[k]["Properties"]}
    assert snapstart == API_FUNCTIONS
    for name in API_FUNCTIONS:
        assert resources[name]["Properties"]["SnapStart"] == {
            "ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}
        }
        assert resources[f"{name}Aliaslive"]["Type"] == "AWS::Lambda::Alias"
    body = json.dumps(resources["LaporApi"]["Properties"]["Body"])
    for name in API_FUNCTIONS:
        assert f"${{{name}Aliaslive}}/invocations" in body, f"the API does not invoke {name}'s alias"
        assert f"${{{name}.Arn}}/invocations" not in body
    permissions = [v["Properties"] for v in resources.values() if v["Type"] == "AWS::Lambda::Permission"]
    for props in permissions:
        target = props["FunctionName"].get("Ref", "")
        if any(target.startswith(name) for name in API_FUNCTIONS):
            assert target.endswith("Aliaslive"), props


def test_snapstart_is_on_by_default() -> None:
    from lapor_local.template import load_template

    template = load_template(ROOT / "template.yaml")
    assert template["Parameters"]["SnapStart"]["Default"] == "on"
    assert template["Conditions"]["SnapStartOn"] == {"Fn::Equals": [{"Ref": "SnapStart"}, "on"]}
    runtime = template["Globals"]["Function"]["Runtime"].removeprefix("python")
    assert tuple(map(int, runtime.split("."))) >= (3, 12)  # SnapStart for Python: 3.12 and newer


def test_building_the_models_in_init_scans_no_plugin_entry_points() -> None:
    """pydantic looks for plugins in every installed distribution when it builds the first model, unless told
    there are none: lapor uses none."""
    from lapor_local.template import load_template

    variables = load_template(ROOT / "template.yaml")["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
