"""One fresh interpreter of the bench: time an import as Lambda's init does it, then handle requests.

Run as `python tests/bench/child.py <spec.json>` by `tests/bench/run.py`, never by hand. Before the timed
import this file loads nothing beyond what every child needs to read its spec (importlib, json, os, sys,
time) and `lapor_local.runtime` (the loader and context the local stack and the tests use too, which loads
nothing more), the same for the baseline and for every function, so that the figures compare like with like;
the bench's own helpers (and `typing`) are imported only after the clock stopped. The result is one JSON
line on the real stdout; the functions' logs (Powertools writes them to stdout) go to /dev/null.
"""

from __future__ import annotations

import json
import os
import sys
import time

# infra/ on the path for this one import only: the function's INIT sees the layer and its own folder.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "infra"))
from lapor_local.runtime import LambdaContext, load_function

del sys.path[0]

# `typing` is not loaded before the timed import (the baseline and the functions would pay it at different
# moments); the annotations are never evaluated, so this is enough for the type checker.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def timed_init(spec: dict[str, Any]) -> tuple[Any, float]:
    """The measured part: `import boto3; boto3.client("dynamodb")` or the function's module and handler."""
    if spec["kind"] == "baseline":
        started = time.perf_counter()
        import boto3

        boto3.client("dynamodb")
        return None, time.perf_counter() - started
    started = time.perf_counter()
    module = load_function(str(spec["code_dir"]), f"lapor_bench_{spec['kind']}", str(spec["module"]))
    handler = getattr(module, str(spec["handler"]))
    return handler, time.perf_counter() - started


def max_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def vm_hwm_mb() -> float | None:
    """The same peak as the kernel keeps it for this address space only (a check on ru_maxrss, which
    Linux carries over from whoever spawned the process); None where /proc is not there.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def getitem_round_trip(tracking_id: str, times: int = 30) -> float:
    """Median time of one strongly consistent GetItem through lapor's own client: the unit of warm time."""
    from lapor.aws import client
    from lapor.store import report_key

    from tests.bench.harness import median

    ddb = client("dynamodb")
    table = os.environ["REPORTS_TABLE"]
    samples = []
    for _ in range(times + 3):
        started = time.perf_counter()
        ddb.get_item(TableName=table, Key=report_key(tracking_id), ConsistentRead=True)
        samples.append(time.perf_counter() - started)
    return median(samples[3:])


def run_baseline(spec: dict[str, Any], imported: float) -> dict[str, Any]:
    """The baseline's first request is one GetItem; its load, as many GetItems as a function's requests."""
    import boto3

    from tests.bench.harness import median

    fixtures = spec["fixtures"]
    ddb = boto3.client("dynamodb")
    key = {"pk": {"S": f"REPORT#{fixtures['public_id']}"}, "sk": {"S": "REPORT"}}
    table = os.environ["REPORTS_TABLE"]
    times = []
    for _ in range(1 if spec["mode"] == "cold" else int(spec["requests"])):
        started = time.perf_counter()
        ddb.get_item(TableName=table, Key=key, ConsistentRead=True)
        times.append(time.perf_counter() - started)
    result: dict[str, Any] = {"import_s": imported, "first_s": imported + times[0], "ok": True}
    if spec["mode"] == "load":
        result.update({"maxrss_mb": max_rss_mb(), "vmhwm_mb": vm_hwm_mb(), "getitem_s": median(times[3:])})
    return result


def call(handler: Any, event: Any, context: LambdaContext) -> tuple[Any, str | None, float]:
    """One invocation, timed; an exception is an outcome like any other (its type and message kept)."""
    response, error = None, None
    started = time.perf_counter()
    try:
        response = handler(event, context)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    return response, error, time.perf_counter() - started


def run_function(spec: dict[str, Any], handler: Any, imported: float) -> dict[str, Any]:
    """Cold mode: the first request, timed, with nothing of the bench's loaded before it (the event was built
    by the parent), so it pays for every import it needs. Load mode: the whole plan with calls counted, then
    memory and the GetItem round trip.
    """
    result: dict[str, Any] = {"import_s": imported}
    if spec.get("first_event") is None or not callable(handler):
        result["note"] = "no scenario for this function"
        return result
    context = LambdaContext(str(spec["function_name"]), int(spec["memory_mb"]), 300.0)
    if spec["mode"] == "cold":
        response, error, elapsed = call(handler, spec["first_event"], context)
        from tests.bench.scenarios import outcome_ok

        result.update(
            {"first_s": imported + elapsed, "ok": error is None and outcome_ok(response), "first_error": error}
        )
        return result

    from tests.bench import scenarios
    from tests.bench.harness import counting_aws_calls, median

    bench = scenarios.BENCHES[str(spec["kind"])]
    supply = scenarios.Supply(dict(spec["fixtures"]), {name: list(items) for name, items in spec["pools"].items()})
    by_scenario: dict[str, dict[str, Any]] = {}
    with counting_aws_calls() as counter:
        for index, (scenario, _phase) in enumerate(scenarios.plan(bench, "load")):
            event = spec["first_event"] if index == 0 else scenario.build(supply)
            counter.take()
            response, error, elapsed = call(handler, event, context)
            ok = error is None and scenarios.outcome_ok(response)
            tally = counter.take()
            if index == 0:
                result.update({"first_calls": tally.calls, "ok": ok, "first_error": error})
            entry = by_scenario.setdefault(
                scenario.name,
                {"units": scenario.units, "expected": scenario.expected, "times": [], "tallies": [], "failures": 0},
            )
            entry["times"].append(elapsed)
            entry["tallies"].append(tally)
            if not ok:
                entry["failures"] += 1
                entry.setdefault("error", error or "unsuccessful response")
        counter.paused = True
        # Before the RTT probe, which may import boto3 on its own (web_pages never does otherwise).
        result.update({"maxrss_mb": max_rss_mb(), "vmhwm_mb": vm_hwm_mb()})
        result["getitem_s"] = getitem_round_trip(spec["fixtures"]["public_id"])
    summaries = {}
    for name, entry in by_scenario.items():
        times, tallies = entry["times"], entry["tallies"]
        # Warm: the second occurrence on (the process is warm and so is this request's path: clients,
        # directory cache); the first occurrence of a scenario is its cold path.
        warm = list(zip(times[1:], tallies[1:], strict=True))
        operations = sorted({op for _, tally in warm for op in tally.seconds})
        summaries[name] = {
            "units": entry["units"],
            "expected": entry["expected"],
            "count": len(times),
            "failures": entry["failures"],
            "error": entry.get("error"),
            "warm_calls": tallies[1].calls if len(tallies) > 1 else None,
            "warm_s": median([t for t, _ in warm]) if warm else None,
            "warm_aws_s": median([tally.aws_seconds for _, tally in warm]) if warm else None,
            "warm_own_s": median([t - tally.aws_seconds for t, tally in warm]) if warm else None,
            "warm_seconds_by_call": {
                op: median([tally.seconds.get(op, 0.0) for _, tally in warm]) for op in operations
            },
        }
    result["scenarios"] = summaries
    return result


