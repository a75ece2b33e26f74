"""`lapor open311-key create|list|revoke`: the api_keys of Open311 partners (local stack, or a deployed table).

A key is printed once, at creation; the table keeps only its hash, its partner's name and how often it was used.
"""

from __future__ import annotations

import argparse
import json
import sys

NAME = "open311-key"
HELP = "issue, list or revoke the api_keys Open311 partners file service requests with"


def configure(parser: argparse.ArgumentParser) -> None:
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--table", help="a deployed stack's ReportsTable (default: the running local stack's)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="issue a key for a partner and print it (this once)", parents=[where])
    create.add_argument("--name", required=True, help="the partner, e.g. 'FixMyStreet Barito Utara'")
    actions.add_parser(
        "list",
        help="every key: id, partner, created, uses, reports filed, last use, revoked (never the key)",
        parents=[where],
    )
    revoke = actions.add_parser("revoke", help="revoke a key by its id (from create or list)", parents=[where])
    revoke.add_argument("--key-id", required=True)


def run(args: argparse.Namespace) -> int:
    from lapor_local.attach import target

    problem = target(args.root, {"REPORTS_TABLE": args.table}, "--table")
    if problem:
        print(f"lapor open311-key: {problem}", file=sys.stderr)
        return 2
    from lapor import open311

    if args.action == "create":
        try:
            key_id, api_key = open311.create_partner_key(args.name)
        except ValueError as error:
            print(f"lapor open311-key: {error}", file=sys.stderr)
            return 2
        print(f"key id:  {key_id}", file=sys.stderr)
        print("api_key (shown this once; lapor keeps only its hash):", file=sys.stderr)
        print(api_key)
        return 0
    if args.action == "list":
        for record in open311.partner_keys():
            print(json.dumps(record, ensure_ascii=False))
        return 0
    if open311.revoke_partner_key(args.key_id):
        print(f"revoked {args.key_id}", file=sys.stderr)
        return 0
    print(f"lapor open311-key: no active key has the id {args.key_id}", file=sys.stderr)
    return 1
