"""AWS clients, created lazily on first use and reused across invocations.

Nothing here talks to AWS, or even imports boto3, at import time. Endpoints come from the standard
environment (AWS_ENDPOINT_URL locally), so the code is the same on moto and in AWS.
"""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
_session: Any = None
_lock = threading.Lock()


def client(service: str) -> Any:
    """The shared boto3 client for `service` (dynamodb, sqs, kms, ses, ...)."""
    found = _clients.get(service)
    if found is not None:
        return found
    global _session
    with _lock:
        found = _clients.get(service)
        if found is None:
            import boto3
            from botocore.config import Config

            if _session is None:
                # One session for every client: each new session loads the service models and endpoint
                # rules again (measured: three clients from one session cost half of three sessions).
                _session = boto3.session.Session()

            # Short timeouts and one retry: a citizen on a weak connection is already waiting, and the
            # worst case of one call (2 x (1 s + 3 s) plus at most 1 s of backoff) must end well inside the
            # shortest function Timeout (10 s; tests/unit/test_template.py checks it).
            config = Config(
                connect_timeout=1,
                read_timeout=3,
                retries={"mode": "standard", "total_max_attempts": 2},
                # Presigned S3 links must be SigV4: objects encrypted with a KMS key refuse anything else.
                signature_version="s3v4" if service == "s3" else None,
                s3={"addressing_style": _s3_addressing()} if service == "s3" else None,
            )
            found = _session.client(service, config=config)
            _clients[service] = found
        return found


def _s3_addressing() -> str:
    """Presigned URLs on the bucket's regional host in AWS (the global one redirects, which a browser's
    cross-origin upload cannot follow); path style on a local endpoint, which has no bucket subdomains."""
    import os

    return "path" if os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") else "virtual"


def reset_clients() -> None:
    """Forget every client and the session (tests switch endpoints and credentials)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None
