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
from datetime import UTC, datetime, timedelta
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
    """`count` 10 MB photos uploaded through presigned POSTs, each to its own report's slot: the uploads
    the processing function will be handed (built here: the bench's stack polls no queue)."""
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
        # What PhotoUploadsRule's input transformer hands the queue (template.yaml): no IP, no identity.
        upload = {
            "bucket": stack.ref("PhotosBucket"),
            "key": slot["upload"]["fields"]["key"],
            "size": len(data),
            "eventTime": to_store(utcnow()),  # within the slot's lifetime, however late the child runs
        }
        notifications.append(upload)
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


REPORT_KEYS = ("pk", "sk", "tracking_id", "submitted_at", "category", "public_pk", "service_pk", "public_sk")


class ReportSeeder:
    """Copies one real submitted report into many, straight into moto's DynamoDB backend.

    Through moto's HTTP server 50,000 items take minutes; its backend takes the same validated `put_item`
    without the HTTP round trip. Only the seeding takes this shortcut: the runs that are measured read
    through the function, the client and the server, so the read counts are the real query path's.
    """

    def __init__(self, stack: Any, template_id: str) -> None:
        self.backend = self.backend_of(stack)
        self.table = stack.ref("ReportsTable")
        found = self.backend.get_item(self.table, {"pk": {"S": f"REPORT#{template_id}"}, "sk": {"S": "REPORT"}})
        if found is None:
            raise RuntimeError("the template report for seeding is missing")
        attributes: dict[str, Any] = found.to_json()["Attributes"]
        if "public_pk" not in attributes:
            raise RuntimeError("the template report for seeding must be public (Open311 lists the copies)")
        # Shaped like a report whose submission event was handled: no pending outbox entry.
        for name in ("outbox_pk", "outbox_at"):
            attributes.pop(name, None)
        attributes["outbox"] = {"M": {}}
        self.attributes = attributes
        self.seeded = 0

    def put(
        self,
        tracking_id: str,
        due_at: datetime,
        submitted_at: datetime | None = None,
        closed: bool = False,
        closed_at: datetime | None = None,
        agency: tuple[str, str] | None = None,
        status: str | None = None,
        location: tuple[float, float] | None = None,
    ) -> None:
        """One copy under its own id, submitted at `submitted_at` (default: the template's moment), open
        with a deadline at `due_at`, or closed (then out of the due index, in the closed public partitions;
        with `closed_at`, in the retention index from then, as closing puts it); with another `agency` (id,
        name: an agency under the template's coordinators) or open `status`; at `location` (default: the
        template's point), in the nearby index while open (lapor.store's keys)."""
        from lapor.store import nearby_keys

        attributes = dict(self.attributes)
        if agency is not None or status is not None:
            from lapor.directory import COORDINATING_LEVELS

            agency_id, _ = agency or (attributes["agency_id"]["S"], "")
            state = status or attributes["status"]["S"]
            attributes.update(
                {
                    "agency_id": {"S": agency_id},
                    "agency_name": {"S": agency[1] if agency else attributes["agency_name"]["S"]},
                    "status": {"S": state},
                    "inbox_pk": {"S": f"AGENCY#{agency_id}"},
                    "status_pk": {"S": f"AGENCY#{agency_id}#{state}"},
                }
            )
            for level in COORDINATING_LEVELS:  # the template's coordinators, keyed by the new status
                if f"scope_{level}_pk" in attributes:
                    attributes[f"scope_{level}_status_pk"] = {"S": f"{attributes[f'scope_{level}_pk']['S']}#{state}"}
        submitted = attributes["submitted_at"]["S"] if submitted_at is None else _stored(submitted_at)
        lat, lon = location or (
            float(attributes["location"]["M"]["lat"]["N"]),
            float(attributes["location"]["M"]["lon"]["N"]),
        )
        attributes["location"] = {"M": {"lat": {"N": repr(lat)}, "lon": {"N": repr(lon)}}}
        for name in ("geo_pk", "geo_sk"):
            attributes.pop(name, None)
        report = {"location": {"lat": lat, "lon": lon}, "category": attributes["category"]["S"]}
        keys = nearby_keys(
            {**report, "submitted_at": submitted, "tracking_id": tracking_id}, "closed" if closed else "submitted"
        )
        attributes.update({name: {"S": value} for name, value in keys.items()})
        place = {"S": f"{submitted}#{tracking_id}"}
        attributes.update(
            {
                "pk": {"S": f"REPORT#{tracking_id}"},
                "tracking_id": {"S": tracking_id},
                "submitted_at": {"S": submitted},
                "inbox_sk": place,
                "public_sk": place,
                "due_at": {"S": _stored(due_at)},
            }
        )
        if closed:
            state = "closed"
            for name in ("due_pk", "due_at", "due_stage"):
                attributes.pop(name, None)
            attributes["status"] = {"S": state}
            attributes["status_pk"] = {"S": f"AGENCY#{attributes['agency_id']['S']}#{state}"}
            attributes["public_pk"] = {"S": f"PUBLIC#{state}"}
            attributes["service_pk"] = {"S": f"PUBLIC#{attributes['category']['S']}#{state}"}
            if closed_at is not None:
                closing = {"S": _stored(closed_at)}
                attributes.update({"closed_at": closing, "retain_pk": {"S": "RETAIN"}, "retain_at": closing})
        self.backend.put_item(self.table, attributes)
        self.seeded += 1

    @contextmanager
    def quickly(self) -> Iterator[None]:
        """moto re-sums an item's whole size at every attribute it sets (quadratic in the attributes; most of
        a put's time). The copies are the size of a template that passed its 400 KB check on the way in, so
        the check is skipped while seeding; keys, types and the table's schema are still validated.
        """
        from moto.dynamodb.models.dynamo_type import LimitedSizeDict

        with mock.patch.object(LimitedSizeDict, "__setitem__", dict.__setitem__):
            yield

    def table_size(self) -> int:
        return len(self.backend.get_table(self.table))

    def reports(self) -> list[dict[str, Any]]:
        """Every report in the table: its id, submission moment, category and public index keys (if any)."""
        found = []
        for item in self.backend.get_table(self.table).all_items():
            values = {name: item.attrs[name].value for name in REPORT_KEYS if name in item.attrs}
            if values.get("sk") == "REPORT" and str(values.get("pk", "")).startswith("REPORT#"):
                found.append(values)
        return found

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
        with seeder.quickly():
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

