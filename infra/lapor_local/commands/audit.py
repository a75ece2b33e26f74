"""`lapor audit --tracking-id <id>`: who (officer `sub`) read or changed a report, oldest first."""

from __future__ import annotations

import argparse
import json
import sys

NAME = "audit"
HELP = "print a report's audit trail, one JSON line per officer read or action (local stack, or --table)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tracking-id", required=True)
    parser.add_argument("--table", help="reports table of a deployed stack (default: the local one)")


def run(args: argparse.Namespace) -> int:
    from lapor_local.attach import target

    problem = target(args.root, {"REPORTS_TABLE": args.table}, "--table")
    if problem:
        print(f"lapor audit: {problem}", file=sys.stderr)
        return 2
    from lapor import errors
    from lapor.ids import parse_tracking_id
    from lapor.store import audit_trail

    try:
        tracking_id = parse_tracking_id(args.tracking_id)
    except errors.ReportNotFound:
        print(f"lapor audit: {args.tracking_id!r} is not a Tracking ID", file=sys.stderr)
        return 2
    for entry in audit_trail(tracking_id):
        print(json.dumps({k: v for k, v in entry.items() if k not in ("pk", "sk")}, sort_keys=True))
    return 0
