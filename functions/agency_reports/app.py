"""Agency API: the inbox (also as CSV), one report (decrypted), actions, and the agency's saved replies.
Callers are authenticated by the API's authorizer (Cognito); which reports they may touch is decided in
`lapor.agency`, whose replies in `lapor.replies`.
"""

from lapor import agency, aws, replies
from lapor.http import Request, Response, Router
from lapor.ids import parse_tracking_id
from lapor.lifecycle import ActionRequest
from lapor.observability import logger
from lapor.timefmt import from_store

aws.prepare("dynamodb", "kms")  # INIT: every route reads and decrypts reports (SQS: actions only, on first use)

router = Router("agency_reports")
PRIVATE = {"Cache-Control": "no-store"}


def _with_etag(view: dict) -> Response:
    return Response(200, view, {**PRIVATE, "ETag": f'"{view["version"]}"'})


@router.route("GET", "/agency/reports")
def list_reports(request: Request) -> Response:
    return Response(200, agency.list_inbox(request.claims, request.query), PRIVATE)


@router.route("GET", "/agency/reports.csv")
def export_reports(request: Request) -> Response:
    headers = {**PRIVATE, "Content-Disposition": 'attachment; filename="lapor-reports.csv"'}
    return Response(200, agency.export_csv(request.claims, request.query), headers, "text/csv; charset=utf-8")


@router.route("GET", "/agency/reports/{tracking_id}")
def get_report(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    return _with_etag(agency.get_report(request.claims, tracking_id))


@router.route("POST", "/agency/reports/{tracking_id}/actions")
def post_action(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    # Only actions validate a body: the inbox and the report views never pay for pydantic.
    from lapor.models import AgencyAction, validate_body

    if_match = agency.parse_if_match(request.header("If-Match"))
    body = validate_body(AgencyAction, request.json())
    action = ActionRequest(
        action=body.action,
        message=body.message,
        private=body.private,
        agency_id=body.agency_id,
        due_at=from_store(body.due_at) if body.due_at else None,
    )
    return _with_etag(agency.act(request.claims, tracking_id, action, if_match))


@router.route("POST", "/agency/reports/{tracking_id}/attachments")
def post_attachment(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    from lapor.models import AttachmentRequest, validate_body

    body = validate_body(AttachmentRequest, request.json())
    return Response(201, agency.request_photo_slot(request.claims, tracking_id, body.content_type), PRIVATE)


@router.route("GET", "/agency/replies")
def list_replies(request: Request) -> Response:
    return Response(200, replies.list_replies(request.claims), PRIVATE)


@router.route("POST", "/agency/replies")
def create_reply(request: Request) -> Response:
    from lapor.models import SavedReplyInput, validate_body

    return Response(201, replies.create_reply(request.claims, validate_body(SavedReplyInput, request.json())), PRIVATE)


@router.route("PUT", "/agency/replies/{reply_id}")
def update_reply(request: Request) -> Response:
    from lapor.models import SavedReplyInput, validate_body

    body = validate_body(SavedReplyInput, request.json())
    return Response(200, replies.update_reply(request.claims, request.path_params.get("reply_id", ""), body), PRIVATE)


@router.route("DELETE", "/agency/replies/{reply_id}")
def delete_reply(request: Request) -> Response:
    replies.delete_reply(request.claims, request.path_params.get("reply_id", ""))
    return Response(204, None, PRIVATE)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return router(event, context)
