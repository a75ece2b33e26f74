"""`lapor webhook-secret --agency <id>`: the secret an agency uses to check X-Lapor-Signature."""

from __future__ import annotations

import argparse
import sys

NAME = "webhook-secret"
HELP = "print the signing secret of an agency's webhook (local stack, or a deployed one with --secret-arn)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agency", required=True)
    parser.add_argument("--secret-arn", help="WebhookSigningSecret ARN of a deployed stack (default: the local one)")


def run(args: argparse.Namespace) -> int:
    from lapor_local.attach import target

    problem = target(args.root, {"WEBHOOK_SECRET_ARN": args.secret_arn}, "--secret-arn")
    if problem:
        print(f"lapor webhook-secret: {problem}", file=sys.stderr)
        return 2
    from lapor.channels import webhook_secret

    print(webhook_secret(args.agency))
    return 0
