"""What each function is asked to do in the bench: its representative requests and the AWS calls they should make.

A scenario builds one Lambda event. Some consume fixtures that exist once only (a submitted report an officer
verifies, an outbox event notify_agency delivers): those come from named pools that the parent fills before
the run and hands out in disjoint slices, so that every child acts on objects nobody else touched.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from tests.events import api_event, valid_submission

REGION = "ap-southeast-3"
ACCOUNT_ID = "123456789012"
# The agency whose inbox the bench reads: only identified (sealed) reports go there, so a page of N items
# would cost N decrypts if the inbox opened them (it does not, issue 23). Submissions of the bench itself go
# to DPUPR (the form's default category).
INBOX_AGENCY = "dinkes-barito-utara"
INBOX_CATEGORY = "kesehatan"
INBOX_PAGE = 10
DISPATCHER_AGENCY = "pemkab-barito-utara"
NOTIFY_BATCH = 10  # the template's BatchSize for report-events
PUBLIC_LOOKUP_TARGET = 1.25  # a poster's QR code: the request most likely to meet a cold function
API_TARGET = 1.35


def officer(agency_id: str, role: str = "officer") -> dict[str, str]:
    """The claims API Gateway's Cognito authorizer passes on."""
    return {"sub": f"bench-{role}", "custom:agency_id": agency_id, "custom:role": role, "token_use": "id"}


@dataclass
class Supply:
    """What a scenario may use: shared fixtures, and pooled ones handed to this child only."""

    fixtures: dict[str, Any]
    pools: dict[str, list[Any]] = field(default_factory=dict)

    def take(self, pool: str, n: int = 1) -> list[Any]:
        items = self.pools.get(pool, [])
        if len(items) < n:
            raise RuntimeError(f"the bench's {pool!r} pool ran dry: the parent planned too few fixtures")
        taken, self.pools[pool] = items[:n], items[n:]
        return taken


Build = Callable[[Supply], Any]


@dataclass(frozen=True)
class Scenario:
    """One kind of request; `units` > 1 for a batch (calls and time are then also shown per message)."""

    name: str
    build: Build
    pool: str | None = None
    units: int = 1
    expected: dict[str, int] | None = None  # calls of one warm request, per unit


@dataclass(frozen=True)
class Bench:
    """A function's part: its first request, the load for the memory run, and variants sampled once warm."""

    first: Scenario
    load: tuple[Scenario, ...]
    load_calls: int = 200
    variants: tuple[Scenario, ...] = ()
    # Ceiling of its cold invoke over its floor in the Lambda CPU share mode, at the function's MemorySize:
    # what a citizen waits beyond the AWS calls themselves (API functions only; queues and schedules wait).
    cold_target: float | None = None


def plan(bench: Bench, mode: str) -> Iterator[tuple[Scenario, str]]:
    """The requests of a child, in order, each tagged "first", "load" or "variant".

    Used by the parent to size the pools and by the child to run, so the two never disagree.
    """
    yield bench.first, "first"
    if mode == "cold":
        return
    for i in range(bench.load_calls - 1):  # load_calls counts the first request too
        yield bench.load[(i + 1) % len(bench.load)], "load"
    for variant in bench.variants:
        yield variant, "variant"
        yield variant, "variant"  # the second one is the warm sample


def pool_needs(bench: Bench, mode: str) -> dict[str, int]:
    """How many items of each pool one child of `mode` consumes."""
    needs: dict[str, int] = {}
    for scenario, _ in plan(bench, mode):
        if scenario.pool is not None:
            needs[scenario.pool] = needs.get(scenario.pool, 0) + scenario.units
    return needs


# ---------------------------------------------------------------- event builders


def _submit(**overrides: Any) -> Build:
    def build(supply: Supply) -> dict[str, Any]:
        return api_event("POST", "/reports", body=valid_submission(**overrides))

    return build


def _submit_idempotent(supply: Supply) -> dict[str, Any]:
    return api_event("POST", "/reports", body=valid_submission(), headers={"Idempotency-Key": str(uuid.uuid4())})


