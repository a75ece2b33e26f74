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
        # Two clients at once: the stack serves them in parallel, and the run takes 182 s instead of 278 s.
        "--workers",
        "2",
        "--seed",
        "1",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    partner_key = local_stack.cli("open311-key", "create", "--name", "schemathesis").strip()
    env = {
        **local_stack.env,
        "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
        "LAPOR_OPEN311_KEY": partner_key,
    }
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated and int(generated.group(1)) >= MIN_CASES, output[-3000:]
