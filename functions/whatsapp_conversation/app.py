"""The WhatsApp queue's consumer: each message moves its sender's conversation on (lapor.chat.converse)."""

import lapor.models  # noqa: F401  (INIT: filing validates with the models of POST /reports, built on import)
from lapor import aws, crypto
from lapor.chat import converse
from lapor.consumer import sqs_consumer

# INIT: every client a message may need (state and limits, filing, lookups, secrets, events), each primed.
aws.prepare("dynamodb", "sqs", "kms", "secretsmanager", "s3")
crypto.prime()

lambda_handler = sqs_consumer(converse)
