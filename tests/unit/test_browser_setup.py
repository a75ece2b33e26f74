"""`make test` finds or installs its browser: system Chromium, else Playwright's, else Debian's as root."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import conftest as browser_setup


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A pretend machine: which browsers exist, what installing does, whether we are root; and what ran."""
    state: dict[str, Any] = {"browsers": {}, "playwright_ok": False, "apt_installs": None, "root": False, "ran": []}

    def which(name: str) -> str | None:
        return state["browsers"].get(name)

    def run(command: list[str], **kwargs: Any) -> Any:
        state["ran"].append(command)
        ok = True
        if command[:3] == [browser_setup.sys.executable, "-m", "playwright"]:
            ok = state["playwright_ok"]
        elif command[:2] == ["apt-get", "install"] and state["apt_installs"]:
            state["browsers"]["chromium"] = state["apt_installs"]
        elif command[0] == "apt-get" and state["apt_installs"] is None:
            ok = False
        return type("Done", (), {"returncode": 0 if ok else 1})()

    monkeypatch.setattr(
        browser_setup.shutil, "which", lambda name: which(name) if name != "apt-get" else "/usr/bin/apt-get"
    )
    monkeypatch.setattr(browser_setup.subprocess, "run", run)
    monkeypatch.setattr(browser_setup.os, "geteuid", lambda: 0 if state["root"] else 1000)
    return state


def test_the_system_chromium_is_used_when_there_is_one(machine: dict[str, Any]) -> None:
    machine["browsers"]["chromium"] = "/usr/bin/chromium"
    assert browser_setup.browser_executable() == "/usr/bin/chromium"
    assert machine["ran"] == []


def test_else_playwright_installs_its_own(machine: dict[str, Any]) -> None:
    machine["playwright_ok"] = True
    assert browser_setup.browser_executable() is None  # Playwright's own build
    assert machine["ran"][0][-3:] == ["playwright", "install", "chromium"]


def test_else_root_on_debian_installs_the_chromium_package(machine: dict[str, Any]) -> None:
    machine["root"], machine["apt_installs"] = True, "/usr/bin/chromium"
    assert browser_setup.browser_executable() == "/usr/bin/chromium"
    assert ["apt-get", "update", "-qq"] in machine["ran"]


def test_when_all_three_fail_the_tests_fail_with_the_command_to_run(machine: dict[str, Any]) -> None:
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y --no-install-recommends chromium"):
        browser_setup.browser_executable()
    assert not any(command[0] == "apt-get" for command in machine["ran"]), "not root: nothing is installed"
