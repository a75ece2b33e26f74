"""`lapor reindex-scope`: put every report in its coordinators' inboxes as the directory now says, and every open
public located report in the nearby index."""

from __future__ import annotations

import argparse
import json
import sys

NAME = "reindex-scope"
HELP = (
    "place every report in the coordinators' inbox indexes (once after deploying them, and after an agency's "
    "parent changed) and every open public located report in the nearby index (once after deploying it); the "
    "running local stack, or a deployed one with --table"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", help="a deployed stack's ReportsTableName (AWS credentials as usual)")


def run(args: argparse.Namespace) -> int:
    from lapor_local.attach import target

    problem = target(args.root, {"REPORTS_TABLE": args.table}, "--table")
    if problem:
        print(f"lapor reindex-scope: {problem}", file=sys.stderr)
        return 2
    from lapor.agency import reindex_coordinators

    print(json.dumps(reindex_coordinators()))
    return 0
