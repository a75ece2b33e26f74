"""WhatsApp on the local stack (issue 25): the webhook's latency over HTTP, and what 1,000 reports filed on
WhatsApp cost (Lambda, API Gateway, DynamoDB, SQS FIFO, KMS, Secrets Manager, CloudWatch Logs, and Meta's template
messages).

Run it with `make bench-whatsapp` (or `python -m tests.bench.whatsapp [--posts N] [--reports N] > /dev/null`: the
figures go to standard error, the functions' logs to standard output). It starts the
local stack in this process, so every AWS call of every function is counted and sized (tests/bench/cost.py's
meter), and each function invocation is timed (CPU in its thread, the rest waiting for moto).

Meta's price: a utility template delivered outside the 24-hour customer-service window is charged; free-form
replies and utility templates inside the window are free (per-message pricing since 1 July 2025). Indonesia's
utility rate is `META_UTILITY_IDR_USD` below, with its source: check Meta's current rate card before quoting.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "shared"), str(ROOT / "infra")]

from tests import whatsapp  # noqa: E402
from tests.bench.cost import PRICES, RUNTIME_LOG_BYTES, Usage, lambda_seconds, metering  # noqa: E402

# US$ per utility template message delivered to a +62 number: Meta's rate card for Indonesia as reported by
# Haptik ("WhatsApp Pricing 2024", rates effective 1 August 2024 for utility; read 6 December 2026 through the
# search tool: this machine cannot reach Meta's rate card). Free inside the 24-hour window since 1 July 2025
# (Meta's per-message pricing, as Wati's support article of July 2025 describes it).
META_UTILITY_IDR_USD = 0.0200
META_SOURCE = "haptik.ai/blog/whatsapp-pricing-authentication-solution-charges (Meta rate card, Aug 2024)"
# Updates a report's reporter gets (responded, closed); at worst each one outside the 24-hour window.
UPDATES_PER_REPORT = 2
SQS_FIFO_REQUEST = 0.50 / 1e6  # FIFO queues, per 64 KB request (standard: PRICES["sqs_request"])
DESCRIPTION = "Saluran air di Jl. Negara tersumbat\nAir meluap ke jalan dan rumah warga setiap hujan deras."
FILING = ("halo", "1", "1", "1", DESCRIPTION, "0", "0", "1", "2", "1", "1")  # anonymous, public, with updates


@contextmanager
def timed_invocations(usage: Usage) -> Iterator[None]:
    """Time each function invocation of the local stack (its thread's CPU, and the rest as waiting)."""
    from lapor_local.functions import LocalFunction

    original = LocalFunction.invoke

    def invoke(self: LocalFunction, event: Any) -> Any:
        started_wall, started_cpu = time.perf_counter(), time.thread_time()
        try:
            return original(self, event)
        finally:
            wall, cpu = time.perf_counter() - started_wall, time.thread_time() - started_cpu
            usage.invocations[self.logical_id] += 1
            usage.cpu_s[self.logical_id].append(cpu)
            usage.wait_s[self.logical_id].append(max(0.0, wall - cpu))

    LocalFunction.invoke = invoke  # type: ignore[method-assign]
    try:
        yield
    finally:
        LocalFunction.invoke = original  # type: ignore[method-assign]


@contextmanager
def counted_stdout(usage: Usage) -> Iterator[None]:
    """Count the bytes the functions log while the block runs (what CloudWatch Logs would ingest; they log JSON lines
    to standard output as in Lambda): file descriptor 1 goes through a pipe whose reader counts and drops them, so
    every writer counts, whatever stream object it kept from before."""
    import os
    import threading

    sys.stdout.flush()
    read_end, write_end = os.pipe()
    saved = os.dup(1)
    os.dup2(write_end, 1)
    os.close(write_end)
    counted = [0]

    def drain() -> None:
        while chunk := os.read(read_end, 65536):
            counted[0] += len(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)  # the pipe's last writer closes: the reader sees its end
        os.close(saved)
        reader.join(timeout=10)
        os.close(read_end)
        usage.log_bytes += counted[0]


class Sender:
    def __init__(self, stack: Any, secret: bytes, number: str) -> None:
        self.stack, self.secret, self.number = stack, secret, number

    def post(self, text: str) -> float:
        """One signed webhook call with a new message; its latency in seconds."""
        from lapor.whatsapp import sign

        body = whatsapp.raw(whatsapp.text(text, sender=self.number))
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(self.secret, body)}
        request = urllib.request.Request(f"{self.stack.api_url}/whatsapp/webhook", body, headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        started = time.perf_counter()
        with opener.open(request, timeout=30) as response:
            response.read()
            assert response.status == 200
        return time.perf_counter() - started

    def replies(self) -> int:
        assert self.stack.graph is not None
        return sum(1 for m in self.stack.graph.sent() if m["to"] == self.number)

    def say(self, text: str) -> float:
        seen = self.replies()
        latency = self.post(text)
        deadline = time.monotonic() + 30
        while self.replies() == seen:  # a person reads the answer before typing the next one
            if time.monotonic() > deadline:
                raise AssertionError("no reply within 30 s")
            time.sleep(0.02)
        time.sleep(0.2)
        return latency


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(posts: int, reports: int) -> dict[str, Any]:
    import boto3
    from lapor_local.stack import LocalStack

    usage = Usage()
    with timed_invocations(usage), LocalStack(ROOT, api_port=0, aws_port=0, schedules=False) as stack:
        secrets = boto3.client("secretsmanager")
        environment = json.loads((stack.state_dir / "local-stack.json").read_text())["environment"]
        secret = secrets.get_secret_value(SecretId=environment["WHATSAPP_APP_SECRET_ARN"])["SecretString"].encode()
        # Latency: the webhook alone, each message from its own sender (the consumer answers meanwhile, as live)
        latencies = [Sender(stack, secret, f"62811{i:07d}").post("halo") for i in range(posts)]
        time.sleep(3)
        usage.invocations.clear()
        usage.cpu_s.clear()
        usage.wait_s.clear()
        # Cost: whole filing conversations, metered
        with metering(usage), counted_stdout(usage):
            filed_latencies = []
            for _ in range(reports):
                sender = Sender(stack, secret, f"62812{uuid.uuid4().int % 10**7:07d}")
                filed_latencies += [sender.say(text) for text in FILING]
            time.sleep(1)
    return {"latencies": latencies, "conversation_latencies": filed_latencies, "usage": usage, "reports": reports}


def cost_per_thousand(usage: Usage, reports: int) -> list[tuple[str, float]]:
    """US$ of 1,000 reports filed on WhatsApp, line by line."""
    scale = 1000 / reports
    memory = {"WhatsAppWebhookFunction": 512, "WhatsAppConversationFunction": 256}
    lines = []
    for function, size in memory.items():
        seconds = sum(
            lambda_seconds(c, w, size) for c, w in zip(usage.cpu_s[function], usage.wait_s[function], strict=True)
        )
        gb_s = seconds * size / 1024 * scale
        lines.append((f"Lambda {function} ({size} MB)", gb_s * PRICES["lambda_arm_gb_s"]))
        lines.append((f"Lambda requests {function}", usage.invocations[function] * scale * PRICES["lambda_request"]))
    webhook_calls = usage.invocations["WhatsAppWebhookFunction"] * scale
    lines.append(("API Gateway (webhook calls)", webhook_calls * PRICES["apigw_rest_request"]))
    lines.append(("DynamoDB writes", usage.wru * scale * PRICES["dynamodb_wru"]))
    lines.append(("DynamoDB reads", usage.rru * scale * PRICES["dynamodb_rru"]))
    # Each queued message: one send, one receive and one delete by the event source mapping (FIFO prices).
    sends = usage.calls["sqs:SendMessage"] * scale
    lines.append(("SQS (FIFO send, receive, delete; report events)", sends * 3 * SQS_FIFO_REQUEST))
    kms = sum(n for name, n in usage.calls.items() if name.startswith("kms:")) * scale
    lines.append(("KMS requests", kms * PRICES["kms_request"]))
    secrets = usage.calls["secretsmanager:GetSecretValue"] * scale
    # Once per container in Lambda; the local stack reloads the layer whenever another function runs: an upper bound.
    lines.append(("Secrets Manager requests (upper bound)", secrets * PRICES["secrets_request"]))
    # Every function's lines (the filing runs submit, notify and the relay too) and Lambda's START/END/REPORT lines
    runtime_lines = sum(usage.invocations.values()) * RUNTIME_LOG_BYTES
    logged = (usage.log_bytes + runtime_lines) * scale / 1e9
    lines.append(("CloudWatch Logs ingestion (every function's lines)", logged * PRICES["logs_ingest_gb"]))
    meta = 1000 * UPDATES_PER_REPORT * META_UTILITY_IDR_USD
    lines.append((f"Meta utility templates ({UPDATES_PER_REPORT} updates outside the window, worst case)", meta))
    return lines


def say(text: str = "") -> None:
    """Results go to standard error: the functions log to standard output, as in Lambda."""
    print(text, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--reports", type=int, default=5)
    args = parser.parse_args()
    result = run(args.posts, args.reports)
    latencies = [1000 * x for x in result["latencies"]]
    during = [1000 * x for x in result["conversation_latencies"]]
    usage: Usage = result["usage"]
    say(
        f"webhook over HTTP, {len(latencies)} calls: p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {percentile(latencies, 0.95):.0f} ms (target p50 < 250 ms)"
    )
    say(
        f"webhook during {result['reports']} filing conversations ({len(during)} calls): "
        f"p50 {statistics.median(during):.0f} ms, p95 {percentile(during, 0.95):.0f} ms"
    )
    say(f"per report: {json.dumps({k: round(v / result['reports'], 1) for k, v in sorted(usage.calls.items())})}")
    lines = cost_per_thousand(usage, result["reports"])
    say("\ncost of 1,000 reports filed on WhatsApp (US$, ap-southeast-3 list prices):")
    for name, dollars in lines:
        say(f"  {name:<75} {dollars:>9.4f}")
    aws = sum(d for n, d in lines if not n.startswith("Meta"))
    say(f"  {'AWS':<75} {aws:>9.4f}\n  {'total':<75} {sum(d for _, d in lines):>9.4f}")
    say(f"\nMeta: US$ {META_UTILITY_IDR_USD} per utility template to +62, {META_SOURCE}")


if __name__ == "__main__":
    main()
