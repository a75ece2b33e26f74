"""Open311 GeoReport v2, POST requests: a partner files a report with its api_key (form-encoded).

The same use case as POST /reports (lapor.reports.submit_report), with the same permissions plus one:
counting the use of a partner key.
"""

# INIT: every filing is validated as a ReportSubmission (lapor.models, built on import) and runs the use case
# of POST /reports (lapor.reports, which lapor.open311 would import on first use).
import lapor.models
import lapor.reports  # noqa: F401
from lapor import aws, crypto, open311
from lapor.http import Request, Response, Router, idempotency_key, open311_errors, open311_response
from lapor.observability import handler

# INIT, as POST /reports: every client a filing may need, each primed, and AES-GCM. No AWS call.
aws.prepare("dynamodb", "sqs", "kms", "secretsmanager")
crypto.prime()

router = Router("open311_submit", errors=open311_errors)


@router.operation("open311FileRequestJSON")
@router.operation("open311FileRequestXML")
def post_request(request: Request) -> Response:
    fmt = "xml" if request.resource.endswith(".xml") else "json"
    key = idempotency_key(request)
    answer = open311.submit_request(request.body, base_url=request.base_url, idempotency_key=key, fmt=fmt)
    headers = {"Location": f"/open311/v2/requests/{answer['service_request_id']}.{fmt}", "Cache-Control": "no-store"}
    return open311_response(201, "service_requests", [answer], fmt, headers)


lambda_handler = handler(router)
