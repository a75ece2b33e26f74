"""The HTTP contract as code: every operation, the function that serves it, and its bodies.

Routers serve operations by their id (`Router.operation`), and a test checks that `template.yaml` routes
each operation to the function named here. The OpenAPI document is generated from this table (see
`lapor.openapi`); figures in descriptions are written `${name}` and filled in there from the constant
that enforces them. Prose is wrapped freely here: `prose` makes each text one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lapor.statuses import STATUSES

# An Idempotency-Key must be unguessable (at least 122 random bits): a version-4 UUID, or base64url characters
# (22 to 255) that are not shaped like another kind of UUID (time-based or nil ones are guessable).
IDEMPOTENCY_KEY_CHARACTERS = (22, 255)
IDEMPOTENCY_KEY_UUID4 = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$"
IDEMPOTENCY_KEY_BASE64URL = "^[A-Za-z0-9_-]{%d,%d}$" % IDEMPOTENCY_KEY_CHARACTERS  # noqa: UP031  (regex braces)
IDEMPOTENCY_KEY_UUID_SHAPE = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
# A key that matches a pattern may still be made by hand: one whose random part is a single symbol repeated
# ("aaaaaaaaaaaaaaaaaaaaaa", the nil UUID's digits around a version 4) is refused too. The description says so
# in words: as a schema `not`, it made schemathesis' coverage phase offer keys such as "0" as valid.
IDEMPOTENCY_KEY_ONE_SYMBOL = r"^(.)\1*$"
IDEMPOTENCY_KEY_UUID_ONE_SYMBOL = r"^([0-9A-Fa-f])\1{7}-\1{4}-4\1{3}-[89ABab]\1{3}-\1{12}$"


def prose(text: str) -> str:
    """Text as the document shows it: one line, however this file wraps it."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query or header
    schema: dict[str, Any]
    description: str
    required: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", prose(self.description))


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
    # `response` names a shape of `lapor.shapes`; `request` a model of `lapor.models`, with which the router
    # validates a JSON body before the handler runs (`lapor.http.Router`; a form: `lapor.open311`).
    response: str | tuple[str] | None = None  # a tuple means "a list of"
    content_type: str = "application/json"
    request: str | None = None
    parameters: tuple[Parameter, ...] = ()
    errors: tuple[int, ...] = ()  # besides 429: API Gateway's throttle may answer any operation
    response_headers: dict[str, str] = field(default_factory=dict)
    agency_token: bool = False  # needs `Authorization: Bearer <JWT>` of an agency officer
    request_content_type: str = "application/json"
    # Open311 operations answer (errors too) in their own representation: "json", "xml", or both when the
    # format is the suffix of a path parameter. Empty: JSON bodies and problem+json errors.
    formats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", prose(self.summary))
        object.__setattr__(self, "description", prose(self.description))


TRACKING_ID = Parameter(
    "tracking_id",
    "path",
    {"type": "string", "minLength": 1, "maxLength": 40, "examples": ["LPR-7KQ2-M9XD-3FHW"]},
    """Tracking ID as printed on the receipt; lower case and missing dashes are accepted. A malformed ID answers 404
        exactly like an unknown one.""",
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
    """Optional. It must carry at least 122 random bits: a random version-4 UUID, or ${key_length} base64url
        characters from a secure random source (any other UUID version is refused). A key must be random: one whose
        random part is a single symbol repeated (such as the nil UUID's digits) is refused, a rule this schema leaves
        out (its patterns would need back-references). Anything else is 400. A retry with the same key and the same
        body returns the first response again and creates nothing; the same key with a different body is refused
        with 422. Keys are remembered for ${idempotency_hours} hours. The server keys its record of a key with a
        secret of its own, so neither a guessed key nor a copy of its tables yields a receipt.""",
)

# Decimal degrees as query parameters, their ranges in the patterns (the operations check the same patterns).
LATITUDE_PATTERN = r"^-?(90(\.0{1,12})?|[1-8]?[0-9](\.[0-9]{1,12})?)$"
LONGITUDE_PATTERN = r"^-?(180(\.0{1,12})?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]{1,12})?)$"
LATITUDE_SCHEMA = {"type": "string", "pattern": LATITUDE_PATTERN, "examples": ["-0.9553"]}
LONGITUDE_SCHEMA = {"type": "string", "pattern": LONGITUDE_PATTERN, "examples": ["114.8956"]}

