"""`lapor retention --at <ISO time>`: run the retention job once, for a chosen moment, on the running stack.

`lapor retention --backfill [--table <name>]`: once, after retention is first deployed, put the reports closed
or rejected before it into the retention index, so that the job finds them too. It reads each agency's closed
and rejected reports through the inbox_status index (never a scan), on the local stack or a deployed table.
"""

from __future__ import annotations

import argparse
import json
import sys

from lapor_local.commands.escalate import _moment, scheduled_once

NAME = "retention"
HELP = (
    "erase the personal data of reports closed longer ago than PersonalDataRetentionDays, on the running local "
    "stack, as if it were --at (ISO 8601); or --backfill the retention index with reports closed before it existed"
)


def configure(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--at", type=_moment, default=None, help="e.g. 2027-12-05T09:00:00+07:00 (default: now)")
    mode.add_argument(
        "--backfill",
        action="store_true",
        help="put every closed or rejected report that is not in the retention index (and was never erased) into "
        "it, from when it closed; prints what it read and did as one JSON line; safe to run again",
    )
    parser.add_argument("--table", help="with --backfill: reports table of a deployed stack (default: the local one)")


def run(args: argparse.Namespace) -> int:
    if not args.backfill:
        if args.table:
            print("lapor retention: --table goes with --backfill", file=sys.stderr)
            return 2
        return scheduled_once(args, NAME, "ErasePersonalDataFunction")
    from lapor_local.attach import target

    problem = target(args.root, {"REPORTS_TABLE": args.table}, "--table")
    if problem:
        print(f"lapor retention: {problem}", file=sys.stderr)
        return 2
    from lapor.retention import backfill_retention_index
    from lapor.store import current_directory

    agencies = sorted(current_directory().agencies)
    print(json.dumps({"agencies": len(agencies), **backfill_retention_index(agencies)}, sort_keys=True))
    return 0
