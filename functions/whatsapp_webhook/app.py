"""GET and POST /whatsapp/webhook: Meta's verification handshake, and signed webhook calls (messages are
queued for the conversation, statuses counted)."""

from lapor import aws, crypto
from lapor.http import Request, Response, Router
from lapor.inbound import accept_webhook, verify_subscription
from lapor.observability import handler

# INIT: the clients every call needs (the secrets, the dedupe record, the queue), each primed, and AES-GCM.
aws.prepare("dynamodb", "sqs", "secretsmanager")
crypto.prime()

router = Router("whatsapp_webhook")


@router.operation("whatsappVerify")
def get_verification(request: Request) -> Response:
    return Response(200, verify_subscription(request.query), {"Cache-Control": "no-store"}, "text/plain")


@router.operation("whatsappWebhook")
def post_webhook(request: Request) -> Response:
    queued = accept_webhook(request.raw_body, request.header("X-Hub-Signature-256"))
    return Response(200, {"queued": queued}, {"Cache-Control": "no-store"})


lambda_handler = handler(router)