CITIZEN_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        operation_id="submitReport",
        method="POST",
        path="/reports",
        function="SubmitReportFunction",
        summary="Submit a complaint, aspiration or information request",
        description="""Stores the report (confidential content and reporter contact encrypted) and notifies the
            responsible agency. The response holds the access code, shown this once only.""",
        tag="citizen",
        success_status=201,
        response="SubmissionReceipt",
        request="ReportSubmission",
        parameters=(IDEMPOTENCY_KEY,),
        errors=(400, 409, 413, 422),
        response_headers={"Location": "The report's public URL, /reports/{tracking_id}"},
    ),
    Operation(
        operation_id="getReport",
        method="GET",
        path="/reports/{tracking_id}",
        function="TrackReportFunction",
        summary="Follow a report by its Tracking ID (public view)",
        description="""Status, deadline, escalation level and timeline. Title, description and location only when the
            report is not confidential. Never the reporter, never private messages. Latitude and longitude are rounded
            to ${public_decimals} decimal places (about 110 m) for every report, anonymous or not: the public sees the
            area, the responsible agency the exact point. A rejected report shows its status, dates, timeline events and
            the rejection reason (the `rejected` entry's message, unless the agency made it private) only: no title,
            description, location or photos, and no earlier messages. Once the deployment's retention period after
            closing is over, the timeline says `personal_data_erased`: the contact, private messages, a confidential
            report's text and photos are gone for good; the status, dates, agency, timeline and public text stay.""",
        tag="citizen",
        response="PublicReportView",
        parameters=(TRACKING_ID,),
        errors=(404,),
    ),
    Operation(
        operation_id="findNearbyReports",
        method="GET",
        path="/reports/nearby",
        function="TrackReportFunction",
        summary="Sudah dilaporkan? Open reports of a category near a point",
        description="""Before filing: at most ${nearby_max} open, public reports of the category within
            ${nearby_radius} m of the point, submitted in the last ${nearby_days} days, nearest first, so that a citizen
            can support one (POST /reports/{tracking_id}/support) instead of filing the same problem again.
            Confidential, closed and rejected reports are never listed. Distances are measured from each report's
            public point (rounded to ${public_decimals} decimal places, as its location is shown) and rounded to
            ${nearby_round} m: an exact distance from a few points would give the exact point away. Read from a sparse
            index of open public reports keyed by their public points, never a scan: at most 9 cells of 3 x 3 points
            (about 330 m) around the point, nearest first, a crowded cell point by point, until nothing left can be
            nearer than the last listed. A missing or out-of-range coordinate, or a category that GET /categories does
            not list, is 422. Within about 2 degrees of a pole nothing is listed (a circle there spans too many cells).
            Under the lookup throttle, like GET /reports/{tracking_id}.""",
        tag="citizen",
        response=("NearbyReport",),
        parameters=(
            Parameter("lat", "query", LATITUDE_SCHEMA, "Latitude, decimal degrees (-90 to 90)", required=True),
            Parameter("lon", "query", LONGITUDE_SCHEMA, "Longitude, decimal degrees (-180 to 180)", required=True),
            Parameter(
                "category", "query", {"type": "string", "maxLength": 64}, "A category code of GET /categories", True
            ),
        ),
        errors=(422,),
    ),
)

directory_operation = partial(Operation, function="TrackReportFunction", tag="directory")
DIRECTORY_OPERATIONS: tuple[Operation, ...] = (
    directory_operation(
        operation_id="listAgencies",
        method="GET",
        path="/agencies",
        summary="The agencies of this deployment's directory",
        description="Each with its parent (the escalation path) and level.",
        response=("AgencyOut",),
    ),
    directory_operation(
        operation_id="listCategories",
        method="GET",
        path="/categories",
        summary="Report categories",
        description="Each with the agency that receives its reports by default.",
        response=("CategoryOut",),
    ),
)

ACCESS_CODE = Parameter(
    "X-Access-Code",
    "header",
    {"type": "string", "maxLength": 64},
    """The access code from the receipt. The right code always opens the report, whatever others tried. Missing or
        wrong: 403, and counted per report; past ${max_wrong_codes} wrong codes in a ${wrong_code_minutes}-minute window
        every further wrong or missing code is 429 with Retry-After (the seconds until the window ends).""",
)

FOLLOW_UP_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        operation_id="getPrivateReport",
        method="GET",
        path="/reports/{tracking_id}/private",
        function="ReporterAccessFunction",
        summary="The reporter's own view of a report",
        description="""The public view plus title, description and location even when confidential, the reporter block
            as submitted (absent when anonymous), private messages and the rating.""",
        tag="citizen",
        response="ReporterReportView",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(403, 404),
    ),
    Operation(
        operation_id="postReporterMessage",
        method="POST",
        path="/reports/{tracking_id}/messages",
        function="ReporterAccessFunction",
        summary="The reporter answers the agency or adds information",
        description="""After a response this reopens the report (${reopened}) with a new deadline. Refused (409) once
            the report is closed or rejected. A reporter may send ${messages_per_day} messages a day (the deployment's
            time zone; LAPOR_REPORTER_MESSAGES_PER_DAY) and ${messages_per_report} per report
            (LAPOR_REPORTER_MESSAGES_PER_REPORT): past the day's cap 429 with Retry-After (the seconds until the next
            day), past the report's cap 429 without it. The agency can always act on the report. The agency is emailed
            about a reporter's message at most once every ${reply_notice_minutes} minutes per report. Answers the
            reporter's updated view.""",
        tag="citizen",
        success_status=201,
        response="ReporterReportView",
        request="ReporterMessage",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(400, 403, 404, 409, 413, 422),
    ),
    Operation(
        operation_id="postRating",
        method="POST",
        path="/reports/{tracking_id}/rating",
        function="ReporterAccessFunction",
        summary="The reporter rates the response",
        description="Allowed once per report, when it is responded or closed (409 otherwise).",
        tag="citizen",
        success_status=201,
        response="ReporterReportView",
        request="RatingRequest",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(400, 403, 404, 409, 413, 422),
    ),
    Operation(
        operation_id="postReporterAttachment",
        method="POST",
        path="/reports/{tracking_id}/attachments",
        function="ReporterAccessFunction",
        summary="Ask for an upload slot for one photo",
        description="""Answers a presigned S3 POST for one object: POST its fields and then the file (`file`, last) to
            its url as multipart/form-data within ${slot_minutes} minutes; S3 refuses another content type or more than
            ${photo_mb} MB. The bytes never pass through this API. The photo is then checked from its bytes (JPEG, PNG
            or WebP), stripped of all metadata (EXIF with GPS, camera make and serial, XMP, IPTC, ICC profiles,
            comments), scaled to at most ${photo_side} px on the long side and stored as JPEG; it appears in `photos` of
            the private view, as stored or refused with a reason. At most ${max_photos} photos per report from the
            reporter (uploads still pending count); 409 beyond, or once the report is closed or rejected.""",
        tag="citizen",
        success_status=201,
        response="AttachmentSlot",
        request="AttachmentRequest",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(400, 403, 404, 409, 413, 422),
    ),
    Operation(
        operation_id="exportPersonalData",
        method="GET",
        path="/reports/{tracking_id}/private/export",
        function="ReporterAccessFunction",
        summary="Everything stored about the report and its reporter (UU PDP: the right to a copy)",
        description="""Answered at once. `report` is the reporter's view (contact, messages, photos as short-lived
            links, timeline); `erased` says what personal data is gone for good and when; `stored` is every item the
            table holds for the report, item by item, each attribute as stored and what is sealed (encrypted) opened
            in its place, but the access code's hash and wrong-code counter (credentials, not data about the
            reporter). The internal audit trail (which officer opened the report) names officers and is not part of
            it. Each export is recorded on the timeline as `data_exported` (seen by the reporter and the agency
            only). Exports and corrections together: ${data_requests_per_day} a day per report (UTC), then 429 with
            Retry-After (the seconds until the next day).""",
        tag="citizen",
        response="PersonalDataExport",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(403, 404),
    ),
    Operation(
        operation_id="correctContact",
        method="PATCH",
        path="/reports/{tracking_id}/private/contact",
        function="ReporterAccessFunction",
        summary="Correct the reporter's contact data (UU PDP: the right to correct)",
        description="""The body is the contact as a whole, under the same rules as `reporter` at submission; it
            replaces the one stored, sealed as before. Recorded on the timeline as `contact_corrected` (reporter and
            agency only); sending the contact already stored changes and records nothing. 409 when the report holds
            no contact (sent anonymously, or erased). A correction counts towards the ${data_requests_per_day} exports
            and corrections a day (429 past them). Answers the reporter's view.""",
        tag="citizen",
        response="ReporterReportView",
        request="Reporter",
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(400, 403, 404, 409, 413, 422),
    ),
    Operation(
        operation_id="eraseContact",
        method="DELETE",
        path="/reports/{tracking_id}/private/contact",
        function="ReporterAccessFunction",
        summary="Erase the reporter's contact data now (UU PDP: the right to erasure)",
        description="""The contact leaves the report at once and the report goes on as anonymous (`anonymous` true):
            the agency can no longer reach the reporter, and its timeline says `contact_erased`. Title, description,
            location and messages stay. Idempotent: a report without contact (sent anonymously, or erased before)
            answers 204 too, and nothing more is recorded.""",
        tag="citizen",
        success_status=204,
        parameters=(TRACKING_ID, ACCESS_CODE),
        errors=(403, 404, 409),
    ),
    Operation(
        operation_id="supportReport",
        method="POST",
        path="/reports/{tracking_id}/support",
        function="SupportReportFunction",
        summary="Support a public report (Dukung)",
        description="""Adds one to support_count. Nothing about the supporter is stored, so the count is not
            deduplicated. Confidential reports cannot be supported (409).""",
        tag="citizen",
        response="SupportCount",
        parameters=(TRACKING_ID,),
        errors=(404, 409),
    ),
)

