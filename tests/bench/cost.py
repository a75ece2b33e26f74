"""What a report costs: reports driven through their whole life on the bench's stack, every AWS call
counted and sized, priced at the list prices below; and the fixed monthly floor of a deployment.

The life of a report: submitted (identified, so its contact data is sealed), the agency notified, two officer
views, verified (the step a response needs), responded, the reporter's private view, the rating, closed;
every event it emits handled by notify_agency as the queue would hand it over.

Lambda duration at a memory size: the function's own CPU time, measured here on one full core, stretched by
the share of a vCPU that size gets (1,769 MB = one vCPU), plus the time spent waiting for AWS (moto), billed
per started millisecond. DynamoDB capacity comes from item sizes as DynamoDB computes them: 1 write unit per
KB written (2 in a transaction; plus each global secondary index the item is in), 1 read unit per 4 KB read
strongly consistent, half that eventually consistent.
"""

from __future__ import annotations

import io
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

from tests.bench import harness, scenarios
from tests.events import api_event, valid_submission

REGION = "ap-southeast-3"
# US$ list prices for Asia Pacific (Jakarta), entered by hand from the AWS pricing pages: this machine cannot
# reach them, so check them there before quoting a figure. Per unit as named.
PRICES = {
    "lambda_arm_gb_s": 0.0000133334,  # Lambda duration, arm64, first tier, per GB-second
    "lambda_request": 0.20 / 1e6,
    "snapstart_cache_gb_s": 0.0000015046,  # per GB-second a published version's snapshot is cached
    "snapstart_restore_gb": 0.0001397998,  # per GB restored (each cold start of a SnapStart version)
    "dynamodb_wru": 0.7125 / 1e6,  # on-demand write request unit
    "dynamodb_rru": 0.1425 / 1e6,  # on-demand read request unit
    "dynamodb_gb_month": 0.285,
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB request
    "kms_request": 0.03 / 1e4,
    "kms_key_month": 1.00,
    "ses_email": 0.10 / 1e3,
    "secrets_secret_month": 0.40,
    "secrets_request": 0.05 / 1e4,
    "apigw_rest_request": 3.50 / 1e6,
    "waf_acl_month": 5.00,
    "waf_rule_month": 1.00,
    "waf_request": 0.60 / 1e6,
    "alarm_month": 0.10,
    "cognito_plus_mau": 0.02,  # the user pool's Plus plan (threat protection), per monthly active user, no free tier
    "logs_ingest_gb": 0.67,
}
SECONDS_PER_MONTH = 30 * 24 * 3600
# Officers who sign in in a month: a regency's 30 to 50 offices, about one each (threat protection's price).
OFFICERS = 50
REPORTS = 1000
# Lambda's own START/END/REPORT lines per invocation, in CloudWatch Logs.
RUNTIME_LOG_BYTES = 350
# The SQS event source mapping: per message one receive and one delete (batched, so at most that).
SQS_POLL_REQUESTS_PER_MESSAGE = 2


# The monthly bill by volume (issue 22): reports a year, from the common regency (public LAPOR! figures: 450 to
# 1,600 a year for an active regency or city) to a province.
VOLUMES = (2_000, 20_000, 200_000, 2_000_000)
# Cold starts an API function has in a month: one per call when calls are rare, and at most one per 10 minutes
# (an assumption: Lambda reclaims an idle environment after some minutes; a busy function keeps its own warm).
MOST_COLD_STARTS_PER_FUNCTION = SECONDS_PER_MONTH // 600
# CPU seconds of an API function's INIT on one full vCPU (interpreter and imports, the slowest function,
# measured unthrottled here): billed for functions without SnapStart (AWS bills the INIT phase since
# 2025-08), stretched by the CPU share below 1,769 MB. With SnapStart INIT runs once per published version.
INIT_CPU_S = 0.5
BUDGET = 10.0  # US$ a month: what a small server for a hand-run complaint site costs


