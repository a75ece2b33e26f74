"""`lapor directory export`: the live directory (as the administrators left it) in `infra/directory.json`'s format.

`infra/directory.json` stays the first seed (`lapor seed`); once a regency edits its directory in the console,
this is how the file catches up (to keep in version control, or to seed another stack with).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "directory"
HELP = "export the live directory (agencies, categories) in infra/directory.json's format; local stack, or --table"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["export"], help="export: write the directory as stored now")
    parser.add_argument("--file", type=Path, help="where to write it (default: standard output)")
    parser.add_argument("--table", help="reports table of a deployed stack (default: the local one)")


def run(args: argparse.Namespace) -> int:
    from lapor_local.attach import target

    problem = target(args.root, {"REPORTS_TABLE": args.table}, "--table")
    if problem:
        print(f"lapor directory: {problem}", file=sys.stderr)
        return 2
    from lapor.directory import Directory
    from lapor.statuses import LEVELS
    from lapor.store import read_directory

    stored = Directory.from_data(read_directory()).stored()  # checked as `lapor seed` checks a file
    # Top of the hierarchy first, as the seed file is written; ids within a level.
    stored["agencies"].sort(key=lambda a: (LEVELS.index(a["level"]), a["id"]))
    stored["categories"].sort(key=lambda c: c["code"])
    text = json.dumps(stored, ensure_ascii=False, indent=2) + "\n"
    if args.file:
        args.file.write_text(text, encoding="utf-8")
        print(f"wrote {len(stored['agencies'])} agencies and {len(stored['categories'])} categories to {args.file}")
    else:
        sys.stdout.write(text)
    return 0