TRANSPARENCY_OPERATIONS: tuple[Operation, ...] = (
    directory_operation(
        operation_id="getStats",
        method="GET",
        path="/stats",
        summary="Public figures per agency",
        description="""Kept as counters that move with the reports, never computed by scanning. received: reports that
            became the agency's responsibility (submitted, transferred or escalated to it); open: its reports not closed
            or rejected now; responded: reports it gave their first response to; closed, rejected: reports closed or
            rejected while it was responsible; overdue: its reports past their deadline now with nobody above to take
            them; escalated: reports escalated away from it because a deadline passed;
            median_first_response_working_days: from submission to first response (null before any).""",
        response="Stats",
    ),
)

STATUS_FILTER = Parameter("status", "query", {"type": "string", "enum": list(STATUSES)}, "Only reports in this status")

# Every agency operation is served by one function, to officers with a token.
agency_operation = partial(Operation, function="AgencyReportsFunction", tag="agency", agency_token=True)

AGENCY_OPERATIONS: tuple[Operation, ...] = (
    agency_operation(
        operation_id="listAgencyReports",
        method="GET",
        path="/agency/reports",
        summary="The agency inbox, newest first",
        description="""An officer sees the reports their agency is responsible for; a dispatcher (coordinator) also
            those of every agency below theirs, served from one index keyed by the coordinator (one query per page
            whatever the number of offices). Items carry no reporter data and nothing that needs decrypting (a
            confidential report has no title here): open one report to see it all. `assignee` is the officer a
            coordinator assigned the report to; `mine=1` lists only the open reports assigned to the caller. Page
            with `cursor` from `next_cursor`.""",
        response="InboxPage",
        parameters=(
            STATUS_FILTER,
            Parameter("mine", "query", {"type": "string", "enum": ["0", "1"]}, "1: only reports assigned to me"),
            Parameter(
                "limit",
                "query",
                {"type": "string", "pattern": "^([1-9]|[1-9][0-9]|100)$"},
                "1 to ${max_page}, default ${page_size}",
            ),
            Parameter(
                "cursor",
                "query",
                {"type": "string", "maxLength": 200, "pattern": "^[\\x20-\\x7E]*$"},
                "next_cursor of the previous page (opaque, printable ASCII)",
            ),
        ),
        errors=(401, 403, 422),
    ),
    agency_operation(
        operation_id="getAgencyReport",
        method="GET",
        path="/agency/reports/{tracking_id}",
        summary="One report, everything decrypted",
        description="""Content even when confidential, the reporter (absent when anonymous), every message, and
            `version` (also the ETag) for If-Match.""",
        response="AgencyReportView",
        parameters=(TRACKING_ID,),
        errors=(401, 403, 404),
        response_headers={"ETag": "The report's version, for If-Match"},
    ),
    agency_operation(
        operation_id="postAgencyAction",
        method="POST",
        path="/agency/reports/{tracking_id}/actions",
        summary="Act on a report: ${agency_actions}",
        description="""Transitions: ${transitions}. Any other transition, or a stale If-Match, is 409.

            Disposition (as SP4N LAPOR! does it): `not_responsible` (*bukan wewenang*, with the reason as `message`)
            is said by an officer of the responsible agency only (403 for anyone else) and returns the report to the
            coordinator one level up (the agency's parent; 409 at the top of the hierarchy), as `submitted`: the
            verification clock restarts there (${verify_days} working days to transfer it on, like any transfer),
            and the coordinator is notified. `transfer` with a `message` is the coordinator's note to the office.
            `assign` (a dispatcher's only, 403 for an officer) gives an open report to one officer who may see it:
            the caller, or a `sub` of GET /agency/officers (422 otherwise); it changes no status, deadline or
            timeline, and ends when the report moves to another agency or closes. Every action, refused ones too,
            is recorded in the report's audit trail first.""",
        response="AgencyReportView",
        request="AgencyAction",
        parameters=(
            TRACKING_ID,
            Parameter("If-Match", "header", {"type": "string", "pattern": '^(W/)?"?[0-9]{1,12}"?$'}, "Version"),
        ),
        errors=(400, 401, 403, 404, 409, 413, 422),
        response_headers={"ETag": "The report's new version"},
    ),
    agency_operation(
        operation_id="listAgencyNearbyReports",
        method="GET",
        path="/agency/reports/{tracking_id}/nearby",
        summary="Open reports near this one, to mark it as a duplicate",
        description="""At most ${nearby_wide_max} open, public reports of the same category within ${nearby_wide} m of
            this report, of the caller's scope, submitted in the last ${nearby_days} days, nearest first (measured from
            the exact points): the candidates for `mark_duplicate`'s duplicate_of. Empty for a confidential report or
            one without a location. From the same sparse index as GET /reports/nearby, never a scan.""",
        response=("NearbyReport",),
        parameters=(TRACKING_ID,),
        errors=(401, 403, 404),
    ),
    agency_operation(
        operation_id="postAgencyAttachment",
        method="POST",
        path="/agency/reports/{tracking_id}/attachments",
        summary="Ask for an upload slot for one photo of the agency",
        description="""The same presigned S3 POST as the reporter's, for a photo the agency attaches to its handling of
            an open report (at most ${max_photos} per report from the agency). Processed and stripped the same way;
            listed in `photos` with author agency.""",
        success_status=201,
        response="AttachmentSlot",
        request="AttachmentRequest",
        parameters=(TRACKING_ID,),
        errors=(400, 401, 403, 404, 409, 413, 422),
    ),
    agency_operation(
        operation_id="putAgencyPhotoVisibility",
        method="PUT",
        path="/agency/reports/{tracking_id}/photos/{attachment_id}/visibility",
        summary="Show a photo on public pages, or take it off them",
        description="""A reporter's photo is public only after an officer has looked at it and shown it (`public:
            true`); the agency's own photos are public as they are attached. Either may be taken off public pages
            again (`public: false`). Public pages show photos only of reports that are not confidential and have
            been verified. Only a stored photo can be shown (409 otherwise); the decision is recorded in the audit
            trail. Answers the agency's view of the report.""",
        response="AgencyReportView",
        request="PhotoVisibility",
        parameters=(
            TRACKING_ID,
            Parameter(
                "attachment_id",
                "path",
                {"type": "string", "pattern": "^[a-z0-9]{16}$"},
                "The photo's id (`photos[].id`)",
                required=True,
            ),
        ),
        errors=(400, 401, 403, 404, 409, 413, 422),
    ),
)

