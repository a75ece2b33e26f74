"""`lapor retention --at <ISO time>`: run the retention job once, for a chosen moment, on the running stack."""

from __future__ import annotations

import argparse

from lapor_local.commands.escalate import _moment, scheduled_once

NAME = "retention"
HELP = (
    "erase the personal data of reports closed longer ago than PersonalDataRetentionDays, on the running local "
    "stack, as if it were --at (ISO 8601)"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--at", type=_moment, default=None, help="e.g. 2027-12-05T09:00:00+07:00 (default: now)")


def run(args: argparse.Namespace) -> int:
    return scheduled_once(args, NAME, "ErasePersonalDataFunction")
