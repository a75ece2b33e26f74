"""The bench's own arithmetic and plumbing, without running a benchmark (cheap: no moto, no children)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.bench import harness, scenarios
from tests.conftest import ROOT


def test_median_and_ratios_are_what_the_table_prints() -> None:
    assert harness.median([3.0, 1.0, 2.0]) == 2.0
    assert harness.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert harness.ratio(1.3, 1.0) == pytest.approx(1.3)
    # One slow run of nine (another engineer's tests) does not move the figure.
    assert harness.ratio_of_medians([1.0] * 8 + [50.0], [2.0] * 9) == pytest.approx(0.5)
    assert harness.paired_ratios([2.0, 3.0], [1.0, 2.0]) == [2.0, 1.5]
    low, high = harness.quartiles([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (low, high) == (2.0, 4.0)
    with pytest.raises(ValueError):
        harness.median([])
    with pytest.raises(ValueError):
        harness.ratio(1.0, 0.0)


def test_verdicts_against_ceilings() -> None:
    assert harness.verdict(1.2, 1.2) == "PASS"
    assert harness.verdict(1.21, 1.2) == "ABOVE"
    assert harness.verdict(None, 1.2) == "-"
    assert harness.verdict(0.5, None) == "-"


def test_calls_read_like_iam_actions_and_divide_per_message() -> None:
    assert harness.format_calls({"kms:Decrypt": 10, "dynamodb:Query": 1}) == "dynamodb:Query 1, kms:Decrypt 10"
    assert harness.format_calls({}) == "none"
    assert harness.format_calls(None) == "?"
    assert harness.per_unit({"dynamodb:GetItem": 10, "ses:SendEmail": 5}, 10) == {
        "dynamodb:GetItem": 1.0,
        "ses:SendEmail": 0.5,
    }
    assert harness.format_calls(harness.per_unit({"ses:SendEmail": 5}, 10)) == "ses:SendEmail 0.50"


def test_the_counter_counts_a_stubbed_client_call_and_lets_go_afterwards() -> None:
    from botocore.client import BaseClient
    from botocore.session import Session
    from botocore.stub import Stubber

    original = BaseClient._make_api_call
    client = Session().create_client(
        "dynamodb", region_name="ap-southeast-3", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    key = {"pk": {"S": "REPORT#X"}, "sk": {"S": "REPORT"}}
    with Stubber(client) as stub, harness.counting_aws_calls() as counter:
        stub.add_response("get_item", {"Item": key}, {"TableName": "reports", "Key": key})
        stub.add_response("get_item", {}, {"TableName": "reports", "Key": key})
        client.get_item(TableName="reports", Key=key)
        first = counter.take()
        counter.paused = True
        client.get_item(TableName="reports", Key=key)
        assert counter.take().calls == {}
    assert first.calls == {"dynamodb:GetItem": 1}
    assert first.aws_seconds >= 0 and set(first.seconds) == {"dynamodb:GetItem"}
    assert BaseClient._make_api_call is original


def test_a_child_result_survives_the_functions_own_output() -> None:
    line = harness.result_line({"kind": "baseline", "import_s": 0.18})
    stdout = '{"level":"INFO","message":"request handled"}\n' + line + "\n"
    assert harness.parse_result(stdout) == {"kind": "baseline", "import_s": 0.18}
    assert harness.parse_result("Traceback (most recent call last):\n") is None


def test_every_function_of_the_template_is_found_with_its_folder() -> None:
    functions = {f.logical_id: f for f in harness.functions_from_template(ROOT)}
    assert {"SubmitReportFunction", "TrackReportFunction", "NotifyAgencyFunction"} <= set(functions)
    for info in functions.values():
        assert (info.code_dir / f"{info.module}.py").is_file(), info
        assert info.handler == "lambda_handler" and info.memory_mb >= 128
    assert set(scenarios.BENCHES) <= set(functions), "a scenario names a function the template lost"


def test_the_plan_sizes_the_pools_the_children_consume() -> None:
    notify = scenarios.BENCHES["NotifyAgencyFunction"]
    assert scenarios.pool_needs(notify, "cold") == {"notify": 1}
    # First message, 200 in batches of ten, two single-message samples.
    assert scenarios.pool_needs(notify, "load") == {"notify": 1 + 200 + 2}
    agency = scenarios.BENCHES["AgencyReportsFunction"]
    kinds = [scenario.name for scenario, _ in scenarios.plan(agency, "load")]
    assert len(kinds) == 200 + 2 and kinds[0] == scenarios.INBOX.name and kinds[1] == scenarios.VERIFY.name
    supply = scenarios.Supply({}, {"verify": ["A", "B"]})
    assert supply.take("verify") == ["A"] and supply.take("verify") == ["B"]
    with pytest.raises(RuntimeError):
        supply.take("verify")


def test_lines_are_aligned() -> None:
    lines = harness.render_table(["a", "bb"], [["xxx", "1"], ["y", "22"]])
    assert lines == ["  a    bb", "  ---  --", "  xxx  1", "  y    22"]


def test_lambda_cpu_share_quota_files_and_how_children_join() -> None:
    assert harness.cpu_quota_us(1769) == 100_000 and harness.cpu_quota_us(3008) == 100_000
    assert harness.cpu_quota_us(128) == 7235  # 128/1769 of one vCPU per 100 ms
    assert harness.cpu_limit_files(256, 1) == {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "14471"}
    assert harness.cpu_limit_files(256, 2) == {"cpu.max": "14471 100000"}
    with pytest.raises(ValueError):
        harness.cpu_quota_us(64)
    argv = harness.in_cgroup(["python", "child.py", "spec.json"], "/sys/fs/cgroup/cpu/x")
    assert (
        argv[:2] == ["/bin/sh", "-c"]
        and "exec" in argv[2]
        and argv[3:] == ["/sys/fs/cgroup/cpu/x", "python", "child.py", "spec.json"]
    )
    # Side by side only as many as fit in the CPU given, at least one.
    assert harness.parallel_children(128, 0.8, 6) == 6
    assert harness.parallel_children(512, 0.8, 6) == 2
    assert harness.parallel_children(1024, 0.8, 6) == 1


def test_a_cgroup_share_is_made_joined_and_removed() -> None:
    from tests.bench import share

    found = share.find_cgroups()
    if isinstance(found, str):
        pytest.skip(f"no cgroup here: {found}")
    with found.share(128, "lapor-bench-unit-test") as path:
        quota = "cpu.cfs_quota_us" if found.version == 1 else "cpu.max"
        assert (Path(path) / quota).read_text().split()[0] == "7235"
        joined = subprocess.run(
            harness.in_cgroup(["/bin/cat", "/proc/self/cgroup"], path), capture_output=True, text=True, check=True
        )
        assert "lapor-bench-unit-test" in joined.stdout
    assert not Path(path).exists()


def test_a_call_is_recorded_as_the_caller_sent_it_even_when_botocore_changes_its_parameters() -> None:
    """S3 turns a body's bytes into a file object in place: the floor must replay the bytes (and JSON can
    carry only them)."""
    from botocore.session import Session
    from botocore.stub import ANY, Stubber

    s3 = Session().create_client(
        "s3", region_name="ap-southeast-3", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(s3) as stub, harness.counting_aws_calls(record=True) as counter:
        stub.add_response("put_object", {}, {"Bucket": "photos", "Key": "a.jpg", "Body": ANY})
        s3.put_object(Bucket="photos", Key="a.jpg", Body=b"\xff\xd8jpeg")
    assert counter.log is not None
    [(service, operation, params, _)] = counter.log
    assert (service, operation, params) == (
        "s3",
        "PutObject",
        {"Bucket": "photos", "Key": "a.jpg", "Body": b"\xff\xd8jpeg"},
    )
    json.dumps(harness.encode_params(params))


def test_recorded_parameters_survive_json_for_the_floor() -> None:
    from tests.bench.floor import decode_params

    params = {"CiphertextBlob": b"\x00\xffkey", "Key": {"pk": {"S": "REPORT#X"}}, "Items": [{"B": b"\x01"}], "N": 3}
    assert decode_params(json.loads(json.dumps(harness.encode_params(params)))) == params


def test_dynamodb_sizes_and_units_as_dynamodb_counts_them() -> None:
    from tests.bench import cost

    assert cost.item_size({"pk": {"S": "REPORT#1"}, "n": {"N": "12345"}}) == 2 + 8 + 1 + 4
    assert cost.item_size({"m": {"M": {"a": {"BOOL": True}}}, "b": {"B": b"12"}}) == 1 + (3 + 1 + 1 + 1) + 1 + 2
    assert cost.item_size(None) == 0
    assert (cost.write_units(1), cost.write_units(1024), cost.write_units(1025)) == (1, 1, 2)
    assert (cost.read_units(4096, True), cost.read_units(4097, True), cost.read_units(10, False)) == (1.0, 2.0, 0.5)
    # 20 ms of CPU at 128 MB's share (x 13.8) plus 10 ms waiting, billed per started millisecond.
    assert cost.lambda_seconds(0.020, 0.010, 128) == pytest.approx(0.287)
    assert cost.lambda_seconds(0.020, 0.010, 2048) == pytest.approx(0.030)
    assert cost.schedule_runs_per_month("rate(1 minute)") == 43_200
    assert cost.schedule_runs_per_month("rate(15 minutes)") == 2_880


def test_the_memory_summary_says_per_function_whether_its_target_holds_at_its_memory() -> None:
    from tests.bench.report import memory_summary

    def figure(memory: int, target: float | None, ratios: dict[str, float], rule: int | None) -> dict[str, object]:
        sizes = {size: {"ratio": ratio} for size, ratio in ratios.items()}
        return {"memory_size_mb": memory, "rule_mb": rule, "target": target, "sizes": sizes}

    lines = memory_summary(
        {
            "SubmitReportFunction": figure(512, 1.35, {"128": 1.2, "512": 1.59}, 1024),
            "TrackReportFunction": figure(512, 1.25, {"128": 1.6, "512": 1.1}, 512),
            "NotifyAgencyFunction": figure(128, None, {"128": 1.3}, 512),
            "ApiDocsFunction": figure(512, 1.35, {"128": 1.1}, None),
        }
    )
    rows = {line.split()[0]: line.split() for line in lines if line.strip().endswith(("holds", "MISSED", "target"))}
    assert rows["SubmitReportFunction"][1:] == ["512", "MB", "1024", "MB", "1.59", "<=", "1.35", "MISSED"]
    assert rows["TrackReportFunction"][-1] == "holds"
    assert rows["NotifyAgencyFunction"][-2:] == ["no", "target"]
    assert any(
        line.split()[0] == "ApiDocsFunction" and line.rstrip().endswith("not measured at 512 MB")
        for line in lines
        if line.strip()
    )


def test_library_modules_are_third_party_modules_only_and_names_what_the_floor_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    stdlib_and_ours = ["json", "os.path", "_cffi_backend", "lapor.models", "lapor_bench_submit", "tests.bench"]
    libraries = ["botocore.client", "pydantic", "pydantic.main", "pydantic_core._pydantic_core", "cryptography.x509"]
    loaded = dict.fromkeys([*stdlib_and_ours, *libraries])
    monkeypatch.setattr(sys, "modules", loaded)
    found = harness.library_modules()
    assert found == [
        "botocore.client",
        "pydantic",
        "pydantic.main",
        "pydantic_core._pydantic_core",
        "cryptography.x509",
    ]
    assert harness.library_names(found, besides=["botocore", "botocore.session", "urllib3"]) == [
        "cryptography",
        "pydantic",
        "pydantic_core",
    ]


def test_the_libraries_summary_shows_what_libraries_and_lapor_each_cost_at_the_memory_size() -> None:
    from tests.bench.report import libraries_summary

    cell = {"floor_ms": 1000.0, "libraries_ms": 1250.0, "libraries_ratio": 1.25, "cold_ms": 1400.0, "ratio": 1.4}
    lines = libraries_summary(
        {
            "SubmitReportFunction": {"memory_size_mb": 512, "sizes": {"512": {**cell, "own_ratio": 1.12}}},
            "TrackReportFunction": {"memory_size_mb": 512, "sizes": {"512": {"floor_ms": 900.0, "ratio": 1.1}}},
        },
        {"SubmitReportFunction": ["pydantic.main", "pydantic_core", "cryptography.hazmat"]},
    )
    [row] = [line.split() for line in lines if line.strip().startswith("Submit")]
    figures = ["SubmitReportFunction", "512", "1000", "1250", "1.25", "1400", "1.40", "1.12"]
    assert row == [*figures, "cryptography,", "pydantic,", "pydantic_core"]
    assert not any(line.strip().startswith("Track") for line in lines)  # no libraries' floor: no row
    assert libraries_summary({}, {}) == []


def test_the_share_mode_consumes_a_probe_more_per_function() -> None:
    from tests.bench import share

    needs = share.share_pool_needs(["AgencyReportsFunction"], children=3, warm=5)
    per_request = scenarios.pool_needs(scenarios.BENCHES["AgencyReportsFunction"], "cold")
    assert needs == {pool: n * ((3 + 1) * 6 + 1) for pool, n in per_request.items()}


def test_the_share_mode_takes_more_samples_and_the_libraries_floor_at_each_functions_memory_size() -> None:
    from types import SimpleNamespace

    from tests.bench import share

    calls: list[tuple[str, str, int]] = []

    def run(kind: str, role: str, memory_mb: int) -> dict[str, object]:
        calls.append((kind, role, memory_mb))
        if memory_mb == share.UNTHROTTLED:  # the probes
            loaded = ["botocore.client"] + (["pydantic.main"] if (kind, role) == ("Submit", "function") else [])
            return {"ok": True, "libraries": loaded}
        return {"ok": True, "cold_s": 1.0}

    functions = {"Submit": SimpleNamespace(memory_mb=512), "Notify": SimpleNamespace(memory_mb=128)}
    runner = SimpleNamespace(run=run, functions=functions, libraries={})
    figures = share.run_share(runner, ["Submit", "Notify"], [128, 512], 3, lambda _: None, target_samples=7)  # type: ignore[arg-type]
    assert figures["libraries"] == {"Submit": ["pydantic.main"]}  # Notify loads nothing the floor does not
    results = figures["results"]
    assert {role: len(r) for role, r in results["Submit"]["512"].items()} == {"function": 7, "floor": 7, "libraries": 7}
    assert {role: len(r) for role, r in results["Submit"]["128"].items()} == {"function": 3, "floor": 3}
    assert {role: len(r) for role, r in results["Notify"]["128"].items()} == {"function": 7, "floor": 7}
    assert {role: len(r) for role, r in results["Notify"]["512"].items()} == {"function": 3, "floor": 3}
    probes = [c for c in calls if c[2] == share.UNTHROTTLED]
    assert probes == [("Submit", "floor", 0), ("Submit", "function", 0), ("Notify", "function", 0)]


def test_the_monthly_bill_adds_fixed_variable_and_cold_starts_as_priced() -> None:
    """A made-up usage: 1,200 reports a year (100 a month), 2 calls each to one 1,024 MB API function."""
    from tests.bench import cost

    calls, memory = {"Api": 2.0}, {"Api": 1024}
    with_snapstart = cost.monthly_bill(1_200, 0.001, 5.0, calls, memory, {"Api"})
    restores = 200 * 1.0 * cost.PRICES["snapstart_restore_gb"]  # every call a cold start: 200 restores of 1 GB
    assert with_snapstart["fixed"] == 5.0
    assert with_snapstart["variable"] == pytest.approx(0.1)
    assert with_snapstart["cold_starts"] == pytest.approx(restores)
    assert with_snapstart["total"] == pytest.approx(5.1 + restores)
    # Without SnapStart each cold start is a billed INIT: its CPU stretched by 1,024 MB's share of a vCPU.
    without = cost.monthly_bill(1_200, 0.001, 5.0, calls, memory, set())
    init_s = cost.lambda_seconds(cost.INIT_CPU_S, 0.0, 1024)
    assert init_s == pytest.approx(cost.INIT_CPU_S * 1769 / 1024, abs=0.001)
    assert without["cold_starts"] == pytest.approx(200 * init_s * 1.0 * cost.PRICES["lambda_arm_gb_s"])
    # A busy function's cold starts stop growing with its calls.
    busy = cost.monthly_bill(12_000_000, 0.0, 0.0, calls, memory, {"Api"})
    assert busy["cold_starts"] == pytest.approx(
        cost.MOST_COLD_STARTS_PER_FUNCTION * cost.PRICES["snapstart_restore_gb"]
    )


def test_fixed_lines_leave_out_waf_when_it_is_off() -> None:
    from tests.bench import cost

    template = {
        "Resources": {
            "Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [{}, {}]}},
            "Key": {"Type": "AWS::KMS::Key"},
        }
    }
    on = {line.name: line.dollars for line in cost.fixed_lines(template, {"Api": 512}, {"Api"}, {}, waf=True)}
    off = {line.name: line.dollars for line in cost.fixed_lines(template, {"Api": 512}, set(), {}, waf=False)}
    assert on["WAF web ACLs and rules"] == pytest.approx(7.0) and off["WAF web ACLs and rules"] == 0
    assert on["SnapStart snapshot cache (one live version each)"] == pytest.approx(0.5 * 2_592_000 * 0.0000015046)
    assert off["SnapStart snapshot cache (one live version each)"] == 0 and off["KMS keys"] == 1.0


def test_the_first_invoke_is_judged_against_the_same_childs_warm_requests() -> None:
    """SnapStart's figure: each child's first request over its own warm median, the median over children."""
    from tests.bench import report

    def child(first: float, warm: list[float]) -> dict[str, object]:
        return {
            "ok": True,
            "cold_s": 1.0,
            "init_s": 0.9,
            "invoke_s": first,
            "warm_s": warm,
            "first_own_s": first / 2,
            "warm_own_s": [w / 2 for w in warm],
            "first_imports": ["x"],
        }

    floor = {"ok": True, "cold_s": 0.8, "init_s": 0.7, "invoke_s": 0.04, "warm_s": [0.02]}
    share = {
        "samples": 3,
        "results": {
            "Api": {
                "512": {
                    "function": [child(0.030, [0.010, 0.020, 0.030]), child(0.024, [0.020]), child(0.1, [0.02])],
                    "floor": [floor],
                }
            }
        },
    }
    built = report.Report()
    report.share_figures(share, {"Api": {"memory_mb": 512}}, built)
    (row,) = built.figures["first_invoke"]
    assert row["first_warm"] == pytest.approx(1.5)  # 1.5, 1.2 and 5.0: the median
    assert row["own_first_warm"] == pytest.approx(1.5)
    assert row["vs_floor"] == pytest.approx(0.030 / 0.040)
    assert row["first_imports"] == ["x"]
    assert any("Api: first request after INIT 1.50 x" in problem for problem in built.problems)