DISPOSITION_OPERATIONS: tuple[Operation, ...] = (
    agency_operation(
        operation_id="postAgencyBulkAction",
        method="POST",
        path="/agency/bulk-actions",
        summary="Transfer or assign several reports at once",
        description="""A coordinator's inbox action over up to ${max_bulk} reports: each is handled exactly as its
            single POST /agency/reports/{tracking_id}/actions would be (authorised, recorded in its audit trail
            first, conditional on its current version), one after the other. The answer is 200 with one outcome per
            report, in the order sent: `status` is what the single request would have answered (200 done, with the
            new `version`; 403, 404, 409 or 422 with its `problem`), so a partial failure names the reports that
            were not changed and why; the others stay done. Sending the same request again changes nothing twice:
            a report already with that agency or officer answers 409.""",
        response="BulkActionResult",
        request="AgencyBulkAction",
        errors=(400, 401, 403, 413, 422),
    ),
    agency_operation(
        operation_id="listAgencyOfficers",
        method="GET",
        path="/agency/officers",
        summary="The officers a coordinator can assign reports to",
        description="""The officers of the caller's scope who have used lapor in the last ${roster_days} days (each
            is added when they open the inbox: lapor makes no user pool call for it), by agency and name.
            Dispatchers only (403 for an officer).""",
        response="OfficerList",
        errors=(401, 403),
    ),
)

REPLY_ID = Parameter(
    "reply_id", "path", {"type": "string", "minLength": 1, "maxLength": 40}, "A saved reply's id", required=True
)

AGENCY_TOOL_OPERATIONS: tuple[Operation, ...] = (
    agency_operation(
        operation_id="exportAgencyReports",
        method="GET",
        path="/agency/reports.csv",
        summary="The inbox as CSV, for monthly reports",
        description="""Every report of the caller's scope that matches the filters, newest first (at most ${max_export}
            rows): Tracking ID, kind, category, status, dates, overdue, escalation level and agencies. Never content or
            reporter data.""",
        content_type="text/csv",
        parameters=(
            STATUS_FILTER,
            Parameter("category", "query", {"type": "string", "maxLength": 64}, "Only this category (code)"),
            Parameter("agency", "query", {"type": "string", "maxLength": 64}, "Only this agency of the caller's scope"),
            Parameter("overdue", "query", {"type": "string", "enum": ["0", "1"]}, "1: only overdue open reports"),
        ),
        errors=(401, 403, 422),
    ),
    agency_operation(
        operation_id="listSavedReplies",
        method="GET",
        path="/agency/replies",
        summary="The caller's agency's saved replies",
        description="Reply templates that fill the response composer; each agency sees and edits its own only.",
        response="SavedReplies",
        errors=(401, 403),
    ),
    agency_operation(
        operation_id="createSavedReply",
        method="POST",
        path="/agency/replies",
        summary="Save a reply for the caller's agency",
        description="At most ${max_replies} per agency (409 beyond).",
        success_status=201,
        response="SavedReply",
        request="SavedReplyInput",
        errors=(400, 401, 403, 409, 413, 422),
    ),
    agency_operation(
        operation_id="updateSavedReply",
        method="PUT",
        path="/agency/replies/{reply_id}",
        summary="Change one of the agency's saved replies",
        description="Another agency's reply id, or an unknown one, is 404.",
        response="SavedReply",
        request="SavedReplyInput",
        parameters=(REPLY_ID,),
        errors=(400, 401, 403, 404, 413, 422),
    ),
    agency_operation(
        operation_id="deleteSavedReply",
        method="DELETE",
        path="/agency/replies/{reply_id}",
        summary="Delete one of the agency's saved replies",
        description="Another agency's reply id, or an unknown one, is 404.",
        success_status=204,
        parameters=(REPLY_ID,),
        errors=(401, 403, 404),
    ),
)

