"""`lapor outbox`: the report events the relay gave up on, and re-driving them once the cause is fixed."""

from __future__ import annotations

import argparse
import json
import sys

NAME = "outbox"
HELP = (
    "list the report events the outbox relay gave up on, or re-drive them (--redrive); the running local "
    "stack, or a deployed one with --table and --queue-url"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redrive",
        nargs="*",
        metavar="TRACKING_ID",
        help="send the stuck events again now, with a fresh count of attempts (all of them, or these reports)",
    )
    parser.add_argument("--table", help="a deployed stack's ReportsTableName (AWS credentials as usual)")
    parser.add_argument("--queue-url", help="a deployed stack's ReportEventsQueueUrl (needed with --redrive)")


def run(args: argparse.Namespace) -> int:
    if args.table and not args.queue_url and args.redrive is not None:
        print("lapor outbox: --redrive on a deployed stack needs --queue-url", file=sys.stderr)
        return 2
    from lapor_local.attach import target

    deployed = {"REPORTS_TABLE": args.table, "EVENTS_QUEUE_URL": args.queue_url if args.table else None}
    problem = target(args.root, deployed, "--table and --queue-url")
    if problem:
        print(f"lapor outbox: {problem}", file=sys.stderr)
        return 2
    from lapor.relay import redrive_stuck, stuck_events

    if args.redrive is None:
        for event in stuck_events():
            print(json.dumps(event))
        return 0
    summary = redrive_stuck(args.redrive or None)
    print(json.dumps(summary))
    return 0 if summary["failed"] == 0 else 1