OPEN311_REPORTS = 50_000
# The copies are spread over twice the default listing window (the last 90 days), one in ten closed: the
# listing has tens of thousands of reports to choose from in each of its partitions, and half the table is
# outside the window altogether.
SPREAD_DAYS = 180
CLOSED_EVERY = 10
DEFAULT_WINDOW = timedelta(days=90)
SERVICE_CODE = valid_submission()["category"]
LISTING_READ_TIMEOUT_S = 300

OPEN311_QUERIES = (
    ("every public report (open and closed), the last 90 days", {}),
    (f"status=open&service_code={SERVICE_CODE}", {"status": "open", "service_code": SERVICE_CODE}),
)


def _stored(moment: datetime) -> str:
    """A moment as reports store it (lapor.timefmt.to_store, without importing lapor here)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_public_reports(
    stack: Any,
    reports: int,
    now: datetime,
    spread_days: int = SPREAD_DAYS,
    closed_every: int = CLOSED_EVERY,
    progress: Callable[[str], None] = print,
) -> ReportSeeder:
    """Top the table up to `reports` reports (counting what earlier phases left there) with public copies
    of a real submission, submitted over the last `spread_days` days, one in `closed_every` closed."""
    seeder = ReportSeeder(stack, submit(stack, valid_submission())["tracking_id"])
    missing = max(0, reports - len(seeder.reports()))
    started = time.monotonic()
    with seeder.quickly():
        for n in range(missing):
            submitted = now - timedelta(seconds=spread_days * 86_400 * (n + 1) / (missing + 1))
            seeder.put(f"LIST-{n:06d}", now + timedelta(days=30), submitted, closed=n % closed_every == 0)
    progress(f"open311: {missing:,} reports seeded in {time.monotonic() - started:.0f} s")
    return seeder


def expected_listing(seeder: ReportSeeder, query: Mapping[str, str], now: datetime, limit: int) -> list[str]:
    """What `GET requests.json` with `query` must list, worked out from the table's contents directly."""
    states = query.get("status", "open,closed").split(",")
    code = query.get("service_code")
    start, end = _stored(now - DEFAULT_WINDOW), _stored(now)
    wanted = [
        report
        for report in seeder.reports()
        if report.get("public_pk") in {f"PUBLIC#{state}" for state in states}
        and (code is None or report.get("category") == code)
        and start <= report["submitted_at"] <= end
    ]
    wanted.sort(key=lambda report: report["public_sk"], reverse=True)
    return [report["tracking_id"] for report in wanted[:limit]]