OFFICER_ID = Parameter(
    "officer_id",
    "path",
    {"type": "string", "minLength": 1, "maxLength": 128},
    "The officer's id (`id` of GET /agency/admin/officers)",
    required=True,
)
DIRECTORY_IF_MATCH = Parameter(
    "If-Match",
    "header",
    {"type": "string", "pattern": '^(W/)?"?[0-9]{1,12}"?$'},
    """The entry's `version` from GET /agency/admin/directory: the change is made only if nobody changed the entry
        since (409 otherwise). Absent on PUT: the entry must be new (409 if it exists). Absent on DELETE: whatever
        its version.""",
)
ADMIN_AGENCY_ID = Parameter(
    "agency_id", "path", {"type": "string", "minLength": 1, "maxLength": 64}, "The agency's id (a slug)", True
)
CATEGORY_CODE = Parameter(
    "code", "path", {"type": "string", "minLength": 1, "maxLength": 64}, "The category's code (a slug)", True
)

# The regency administrator's operations: one function, the `admin` role only, within its scope.
admin_operation = partial(Operation, function="AgencyAdminFunction", tag="administration", agency_token=True)
ADMIN_SCOPE = """Only for the `admin` role, within its scope (its agency and every agency below it): any other token
    gets 403, an administrator of another regency too. Recorded in the administrators' audit trail before anything
    is done."""

ADMIN_OPERATIONS: tuple[Operation, ...] = (
    admin_operation(
        operation_id="listOfficers",
        method="GET",
        path="/agency/admin/officers",
        summary="The officers of the administrator's scope",
        description=f"""Every user of the agency user pool whose agency is in the scope: email, name, agency, role,
            enabled, Cognito status, MFA set up, created and last changed. {ADMIN_SCOPE}""",
        response="OfficerAccounts",
        errors=(401, 403),
    ),
    admin_operation(
        operation_id="inviteOfficer",
        method="POST",
        path="/agency/admin/officers",
        summary="Invite an officer (Cognito emails the invitation)",
        description=f"""The agency must be in the scope and the role at most the administrator's own (403 otherwise;
            an unknown agency is 422). An existing email is 409. At first sign-in they choose a password and set up
            an authenticator app (the pool requires MFA). {ADMIN_SCOPE}""",
        success_status=201,
        response="OfficerAccount",
        request="OfficerInvite",
        errors=(400, 401, 403, 409, 413, 422),
    ),
    admin_operation(
        operation_id="updateOfficer",
        method="PATCH",
        path="/agency/admin/officers/{officer_id}",
        summary="Move an officer, change their role, disable or enable them",
        description=f"""Disabling, or changing the agency or role, also ends every session of the officer at once: their
            next request with a token issued before is 401 (an ID token would otherwise stay valid for its hour), and
            Cognito revokes their refresh tokens. The last enabled administrator of a regency's own agency cannot be
            disabled, moved or given another role (409). {ADMIN_SCOPE}""",
        response="OfficerAccount",
        request="OfficerUpdate",
        parameters=(OFFICER_ID,),
        errors=(400, 401, 403, 404, 409, 413, 422),
    ),
    admin_operation(
        operation_id="signOutOfficer",
        method="POST",
        path="/agency/admin/officers/{officer_id}/sign-out",
        summary="Sign an officer out everywhere",
        description=f"""Cognito revokes their refresh tokens (AdminUserGlobalSignOut) and every agency request with a
            token issued before is 401. {ADMIN_SCOPE}""",
        response="OfficerAccount",
        parameters=(OFFICER_ID,),
        errors=(401, 403, 404),
    ),
    admin_operation(
        operation_id="resetOfficerMfa",
        method="POST",
        path="/agency/admin/officers/{officer_id}/reset-mfa",
        summary="Reset an officer's MFA (a new phone)",
        description=f"""Forgets their authenticator app and signs them out everywhere: at their next sign-in they set
            up a new one. {ADMIN_SCOPE}""",
        response="OfficerAccount",
        parameters=(OFFICER_ID,),
        errors=(401, 403, 404),
    ),
    admin_operation(
        operation_id="getAdminDirectory",
        method="GET",
        path="/agency/admin/directory",
        summary="The directory with contacts, webhooks and versions",
        description=f"""Read from the store, not from a cache. Every function sees a change within
            ${{directory_cache_seconds}} seconds (LAPOR_DIRECTORY_CACHE_SECONDS: each warm function keeps the directory
            that long). {ADMIN_SCOPE}""",
        response="AdminDirectory",
        errors=(401, 403),
    ),
    admin_operation(
        operation_id="putAgency",
        method="PUT",
        path="/agency/admin/agencies/{agency_id}",
        summary="Create or change an agency",
        description=f"""A new agency must be below one of the scope; a changed one must be in it (the administrator's
            own agency keeps its place in the hierarchy). 422 with the field: a parent that is unknown, the agency
            itself or below it (a cycle), or not at a higher level; an agency below it that would not be lower; a
            webhook URL that is not https://. Versioned: who, when, before and after go to the settings history.
            Answers the whole directory. {ADMIN_SCOPE}""",
        response="AdminDirectory",
        request="AgencyInput",
        parameters=(ADMIN_AGENCY_ID, DIRECTORY_IF_MATCH),
        errors=(400, 401, 403, 404, 409, 413, 422),
    ),
    admin_operation(
        operation_id="deleteAgency",
        method="DELETE",
        path="/agency/admin/agencies/{agency_id}",
        summary="Remove an agency",
        description=f"""422 at the path's agency_id while it has agencies below it, is a category's default agency, or
            has open reports (transfer them first). Closed reports keep its id. {ADMIN_SCOPE}""",
        success_status=204,
        parameters=(ADMIN_AGENCY_ID, DIRECTORY_IF_MATCH),
        errors=(401, 403, 404, 409, 422),
    ),
    admin_operation(
        operation_id="putCategory",
        method="PUT",
        path="/agency/admin/categories/{code}",
        summary="Create or change a category",
        description=f"""Its default agency must be an agency of the directory (422 at default_agency_id) in the scope,
            before and after. The citizen form offers it once the web function's directory cache has expired.
            {ADMIN_SCOPE}""",
        response="AdminDirectory",
        request="CategoryInput",
        parameters=(CATEGORY_CODE, DIRECTORY_IF_MATCH),
        errors=(400, 401, 403, 404, 409, 413, 422),
    ),
    admin_operation(
        operation_id="deleteCategory",
        method="DELETE",
        path="/agency/admin/categories/{code}",
        summary="Remove a category",
        description=f"Reports filed under it keep their category. {ADMIN_SCOPE}",
        success_status=204,
        parameters=(CATEGORY_CODE, DIRECTORY_IF_MATCH),
        errors=(401, 403, 404, 409, 422),
    ),
    admin_operation(
        operation_id="getSettingsHistory",
        method="GET",
        path="/agency/admin/history",
        summary="The settings history (Riwayat pengaturan)",
        description=f"""The newest ${{history_size}} changes made by administrators of the scope: who, when, what,
            before and after. {ADMIN_SCOPE}""",
        response="SettingsHistory",
        errors=(401, 403),
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
        operation_id=operation_id,
        method="GET",
        path=path,
        function=function,
        summary=summary,
        description=f"Cached for a year when requested with the current version (v), as {loaded_by}.",
        tag=tag,
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
            operation_id=f"get{subject}Qr{fmt.capitalize()}",
            method="GET",
            path=f"{path}/qr.{fmt}",
            function="WebPagesFunction",
            summary=f"QR code for {printed_on} ({fmt.upper()})",
            description=f"{opens} Immutable for a given URL.",
            tag="citizen",
            content_type=content_type,
            parameters=(parameter,),
            errors=(404,),
        )
        for fmt, content_type in (("svg", "image/svg+xml"), ("png", "image/png"))
    )


