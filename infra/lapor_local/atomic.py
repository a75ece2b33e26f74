"""DynamoDB's per-item atomicity for moto.

DynamoDB checks a condition and writes as one step; moto checks and then writes without a lock, so two
concurrent conditional writes (retries of one submission, two officers acting at once, two escalation
runs) could both pass. The local stack and the tests serialise moto's DynamoDB operations so that they
see what DynamoDB would do, and the product code is tested against real semantics.

The lock covers each whole request, not only the backend: moto's UpdateItem handler deep-copies the live
item before the backend updates it, and a copy taken while another thread's write changed the item raised
"dictionary changed size during iteration", a 500 (seen once in 50 parallel wrong access codes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Queries too: a report and its messages are read together in one Query.
_OPERATIONS = (
    "get_item",
    "query",
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
)


@contextmanager
def serialized_dynamodb() -> Iterator[None]:
    """While active, moto's DynamoDB handles one read or write at a time, request handler and backend."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    originals: list[tuple[type, str, Callable[..., Any]]] = []
    for owner in (DynamoHandler, DynamoDBBackend):
        for name in _OPERATIONS:
            original = getattr(owner, name)
            originals.append((owner, name, original))

            def locked(self: Any, *args: Any, __original: Callable[..., Any] = original, **kwargs: Any) -> Any:
                with lock:
                    return __original(self, *args, **kwargs)

            setattr(owner, name, locked)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
