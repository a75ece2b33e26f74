"""What Lambda's runtime gives a handler, for everything that runs the functions outside Lambda: the local
stack, the tests and the bench each load a function and make its context here, and nowhere else.

It imports only what every interpreter has loaded already (importlib, os, sys, time): the bench loads it
before it times a function's INIT, which must pay for everything else itself.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from types import ModuleType

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "ap-southeast-3"  # Jakarta, where an Indonesian deployment would live


def _request_id() -> str:
    """A random id in the shape of Lambda's request ids (the uuid module would load more than this file may)."""
    digits = os.urandom(16).hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


class LambdaContext:
    """The parts of Lambda's context object that the handlers and Powertools read."""

    def __init__(
        self,
        function_name: str = "test-function",
        memory_mb: int = 128,
        timeout_s: float = 900.0,  # Lambda's longest: a test's handler never runs out of time
        region: str = DEFAULT_REGION,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = _request_id()
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_function(code_dir: str | os.PathLike[str], module_name: str, file: str = "app") -> ModuleType:
    """Import `<code_dir>/<file>.py` as `module_name`, with its folder first on sys.path like Lambda's /var/task.

    The function's own modules (process_photo's `cleaner`) are imported with it and then dropped from
    sys.modules, so that another function's module of the same name, or a later load against a layer
    imported anew, is imported afresh.
    """
    folder = os.path.abspath(code_dir)
    source = os.path.join(folder, *file.split(".")) + ".py"
    spec = importlib.util.spec_from_file_location(module_name, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        sys.path.remove(folder)
        for name, loaded in list(sys.modules.items()):
            if name != module_name and str(getattr(loaded, "__file__", "") or "").startswith(folder + os.sep):
                del sys.modules[name]
    return module
