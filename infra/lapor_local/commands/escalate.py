"""`lapor escalate --at <ISO time>`: run the deadline job once, for a chosen moment, on the running stack.

Also the shape of every `lapor <job> --at` command (`lapor retention`): `scheduled_once`.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

NAME = "escalate"
HELP = "run the escalation job once on the running local stack, as if it were --at (ISO 8601)"


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--at", type=_moment, default=None, help="e.g. 2026-12-04T09:00:00+07:00 (default: now)")


def scheduled_once(args: argparse.Namespace, command: str, function: str) -> int:
    """Invoke the scheduled `function` of the running local stack once with the event EventBridge sends at
    `--at` (default now), and print its summary as one JSON line."""
    from lapor_local.attach import NoRunningStack, local_function, running_stack
    from lapor_local.eventbridge import eventbridge_event
    from lapor_local.schedule import event_time

    try:
        state = running_stack(args.root)
    except NoRunningStack as error:
        print(f"lapor {command}: {error}", file=sys.stderr)
        return 2
    at = args.at or datetime.now(UTC)
    event = eventbridge_event(
        "Scheduled Event", "aws.events", event_time(at), str(state["region"]), [], {}, event_id=f"lapor-{command}-cli"
    )
    summary = local_function(state, function).invoke(event)
    print(json.dumps({"at": at.isoformat(), **summary}))
    return 0


def run(args: argparse.Namespace) -> int:
    return scheduled_once(args, NAME, "EscalateOverdueFunction")
