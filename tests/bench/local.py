"""The bench's side of the local stack: start it quietly, make the fixtures, seed tables at scale.

The stack runs in the bench's parent process (moto's server, its state); the children reach it over HTTP
with the environment the stack resolved from the template.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from tests.bench.scenarios import INBOX_AGENCY, INBOX_CATEGORY, REGION
from tests.events import api_event, valid_submission

# The outbox relay re-sends every event not handled after this grace period. Nothing consumes the queue
# during the bench (the consumer is driven by hand, see `bench_stack`), so with the product's 120 s every
# report older than two minutes would be "pending" and the relay's figures would depend on how long the
# bench had been running. An hour keeps the relay's run the steady-state one: an empty outbox.
OUTBOX_GRACE_SECONDS = "3600"


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def bench_stack(root: Path, state_dir: Path) -> Iterator[Any]:
    """A LocalStack on free ports, without schedules and without its SQS poller.

    The poller would hand every event the children publish to notify_agency in this process, competing
    for the two cores with the child being measured and delivering the very events the notify bench
    delivers itself. The state directory is the bench's own: the default (`.lapor/`) belongs to a stack a
    developer may be running (`lapor run`), whose state file and mail folder must not be touched.
    """
    import lapor_local.stack as stack_module
    from lapor_local.stack import LocalStack

    overrides = {
        "LAPOR_STATE_DIR": str(state_dir),
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "LAPOR_OUTBOX_GRACE_SECONDS": OUTBOX_GRACE_SECONDS,
    }
    with _environment(overrides):
        with mock.patch.object(stack_module, "sqs_event_sources", lambda functions: []):
            stack = LocalStack(root, api_port=0, aws_port=0, schedules=False).start()
        try:
            pollers = [thread.name for thread in threading.enumerate() if thread.name.startswith("sqs-")]
            if pollers:
                raise RuntimeError(f"the local stack polls SQS ({pollers}); the bench cannot drive notify_agency")
            yield stack
        finally:
            stack.stop()


def child_environment(aws_url: str, config_dir: Path) -> dict[str, str]:
    """The children's environment: the functions' variables as the stack resolved them, fake credentials,
    and the bench's moto as the endpoint from the start (functions create their clients during INIT; that
    nothing calls AWS at import is tests/unit/test_cold_start.py's job).
    """
    env = dict(os.environ)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    env.update(
        {
            "AWS_ENDPOINT_URL": aws_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(config_dir / "absent-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "absent-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


# ---------------------------------------------------------------- fixtures


def submit(stack: Any, body: dict[str, Any]) -> dict[str, Any]:
    """A report submitted through the real function (in this process), its receipt back."""
    response = stack.invoke("SubmitReportFunction", api_event("POST", "/reports", body=body))
    if response["statusCode"] != 201:
        raise RuntimeError(f"the bench could not submit a fixture report: {response['body'][:300]}")
    receipt: dict[str, Any] = json.loads(response["body"])
    return receipt


def make_fixtures(stack: Any, needs: Mapping[str, int]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Shared fixtures (a public report, a reporter's report and code) and the pools the children consume."""
    public = submit(stack, valid_submission())
    reporter = submit(stack, valid_submission())
    from lapor.open311 import create_partner_key

    fixtures = {
        "public_id": public["tracking_id"],
        "reporter_id": reporter["tracking_id"],
        "reporter_code": reporter["access_code"],
        "open311_key": create_partner_key("bench")[1],
    }
    inbox_body = valid_submission(category=INBOX_CATEGORY, agency_id=INBOX_AGENCY)
    # The inbox page must be full of sealed reports even before the first verify.
    verify = [submit(stack, inbox_body)["tracking_id"] for _ in range(max(needs.get("verify", 0), 12))]
    notify = [pending_event(submit(stack, valid_submission())["tracking_id"]) for _ in range(needs.get("notify", 0))]
    uploads = photo_uploads(stack, needs.get("photo", 0))
    return fixtures, {"verify": verify, "notify": notify, "photo": uploads}


def photo_uploads(stack: Any, count: int) -> list[dict[str, Any]]:
    """`count` 10 MB photos uploaded through presigned POSTs, each to its own report's slot: the S3
    notifications the processing function will be handed (built here: the bench's stack polls no queue)."""
    if not count:
        return []
    from lapor.photos import reserve_slot
    from lapor.store import get_report
    from lapor.timefmt import to_store, utcnow

    from tests import photos

    data = photos.near_limit_jpeg()
    notifications = []
    for _ in range(count):
        tracking_id = submit(stack, valid_submission())["tracking_id"]
        slot = reserve_slot(get_report(tracking_id) or {}, "reporter", "image/jpeg")
        if photos.post_upload(slot, data) != 204:
            raise RuntimeError("the bench's photo upload was refused")
        record = {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Post",
            "eventTime": to_store(utcnow()),  # within the slot's lifetime, however late the child runs
            "s3": {
                "bucket": {"name": stack.ref("PhotosBucket")},
                "object": {"key": slot["upload"]["fields"]["key"], "size": len(data)},
            },
        }
        notifications.append({"Records": [record]})
    return notifications


def pending_event(tracking_id: str) -> dict[str, Any]:
    """The report.submitted event still in a report's outbox: what the queue would hand notify_agency."""
    from lapor.store import get_report

    item = get_report(tracking_id)
    if item is None or len(item.get("outbox") or {}) != 1:
        raise RuntimeError(f"report {tracking_id} has no single pending event")
    event: dict[str, Any] = next(iter(item["outbox"].values()))
    return event


