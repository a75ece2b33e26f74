"""Domain errors. They say what went wrong in the domain; `lapor.http` alone turns them into HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class LaporError(Exception):
    """Base of every error the domain raises on purpose."""


class ConfigurationError(LaporError):
    """The deployment is misconfigured (a programming or operations error, never the client's)."""


class ReportNotFound(LaporError):
    """No report with this Tracking ID, or the Tracking ID is malformed: callers cannot tell which."""


class NotFound(LaporError):
    """Some other resource (an agency, a document) does not exist."""


class BadRequestBody(LaporError):
    """The body is not JSON at all."""


class PayloadTooLarge(LaporError):
    """The body is over the contract's size limit."""


class IdempotencyKeyReused(LaporError):
    """The Idempotency-Key was used before with a different body."""


class RequestInProgress(LaporError):
    """A request with the same Idempotency-Key is still being handled; retry shortly."""


class Conflict(LaporError):
    """A state transition that is not allowed now, or a stale version."""


class Unauthorized(LaporError):
    """No or invalid credentials."""


class Forbidden(LaporError):
    """Valid credentials, but not for this report."""


class RateLimited(LaporError):
    """Too many attempts; `retry_after` seconds to wait (None: waiting will not help)."""

    def __init__(self, message: str, retry_after: int | None = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field: where it is (`loc`) and what is wrong (`msg`)."""

    loc: tuple[str | int, ...]
    msg: str


class InvalidHeader(LaporError):
    """A request header has a value the contract does not allow (400, located under ``header``)."""

    def __init__(self, problem: FieldProblem, title: str) -> None:
        super().__init__(title)
        self.title = title
        self.problem = problem


class ValidationFailed(LaporError):
    """The request is well-formed JSON, but fields or their combination are not acceptable."""

    def __init__(self, problems: Sequence[FieldProblem], title: str = "Request is not valid") -> None:
        super().__init__(title)
        self.title = title
        self.problems = list(problems)
