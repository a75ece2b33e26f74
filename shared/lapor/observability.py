"""Logging and metrics (Powertools), with one rule: no personal data, ever.

Log lines carry what an operator needs to follow a request (operation, Tracking ID, status, kind,
category, agency, error type) and never report text, contact data, IP addresses, user agents, tokens,
access codes, or the Tracking ID of an anonymous report. Nothing here logs an incoming event or an
exception message (a validation message can quote its input): unexpected errors are logged by type and
stack frames only.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

from aws_lambda_powertools.logging import Logger

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "lapor"))

_metrics: Any = None
_pending = False


def _get_metrics() -> Any:
    global _metrics
    if _metrics is None:
        # Imported on first use: the public lookup never emits metrics and should not pay for them.
        from aws_lambda_powertools.metrics import Metrics

        _metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Lapor"))
    return _metrics


def count(name: str, value: int = 1) -> None:
    """Add to a CloudWatch metric (EMF); flushed at the end of the invocation."""
    global _pending
    from aws_lambda_powertools.metrics import MetricUnit

    _get_metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)
    _pending = True


def flush_metrics() -> None:
    """Write the invocation's metrics, if any were added."""
    global _pending
    if _pending:
        _get_metrics().flush_metrics()
        _pending = False


def log_fields(report: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Fields of a log line about one report: its Tracking ID only when the report is not anonymous
    (a log line tied to an anonymous report by its public Tracking ID could tell who sent it)."""
    if not report.get("anonymous"):
        fields["tracking_id"] = report["tracking_id"]
    return fields


def log_unexpected(operation: str, exc: BaseException) -> None:
    """Log an unexpected error by type and frames only: its message may quote personal data."""
    frames = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in traceback.extract_tb(exc.__traceback__)]
    logger.error("unexpected error", extra={"operation": operation, "error_type": type(exc).__name__, "frames": frames})