def _track(supply: Supply) -> dict[str, Any]:
    tracking_id = supply.fixtures["public_id"]
    return api_event("GET", "/reports/{tracking_id}", path_params={"tracking_id": tracking_id})


def _get(resource: str, path_params: dict[str, str] | None = None) -> Build:
    def build(supply: Supply) -> dict[str, Any]:
        return api_event("GET", resource, path_params=path_params)

    return build


def _open311_request(supply: Supply) -> dict[str, Any]:
    name = f"{supply.fixtures['public_id']}.json"
    return api_event("GET", "/open311/v2/requests/{request_file}", path_params={"request_file": name})


def _open311_list(supply: Supply) -> dict[str, Any]:
    return api_event("GET", "/open311/v2/requests.json", query={"status": "open", "service_code": "jalan-jembatan"})


def _open311_file(supply: Supply) -> dict[str, Any]:
    body = valid_submission()
    form = {
        "api_key": supply.fixtures["open311_key"],
        "service_code": body["category"],
        "description": body["description"],
        "lat": "-0.9553",
        "long": "114.8956",
        "email": body["reporter"]["email"],
        "first_name": body["reporter"]["name"],
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return api_event("POST", "/open311/v2/requests.json", body=urlencode(form), headers=headers)


def _inbox(agency_id: str, role: str) -> Build:
    def build(supply: Supply) -> dict[str, Any]:
        return api_event("GET", "/agency/reports", query={"limit": str(INBOX_PAGE)}, claims=officer(agency_id, role))

    return build


def _verify(supply: Supply) -> dict[str, Any]:
    (tracking_id,) = supply.take("verify")
    return api_event(
        "POST",
        "/agency/reports/{tracking_id}/actions",
        path_params={"tracking_id": tracking_id},
        body={"action": "verify"},
        claims=officer(INBOX_AGENCY),
    )


def _private_view(supply: Supply) -> dict[str, Any]:
    return api_event(
        "GET",
        "/reports/{tracking_id}/private",
        path_params={"tracking_id": supply.fixtures["reporter_id"]},
        headers={"X-Access-Code": supply.fixtures["reporter_code"]},
    )


def _reporter_message(supply: Supply) -> dict[str, Any]:
    return api_event(
        "POST",
        "/reports/{tracking_id}/messages",
        path_params={"tracking_id": supply.fixtures["reporter_id"]},
        headers={"X-Access-Code": supply.fixtures["reporter_code"]},
        body={"message": "Lubangnya makin besar setelah hujan semalam."},
    )


def _support(supply: Supply) -> dict[str, Any]:
    tracking_id = supply.fixtures["public_id"]
    return api_event("POST", "/reports/{tracking_id}/support", path_params={"tracking_id": tracking_id})


def sqs_event(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """Lambda's SQS event (report events, photo uploads), as the event source mapping delivers them."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": json.dumps(body, separators=(",", ":")),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": (
                    {"type": {"stringValue": body["type"], "dataType": "String"}} if "type" in body else {}
                ),
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:lapor-local-ReportEventsQueue",
                "awsRegion": REGION,
            }
            for body in bodies
        ]
    }


def _notify(size: int) -> Build:
    def build(supply: Supply) -> dict[str, Any]:
        return sqs_event(supply.take("notify", size))

    return build


def _photo(supply: Supply) -> dict[str, Any]:
    (notification,) = supply.take("photo", 1)
    return sqs_event([notification])


def scheduled_event(at: datetime | None = None) -> dict[str, Any]:
    """EventBridge's scheduled event; `time` is the moment the run stands for."""
    moment = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": moment,
        "region": REGION,
        "resources": [],
        "detail": {},
    }


def _scheduled(supply: Supply) -> dict[str, Any]:
    return scheduled_event()


# ---------------------------------------------------------------- the functions' parts

SUBMIT = Scenario(
    "POST /reports, identified",
    _submit(),
    expected={"dynamodb:PutItem": 1, "kms:GenerateDataKey": 1, "sqs:SendMessage": 1},
)
TRACK = Scenario("GET /reports/{id}", _track, expected={"dynamodb:Query": 1})
INBOX = Scenario(
    f"GET /agency/reports (officer, page of {INBOX_PAGE} sealed)",
    _inbox(INBOX_AGENCY, "officer"),
    # Nothing decrypted, no reporter shown, so nothing recorded (issue 23): only opening a report is.
    expected={"dynamodb:Query": 1},
)
VERIFY = Scenario(
    "POST /agency/reports/{id}/actions verify",
    _verify,
    pool="verify",
    # the audit entry, the change, then the report read back with its messages for the answer
    expected={
        "dynamodb:GetItem": 1,
        "dynamodb:PutItem": 1,  # the audit entry
        "dynamodb:UpdateItem": 1,
        "dynamodb:Query": 1,
        "kms:Decrypt": 1,
        "sqs:SendMessage": 1,
    },
)
PRIVATE = Scenario(
    "GET /reports/{id}/private",
    _private_view,
    expected={"dynamodb:GetItem": 1, "dynamodb:Query": 1, "kms:Decrypt": 1},  # the gate, then the whole report
)
SUPPORT = Scenario("POST /reports/{id}/support", _support, expected={"dynamodb:UpdateItem": 1})
NOTHING_DUE = Scenario("scheduled run, nothing due", _scheduled, expected={"dynamodb:Query": 1})
OUTBOX_EMPTY = Scenario("scheduled run, outbox empty", _scheduled, expected={"dynamodb:Query": 1})
OPENAPI = Scenario("GET /openapi.json (directory cached)", _get("/openapi.json"), expected={})
LANDING = Scenario("GET / (landing page)", _get("/"), expected={})
OPEN311_REQUEST = Scenario("GET /open311/v2/requests/{id}.json", _open311_request, expected={"dynamodb:GetItem": 1})
OPEN311_FILE = Scenario(
    "POST /open311/v2/requests.json, identified",
    _open311_file,
    expected={
        "dynamodb:UpdateItem": 1,  # the partner key's use counted
        "dynamodb:PutItem": 1,
        "kms:GenerateDataKey": 1,
        "sqs:SendMessage": 1,
    },
)
NOTIFY_EXPECTED = {
    "dynamodb:GetItem": 1,
    "dynamodb:PutItem": 1,  # the delivery claim
    "ses:SendEmail": 1,
    "dynamodb:UpdateItem": 1,  # the delivery marked sent
    "dynamodb:TransactWriteItems": 1,  # the ack with the agency's counters
}

PHOTO = Scenario(
    "SQS: one 10 MB JPEG, 4000 x 3000 with EXIF",
    _photo,
    pool="photo",
    expected={
        "dynamodb:GetItem": 1,
        "s3:GetObject": 1,
        "s3:PutObject": 1,
        "dynamodb:UpdateItem": 1,
        "s3:DeleteObject": 1,
    },
)

BENCHES: dict[str, Bench] = {
    "SubmitReportFunction": Bench(
        first=SUBMIT,
        load=(SUBMIT,),
        variants=(
            Scenario(
                "POST /reports, anonymous and public",
                _submit(anonymous=True, reporter=None),
                expected={"dynamodb:PutItem": 1, "sqs:SendMessage": 1},
            ),
            Scenario(
                "POST /reports, anonymous and confidential",
                _submit(anonymous=True, reporter=None, confidential=True),
                expected={"dynamodb:PutItem": 1, "kms:GenerateDataKey": 1, "sqs:SendMessage": 1},
            ),
            Scenario(
                "POST /reports, identified, Idempotency-Key",
                _submit_idempotent,
                expected={"dynamodb:TransactWriteItems": 1, "kms:GenerateDataKey": 1, "sqs:SendMessage": 1},
            ),
        ),
        cold_target=API_TARGET,
    ),
    "TrackReportFunction": Bench(
        first=TRACK,
        load=(TRACK,),
        variants=(
            Scenario("GET /agencies (directory cached)", _get("/agencies"), expected={}),
            Scenario("GET /stats", _get("/stats"), expected={"dynamodb:Query": 1}),
        ),
        cold_target=PUBLIC_LOOKUP_TARGET,
    ),
    "AgencyReportsFunction": Bench(
        first=INBOX,
        load=(INBOX, VERIFY),
        variants=(
            Scenario(
                f"GET /agency/reports (dispatcher, 4 agencies in scope, page of {INBOX_PAGE})",
                _inbox(DISPATCHER_AGENCY, "dispatcher"),
            ),
        ),
        cold_target=API_TARGET,
    ),
    "ReporterAccessFunction": Bench(
        first=PRIVATE,
        load=(PRIVATE,),
        variants=(
            Scenario(
                "POST /reports/{id}/messages",
                _reporter_message,
                expected={"dynamodb:GetItem": 1, "dynamodb:UpdateItem": 1, "kms:Decrypt": 1, "sqs:SendMessage": 1},
            ),
        ),
        cold_target=API_TARGET,
    ),
    "SupportReportFunction": Bench(
        first=SUPPORT,
        load=(SUPPORT,),
        cold_target=API_TARGET,
    ),
    "NotifyAgencyFunction": Bench(
        first=Scenario("SQS batch of 1 report.submitted", _notify(1), pool="notify", expected=NOTIFY_EXPECTED),
        load=(
            Scenario(
                f"SQS batch of {NOTIFY_BATCH} report.submitted (per message)",
                _notify(NOTIFY_BATCH),
                pool="notify",
                units=NOTIFY_BATCH,
                expected=NOTIFY_EXPECTED,
            ),
        ),
        load_calls=1 + 200 // NOTIFY_BATCH,  # the first (one message), then 200 messages in batches
        variants=(Scenario("SQS batch of 1 report.submitted", _notify(1), pool="notify", expected=NOTIFY_EXPECTED),),
    ),
    # Each request decodes and re-encodes a 10 MB photo: a few are enough for its peak memory and time.
    "ProcessPhotoFunction": Bench(first=PHOTO, load=(PHOTO,), load_calls=4),
    "EscalateOverdueFunction": Bench(
        first=NOTHING_DUE,
        load=(NOTHING_DUE,),
    ),
    "RelayEventsFunction": Bench(
        first=OUTBOX_EMPTY,
        load=(OUTBOX_EMPTY,),
    ),
    "ApiDocsFunction": Bench(
        first=OPENAPI,
        load=(OPENAPI,),
        variants=(Scenario("GET /docs", _get("/docs"), expected={}),),
        cold_target=API_TARGET,
    ),
    "Open311Function": Bench(
        first=OPEN311_REQUEST,
        load=(OPEN311_REQUEST,),
        variants=(
            Scenario(
                "GET /open311/v2/services.json (directory cached)", _get("/open311/v2/services.json"), expected={}
            ),
            Scenario(
                "GET /open311/v2/requests.json?status=open&service_code=... (one index partition)",
                _open311_list,
                expected={"dynamodb:Query": 1},
            ),
        ),
        cold_target=API_TARGET,
    ),
    "Open311SubmitFunction": Bench(
        first=OPEN311_FILE,
        load=(OPEN311_FILE,),
        cold_target=API_TARGET,
    ),
    "WebPagesFunction": Bench(
        first=LANDING,
        load=(LANDING,),
        variants=(
            Scenario(
                "GET /agencies/{id}/qr.svg",
                _get("/agencies/{agency_id}/qr.svg", {"agency_id": INBOX_AGENCY}),
                expected={},
            ),
        ),
        cold_target=API_TARGET,
    ),
}


def outcome_ok(response: Any) -> bool:
    """Whether a handler's answer is a success: 2xx/3xx, no failed SQS records, no exception."""
    if isinstance(response, dict) and "statusCode" in response:
        return 200 <= int(response["statusCode"]) < 400
    if isinstance(response, dict) and "batchItemFailures" in response:
        return not response["batchItemFailures"]
    return True
