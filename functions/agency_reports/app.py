"""Agency API: the inbox (also as CSV), one report (decrypted), actions, and the agency's saved replies.
Callers are authenticated by the API's authorizer (Cognito); which reports they may touch is decided in
`lapor.agency`, whose replies in `lapor.replies`.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lapor import agency, aws, crypto, replies
from lapor.http import Request, Response, Router, if_match, problem_for
from lapor.ids import parse_tracking_id
from lapor.lifecycle import ActionRequest
from lapor.models import AgencyAction, AgencyBulkAction, AttachmentRequest, PhotoVisibility, SavedReplyInput
from lapor.observability import handler

if TYPE_CHECKING:
    from lapor.shapes import BulkOutcome  # response shapes are for mypy and the document, not loaded here
from lapor.timefmt import from_store

# INIT, in SnapStart's snapshot: every route reads and decrypts reports (KMS, AES-GCM), actions send events
# (SQS); each client primed. No AWS call.
aws.prepare("dynamodb", "kms", "sqs")
crypto.prime()

router = Router("agency_reports")
PRIVATE = {"Cache-Control": "no-store"}


def _with_etag(view: Mapping[str, object]) -> Response:
    return Response(200, view, {**PRIVATE, "ETag": f'"{view["version"]}"'})


@router.operation("listAgencyReports")
def list_reports(request: Request) -> Response:
    query = request.checked_query()
    limit, cursor = int(query.get("limit", agency.PAGE_SIZE)), query.get("cursor") or None
    mine = query.get("mine") == "1"
    return Response(200, agency.list_inbox(request.claims, query.get("status"), limit, cursor, mine), PRIVATE)


@router.operation("exportAgencyReports")
def export_reports(request: Request) -> Response:
    query = request.checked_query()
    status, category, agency_id = query.get("status"), query.get("category"), query.get("agency")
    csv = agency.export_csv(request.claims, status, category, agency_id, query.get("overdue") == "1")
    headers = {**PRIVATE, "Content-Disposition": 'attachment; filename="lapor-reports.csv"'}
    return Response(200, csv, headers, "text/csv; charset=utf-8")


@router.operation("getAgencyReport")
def get_report(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    return _with_etag(agency.get_report(request.claims, tracking_id))


@router.operation("postAgencyAction")
def post_action(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    version = if_match(request)
    body = request.body_as(AgencyAction)
    due_at = from_store(body.due_at) if body.due_at else None
    action = ActionRequest(body.action, body.message, body.private, body.agency_id, due_at, body.assignee_sub)
    return _with_etag(agency.act(request.claims, tracking_id, action, version))


@router.operation("postAgencyBulkAction")
def post_bulk_action(request: Request) -> Response:
    body = request.body_as(AgencyBulkAction)
    action = ActionRequest(body.action, body.message, body.private, body.agency_id, assignee_sub=body.assignee_sub)
    items: list[BulkOutcome] = []
    for tracking_id, outcome in agency.act_on_many(request.claims, body.tracking_ids, action):
        if isinstance(outcome, Exception):
            refused = problem_for(outcome)
            items.append({"tracking_id": tracking_id, "status": refused.status, "problem": refused.body})
        else:
            items.append({"tracking_id": tracking_id, "status": 200, "version": outcome["version"]})
    return Response(200, {"items": items}, PRIVATE)


@router.operation("listAgencyOfficers")
def list_officers(request: Request) -> Response:
    return Response(200, agency.list_officers(request.claims), PRIVATE)


@router.operation("postAgencyAttachment")
def post_attachment(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    content_type = request.body_as(AttachmentRequest).content_type
    return Response(201, agency.request_photo_slot(request.claims, tracking_id, content_type), PRIVATE)


@router.operation("putAgencyPhotoVisibility")
def put_photo_visibility(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    public = request.body_as(PhotoVisibility).public
    attachment_id = request.path_params.get("attachment_id", "")
    return _with_etag(agency.set_photo_visibility(request.claims, tracking_id, attachment_id, public))


@router.operation("listSavedReplies")
def list_replies(request: Request) -> Response:
    return Response(200, replies.list_replies(request.claims), PRIVATE)


@router.operation("createSavedReply")
def create_reply(request: Request) -> Response:
    return Response(201, replies.create_reply(request.claims, request.body_as(SavedReplyInput)), PRIVATE)


@router.operation("updateSavedReply")
def update_reply(request: Request) -> Response:
    body = request.body_as(SavedReplyInput)
    return Response(200, replies.update_reply(request.claims, request.path_params.get("reply_id", ""), body), PRIVATE)


@router.operation("deleteSavedReply")
def delete_reply(request: Request) -> Response:
    replies.delete_reply(request.claims, request.path_params.get("reply_id", ""))
    return Response(204, None, PRIVATE)


lambda_handler = handler(router)
