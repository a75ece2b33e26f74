"""`lapor seed`: write the directory (agencies, categories) into a reports table, local or deployed."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

NAME = "seed"
HELP = "seed the directory of agencies and categories into a reports table"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", help="reports table name (default: $REPORTS_TABLE)")
    parser.add_argument("--file", type=Path, help="directory file (default: infra/directory.json)")
    parser.add_argument("--endpoint-url", help="AWS endpoint, e.g. the local stack's http://127.0.0.1:4566")


def run(args: argparse.Namespace) -> int:
    if args.table:
        os.environ["REPORTS_TABLE"] = args.table
    if not os.environ.get("REPORTS_TABLE"):
        print("lapor seed: give --table or set REPORTS_TABLE", file=sys.stderr)
        return 2
    if args.endpoint_url:
        from lapor_local.runtime import DEFAULT_REGION

        # A local endpoint takes any credentials, but boto3 still wants some and a region.
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    from lapor_local.seed import seed_directory

    agencies, categories = seed_directory(args.file)
    print(f"seeded {agencies} agencies and {categories} categories into {os.environ['REPORTS_TABLE']}")
    return 0
