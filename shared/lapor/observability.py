"""Logging and metrics, with one rule: no personal data, ever.

Log lines carry what an operator needs to follow a request (operation, Tracking ID, status, kind,
category, agency, error type) and never report text, contact data, IP addresses, user agents, tokens,
access codes, or the Tracking ID of an anonymous report. Nothing here logs an incoming event or an
exception message (a validation message can quote its input): unexpected errors are logged by type and
stack frames only.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from lapor.config import runtime

SERVICE, NAMESPACE = runtime().service, runtime().metrics_namespace
T = TypeVar("T")


class _JsonLines(logging.Handler):
    """One JSON object per line on standard output (what CloudWatch Logs stores and Logs Insights reads), with
    the keys Powertools' Logger writes: level, location, message, timestamp, service, the invocation's
    context, then the line's own fields. Only the functions' own lines: those of other loggers under
    `lapor` (the local stack's `lapor.local`) are their configuration's business, never mixed into the
    standard output of a command such as `lapor dev-token`."""

    marks_lapor_lines = True  # what a reloaded module's Logger recognises (its class is a new object)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.addFilter(lambda record: record.name == name)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = {
                "level": record.levelname,
                "location": f"{record.funcName}:{record.lineno}",
                "message": record.getMessage(),
                "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "service": SERVICE,
                **getattr(record, "context", {}),
                **getattr(record, "fields", {}),
            }
            sys.stdout.write(json.dumps(line, default=str, ensure_ascii=False) + "\n")
        except Exception:  # a log line must never fail a request
            self.handleError(record)


class Logger:
    """Structured logging on the standard library (the `lapor` logger), in Powertools' format: Powertools'
    Logger would bring its metrics and tracer into every cold start for the few keys below (`make bench`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger = logging.getLogger(name)
        self._logger.setLevel(runtime().log_level)
        self._logger.propagate = False
        self.context: dict[str, Any] = {}
        for handler in [h for h in self._logger.handlers if getattr(h, "marks_lapor_lines", False)]:
            # A reloaded module (the local stack's and the tests' fresh INIT) replaces the handler, never adds one.
            self._logger.removeHandler(handler)
        self._logger.addHandler(_JsonLines(name))
        self._cold = True

    def _log(self, level: int, message: str, extra: dict[str, Any] | None) -> None:
        if self._logger.isEnabledFor(level):
            fields = {"fields": dict(extra or {}), "context": self.context}
            self._logger.log(level, message, extra=fields, stacklevel=3)

    def debug(self, message: str, extra: dict[str, Any] | None = None) -> None:
        self._log(logging.DEBUG, message, extra)

    def info(self, message: str, extra: dict[str, Any] | None = None) -> None:
        self._log(logging.INFO, message, extra)

    def warning(self, message: str, extra: dict[str, Any] | None = None) -> None:
        self._log(logging.WARNING, message, extra)

    def error(self, message: str, extra: dict[str, Any] | None = None) -> None:
        self._log(logging.ERROR, message, extra)

    def start(self, context: Any) -> None:
        """A new invocation: every line carries the function, the request id, whether it is the process's first
        invocation and the X-Ray trace id, and nothing of the last invocation."""
        self.context = {
            "cold_start": self._cold,
            "function_name": getattr(context, "function_name", None),
            "function_memory_size": getattr(context, "memory_limit_in_mb", None),
            "function_arn": getattr(context, "invoked_function_arn", None),
            "function_request_id": getattr(context, "aws_request_id", None),
        }
        trace = runtime().trace_id
        if trace:
            self.context["xray_trace_id"] = trace
        self._cold = False


logger = Logger(SERVICE)

# Metrics in CloudWatch's embedded metric format (EMF), as Powertools' Metrics writes them: the count of each
# name added during the invocation, one JSON line at its end, dimension `service`, namespace NAMESPACE.
_pending: dict[str, list[float]] = {}


def count(name: str, value: int = 1) -> None:
    """Add to a CloudWatch metric (EMF); flushed at the end of the invocation."""
    _pending.setdefault(name, []).append(value)


def handler(function: Callable[[Any, Any], T]) -> Callable[[Any, Any], T]:
    """Every Lambda handler's one decorator: its log lines carry the invocation (`Logger.start`), and the
    metrics it counted are written when it ends, however it ends."""

    @functools.wraps(function)
    def wrapped(event: Any, context: Any) -> T:
        logger.start(context)
        try:
            return function(event, context)
        finally:
            flush_metrics()

    return wrapped


def flush_metrics() -> None:
    """Write the invocation's metrics, if any were added."""
    if not _pending:
        return
    document = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in _pending],
                }
            ],
        },
        "service": SERVICE,
        **_pending,
    }
    _pending.clear()
    sys.stdout.write(json.dumps(document) + "\n")


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
