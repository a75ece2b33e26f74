"""`lapor dev-token`: a bearer token for the agency API that the local stack accepts."""

from __future__ import annotations

import argparse

from lapor_local.devtoken import ROLES, dev_token_secret, mint_dev_token

NAME = "dev-token"
HELP = "print a bearer token for the agency API of the local stack"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agency", required=True, help="agency id, e.g. dpupr-barito-utara")
    parser.add_argument("--role", choices=ROLES, default="officer")
    parser.add_argument("--hours", type=float, default=8.0, help="validity in hours (default 8)")


def run(args: argparse.Namespace) -> int:
    print(mint_dev_token(dev_token_secret(args.root), args.agency, args.role, args.hours))
    return 0
