"""POST /reports: a citizen submits a report and gets a Tracking ID and a one-time access code."""

from lapor import aws, crypto
from lapor.http import Request, Response, Router, idempotency_key
from lapor.models import ReportSubmission
from lapor.observability import handler
from lapor.reports import body_fingerprint, submit_report

# INIT, in SnapStart's snapshot: every client a submission may need (KMS seals identified and confidential
# reports, Secrets Manager keys an Idempotency-Key), each primed, and AES-GCM; the router's registration
# builds the body's model (lapor.models). No AWS call.
aws.prepare("dynamodb", "sqs", "kms", "secretsmanager")
crypto.prime()

router = Router("submit_report")


@router.operation("submitReport")
def post_report(request: Request) -> Response:
    key = idempotency_key(request)
    receipt = submit_report(
        request.body_as(ReportSubmission),
        base_url=request.base_url,
        idempotency_key=key,
        fingerprint=body_fingerprint("POST /reports", request.parsed) if key else None,
    )
    headers = {"Location": f"/reports/{receipt['tracking_id']}", "Cache-Control": "no-store"}
    return Response(201, receipt, headers)


lambda_handler = handler(router)
