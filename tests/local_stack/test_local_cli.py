"""The `lapor` command: `run` as a real process, `dev-token`, `seed`."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from lapor_local.cli import main

from tests.local_stack.conftest import TOKEN_SECRET
from tests.local_stack.support import TEMPLATE, call, free_port, write_tree

ROOT = Path(__file__).resolve().parents[2]


def read_lines(process: subprocess.Popen[bytes], count: int, timeout: float = 30.0) -> list[str]:
    """The first `count` lines the process prints, without hanging if it prints fewer."""
    assert process.stdout is not None
    descriptor = process.stdout.fileno()
    received = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, selectors.EVENT_READ)
        while received.count(b"\n") < count and time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                chunk = os.read(descriptor, 4096)
                if not chunk:
                    break
                received += chunk
    return received.decode().splitlines()[:count]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_lapor_run_prints_where_everything_is_and_stops_cleanly_on_a_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    template = TEMPLATE.replace(
        "  OutDir:\n    Type: String\n", f"  OutDir:\n    Type: String\n    Default: {out_dir}\n"
    )
    root = write_tree(tmp_path / "repo", template=template)
    api_port, aws_port = free_port(), free_port()
    environment = {**os.environ, "PYTHONPATH": f"{ROOT / 'shared'}{os.pathsep}{ROOT / 'infra'}"}
    command = [sys.executable, "-m", "lapor_local", "run", "--api-port", str(api_port), "--aws-port", str(aws_port)]
    process = subprocess.Popen(
        [*command, "--no-schedules", "--root", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    try:
        ready = read_lines(process, 5)
        assert ready == [
            "lapor local stack is ready",
            f"  API:  http://127.0.0.1:{api_port}",
            f"  AWS:  http://127.0.0.1:{aws_port}   (e.g. aws --endpoint-url http://127.0.0.1:{aws_port} "
            "dynamodb scan --table-name lapor-ItemsTable)",
            "  tables: lapor-ItemsTable",
            "  queues: lapor-WorkDeadLetterQueue, lapor-WorkQueue",
        ]
        assert call(f"http://127.0.0.1:{api_port}", "GET", "/echo/x").status == 200

        process.send_signal(stop_signal)
        stdout, stderr = (output.decode() for output in process.communicate(timeout=10))
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    assert stdout.strip().splitlines()[-1] == "lapor local stack stopped"
    assert "GET /echo/{name} 200" in stderr


def test_dev_token_prints_a_token_with_the_agency_claims(
    tmp_path: Path, token_secret: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dev-token", "--root", str(tmp_path), "--agency", "dinkes-barito-utara", "--role", "dispatcher"]) == 0

    claims = jwt.decode(capsys.readouterr().out.strip(), TOKEN_SECRET, algorithms=["HS256"], issuer="lapor-local")
    assert claims["custom:agency_id"] == "dinkes-barito-utara"
    assert claims["custom:role"] == "dispatcher"
    assert claims["token_use"] == "id"
    assert claims["exp"] - claims["iat"] == 8 * 3600
    assert len(claims["sub"]) == 36
    assert not (tmp_path / ".lapor").exists(), "with LAPOR_DEV_TOKEN_SECRET set no secret file is written"


def test_dev_token_refuses_an_unknown_role(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["dev-token", "--root", str(tmp_path), "--agency", "x", "--role", "superuser"])


def test_seed_writes_the_directory_into_the_given_table(
    stub_seed: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("REPORTS_TABLE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)

    code = main(["seed", "--table", "lapor-ReportsTable", "--endpoint-url", "http://127.0.0.1:4566"])

    assert code == 0
    assert stub_seed == [{"path": None, "table": "lapor-ReportsTable", "endpoint": "http://127.0.0.1:4566"}]
    assert capsys.readouterr().out == "seeded 6 agencies and 4 categories into lapor-ReportsTable\n"


def test_seed_needs_a_table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("REPORTS_TABLE", raising=False)

    assert main(["seed"]) == 2
    assert "--table" in capsys.readouterr().err


def test_python_dash_m_lapor_local_lists_the_subcommands() -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "infra")}

    result = subprocess.run(
        [sys.executable, "-m", "lapor_local", "--help"], capture_output=True, text=True, env=environment, check=True
    )

    assert re.findall(r"^ {4}(\S+)", result.stdout, flags=re.MULTILINE) == [
        "run",
        "dev-token",
        "seed",
        "directory",
        "escalate",
        "retention",
        "poster",
        "webhook-secret",
        "audit",
        "open311-key",
        "outbox",
        "whatsapp",
        "reindex-scope",
    ]


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (["audit", "--tracking-id", "LPR-7KQ2-M9XD-3FHW"], "--table"),
        (["audit", "--officer", "0f1e2d3c", "--from", "2026-12-01T00:00:00+07:00"], "--table"),
        (["audit", "--reports-with-contact", "--agency", "pemkab-barito-utara"], "--table"),
        (["webhook-secret", "--agency", "pemkab-barito-utara"], "--secret-arn"),
        (["open311-key", "list"], "--table"),
        (["outbox"], "--table and --queue-url"),
        (["reindex-scope"], "--table"),
    ],
)
def test_operator_commands_without_a_stack_say_how_to_name_one(
    command: list[str],
    options: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given no running local stack and no deployed resources named, the command refuses (2) and says which
    options name a deployed stack's, touching nothing."""
    monkeypatch.setenv("LAPOR_STATE_DIR", str(tmp_path / "no-stack"))

    code = main([*command[:1], "--root", str(tmp_path), *command[1:]])

    assert code == 2
    error = capsys.readouterr().err
    assert "no local stack is running" in error and f"(or give {options} for a deployed stack)" in error


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--officer", "0f1e2d3c"], "--officer needs --from"),
        (["--officer", "0f1e2d3c", "--from", "2026-12-01 08:00"], "not an ISO 8601 time with an offset"),
        (["--tracking-id", "LPR-7KQ2-M9XD-3FHW", "--to", "2026-12-01T00:00:00Z"], "--from and --to go with"),
        (["--reports-with-contact"], "--reports-with-contact and --agency go together"),
    ],
)
def test_lapor_audit_refuses_options_that_do_not_go_together(
    options: list[str], problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checked before any stack is looked for: nothing is read."""
    assert main(["audit", "--root", str(tmp_path), *options]) == 2
    assert problem in capsys.readouterr().err
