"""The template's functions, run in this process: moto cannot run Lambda code without Docker."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lapor_local.runtime import LambdaContext, load_function

log = logging.getLogger("lapor.local")

Handler = Callable[[Any, Any], Any]


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
    _handler: Handler | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def module_name(self) -> str:
        return f"lapor_fn_{self.logical_id}"

    def _load(self) -> Handler:
        with self._lock:
            if self._handler is None:
                file, _, attribute = self.handler.rpartition(".")
                self._handler = getattr(load_function(self.code_dir, self.module_name, file), attribute)
            return self._handler

    def unload(self) -> None:
        sys.modules.pop(self.module_name, None)
        self._handler = None

    def invoke(self, event: Any) -> Any:
        """Call the handler as Lambda would, with a fresh context; exceptions propagate to the caller."""
        handler = self._load()
        context = LambdaContext(self.function_name, self.memory_mb, self.timeout_s, self.region)
        started = time.monotonic()
        try:
            return handler(event, context)
        finally:
            elapsed = time.monotonic() - started
            if elapsed > self.timeout_s:
                log.warning("%s ran %.1f s, longer than its Timeout of %s s", self.logical_id, elapsed, self.timeout_s)
