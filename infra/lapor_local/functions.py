"""The template's functions, run in this process: moto cannot run Lambda code without Docker."""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

log = logging.getLogger("lapor.local")

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, function_name: str, memory_mb: int, timeout_s: float, region: str, account_id: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class LocalFunction:
    """One `AWS::Serverless::Function`; its module is imported on first use, after the environment is set."""

    logical_id: str
    code_dir: Path
    handler: str
    memory_mb: int
    timeout_s: float
    function_name: str
    region: str
    account_id: str
    _handler: Handler | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def module_name(self) -> str:
        return f"lapor_fn_{self.logical_id}"

    def _load(self) -> Handler:
        with self._lock:
            if self._handler is None:
                module_path, _, attribute = self.handler.rpartition(".")
                source = self.code_dir.joinpath(*module_path.split(".")).with_suffix(".py")
                module = _import_file(self.module_name, source, self.code_dir)
                self._handler = getattr(module, attribute)
            return self._handler

    def unload(self) -> None:
        sys.modules.pop(self.module_name, None)
        self._handler = None

    def invoke(self, event: Any) -> Any:
        """Call the handler as Lambda would, with a fresh context; exceptions propagate to the caller."""
        handler = self._load()
        context = LambdaContext(self.function_name, self.memory_mb, self.timeout_s, self.region, self.account_id)
        started = time.monotonic()
        try:
            return handler(event, context)
        finally:
            elapsed = time.monotonic() - started
            if elapsed > self.timeout_s:
                log.warning("%s ran %.1f s, longer than its Timeout of %s s", self.logical_id, elapsed, self.timeout_s)


def _import_file(module_name: str, source: Path, code_dir: Path) -> ModuleType:
    """Import `source` under a unique name, with its folder first on sys.path like Lambda's /var/task."""
    spec = importlib.util.spec_from_file_location(module_name, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(code_dir))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        sys.path.remove(str(code_dir))
    return module
