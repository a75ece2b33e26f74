"""The `lapor` command. Each subcommand is a small module in `lapor_local.commands`, listed in COMMANDS.

A subcommand module defines `NAME`, `HELP`, `configure(parser)` and `run(args) -> int` (the exit code);
it imports anything heavy inside `run`, so that `lapor dev-token` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from pathlib import Path

COMMANDS = (
    "lapor_local.commands.run",
    "lapor_local.commands.dev_token",
    "lapor_local.commands.seed",
    "lapor_local.commands.directory",
    "lapor_local.commands.escalate",
    "lapor_local.commands.retention",
    "lapor_local.commands.poster",
    "lapor_local.commands.webhook_secret",
    "lapor_local.commands.audit",
    "lapor_local.commands.open311_key",
    "lapor_local.commands.outbox",
    "lapor_local.commands.whatsapp",
    "lapor_local.commands.reindex_scope",
)


def default_root() -> Path:
    """The repository holding `template.yaml`: two levels above this package, else the current folder."""
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "template.yaml").exists() else Path.cwd()


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root", type=Path, default=None, help="repository root holding template.yaml (default: this checkout)"
    )
    parser = argparse.ArgumentParser(prog="lapor", description="lapor's local tooling")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMANDS:
        module = importlib.import_module(module_name)
        subparser = subcommands.add_parser(module.NAME, help=module.HELP, description=module.HELP, parents=[common])
        module.configure(subparser)
        subparser.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.root = (args.root or default_root()).resolve()
    return int(args.handler(args))
