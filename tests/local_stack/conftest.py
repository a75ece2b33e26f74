"""Fixtures for the local stack's tests: a synthetic tree in tmp_path and stacks on free ports."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lapor_local.stack import LocalStack

from tests.local_stack.support import write_tree

TOKEN_SECRET = "local-stack-test-secret-0123456789abcdef"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo")


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def token_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LAPOR_DEV_TOKEN_SECRET", TOKEN_SECRET)
    return TOKEN_SECRET


@pytest.fixture
def make_stack(tree: Path, out_dir: Path, token_secret: str) -> Iterator[Callable[..., LocalStack]]:
    """Start a stack on free ports (stopped after the test); keyword arguments go to LocalStack."""
    stacks: list[LocalStack] = []

    def make(**options: Any) -> LocalStack:
        options = {"api_port": 0, "aws_port": 0, "schedules": False, "retry_delay_seconds": 0, **options}
        options.setdefault("parameters", {"OutDir": str(out_dir)})
        stack = LocalStack(options.pop("root", tree), **options)
        stacks.append(stack)
        return stack.start()

    yield make
    for stack in stacks:
        stack.stop()


@pytest.fixture
def stack(make_stack: Callable[..., LocalStack]) -> LocalStack:
    return make_stack()


@pytest.fixture
def stub_seed(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the directory's seeding with a stub that records each call and the environment it ran in."""
    calls: list[dict[str, Any]] = []

    def seed_directory(path: Path | None = None) -> tuple[int, int]:
        calls.append(
            {"path": path, "table": os.environ.get("REPORTS_TABLE"), "endpoint": os.environ["AWS_ENDPOINT_URL"]}
        )
        return 6, 4

    monkeypatch.setattr("lapor_local.seed.seed_directory", seed_directory)
    return calls
