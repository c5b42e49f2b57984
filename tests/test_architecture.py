"""The import rules of docs/architecture.md ("Layers"), as import-linter contracts in pyproject.toml.

`dev.py test` runs `lint-imports`; these tests check that the contracts say what the docs say, that
the list of casework's private modules is complete, and that a new import breaking a rule fails with
the contract's name and the offending chain (on a copy of the source, so the tree is untouched).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["config", "analytics", "coordination", "casework", "hallindex", "notifications", "hallplatform", "tenants"]
CASEWORK_PUBLIC_FACE = {"casework.interface", "casework.choices"}


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
    )


def test_the_contracts_have_no_ignored_imports() -> None:
    assert len(contracts()) >= 5
    assert all("ignore_imports" not in contract for contract in contracts())


def test_casework_private_modules_are_all_forbidden_to_coordination_and_analytics() -> None:
    (contract,) = [c for c in contracts() if c.get("source_modules") == ["coordination", "analytics"]]
    modules = {
        f"casework.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "casework").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert modules - CASEWORK_PUBLIC_FACE == set(contract["forbidden_modules"])


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_platform_module_importing_casework_fails_with_the_contract_and_the_chain(tmp_path: Path) -> None:
    # given a copy of the source where the platform reaches up into casework
    for name in PACKAGES:
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "templates", "static")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    audit = tmp_path / "hallplatform" / "audit" / "services.py"
    audit.write_text(audit.read_text() + "\nfrom casework.models import Case  # noqa\n")

    # when the rules are checked
    result = lint_imports(tmp_path)

    # then the run fails, naming the contract and the import
    assert result.returncode != 0
    assert "The platform and the index never import the product apps BROKEN" in result.stdout
    assert "hallplatform.audit.services -> casework.models" in result.stdout
