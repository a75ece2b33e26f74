"""POST /reports: a citizen submits a report and gets a Tracking ID and a one-time access code."""

from lapor import aws, bodies
from lapor.http import Request, Response, Router, idempotency_key
from lapor.observability import logger
from lapor.reports import body_fingerprint, submit_report

# INIT: what every submission needs (KMS only seals identified and confidential reports: made on first use).
aws.prepare("dynamodb", "sqs")
bodies.prepare("ReportSubmission")

router = Router("submit_report")


@router.operation("submitReport")
def post_report(request: Request) -> Response:
    key = idempotency_key(request)
    receipt = submit_report(
        request.validated(),
        base_url=request.base_url,
        idempotency_key=key,
        fingerprint=body_fingerprint("POST /reports", request.parsed) if key else None,
    )
    headers = {"Location": f"/reports/{receipt['tracking_id']}", "Cache-Control": "no-store"}
    return Response(201, receipt, headers)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return router(event, context)
