"""Lambda CPU share mode: what a citizen waits for a cold request, at the CPU a memory size buys.

Each sample is a fresh interpreter in its own cgroup whose CPU quota is the share Lambda gives that memory
size (harness.cpu_quota_us); it imports the function, builds its handler and serves one real request against
the bench's moto, and the clock runs from just before the interpreter is started to the response. Its floor is
tests/bench/floor.py in an identical cgroup: boto3, the clients, and the very AWS calls the function's first
request made (recorded in the parent). A few warm requests follow in the same process.

At each function's own MemorySize a third kind of sample, the libraries' floor, is the floor importing every
module of the third-party libraries (pydantic, cryptography ...) the function's cold request loaded (found by
one unthrottled probe of each function first): what those libraries alone cost, so that the function's
ratio to it is what lapor's own code costs.

Throttled children barely use the CPU, so several run side by side (as many as fit in `CPUS` of CPU): the
128 MB figures would otherwise take most of the bench's time. Where no cgroup can be made (no root, no CPU
controller) the mode says so and runs each sample once, unthrottled.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench import harness, local, scenarios

CHILD = Path(__file__).with_name("child.py")
FLOOR = Path(__file__).with_name("floor.py")
SIZES_MB = (128, 256, 512, 1024)
WARM_REQUESTS = 5
# CPU the side-by-side children may use together, and at most how many run at once: the machine has two
# cores and is shared, so stay well below it.
CPUS = 0.8
MOST_AT_ONCE = 6
TIMEOUT_S = 300
UNTHROTTLED = 0  # the "size" of samples taken without a cgroup


@dataclass(frozen=True)
class Cgroups:
    """Where throttled cgroups can be made: the CPU controller's folder and the cgroup version."""

    base: Path
    version: int

    @contextmanager
    def share(self, memory_mb: int, name: str) -> Iterator[str]:
        """A fresh cgroup with the CPU share of `memory_mb`, removed afterwards (it must be empty by then)."""
        path = self.base / name
        path.mkdir()
        try:
            for file_name, value in harness.cpu_limit_files(memory_mb, self.version).items():
                (path / file_name).write_text(value, encoding="ascii")
            yield str(path)
        finally:
            for _ in range(50):  # the kernel lets go of an exited process's cgroup a moment later
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)


def find_cgroups() -> Cgroups | str:
    """A place to make throttled cgroups (tried once, for real), or why there is none."""
    candidates: list[Cgroups] = []
    v1 = Path("/sys/fs/cgroup/cpu")
    if (v1 / "cpu.cfs_quota_us").exists():
        candidates.append(Cgroups(v1, 1))
    v2 = Path("/sys/fs/cgroup")
    controllers = v2 / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text(encoding="ascii").split():
        candidates.append(Cgroups(v2, 2))
    if not candidates:
        return "no cgroup CPU controller under /sys/fs/cgroup"
    reasons = []
    for cgroups in candidates:
        try:
            if cgroups.version == 2 and "cpu" not in (cgroups.base / "cgroup.subtree_control").read_text().split():
                (cgroups.base / "cgroup.subtree_control").write_text("+cpu", encoding="ascii")
            with cgroups.share(128, f"lapor-bench-probe-{os.getpid()}") as path:
                done = subprocess.run(harness.in_cgroup(["/bin/true"], path), check=False, capture_output=True)
                if done.returncode != 0:
                    raise OSError(done.stderr.decode(errors="replace").strip() or "cannot join the cgroup")
            return cgroups
        except OSError as error:
            reasons.append(f"cgroup v{cgroups.version} at {cgroups.base}: {error}")
    return "; ".join(reasons)


def record_first_calls(stack: Any, kind: str, supply: scenarios.Supply) -> list[list[Any]]:
    """The AWS calls of a function's first request in a fresh process, as [service, operation, params]."""
    from lapor.store import forget_directory

    bench = scenarios.BENCHES[kind]
    event = bench.first.build(supply)
    forget_directory()  # a cold process has no directory cached: its first request may read it
    with harness.counting_aws_calls(record=True) as counter:
        stack.invoke(kind, event)
    assert counter.log is not None
    return [[service, operation, harness.encode_params(params)] for service, operation, params, _ in counter.log]