def take_slices(pools: dict[str, list[Any]], needs: Mapping[str, int]) -> dict[str, list[Any]]:
    """Hand one child its own items of each pool (removed from `pools`: nobody else gets them)."""
    handed = {}
    for name, count in needs.items():
        if len(pools.get(name, [])) < count:
            raise RuntimeError(f"pool {name!r} has {len(pools.get(name, []))} items, a child needs {count}")
        handed[name], pools[name] = pools[name][:count], pools[name][count:]
    return handed


# ---------------------------------------------------------------- escalation at scale


class ReportSeeder:
    """Copies one real submitted report into many, straight into moto's DynamoDB backend.

    Through moto's HTTP server 50,000 items take minutes; its backend takes the same validated `put_item`
    without the HTTP round trip. Only the seeding takes this shortcut: the escalation run reads through
    the function, the client and the server, so the read count is the real query path's.
    """

    def __init__(self, stack: Any, template_id: str) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][stack.region]
        self.table = stack.ref("ReportsTable")
        found = self.backend.get_item(self.table, {"pk": {"S": f"REPORT#{template_id}"}, "sk": {"S": "REPORT"}})
        if found is None:
            raise RuntimeError("the template report for seeding is missing")
        attributes: dict[str, Any] = found.to_json()["Attributes"]
        # Shaped like a report whose submission event was handled: no pending outbox entry.
        for name in ("outbox_pk", "outbox_at"):
            attributes.pop(name, None)
        attributes["outbox"] = {"M": {}}
        self.attributes = attributes
        self.seeded = 0

    def put(self, tracking_id: str, due_at: datetime) -> None:
        attributes = dict(self.attributes)
        submitted = attributes["submitted_at"]["S"]
        attributes.update(
            {
                "pk": {"S": f"REPORT#{tracking_id}"},
                "tracking_id": {"S": tracking_id},
                "inbox_sk": {"S": f"{submitted}#{tracking_id}"},
                "due_at": {"S": due_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
            }
        )
        if "public_sk" in attributes:  # a public report: listed by Open311, each in its own place
            attributes["public_sk"] = {"S": f"{submitted}#{tracking_id}"}
        self.backend.put_item(self.table, attributes)
        self.seeded += 1

    def table_size(self) -> int:
        return len(self.backend.get_table(self.table))

    @staticmethod
    def backend_of(stack: Any) -> Any:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[DEFAULT_ACCOUNT_ID][stack.region]


def escalation_at_scale(
    stack: Any, sizes: list[int], due: int, at: datetime, progress: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    """Grow the table to each size of not-due reports plus `due` overdue ones, and run the deadline job once."""
    from tests.bench.harness import counting_aws_calls

    seeder = ReportSeeder(stack, submit(stack, valid_submission())["tracking_id"])
    not_due_at, due_at = at + timedelta(days=30), at - timedelta(hours=1)
    results = []
    fillers = 0
    for size in sorted(sizes):
        started = time.monotonic()
        while fillers < size:
            seeder.put(f"FILLER-{fillers:06d}", not_due_at)
            fillers += 1
        for n in range(due):
            seeder.put(f"DUE-{size}-{n:03d}", due_at)
        seeded_s = time.monotonic() - started
        with counting_aws_calls() as counter:
            summary = stack.run_schedule("EscalateOverdueFunction", at)
            calls = counter.take().calls
        progress(f"escalation: {fillers:,} not due, {due} due (seeded in {seeded_s:.0f} s): {summary}")
        results.append(
            {
                "not_due": fillers,
                "due": due,
                "table_items": seeder.table_size(),
                "summary": summary,
                "calls": calls,
                "seeding_s": seeded_s,
            }
        )
    return results


# ---------------------------------------------------------------- Open311 listing at scale


@contextmanager
def counting_items_read() -> Iterator[dict[str, int]]:
    """Items DynamoDB read in this process while the block runs: ScannedCount of each Query, items of each
    GetItem and BatchGetItem answer (the capacity a listing pays for), counted below every client."""
    from botocore.client import BaseClient

    read = {"items": 0}
    original: Callable[..., Any] = BaseClient._make_api_call

    def counted(self: Any, operation_name: str, api_params: Any) -> Any:
        result = original(self, operation_name, api_params)
        if operation_name == "Query":
            read["items"] += int(result.get("ScannedCount", 0))
        elif operation_name == "GetItem":
            read["items"] += 1 if result.get("Item") else 0
        elif operation_name == "BatchGetItem":
            read["items"] += sum(len(items) for items in result.get("Responses", {}).values())
        return result

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield read
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


OPEN311_QUERIES = (
    ("every public report (open and closed), the last 90 days", {}),
    ("status=open&service_code=jalan-jembatan", {"status": "open", "service_code": "jalan-jembatan"}),
)


def open311_listing_at_scale(stack: Any, progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """GET requests.json through Open311Function on the table the escalation runs grew: items read per listed."""
    from tests.bench.harness import counting_aws_calls

    results = []
    table_items = len(ReportSeeder.backend_of(stack).get_table(stack.ref("ReportsTable")))
    for name, query in OPEN311_QUERIES:
        event = api_event("GET", "/open311/v2/requests.json", query=query or None)
        with counting_aws_calls() as counter, counting_items_read() as read:
            response = stack.invoke("Open311Function", event)
            calls = counter.take().calls
        if response["statusCode"] != 200:
            raise RuntimeError(f"Open311 listing failed: {response['body'][:300]}")
        listed = len(json.loads(response["body"]))
        progress(f"open311: {name}: {listed:,} listed, {read['items']:,} read, {table_items:,} items in the table")
        results.append(
            {"query": name, "table_items": table_items, "listed": listed, "read": read["items"], "calls": calls}
        )
    return results
