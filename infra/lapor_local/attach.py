"""Attaching to a running local stack from another process (for `lapor escalate` and friends)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lapor_local.functions import LocalFunction
from lapor_local.stack import STATE_FILE


class NoRunningStack(Exception):
    """`lapor run` is not running for this checkout."""


def state_dir(root: Path) -> Path:
    return Path(os.environ.get("LAPOR_STATE_DIR") or root / ".lapor")


def running_stack(root: Path) -> dict[str, Any]:
    """The running stack's endpoints and function environment, and this process set up to use them."""
    path = state_dir(root) / STATE_FILE
    if not path.exists():
        raise NoRunningStack(f"no local stack is running (no {path}); start one with `make run`")
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    os.environ.update({k: str(v) for k, v in state["environment"].items()})
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": state["aws_url"],
            "AWS_DEFAULT_REGION": state["region"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # moto's dummy credentials
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    return state


def target(root: Path, deployed: dict[str, str | None], options: str) -> str | None:
    """Point this process at a deployed stack where the operator named its resources (environment variable ->
    value, given by `options`), else at the running local stack; an error message when there is neither."""
    named = {name: value for name, value in deployed.items() if value}
    if named:
        os.environ.update(named)
        return None
    try:
        running_stack(root)
    except NoRunningStack as error:
        return f"{error} (or give {options} for a deployed stack)"
    return None


def local_function(state: dict[str, Any], logical_id: str, timeout_s: float = 300) -> LocalFunction:
    """A function of the running stack's template, to invoke in this process against its AWS endpoint."""
    return LocalFunction(
        logical_id=logical_id,
        code_dir=Path(state["functions"][logical_id]),
        handler="app.lambda_handler",
        memory_mb=128,
        timeout_s=timeout_s,
        function_name=logical_id,
        region=state["region"],
    )
