"""The bench's pure pieces: statistics, verdicts, the AWS call counter, the child's result line, the template.

Kept free of heavy imports (no boto3, no moto at import time): the benchmark child imports this module
only after its timed import, and the unit tests import it without paying for AWS libraries.
"""

from __future__ import annotations

import copy
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULT_MARKER = "LAPOR-BENCH-RESULT "


# ---------------------------------------------------------------- statistics and verdicts


def median(values: Sequence[float]) -> float:
    """The median, which a single slow run (another engineer's tests on the same 2 cores) cannot move."""
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


def ratio(numerator: float, denominator: float) -> float:
    """A time as a multiple of a time measured in the same run: the only kind of time figure the bench prints."""
    if denominator <= 0:
        raise ValueError("a ratio needs a positive denominator")
    return numerator / denominator


def ratio_of_medians(samples: Sequence[float], baseline: Sequence[float]) -> float:
    """median(samples) / median(baseline): the cold-start figure as the issue defines it."""
    return ratio(median(samples), median(baseline))


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles: how far apart the interleaved runs were, to judge the noise."""
    if len(values) < 2:
        only = float(values[0]) if values else float("nan")
        return only, only
    q = statistics.quantiles(values, n=4, method="inclusive")
    return float(q[0]), float(q[2])


def paired_ratios(samples: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Per-round ratios (run i of a kind over baseline run i of the same round): the spread of the figure."""
    return [ratio(s, b) for s, b in zip(samples, baseline, strict=False)]


def verdict(value: float | None, target: float | None) -> str:
    """PASS / ABOVE against a ceiling; "-" when there is no target or no figure."""
    if value is None or target is None:
        return "-"
    return "PASS" if value <= target else "ABOVE"


# ---------------------------------------------------------------- AWS calls


@dataclass
class Tally:
    """The AWS calls of one request (per `service:Operation`) and the seconds spent waiting for them."""

    calls: dict[str, int]
    seconds: dict[str, float]

    @property
    def aws_seconds(self) -> float:
        return sum(self.seconds.values())