def timing_round_trips() -> list[float]:
    """Time every HTTP round trip botocore makes from now on (appended to the list returned), so that a
    request's own time can be told from its waits for AWS: a first request opens a new connection (after a
    SnapStart restore too: pooled connections are dropped), which no priming can move into the snapshot.
    Only where INIT loaded botocore (web_pages never does)."""
    spent: list[float] = []
    endpoint = sys.modules.get("botocore.endpoint")
    if endpoint is None:
        return spent
    original = endpoint.Endpoint._send

    def timed(self: Any, request: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, request)
        finally:
            spent.append(time.perf_counter() - started)

    endpoint.Endpoint._send = timed
    return spent


def run_share(
    spec: dict[str, Any], handler: Any, init_done: float, after_init: Any, round_trips: list[float]
) -> dict[str, Any]:
    """Lambda CPU share mode: the first request right after INIT (the clock runs from before the interpreter
    started, in the parent), then a few warm ones; timestamps on the system-wide monotonic clock. `after_init`:
    the modules loaded by then, so that what the first request still imports is reported (SnapStart's figure
    is that first request alone: whatever it imports is missing from the snapshot).
    """
    context = LambdaContext(str(spec["function_name"]), int(spec["memory_mb"]), 300.0)
    profile = os.environ.get("LAPOR_BENCH_PROFILE")  # a folder: where to write the first request's profile
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    response, error, first = call(handler, spec["first_event"], context)
    done = time.monotonic()
    first_aws = sum(round_trips)
    if profile:
        profiler.disable()
        profiler.dump_stats(os.path.join(profile, f"{spec['kind']}-{os.getpid()}.prof"))
    first_imports = [name for name in sys.modules if name not in after_init]
    from tests.bench.harness import library_modules

    libraries = library_modules()  # what the cold request loaded, before any warm one
    outcomes = [(response, error)]
    warm, warm_own = [], []
    for event in spec["warm_events"]:
        mark = len(round_trips)
        response, error, elapsed = call(handler, event, context)
        outcomes.append((response, error))
        warm.append(elapsed)
        warm_own.append(elapsed - sum(round_trips[mark:]))
    from tests.bench.scenarios import outcome_ok

    failed = [err or "unsuccessful response" for resp, err in outcomes if err is not None or not outcome_ok(resp)]
    first_error = failed[0] if failed else None
    return {
        "init_done": init_done,
        "done": done,
        "warm_s": warm,
        "ok": not failed,
        "first_error": first_error,
        "libraries": libraries,
        "first_imports": first_imports,
        # The same requests without their HTTP round trips to AWS: lapor's own time (and botocore's).
        "first_own_s": first - first_aws,
        "warm_own_s": warm_own,
    }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as stream:
        spec = json.load(stream)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    sys.path[:0] = list(spec["layer_paths"])  # the layer, as Lambda's /opt/python
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the life of the process
    handler, imported = timed_init(spec)
    round_trips = timing_round_trips() if spec["mode"] == "share" else []
    after_init = set(sys.modules)  # a few microseconds, before the first request's clock starts
    init_done = time.monotonic()
    # Only now: the bench's helpers.
    sys.path[len(spec["layer_paths"]) : len(spec["layer_paths"])] = list(spec["tool_paths"])
    try:
        if spec["mode"] == "share":
            result = run_share(spec, handler, init_done, after_init, round_trips)
        elif spec["kind"] == "baseline":
            result = run_baseline(spec, imported)
        else:
            result = run_function(spec, handler, imported)
    except Exception as exc:  # the parent shows it; a dead child must not hide the others' figures
        import traceback

        result = {"import_s": imported, "ok": False, "fatal": "".join(traceback.format_exception(exc))[-2000:]}
    from tests.bench.harness import result_line

    sys.__stdout__.write(result_line({"kind": spec["kind"], "mode": spec["mode"], **result}) + "\n")
    sys.__stdout__.flush()
    if spec["mode"] == "share":
        os._exit(0)  # the interpreter's teardown is no part of a request (and slow at 128 MB's share)


if __name__ == "__main__":
    main()
