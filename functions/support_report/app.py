""" "Dukung": one more supporter of a public report. Stores nothing about who supports."""

from lapor import aws
from lapor.http import Request, Response, Router
from lapor.observability import handler
from lapor.reporter import support

aws.prepare("dynamodb")  # INIT: the clients every request needs; no AWS call

router = Router("support_report")


@router.operation("supportReport")
def post_support(request: Request) -> Response:
    return Response(200, support(request.path_params.get("tracking_id", "")), {"Cache-Control": "no-store"})


lambda_handler = handler(router)
