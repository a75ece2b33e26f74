"""What the tests need from the machine beyond the virtualenv: a Chromium for the browser tests.

`make test` runs this module once before the test workers start (`python -m tests.provision`), and the
browser fixture asks again under the same lock, so a worker never races another for the package manager:
whoever holds the lock installs, everyone else waits for it and then finds what it installed.

The browser is the system's Chromium when there is one, else Playwright's own (`playwright install
chromium`), else, as root on Debian, Debian's `chromium` package. When none can be had, one line says what
to run. Photo metadata is read by a pip wheel (pyexiv2, which bundles exiv2), so no other system package is
needed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SYSTEM_BROWSERS = ("chromium", "chromium-browser")
INSTALL_HINT = "sudo apt-get install -y --no-install-recommends chromium   (or: python -m playwright install chromium)"
# One lock for every test run on this machine: two runs (or two workers) never drive apt-get at once.
LOCK = Path(tempfile.gettempdir()) / "lapor-tests-provision.lock"
# apt-get itself waits this long for dpkg's own lock (another apt run, unattended upgrades) before failing.
DPKG_LOCK_WAIT_SECONDS = 600


class Unavailable(Exception):
    """Nothing the tests need could be found or installed; the message says what to run."""


@contextmanager
def held(lock: Path) -> Iterator[None]:
    """An exclusive lock on `lock` for this block, waited for as long as another process holds it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    # Read-only and readable by all: another user's run (root's, say) may have made the file.
    handle = os.open(lock, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def system_browser() -> str | None:
    return next((path for name in SYSTEM_BROWSERS if (path := shutil.which(name))), None)


def _quiet(command: list[str], timeout: int, env: dict[str, str] | None = None) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=timeout, env=env).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _apt_install(package: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait = f"DPkg::Lock::Timeout={DPKG_LOCK_WAIT_SECONDS}"
    return _quiet(["apt-get", "-o", wait, "update", "-qq"], 900, env) and _quiet(
        ["apt-get", "-o", wait, "install", "-y", "-qq", "--no-install-recommends", package], 1200, env
    )


def chromium(lock: Path = LOCK) -> str | None:
    """The Chromium to launch: a path, or None for Playwright's own build. Raises Unavailable when none."""
    with held(lock):
        found = system_browser()
        if found:
            return found
        if _quiet([sys.executable, "-m", "playwright", "install", "chromium"], timeout=600):
            return None
        if os.geteuid() == 0 and shutil.which("apt-get") and _apt_install("chromium"):
            found = system_browser()
            if found:
                return found
    raise Unavailable(f"No Chromium for the browser tests, and none could be installed. Run: {INSTALL_HINT}")


def main() -> int:
    """`python -m tests.provision`: find or install what the tests need, or say in one line what to run."""
    try:
        found = chromium()
    except Unavailable as missing:
        print(f"make test: {missing}", file=sys.stderr)
        return 1
    print(f"make test: browser tests use {found or 'Playwright’s own Chromium'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
