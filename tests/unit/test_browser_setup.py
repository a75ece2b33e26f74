"""`make test` finds or installs its browser once: system Chromium, else Playwright's, else Debian's as root.

The machine is pretend (which browsers exist, what installing does, whether we are root); the lock is real.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests import provision


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """A pretend machine whose state lives in files, so that forked workers share it as real ones would:
    a browser exists when its file does; apt-get takes `install_seconds` and, like dpkg, fails at once
    while another apt-get holds its lock."""
    state: dict[str, Any] = {
        "dir": tmp_path,
        "playwright_ok": False,
        "apt_works": False,
        "root": False,
        "install_seconds": 0.0,
        "lock": tmp_path / "provision.lock",
    }
    browser_file, dpkg_lock, ran = tmp_path / "chromium", tmp_path / "dpkg.lock", tmp_path / "ran.log"

    def which(name: str) -> str | None:
        if name == "apt-get":
            return "/usr/bin/apt-get"
        return str(browser_file) if name == "chromium" and browser_file.exists() else None

    def run(command: list[str], **kwargs: Any) -> Any:
        with ran.open("a") as log:
            log.write(" ".join(command[-3:]) + "\n")
        ok = True
        if command[1:3] == ["-m", "playwright"]:
            ok = state["playwright_ok"]
        elif command[0] == "apt-get":
            ok = state["apt_works"]
            if ok and "install" in command:
                try:
                    held = os.open(dpkg_lock, os.O_CREAT | os.O_EXCL)
                except FileExistsError:
                    ok = False  # "Could not get lock /var/lib/dpkg/lock-frontend"
                else:
                    time.sleep(state["install_seconds"])
                    browser_file.write_text("#!/bin/sh\n")
                    os.close(held)
                    dpkg_lock.unlink()
        return type("Done", (), {"returncode": 0 if ok else 1})()

    monkeypatch.setattr(provision.shutil, "which", which)
    monkeypatch.setattr(provision.subprocess, "run", run)
    monkeypatch.setattr(provision.os, "geteuid", lambda: 0 if state["root"] else 1000)
    state["ran"] = lambda: ran.read_text().splitlines() if ran.exists() else []
    state["browser"] = str(browser_file)
    return state


def test_the_system_chromium_is_used_when_there_is_one(machine: dict[str, Any]) -> None:
    Path(machine["browser"]).write_text("")
    assert provision.chromium(machine["lock"]) == machine["browser"]
    assert machine["ran"]() == []


def test_else_playwright_installs_its_own(machine: dict[str, Any]) -> None:
    machine["playwright_ok"] = True
    assert provision.chromium(machine["lock"]) is None  # Playwright's own build
    assert machine["ran"]() == ["playwright install chromium"]


def test_else_root_on_debian_installs_the_chromium_package_waiting_for_dpkgs_lock(machine: dict[str, Any]) -> None:
    machine["root"], machine["apt_works"] = True, True
    assert provision.chromium(machine["lock"]) == machine["browser"]
    ran = machine["ran"]()
    assert "-qq --no-install-recommends chromium" in ran and "update -qq" in ran[1]


def test_when_nothing_works_one_line_says_what_to_run(machine: dict[str, Any]) -> None:
    with pytest.raises(provision.Unavailable, match="apt-get install -y --no-install-recommends chromium") as caught:
        provision.chromium(machine["lock"])
    assert "\n" not in str(caught.value)
    assert machine["ran"]() == ["playwright install chromium"], "not root: apt-get is never run"


def _worker(lock: Path, results: Any) -> None:
    try:
        results.put(provision.chromium(lock))
    except provision.Unavailable as missing:
        results.put(f"failed: {missing}")


def test_two_workers_asking_at_once_both_get_the_browser_and_it_is_installed_once(machine: dict[str, Any]) -> None:
    """What broke a newcomer's first `make test`: two xdist workers ran apt-get at the same moment, one lost
    dpkg's lock and failed every browser test it held."""
    machine["root"], machine["apt_works"], machine["install_seconds"] = True, True, 1.0
    forked = multiprocessing.get_context("fork")  # the workers inherit this pretend machine
    results = forked.Queue()
    workers = [forked.Process(target=_worker, args=(machine["lock"], results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert answers == [machine["browser"], machine["browser"]]
    installs = [line for line in machine["ran"]() if line.endswith("--no-install-recommends chromium")]
    assert len(installs) == 1, "the second worker waited and found the first one's browser"


def test_without_the_lock_the_same_two_workers_would_race(machine: dict[str, Any], monkeypatch: Any) -> None:
    """The pretend machine reproduces the failure, so the test above can fail."""
    import contextlib

    monkeypatch.setattr(provision, "held", lambda lock: contextlib.nullcontext())
    machine["root"], machine["apt_works"], machine["install_seconds"] = True, True, 3.0
    forked = multiprocessing.get_context("fork")
    results = forked.Queue()
    workers = [forked.Process(target=_worker, args=(machine["lock"], results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    answers = sorted(str(results.get(timeout=30)) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    assert answers[0] == machine["browser"] and answers[1].startswith("failed: No Chromium")


def _take_as(uid: int | None, lock: Path) -> int:
    """Take the lock in a forked child, as user `uid` (None: as this user); its exit status."""
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's exit status is the result
        status = 1
        try:
            if uid is not None:
                os.setgid(uid)
                os.setuid(uid)
            with provision.held(lock):
                status = 0
        finally:
            os._exit(status)
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])


def test_a_lock_file_another_user_made_can_still_be_waited_on() -> None:
    """A root run leaves the lock file behind, 0644 and root's: a normal user's run must still take it."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="lapor-lock-"))
    try:
        folder.chmod(0o755)
        lock = folder / "provision.lock"
        lock.touch()
        lock.chmod(0o444)  # what a normal user sees of root's file: not writable
        assert _take_as(65534 if os.geteuid() == 0 else None, lock) == 0
    finally:
        shutil.rmtree(folder)