# The landing page, tracking page and QR codes (HTML, SVG, PNG).
page = partial(Operation, function="WebPagesFunction", tag="citizen")
WEB_OPERATIONS: tuple[Operation, ...] = (
    page(
        operation_id="landingPage",
        method="GET",
        path="/",
        summary="The landing page: the report form for people",
        description="""Mobile-first HTML in Bahasa Indonesia (English with lang=en) that posts to /reports and shows the
            receipt. Uses nothing outside this API: no CDN, fonts, trackers or cookies. Sent with an ETag (304 on a
            match) and a Content-Security-Policy that allows this origin only.""",
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
                """qr when opened from a QR code: the report is then submitted with channel qr (anything else: web)""",
            ),
        ),
    ),
    page(
        operation_id="trackingPage",
        method="GET",
        path="/track/{tracking_id}",
        summary="The tracking page for people",
        description="""HTML that shows a report's status, deadline and timeline in plain language (from GET
            /reports/{tracking_id}) and, with the access code typed in, the reporter's view, replies and rating. The
            same page is served for every Tracking ID; an unknown or malformed one is reported by the page itself.""",
        content_type="text/html",
        parameters=(
            PAGE_TRACKING_ID,
            LANG,
        ),
    ),
    _asset("getPageScript", "/assets/lapor.js", "WebPagesFunction", "citizen", "The pages' script", "the pages do"),
    _asset(
        "getTrackingScript",
        "/assets/track.js",
        "WebPagesFunction",
        "citizen",
        "The tracking page's script (after the pages' script: it draws with its helpers)",
    ),
    _asset(
        "getPageStyle",
        "/assets/lapor.css",
        "WebPagesFunction",
        "citizen",
        "The pages' style sheet (screen and print)",
        "the pages do",
    ),
    page(
        operation_id="getPageStrings",
        method="GET",
        path="/assets/strings/{lang}",
        summary="The pages' texts in one language",
        description="""What the pages load to switch language in place, without losing what was typed. Unknown language:
            404.""",
        parameters=(
            Parameter("lang", "path", {"type": "string", "minLength": 1, "maxLength": 8}, "id or en", required=True),
            ASSET_VERSION,
        ),
        errors=(404,),
    ),
    page(
        operation_id="statisticsPage",
        method="GET",
        path="/statistik",
        summary="The public figures as charts",
        description="""HTML that draws GET /stats per agency as bar charts (inline SVG made by the page itself), each
            with a table of the same figures. Bahasa Indonesia, English with lang=en.""",
        content_type="text/html",
        parameters=(LANG,),
    ),
    page(
        operation_id="privacyPage",
        method="GET",
        path="/privasi",
        summary="The privacy notice for people",
        description="""HTML in Bahasa Indonesia (English with lang=en), linked from the form before sending and from the
            receipt: what is stored for each choice (anonymous, confidential, photos, location), why, for how long,
            who sees it, the reporter's rights under UU PDP 27/2022 and how to use them, and the data protection
            officer's address (the deployment's PrivacyContactEmail). Needs no script.""",
        content_type="text/html",
        parameters=(LANG,),
    ),
    _asset(
        "getStatisticsScript", "/assets/statistik.js", "WebPagesFunction", "citizen", "The statistics page's script"
    ),
    _asset(
        "getNearbyScript",
        "/assets/nearby.js",
        "WebPagesFunction",
        "citizen",
        "The form's 'Sudah dilaporkan?' step",
        "the form's script does once a point and a category are chosen",
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
console_page = partial(Operation, function="ConsoleFunction", tag="agency")
CONSOLE_OPERATIONS: tuple[Operation, ...] = (
    console_page(
        operation_id="consoleInbox",
        method="GET",
        path="/console",
        summary="The agency console: sign-in and the inbox",
        description="""HTML for officers (Bahasa Indonesia, English with lang=en). Signs in with the user pool's managed
            login (authorization code with PKCE; also its callback and sign-out URL) and uses the agency API with the ID
            token, kept in the tab's sessionStorage only.""",
        content_type="text/html",
        parameters=(LANG,),
    ),
    console_page(
        operation_id="consoleReport",
        method="GET",
        path="/console/reports/{tracking_id}",
        summary="The agency console: one report and its actions",
        description="The same page for every Tracking ID; what the officer may see is decided by the agency API.",
        content_type="text/html",
        parameters=(
            Parameter("tracking_id", "path", {"type": "string", "minLength": 1}, "A Tracking ID", required=True),
            LANG,
        ),
    ),
    console_page(
        operation_id="consoleSettings",
        method="GET",
        path="/console/settings",
        summary="The agency console: settings (Pengaturan), for administrators",
        description="""Officers (invite, move, disable, sign out, reset MFA), categories and agencies of the
            administrator's scope. The page is the same for everyone; the agency API refuses anyone but an admin.""",
        content_type="text/html",
        parameters=(LANG,),
    ),
    console_page(
        operation_id="consoleSettingsHistory",
        method="GET",
        path="/console/settings/history",
        summary="The agency console: the settings history (Riwayat pengaturan)",
        description="Who changed which setting when, with before and after (GET /agency/admin/history).",
        content_type="text/html",
        parameters=(LANG,),
    ),
    _asset("getConsoleScript", "/console/assets/console.js", "ConsoleFunction", "agency", "The console's script"),
    _asset("getConsoleStyle", "/console/assets/console.css", "ConsoleFunction", "agency", "The console's style sheet"),
)

SERVICE_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        operation_id="health",
        method="GET",
        path="/health",
        function="TrackReportFunction",
        summary="Liveness",
        description="Answers while the API and its functions are up.",
        tag="operations",
        response="Health",
    ),
    Operation(
        operation_id="getOpenApi",
        method="GET",
        path="/openapi.json",
        function="ApiDocsFunction",
        summary="This OpenAPI document",
        description="Generated from the code. Category codes and agency ids list the current directory.",
        tag="operations",
    ),
    Operation(
        operation_id="getDocs",
        method="GET",
        path="/docs",
        function="ApiDocsFunction",
        summary="Interactive API documentation (Swagger UI)",
        description="Served entirely by this API: it works without internet access.",
        tag="operations",
        content_type="text/html",
    ),
    Operation(
        operation_id="getDocsAsset",
        method="GET",
        path="/docs/{asset}",
        function="ApiDocsFunction",
        summary="A script or style sheet of the API documentation",
        description="The Swagger UI bundle, served from the deployment itself.",
        tag="operations",
        content_type="application/javascript",
        parameters=(Parameter("asset", "path", {"type": "string", "minLength": 1}, "File name", required=True),),
        errors=(404,),
    ),
)


