"""Seeding the directory (agencies and categories) from its data file into the store: tooling for `lapor seed`
and the local stack, never part of the Lambda layer (the functions only read the directory)."""

from __future__ import annotations

import json
from pathlib import Path

from lapor import store
from lapor.directory import Directory
from lapor.store import forget_directory

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[1] / "directory.json"


def seed_directory(path: Path | None = None) -> tuple[int, int]:
    """Check the directory file and write it into the reports table; returns (agencies, categories)."""
    data = json.loads((path or DEFAULT_DIRECTORY).read_text(encoding="utf-8"))
    directory = Directory.from_data(data)  # fails loudly on a broken file, before anything is written
    store.write_directory(data)
    forget_directory()
    return len(directory.agencies), len(directory.categories)
