"""`lapor run`: the whole system on this machine, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lapor_local.stack import LocalStack

NAME = "run"
HELP = "start the local stack: the API and a local AWS endpoint (moto), from template.yaml"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", "3000")))
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("AWS_PORT", "4566")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--no-schedules", action="store_true", help="do not fire the scheduled functions")


def run(args: argparse.Namespace) -> int:
    from lapor_local.stack import LocalStack

    logger = logging.getLogger("lapor.local")
    logger.setLevel(logging.INFO)
    logger.propagate = False  # "lapor" is also the functions' logger: keep these lines out of it
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)

    stopping = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())

    stack = LocalStack(
        args.root, api_port=args.api_port, aws_port=args.aws_port, host=args.host, schedules=not args.no_schedules
    )
    try:
        stack.start()
    except Exception:
        logger.exception("lapor local stack did not start")
        return 1
    try:
        print(_ready_message(stack), flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        stack.stop()
    print("lapor local stack stopped", flush=True)
    return 0


def _ready_message(stack: LocalStack) -> str:
    tables = [resource.name for resource in stack.resources if resource.type == "AWS::DynamoDB::Table"]
    queues = [resource.name for resource in stack.resources if resource.type == "AWS::SQS::Queue"]
    example = f"   (e.g. aws --endpoint-url {stack.aws_url} dynamodb scan --table-name {tables[0]})" if tables else ""
    lines = ["lapor local stack is ready", f"  API:  {stack.api_url}", f"  AWS:  {stack.aws_url}{example}"]
    if tables:
        lines.append(f"  tables: {', '.join(tables)}")
    if queues:
        lines.append(f"  queues: {', '.join(queues)}")
    return "\n".join(lines)