@dataclass(frozen=True)
class Setup:
    """Template parameters that move the bill: SnapStart, EnableWaf and ApiMemorySize."""

    name: str
    snapstart: bool
    waf: bool
    api_memory_mb: int = 512


SETUPS = (
    Setup("default (SnapStart on, WAF on, 512 MB)", snapstart=True, waf=True),
    Setup("SnapStart on, WAF off, 512 MB", snapstart=True, waf=False),
    Setup("SnapStart off, WAF on, 512 MB", snapstart=False, waf=True),
    Setup("SnapStart off, WAF off, 512 MB", snapstart=False, waf=False),
    Setup("small: SnapStart off, WAF off, ApiMemorySize 1024", snapstart=False, waf=False, api_memory_mb=1024),
)


def monthly_bill(
    reports_per_year: int,
    variable_per_report: float,
    fixed: float,
    api_calls_per_report: Mapping[str, float],
    memory: Mapping[str, int],
    snapstart: set[str],
) -> dict[str, float]:
    """US$ a month at `reports_per_year`: the fixed part, the reports' lives, and the API functions' cold starts
    (a restore each with SnapStart; a billed INIT without it)."""
    reports = reports_per_year / 12
    cold = {fn: min(calls * reports, MOST_COLD_STARTS_PER_FUNCTION) for fn, calls in api_calls_per_report.items()}
    restores = sum(cold[fn] * memory[fn] / 1024 * PRICES["snapstart_restore_gb"] for fn in cold if fn in snapstart)
    inits = sum(
        cold[fn] * lambda_seconds(INIT_CPU_S, 0.0, memory[fn]) * memory[fn] / 1024 * PRICES["lambda_arm_gb_s"]
        for fn in cold
        if fn not in snapstart
    )
    variable = variable_per_report * reports
    return {
        "fixed": fixed,
        "variable": variable,
        "cold_starts": restores + inits,
        "total": fixed + variable + restores + inits,
    }


# ---------------------------------------------------------------- DynamoDB sizes (pure)


def attribute_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's accounting (low-level JSON form, e.g. {"S": "x"})."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        digits = len(str(inner).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(inner) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: element}) for element in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + attribute_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in inner)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    """Bytes of an item: attribute names plus values."""
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in (item or {}).items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


# ---------------------------------------------------------------- counting one life


@dataclass
class Usage:
    """Everything billable that a number of reports used."""

    invocations: Counter[str] = field(default_factory=Counter)
    cpu_s: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    wait_s: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    calls: Counter[str] = field(default_factory=Counter)
    wru: float = 0.0
    rru: float = 0.0
    stored_bytes: int = 0
    log_bytes: int = 0
    api_requests: int = 0
    sqs_messages: int = 0


