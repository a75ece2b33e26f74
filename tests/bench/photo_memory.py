"""The photo function's peak memory for the worst picture it accepts, by format, mode and orientation.

Each picture has exactly `MAX_PIXELS` pixels and is cleaned in a fresh interpreter whose own peak (VmHWM)
is read (tests/photos.py): the figure against the function's MemorySize is what decides whether a reporter
can make it run out of memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests import photos


def measure(root: Path, progress: Callable[[str], None]) -> dict[str, Any]:
    """{"KIND MODE": {orientation: {"outcome", "peak_mb"}}} for every worst case."""
    results: dict[str, Any] = {}
    for kind, mode in photos.WORST_KINDS:
        progress(f"photo memory: {kind} {mode}, orientations {photos.ORIENTATIONS[0]}-{photos.ORIENTATIONS[-1]}")
        results[f"{kind} {mode}"] = {
            orientation: photos.cleaning_peak(photos.worst_accepted(kind, mode, orientation), root)
            for orientation in photos.ORIENTATIONS
        }
    return results
