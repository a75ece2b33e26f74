"""`make bench`: cold requests at Lambda's CPU share against their floor, what a report costs, unthrottled
cold-start ratios, peak memory, AWS calls per request, escalation cost, the Open311 listing's and the
retention run's reads at scale, a coordinator's inbox over 40 offices and the photo function's peak for the
worst picture it accepts, from one run.

    python tests/bench/run.py [--phases share,cost,cold,load,escalation,open311,retention,inbox,photos]
                              [--share-samples 3] [--runs 9] [--sizes 5000,50000] [--open311-reports 50000]
                              [--retention-reports 50000] [--only ProcessPhotoFunction] [--strict]

Runs from the repository root. Benchmarks inform, tests assert behaviour: the exit status is 0 whatever the
figures, unless `--strict` is given (then 1 when a figure misses its target, a request makes unexpected
AWS calls, or a child fails). The table goes to stdout and, as JSON, to artifacts/bench.json; progress goes
to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT / "infra", ROOT / "shared", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import argparse  # noqa: E402 - the repository's packages are importable only from here on
import compileall  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from tests.bench.driver import run_all  # noqa: E402
from tests.bench.report import build_report  # noqa: E402

MIN_RUNS = 9
PHASES = ("share", "cost", "cold", "load", "escalation", "open311", "retention", "inbox", "photos")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=MIN_RUNS, help="cold-start runs per kind (the issue asks >= 9)")
    parser.add_argument("--warmup", type=int, default=1, help="discarded warm-up rounds (bytecode and page caches)")
    parser.add_argument(
        "--sizes",
        default="5000,50000",
        help="not-due reports in the table for the escalation runs, comma-separated (empty: skip)",
    )
    parser.add_argument(
        "--share-sizes",
        default="128,256,512,1024",
        help="memory sizes (MB) whose Lambda CPU share the cold requests are emulated at (empty: skip)",
    )
    parser.add_argument("--share-samples", type=int, default=3, help="cold requests per function and size")
    parser.add_argument(
        "--target-samples",
        type=int,
        default=7,
        help="cold requests per function at its own MemorySize, where its target is checked",
    )
    parser.add_argument("--cost-reports", type=int, default=10, help="report lives measured for the cost table")
    parser.add_argument("--due", type=int, default=20, help="overdue reports added for each escalation run")
    parser.add_argument(
        "--open311-reports", type=int, default=50_000, help="reports in the table when the Open311 listing runs"
    )
    parser.add_argument(
        "--retention-reports", type=int, default=50_000, help="reports in the table when the retention job runs"
    )
    parser.add_argument("--retention-due", type=int, default=1_000, help="of them, closed before the period")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"which phases to run, comma-separated (default all: {','.join(PHASES)}; cost needs share)",
    )
    parser.add_argument(
        "--only", default="", help="logical ids of the functions to measure, comma-separated (default: all)"
    )
    parser.add_argument("--json", type=Path, default=ROOT / "artifacts" / "bench.json", help="where to write JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed or a check fails")
    options = parser.parse_args(argv)
    options.sizes = [int(size) for size in options.sizes.replace("_", "").split(",") if size.strip()]
    options.only = [name.strip() for name in options.only.split(",") if name.strip()]
    options.share_sizes = [int(size) for size in options.share_sizes.split(",") if size.strip()]
    options.phases = {name.strip() for name in options.phases.split(",") if name.strip()}
    if options.phases - set(PHASES):
        parser.error(f"--phases: unknown {sorted(options.phases - set(PHASES))}")
    if "share" not in options.phases:
        options.share_sizes = []
    if "escalation" not in options.phases:
        options.sizes = []
    counts = (options.runs, options.due, options.share_samples, options.target_samples)
    if min(counts) < 1 or options.warmup < 0:
        parser.error("--runs, --share-samples, --target-samples and --due must be at least 1, --warmup at least 0")
    if options.open311_reports < 1:
        parser.error("--open311-reports must be at least 1")
    if not 1 <= options.retention_due <= options.retention_reports:
        parser.error("--retention-due must be at least 1 and at most --retention-reports")
    if any(size < 128 for size in options.share_sizes):
        parser.error("--share-sizes: Lambda functions have at least 128 MB")
    return options


def progress(message: str) -> None:
    """Progress on stderr, so that stdout holds the table only."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    os.chdir(ROOT)
    logging.getLogger("lapor.local").setLevel(logging.WARNING)
    started = time.monotonic()
    if options.runs < MIN_RUNS:
        progress(f"{options.runs} runs per kind: fewer than the {MIN_RUNS} the targets are defined for")
    # The deployed layer ships bytecode (shared/Makefile), and so do the virtualenv's packages: compile the
    # project's own code too, or a PYTHONDONTWRITEBYTECODE in the environment would add its compilation to
    # every cold sample. Timestamp-checked, as any local .pyc: an edited source is compiled again.
    for tree in ("shared", "functions", "infra"):
        compileall.compile_dir(ROOT / tree, quiet=1)
    # The functions that run in this process (fixtures, the escalation runs) log to stdout: not into the table.
    with (
        tempfile.TemporaryDirectory(prefix="lapor-bench-") as work,
        open(os.devnull, "w", encoding="utf-8") as quiet,
        contextlib.redirect_stdout(quiet),
    ):
        phases = run_all(ROOT, Path(work), options, progress)
    elapsed = time.monotonic() - started
    try:
        report = build_report(phases)
    except Exception:
        # Minutes of measurements are not thrown away for a bug in the report: keep them for a look.
        raw = options.json.with_name("bench-raw.json")
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps(phases, indent=1, default=str), encoding="utf-8")
        progress(f"the report failed; raw results in {raw}")
        raise
    header = [
        f"lapor bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {len(phases['functions'])} functions of template.yaml, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {options.warmup} warm-up round(s) discarded",
        "",
    ]
    footer = [
        "",
        f"Took {elapsed:.0f} s. {len(report.problems)} target(s) missed or check(s) failed"
        + (":" if report.problems else "."),
        *(f"  - {problem}" for problem in report.problems),
    ]
    print("\n".join(header + report.lines + footer))
    options.json.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "runs": options.runs,
        "warmup": options.warmup,
        "elapsed_s": elapsed,
        "problems": report.problems,
        **report.figures,
        "functions": phases["functions"],
    }
    options.json.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"JSON: {options.json.relative_to(ROOT) if options.json.is_relative_to(ROOT) else options.json}")
    return 1 if options.strict and report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
