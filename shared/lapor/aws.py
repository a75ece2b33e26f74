"""AWS clients, made once per process and reused across invocations.

Importing this module neither talks to AWS nor imports the SDK. A function creates the clients that every
one of its requests needs during INIT (`prepare`, called by its app.py): creating a client calls nobody,
and the work is then in the phase SnapStart snapshots instead of in a citizen's first request. Clients
that only some requests need (KMS for a sealed report, SQS for an action) are made on first use.
Endpoints come from the standard environment (AWS_ENDPOINT_URL locally): the same code on moto and in AWS.

The clients are botocore's, made by a botocore session: what `boto3.client` returns, without importing
boto3 itself, whose resource layer and s3transfer are never used here (docs/measured.md).
"""

from __future__ import annotations

import threading
from typing import Any

from lapor.config import runtime
from lapor.observability import logger

_clients: dict[str, Any] = {}
_session: Any = None
_models: Any = None  # botocore's loader of the service models (JSON files of the SDK): they never change
_lock = threading.Lock()


def client(service: str) -> Any:
    """The shared client for `service` (dynamodb, sqs, kms, ses, ...)."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(service)
        if found is None:
            from botocore.config import Config

            # Short timeouts and one retry: a citizen on a weak connection is already waiting, and the
            # worst case of one call (2 x (1 s + 3 s) plus at most 1 s of backoff) must end well inside the
            # shortest function Timeout (10 s; tests/unit/test_template.py checks it).
            config = Config(
                connect_timeout=1,
                read_timeout=runtime().aws_read_timeout,  # 3 s; the local stack's moto sets more (config.Runtime)
                retries={"mode": "standard", "total_max_attempts": 2},
                # Presigned S3 links must be SigV4: objects encrypted with a KMS key refuse anything else.
                signature_version="s3v4" if service == "s3" else None,
                # Presigned URLs on the bucket's regional host in AWS (the global one redirects, which a browser's
                # cross-origin upload cannot follow); path style on a local endpoint, which has no bucket subdomains.
                s3={"addressing_style": "path" if runtime().s3_endpoint else "virtual"} if service == "s3" else None,
            )
            found = _shared_session().create_client(service, config=config)
            _clients[service] = found
        return found


def _shared_session() -> Any:
    """One session for every client: each new session loads the service models and endpoint rules again
    (measured: three clients from one session cost half of three sessions).
    """
    global _session, _models
    if _session is None:
        from botocore.session import Session

        _session = Session()
        if _models is None:
            _models = _session.get_component("data_loader")
        else:
            _session.register_component("data_loader", _models)
    return _session


# One request of each kind lapor makes with a service: botocore builds each operation's model, serializer,
# endpoint rules and response parser on its first call, so `prepare` makes these once, answered by a stub
# (`_stub_response`): nothing goes out, no AWS call is made, and nothing is kept but botocore's own caches.
_PRIMING_KEY = {"pk": {"S": "PRIME"}, "sk": {"S": "PRIME"}}
PRIMING: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "dynamodb": (
        ("GetItem", {"TableName": "prime", "Key": _PRIMING_KEY, "ConsistentRead": True}),
        (
            "Query",
            {
                "TableName": "prime",
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": "PRIME"}},
            },
        ),
        ("PutItem", {"TableName": "prime", "Item": _PRIMING_KEY, "ConditionExpression": "attribute_not_exists(pk)"}),
        (
            "UpdateItem",
            {
                "TableName": "prime",
                "Key": _PRIMING_KEY,
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            },
        ),
        ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "prime", "Item": _PRIMING_KEY}}]}),
        ("BatchGetItem", {"RequestItems": {"prime": {"Keys": [_PRIMING_KEY]}}}),
    ),
    "sqs": (("SendMessage", {"QueueUrl": "https://sqs.invalid/000000000000/prime", "MessageBody": "{}"}),),
    "kms": (
        ("GenerateDataKey", {"KeyId": "alias/prime", "KeySpec": "AES_256", "EncryptionContext": {"p": "p"}}),
        ("Decrypt", {"CiphertextBlob": b"prime", "EncryptionContext": {"p": "p"}}),
    ),
    "secretsmanager": (("GetSecretValue", {"SecretId": "prime"}),),
    "cognito-idp": (
        ("ListUsers", {"UserPoolId": "ap-southeast-3_prime"}),
        ("AdminGetUser", {"UserPoolId": "ap-southeast-3_prime", "Username": "prime"}),
    ),
}


def prepare(*services: str) -> None:
    """Create the clients for `services` now (INIT), and make one stubbed request of each kind lapor makes
    with them (`PRIMING`), so that a first request after INIT (SnapStart's snapshot) costs what a warm one
    does. Without a region (a test or tool importing a function outside Lambda, which always sets one) they
    are left to be made on first use instead.
    """
    with _lock:
        if _shared_session().get_config_variable("region") is None:
            return
    for service in services:
        found = client(service)
        try:
            prime(found)
        except Exception as exc:  # only a speed-up: a first request does the same work if this failed
            logger.warning("priming failed", {"service": service, "error": f"{type(exc).__name__}: {exc}"[:300]})
    # The first connection's host name lookup imports the IDNA codec: import it here instead.
    "prime.invalid".encode("idna")
    _after_restore(close_connections)


_priming = threading.local()


def _stub_response(request: Any, **_: Any) -> Any:
    """While `prime` runs in this thread, the answer to its requests in place of sending them: an empty JSON
    body. Otherwise nothing (None: the request is sent). It stays registered: unregistering a handler would
    empty the client's event lookup cache, which priming fills."""
    if not is_priming():
        return None
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any) -> Any:
            return iter((b"{}",))

    return AWSResponse(request.url, 200, {}, Raw())


def is_priming() -> bool:
    """Whether this thread is priming a client now: its requests reach no AWS (tools that count calls skip them)."""
    return bool(getattr(_priming, "on", False))


def prime(found: Any) -> None:
    """One stubbed request of each kind in `PRIMING` for this client's service (built, signed, parsed)."""
    from botocore import xform_name

    service = found.meta.service_model.service_name
    found.meta.events.register_first("before-send", _stub_response, unique_id="lapor-priming")
    _priming.on = True
    try:
        for operation, params in PRIMING.get(service, ()):
            getattr(found, xform_name(operation))(**params)
    finally:
        _priming.on = False


def _after_restore(hook: Any) -> None:
    """Run `hook` after a SnapStart restore: Lambda's Python runtime (3.12+) provides the registry; anywhere
    else there are no snapshots to restore from.
    """
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return
    register_after_restore(hook)


def close_connections() -> None:
    """Drop every pooled HTTP connection (after a SnapStart restore: sockets from before the snapshot lead
    nowhere); the clients themselves, their models and credentials stay, and reconnect on the next call.
    """
    with _lock:
        for found in _clients.values():
            found._endpoint.http_session.close()


def reset_clients() -> None:
    """Forget every client and the session (tests switch endpoints and credentials); the next session reuses the
    service models already read (parsing them again costs a tenth of a second a test and changes nothing)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None
