"""Every response body's shape, written once: the views build these dicts, mypy checks each view against its
shape, and `lapor.openapi` renders them (with pydantic) into the OpenAPI document. No pydantic here: the
functions import this module for type checking only.

`Doc` and `Limits` are markers pydantic reads when it renders or checks a shape; they cost nothing here.
"""

from typing import Annotated, Any, Literal, NotRequired

# pydantic reads typing's TypedDict only from Python 3.12 (Lambda runs 3.12, development may run 3.11).
from typing_extensions import TypedDict

from lapor.statuses import AgencyLevel, OfficerRole, ReportKind, ReportStatus


class Doc:
    """A field's description in the OpenAPI document."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        return {**handler(schema), "description": self.text}


class Limits:
    """Bounds of a value (pydantic core schema keys: ge, le, pattern), documented and checked alike."""

    def __init__(self, **bounds: object) -> None:
        self.bounds = bounds

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return {**handler(source), **self.bounds}


Count = Annotated[int, Limits(ge=0)]
TimelineEvent = Literal[
    "submitted",
    "agency_notified",
    "verified",
    "transferred",
    "in_progress",
    "responded",
    "reporter_replied",
    "escalated",
    "extended",
    "rated",
    "reopened",
    "closed",
    "rejected",
    "personal_data_erased",
]
# Timeline events only the reporter and the agency see: the reporter used a right over their data (UU PDP).
DataRequestEvent = Literal["data_exported", "contact_corrected", "contact_erased"]
DATA_REQUEST_DOC = (
    "The reporter used a right over their data (shown to the reporter and the agency only): `data_exported` "
    "(GET .../private/export), `contact_corrected` (PATCH .../private/contact), `contact_erased` (DELETE "
    ".../private/contact: the report goes on as anonymous; the reporter erased their contact data)."
)
# Timeline events only the agency sees: a notification (email, webhook) was refused for good; an office said
# it is not responsible (the public and the reporter see it as `transferred`, `lapor.views.PUBLIC_EVENTS`).
AgencyOnlyTimelineEvent = Literal["notification_failed", "not_responsible"]
PhotoRefusal = Literal["expired", "too_large", "not_an_image", "other_content", "too_many_pixels", "unreadable"]


class AgencyRef(TypedDict):
    id: str
    name: str


class SubmissionReceipt(TypedDict):
    """The 201 answer to a submission. The access code is shown here once and never again."""

    tracking_id: Annotated[
        str, Limits(pattern=r"^LPR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
    ]
    access_code: str
    status: ReportStatus
    submitted_at: str
    due_at: str
    agency: AgencyRef
    tracking_url: str


class WhatsAppAccepted(TypedDict):
    """The answer to Meta's webhook call: how many of its messages were new and are now queued."""

    queued: int


class TimelineEntry(TypedDict):
    at: str
    event: TimelineEvent
    status: ReportStatus
    actor: str
    message: NotRequired[str | None]


class FullTimelineEntry(TypedDict):
    at: str
    event: Annotated[TimelineEvent | DataRequestEvent, Doc("As in the public timeline. " + DATA_REQUEST_DOC)]
    status: ReportStatus
    actor: str
    message: NotRequired[str | None]
    private: bool


class AgencyTimelineEntry(TypedDict):
    at: str
    event: Annotated[
        TimelineEvent | AgencyOnlyTimelineEvent | DataRequestEvent,
        Doc(
            "As in the public timeline, plus (agency only) `notification_failed`: an email or webhook was refused "
            "for good (e.g. an address SES rejects), the event was acknowledged anyway; and `not_responsible`: the "
            "office said the report is not theirs (bukan wewenang) and returned it to its coordinator, the reason "
            "as the message (the public and the reporter see `transferred`). " + DATA_REQUEST_DOC
        ),
    ]
    status: ReportStatus
    actor: str
    message: NotRequired[str | None]
    private: bool


class PublicLocation(TypedDict):
    """Where the report is about. On public endpoints lat and lon are rounded to the area (see the
    operation); the reporter's and the agency's views hold the point as submitted."""

    lat: NotRequired[float | None]
    lon: NotRequired[float | None]
    address: NotRequired[str | None]


class Photo(TypedDict):
    """A photo of a report. Stored photos carry a short-lived link; the reporter and the agency also see
    uploads being processed (pending) and refusals with their reason."""

    id: str
    author: Literal["reporter", "agency"]
    status: Literal["pending", "stored", "refused"]
    type: NotRequired[Literal["image/jpeg"] | None]
    size: NotRequired[Annotated[int, Limits(ge=1)] | None]
    width: NotRequired[Annotated[int, Limits(ge=1)] | None]
    height: NotRequired[Annotated[int, Limits(ge=1)] | None]
    sha256: NotRequired[str | None]
    url: NotRequired[str | None]
    url_expires_at: NotRequired[str | None]
    reason: NotRequired[PhotoRefusal | None]
    detail: NotRequired[str | None]
    public: NotRequired[bool | None]  # the reporter's and the agency's views: shown on public pages or not


