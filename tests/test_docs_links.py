"""Every relative link of the docs (README.md, CONTRIBUTING.md, docs/*.md) points at a file of the
repository, and its ``#anchor`` at a heading of that file (GitHub's anchors): an integrator reading the
docs alone never lands on a missing page."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def without_code(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    for line in without_code(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if match:
            base = slug(match.group(1))
            n = counts.get(base, 0)
            counts[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def links(path: Path) -> list[str]:
    lines = without_code(path.read_text(encoding="utf-8"))
    return [m.group(1) for line in lines for m in LINK.finditer(re.sub(r"`[^`]*`", "", line))]


def test_the_checker_finds_links_and_anchors() -> None:
    assert slug("Authentication and hosts") == "authentication-and-hosts"
    assert slug("Tokens: `POST /api/v1/tokens/`") == "tokens-post-apiv1tokens"
    assert slug("API：令牌") == "api令牌"
    assert "layers" in anchors(ROOT / "docs" / "architecture.md")
    assert "docs/architecture.md#layers" in links(ROOT / "CONTRIBUTING.md")


def broken_links(doc: Path, root: Path = ROOT) -> list[str]:
    broken = []
    for target in links(doc):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (doc.parent / file_part).resolve() if file_part else doc
        if not resolved.exists() or (root not in resolved.parents and resolved != root):
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor}")
    return broken


def test_the_checker_reports_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Tokens: `POST /x/`\n", encoding="utf-8")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[a](api-city.md) [b](other.md#tokens-post-x) [c](other.md#nope) [d](#here) `[e](no.md)`\n"
        "```\n[f](no.md)\n```\n## Here\n[g](https://example.org/x.md)\n",
        encoding="utf-8",
    )
    assert broken_links(doc, tmp_path) == ["api-city.md: no such file", "other.md#nope: no heading #nope"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    assert broken_links(doc) == []