@contextmanager
def moto_projects_once() -> Iterator[None]:
    """moto projects an item (an index's INCLUDE projection, a ProjectionExpression) by turning the whole
    item into JSON again for every projected attribute: tens of milliseconds per listed item here, seconds
    per page, which on a busy machine outran the client's read timeout. The same projection from one
    conversion per item, and without re-checking the 400 KB limit of what is a part of a stored item
    (see ReportSeeder.quickly); what a query reads, counts and returns is unchanged.
    """
    from botocore.utils import merge_dicts
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict, serializer
    from moto.dynamodb.models.utilities import find_nested_key

    def project(self: Item, projection_expressions: list[list[str]]) -> Item:
        whole = self.to_regular_json()
        result: dict[str, Any] = {}
        for expression in projection_expressions:
            merge_dicts(result, find_nested_key(expression, whole))
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=serializer.serialize(result)["M"])

    with (
        mock.patch.object(Item, "project", project),
        mock.patch.object(LimitedSizeDict, "__setitem__", dict.__setitem__),
    ):
        yield


@contextmanager
def moto_queries_one_partition() -> Iterator[None]:
    """moto answers a Query on a table's own key by sorting the whole table and keeping one partition: about
    0.3 s per Query at 20,000 reports here, where DynamoDB reads the partition alone. The retention run makes
    one such Query per erased report (its PRIVATE# keys): the same answer from the partition alone. What a
    Query reads, counts and returns is unchanged; index queries are left as they are."""
    from moto.dynamodb.models.table import Table

    original_query, original_all_items = Table.query, Table.all_items
    current = threading.local()

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        current.key = hash_key if index_name is None and self.range_key_attr else None
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            current.key = None

    def all_items(self: Table) -> list[Any]:
        key = getattr(current, "key", None)
        if key is None:
            return original_all_items(self)
        return sorted(self.items.get(key, {}).values(), key=lambda item: item.range_key)

    with mock.patch.object(Table, "query", query), mock.patch.object(Table, "all_items", all_items):
        yield


@contextmanager
def patient_clients(read_timeout_s: int = LISTING_READ_TIMEOUT_S) -> Iterator[None]:
    """The functions' clients with a read timeout for moto, not for DynamoDB: moto walks and sorts the whole
    table for every page of an index query and serializes each answer item by item, which with 50,000
    reports on a loaded machine took longer than the local stack's 30 s. Clients are made afresh with it,
    and again afterwards with the stack's own.
    """
    from lapor import aws

    aws.reset_clients()
    try:
        with _environment({"LAPOR_AWS_READ_TIMEOUT": str(read_timeout_s)}):
            yield
    finally:
        aws.reset_clients()


