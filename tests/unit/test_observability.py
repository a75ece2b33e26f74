"""lapor's log lines and metrics: JSON lines on standard output, as CloudWatch Logs and Logs Insights read them,
with the keys Powertools' Logger and Metrics write (operators' queries and the template's alarms rely on them)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from types import SimpleNamespace
from typing import Any

import pytest
from lapor.observability import count, flush_metrics, handler, logger

CONTEXT = SimpleNamespace(
    function_name="lapor-submit",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:ap-southeast-3:123456789012:function:lapor-submit:live",
    aws_request_id="req-1",
)


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_a_line_carries_its_fields_and_the_invocation_and_nothing_of_the_last(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    monkeypatch.setattr(logger, "_cold", True)  # a fresh process

    @handler
    def serve(event: dict[str, Any], context: object) -> str:
        logger.info("request handled", extra={"operation": event["op"], "status": 201})
        return "done"

    out = io.StringIO()
    with redirect_stdout(out):
        assert serve({"op": "submitReport"}, CONTEXT) == "done"
        monkeypatch.delenv("_X_AMZN_TRACE_ID")
        serve({"op": "getReport"}, SimpleNamespace(**{**vars(CONTEXT), "aws_request_id": "req-2"}))
    first, second = lines(out.getvalue())
    assert first["level"] == "INFO" and first["message"] == "request handled" and first["service"] == "lapor"
    assert first["location"].startswith("serve:")
    assert (first["operation"], first["status"], first["function_request_id"]) == ("submitReport", 201, "req-1")
    assert first["xray_trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert first["function_name"] == "lapor-submit" and first["function_memory_size"] == 512
    assert (second["operation"], second["function_request_id"]) == ("getReport", "req-2")
    assert "xray_trace_id" not in second  # cleared with the rest of the last invocation's context
    assert (first["cold_start"], second["cold_start"]) == (True, False)
    assert first["timestamp"].endswith("+00:00")


def test_lines_below_the_level_are_not_written() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        logger.debug("not at INFO", extra={"x": 1})
        logger.warning("written", extra={"x": 2})
    assert [line["message"] for line in lines(out.getvalue())] == ["written"]
    assert lines(out.getvalue())[0]["level"] == "WARNING"


def test_metrics_are_one_emf_line_at_the_end_of_the_invocation() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        flush_metrics()  # nothing added: nothing written
        count("ReportSubmitted")
        count("ReportSubmitted")
        count("EventsRelayed", 3)
        assert out.getvalue() == ""
        flush_metrics()
        flush_metrics()  # written once
    [emf] = lines(out.getvalue())
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Lapor" and directive["Dimensions"] == [["service"]]
    assert directive["Metrics"] == [
        {"Name": "ReportSubmitted", "Unit": "Count"},
        {"Name": "EventsRelayed", "Unit": "Count"},
    ]
    assert (emf["service"], emf["ReportSubmitted"], emf["EventsRelayed"]) == ("lapor", [1, 1], [3])
    assert isinstance(emf["_aws"]["Timestamp"], int)


def test_a_handlers_metrics_are_written_however_it_ends() -> None:
    # Given a handler that counts, then fails
    @handler
    def serve(event: dict[str, Any], context: object) -> str:
        count("ReportSubmitted")
        raise RuntimeError("the store is down")

    # When it is invoked, Then it still fails, and its metrics are written
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(RuntimeError):
        serve({}, CONTEXT)
    [emf] = lines(out.getvalue())
    assert emf["ReportSubmitted"] == [1]


def test_other_loggers_under_lapor_are_not_written_as_the_functions_lines() -> None:
    """The local stack's `lapor.local` must not reach the standard output of `lapor dev-token` and the like."""
    import logging

    out = io.StringIO()
    with redirect_stdout(out):
        logging.getLogger("lapor.local").warning("local stack ready")
    assert out.getvalue() == ""


def test_a_fresh_init_replaces_the_handler_and_never_doubles_a_line() -> None:
    """The local stack and the tests load a function afresh (a new INIT), which runs this module again."""
    import importlib

    import lapor.observability as observability

    for _ in range(3):
        observability = importlib.reload(observability)
    out = io.StringIO()
    with redirect_stdout(out):
        observability.logger.info("once")
    assert [line["message"] for line in lines(out.getvalue())] == ["once"]
