"""`lapor audit`: the audit trail, read three ways, for an operator.

- `--tracking-id <id>`: who (officer `sub`) read or changed a report, oldest first;
- `--officer <sub> --from <t> [--to <t>]`: the reports one officer account read or changed in a window (a
  stolen account's reach), one Query on the officer_audit index;
- `--settings`: every action of the regency's administrators (officers, the directory), oldest first: each
  attempt recorded before it was made (`kind` attempt), each change made with before and after (`kind` change);
- `--reports-with-contact --agency <id>`: how many reporters of an agency's reports, and of every agency
  below it, left contact data and can be told of a breach; one Query per agency on the inbox index, reading
  plain markers only (nothing is decrypted).

None of them scans the table.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

NAME = "audit"
HELP = (
    "the audit trail: a report's (--tracking-id), the administrators' (--settings), an officer account's reports in "
    "a window (--officer), or the reporters an agency can notify of a breach (--reports-with-contact); local stack, "
    "or --table"
)


def configure(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--tracking-id", help="one report's trail: one JSON line per officer read or action")
    mode.add_argument(
        "--settings",
        action="store_true",
        help="the administrators' trail: one JSON line per attempt and per change (with before and after)",
    )
    mode.add_argument(
        "--officer",
        metavar="SUB",
        help="an officer account (its token's sub): one JSON line per report it read or changed from --from to "
        "--to, with when, how, and whether that report's reporter left contact data",
    )
    mode.add_argument(
        "--reports-with-contact",
        action="store_true",
        help="with --agency: how many reports the agency and every agency below it are responsible for, and how "
        "many reporters of them left contact data (plain markers only: nothing is decrypted)",
    )
    parser.add_argument("--from", dest="start", metavar="TIME", help="with --officer: ISO 8601 with an offset")
    parser.add_argument("--to", dest="end", metavar="TIME", help="with --officer: ISO 8601 with an offset (now)")
    parser.add_argument("--agency", help="with --reports-with-contact: an agency id of the directory")
    parser.add_argument("--table", help="reports table of a deployed stack (default: the local one)")


def _stored_time(text: str) -> str:
    from lapor.timefmt import from_store, to_store

    return to_store(from_store(text))


def _usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options of a mode, or with their times (checked before touching any stack)."""
    if args.officer is not None and not args.start:
        return "--officer needs --from (and optionally --to)"
    if args.officer is None and (args.start or args.end):
        return "--from and --to go with --officer"
    if args.reports_with_contact != bool(args.agency):
        return "--reports-with-contact and --agency go together"
    for option, text in (("--from", args.start), ("--to", args.end)):
        if text:
            try:
                _stored_time(text)
            except ValueError:
                return f"{option} {text!r} is not an ISO 8601 time with an offset (e.g. 2026-12-06T08:00:00+07:00)"
    return None


def run(args: argparse.Namespace) -> int:
    from lapor_local.attach import target

    problem = _usage_problem(args) or target(args.root, {"REPORTS_TABLE": args.table}, "--table")
    if problem:
        print(f"lapor audit: {problem}", file=sys.stderr)
        return 2
    if args.officer is not None:
        return _officer(args.officer, _stored_time(args.start), _stored_time(args.end or _now()))
    if args.reports_with_contact:
        return _reachable(args.agency)
    if args.settings:
        return _settings()
    return _report(args.tracking_id)


def _settings() -> int:
    from lapor.store import SETTINGS_AUDIT, audit_trail

    for entry in audit_trail(SETTINGS_AUDIT):
        print(json.dumps({k: v for k, v in entry.items() if k not in ("pk", "sk")}, sort_keys=True, default=str))
    return 0


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _report(text: str) -> int:
    from lapor import errors
    from lapor.ids import parse_tracking_id
    from lapor.store import audit_trail

    try:
        tracking_id = parse_tracking_id(text)
    except errors.ReportNotFound:
        print(f"lapor audit: {text!r} is not a Tracking ID", file=sys.stderr)
        return 2
    for entry in audit_trail(tracking_id):
        print(json.dumps({k: v for k, v in entry.items() if k not in ("pk", "sk")}, sort_keys=True))
    return 0


def by_report(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit entries (oldest first) as one summary per report, in the order the account first reached them."""
    reports: dict[str, dict[str, Any]] = {}
    for entry in entries:
        summary = reports.setdefault(
            entry["tracking_id"],
            {"tracking_id": entry["tracking_id"], "first_at": entry["at"], "accesses": {}, "actions": []},
        )
        summary["last_at"] = entry["at"]
        summary["accesses"][entry["access"]] = summary["accesses"].get(entry["access"], 0) + 1
        if entry.get("action"):
            summary["actions"].append(entry["action"])
    return list(reports.values())


def _officer(sub: str, start: str, end: str) -> int:
    from lapor.store import get_report, has_contact, officer_audit

    reports = by_report(officer_audit(sub, start, end))
    for summary in reports:
        # "read" opened the report with its reporter's identity (the only read that decrypts it).
        item = get_report(summary["tracking_id"], ("anonymous", "has_contact", "agency_id")) or {}
        summary.update(agency_id=item.get("agency_id"), reporter_has_contact=has_contact(item) if item else None)
        print(json.dumps(summary, sort_keys=True))
    print(f"{len(reports)} report(s) read or changed by {sub} from {start} to {end}", file=sys.stderr)
    return 0


def _reachable(agency_id: str) -> int:
    from lapor.store import agency_reachability, current_directory, has_contact

    directory = current_directory()
    if directory.agency(agency_id) is None:
        print(f"lapor audit: no agency {agency_id!r} in the directory", file=sys.stderr)
        return 2
    by_agency = {}
    for agency in [agency_id, *sorted(directory.descendants(agency_id))]:
        reports = list(agency_reachability(agency))
        by_agency[agency] = {"reports": len(reports), "with_contact": sum(has_contact(r) for r in reports)}
    total = {
        "agency_id": agency_id,
        "reports": sum(counts["reports"] for counts in by_agency.values()),
        "with_contact": sum(counts["with_contact"] for counts in by_agency.values()),
        "by_agency": by_agency,
    }
    print(json.dumps(total, sort_keys=True))
    return 0