class DynamoMeter:
    """Capacity units of each DynamoDB call, from the items before and after it in moto's backend."""

    def __init__(self) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]

    def _item(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self.backend.get_item(table, dict(key))
        return None if found is None else dict(found.to_json()["Attributes"])

    def _key(self, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        schema = self.backend.get_table(table).schema
        return {part["AttributeName"]: item[part["AttributeName"]] for part in schema}

    def _index_units(self, table: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> int:
        """Writes to global secondary indexes: one per index the item enters, stays in or leaves."""
        units = 0
        for index in self.backend.get_table(table).global_indexes:
            keys = [part["AttributeName"] for part in index.schema]
            in_old = old is not None and all(k in old for k in keys)
            in_new = new is not None and all(k in new for k in keys)
            if in_new:
                units += write_units(item_size(new))
                if in_old and any(old[k] != new[k] for k in keys):  # type: ignore[index]
                    units += 1  # the old index entry is deleted too
            elif in_old:
                units += 1
        return units

    def targets(self, operation: str, params: Mapping[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
        """(table, key, kind) of every item a write touches."""
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = params["TableName"]
            key = self._key(table, params["Item"]) if operation == "PutItem" else dict(params["Key"])
            return [(table, key, operation)]
        if operation == "TransactWriteItems":
            found = []
            for entry in params["TransactItems"]:
                (kind, body), *_ = entry.items()
                key = self._key(body["TableName"], body["Item"]) if kind == "Put" else dict(body["Key"])
                found.append((body["TableName"], key, kind))
            return found
        return []

    @contextmanager
    def measuring(self, usage: Usage, operation: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        touched = self.targets(operation, params)
        before = [self._item(table, key) for table, key, _ in touched]
        outcome: dict[str, Any] = {}
        yield outcome
        response = outcome.get("response") or {}
        factor = 2 if operation == "TransactWriteItems" else 1
        for (table, key, kind), old in zip(touched, before, strict=True):
            new = self._item(table, key)
            if kind == "ConditionCheck":
                usage.rru += 2 * read_units(item_size(old), True)
                continue
            usage.wru += factor * (
                write_units(max(item_size(old), item_size(new))) + self._index_units(table, old, new)
            )
        if operation == "GetItem":
            usage.rru += read_units(item_size(response.get("Item")), bool(params.get("ConsistentRead")))
        elif operation == "Query":
            size = sum(item_size(item) for item in response.get("Items", []))
            usage.rru += read_units(size, bool(params.get("ConsistentRead")))
        elif operation == "BatchGetItem":
            for items in (response.get("Responses") or {}).values():
                usage.rru += sum(read_units(item_size(item), False) for item in items)


@contextmanager
def metering(usage: Usage) -> Iterator[None]:
    """Count and size every AWS call made while the block runs (any client, any thread)."""
    from botocore.client import BaseClient

    meter = DynamoMeter()
    original: Callable[..., Any] = BaseClient._make_api_call

    def metered(self: Any, operation: str, params: Any) -> Any:
        if harness.priming():  # a function's INIT priming its clients: answered by a stub, nothing billed
            return original(self, operation, params)
        service = self.meta.service_model.service_name
        usage.calls[f"{service}:{operation}"] += 1
        if service != "dynamodb":
            return original(self, operation, params)
        with meter.measuring(usage, operation, params) as outcome:
            outcome["response"] = original(self, operation, params)
            return outcome["response"]

    BaseClient._make_api_call = metered  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


class Life:
    """Drives reports through their life on the bench's stack, timing each invocation."""

    def __init__(self, stack: Any, usage: Usage) -> None:
        self.stack = stack
        self.usage = usage
        self.sqs = stack_client("sqs")
        self.queue_url = self.sqs.get_queue_url(QueueName=stack.ref("ReportEventsQueue").rsplit("/", 1)[-1])["QueueUrl"]

    def invoke(self, function: str, event: Any, api: bool = True) -> Any:
        logs = io.StringIO()
        started_wall, started_cpu = time.perf_counter(), time.thread_time()
        with redirect_stdout(logs):
            response = self.stack.invoke(function, event)
        wall, cpu = time.perf_counter() - started_wall, time.thread_time() - started_cpu
        self.usage.invocations[function] += 1
        self.usage.cpu_s[function].append(cpu)
        self.usage.wait_s[function].append(max(0.0, wall - cpu))
        self.usage.log_bytes += len(logs.getvalue().encode("utf-8")) + RUNTIME_LOG_BYTES
        if api:
            self.usage.api_requests += 1
            if not scenarios.outcome_ok(response):
                raise RuntimeError(f"{function} answered {response.get('statusCode')}: {str(response)[:300]}")
        return response

    def deliver_events(self) -> None:
        """What the event source mapping does: hand the queued events to notify_agency in one batch."""
        bodies = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        if bodies:
            self.usage.sqs_messages += len(bodies)
            result = self.invoke("NotifyAgencyFunction", scenarios.sqs_event(bodies), api=False)
            if result.get("batchItemFailures"):
                raise RuntimeError(f"notify_agency failed {result['batchItemFailures']}")

    def one_report(self) -> None:
        from lapor.store import get_report

        receipt = json.loads(
            self.invoke("SubmitReportFunction", api_event("POST", "/reports", body=valid_submission()))["body"]
        )
        tracking_id, code = receipt["tracking_id"], receipt["access_code"]
        self.deliver_events()
        item = get_report(tracking_id)
        assert item is not None
        claims = scenarios.officer(str(item["agency_id"]))
        path = {"tracking_id": tracking_id}
        for _ in range(2):
            self.invoke(
                "AgencyReportsFunction",
                api_event("GET", "/agency/reports/{tracking_id}", path_params=path, claims=claims),
            )
        actions = "/agency/reports/{tracking_id}/actions"
        for body in ({"action": "verify"}, {"action": "respond", "message": "Sudah kami tambal hari ini."}):
            self.invoke("AgencyReportsFunction", api_event("POST", actions, path_params=path, body=body, claims=claims))
            self.deliver_events()
        access = {"X-Access-Code": code}
        self.invoke(
            "ReporterAccessFunction",
            api_event("GET", "/reports/{tracking_id}/private", path_params=path, headers=access),
        )
        rating = {"score": 5, "comment": "Cepat, terima kasih."}
        self.invoke(
            "ReporterAccessFunction",
            api_event("POST", "/reports/{tracking_id}/rating", path_params=path, headers=access, body=rating),
        )
        self.deliver_events()
        self.invoke(
            "AgencyReportsFunction",
            api_event("POST", actions, path_params=path, body={"action": "close"}, claims=claims),
        )
        self.deliver_events()
        from lapor.store import report_key

        stored = DynamoMeter()._item(self.stack.ref("ReportsTable"), report_key(tracking_id))
        self.usage.stored_bytes += item_size(stored)


def stack_client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=REGION)


# ---------------------------------------------------------------- pricing


def lambda_seconds(cpu_s: float, wait_s: float, memory_mb: int) -> float:
    """Billed seconds of one invocation at `memory_mb`: its CPU time at that size's share of a vCPU, plus
    the waits, rounded up to the millisecond.
    """
    stretched = cpu_s * max(1.0, harness.FULL_VCPU_MB / memory_mb) + wait_s
    return math.ceil(stretched * 1000) / 1000


def schedule_runs_per_month(expression: str) -> int:
    """Runs a month of `rate(N unit)`."""
    amount, unit = expression.removeprefix("rate(").removesuffix(")").split()
    seconds = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}[unit]
    return SECONDS_PER_MONTH // (int(amount) * seconds)


@dataclass(frozen=True)
class Line:
    name: str
    quantity: float
    unit: str
    dollars: float


def variable_lines(usage: Usage, reports: int, memory: Mapping[str, int], snapstart: set[str], waf: bool) -> list[Line]:
    """The cost of REPORTS reports' lives, from the usage of `reports` of them."""
    scale = REPORTS / reports
    gb_s = sum(
        lambda_seconds(cpu, wait, memory[fn]) * memory[fn] / 1024
        for fn in usage.cpu_s
        for cpu, wait in zip(usage.cpu_s[fn], usage.wait_s[fn], strict=True)
    )
    invocations = sum(usage.invocations.values())
    calls = usage.calls
    emails = calls["ses:SendEmail"] + calls["ses:SendRawEmail"]
    kms = sum(n for name, n in calls.items() if name.startswith("kms:"))
    secrets = sum(n for name, n in calls.items() if name.startswith("secretsmanager:"))
    sqs = calls["sqs:SendMessage"] + calls["sqs:SendMessageBatch"] + SQS_POLL_REQUESTS_PER_MESSAGE * usage.sqs_messages
    restored_gb = sum(usage.invocations[fn] * memory[fn] / 1024 for fn in snapstart)
    lines = [
        Line("Lambda duration (arm64, GB-s)", gb_s * scale, "GB-s", gb_s * scale * PRICES["lambda_arm_gb_s"]),
        Line("Lambda requests", invocations * scale, "requests", invocations * scale * PRICES["lambda_request"]),
        Line("DynamoDB writes (on-demand)", usage.wru * scale, "WRU", usage.wru * scale * PRICES["dynamodb_wru"]),
        Line("DynamoDB reads (on-demand)", usage.rru * scale, "RRU", usage.rru * scale * PRICES["dynamodb_rru"]),
        Line(
            "API Gateway REST requests",
            usage.api_requests * scale,
            "requests",
            usage.api_requests * scale * PRICES["apigw_rest_request"],
        ),
        Line("SQS requests (send, receive, delete)", sqs * scale, "requests", sqs * scale * PRICES["sqs_request"]),
        Line("KMS requests", kms * scale, "requests", kms * scale * PRICES["kms_request"]),
        Line("SES emails", emails * scale, "emails", emails * scale * PRICES["ses_email"]),
        Line("Secrets Manager requests", secrets * scale, "requests", secrets * scale * PRICES["secrets_request"]),
        Line(
            "CloudWatch Logs ingestion",
            usage.log_bytes * scale / 1e9,
            "GB",
            usage.log_bytes * scale / 1e9 * PRICES["logs_ingest_gb"],
        ),
    ]
    if waf:
        lines.append(
            Line(
                "WAF requests",
                usage.api_requests * scale,
                "requests",
                usage.api_requests * scale * PRICES["waf_request"],
            )
        )
    if snapstart:
        # An upper bound: every API request a cold start (a quiet deployment); busy ones restore far less.
        lines.append(
            Line(
                "SnapStart restores (if every API call were cold)",
                restored_gb * scale,
                "GB",
                restored_gb * scale * PRICES["snapstart_restore_gb"],
            )
        )
    return lines


def fixed_lines(
    template: Mapping[str, Any],
    memory: Mapping[str, int],
    snapstart: set[str],
    scheduled: Mapping[str, tuple[float, float]],
    waf: bool = True,
) -> list[Line]:
    """What a deployment costs a month whatever it handles (`waf`: EnableWaf)."""
    resources = [r for r in template["Resources"].values() if waf or r["Type"] != "AWS::WAFv2::WebACL"]
    count = Counter(resource["Type"] for resource in resources)
    rules = sum(
        len((r.get("Properties") or {}).get("Rules") or []) for r in resources if r["Type"] == "AWS::WAFv2::WebACL"
    )
    cached_gb_s = sum(memory[fn] / 1024 for fn in snapstart) * SECONDS_PER_MONTH
    lines = [
        Line("KMS keys", count["AWS::KMS::Key"], "keys", count["AWS::KMS::Key"] * PRICES["kms_key_month"]),
        Line(
            "Secrets Manager secrets",
            count["AWS::SecretsManager::Secret"],
            "secrets",
            count["AWS::SecretsManager::Secret"] * PRICES["secrets_secret_month"],
        ),
        Line(
            "CloudWatch alarms",
            count["AWS::CloudWatch::Alarm"],
            "alarms",
            count["AWS::CloudWatch::Alarm"] * PRICES["alarm_month"],
        ),
        Line(
            "WAF web ACLs and rules",
            count["AWS::WAFv2::WebACL"] + rules,
            "ACLs+rules",
            count["AWS::WAFv2::WebACL"] * PRICES["waf_acl_month"] + rules * PRICES["waf_rule_month"],
        ),
        Line(
            "SnapStart snapshot cache (one live version each)",
            cached_gb_s,
            "GB-s",
            cached_gb_s * PRICES["snapstart_cache_gb_s"],
        ),
        # OfficerThreatProtection=on (the default) puts the officers' user pool on the Plus plan.
        Line(
            f"Cognito threat protection (Plus plan), {OFFICERS} officers",
            OFFICERS * count["AWS::Cognito::UserPool"],
            "MAU",
            OFFICERS * count["AWS::Cognito::UserPool"] * PRICES["cognito_plus_mau"],
        ),
        # The event source mapping long-polls the queue (20 s) with about five pollers even when it is empty.
        Line(
            "SQS idle polling by the event source mapping",
            5 * SECONDS_PER_MONTH / 20,
            "requests",
            5 * SECONDS_PER_MONTH / 20 * PRICES["sqs_request"],
        ),
    ]
    lines += [Line(f"schedule: {name}", runs, "runs", dollars) for name, (runs, dollars) in scheduled.items()]
    return lines


def measure(stack: Any, root: Any, reports: int, progress: Callable[[str], None]) -> dict[str, Any]:
    """Drive `reports` lives (after one unmeasured, which loads every function), price them for REPORTS."""
    from lapor_local.template import load_template

    template = load_template(root / "template.yaml")
    functions = {info.logical_id: info for info in harness.functions_from_template(root)}
    memory = {name: info.memory_mb for name, info in functions.items()}
    snapstart_on = (template.get("Parameters") or {}).get("SnapStart", {}).get("Default") == "on"
    snapstart = {
        name
        for name, resource in template["Resources"].items()
        if "SnapStart" in (resource.get("Properties") or {}) and snapstart_on
    }
    waf = any(resource["Type"] == "AWS::WAFv2::WebACL" for resource in template["Resources"].values())
    Life(stack, Usage()).one_report()  # imports and first-use work: cold starts are priced apart
    usage = Usage()
    life = Life(stack, usage)
    progress(f"cost: {reports} reports through their whole life")
    with metering(usage):
        for _ in range(reports):
            life.one_report()
    scheduled: dict[str, tuple[float, float]] = {}
    for name in functions:
        events = (template["Resources"][name].get("Properties") or {}).get("Events") or {}
        for event in events.values():
            if event.get("Type") != "Schedule":
                continue
            runs = schedule_runs_per_month(str(event["Properties"]["Schedule"]))
            one = Usage()
            with metering(one):
                for _ in range(3):
                    Life(stack, one).invoke(name, scenarios.scheduled_event(), api=False)
            per_run = sum(line.dollars for line in variable_lines(one, REPORTS * 3, memory, set(), False))
            scheduled[f"{name} ({event['Properties']['Schedule']})"] = (runs, runs * per_run)
    variable = variable_lines(usage, reports, memory, snapstart, waf)
    fixed = fixed_lines(template, memory, snapstart, scheduled)
    api = {
        name for name, resource in template["Resources"].items() if "SnapStart" in (resource.get("Properties") or {})
    }
    api_calls = {fn: usage.invocations[fn] / reports for fn in sorted(api)}
    bills = []
    for setup in SETUPS:
        sized = {**memory, **{fn: setup.api_memory_mb for fn in api}}
        snapped = api if setup.snapstart else set()
        per_report = (
            sum(
                line.dollars
                for line in variable_lines(usage, reports, sized, snapped, setup.waf)
                if not line.name.startswith("SnapStart")
            )
            / REPORTS
        )
        monthly = sum(line.dollars for line in fixed_lines(template, sized, snapped, scheduled, setup.waf))
        bills.append(
            {
                **setup.__dict__,
                "fixed": monthly,
                "variable_per_1000": per_report * REPORTS,
                "by_volume": {
                    str(volume): monthly_bill(volume, per_report, monthly, api_calls, sized, snapped)
                    for volume in VOLUMES
                },
            }
        )
    return {
        "reports": REPORTS,
        "measured_lives": reports,
        "prices": PRICES,
        "memory_mb": memory,
        "snapstart": sorted(snapstart),
        "waf": waf,
        "calls_per_report": {name: n / reports for name, n in sorted(usage.calls.items())},
        "invocations_per_report": {name: n / reports for name, n in sorted(usage.invocations.items())},
        "wru_per_report": usage.wru / reports,
        "rru_per_report": usage.rru / reports,
        "stored_kb_per_report": usage.stored_bytes / reports / 1024,
        "variable": [line.__dict__ for line in variable],
        "fixed": [line.__dict__ for line in fixed],
        "api_calls_per_report": api_calls,
        "bills": bills,
    }
