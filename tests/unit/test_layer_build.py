"""The layer ships compiled bytecode (shared/Makefile): Lambda's /opt is read-only, so without .pyc files
every cold start compiles each module it imports. These tests run the Makefile's own code step."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from lapor_local.template import load_template

from tests.conftest import ROOT

MAKEFILE = (ROOT / "shared" / "Makefile").read_text()
TEMPLATE = load_template(ROOT / "template.yaml")


def _layer(tmp_path: Path) -> Path:
    """`make layer-code` into `tmp_path` with this interpreter (sam build uses python3.12)."""
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT / "shared"),
            "layer-code",
            f"ARTIFACTS_DIR={tmp_path}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
        capture_output=True,
    )
    return tmp_path / "python"


def test_every_module_of_the_layer_has_bytecode_used_without_checking_its_source(tmp_path: Path) -> None:
    layer = _layer(tmp_path)
    tag = sys.implementation.cache_tag
    sources = sorted((layer / "lapor").glob("*.py"))
    assert len(sources) > 20
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{compiled.name}: not an unchecked-hash .pyc (flags {flags:#b})"
    # Proof the interpreter runs the bytecode as it is: a source changed after the build is not even read.
    (layer / "lapor" / "statuses.py").write_text("raise SystemExit(3)\n")
    env = {**os.environ, "PYTHONPATH": str(layer), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-c", "import lapor.statuses"], env=env, cwd=tmp_path)
    assert result.returncode == 0


def test_the_build_targets_the_templates_runtime_and_architecture() -> None:
    runtime = re.search(r"^RUNTIME := (\S+)$", MAKEFILE, re.M)
    arch = re.search(r"^ARCH +:= (\S+)$", MAKEFILE, re.M)
    assert runtime and arch
    functions = TEMPLATE["Globals"]["Function"]
    assert functions["Runtime"] == f"python{runtime.group(1)}"
    assert functions["Architectures"] == [{"aarch64": "arm64", "x86_64": "x86_64"}[arch.group(1)]]
    layer = TEMPLATE["Resources"]["SharedLayer"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": functions["Architectures"][0]}
