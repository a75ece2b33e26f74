"""From the children's raw results to figures, verdicts and the table `make bench` prints.

Every time figure is a ratio of two times measured in the same run: cold starts over the baseline
(`import boto3; boto3.client("dynamodb")`), warm requests over one GetItem round trip to the same endpoint.
Memory and call counts are absolute: they do not depend on how fast the machine is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.bench import harness, scenarios
from tests.bench.driver import BASELINE
from tests.bench.share import WARM_REQUESTS

MEMORY_TARGET_MB = 128.0
# The integration test allows 25 items read for 20 escalated: what paging costs, never the table's size.
READ_PER_ESCALATED_TARGET = 1.25
# An Open311 listing reads what it lists, plus at most the unused rest of one page per index partition.
READ_PER_LISTED_TARGET = 1.25
# Issue 23: a retention run reads the due part of its sparse index and each report's PRIVATE# keys, never the
# table; at 50,000 reports, at most 1.25 items per erased report.
READ_PER_ERASED_TARGET = 1.25


@dataclass
class Report:
    """The figures (for bench.json), the table lines, and what missed a target (for --strict)."""

    figures: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _target(value: float | None, unit: str = "") -> str:
    return "" if value is None else f"<= {value:g}{unit}"


def _failure_text(result: dict[str, Any]) -> str | None:
    if result.get("fatal"):
        return str(result["fatal"]).strip().splitlines()[-1]
    if result.get("ok") is False:
        return str(result.get("first_error") or "the first request was not successful")
    return None


def cold_figures(cold: dict[str, list[dict[str, Any]]], report: Report) -> None:
    """Import ratio (the issue's cold-start figure) and first-request ratio per function."""
    base = cold.get(BASELINE, [])
    base_import = [r["import_s"] for r in base if "import_s" in r and not r.get("fatal")]
    base_first = [r["first_s"] for r in base if "first_s" in r and not r.get("fatal")]
    if not base_import or not base_first:
        report.problems.append("the baseline children failed: no cold-start figures")
        report.lines.append("  (no baseline: " + "; ".join(filter(None, map(_failure_text, base))) + ")")
        return
    runs = len(base_import)
    report.lines += [
        f"Cold start: median of {runs} fresh interpreters per kind, interleaved round by round",
        '  import = time to import app.py and build its handler / time of `import boto3; boto3.client("dynamodb")`',
        "  first request = import + one representative request against moto / the same baseline + one GetItem",
        "  (two full cores, no CPU share: the cold-start targets apply to the Lambda CPU share figures above)",
        "",
    ]
    rows = []
    figures: dict[str, Any] = {
        BASELINE: {"import_ms": 1000 * harness.median(base_import), "first_ms": 1000 * harness.median(base_first)}
    }
    for kind, results in cold.items():
        if kind == BASELINE:
            continue
        imports = [r["import_s"] for r in results if "import_s" in r and not r.get("fatal")]
        firsts = [r["first_s"] for r in results if r.get("ok") and "first_s" in r]
        import_ratio = harness.ratio_of_medians(imports, base_import) if imports else None
        first_ratio = harness.ratio_of_medians(firsts, base_first) if firsts else None
        low, high = harness.quartiles(harness.paired_ratios(imports, base_import)) if imports else (None, None)
        failures = [text for text in map(_failure_text, results) if text]
        if failures:
            report.problems.append(f"{kind}: {len(failures)} cold children failed: {failures[0]}")
        rows.append(
            [
                kind,
                _fmt(import_ratio),
                f"{_fmt(low)}-{_fmt(high)}",
                _fmt(first_ratio),
                f"{len(failures)} failed: {failures[0][:60]}" if failures else "",
            ]
        )
        figures[kind] = {
            "import_ratio": import_ratio,
            "import_ratio_iqr": [low, high],
            "first_request_ratio": first_ratio,
            "import_ms": [1000 * s for s in imports],
            "first_ms": [1000 * s for s in firsts],
            "failures": failures,
        }
    report.lines += harness.render_table(["function", "import", "runs p25-p75", "first request", "note"], rows)
    report.figures["cold_start"] = figures


def _ms(seconds: list[float]) -> float | None:
    return 1000 * harness.median(seconds) if seconds else None


def share_figures(share: dict[str, Any], functions: dict[str, Any], report: Report) -> None:
    """Cold invoke against its floor per function and memory size, the INIT/INVOKE split, warm p50, and the
    memory each function would get by the rule (smallest size within 1.2 x of its 1,024 MB cold invoke).
    """
    samples, cgroups = share.get("samples"), share.get("cgroups", "")
    target_samples = share.get("target_samples") or samples
    report.lines += [
        f"Lambda CPU share: cold invoke = one fresh interpreter in a cgroup with the CPU share of the memory size "
        f"({cgroups}),",
        "  from before the interpreter starts to the first response (INIT: to the handler built; INVOKE: the",
        "  request); floor = a bare boto3 script in the same kind of cgroup making the same AWS calls. Medians of",
        f"  {samples} per cell, {target_samples} at the MemorySize (*), where the target is checked; warm p50 = the",
        f"  next {WARM_REQUESTS} requests in the same process. 'rule' = smallest size whose cold invoke is within",
        "  1.2 x of 1,024 MB's.",
        "",
    ]
    rows, figures = [], {}
    for kind, by_size in (share.get("results") or {}).items():
        configured = (functions.get(kind) or {}).get("memory_mb")
        bench = scenarios.BENCHES.get(kind)
        target = bench.cold_target if bench is not None else None
        cells: dict[str, Any] = {}
        for size, roles in by_size.items():
            ok = [r for r in roles["function"] if r.get("ok") and "cold_s" in r]
            floor = [r for r in roles["floor"] if r.get("ok") and "cold_s" in r]
            failures = [text for text in map(_failure_text, roles["function"] + roles["floor"]) if text]
            if failures:
                report.problems.append(f"{kind} at {size} MB: {len(failures)} children failed: {failures[0]}")
            cold, base = _ms([r["cold_s"] for r in ok]), _ms([r["cold_s"] for r in floor])
            first_warm = [r["invoke_s"] / harness.median(r["warm_s"]) for r in ok if r["warm_s"]]
            own = [r for r in ok if r.get("warm_own_s") and harness.median(r["warm_own_s"]) > 0]
            own_first_warm = [r["first_own_s"] / harness.median(r["warm_own_s"]) for r in own]
            cells[size] = {
                "cold_ms": cold,
                "floor_ms": base,
                "ratio": cold / base if cold and base else None,
                "init_ms": _ms([r["init_s"] for r in ok]),
                "invoke_ms": _ms([r["invoke_s"] for r in ok]),
                "floor_init_ms": _ms([r["init_s"] for r in floor]),
                "warm_p50_ms": _ms([w for r in ok for w in r["warm_s"]]),
                "floor_warm_p50_ms": _ms([w for r in floor for w in r["warm_s"]]),
                "floor_invoke_ms": _ms([r["invoke_s"] for r in floor]),
                # SnapStart's figure: each child's first request over its own warm median, the median of those.
                "first_warm_ratio": harness.median(first_warm) if first_warm else None,
                "own_first_warm_ratio": harness.median(own_first_warm) if own_first_warm else None,
                "own_first_ms": _ms([r["first_own_s"] for r in own]),
                "own_warm_ms": _ms([w for r in own for w in r["warm_own_s"]]),
                "first_ms_all": [1000 * r["invoke_s"] for r in ok],
                "first_imports": sorted({m for r in ok for m in r.get("first_imports") or []}),
                "cold_ms_all": [1000 * r["cold_s"] for r in ok],
                "floor_ms_all": [1000 * r["cold_s"] for r in floor],
                "failures": failures,
            }
            libraries = [r for r in roles.get("libraries", []) if r.get("ok") and "cold_s" in r]
            if libraries:
                with_libraries = _ms([r["cold_s"] for r in libraries])
                cells[size].update(
                    {
                        "libraries_ms": with_libraries,
                        "libraries_ratio": with_libraries / base if with_libraries and base else None,
                        "own_ratio": cold / with_libraries if cold and with_libraries else None,
                        "libraries_ms_all": [1000 * r["cold_s"] for r in libraries],
                    }
                )
        full = (cells.get("1024") or {}).get("cold_ms")
        rule = next(
            (
                int(size)
                for size, cell in sorted(cells.items(), key=lambda kv: int(kv[0]))
                if full and cell["cold_ms"] and cell["cold_ms"] <= 1.2 * full
            ),
            None,
        )
        first = True
        for size, cell in sorted(cells.items(), key=lambda kv: int(kv[0])):
            chosen = configured is not None and int(size) == configured
            verdict = harness.verdict(cell["ratio"], target) if chosen else ""
            if verdict == "ABOVE":
                report.problems.append(
                    f"{kind} at {size} MB: cold invoke {cell['ratio']:.2f} x its floor, above {target}"
                )
            rows.append(
                [
                    kind if first else "",
                    size + (" *" if chosen else ""),
                    _fmt(cell["cold_ms"], 0),
                    _fmt(cell["floor_ms"], 0),
                    _fmt(cell["ratio"]),
                    _target(target) if chosen else "",
                    verdict,
                    f"{_fmt(cell['init_ms'], 0)} / {_fmt(cell['invoke_ms'], 0)}",
                    f"{_fmt(cell['floor_init_ms'], 0)}",
                    _fmt(cell["warm_p50_ms"], 1),
                    _fmt(cell["floor_warm_p50_ms"], 1),
                    "rule" if rule is not None and int(size) == rule else "",
                ]
            )
            first = False
        figures[kind] = {"memory_size_mb": configured, "rule_mb": rule, "target": target, "sizes": cells}
    report.lines += harness.render_table(
        [
            "function",
            "MB",
            "cold ms",
            "floor ms",
            "ratio",
            "target",
            "verdict",
            "INIT / INVOKE ms",
            "floor INIT",
            "warm p50",
            "floor warm",
            "memory",
        ],
        rows,
    )
    report.lines += ["  (* = the function's MemorySize in template.yaml)", ""]
    report.lines += first_invoke_summary(figures, report)
    report.lines += libraries_summary(figures, share.get("libraries") or {})
    report.lines += memory_summary(figures)
    report.figures["lambda_share"] = {
        "cgroups": cgroups,
        "samples": samples,
        "target_samples": target_samples,
        "floors": share.get("floors"),
        **figures,
    }


FIRST_INVOKE_TARGET = 1.25  # issue 22: the first request after INIT against the same function's warm one


def first_invoke_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Per function at its MemorySize: the first request after INIT (what a citizen waits on top of a SnapStart
    restore) against its warm requests, and against the floor's first calls (bare botocore, same calls)."""
    rows = []
    for kind, entry in figures.items():
        cell = (entry["sizes"] or {}).get(str(entry["memory_size_mb"])) or {}
        if cell.get("invoke_ms") is None:
            continue
        first, floor_first = cell["invoke_ms"], cell.get("floor_invoke_ms")
        rows.append(
            {
                "function": kind,
                "memory_mb": entry["memory_size_mb"],
                "first_ms": first,
                "warm_ms": cell["warm_p50_ms"],
                "first_warm": cell.get("first_warm_ratio"),
                "floor_first_ms": floor_first,
                "vs_floor": first / floor_first if floor_first else None,
                "first_imports": cell.get("first_imports") or [],
                "own_first_ms": cell.get("own_first_ms"),
                "own_warm_ms": cell.get("own_warm_ms"),
                "own_first_warm": cell.get("own_first_warm_ratio"),
            }
        )
    return rows


def first_invoke_summary(figures: dict[str, Any], report: Report) -> list[str]:
    rows = first_invoke_rows(figures)
    if not rows:
        return []
    table = []
    for row in rows:
        verdict = harness.verdict(row["first_warm"], FIRST_INVOKE_TARGET)
        if verdict == "ABOVE":
            report.problems.append(
                f"{row['function']}: first request after INIT {row['first_warm']:.2f} x its warm one, "
                f"above {FIRST_INVOKE_TARGET}"
            )
        imports = row["first_imports"]
        table.append(
            [
                row["function"],
                str(row["memory_mb"]),
                _fmt(row["first_ms"], 1),
                _fmt(row["warm_ms"], 1),
                _fmt(row["first_warm"]),
                verdict,
                f"{_fmt(row['own_first_ms'], 1)} / {_fmt(row['own_warm_ms'], 1)} ({_fmt(row['own_first_warm'])})",
                _fmt(row["floor_first_ms"], 1),
                _fmt(row["vs_floor"]),
                f"{len(imports)}: {', '.join(imports[:4])}{' ...' if len(imports) > 4 else ''}" if imports else "0",
            ]
        )
    report.figures["first_invoke"] = rows
    return [
        "First INVOKE after INIT (what SnapStart leaves a citizen, besides the restore): the same children's first",
        "  request alone against their next requests (median over children of first / own warm median; target",
        f"  <= {FIRST_INVOKE_TARGET}); 'own' = the same without the HTTP round trips to AWS (a first request opens",
        "  a new connection, after a restore too); beside it, for the record, the floor's first replay of the same",
        "  AWS calls (bare botocore, its clients made before the clock). 'imports' = modules the first request loaded.",
        "",
        *harness.render_table(
            [
                "function",
                "MB",
                "first ms",
                "warm ms",
                "first/warm",
                "<= 1.25",
                "own first / warm ms",
                "floor first",
                "/ floor",
                "imports",
            ],
            table,
        ),
        "",
    ]


def libraries_summary(figures: dict[str, Any], libraries: dict[str, list[str]]) -> list[str]:
    """What the third-party libraries alone cost each function at its MemorySize, and what lapor's own code
    does: the floor, the floor importing the libraries' modules the function loaded, the function."""
    rows = []
    for kind, entry in figures.items():
        cell = (entry["sizes"] or {}).get(str(entry["memory_size_mb"])) or {}
        if cell.get("libraries_ms") is None:
            continue
        rows.append(
            [
                kind,
                str(entry["memory_size_mb"]),
                _fmt(cell["floor_ms"], 0),
                _fmt(cell["libraries_ms"], 0),
                _fmt(cell["libraries_ratio"]),
                _fmt(cell["cold_ms"], 0),
                _fmt(cell["ratio"]),
                _fmt(cell["own_ratio"]),
                ", ".join(harness.library_names(libraries.get(kind) or [])),
            ]
        )
    if not rows:
        return []
    lines = [
        "What the libraries alone cost: the floor again, first importing every module of the libraries the",
        "  function's cold request loaded beyond boto3's (same cgroup, same AWS calls), at the MemorySize. 'own' =",
        "  cold invoke / that: what lapor's own code costs.",
        "",
    ]
    headers = ["function", "MB", "floor ms", "+ libraries ms", "ratio", "cold ms", "ratio", "own", "libraries"]
    return [*lines, *harness.render_table(headers, rows), ""]


def memory_summary(figures: dict[str, Any]) -> list[str]:
    """Per function: the memory it has, the memory the rule would give it, and whether its target holds there."""
    rows = []
    for kind, figure in figures.items():
        configured, target = figure["memory_size_mb"], figure["target"]
        cell = figure["sizes"].get(str(configured)) or {}
        ratio = cell.get("ratio")
        if target is None:
            holds = "no target"
        elif ratio is None:
            holds = f"not measured at {configured} MB"
        else:
            holds = "holds" if harness.verdict(ratio, target) == "PASS" else "MISSED"
        rows.append(
            [
                kind,
                f"{configured} MB",
                "-" if figure["rule_mb"] is None else f"{figure['rule_mb']} MB",
                _fmt(ratio),
                _target(target),
                holds,
            ]
        )
    return [
        "Memory per function: MemorySize in template.yaml, what the 1.2 x rule picks from this run, and the",
        "  cold-invoke target at the MemorySize",
        "",
        *harness.render_table(["function", "MemorySize", "rule", "ratio there", "target", "verdict"], rows),
        "",
    ]


COST_GOAL = 0.50  # US$ per 1,000 reports, variable


def _quantity(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def cost_figures(figures: dict[str, Any], report: Report) -> None:
    """The cost table: variable cost of 1,000 reports' lives, and the fixed monthly floor."""
    variable = sorted(figures["variable"], key=lambda line: -line["dollars"])
    fixed = sorted(figures["fixed"], key=lambda line: -line["dollars"])
    # Restores are paid per cold start, which depends on traffic, not on reports: shown as a bound, apart.
    restores = sum(line["dollars"] for line in variable if line["name"].startswith("SnapStart"))
    total = sum(line["dollars"] for line in variable) - restores
    largest = next((line["name"] for line in variable if not line["name"].startswith("SnapStart")), "-")
    verdict = harness.verdict(total, COST_GOAL)
    if verdict == "ABOVE":
        report.problems.append(f"{figures['reports']:,} reports cost US${total:.3f}, above US${COST_GOAL:.2f}")

    def rows(lines: list[dict[str, Any]]) -> list[list[str]]:
        return [
            [line["name"], f"{_quantity(line['quantity'])} {line['unit']}", f"{line['dollars']:.4f}"] for line in lines
        ]

    memory = ", ".join(f"{name.removesuffix('Function')} {mb}" for name, mb in figures["memory_mb"].items())
    report.lines += [
        f"What a report costs: {figures['reports']:,} reports through their whole life (submit, notify, two officer",
        "  views, verify, respond, reporter view, rating, close; every event through notify_agency), from",
        f"  {figures['measured_lives']} measured lives, at the ap-southeast-3 list prices in tests/bench/cost.py (US$)",
        f"  Lambda at MemorySize (MB): {memory}",
        f"  per report: {figures['wru_per_report']:.1f} WRU, {figures['rru_per_report']:.1f} RRU, "
        f"calls {harness.format_calls(figures['calls_per_report'])}",
        "",
        *harness.render_table(["variable, per 1,000 reports", "quantity", "US$"], rows(variable)),
        f"  total US${total:.3f} without SnapStart restores (goal < US${COST_GOAL:.2f}: {verdict}); largest line: "
        f"{largest}; with every API call a restore (a quiet deployment) US${total + restores:.3f}",
        "",
        *harness.render_table(["fixed, per month", "quantity", "US$"], rows(fixed)),
        f"  total US${sum(line['dollars'] for line in fixed):.2f} a month; storage "
        f"{figures['stored_kb_per_report']:.1f} KB per report (US$0.285/GB-month)",
        "",
    ]
    report.lines += bill_lines(figures.get("bills") or [])
    report.figures["cost"] = {
        **figures,
        "variable_total": total,
        "restores_bound": restores,
        "largest": largest,
        "verdict": verdict,
    }


def bill_lines(bills: list[dict[str, Any]]) -> list[str]:
    """The monthly bill by volume for each setup of template parameters, and which keep the smallest volume
    under the budget."""
    if not bills:
        return []
    from tests.bench.cost import BUDGET, INIT_CPU_S, MOST_COLD_STARTS_PER_FUNCTION, VOLUMES

    rows = [
        [
            bill["name"],
            f"{bill['fixed']:.2f}",
            f"{bill['variable_per_1000']:.3f}",
            *(f"{bill['by_volume'][str(volume)]['total']:,.2f}" for volume in VOLUMES),
        ]
        for bill in bills
    ]
    smallest = str(VOLUMES[0])
    under = [bill["name"] for bill in bills if bill["by_volume"][smallest]["total"] < BUDGET]
    return [
        "Monthly bill by volume (US$ a month: fixed + the reports' lives + the API functions' cold starts, one",
        f"  per call up to {MOST_COLD_STARTS_PER_FUNCTION:,} a month each: a SnapStart restore, or without SnapStart",
        f"  a billed INIT of {INIT_CPU_S} CPU-s stretched by the CPU share); 'var' = per 1,000 reports, no cold starts",
        "",
        *harness.render_table(
            ["setup (template parameters)", "fixed", "var", *(f"{volume:,}/yr" for volume in VOLUMES)], rows
        ),
        f"  under US${BUDGET:.0f} a month at {VOLUMES[0]:,} reports a year: "
        + ("; ".join(under) if under else "none")
        + " (cold waits: see the share table at that MemorySize)",
        "",
    ]


def _calls_verdict(per_unit: dict[str, float] | None, expected: dict[str, int] | None) -> str:
    if expected is None or per_unit is None:
        return ""
    return "as expected" if per_unit == {k: float(v) for k, v in expected.items()} else "UNEXPECTED"


def load_figures(load: dict[str, dict[str, Any]], functions: dict[str, Any], report: Report) -> None:
    """Peak RSS per function; calls and warm time of each scenario."""
    memory_rows, call_rows = [], []
    figures: dict[str, Any] = {}
    for kind, result in load.items():
        rss = result.get("maxrss_mb")
        hwm = result.get("vmhwm_mb")
        if rss is not None and hwm is not None and rss > hwm + 8:
            report.problems.append(f"{kind}: ru_maxrss {rss:.0f} MB but VmHWM {hwm:.0f} MB: inherited, not its own")
        configured = (functions.get(kind) or {}).get("memory_mb")
        failure = _failure_text(result)
        if failure:
            report.problems.append(f"{kind}: the memory run failed: {failure}")
        if kind == BASELINE:
            memory_rows.append(
                ["baseline: boto3, one client, 200 GetItem", _fmt(rss, 1), _fmt(hwm, 1), "", "", "", failure or ""]
            )
            figures[kind] = {"maxrss_mb": rss, "vmhwm_mb": hwm, "getitem_ms": 1000 * result.get("getitem_s", 0.0)}
            continue
        # 128 MB for every function, or the larger MemorySize the template gives one (photo decoding).
        target_mb = max(MEMORY_TARGET_MB, float(configured or 0))
        verdict = harness.verdict(rss, target_mb)
        if verdict == "ABOVE":
            report.problems.append(f"{kind}: peak RSS {rss:.1f} MB above {target_mb:g} MB")
        memory_rows.append(
            [kind, _fmt(rss, 1), _fmt(hwm, 1), _target(target_mb), verdict, str(configured or ""), failure or ""]
        )
        rtt = result.get("getitem_s")
        scenario_figures = {}
        first = True
        for name, summary in (result.get("scenarios") or {}).items():
            units = int(summary.get("units") or 1)
            warm_calls = summary.get("warm_calls")
            per_unit = harness.per_unit(warm_calls, units) if warm_calls is not None else None
            expected = summary.get("expected")
            calls_verdict = _calls_verdict(per_unit, expected)
            if calls_verdict == "UNEXPECTED":
                report.problems.append(f"{kind} {name}: calls {harness.format_calls(per_unit)}, expected {expected}")
            if summary.get("failures"):
                report.problems.append(f"{kind} {name}: {summary['failures']} failed requests: {summary.get('error')}")
            warm_s, own_s = summary.get("warm_s"), summary.get("warm_own_s")
            warm_ratio = harness.ratio(warm_s / units, rtt) if warm_s is not None and rtt else None
            own_ratio = harness.ratio(own_s / units, rtt) if own_s is not None and rtt else None
            by_call = (
                {
                    op: harness.ratio(seconds / units, rtt)
                    for op, seconds in (summary.get("warm_seconds_by_call") or {}).items()
                }
                if rtt
                else {}
            )
            label = kind if first else ""
            first = False
            call_rows.append(
                [
                    label,
                    name,
                    calls_verdict + (f" ({summary['failures']} failed)" if summary.get("failures") else ""),
                    _fmt(warm_ratio, 1),
                    _fmt(own_ratio, 1),
                    harness.format_calls(per_unit),
                ]
            )
            scenario_figures[name] = {
                "units": units,
                "requests": summary.get("count"),
                "warm_calls_per_unit": per_unit,
                "expected": expected,
                "calls_verdict": calls_verdict,
                "warm_per_unit_over_getitem": warm_ratio,
                "own_code_per_unit_over_getitem": own_ratio,
                "aws_call_time_per_unit_over_getitem": by_call,
                "failures": summary.get("failures"),
                "error": summary.get("error"),
            }
        figures[kind] = {
            "maxrss_mb": rss,
            "vmhwm_mb": hwm,
            "target_mb": target_mb,
            "verdict": verdict,
            "memory_size_mb": configured,
            "getitem_ms": 1000 * rtt if rtt else None,
            "first_calls": result.get("first_calls"),
            "scenarios": scenario_figures,
        }
    report.lines += [
        "",
        "Peak memory: one fresh process per function, 200 requests (SQS: 200 messages; schedules: 200 runs)",
        "",
        *harness.render_table(
            ["function", "ru_maxrss MB", "VmHWM MB", "target", "verdict", "MemorySize", "note"], memory_rows
        ),
        "",
        "AWS calls of one warm request (not the process's first); its time in units of one GetItem round trip",
        "to the same endpoint, in all and in the function's own code (outside AWS calls); batches: per message.",
        "On moto, index queries and transactions cost time growing with the table: the waits overstate DynamoDB.",
        "",
        *harness.render_table(["function", "request", "calls check", "x GetItem", "own code", "calls"], call_rows),
    ]
    report.figures["memory_and_calls"] = figures
    photo = figures.get("ProcessPhotoFunction")
    if photo:
        (summary,) = (load.get("ProcessPhotoFunction") or {}).get("scenarios", {}).values() or [{}]
        warm_s = summary.get("warm_s")
        warm_ms = 1000 * warm_s if warm_s else None
        report.figures["photo"] = {
            "warm_ms_per_10mb_photo": 1000 * warm_s if warm_s else None,
            "peak_mb": photo["maxrss_mb"],
        }
        report.lines += [
            "",
            f"ProcessPhotoFunction: one 10 MB photo (4000 x 3000) in {_fmt(warm_ms, 0)} ms warm on this machine's "
            f"full CPU; peak RSS {_fmt(photo['maxrss_mb'], 0)} MB of its {photo['memory_size_mb']} MB.",
        ]
    notify = figures.get("NotifyAgencyFunction", {}).get("scenarios", {})
    batch = next((s for name, s in notify.items() if s["units"] > 1), None)
    if batch is not None:
        waits = ", ".join(
            f"{op} {value:.1f}" for op, value in sorted(batch["aws_call_time_per_unit_over_getitem"].items())
        )
        report.lines += [
            "",
            f"notify_agency per message (batches of {batch['units']}): "
            f"{_fmt(batch['warm_per_unit_over_getitem'], 1)} x one GetItem round trip, "
            f"of which its own code {_fmt(batch['own_code_per_unit_over_getitem'], 1)}",
            f"  waiting per call (x GetItem): {waits}",
            f"  calls per message: {harness.format_calls(batch['warm_calls_per_unit'])}",
            "  (moto deep-copies the whole table for every TransactWriteItems: that wait grows with the table",
            "  on moto only; on DynamoDB a transaction costs about two writes)",
        ]
        report.figures["notify_per_message"] = batch


def escalation_figures(runs: list[dict[str, Any]], report: Report) -> None:
    """Items read per escalated report at each table size: flat, whatever the table holds."""
    rows = []
    for run in runs:
        summary = run["summary"]
        escalated = int(summary.get("escalated", 0))
        read = int(summary.get("read", 0))
        per = read / escalated if escalated else None
        verdict = harness.verdict(per, READ_PER_ESCALATED_TARGET)
        if escalated != run["due"]:
            report.problems.append(f"escalation with {run['not_due']:,} not due: {escalated} of {run['due']} escalated")
        if verdict == "ABOVE":
            report.problems.append(f"escalation with {run['not_due']:,} not due read {read} items for {escalated}")
        run["read_per_escalated"] = per
        rows.append(
            [
                f"{run['table_items']:,}",
                f"{run['not_due']:,}",
                str(run["due"]),
                str(escalated),
                str(read),
                _fmt(per),
                _target(READ_PER_ESCALATED_TARGET),
                verdict,
                harness.format_calls(run["calls"]),
            ]
        )
    report.lines += [
        "",
        "Escalation at scale: one scheduled run of EscalateOverdueFunction (items read = DynamoDB ScannedCount)",
        "",
        *harness.render_table(
            ["table items", "not due", "due", "escalated", "read", "read/escalated", "target", "verdict", "calls"],
            rows,
        ),
    ]
    report.figures["escalation"] = runs


def open311_figures(runs: list[dict[str, Any]], report: Report) -> None:
    """Items read per listed request among tens of thousands of reports: what is listed, not what the table
    holds; no scan; and the listing is the one the table's contents call for (the newest first)."""
    rows = []
    for run in runs:
        per = run["read"] / run["listed"] if run["listed"] else None
        verdict = harness.verdict(per, READ_PER_LISTED_TARGET)
        if verdict == "ABOVE":
            report.problems.append(f"Open311 listing ({run['query']}) read {run['read']} items for {run['listed']}")
        if run["scans"]:
            report.problems.append(f"Open311 listing ({run['query']}) made {run['scans']} scans")
            verdict = "SCAN"
        if not run["as_expected"]:
            report.problems.append(f"Open311 listing ({run['query']}) did not list the newest matching reports")
            verdict = "WRONG"
        run["read_per_listed"] = per
        rows.append(
            [
                run["query"],
                f"{run['reports']:,}",
                f"{run['listed']:,}",
                f"{run['read']:,}",
                _fmt(per),
                str(run["scans"]),
                f"{run['read_units']:g}",
                _target(READ_PER_LISTED_TARGET),
                verdict,
                harness.format_calls(run["calls"]),
            ]
        )
    report.lines += [
        "",
        "Open311 GET requests.json at scale: Open311Function's handler on a table of reports, read from moto over",
        "  HTTP (items read = ScannedCount of each Query and Scan, plus items of any GetItem/BatchGetItem; read",
        "  units from the sizes of the items read, eventually consistent); the listing is checked against the",
        "  newest matching reports worked out from the table itself",
        "",
        *harness.render_table(
            ["query", "reports", "listed", "read", "read/listed", "scans", "RRU", "target", "verdict", "calls"],
            rows,
        ),
    ]
    report.figures["open311_listing"] = runs


def retention_figures(run: dict[str, Any], report: Report) -> None:
    """Items read per erased report by one retention run on a large table: the due reports, not the table nor
    the reports still inside their period; no scan; every due report erased and no other."""
    erased = int(run["summary"].get("erased", 0))
    per = run["read"] / erased if erased else None
    verdict = harness.verdict(per, READ_PER_ERASED_TARGET)
    if verdict == "ABOVE":
        report.problems.append(f"retention read {run['read']} items for {erased} erased reports")
    if run["scans"]:
        report.problems.append(f"retention made {run['scans']} scans")
        verdict = "SCAN"
    if erased != run["due"] or run["due_left"] or run["left_in_index"] != run["in_index"] - run["due"]:
        report.problems.append(
            f"retention erased {erased} of {run['due']} due reports ({run['due_left']} due left in the index, "
            f"{run['left_in_index']} left of {run['in_index']})"
        )
        verdict = "WRONG"
    run["read_per_erased"] = per
    row = [
        f"{run['reports']:,}",
        f"{run['in_index']:,}",
        f"{run['due']:,}",
        f"{erased:,}",
        f"{run['read']:,}",
        _fmt(per),
        str(run["scans"]),
        _target(READ_PER_ERASED_TARGET),
        verdict,
        harness.format_calls(run["calls"]),
    ]
    report.lines += [
        "",
        "Retention at scale: one scheduled run of ErasePersonalDataFunction (items read = ScannedCount of each Query",
        "  and Scan, plus items of any GetItem), reports closed over two retention periods: the index holds those",
        "  closed since too, which the run must not read",
        "",
        *harness.render_table(
            ["reports", "in index", "due", "erased", "read", "read/erased", "scans", "target", "verdict", "calls"],
            [row],
        ),
    ]
    report.figures["retention"] = run


INBOX_QUERIES_PER_PAGE_TARGET = 1.0
INBOX_READ_PER_LISTED_TARGET = 1.25


def inbox_figures(runs: list[dict[str, Any]], report: Report) -> None:
    """A regency coordinator's inbox over its offices (issue 26): queries per page and items read per listed
    report, whatever the number of offices; listed newest first, each once, in the asked status."""
    rows = []
    for run in runs:
        per_page = run["queries"] / run["pages"]
        per_listed = run["read"] / run["listed"] if run["listed"] else None
        verdict = "PASS"
        if per_page > INBOX_QUERIES_PER_PAGE_TARGET:
            report.problems.append(f"coordinator inbox ({run['query']}) made {run['queries']} queries")
            verdict = "ABOVE"
        if harness.verdict(per_listed, INBOX_READ_PER_LISTED_TARGET) == "ABOVE":
            report.problems.append(f"coordinator inbox ({run['query']}) read {run['read']} items for {run['listed']}")
            verdict = "ABOVE"
        if not (run["newest_first"] and run["in_status"]):
            report.problems.append(f"coordinator inbox ({run['query']}) did not list newest first in its status")
            verdict = "WRONG"
        run["queries_per_page"], run["read_per_listed"] = per_page, per_listed
        rows.append(
            [
                run["query"],
                str(run["offices"]),
                f"{run['reports']:,}",
                str(run["pages"]),
                str(run["listed"]),
                _fmt(per_page),
                _fmt(per_listed),
                f"{run['read_units']:g}",
                f"<= {INBOX_QUERIES_PER_PAGE_TARGET:g} q, <= {INBOX_READ_PER_LISTED_TARGET:g} read",
                verdict,
                harness.format_calls(run["calls"]),
            ]
        )
    report.lines += [
        "",
        "A coordinator's inbox at a regency's size: GET /agency/reports as the regency's dispatcher through",
        "  AgencyReportsFunction, pages one after the other with the cursor (queries = DynamoDB Query calls,",
        "  items read = their ScannedCount); before issue 26 it was one query per agency in scope (41 here)",
        "",
        *harness.render_table(
            [
                "listing",
                "offices",
                "reports",
                "pages",
                "listed",
                "queries/page",
                "read/listed",
                "RRU",
                "target",
                "verdict",
                "calls",
            ],
            rows,
        ),
    ]
    report.figures["coordinator_inbox"] = runs


def nearby_figures(runs: list[dict[str, Any]], report: Report) -> None:
    """ "Sudah dilaporkan?" among tens of thousands of located reports: items read per lookup against the issue's
    target (at most 3 times the reports returned plus the queries made: a cell or, in a crowded cell, a point each),
    no scan, and the right reports."""
    rows = []
    for run in runs:
        target = 3 * run["returned"] + run["cells"]
        verdict = "ok" if run["read"] <= target else "ABOVE"
        if run["scans"]:
            report.problems.append(f"nearby lookup ({run['area']}) made {run['scans']} scans")
            verdict = "SCAN"
        if not run["as_expected"]:
            report.problems.append(f"nearby lookup ({run['area']}) did not return the nearest open reports")
            verdict = "WRONG"
        if verdict == "ABOVE":
            report.problems.append(f"nearby lookup ({run['area']}) read {run['read']} items (target {target})")
        rows.append(
            [
                run["area"],
                f"{run['reports']:,}",
                str(run["returned"]),
                str(run["cells"]),
                f"{run['read']:,}",
                f"<= {target}",
                f"{run['read_units']:g}",
                verdict,
                harness.format_calls(run["calls"]),
            ]
        )
    report.lines += [
        "",
        "GET /reports/nearby at scale: TrackReportFunction's handler on a table of located road reports (40 % in a",
        "  3 km town centre, the rest over a regency; 3 years of them, open when younger than 60 days or 1 in 20),",
        "  items read = ScannedCount; the answer is checked against the nearest open reports of the table itself",
        "",
        *harness.render_table(
            ["area", "reports", "returned", "queries", "read", "target", "RRU", "verdict", "calls"], rows
        ),
    ]
    report.figures["nearby"] = runs


def photo_memory_figures(photos: dict[str, Any], functions: dict[str, Any], report: Report) -> None:
    """The worst accepted picture of each format and mode, by EXIF orientation: peak MB of the MemorySize."""
    memory_mb = (functions.get("ProcessPhotoFunction") or {}).get("memory_mb")
    rows, worst = [], 0.0
    for name, by_orientation in photos.items():
        peaks = [result["peak_mb"] for result in by_orientation.values()]
        refused = [str(o) for o, result in by_orientation.items() if not result["outcome"][0].isdigit()]
        worst = max(worst, *peaks)
        rows.append([name, *(f"{peak:.0f}" for peak in peaks), _fmt(max(peaks) / memory_mb if memory_mb else None)])
        if refused:
            report.problems.append(f"photo memory: {name} refused at orientation {', '.join(refused)}")
    if memory_mb and worst > memory_mb / 2:
        report.problems.append(f"photo memory: the worst accepted picture peaks at {worst:.0f} MB of {memory_mb} MB")
    orientations = list(next(iter(photos.values()), {}))
    report.lines += [
        "",
        f"ProcessPhotoFunction, the worst accepted picture (MAX_PIXELS, 3:2) by EXIF orientation: peak MB of the "
        f"process (VmHWM), and the largest against its {memory_mb} MB (target at most 0.5)",
        *harness.render_table(["format mode", *(f"o{o}" for o in orientations), "max / MemorySize"], rows),
    ]
    report.figures["photo_memory"] = photos


def build_report(phases: dict[str, Any]) -> Report:
    report = Report()
    report.problems.extend(phases.get("errors", []))
    if phases.get("share"):
        share_figures(phases["share"], phases.get("functions", {}), report)
    if phases.get("cost"):
        cost_figures(phases["cost"], report)
    if "cold" in phases:
        cold_figures(phases["cold"], report)
    if "load" in phases:
        load_figures(phases["load"], phases.get("functions", {}), report)
    if phases.get("escalation"):
        escalation_figures(phases["escalation"], report)
    if phases.get("open311"):
        open311_figures(phases["open311"], report)
    if phases.get("retention"):
        retention_figures(phases["retention"], report)
    if phases.get("inbox"):
        inbox_figures(phases["inbox"], report)
    if phases.get("nearby"):
        nearby_figures(phases["nearby"], report)
    if phases.get("photos"):
        photo_memory_figures(phases["photos"], phases.get("functions", {}), report)
    return report
