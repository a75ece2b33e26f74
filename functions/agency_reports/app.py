"""Agency API: the inbox (also as CSV), one report (decrypted), actions, and the agency's saved replies.
Callers are authenticated by the API's authorizer (Cognito); which reports they may touch is decided in
`lapor.agency`, whose replies in `lapor.replies`.
"""

import re

from lapor import agency, aws, replies
from lapor.contract import CURSOR_PATTERN
from lapor.errors import FieldProblem, ValidationFailed
from lapor.http import Request, Response, Router, if_match
from lapor.ids import parse_tracking_id
from lapor.lifecycle import ActionRequest
from lapor.observability import logger
from lapor.timefmt import from_store
from lapor.views import STATUSES

aws.prepare("dynamodb", "kms")  # INIT: every route reads and decrypts reports (SQS: actions only, on first use)

router = Router("agency_reports")
PRIVATE = {"Cache-Control": "no-store"}


def _with_etag(view: dict) -> Response:
    return Response(200, view, {**PRIVATE, "ETag": f'"{view["version"]}"'})


def _query(request: Request) -> tuple[str | None, list[FieldProblem]]:
    """The `status` filter of the inbox and its export, and what is wrong with the query's common fields."""
    status, problems = request.query.get("status"), []
    if status is not None and status not in STATUSES:
        problems.append(FieldProblem(("query", "status"), f"Input should be one of {', '.join(STATUSES)}"))
    return status, problems


def _checked(problems: list[FieldProblem]) -> None:
    if problems:
        raise ValidationFailed(problems, "Query is not valid")


@router.operation("listAgencyReports")
def list_reports(request: Request) -> Response:
    status, problems = _query(request)
    limit = request.query.get("limit", str(agency.PAGE_SIZE))
    if not limit.isdigit() or not 1 <= int(limit) <= agency.MAX_PAGE:
        problems.append(FieldProblem(("query", "limit"), f"Input should be a whole number from 1 to {agency.MAX_PAGE}"))
    # The cursor is the position after which the next page starts: any string is a position.
    cursor = request.query.get("cursor") or None
    if cursor is not None and (len(cursor) > 200 or not re.match(CURSOR_PATTERN, cursor)):
        problems.append(FieldProblem(("query", "cursor"), "is not a cursor from a previous page"))
    _checked(problems)
    return Response(200, agency.list_inbox(request.claims, status, int(limit), cursor), PRIVATE)


@router.operation("exportAgencyReports")
def export_reports(request: Request) -> Response:
    headers = {**PRIVATE, "Content-Disposition": 'attachment; filename="lapor-reports.csv"'}
    status, problems = _query(request)
    category, overdue = request.query.get("category"), request.query.get("overdue")
    if category is not None and len(category) > 64:
        problems.append(FieldProblem(("query", "category"), "String should have at most 64 characters"))
    if overdue is not None and overdue not in ("1", "0"):
        problems.append(FieldProblem(("query", "overdue"), "Input should be 1 or 0"))
    _checked(problems)
    csv = agency.export_csv(request.claims, status, category, request.query.get("agency"), overdue == "1")
    return Response(200, csv, headers, "text/csv; charset=utf-8")


@router.operation("getAgencyReport")
def get_report(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    return _with_etag(agency.get_report(request.claims, tracking_id))


@router.operation("postAgencyAction")
def post_action(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    # Only actions validate a body: the inbox and the report views never pay for pydantic.
    version = if_match(request)
    body = request.validated()
    action = ActionRequest(
        action=body.action,
        message=body.message,
        private=body.private,
        agency_id=body.agency_id,
        due_at=from_store(body.due_at) if body.due_at else None,
    )
    return _with_etag(agency.act(request.claims, tracking_id, action, version))


@router.operation("postAgencyAttachment")
def post_attachment(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    body = request.validated()
    return Response(201, agency.request_photo_slot(request.claims, tracking_id, body.content_type), PRIVATE)


@router.operation("listSavedReplies")
def list_replies(request: Request) -> Response:
    return Response(200, replies.list_replies(request.claims), PRIVATE)


@router.operation("createSavedReply")
def create_reply(request: Request) -> Response:
    return Response(201, replies.create_reply(request.claims, request.validated()), PRIVATE)


@router.operation("updateSavedReply")
def update_reply(request: Request) -> Response:
    body = request.validated()
    return Response(200, replies.update_reply(request.claims, request.path_params.get("reply_id", ""), body), PRIVATE)


@router.operation("deleteSavedReply")
def delete_reply(request: Request) -> Response:
    replies.delete_reply(request.claims, request.path_params.get("reply_id", ""))
    return Response(204, None, PRIVATE)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return router(event, context)