class UploadForm(TypedDict):
    url: str
    fields: dict[str, str]


class AttachmentSlot(TypedDict):
    """Where to upload one photo: POST `upload.fields` plus the file (last, as `file`) to `upload.url`
    as multipart/form-data before `expires_at`. The result appears in the report's `photos`."""

    attachment_id: str
    upload: UploadForm
    content_type: str
    max_bytes: int
    expires_at: str


class ReportSummary(TypedDict):
    """What every view of a report holds, the inbox's included: nothing sealed, nothing about the reporter."""

    tracking_id: str
    kind: ReportKind
    category: str
    agency: AgencyRef
    status: ReportStatus
    submitted_at: str
    updated_at: str
    due_at: str | None
    escalation_level: Count
    anonymous: bool
    confidential: bool
    support_count: Annotated[int, Limits(ge=0), Doc("Supporters, each report marked as its duplicate included")]
    merged_count: Annotated[int, Limits(ge=0), Doc("Reports an officer marked as duplicates of this one")]
    duplicate_of: NotRequired[
        Annotated[str | None, Doc("Closed as the same problem as this report (its Tracking ID): follow that one")]
    ]


class ReportCore(ReportSummary):
    """What every audience's view holds besides the timeline; title, description and location only when
    the audience may read them."""

    photos: list[Photo]
    title: NotRequired[str | None]
    description: NotRequired[str | None]
    location: NotRequired[PublicLocation | None]


class PublicReportView(ReportCore):
    """`GET /reports/{tracking_id}`. Title, description and location only when not confidential and not
    rejected; the location rounded to the area."""

    timeline: list[TimelineEntry]


class Rating(TypedDict):
    score: Annotated[int, Limits(ge=1, le=5)]
    at: str
    comment: NotRequired[str | None]


class Private(TypedDict):
    """What the reporter and the agency see beyond the public view's fields."""

    reporter: NotRequired[dict[str, str] | None]
    rating: NotRequired[Rating | None]


class ReporterReportView(ReportCore, Private):
    """`GET /reports/{tracking_id}/private`: the reporter's own view, content and private messages included."""

    timeline: list[FullTimelineEntry]


class Erased(TypedDict):
    """Personal data of the report that is gone for good."""

    event: Annotated[
        Literal["personal_data_erased", "contact_erased"],
        Doc(
            "`personal_data_erased`: the retention period after closing ended (contact, private messages, a "
            "confidential report's text and photos); `contact_erased`: the reporter erased their contact data."
        ),
    ]
    at: str


class StoredItem(TypedDict):
    """One item of the report's partition of the table, as stored: every attribute, with what is sealed
    (encrypted) shown opened in its place."""

    key: Annotated[
        str,
        Doc(
            "The item's sort key: `REPORT` (the report), `PUBLIC#…` / `PRIVATE#…` (the text of a public or "
            "private timeline message), `DATA_REQUEST#…` (a use of these rights)"
        ),
    ]
    attributes: dict[str, Any]


class PersonalDataExport(TypedDict):
    """`GET /reports/{tracking_id}/private/export`: everything stored about the report and its reporter."""

    tracking_id: str
    exported_at: str
    report: Annotated[ReporterReportView, Doc("The reporter's view: contact, messages, photos as links, timeline")]
    erased: list[Erased]
    stored: Annotated[list[StoredItem], Doc("Every item the table holds for the report, item by item")]


class Assignee(TypedDict):
    """The officer a coordinator assigned an open report to (stored at assignment: no user pool lookup)."""

    sub: str
    name: str  # their work email, as they sign in
    agency_id: str


class AgencyReportView(ReportCore, Private):
    """The responsible agency's view: everything, decrypted, with the version for If-Match."""

    timeline: list[AgencyTimelineEntry]
    version: Annotated[int, Limits(ge=1)]
    original_agency_id: str
    overdue: bool
    channel: NotRequired[str | None]
    open311_key_id: NotRequired[str | None]  # the Open311 partner key that filed it (`lapor open311-key list`)
    assignee: NotRequired[Assignee | None]


class InboxItem(ReportSummary):
    """One report of the inbox, as the list shows it: never the reporter, and nothing that needs decrypting (a
    confidential report has no title here), so a page makes no KMS call. Opening the report
    (`AgencyReportView`) shows the rest, and is recorded."""

    title: NotRequired[str | None]
    version: Annotated[int, Limits(ge=1)]
    original_agency_id: str
    overdue: bool
    channel: NotRequired[str | None]
    assignee: NotRequired[Assignee | None]


class RosterOfficer(TypedDict):
    """An officer a coordinator can assign reports to: one who has used lapor (the agency API) lately."""

    sub: str
    name: str
    agency_id: str
    role: str


class OfficerList(TypedDict):
    items: list[RosterOfficer]


class InboxPage(TypedDict):
    items: list[InboxItem]
    next_cursor: str | None


class SavedReply(TypedDict):
    reply_id: str
    title: str
    text: str
    updated_at: str


