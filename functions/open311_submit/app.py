"""Open311 GeoReport v2, POST requests: a partner files a report with its api_key (form-encoded).

The same use case as POST /reports (lapor.reports.submit_report), with the same permissions plus one:
counting the use of a partner key.
"""

import lapor.models  # noqa: F401  (INIT: every filing is validated as a ReportSubmission, built on import)
from lapor import aws, open311
from lapor.http import Request, Response, Router, idempotency_key, open311_errors, open311_response
from lapor.observability import handler

# INIT: what every filing needs, as POST /reports (KMS only seals identified and confidential reports).
aws.prepare("dynamodb", "sqs")

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
