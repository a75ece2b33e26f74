"""`lapor retention --at <ISO time>`: run the retention job once, for a chosen moment, on the running stack."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from lapor_local.commands.escalate import _moment

NAME = "retention"
HELP = (
    "erase the personal data of reports closed longer ago than PersonalDataRetentionDays, on the running local "
    "stack, as if it were --at (ISO 8601)"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--at", type=_moment, default=None, help="e.g. 2027-12-05T09:00:00+07:00 (default: now)")


def run(args: argparse.Namespace) -> int:
    from lapor_local.attach import NoRunningStack, local_function, running_stack

    try:
        state = running_stack(args.root)
    except NoRunningStack as error:
        print(f"lapor retention: {error}", file=sys.stderr)
        return 2
    at = args.at or datetime.now(UTC)
    event = {
        "version": "0",
        "id": "lapor-retention-cli",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [],
        "detail": {},
    }
    summary = local_function(state, "ErasePersonalDataFunction").invoke(event)
    print(json.dumps({"at": at.isoformat(), **summary}))
    return 0