class SavedReplies(TypedDict):
    items: list[SavedReply]


class SupportCount(TypedDict):
    tracking_id: str
    support_count: Count


class NearbyReport(TypedDict):
    """An open public report near a point ("Sudah dilaporkan?"): what its public view shows of it, and how far."""

    tracking_id: str
    category: str
    title: str | None
    status: ReportStatus
    submitted_at: str
    distance_m: Annotated[int, Limits(ge=0), Doc("Metres from the point asked about, rounded to 10 m")]
    support_count: Annotated[int, Limits(ge=0), Doc("Supporters, each report marked as its duplicate included")]
    merged_count: Annotated[int, Limits(ge=0), Doc("Reports an officer marked as duplicates of this one")]
    location: PublicLocation | None


class AgencyFigures(TypedDict):
    """One agency's public figures (see the operation's description for what each counts)."""

    agency_id: str
    name: str
    received: Count
    open: Count
    responded: Count
    closed: Count
    rejected: Count
    overdue: Count
    escalated: Count
    median_first_response_working_days: float | None


class Stats(TypedDict):
    agencies: list[AgencyFigures]


class AgencyOut(TypedDict):
    id: str
    name: str
    parent_id: str | None
    level: AgencyLevel
    region_code: str | None


class CategoryOut(TypedDict):
    code: str
    name: str
    default_agency_id: str


class Health(TypedDict):
    status: Literal["ok"]


class ProblemError(TypedDict):
    loc: list[str | int]
    msg: str


class Problem(TypedDict):
    """RFC 9457 problem details, the body of every 4xx and 5xx."""

    type: str
    title: str
    status: int
    detail: str
    errors: NotRequired[list[ProblemError] | None]


class BulkOutcome(TypedDict):
    """What one report of a bulk action came to: the status its single action would answer, the report's new
    version when it was done, the problem when it was not."""

    tracking_id: str
    status: int
    version: NotRequired[int | None]
    problem: NotRequired[Problem | None]


class BulkActionResult(TypedDict):
    items: list[BulkOutcome]


# ---------------------------------------------------------------- Open311 GeoReport v2


class Open311Service(TypedDict):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime"]
    keywords: str
    group: str


class Open311Value(TypedDict):
    key: str
    name: str


class Open311Attribute(TypedDict):
    variable: bool
    code: str
    datatype: Literal["string", "singlevaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: NotRequired[list[Open311Value] | None]


class Open311ServiceDefinition(TypedDict):
    service_code: str
    attributes: list[Open311Attribute]


class Open311Endpoint(TypedDict):
    specification: str
    url: str
    changeset: str
    type: Literal["production"]
    formats: list[str]


class Open311Discovery(TypedDict):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Open311Endpoint]


class Open311ServiceRequest(TypedDict):
    """One public report as an Open311 service request: never confidential, never any reporter data; lat and
    long rounded to the area; a rejected one without description or location."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str | None
    expected_datetime: Annotated[str | None, Doc("The current deadline")]
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class Open311Filed(TypedDict):
    """The answer to POST requests; access_code (shown this once) and tracking_url are extras."""

    service_request_id: str
    service_notice: str
    account_id: str | None
    access_code: str
    tracking_url: str


class Open311Error(TypedDict):
    code: int
    description: str


# ---------------------------------------------------------------- the administrators' settings


class OfficerAccount(TypedDict):
    """A user of the agency user pool, as an administrator sees them."""

    id: Annotated[str, Doc("The pool's username for them (a UUID that never changes)")]
    email: str
    name: str
    agency_id: str
    role: OfficerRole
    enabled: bool
    status: Annotated[str, Doc("Cognito's account status: FORCE_CHANGE_PASSWORD until the invitation is taken up")]
    mfa_enabled: Annotated[bool, Doc("An authenticator app is set up")]
    created_at: str
    updated_at: Annotated[
        str,
        Doc(
            "Last change of the account. Cognito reports last sign-ins only with threat protection "
            "(AdminListUserAuthEvents), which this API does not read"
        ),
    ]


class OfficerAccounts(TypedDict):
    items: list[OfficerAccount]


class AdminAgency(TypedDict):
    id: str
    name: str
    parent_id: str | None
    level: AgencyLevel
    region_code: str | None
    email: str | None
    webhook_url: str | None
    version: Annotated[int, Doc("Send it back in If-Match to change or delete the agency")]


class AdminCategory(TypedDict):
    code: str
    name: str
    default_agency_id: str
    version: Annotated[int, Doc("Send it back in If-Match to change or delete the category")]


class AdminDirectory(TypedDict):
    agencies: list[AdminAgency]
    categories: list[AdminCategory]


class SettingsChange(TypedDict):
    at: str
    by: Annotated[str, Doc("The administrator's sign-in name (their work email)")]
    by_agency_id: str
    action: str
    target: Annotated[str, Doc("What changed: agency:<id>, category:<code> or officer:<email>")]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class SettingsHistory(TypedDict):
    items: list[SettingsChange]