def reads_of(log: list[tuple[str, str, Any, Any]]) -> dict[str, Any]:
    """What DynamoDB read for the logged calls: items (ScannedCount of each Query and Scan, the items of each
    GetItem and BatchGetItem answer), scans, and read units from the sizes of the items read."""
    from tests.bench.cost import item_size, read_units

    items, scans, units = 0, 0, 0.0
    for service, operation, params, response in log:
        if service != "dynamodb" or response is None:
            continue
        consistent = bool(params.get("ConsistentRead"))
        if operation in ("Query", "Scan"):
            items += int(response.get("ScannedCount", 0))
            scans += operation == "Scan"
            units += read_units(sum(item_size(item) for item in response.get("Items", [])), consistent)
        elif operation == "GetItem" and response.get("Item"):
            items += 1
            units += read_units(item_size(response["Item"]), consistent)
        elif operation == "BatchGetItem":
            for found in (response.get("Responses") or {}).values():
                items += len(found)
                units += sum(read_units(item_size(item), consistent) for item in found)
    return {"read": items, "scans": scans, "read_units": units}


def measure_listing(stack: Any, seeder: ReportSeeder, name: str, query: Mapping[str, str]) -> dict[str, Any]:
    """One `GET requests.json` through Open311Function: what it listed, whether that is what the table says it
    must list, and what DynamoDB read for it."""
    from lapor.open311 import MAX_LISTED

    from tests.bench.harness import counting_aws_calls

    now = datetime.now(UTC)
    expected = expected_listing(seeder, query, now, MAX_LISTED)
    event = api_event("GET", "/open311/v2/requests.json", query=dict(query) or None)
    started = time.monotonic()
    with moto_projects_once(), patient_clients(), counting_aws_calls(record=True) as counter:
        response = stack.invoke("Open311Function", event)
    elapsed = time.monotonic() - started
    if response["statusCode"] != 200:
        raise RuntimeError(f"Open311 listing failed: {response['body'][:300]}")
    listed = [request["service_request_id"] for request in json.loads(response["body"])]
    assert counter.log is not None
    return {
        "query": name,
        "reports": len(seeder.reports()),
        "table_items": seeder.table_size(),
        "listed": len(listed),
        "as_expected": listed == expected,
        **reads_of(counter.log),
        "calls": counter.take().calls,
        "seconds": elapsed,
    }


def open311_listing_at_scale(
    stack: Any,
    reports: int = OPEN311_REPORTS,
    progress: Callable[[str], None] = print,
    spread_days: int = SPREAD_DAYS,
    closed_every: int = CLOSED_EVERY,
) -> list[dict[str, Any]]:
    """GET requests.json through Open311Function on a table of `reports` reports: items read per listed."""
    seeder = seed_public_reports(stack, reports, datetime.now(UTC), spread_days, closed_every, progress)
    results = []
    for name, query in OPEN311_QUERIES:
        result = measure_listing(stack, seeder, name, query)
        progress(
            f"open311: {name}: {result['listed']:,} listed ({'as expected' if result['as_expected'] else 'NOT'}"
            f" the newest), {result['read']:,} items read, {result['scans']} scans, {result['reports']:,} reports"
        )
        results.append(result)
    return results


# ---------------------------------------------------------------- retention at scale

RETENTION_REPORTS = 50_000
RETENTION_DUE = 1_000
RETENTION_DAYS = 365  # the template's default PersonalDataRetentionDays
# Of the reports the phase adds besides the due ones, one in two is closed, at a moment spread over the last
# RETENTION_DAYS - 1 days: in the retention index, not due yet. The due ones closed 1 to 365 days before that.
RETENTION_CLOSED_EVERY = 2


def seed_for_retention(
    stack: Any, reports: int, due: int, now: datetime, progress: Callable[[str], None] = print
) -> tuple[ReportSeeder, int]:
    """`due` reports closed longer ago than the retention period, and the table topped up to `reports` reports
    (at least `due` more) with open ones and ones closed too recently to be due; how many the index holds."""
    seeder = ReportSeeder(stack, submit(stack, valid_submission())["tracking_id"])
    others = max(due, reports - len(seeder.reports()) - due)
    started = time.monotonic()
    in_index = 0
    with seeder.quickly():
        for n in range(due):
            closed_at = now - timedelta(days=RETENTION_DAYS + 1 + n * RETENTION_DAYS / due)
            seeder.put(f"ERASE-{n:06d}", now, closed_at - timedelta(days=30), closed=True, closed_at=closed_at)
        for n in range(others):
            if n % RETENTION_CLOSED_EVERY:
                seeder.put(f"KEEP-{n:06d}", now + timedelta(days=5))
                continue
            closed_at = now - timedelta(days=(RETENTION_DAYS - 1) * n / others)
            seeder.put(f"KEEP-{n:06d}", now, closed_at - timedelta(days=30), closed=True, closed_at=closed_at)
            in_index += 1
    progress(f"retention: {due + others:,} reports seeded in {time.monotonic() - started:.0f} s")
    return seeder, due + in_index