JURISDICTION = Parameter(
    "jurisdiction_id",
    "query",
    {"type": "string"},
    """Optional; when given it must be this deployment's own (template parameter Open311JurisdictionId), else 404""",
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
        """Comma-separated Tracking IDs, at most ${open311_ids}; overrides every other filter. Unknown, malformed and
            confidential ones are left out alike.""",
    ),
    OPEN311_SERVICE_CODES,
    Parameter(
        "start_date",
        "query",
        {"type": "string", "format": "date-time"},
        """Submitted at or after (W3C date-time with an offset); with end_date at most ${open311_days} days apart""",
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
    Parameter("lat", "query", LATITUDE_SCHEMA, "With long: only open requests near this point (decimal degrees)"),
    Parameter("long", "query", LONGITUDE_SCHEMA, "With lat: the point's longitude (decimal degrees)"),
    Parameter(
        "radius",
        "query",
        {"type": "string", "pattern": "^[0-9]{1,4}$"},
        "With lat and long: metres from the point, 1 to ${nearby_wide} (the default)",
    ),
    JURISDICTION,
)
OPEN311_LIST = """Public (never confidential) reports, newest first, at most ${open311_listed}, read from a sparse
    index of public reports (never a scan). No reporter data: there is none to show. lat and long are rounded to
    ${public_decimals} decimal places (about 110 m), as on every public endpoint. A rejected report is listed (status
    closed) with its dates and status_notes only: description, address, lat, long and media_url are null; its reason
    is in the public view, GET /reports/{tracking_id}. With lat and long (and radius): only open requests within
    radius of the point, nearest first, measured from their public points, from the sparse index GET /reports/nearby
    reads (at most 4 partitions of about 5.3 km for 1,000 m); status=closed alone, a coordinate out of range, one
    without the other or a radius beyond ${nearby_wide} m is refused with 400. A query that no schema can rule out is
    refused with 400: start_date and end_date more than ${open311_days} days apart, end_date before start_date, an
    unknown service_code."""
