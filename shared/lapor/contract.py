"""The HTTP contract as code: every operation, the function that serves it, and its bodies.

Routers serve operations by their id (`Router.operation`), and a test checks that `template.yaml` routes
each operation to the function named here. The OpenAPI document is generated from this table (see
`lapor.openapi`); figures in descriptions are written `${name}` and filled in there from the constant
that enforces them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lapor.http import IDEMPOTENCY_KEY_BASE64URL, IDEMPOTENCY_KEY_UUID4, IDEMPOTENCY_KEY_UUID_SHAPE
from lapor.statuses import STATUSES


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
    # Bodies name models of `lapor.models` (the router validates a JSON request body with it: `lapor.http.Router`).
    response: str | tuple[str] | None = None  # a tuple means "a list of"
    content_type: str = "application/json"
    request: str | None = None  # a JSON body is validated with it before the handler runs (a form: lapor.open311)
    parameters: tuple[Parameter, ...] = ()
    errors: tuple[int, ...] = ()  # besides 429: API Gateway's throttle may answer any operation
    response_headers: dict[str, str] = field(default_factory=dict)
    agency_token: bool = False  # needs `Authorization: Bearer <JWT>` of an agency officer
    request_content_type: str = "application/json"
    # Open311 operations answer (errors too) in their own representation: "json", "xml", or both when the
    # format is the suffix of a path parameter. Empty: JSON bodies and problem+json errors.
    formats: tuple[str, ...] = ()


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
    {
        "type": "string",
        "anyOf": [
            {"pattern": IDEMPOTENCY_KEY_UUID4},
            {"pattern": IDEMPOTENCY_KEY_BASE64URL, "not": {"pattern": IDEMPOTENCY_KEY_UUID_SHAPE}},
        ],
        "examples": ["3b0e7c52-9a4f-4d1e-8c27-5f0a9e6b1d43"],
    },
    "Optional. It must carry at least 122 random bits: a random version-4 UUID, or 22 to 255 base64url "
    "characters from a secure random source (any other UUID version is refused); anything else is 400. "
    "A retry with the same key and the same body returns the first response again and creates nothing; "
    "the same key with a different body is refused with 422. Keys are remembered for ${idempotency_hours} hours. The "
    "server "
    "keys its record of a key with a secret of its own, so neither a guessed key nor a copy of its tables "
    "yields a receipt.",
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
        response="SubmissionReceipt",
        request="ReportSubmission",
        parameters=(IDEMPOTENCY_KEY,),
        errors=(400, 409, 413, 422),
        response_headers={"Location": "The report's public URL, /reports/{tracking_id}"},
    ),
    Operation(
        "getReport",
        "GET",
        "/reports/{tracking_id}",
        "TrackReportFunction",
        "Follow a report by its Tracking ID (public view)",
        "Status, deadline, escalation level and timeline. Title, description and location only when the report "
        "is not confidential. Never the reporter, never private messages. Latitude and longitude are rounded to "
        "${public_decimals} decimal places (about 110 m) for every report, anonymous or not: the public sees the "
        "area, the responsible agency the exact point. A rejected report shows its status, dates, timeline events "
        "and the rejection reason (the `rejected` entry's message, unless the agency made it private) only: no "
        "title, description, location or photos, and no earlier messages.",
        "citizen",
        response="PublicReportView",
        parameters=(TRACKING_ID,),
        errors=(404,),
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
        response=("AgencyOut",),
    ),
    Operation(
        "listCategories",
        "GET",
        "/categories",
        "TrackReportFunction",
        "Report categories",
        "Each with the agency that receives its reports by default.",
        "directory",
        response=("CategoryOut",),
    ),
)

ACCESS_CODE = Parameter(
    "X-Access-Code",
    "header",
    {"type": "string", "maxLength": 64},
    "The access code from the receipt. The right code always opens the report, whatever others tried. "
    "Missing or wrong: 403, and counted per report; past ${max_wrong_codes} wrong codes in a "
    "${wrong_code_minutes}-minute window every further "
    "wrong or missing code is 429 with Retry-After (the seconds until the window ends).",
)

FOLLOW_UP_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "getPrivateReport",
        "GET",
        "/reports/{tracking_id}/private",
        "ReporterAccessFunction",
        "The reporter's own view of a report",
        "The public view plus title, description and location even when confidential, the reporter block as "
        "submitted (absent when anonymous), private messages and the rating.",
        "citizen",
        response="ReporterReportView",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(403, 404),
    ),
    Operation(
        "postReporterMessage",
        "POST",
        "/reports/{tracking_id}/messages",
        "ReporterAccessFunction",
        "The reporter answers the agency or adds information",
        "After a response this reopens the report (in_progress) with a new deadline. Refused (409) once the "
        "report is closed or rejected. A reporter may send ${messages_per_day} messages a day (the deployment's time "
        "zone; "
        "LAPOR_REPORTER_MESSAGES_PER_DAY) and ${messages_per_report} per report (LAPOR_REPORTER_MESSAGES_PER_REPORT): "
        "past the "
        "day's cap 429 with Retry-After (the seconds until the next day), past the report's cap 429 without it. "
        "The agency can always act on the report. The agency is emailed about a reporter's message at most "
        "once an hour per report. Answers the reporter's updated view.",
        "citizen",
        success_status=201,
        response="ReporterReportView",
        request="ReporterMessage",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(400, 403, 404, 409, 413, 422),
    ),
    Operation(
        "postRating",
        "POST",
        "/reports/{tracking_id}/rating",
        "ReporterAccessFunction",
        "The reporter rates the response",
        "Allowed once per report, when it is responded or closed (409 otherwise).",
        "citizen",
        success_status=201,
        response="ReporterReportView",
        request="RatingRequest",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(400, 403, 404, 409, 413, 422),
    ),
    Operation(
        "postReporterAttachment",
        "POST",
        "/reports/{tracking_id}/attachments",
        "ReporterAccessFunction",
        "Ask for an upload slot for one photo",
        "Answers a presigned S3 POST for one object: POST its fields and then the file (`file`, last) to its url "
        "as multipart/form-data within ${slot_minutes} minutes; S3 refuses another content type or more than "
        "${photo_mb} MB. The bytes "
        "never pass through this API. The photo is then checked from its bytes (JPEG, PNG or WebP), stripped of "
        "all metadata (EXIF with GPS, camera make and serial, XMP, IPTC, ICC profiles, comments), scaled to at "
        "most ${photo_side} px on the long side and stored as JPEG; it appears in `photos` of the private view, as "
        "stored or refused with a reason. At most ${max_photos} photos per report from the reporter (uploads still "
        "pending "
        "count); 409 beyond, or once the report is closed or rejected.",
        "citizen",
        success_status=201,
        response="AttachmentSlot",
        request="AttachmentRequest",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(400, 403, 404, 409, 413, 422),
    ),
    Operation(
        "supportReport",
        "POST",
        "/reports/{tracking_id}/support",
        "SupportReportFunction",
        "Support a public report (Dukung)",
        "Adds one to support_count. Nothing about the supporter is stored, so the count is not deduplicated. "
        "Confidential reports cannot be supported (409).",
        "citizen",
        response="SupportCount",
        parameters=(TRACKING_ID,),
        errors=(404, 409),
    ),
)

TRANSPARENCY_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "getStats",
        "GET",
        "/stats",
        "TrackReportFunction",
        "Public figures per agency",
        "Kept as counters that move with the reports, never computed by scanning. received: reports that became "
        "the agency's responsibility (submitted, transferred or escalated to it); open: its reports not closed or "
        "rejected now; responded: reports it gave their first response to; closed, rejected: reports closed or "
        "rejected while it was responsible; overdue: its reports past their deadline now with nobody above to "
        "take them; escalated: reports escalated away from it because a deadline passed; "
        "median_first_response_working_days: from submission to first response (null before any).",
        "directory",
        response="Stats",
    ),
)

STATUS_FILTER = Parameter("status", "query", {"type": "string", "enum": list(STATUSES)}, "Only reports in this status")

AGENCY_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "listAgencyReports",
        "GET",
        "/agency/reports",
        "AgencyReportsFunction",
        "The agency inbox, newest first",
        "An officer sees the reports their agency is responsible for; a dispatcher also those of every agency "
        "below theirs. Items carry no reporter data and nothing that needs decrypting (a confidential report "
        "has no title here): open one report to see it all. Page with `cursor` from `next_cursor`.",
        "agency",
        response="InboxPage",
        parameters=(
            STATUS_FILTER,
            Parameter(
                "limit",
                "query",
                {"type": "string", "pattern": "^([1-9]|[1-9][0-9]|100)$"},
                "1 to ${max_page}, default ${page_size}",
            ),
            Parameter(
                "cursor",
                "query",
                # An inbox_sk (a timestamp and a Tracking ID): printable ASCII.
                {"type": "string", "maxLength": 200, "pattern": "^[\\x20-\\x7E]*$"},
                "next_cursor of the previous page (opaque, printable ASCII)",
            ),
        ),
        errors=(401, 403, 422),
        agency_token=True,
    ),
    Operation(
        "getAgencyReport",
        "GET",
        "/agency/reports/{tracking_id}",
        "AgencyReportsFunction",
        "One report, everything decrypted",
        "Content even when confidential, the reporter (absent when anonymous), every message, and `version` "
        "(also the ETag) for If-Match.",
        "agency",
        response="AgencyReportView",
        parameters=(TRACKING_ID,),
        errors=(401, 403, 404),
        response_headers={"ETag": "The report's version, for If-Match"},
        agency_token=True,
    ),
    Operation(
        "postAgencyAction",
        "POST",
        "/agency/reports/{tracking_id}/actions",
        "AgencyReportsFunction",
        "Act on a report: verify, transfer, start, respond, extend, reject, close",
        "Transitions: verify submitted->verified; transfer submitted|verified|in_progress->submitted (agency_id); "
        "start verified->in_progress; respond verified|in_progress->responded (message); extend "
        "verified|in_progress (due_at at most ${max_total_days} days after submission, message); reject "
        "submitted|verified->"
        "rejected (message); close responded->closed. Any other transition, or a stale If-Match, is 409.",
        "agency",
        response="AgencyReportView",
        request="AgencyAction",
        parameters=(
            TRACKING_ID,
            Parameter("If-Match", "header", {"type": "string", "pattern": '^(W/)?"?[0-9]{1,12}"?$'}, "Version"),
        ),
        errors=(400, 401, 403, 404, 409, 413, 422),
        response_headers={"ETag": "The report's new version"},
        agency_token=True,
    ),
    Operation(
        "postAgencyAttachment",
        "POST",
        "/agency/reports/{tracking_id}/attachments",
        "AgencyReportsFunction",
        "Ask for an upload slot for one photo of the agency",
        "The same presigned S3 POST as the reporter's, for a photo the agency attaches to its handling of an "
        "open report (at most ${max_photos} per report from the agency). Processed and stripped the same way; listed "
        "in "
        "`photos` with author agency.",
        "agency",
        success_status=201,
        response="AttachmentSlot",
        request="AttachmentRequest",
        parameters=(TRACKING_ID,),
        errors=(400, 401, 403, 404, 409, 413, 422),
        agency_token=True,
    ),
)

REPLY_ID = Parameter(
    "reply_id", "path", {"type": "string", "minLength": 1, "maxLength": 40}, "A saved reply's id", required=True
)

AGENCY_TOOL_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "exportAgencyReports",
        "GET",
        "/agency/reports.csv",
        "AgencyReportsFunction",
        "The inbox as CSV, for monthly reports",
        "Every report of the caller's scope that matches the filters, newest first (at most 5000 rows): Tracking "
        "ID, kind, category, status, dates, overdue, escalation level and agencies. Never content or reporter data.",
        "agency",
        content_type="text/csv",
        parameters=(
            STATUS_FILTER,
            Parameter("category", "query", {"type": "string", "maxLength": 64}, "Only this category (code)"),
            Parameter("agency", "query", {"type": "string", "maxLength": 64}, "Only this agency of the caller's scope"),
            Parameter("overdue", "query", {"type": "string", "enum": ["0", "1"]}, "1: only overdue open reports"),
        ),
        errors=(401, 403, 422),
        agency_token=True,
    ),
    Operation(
        "listSavedReplies",
        "GET",
        "/agency/replies",
        "AgencyReportsFunction",
        "The caller's agency's saved replies",
        "Reply templates that fill the response composer; each agency sees and edits its own only.",
        "agency",
        response="SavedReplies",
        errors=(401, 403),
        agency_token=True,
    ),
    Operation(
        "createSavedReply",
        "POST",
        "/agency/replies",
        "AgencyReportsFunction",
        "Save a reply for the caller's agency",
        "At most ${max_replies} per agency (409 beyond).",
        "agency",
        success_status=201,
        response="SavedReply",
        request="SavedReplyInput",
        errors=(400, 401, 403, 409, 413, 422),
        agency_token=True,
    ),
    Operation(
        "updateSavedReply",
        "PUT",
        "/agency/replies/{reply_id}",
        "AgencyReportsFunction",
        "Change one of the agency's saved replies",
        "Another agency's reply id, or an unknown one, is 404.",
        "agency",
        response="SavedReply",
        request="SavedReplyInput",
        parameters=(REPLY_ID,),
        errors=(400, 401, 403, 404, 413, 422),
        agency_token=True,
    ),
    Operation(
        "deleteSavedReply",
        "DELETE",
        "/agency/replies/{reply_id}",
        "AgencyReportsFunction",
        "Delete one of the agency's saved replies",
        "Another agency's reply id, or an unknown one, is 404.",
        "agency",
        success_status=204,
        parameters=(REPLY_ID,),
        errors=(401, 403, 404),
        agency_token=True,
    ),
)

# Pages are lenient on purpose: an unknown language shows Bahasa Indonesia, any asset version is served.
LANG = Parameter(
    "lang", "query", {"type": "string"}, "Language: id (default) or en; anything else shows Bahasa Indonesia"
)
ASSET_VERSION = Parameter("v", "query", {"type": "string"}, "Asset version, from the page (for caching)")


def _asset(
    operation_id: str, path: str, function: str, tag: str, summary: str, loaded_by: str = "the page does"
) -> Operation:
    """A script or style sheet of the pages, its type told by its suffix; versioned so it can be cached."""
    return Operation(
        operation_id,
        "GET",
        path,
        function,
        summary,
        f"Cached for a year when requested with the current version (v), as {loaded_by}.",
        tag,
        content_type={"js": "application/javascript", "css": "text/css"}[path.rpartition(".")[2]],
        parameters=(ASSET_VERSION,),
    )


PAGE_TRACKING_ID = Parameter(
    "tracking_id",
    "path",
    {"type": "string", "minLength": 1},
    "As typed or scanned; the page itself tells an unknown or malformed one",
    required=True,
)
AGENCY_ID = Parameter("agency_id", "path", {"type": "string", "minLength": 1, "maxLength": 64}, "An agency id", True)


def _qr_codes(subject: str, path: str, printed_on: str, opens: str, parameter: Parameter) -> tuple[Operation, ...]:
    """The QR code of `path` as SVG and as PNG (`subject` names the operations: getAgencyQrSvg, ...)."""
    return tuple(
        Operation(
            f"get{subject}Qr{fmt.capitalize()}",
            "GET",
            f"{path}/qr.{fmt}",
            "WebPagesFunction",
            f"QR code for {printed_on} ({fmt.upper()})",
            f"{opens} Immutable for a given URL.",
            "citizen",
            content_type=content_type,
            parameters=(parameter,),
            errors=(404,),
        )
        for fmt, content_type in (("svg", "image/svg+xml"), ("png", "image/png"))
    )


# The landing page, tracking page and QR codes (HTML, SVG, PNG).
WEB_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "landingPage",
        "GET",
        "/",
        "WebPagesFunction",
        "The landing page: the report form for people",
        "Mobile-first HTML in Bahasa Indonesia (English with lang=en) that posts to /reports and shows the receipt. "
        "Uses nothing outside this API: no CDN, fonts, trackers or cookies. Sent with an ETag (304 on a match) and "
        "a Content-Security-Policy that allows this origin only.",
        "citizen",
        content_type="text/html",
        parameters=(
            LANG,
            Parameter(
                "agency",
                "query",
                {"type": "string"},
                "An agency id from GET /agencies to preselect (what a poster's QR code opens); ignored when unknown",
            ),
            Parameter(
                "channel",
                "query",
                {"type": "string"},
                "qr when opened from a QR code: the report is then submitted with channel qr (anything else: web)",
            ),
        ),
    ),
    Operation(
        "trackingPage",
        "GET",
        "/track/{tracking_id}",
        "WebPagesFunction",
        "The tracking page for people",
        "HTML that shows a report's status, deadline and timeline in plain language (from GET /reports/{tracking_id}) "
        "and, with the access code typed in, the reporter's view, replies and rating. The same page is served for "
        "every Tracking ID; an unknown or malformed one is reported by the page itself.",
        "citizen",
        content_type="text/html",
        parameters=(
            PAGE_TRACKING_ID,
            LANG,
        ),
    ),
    _asset("getPageScript", "/assets/lapor.js", "WebPagesFunction", "citizen", "The pages' script", "the pages do"),
    _asset(
        "getPageStyle",
        "/assets/lapor.css",
        "WebPagesFunction",
        "citizen",
        "The pages' style sheet (screen and print)",
        "the pages do",
    ),
    Operation(
        "getPageStrings",
        "GET",
        "/assets/strings/{lang}",
        "WebPagesFunction",
        "The pages' texts in one language",
        "What the pages load to switch language in place, without losing what was typed. Unknown language: 404.",
        "citizen",
        parameters=(
            Parameter("lang", "path", {"type": "string", "minLength": 1, "maxLength": 8}, "id or en", required=True),
            ASSET_VERSION,
        ),
        errors=(404,),
    ),
    Operation(
        "statisticsPage",
        "GET",
        "/statistik",
        "WebPagesFunction",
        "The public figures as charts",
        "HTML that draws GET /stats per agency as bar charts (inline SVG made by the page itself), each with a "
        "table of the same figures. Bahasa Indonesia, English with lang=en.",
        "citizen",
        content_type="text/html",
        parameters=(LANG,),
    ),
    _asset(
        "getStatisticsScript", "/assets/statistik.js", "WebPagesFunction", "citizen", "The statistics page's script"
    ),
    *_qr_codes(
        "Agency",
        "/agencies/{agency_id}",
        "an agency's poster",
        "Opens <public base>/?agency=<agency_id>&channel=qr. Unknown agency: 404.",
        AGENCY_ID,
    ),
    *_qr_codes(
        "Report",
        "/reports/{tracking_id}",
        "a receipt",
        "Opens <public base>/track/<canonical Tracking ID>. The report is not looked up: a well-formed ID always "
        "gets its code, a malformed one 404 exactly like an unknown report.",
        TRACKING_ID,
    ),
)

# The agency console: static files only (the data comes from the agency operations above).
CONSOLE_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "consoleInbox",
        "GET",
        "/console",
        "ConsoleFunction",
        "The agency console: sign-in and the inbox",
        "HTML for officers (Bahasa Indonesia, English with lang=en). Signs in with the user pool's managed login "
        "(authorization code with PKCE; also its callback and sign-out URL) and uses the agency API with the ID "
        "token, kept in the tab's sessionStorage only.",
        "agency",
        content_type="text/html",
        parameters=(LANG,),
    ),
    Operation(
        "consoleReport",
        "GET",
        "/console/reports/{tracking_id}",
        "ConsoleFunction",
        "The agency console: one report and its actions",
        "The same page for every Tracking ID; what the officer may see is decided by the agency API.",
        "agency",
        content_type="text/html",
        parameters=(
            Parameter("tracking_id", "path", {"type": "string", "minLength": 1}, "A Tracking ID", required=True),
            LANG,
        ),
    ),
    _asset("getConsoleScript", "/console/assets/console.js", "ConsoleFunction", "agency", "The console's script"),
    _asset("getConsoleStyle", "/console/assets/console.css", "ConsoleFunction", "agency", "The console's style sheet"),
)

SERVICE_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "health",
        "GET",
        "/health",
        "TrackReportFunction",
        "Liveness",
        "Answers while the API and its functions are up.",
        "operations",
        response="Health",
    ),
    Operation(
        "getOpenApi",
        "GET",
        "/openapi.json",
        "ApiDocsFunction",
        "This OpenAPI document",
        "Generated from the code. Category codes and agency ids list the current directory.",
        "operations",
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
        errors=(404,),
    ),
)


JURISDICTION = Parameter(
    "jurisdiction_id",
    "query",
    {"type": "string"},
    "Optional; when given it must be this deployment's own (template parameter Open311JurisdictionId), else 404",
)
OPEN311_SERVICE_CODES = Parameter(
    "service_code",
    "query",
    {"type": "string", "pattern": "^[a-z0-9-]+(,[a-z0-9-]+)*$"},
    "Only these services (categories), comma-separated",
)
OPEN311_LIST_PARAMETERS = (
    Parameter(
        "service_request_id",
        "query",
        {"type": "string", "minLength": 1},
        "Comma-separated Tracking IDs, at most ${open311_ids}; overrides every other filter. Unknown, malformed and "
        "confidential ones are left out alike.",
    ),
    OPEN311_SERVICE_CODES,
    Parameter(
        "start_date",
        "query",
        {"type": "string", "format": "date-time"},
        "Submitted at or after (W3C date-time with an offset); with end_date at most ${open311_days} days apart",
    ),
    Parameter(
        "end_date",
        "query",
        {"type": "string", "format": "date-time"},
        "Submitted at or before; without either date, the last ${open311_days} days",
    ),
    Parameter(
        "status",
        "query",
        {"type": "string", "pattern": "^(open|closed)(,(open|closed))*$"},
        "open, closed or both, comma-separated",
    ),
    JURISDICTION,
)
OPEN311_LIST = (
    "Public (never confidential) reports, newest first, at most ${open311_listed}, read from a sparse index of public "
    "reports (never a scan). No reporter data: there is none to show. lat and long are rounded to "
    "${public_decimals} decimal places (about 110 m), as on every public endpoint. A rejected report is listed "
    "(status closed) with its dates and status_notes only: description, address, lat, long and media_url are "
    "null; its reason is in the public view, GET /reports/{tracking_id}. A query that no schema can rule out is "
    "refused with 400: start_date and end_date more than ${open311_days} days apart, end_date before start_date, an "
    "unknown "
    "service_code."
)
OPEN311_FILE = (
    "Form-encoded, as the spec says, with a partner's api_key (issued by an operator with `lapor open311-key "
    "create`; missing, unknown or revoked: 403; each use counted). The very same submission as POST /reports: "
    "same rules, routing, deadlines, notification and Idempotency-Key. The title is the description's first "
    "words unless attribute[title] is given; email, first_name, last_name and phone make the reporter, none of "
    "them an anonymous report; attribute[confidential]=true keeps it off every public endpoint. A field that is "
    "not valid is 400, one entry per problem. The answer holds the Tracking ID as service_request_id and, "
    "as extras, the one-time access_code and the tracking_url."
)


def _open311(fmt: str) -> tuple[Operation, ...]:
    """The Open311 GeoReport v2 routes whose format is part of their literal path (`fmt`: json or xml)."""
    upper = fmt.upper()
    return (
        Operation(
            f"open311Discovery{upper}",
            "GET",
            f"/open311/v2/discovery.{fmt}",
            "Open311Function",
            f"Open311 service discovery ({upper})",
            "This endpoint, its specification and formats.",
            "open311",
            response="Open311Discovery",
            parameters=(JURISDICTION,),
            errors=(404,),
            formats=(fmt,),
        ),
        Operation(
            f"open311Services{upper}",
            "GET",
            f"/open311/v2/services.{fmt}",
            "Open311Function",
            f"Open311 services: one per category ({upper})",
            "service_code is the category code, group the agency that receives its reports by default, type "
            "realtime, metadata true (see services/{service_code}).",
            "open311",
            response=("Open311Service",),
            parameters=(JURISDICTION,),
            errors=(404,),
            formats=(fmt,),
        ),
        Operation(
            f"open311Requests{upper}",
            "GET",
            f"/open311/v2/requests.{fmt}",
            "Open311Function",
            f"Open311 service requests: public reports ({upper})",
            OPEN311_LIST,
            "open311",
            response=("Open311ServiceRequest",),
            parameters=OPEN311_LIST_PARAMETERS,
            errors=(400, 404),
            formats=(fmt,),
        ),
        Operation(
            f"open311FileRequest{upper}",
            "POST",
            f"/open311/v2/requests.{fmt}",
            "Open311SubmitFunction",
            f"File an Open311 service request: a report ({upper})",
            OPEN311_FILE,
            "open311",
            success_status=201,
            response=("Open311Filed",),
            request="Open311RequestForm",
            request_content_type="application/x-www-form-urlencoded",
            parameters=(IDEMPOTENCY_KEY,),
            errors=(400, 403, 404, 409),
            response_headers={"Location": "The request's Open311 URL, requests/{service_request_id}"},
            formats=(fmt,),
        ),
    )


OPEN311_OPERATIONS: tuple[Operation, ...] = (
    *_open311("json"),
    *_open311("xml"),
    Operation(
        "open311ServiceDefinition",
        "GET",
        "/open311/v2/services/{service_file}",
        "Open311Function",
        "Open311 service definition: the attributes of a request",
        "service_file is `<service_code>.json` or `<service_code>.xml` (another suffix: 404). Attributes: kind "
        "(complaint, aspiration, information_request), title, anonymous and confidential.",
        "open311",
        response="Open311ServiceDefinition",
        parameters=(
            Parameter(
                "service_file",
                "path",
                {"type": "string", "pattern": "^.+\\.(json|xml)$", "examples": ["jalan-jembatan.json"]},
                "<service_code>.json or <service_code>.xml",
                required=True,
            ),
            JURISDICTION,
        ),
        errors=(404,),
        formats=("json", "xml"),
    ),
    Operation(
        "open311Request",
        "GET",
        "/open311/v2/requests/{request_file}",
        "Open311Function",
        "One Open311 service request (an array of one)",
        "request_file is `<Tracking ID>.json` or `.xml`. Unknown, malformed and confidential reports answer 404 "
        "alike: a confidential report cannot be told from a missing one here. As in the listing, lat and long are "
        "rounded to ${public_decimals} decimal places and a rejected report carries no description or location.",
        "open311",
        response=("Open311ServiceRequest",),
        parameters=(
            Parameter(
                "request_file",
                "path",
                {"type": "string", "pattern": "^.+\\.(json|xml)$", "examples": ["LPR-7KQ2-M9XD-3FHW.json"]},
                "<Tracking ID>.json or <Tracking ID>.xml",
                required=True,
            ),
            JURISDICTION,
        ),
        errors=(404,),
        formats=("json", "xml"),
    ),
)


OPERATIONS: tuple[Operation, ...] = (
    *CITIZEN_OPERATIONS,
    *FOLLOW_UP_OPERATIONS,
    *DIRECTORY_OPERATIONS,
    *TRANSPARENCY_OPERATIONS,
    *AGENCY_OPERATIONS,
    *AGENCY_TOOL_OPERATIONS,
    *WEB_OPERATIONS,
    *CONSOLE_OPERATIONS,
    *SERVICE_OPERATIONS,
    *OPEN311_OPERATIONS,
)


BY_ID = {op.operation_id: op for op in OPERATIONS}