def retention_at_scale(
    stack: Any,
    reports: int = RETENTION_REPORTS,
    due: int = RETENTION_DUE,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """One scheduled run of ErasePersonalDataFunction on a table of `reports` reports, `due` of them closed
    longer ago than the retention period and many more closed since: items read per erased report."""
    from tests.bench.harness import counting_aws_calls

    now = datetime.now(UTC)
    seeder, in_index = seed_for_retention(stack, reports, due, now, progress)
    started = time.monotonic()
    with (
        moto_projects_once(),
        moto_queries_one_partition(),
        patient_clients(),
        counting_aws_calls(record=True) as counter,
    ):
        summary = stack.run_schedule("ErasePersonalDataFunction", now)
    elapsed = time.monotonic() - started
    assert counter.log is not None
    left = [
        item.attrs["tracking_id"].value
        for item in seeder.backend.get_table(seeder.table).all_items()
        if "retain_pk" in item.attrs
    ]
    run = {
        "reports": len(seeder.reports()),
        "table_items": seeder.table_size(),
        "in_index": in_index,
        "due": due,
        "summary": summary,
        "left_in_index": len(left),
        "due_left": sum(1 for tracking_id in left if str(tracking_id).startswith("ERASE-")),
        **reads_of(counter.log),
        "calls": counter.take().calls,
        "seconds": elapsed,
    }
    progress(
        f"retention: {summary.get('erased', 0):,} of {due:,} due erased, {run['read']:,} items read, "
        f"{run['scans']} scans, {run['reports']:,} reports, {in_index:,} in the index, {elapsed:.0f} s"
    )
    return run


# ---------------------------------------------------------------- a coordinator's inbox at a regency's size

INBOX_OFFICES = 40
INBOX_REPORTS = 5_000
INBOX_PAGES = 3  # pages read of each listing, one after the other with the cursor
INBOX_QUERIES: tuple[tuple[str, dict[str, str]], ...] = (
    ("all open", {}),
    ("status=verified", {"status": "verified"}),
    ("status=in_progress", {"status": "in_progress"}),
)
OPEN_CYCLE = ("submitted", "verified", "in_progress", "verified", "in_progress")


def seed_regency(stack: Any, offices: int, reports: int, progress: Callable[[str], None]) -> list[str]:
    """A regency of `offices` offices (added to the directory) and `reports` open reports spread over them
    in the statuses of OPEN_CYCLE, copies of one real submission; the offices' ids back."""
    from lapor import store

    template_id = submit(stack, valid_submission())["tracking_id"]
    seeder = ReportSeeder(stack, template_id)
    regency = seeder.attributes["scope"]["M"]["regency"]["S"]
    ids = [f"bench-kantor-{n:02d}" for n in range(offices)]
    for n, office in enumerate(ids):
        agency = {"id": office, "name": f"Kantor {n}", "parent_id": regency, "level": "office", "region_code": "62.05"}
        seeder.backend.put_item(
            seeder.table, {"pk": {"S": "DIRECTORY"}, "sk": {"S": f"AGENCY#{office}"}, "data": store.to_attr(agency)}
        )
    store.forget_directory()
    now, started = datetime.now(UTC), time.monotonic()
    with seeder.quickly():
        for n in range(reports):
            office, status = ids[n % offices], OPEN_CYCLE[n % len(OPEN_CYCLE)]
            submitted = now - timedelta(seconds=30 * (n + 1))
            agency = (office, f"Kantor {n % offices}")
            seeder.put(f"INBOX-{n:06d}", now + timedelta(days=30), submitted, agency=agency, status=status)
    progress(f"inbox: {offices} offices, {reports:,} open reports seeded in {time.monotonic() - started:.0f} s")
    return ids


def coordinator_inbox_at_scale(
    stack: Any,
    offices: int = INBOX_OFFICES,
    reports: int = INBOX_REPORTS,
    progress: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """The regency coordinator's inbox through AgencyReportsFunction, INBOX_PAGES pages of each listing:
    queries per page and items read per listed report (what the offices' number must not change)."""
    from tests.bench.harness import counting_aws_calls

    seed_regency(stack, offices, reports, progress)
    coordinator = {
        "sub": "bench-coordinator",
        "email": "koordinator@baritoutara.lapor.example",
        "custom:agency_id": "pemkab-barito-utara",
        "custom:role": "dispatcher",
        "token_use": "id",
    }

    def page(query: Mapping[str, str]) -> dict[str, Any]:
        event = api_event("GET", "/agency/reports", query=dict(query), claims=coordinator)
        response = stack.invoke("AgencyReportsFunction", event)
        if response["statusCode"] != 200:
            raise RuntimeError(f"the coordinator's inbox failed: {response['body'][:300]}")
        found: dict[str, Any] = json.loads(response["body"])
        return found

    page({})  # warm: the directory read and the roster entry are not the inbox's cost
    results = []
    for name, query in INBOX_QUERIES:
        listed: list[dict[str, Any]] = []
        cursor: str | None = None
        with patient_clients(), counting_aws_calls(record=True) as counter:
            for _ in range(INBOX_PAGES):
                answer = page({**query, **({"cursor": cursor} if cursor else {})})
                listed += answer["items"]
                cursor = answer["next_cursor"]
        assert counter.log is not None
        queries = sum(1 for service, operation, _, _ in counter.log if (service, operation) == ("dynamodb", "Query"))
        ids = [item["tracking_id"] for item in listed]
        moments = [item["submitted_at"] for item in listed]
        result = {
            "query": name,
            "offices": offices,
            "reports": reports,
            "pages": INBOX_PAGES,
            "listed": len(listed),
            "newest_first": moments == sorted(moments, reverse=True) and len(set(ids)) == len(ids),
            "in_status": all(item["status"] == query.get("status", item["status"]) for item in listed),
            "queries": queries,
            **reads_of(counter.log),
            "calls": counter.take().calls,
        }
        progress(
            f"inbox: {name}: {result['listed']} listed in {INBOX_PAGES} pages, {queries} queries, "
            f"{result['read']} items read"
        )
        results.append(result)
    return results


# ---------------------------------------------------------------- "Sudah dilaporkan?" at scale

NEARBY_REPORTS = 50_000
TOWN = (-0.955, 114.896)  # Muara Teweh: the dense town centre, 3 km x 3 km
TOWN_SIDE_DEG = 0.027
REGENCY = (-1.3, 114.3, 0.3, 115.6)  # south, west, north, east: the sparse rest of a regency (about 8,300 km2)
TOWN_SHARE = 0.4
NEARBY_YEARS = 3  # 50,000 reports in 3 years: ten times Bojonegoro's 1,600 a year
OPEN_DAYS = 60  # reports younger than this are still open; of the older ones, one in OPEN_EVERY
OPEN_EVERY = 20
NEARBY_LOOKUPS = 5  # lookups at random points of each area


def nearby_place(n: int, rng: Any) -> tuple[str, tuple[float, float]]:
    """Where the n-th seeded report is: the town centre (a share of them) or anywhere in the regency."""
    if rng.random() < TOWN_SHARE:
        half = TOWN_SIDE_DEG / 2
        return "town", (round(TOWN[0] + rng.uniform(-half, half), 5), round(TOWN[1] + rng.uniform(-half, half), 5))
    south, west, north, east = REGENCY
    return "regency", (round(rng.uniform(south, north), 5), round(rng.uniform(west, east), 5))


def expected_nearby(seeded: list[dict[str, Any]], lat: float, lon: float, since: str) -> list[str]:
    """What GET /reports/nearby must answer, worked out from the seeded reports directly (every one of them)."""
    from lapor import geo, nearby
    from lapor.views import public_location

    found = []
    for report in seeded:
        if report["closed"] or report["submitted_at"] < since:
            continue
        point = public_location({"lat": report["lat"], "lon": report["lon"]}) or {}
        distance = geo.distance_m(lat, lon, float(point["lat"]), float(point["lon"]))
        if distance <= nearby.PUBLIC_RADIUS_M:
            found.append((distance, report["tracking_id"]))
    return [tracking_id for _, tracking_id in sorted(found)[: nearby.MAX_PUBLIC]]


def nearby_at_scale(
    stack: Any, reports: int = NEARBY_REPORTS, progress: Callable[[str], None] = print, lookups: int = NEARBY_LOOKUPS
) -> list[dict[str, Any]]:
    """GET /reports/nearby through TrackReportFunction with `reports` located road reports in the table (a dense
    town centre and a sparse regency): items read per lookup against the reports returned and the queries made
    (`cells`: a cell or a crowded cell's point each)."""
    import random

    from lapor import nearby

    from tests.bench.harness import counting_aws_calls

    rng = random.Random(27)
    now = datetime.now(UTC)
    seeder = ReportSeeder(stack, submit(stack, valid_submission())["tracking_id"])
    seeded: list[dict[str, Any]] = []
    started = time.monotonic()
    with seeder.quickly():
        for n in range(reports):
            _, (lat, lon) = nearby_place(n, rng)
            submitted = now - timedelta(seconds=NEARBY_YEARS * 365 * 86_400 * (n + 1) / (reports + 1))
            closed = submitted < now - timedelta(days=OPEN_DAYS) and n % OPEN_EVERY != 0
            tracking_id = f"NEAR-{n:06d}"
            seeder.put(tracking_id, now + timedelta(days=30), submitted, closed=closed, location=(lat, lon))
            seeded.append(
                {
                    "tracking_id": tracking_id,
                    "lat": lat,
                    "lon": lon,
                    "closed": closed,
                    "submitted_at": _stored(submitted),
                }
            )
    progress(f"nearby: {reports:,} located reports seeded in {time.monotonic() - started:.0f} s")
    since = _stored(now - timedelta(days=nearby.RECENT_DAYS))
    category = valid_submission()["category"]
    results = []
    for area in ("town", "regency"):
        for _ in range(lookups):
            if area == "town":
                lat, lon = TOWN[0] + rng.uniform(-0.01, 0.01), TOWN[1] + rng.uniform(-0.01, 0.01)
            else:
                south, west, north, east = REGENCY
                lat, lon = rng.uniform(south, north), rng.uniform(west, east)
            lat, lon = round(lat, 6), round(lon, 6)
            query = {"lat": f"{lat}", "lon": f"{lon}", "category": category}
            event = api_event("GET", "/reports/nearby", query=query)
            with moto_projects_once(), patient_clients(), counting_aws_calls(record=True) as counter:
                response = stack.invoke("TrackReportFunction", event)
            if response["statusCode"] != 200:
                raise RuntimeError(f"nearby lookup failed: {response['body'][:300]}")
            returned = [r["tracking_id"] for r in json.loads(response["body"])]
            assert counter.log is not None
            cells = sum(1 for service, operation, _, _ in counter.log if (service, operation) == ("dynamodb", "Query"))
            reads = reads_of(counter.log)
            results.append(
                {
                    "area": area,
                    "reports": reports,
                    "returned": len(returned),
                    "cells": cells,
                    **reads,
                    "as_expected": returned == expected_nearby(seeded, lat, lon, since),
                    "calls": counter.take().calls,
                }
            )
            progress(f"nearby: {area}: {len(returned)} returned, {reads['read']} items read in {cells} queries")
    return results