OPEN311_FILE = """Form-encoded, as the spec says, with a partner's api_key (issued by an operator with `lapor
    open311-key create`; missing, unknown or revoked: 403; each use counted). The very same submission as POST /reports:
    same rules, routing, deadlines, notification and Idempotency-Key. The title is the description's first words unless
    attribute[title] is given; email, first_name, last_name and phone make the reporter, none of them an anonymous
    report; attribute[confidential]=true keeps it off every public endpoint. A field that is not valid is 400, one entry
    per problem. The answer holds the Tracking ID as service_request_id and, as extras, the one-time access_code and the
    tracking_url."""


def _open311(fmt: str) -> tuple[Operation, ...]:
    """The Open311 GeoReport v2 routes whose format is part of their literal path (`fmt`: json or xml)."""
    upper = fmt.upper()
    return (
        Operation(
            operation_id=f"open311Discovery{upper}",
            method="GET",
            path=f"/open311/v2/discovery.{fmt}",
            function="Open311Function",
            summary=f"Open311 service discovery ({upper})",
            description="This endpoint, its specification and formats.",
            tag="open311",
            response="Open311Discovery",
            parameters=(JURISDICTION,),
            errors=(404,),
            formats=(fmt,),
        ),
        Operation(
            operation_id=f"open311Services{upper}",
            method="GET",
            path=f"/open311/v2/services.{fmt}",
            function="Open311Function",
            summary=f"Open311 services: one per category ({upper})",
            description="""service_code is the category code, group the agency that receives its reports by default,
                type realtime, metadata true (see services/{service_code}).""",
            tag="open311",
            response=("Open311Service",),
            parameters=(JURISDICTION,),
            errors=(404,),
            formats=(fmt,),
        ),
        Operation(
            operation_id=f"open311Requests{upper}",
            method="GET",
            path=f"/open311/v2/requests.{fmt}",
            function="Open311Function",
            summary=f"Open311 service requests: public reports ({upper})",
            description=OPEN311_LIST,
            tag="open311",
            response=("Open311ServiceRequest",),
            parameters=OPEN311_LIST_PARAMETERS,
            errors=(400, 404),
            formats=(fmt,),
        ),
        Operation(
            operation_id=f"open311FileRequest{upper}",
            method="POST",
            path=f"/open311/v2/requests.{fmt}",
            function="Open311SubmitFunction",
            summary=f"File an Open311 service request: a report ({upper})",
            description=OPEN311_FILE,
            tag="open311",
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
        operation_id="open311ServiceDefinition",
        method="GET",
        path="/open311/v2/services/{service_file}",
        function="Open311Function",
        summary="Open311 service definition: the attributes of a request",
        description="""service_file is `<service_code>.json` or `<service_code>.xml` (another suffix: 404). Attributes:
            kind (complaint, aspiration, information_request), title, anonymous and confidential.""",
        tag="open311",
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
        operation_id="open311Request",
        method="GET",
        path="/open311/v2/requests/{request_file}",
        function="Open311Function",
        summary="One Open311 service request (an array of one)",
        description="""request_file is `<Tracking ID>.json` or `.xml`. Unknown, malformed and confidential reports
            answer 404 alike: a confidential report cannot be told from a missing one here. As in the listing, lat and
            long are rounded to ${public_decimals} decimal places and a rejected report carries no description or
            location.""",
        tag="open311",
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


WHATSAPP_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        operation_id="whatsappVerify",
        method="GET",
        path="/whatsapp/webhook",
        function="WhatsAppWebhookFunction",
        summary="WhatsApp Cloud API: Meta's webhook verification",
        description="""Meta calls this once when the webhook is set up: with hub.mode=subscribe and hub.verify_token
            equal to the deployment's verify token (Secrets Manager) the answer is hub.challenge as plain text;
            anything else is 403.""",
        tag="whatsapp",
        content_type="text/plain",
        parameters=(
            Parameter("hub.mode", "query", {"type": "string", "maxLength": 20}, "subscribe"),
            Parameter("hub.verify_token", "query", {"type": "string", "maxLength": 200}, "The verify token"),
            Parameter("hub.challenge", "query", {"type": "string", "maxLength": 200}, "Echoed when the rest is right"),
        ),
        errors=(403,),
    ),
    Operation(
        operation_id="whatsappWebhook",
        method="POST",
        path="/whatsapp/webhook",
        function="WhatsAppWebhookFunction",
        summary="WhatsApp Cloud API: messages and delivery statuses from Meta",
        description="""Only Meta can call it: X-Hub-Signature-256 must be `sha256=` and the hex HMAC-SHA256 of the raw
            body keyed with the app's secret, else 401 and nothing changes. The body is the Cloud API's webhook payload
            (object whatsapp_business_account, entry[].changes[].value.messages[] and statuses[]). Each message is
            taken once (by its id, for ${whatsapp_days} days: Meta retries for a day or more) and queued, encrypted,
            for the conversation; statuses are counted only. The answer is 200 with the number of messages queued, at
            once: the conversation answers on WhatsApp.""",
        tag="whatsapp",
        parameters=(
            Parameter(
                "X-Hub-Signature-256",
                "header",
                {"type": "string", "maxLength": 80, "examples": ["sha256=" + "0" * 64]},
                "sha256= and the hex HMAC-SHA256 of the raw body keyed with the Meta app's secret",
            ),
        ),
        response="WhatsAppAccepted",
        errors=(400, 401, 413),
    ),
)


OPERATIONS: tuple[Operation, ...] = (
    *CITIZEN_OPERATIONS,
    *FOLLOW_UP_OPERATIONS,
    *DIRECTORY_OPERATIONS,
    *TRANSPARENCY_OPERATIONS,
    *AGENCY_OPERATIONS,
    *AGENCY_TOOL_OPERATIONS,
    *ADMIN_OPERATIONS,
    *DISPOSITION_OPERATIONS,
    *WEB_OPERATIONS,
    *CONSOLE_OPERATIONS,
    *SERVICE_OPERATIONS,
    *OPEN311_OPERATIONS,
    *WHATSAPP_OPERATIONS,
)


BY_ID = {op.operation_id: op for op in OPERATIONS}
