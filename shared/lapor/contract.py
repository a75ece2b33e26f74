"""The HTTP contract as code: every operation, the function that serves it, and its bodies.

The OpenAPI document is generated from this table (see `lapor.openapi`), and tests check that it
matches `template.yaml` (every route declared once, by the function named here) and each function's
router (it serves exactly these routes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from lapor import models


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query or header
    schema: dict[str, Any]
    description: str
    required: bool = False


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    function: str  # logical id of the function in template.yaml
    summary: str
    description: str
    tag: str
    success_status: int = 200
    response: type[BaseModel] | tuple[type[BaseModel]] | None = None  # a tuple means "a list of"
    content_type: str = "application/json"
    request: type[BaseModel] | None = None
    parameters: tuple[Parameter, ...] = ()
    errors: tuple[int, ...] = ()
    response_headers: dict[str, str] = field(default_factory=dict)


TRACKING_ID = Parameter(
    "tracking_id",
    "path",
    {"type": "string", "minLength": 1, "maxLength": 40, "examples": ["LPR-7KQ2-M9XD-3FHW"]},
    "Tracking ID as printed on the receipt; lower case and missing dashes are accepted. A malformed ID "
    "answers 404 exactly like an unknown one.",
    required=True,
)
IDEMPOTENCY_KEY = Parameter(
    "Idempotency-Key",
    "header",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"},
    "Optional, 1-255 printable ASCII characters (a UUID is a good choice). A retry with the same key and "
    "the same body returns the first response again and creates nothing; the same key with a different "
    "body is refused with 422. Keys are remembered for 24 hours.",
)

CITIZEN_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "submitReport",
        "POST",
        "/reports",
        "SubmitReportFunction",
        "Submit a complaint, aspiration or information request",
        "Stores the report (confidential content and reporter contact encrypted) and notifies the responsible "
        "agency. The response holds the access code, shown this once only.",
        "citizen",
        success_status=201,
        response=models.SubmissionReceipt,
        request=models.ReportSubmission,
        parameters=(IDEMPOTENCY_KEY,),
        errors=(400, 409, 413, 422, 429),
        response_headers={"Location": "The report's public URL, /reports/{tracking_id}"},
    ),
    Operation(
        "getReport",
        "GET",
        "/reports/{tracking_id}",
        "TrackReportFunction",
        "Follow a report by its Tracking ID (public view)",
        "Status, deadline, escalation level and timeline. Title, description and location only when the report "
        "is not confidential. Never the reporter, never private messages.",
        "citizen",
        response=models.PublicReportView,
        parameters=(TRACKING_ID,),
        errors=(404, 429),
    ),
)

DIRECTORY_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "listAgencies",
        "GET",
        "/agencies",
        "TrackReportFunction",
        "The agencies of this deployment's directory",
        "Each with its parent (the escalation path) and level.",
        "directory",
        response=(models.AgencyOut,),
        errors=(429,),
    ),
    Operation(
        "listCategories",
        "GET",
        "/categories",
        "TrackReportFunction",
        "Report categories",
        "Each with the agency that receives its reports by default.",
        "directory",
        response=(models.CategoryOut,),
        errors=(429,),
    ),
)

AGENCY_OPERATIONS: tuple[Operation, ...] = ()

# The landing page, tracking page and QR codes (HTML, SVG, PNG).
WEB_OPERATIONS: tuple[Operation, ...] = ()

SERVICE_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "health",
        "GET",
        "/health",
        "TrackReportFunction",
        "Liveness",
        "Answers while the API and its functions are up.",
        "operations",
        response=models.Health,
        errors=(429,),
    ),
    Operation(
        "getOpenApi",
        "GET",
        "/openapi.json",
        "ApiDocsFunction",
        "This OpenAPI document",
        "Generated from the code. Category codes and agency ids list the current directory.",
        "operations",
        errors=(429,),
    ),
    Operation(
        "getDocs",
        "GET",
        "/docs",
        "ApiDocsFunction",
        "Interactive API documentation (Swagger UI)",
        "Served entirely by this API: it works without internet access.",
        "operations",
        content_type="text/html",
        errors=(429,),
    ),
    Operation(
        "getDocsAsset",
        "GET",
        "/docs/{asset}",
        "ApiDocsFunction",
        "A script or style sheet of the API documentation",
        "The Swagger UI bundle, served from the deployment itself.",
        "operations",
        content_type="application/javascript",
        parameters=(Parameter("asset", "path", {"type": "string", "minLength": 1}, "File name", required=True),),
        errors=(404, 429),
    ),
)


OPERATIONS: tuple[Operation, ...] = (
    *CITIZEN_OPERATIONS,
    *DIRECTORY_OPERATIONS,
    *AGENCY_OPERATIONS,
    *WEB_OPERATIONS,
    *SERVICE_OPERATIONS,
)


def operation(operation_id: str) -> Operation:
    """The operation with this id."""
    for op in OPERATIONS:
        if op.operation_id == operation_id:
            return op
    raise KeyError(operation_id)
