"""DynamoDB's per-item atomicity for moto.

DynamoDB checks a condition and writes as one step; moto checks and then writes without a lock, so two
concurrent conditional writes (retries of one submission, two officers acting at once, two escalation
runs) could both pass. The local stack and the tests serialise moto's DynamoDB operations so that they
see what DynamoDB would do, and the product code is tested against real semantics.
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
    """While active, moto's DynamoDB backend handles one read or write at a time."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    originals: dict[str, Callable[..., Any]] = {}
    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name)
        originals[name] = original

        def locked(self: Any, *args: Any, __original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            with lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(DynamoDBBackend, name, original)