class CallCounter:
    """API calls per `service:Operation` (IAM action spelling, so they read like the template's policies),
    and the time spent in them: what a request waits for, as opposed to what its own code costs.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}
        self.paused = False
        # With `counting_aws_calls(record=True)`: every call's service, operation, parameters and response
        # (or None when it failed), for the floor to replay and the cost model to size.
        self.log: list[tuple[str, str, Any, Any]] | None = None

    def record(self, service: str, operation: str, seconds: float = 0.0) -> None:
        if not self.paused:
            name = f"{service}:{operation}"
            self.calls[name] += 1
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def take(self) -> Tally:
        """The calls since the last take, and start counting afresh (one request at a time)."""
        tally = Tally(dict(sorted(self.calls.items())), dict(sorted(self.seconds.items())))
        self.calls.clear()
        self.seconds.clear()
        return tally


def priming() -> bool:
    """Whether lapor is priming a client in this thread (`lapor.aws.prime`): not an AWS call to count."""
    import sys

    aws = sys.modules.get("lapor.aws")
    return aws is not None and bool(aws.is_priming())


@contextmanager
def counting_aws_calls(record: bool = False) -> Iterator[CallCounter]:
    """Count (and time) every botocore API call made in this process while the block runs.

    lapor creates its clients lazily (`lapor.aws.client`), so hooking each client's events would miss the
    ones created later; wrapping `BaseClient._make_api_call` counts calls of clients created at any time,
    once per logical call (retries happen below it), failed calls included.
    """
    from botocore.client import BaseClient

    counter = CallCounter()
    if record:
        counter.log = []
    original: Callable[..., Any] = BaseClient._make_api_call

    def counted(self: Any, operation_name: str, api_params: Any) -> Any:
        if priming():  # a function's INIT priming its clients: answered by a stub, no AWS call
            return original(self, operation_name, api_params)
        service = self.meta.service_model.service_name
        # The parameters as the caller passed them: botocore's handlers change them in place (S3 turns a
        # body's bytes into a file object).
        sent = copy.deepcopy(api_params) if counter.log is not None else api_params
        started = time.perf_counter()
        response = None
        try:
            response = original(self, operation_name, api_params)
            return response
        finally:
            counter.record(service, operation_name, time.perf_counter() - started)
            if counter.log is not None and not counter.paused:
                counter.log.append((service, operation_name, sent, response))

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def per_unit(calls: Mapping[str, float], units: int) -> dict[str, float]:
    """Calls of a batch divided by its size (notify_agency handles SQS messages ten at a time)."""
    if units <= 0:
        raise ValueError("units must be positive")
    return {name: count / units for name, count in calls.items()}


def format_calls(calls: Mapping[str, float] | None) -> str:
    """`dynamodb:GetItem 1, kms:Decrypt 10` (or "none"), integral counts without decimals."""
    if calls is None:
        return "?"
    if not calls:
        return "none"
    parts = []
    for name, count in sorted(calls.items()):
        shown = str(int(count)) if float(count).is_integer() else f"{count:.2f}"
        parts.append(f"{name} {shown}")
    return ", ".join(parts)


# ---------------------------------------------------------------- child protocol


def result_line(payload: Mapping[str, Any]) -> str:
    """What a child prints last: a marker and one JSON object (the function's own logs go elsewhere)."""
    return RESULT_MARKER + json.dumps(payload, separators=(",", ":"), default=str)


def parse_result(stdout: str) -> dict[str, Any] | None:
    """The child's result from its stdout, or None if it died before printing one."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            found: dict[str, Any] = json.loads(line[len(RESULT_MARKER) :])
            return found
    return None


# ---------------------------------------------------------------- template


@dataclass(frozen=True)
class FunctionInfo:
    """One function of template.yaml, as the bench needs it."""

    logical_id: str
    code_dir: Path
    module: str
    handler: str
    memory_mb: int


def parameter_default(template: Mapping[str, Any], value: Any) -> Any:
    """`value`, or the default of the parameter it is a `Ref` to (as a deployment with defaults has it)."""
    if isinstance(value, Mapping) and set(value) == {"Ref"}:
        return template["Parameters"][value["Ref"]]["Default"]
    return value


def functions_from_template(root: Path) -> list[FunctionInfo]:
    """Every `AWS::Serverless::Function` of the template, in template order (CodeUri → folder)."""
    from lapor_local.template import load_template

    template = load_template(root / "template.yaml")
    default_memory = int(
        parameter_default(template, ((template.get("Globals") or {}).get("Function") or {}).get("MemorySize", 128))
    )
    found = []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        module, _, handler = str(props.get("Handler", "app.lambda_handler")).rpartition(".")
        found.append(
            FunctionInfo(
                logical_id=logical_id,
                code_dir=(root / str(props["CodeUri"])).resolve(),
                module=module,
                handler=handler,
                memory_mb=int(parameter_default(template, props.get("MemorySize", default_memory))),
            )
        )
    return found


# ---------------------------------------------------------------- table


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Plain aligned columns: readable in a terminal and in a CI log alike."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(widths[i]) if i < len(widths) - 1 else cell for i, cell in enumerate(cells)]
        return (indent + "  ".join(padded)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)]


# ---------------------------------------------------------------- Lambda's CPU share

# Lambda gives a function one full vCPU at 1,769 MB and a proportional share below it; the cgroup CPU
# controller's quota per period emulates that share (cgroup v1: cpu.cfs_quota_us, v2: cpu.max).
FULL_VCPU_MB = 1769
CPU_PERIOD_US = 100_000


def cpu_quota_us(memory_mb: int) -> int:
    """Microseconds of CPU per 100 ms period that a function of `memory_mb` gets (at most one vCPU)."""
    if memory_mb < 128:
        raise ValueError("Lambda functions have at least 128 MB")
    return min(CPU_PERIOD_US, CPU_PERIOD_US * memory_mb // FULL_VCPU_MB)


def cpu_limit_files(memory_mb: int, version: int) -> dict[str, str]:
    """What to write into a fresh cgroup's folder to give it the CPU share of `memory_mb`."""
    quota = cpu_quota_us(memory_mb)
    if version == 1:
        return {"cpu.cfs_period_us": str(CPU_PERIOD_US), "cpu.cfs_quota_us": str(quota)}
    if version == 2:
        return {"cpu.max": f"{quota} {CPU_PERIOD_US}"}
    raise ValueError(f"no cgroup version {version}")


def in_cgroup(argv: Sequence[str], cgroup_dir: str) -> list[str]:
    """`argv` started inside a cgroup: a shell moves itself in, then becomes the program (exec keeps the pid),
    so the interpreter runs throttled from its first instruction. No `preexec_fn`, which is unsafe in a
    parent that runs threads (moto's server).
    """
    return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup_dir, *argv]


def parallel_children(memory_mb: int, cpus: float, most: int) -> int:
    """How many throttled children fit side by side in `cpus` of CPU without competing for it."""
    return max(1, min(most, int(cpus * CPU_PERIOD_US // cpu_quota_us(memory_mb))))


# ---------------------------------------------------------------- what the libraries alone cost


def library_modules() -> list[str]:
    """Every module of a third-party library this process loaded, in import order: not the standard library,
    not lapor (or the function's own module, loaded as lapor_bench_*), not the bench's own, no private names
    (a library's extension modules come with it). The libraries' floor imports exactly these."""
    import sys

    found = []
    for name in list(sys.modules):
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top.startswith(("_", "lapor", "tests")):
            continue
        found.append(name)
    return found


def library_names(modules: Sequence[str], besides: Sequence[str] = ()) -> list[str]:
    """The top-level names of `modules` that `besides` (e.g. what the floor itself loads) does not have."""
    tops = {name.partition(".")[0] for name in besides}
    return sorted({name.partition(".")[0] for name in modules} - tops)


# ---------------------------------------------------------------- recorded AWS calls (the floor replays them)


def encode_params(value: Any) -> Any:
    """An API call's parameters as JSON (bytes, e.g. a KMS ciphertext or a binary attribute, as base64)."""
    import base64

    if isinstance(value, bytes | bytearray):
        return {"__b64__": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(k): encode_params(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_params(v) for v in value]
    return value
