"""The running local stack against its own OpenAPI document: schemathesis with all its checks.

Every generated request, valid or not, must get a documented status, a body matching its schema, and
never a 5xx; schema-valid data must be accepted and schema-violating data refused.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningStack

MIN_CASES = 500
CITIZEN_TAGS = "^(citizen|directory)$"  # one of the two shares (see below)


def unexpected_errors(stack: RunningStack) -> str:
    """The stack's "unexpected error" lines (operation, error type and frames, never a message), so that a 5xx
    schemathesis found can be traced from the test's output alone."""
    lines = [line for line in stack.logs().splitlines() if "unexpected error" in line or "Traceback" in line]
    return "\n\nThe stack's unexpected errors:\n" + "\n".join(lines[-20:]) if lines else ""


# About a thousand generated requests take 1-4 minutes on 2 cores, more on a busy machine (over 15 minutes at a
# load average of 11 on 2 cores, seen on 2026-11-30): the suite-wide 300 s bound would fail a correct API for
# being slow, so this one test gets the subprocess's own bound, which only a hung run reaches.
@pytest.mark.timeout(1860)
def test_the_api_keeps_its_contract_under_generated_requests(local_stack: RunningStack, tmp_path: Path) -> None:
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    assert schemathesis, "schemathesis is a dev dependency: run `make test` to install it"
    token = local_stack.cli("dev-token", "--agency", "pemkab-barito-utara", "--role", "dispatcher").strip()
    command = [
        schemathesis,
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        f"{local_stack.api_url}/openapi.json",
        "--checks",
        "all",
        # API Gateway answers methods a route does not have by itself (not the functions): not ours to test.
        "--exclude-checks",
        "unsupported_method,allow_header_conformance",
        "--max-examples",
        "40",
        "--seed",
        "1",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
    ]
    partner_key = local_stack.cli("open311-key", "create", "--name", "schemathesis").strip()
    env = {
        **local_stack.env,
        "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
        "LAPOR_OPEN311_KEY": partner_key,
    }
    # Two processes at once, each on its share of the operations (together: all of them), served in parallel
    # by the stack: the test took 173 s alone, against 278 s with one process. Not schemathesis' --workers:
    # its threads parse Python source at once, which CPython 3.11 can fail ("AST constructor recursion depth
    # mismatch", seen on 2026-11-30).
    shares = [["--include-tag-regex", CITIZEN_TAGS], ["--exclude-tag-regex", CITIZEN_TAGS]]
    logs = [tmp_path / f"share-{i}.log" for i in range(len(shares))]  # files: a full pipe would stall a run
    sinks = [log.open("w") for log in logs]
    runs = [
        subprocess.Popen(
            [*command, *share, "--report-dir", str(tmp_path / f"share-{i}")],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        for i, (share, sink) in enumerate(zip(shares, sinks, strict=True))
    ]
    generated = 0
    try:
        for run, log in zip(runs, logs, strict=True):
            run.wait(timeout=1800)
            output = log.read_text()
            assert run.returncode == 0, output[-8000:] + unexpected_errors(local_stack)
            count = re.search(r"(\d+) generated", output)
            assert count, output[-3000:]
            generated += int(count.group(1))
    finally:
        for run, sink in zip(runs, sinks, strict=True):
            run.kill()
            sink.close()
    assert generated >= MIN_CASES
