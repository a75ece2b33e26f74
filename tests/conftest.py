"""Shared fixtures: the repository root, and helpers every layer of tests uses."""

from __future__ import annotations

import io
import logging
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lapor_local.runtime import LambdaContext
from lapor_local.runtime import load_function as _load_function

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "shared", ROOT / "infra"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


READY_LINE = "lapor local stack is ready"
START_SECONDS = 60


@dataclass(frozen=True)
class RunningStack:
    """The local stack that `lapor run` started for this test session, and a way to use its CLI."""

    api_url: str
    aws_url: str
    state_dir: Path
    env: dict[str, str]
    stdout: list[str]

    def aws_client(self, service: str) -> Any:
        """A boto3 client on the stack's local AWS endpoint (moto takes any credentials)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.aws_url,
            region_name="ap-southeast-3",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def logs(self) -> str:
        """Everything the stack and its functions have logged so far (standard output and error)."""
        return "".join(self.stdout) + (self.state_dir / "stderr.log").read_text(errors="replace")

    @property
    def mail_dir(self) -> Path:
        return self.state_dir / "mail"

    def cli(self, *args: str) -> str:
        """Run `lapor <args>` against this stack; its standard output."""
        result = subprocess.run(
            [sys.executable, "-m", "lapor_local", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """`python -m lapor_local run` on free ports until the session ends; stopped with SIGTERM."""
    paths = [str(ROOT / "shared"), str(ROOT / "infra"), os.environ.get("PYTHONPATH", "")]
    state_dir = tmp_path_factory.mktemp("lapor-state")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p), "LAPOR_STATE_DIR": str(state_dir)}
    env.pop("PUBLIC_BASE_URL", None)
    log_path = state_dir / "stderr.log"
    command = [sys.executable, "-m", "lapor_local", "run", "--no-schedules"]
    command += ["--api-port", str(_free_port()), "--aws-port", str(_free_port())]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    captured: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            captured.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    urls: dict[str, str] = {}
    ready = False
    try:
        while "API" not in urls or "AWS" not in urls:
            line = lines.get(timeout=START_SECONDS)
            if line is None:
                break
            ready = ready or READY_LINE in line
            match = re.match(r"\s*(API|AWS):\s+(\S+)", line)
            if ready and match:
                urls[match.group(1)] = match.group(2)
    except queue.Empty:
        pass
    if "API" not in urls or "AWS" not in urls:
        process.kill()
        process.wait(timeout=10)
        pytest.fail(f"the local stack did not start:\n{log_path.read_text()[-3000:]}", pytrace=False)
    try:
        yield RunningStack(api_url=urls["API"], aws_url=urls["AWS"], state_dir=state_dir, env=env, stdout=captured)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the running local stack share one worker, so the session starts one stack."""
    for item in items:
        if "local_stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("local-stack"))


def load_function(name: str) -> ModuleType:
    """Import `functions/<name>/app.py` as its own module, as Lambda would (and the local stack does)."""
    return _load_function(ROOT / "functions" / name, f"lapor_test_fn_{name}")


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


class CapturedLogs:
    """Everything the code logged: Powertools writes JSON lines to stdout, stdlib logging to handlers."""

    def __init__(self) -> None:
        self.stdout = io.StringIO()
        self.records: list[str] = []

    @property
    def text(self) -> str:
        return self.stdout.getvalue() + "\n".join(self.records)


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(f"{record.getMessage()} {record.__dict__}")


@pytest.fixture
def captured_logs() -> Iterator[CapturedLogs]:
    """Capture every log line (stdout JSON and stdlib records) while a test runs."""
    logs = CapturedLogs()
    handler = _ListHandler(logs.records)
    # The "lapor" logger (lapor.observability) does not propagate to the root logger: listen on both.
    loggers = [logging.getLogger(), logging.getLogger("lapor")]
    levels = [lg.level for lg in loggers]
    # Our own logger at DEBUG (everything lapor could ever log); libraries at INFO, as deployed
    # (botocore's DEBUG output carries whole requests and is never enabled in a deployment).
    for lg, level in zip(loggers, (logging.INFO, logging.DEBUG), strict=True):
        lg.addHandler(handler)
        lg.setLevel(level)
    try:
        with redirect_stdout(logs.stdout):
            yield logs
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
