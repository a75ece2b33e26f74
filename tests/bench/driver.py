"""The bench's phases: cold starts (interleaved fresh interpreters), memory and calls, escalation and the
Open311 listing at scale.

Every child is a fresh `python tests/bench/child.py`; children run one at a time (the machine has two cores
and other engineers' tests run on it too), and kinds are interleaved round by round, so that a slow spell of
the machine lands on every kind alike instead of on one function's runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench import cost, harness, local, photo_memory, scenarios, share

CHILD = Path(__file__).with_name("child.py")
LAUNCHER = Path(__file__).with_name("launcher.py")
BASELINE = "baseline"
CHILD_TIMEOUT_S = 600


class Launcher:
    """A small process that starts the children, so that their peak RSS is theirs (see launcher.py).

    Started before the parent imports moto, while it is still small.
    """

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCHER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def run(self, argv: list[str], env: dict[str, str], cwd: Path, timeout: float) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"argv": argv, "env": env, "cwd": str(cwd), "timeout": timeout}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the bench's launcher died (exit status {self.process.poll()})")
        found: dict[str, Any] = json.loads(answer)
        return found

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class ChildRunner:
    """Starts children with their spec (fixtures, their own slice of each pool) and reads their result."""

    root: Path
    work_dir: Path
    env: dict[str, str]
    aws_url: str
    launcher: Launcher
    functions: dict[str, harness.FunctionInfo]
    fixtures: dict[str, Any]
    pools: dict[str, list[Any]]
    requests: int = 200
    started: int = field(default=0, init=False)

    def run(self, kind: str, mode: str) -> dict[str, Any]:
        info = self.functions.get(kind)
        bench = scenarios.BENCHES.get(kind)
        needs = scenarios.pool_needs(bench, mode) if bench is not None else {}
        spec: dict[str, Any] = {
            "kind": kind,
            "mode": mode,
            "layer_paths": [str(self.root / "shared")],
            "tool_paths": [str(self.root), str(self.root / "infra")],
            "aws_url": self.aws_url,
            "fixtures": self.fixtures,
            "requests": self.requests,
        }
        # The first request's event is built here: the child must not import the bench's helpers before it.
        supply = scenarios.Supply(self.fixtures, local.take_slices(self.pools, needs))
        spec["first_event"] = bench.first.build(supply) if bench is not None and info is not None else None
        spec["pools"] = supply.pools
        if info is not None:
            spec.update(
                {
                    "code_dir": str(info.code_dir),
                    "module": info.module,
                    "handler": info.handler,
                    "memory_mb": info.memory_mb,
                    "function_name": f"lapor-bench-{kind}",
                }
            )
        self.started += 1
        spec_file = self.work_dir / f"child-{self.started:04d}.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        done = self.launcher.run([sys.executable, str(CHILD), str(spec_file)], self.env, self.root, CHILD_TIMEOUT_S)
        result = harness.parse_result(done["stdout"])
        if result is None:
            tail = (done["stderr"] or "").strip()[-1500:]
            return {"kind": kind, "mode": mode, "ok": False, "fatal": f"exit status {done['returncode']}: {tail}"}
        return result


def plan_pool_needs(kinds: list[str], rounds: int, loads: int = 1) -> dict[str, int]:
    """Everything the children will consume: every cold round, then one load child per function."""
    total: dict[str, int] = {}
    for kind in kinds:
        bench = scenarios.BENCHES.get(kind)
        if bench is None:
            continue
        for mode, times in (("cold", rounds), ("load", loads)):
            for pool, count in scenarios.pool_needs(bench, mode).items():
                total[pool] = total.get(pool, 0) + count * times
    return total


def cold_starts(
    runner: ChildRunner, kinds: list[str], runs: int, warmup: int, progress: Callable[[str], None]
) -> dict[str, list[dict[str, Any]]]:
    """Rounds of baseline, f1, f2, ...; the warm-up rounds (bytecode caches, page cache) are discarded."""
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for round_no in range(warmup + runs):
        label = "warm-up" if round_no < warmup else f"{round_no - warmup + 1}/{runs}"
        progress(f"cold start round {label}")
        for kind in kinds:
            result = runner.run(kind, "cold")
            if round_no >= warmup:
                samples[kind].append(result)
    return samples


def loads(runner: ChildRunner, kinds: list[str], progress: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """One fresh process per function handling its 200 requests: peak memory, calls, warm time."""
    results = {}
    for kind in kinds:
        progress(f"memory and calls: {kind}")
        results[kind] = runner.run(kind, "load")
    return results


def run_all(root: Path, work_dir: Path, options: Any, progress: Callable[[str], None]) -> dict[str, Any]:
    """Start the stack, make fixtures, run every phase; returns the raw results for the report."""
    functions = {info.logical_id: info for info in harness.functions_from_template(root)}
    only = getattr(options, "only", None)
    if only:
        unknown = set(only) - set(functions)
        if unknown:
            raise ValueError(f"no such function in the template: {', '.join(sorted(unknown))}")
        functions = {kind: info for kind, info in functions.items() if kind in only}
    phases: dict[str, Any] = {"functions": {kind: asdict(info) for kind, info in functions.items()}}
    if "photos" in options.phases and "ProcessPhotoFunction" in functions:
        _phase(phases, "photos", progress, lambda: photo_memory.measure(root, progress))
    launcher = Launcher()
    try:
        _run_phases(root, work_dir, options, progress, functions, launcher, phases)
    finally:
        launcher.close()
    return phases


def _run_phases(
    root: Path,
    work_dir: Path,
    options: Any,
    progress: Callable[[str], None],
    functions: dict[str, harness.FunctionInfo],
    launcher: Launcher,
    phases: dict[str, Any],
) -> None:
    kinds = [BASELINE, *functions]
    with local.bench_stack(root, work_dir / "state") as stack:
        started = time.monotonic()
        rounds = options.warmup + options.runs if "cold" in options.phases else 0
        needs = plan_pool_needs(list(functions), rounds, loads=int("load" in options.phases))
        share_kinds = [kind for kind in functions if kind in scenarios.BENCHES]
        # Each size's samples, and at the MemorySize (one of the sizes) the target's samples instead.
        share_children = options.share_samples * len(options.share_sizes) + max(
            0, options.target_samples - options.share_samples
        )
        for pool, count in share.share_pool_needs(share_kinds, share_children).items():
            needs[pool] = needs.get(pool, 0) + count
        fixtures, pools = local.make_fixtures(stack, needs)
        sizes = ", ".join(f"{name} {len(items)}" for name, items in pools.items())
        progress(f"fixtures ready in {time.monotonic() - started:.0f} s (pools: {sizes})")
        runner = ChildRunner(
            root=root,
            work_dir=work_dir,
            env=local.child_environment(stack.aws_url, work_dir),
            aws_url=stack.aws_url,
            launcher=launcher,
            functions=functions,
            fixtures=fixtures,
            pools=pools,
        )
        # A phase that breaks (the product mid-edit, moto refusing something) costs its own figures only.
        if options.share_sizes:
            _phase(
                phases,
                "share",
                progress,
                lambda: lambda_share(stack, runner, share_kinds, options, progress),
            )
        if "cost" in options.phases:
            _phase(phases, "cost", progress, lambda: cost.measure(stack, root, options.cost_reports, progress))
        if "cold" in options.phases:
            _phase(phases, "cold", progress, lambda: cold_starts(runner, kinds, options.runs, options.warmup, progress))
        if "load" in options.phases:
            _phase(phases, "load", progress, lambda: loads(runner, kinds, progress))
        # Before the escalation runs: their copies are all open and all submitted at one moment, which would
        # make the listing's table depend on whether they ran.
        if "open311" in options.phases:
            progress(f"Open311 listing at scale: {options.open311_reports:,} reports")
            _phase(
                phases,
                "open311",
                progress,
                lambda: local.open311_listing_at_scale(stack, options.open311_reports, progress),
            )
        if "retention" in options.phases:
            progress(f"retention at scale: {options.retention_reports:,} reports, {options.retention_due:,} due")
            _phase(
                phases,
                "retention",
                progress,
                lambda: local.retention_at_scale(stack, options.retention_reports, options.retention_due, progress),
            )
        if "inbox" in options.phases:
            progress(f"a coordinator's inbox: {local.INBOX_OFFICES} offices, {local.INBOX_REPORTS:,} open reports")
            _phase(phases, "inbox", progress, lambda: local.coordinator_inbox_at_scale(stack, progress=progress))
        if options.sizes:
            progress(f"escalation at scale: up to {max(options.sizes):,} reports")
            at = datetime.now(UTC)
            _phase(
                phases,
                "escalation",
                progress,
                lambda: local.escalation_at_scale(stack, options.sizes, options.due, at, progress),
            )


def lambda_share(
    stack: Any, runner: ChildRunner, kinds: list[str], options: Any, progress: Callable[[str], None]
) -> dict[str, Any]:
    """The Lambda CPU share mode (see share.py): floors recorded here, then every size."""
    found = share.find_cgroups()
    sizes = list(options.share_sizes)
    if isinstance(found, str):
        progress(f"no cgroup can be made ({found}): the Lambda CPU share mode runs unthrottled")
        cgroups, sizes = None, [share.UNTHROTTLED]
    else:
        cgroups = found
        progress(f"Lambda CPU share: cgroup v{found.version} CPU quotas under {found.base}")
    supply = scenarios.Supply(runner.fixtures, runner.pools)
    floors = {kind: share.record_first_calls(stack, kind, supply) for kind in kinds}
    share_runner = share.ShareRunner(
        root=runner.root,
        work_dir=runner.work_dir,
        env=runner.env,
        aws_url=stack.aws_url,
        functions=runner.functions,
        fixtures=runner.fixtures,
        pools=runner.pools,
        floors=floors,
        cgroups=cgroups,
    )
    figures = share.run_share(share_runner, kinds, sizes, options.share_samples, progress, options.target_samples)
    figures["cgroups"] = found if isinstance(found, str) else f"cgroup v{found.version} at {found.base}"
    figures["floors"] = {kind: [f"{service}:{op}" for service, op, _ in calls] for kind, calls in floors.items()}
    return figures


def _phase(phases: dict[str, Any], name: str, progress: Callable[[str], None], action: Callable[[], Any]) -> None:
    try:
        phases[name] = action()
    except Exception as exc:
        message = f"the {name} phase failed: {type(exc).__name__}: {exc}"
        phases.setdefault("errors", []).append(message)
        progress(message)
