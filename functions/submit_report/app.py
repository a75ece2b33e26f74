"""POST /reports: a citizen submits a report and gets a Tracking ID and a one-time access code."""

from lapor import aws
from lapor.http import Request, Response, Router, idempotency_key
from lapor.models import ReportSubmission, build, validate_body
from lapor.observability import logger
from lapor.reports import body_fingerprint, submit_report

# INIT: what every submission needs (KMS only seals identified and confidential reports: made on first use).
aws.prepare("dynamodb", "sqs")
build(ReportSubmission)

router = Router("submit_report")


@router.route("POST", "/reports")
def post_report(request: Request) -> Response:
    key = idempotency_key(request)
    body = request.json()
    submission = validate_body(ReportSubmission, body)
    receipt = submit_report(
        submission,
        base_url=request.base_url,
        idempotency_key=key,
        fingerprint=body_fingerprint("POST /reports", body) if key else None,
    )
    headers = {"Location": f"/reports/{receipt['tracking_id']}", "Cache-Control": "no-store"}
    return Response(201, receipt, headers)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return router(event, context)
