"""The reporter's private door: their own view, answering the agency, rating the response, and their rights
over their data (export, correct or erase the contact).

Every route needs the access code (X-Access-Code); it is never logged and never echoed back.
"""

from lapor import aws, crypto, reporter, rights
from lapor.http import Request, Response, Router
from lapor.models import AttachmentRequest, RatingRequest, Reporter, ReporterMessage
from lapor.observability import handler

# INIT, in SnapStart's snapshot: every route opens the report (KMS, AES-GCM), messages and ratings send
# events (SQS); each client primed. No AWS call.
aws.prepare("dynamodb", "kms", "sqs")
crypto.prime()

router = Router("reporter_access")
PRIVATE = {"Cache-Control": "no-store"}


def _code(request: Request) -> str | None:
    return request.header("X-Access-Code")


@router.operation("getPrivateReport")
def private_view(request: Request) -> Response:
    view = reporter.reporter_view(request.path_params.get("tracking_id", ""), _code(request))
    return Response(200, view, PRIVATE)


@router.operation("postReporterMessage")
def post_message(request: Request) -> Response:
    message = request.body_as(ReporterMessage).message
    view = reporter.post_message(request.path_params.get("tracking_id", ""), _code(request), message)
    return Response(201, view, PRIVATE)


@router.operation("postRating")
def post_rating(request: Request) -> Response:
    body = request.body_as(RatingRequest)
    view = reporter.rate(request.path_params.get("tracking_id", ""), _code(request), body.score, body.comment)
    return Response(201, view, PRIVATE)


@router.operation("postReporterAttachment")
def post_attachment(request: Request) -> Response:
    content_type = request.body_as(AttachmentRequest).content_type
    slot = reporter.request_photo_slot(request.path_params.get("tracking_id", ""), _code(request), content_type)
    return Response(201, slot, PRIVATE)


@router.operation("exportPersonalData")
def export_personal_data(request: Request) -> Response:
    export = rights.export_personal_data(request.path_params.get("tracking_id", ""), _code(request))
    return Response(200, export, PRIVATE)


@router.operation("correctContact")
def correct_contact(request: Request) -> Response:
    contact = request.body_as(Reporter).model_dump(exclude_none=True)
    view = rights.correct_contact(request.path_params.get("tracking_id", ""), _code(request), contact)
    return Response(200, view, PRIVATE)


@router.operation("eraseContact")
def erase_contact(request: Request) -> Response:
    rights.erase_contact(request.path_params.get("tracking_id", ""), _code(request))
    return Response(204, None, PRIVATE)


lambda_handler = handler(router)
