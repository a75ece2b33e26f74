"""`lapor poster --agency <id> --out poster.svg`: a printable A4 poster with the agency's QR code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

NAME = "poster"
HELP = "write a printable A4 poster (SVG) whose QR code opens the report form for an agency"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agency", required=True, help="agency id from the directory, e.g. dpupr-barito-utara")
    parser.add_argument("--out", type=Path, default=Path("poster.svg"))
    parser.add_argument(
        "--base-url",
        default=os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:3000",
        help="public origin the QR code opens (default: $PUBLIC_BASE_URL, else the local stack)",
    )
    parser.add_argument("--directory", type=Path, default=None, help="directory file (default: infra/directory.json)")


def run(args: argparse.Namespace) -> int:
    from lapor_local.poster import write_poster

    try:
        write_poster(args.agency, args.out, args.base_url.rstrip("/"), args.directory)
    except KeyError as error:
        print(f"lapor poster: {error.args[0]}", file=sys.stderr)
        return 2
    print(f"poster for {args.agency} written to {args.out}")
    return 0
