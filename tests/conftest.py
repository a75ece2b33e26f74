"""Shared fixtures: the repository root, and helpers every layer of tests uses."""

from __future__ import annotations

import importlib.util
import io
import logging
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "shared", ROOT / "infra"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def load_function(name: str) -> ModuleType:
    """Import `functions/<name>/app.py` as its own module, as Lambda would."""
    module_name = f"lapor_test_fn_{name}"
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


class LambdaContext:
    """The parts of a Lambda context that Powertools reads."""

    function_name = "test-function"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:ap-southeast-3:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


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
    # The Powertools logger ("lapor") does not propagate to the root logger: listen on both.
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