@dataclass
class ShareRunner:
    """Runs the function and floor children of the Lambda CPU share mode."""

    root: Path
    work_dir: Path
    env: dict[str, str]
    aws_url: str
    functions: dict[str, harness.FunctionInfo]
    fixtures: dict[str, Any]
    pools: dict[str, list[Any]]
    floors: dict[str, list[list[Any]]]
    cgroups: Cgroups | None
    warm: int = WARM_REQUESTS
    # Per function: the library modules its cold request loaded (`probe_libraries`), for the libraries' floor.
    libraries: dict[str, list[str]] = field(default_factory=dict)
    _names: Iterator[int] = field(default_factory=itertools.count, init=False)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def _spec(self, kind: str, role: str, memory_mb: int) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "kind": kind,
            "mode": "share",
            "tool_paths": [str(self.root), str(self.root / "infra")],
            "aws_url": self.aws_url,
        }
        if role == "floor":
            return {**spec, "calls": self.floors[kind], "warm": self.warm}
        if role == "libraries":
            return {**spec, "calls": self.floors[kind], "warm": self.warm, "preload": self.libraries[kind]}
        info, bench = self.functions[kind], scenarios.BENCHES[kind]
        one = scenarios.pool_needs(bench, "cold")
        with self._pool_lock:  # children are started from several threads
            handed = local.take_slices(self.pools, {pool: n * (1 + self.warm) for pool, n in one.items()})
        supply = scenarios.Supply(self.fixtures, handed)
        return {
            **spec,
            "layer_paths": [str(self.root / "shared")],
            "first_event": bench.first.build(supply),
            "warm_events": [bench.first.build(supply) for _ in range(self.warm)],
            "code_dir": str(info.code_dir),
            "module": info.module,
            "handler": info.handler,
            "memory_mb": memory_mb or info.memory_mb,
            "function_name": f"lapor-bench-{kind}",
        }

    def run(self, kind: str, role: str, memory_mb: int) -> dict[str, Any]:
        number = next(self._names)
        spec_file = self.work_dir / f"share-{number:04d}.json"
        spec_file.write_text(json.dumps(self._spec(kind, role, memory_mb)), encoding="utf-8")
        argv = [sys.executable, str(CHILD if role == "function" else FLOOR), str(spec_file)]
        if self.cgroups is None or memory_mb == UNTHROTTLED:
            return self._timed(argv)
        with self.cgroups.share(memory_mb, f"lapor-bench-{os.getpid()}-{number}") as path:
            return self._timed(harness.in_cgroup(argv, path))

    def _timed(self, argv: list[str]) -> dict[str, Any]:
        started = time.monotonic()
        try:
            done = subprocess.run(
                argv, env=self.env, cwd=self.root, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            return {"ok": False, "fatal": f"no result within {TIMEOUT_S} s"}
        result = harness.parse_result(done.stdout)
        if result is None:
            return {"ok": False, "fatal": f"exit status {done.returncode}: {done.stderr.strip()[-1500:]}"}
        if "done" in result:
            result.update(
                {
                    "cold_s": result["done"] - started,
                    "init_s": result["init_done"] - started,
                    "invoke_s": result["done"] - result["init_done"],
                }
            )
        return result


def share_pool_needs(kinds: list[str], children: int, warm: int = WARM_REQUESTS) -> dict[str, int]:
    """Pool items the mode consumes: each function child's first and warm requests, one recording and one
    probe."""
    total: dict[str, int] = {}
    for kind in kinds:
        bench = scenarios.BENCHES.get(kind)
        if bench is None:
            continue
        for pool, count in scenarios.pool_needs(bench, "cold").items():
            total[pool] = total.get(pool, 0) + count * ((children + 1) * (1 + warm) + 1)
    return total


def probe_libraries(runner: ShareRunner, kinds: list[str]) -> dict[str, list[str]]:
    """The modules of the libraries each function's cold request loads beyond those of the floor (boto3 and
    what it brings): one unthrottled child of each function and of one floor, whose figures are not used.
    A function with no such library, or whose probe failed, gets no libraries' floor."""
    if not kinds:
        return {}
    floor = runner.run(kinds[0], "floor", UNTHROTTLED)
    floor_tops = set(harness.library_names(floor.get("libraries") or []))
    found = {}
    for kind in kinds:
        result = runner.run(kind, "function", UNTHROTTLED)
        extra = [m for m in result.get("libraries") or [] if m.partition(".")[0] not in floor_tops]
        if result.get("ok") and extra:
            found[kind] = extra
    return found


def run_share(
    runner: ShareRunner,
    kinds: list[str],
    sizes: list[int],
    samples: int,
    progress: Callable[[str], None],
    target_samples: int | None = None,
) -> dict[str, Any]:
    """Every size, every kind: `samples` function children and as many floors, interleaved. At the function's
    MemorySize, where its target is checked, `target_samples` of each (a single slow child moves a median of
    three) and as many libraries' floors."""
    target_samples = max(samples, target_samples or samples)
    results: dict[str, Any] = {kind: {} for kind in kinds}
    progress(f"Lambda CPU share: which libraries {len(kinds)} functions load (one unthrottled probe each)")
    runner.libraries = probe_libraries(runner, kinds)
    for memory_mb in sizes:
        at_once = 1 if memory_mb == UNTHROTTLED else harness.parallel_children(memory_mb, CPUS, MOST_AT_ONCE)
        label = "unthrottled" if memory_mb == UNTHROTTLED else f"{memory_mb} MB"

        def own(kind: str, size: int = memory_mb) -> bool:
            return size in (UNTHROTTLED, runner.functions[kind].memory_mb)

        def roles(kind: str) -> tuple[str, ...]:
            if own(kind) and kind in runner.libraries:
                return ("function", "floor", "libraries")
            return ("function", "floor")

        count = {kind: target_samples if own(kind) else samples for kind in kinds}
        progress(
            f"Lambda CPU share {label}: {sum(count.values())} children of {len(kinds)} functions, as many floors, "
            f"{at_once} at a time"
        )
        jobs = [
            (kind, role)
            for index in range(max(count.values(), default=0))
            for kind in kinds
            if index < count[kind]
            for role in roles(kind)
        ]
        with ThreadPoolExecutor(max_workers=at_once) as pool:
            done = list(zip(jobs, pool.map(runner.run, *zip(*jobs, strict=True), [memory_mb] * len(jobs)), strict=True))
        for (kind, role), result in done:
            cell = results[kind].setdefault(str(memory_mb), {"function": [], "floor": []})
            cell.setdefault(role, []).append(result)
    return {
        "sizes": sizes,
        "samples": samples,
        "target_samples": target_samples,
        "results": results,
        "libraries": runner.libraries,
    }
