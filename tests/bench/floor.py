"""The floor of a cold request: a bare interpreter that imports boto3, creates the clients and makes the very
AWS calls a function's first request made (recorded by the bench's parent), and nothing else.

Run as `python tests/bench/floor.py <spec.json>` in the same cgroup as the function it is the floor of. It
imports only what the function's child imports before its own timed part (json, os, sys, time), and the
bench's helpers only after the clock stopped. A replayed conditional write may be refused (the item exists
now): it is a round trip all the same, so the refusal is counted, not fatal.

With `preload` in its spec (the libraries' floor), it first imports those modules: every module of the
third-party libraries the function's cold request loaded, so that its time is what those libraries alone
cost on top of the floor, and the function's ratio to it is what lapor's own code costs.
"""

from __future__ import annotations

import json
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def decode_params(value: Any) -> Any:
    """The parameters as botocore takes them: `{"__b64__": ...}` back to bytes (the inverse of
    harness.encode_params; it lives here so that the floor imports nothing of the bench before its clock stops)."""
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            import base64

            return base64.b64decode(value["__b64__"])
        return {k: decode_params(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_params(v) for v in value]
    return value


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as stream:
        spec = json.load(stream)
    for name in spec.get("preload", ()):
        try:  # noqa: SIM105 - contextlib would be one more import in the timed part
            __import__(name)
        except Exception:  # a name a library made up at run time (six.moves ...), not a module to load
            pass
    import boto3
    from botocore import xform_name
    from botocore.exceptions import ClientError

    session = boto3.session.Session()
    clients = {service: session.client(service) for service in dict.fromkeys(call[0] for call in spec["calls"])}
    calls = [(getattr(clients[s], xform_name(op)), decode_params(params)) for s, op, params in spec["calls"]]
    init_done = time.monotonic()
    refused = 0

    def replay() -> None:
        nonlocal refused
        for method, params in calls:
            try:
                method(**params)
            except ClientError:
                refused += 1

    replay()
    done = time.monotonic()
    warm = []
    for _ in range(int(spec.get("warm", 0))):
        started = time.monotonic()
        replay()
        warm.append(time.monotonic() - started)
    sys.path[:0] = list(spec["tool_paths"])
    from tests.bench.harness import library_modules, result_line

    result = {
        "init_done": init_done,
        "done": done,
        "warm_s": warm,
        "refused": refused,
        "ok": True,
        "libraries": library_modules(),
    }
    sys.stdout.write(result_line({"kind": spec["kind"], "mode": "floor", **result}) + "\n")
    sys.stdout.flush()
    os._exit(0)  # nothing of the interpreter's teardown is part of a request


if __name__ == "__main__":
    main()
