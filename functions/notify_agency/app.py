"""report-events consumer: tells agencies (email, signed webhook) and reporters (email) what happened.

Partial batch failures are reported per record, so one failing notification never holds back the others;
a record that keeps failing ends in the dead-letter queue after the queue's maxReceiveCount.
"""

from lapor import aws
from lapor.consumer import sqs_consumer
from lapor.notify import handle_event

aws.prepare("dynamodb", "ses")  # INIT: the clients every request needs; no AWS call

lambda_handler = sqs_consumer(handle_event)
