#!/usr/bin/env python3
"""Bancheng's two commands, for a machine with nothing but Python 3.11+ and git.

    python3 dev.py run     set up, start everything with the Shaoguan demo, Ctrl-C stops it all
    python3 dev.py test    set up, then ruff, mypy, the import rules (import-linter) and the whole pytest suite

This file uses only the standard library: it creates `.venv`, installs the project into it when
pyproject.toml changed, and hands over to `hallplatform.devtool` inside that environment.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".bancheng-installed"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_environment() -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 (this file must still explain itself on old Pythons)
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    python = venv_python()
    if not python.exists():
        print("Creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        print("Installing dependencies into .venv (first run takes a minute) …", flush=True)
        subprocess.check_call(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[dev]"],
            cwd=ROOT,
        )
        STAMP.write_text(digest)
    return python


def main() -> None:
    python = ensure_environment()
    os.chdir(ROOT)
    args = [str(python), "-m", "hallplatform.devtool", *sys.argv[1:]]
    if os.name == "nt":
        sys.exit(subprocess.call(args))
    os.execv(str(python), args)  # noqa: S606 (replaces this process with the venv's Python)


if __name__ == "__main__":
    main()
