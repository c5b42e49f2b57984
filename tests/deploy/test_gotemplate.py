"""The test renderer of Helm templates (tests/deploy/gotemplate.py) behaves like Go's text/template and
Helm's functions on what the chart uses: the expected outputs are what helm prints."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.gotemplate import Renderer, TemplateError, coalesce, go_str, parse


def render(source: str, dot: Any) -> str:
    defines: dict[str, Any] = {}
    nodes = parse(source, defines, "test")
    return Renderer(defines).render(nodes, dot, {"$": dot})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a  {{- 1 -}}  b", "a1b"),
        ("a\n  {{- /* comment */}}\nb", "a\nb"),
        ("x:\n  {{- if .on }}\n  y: 1\n  {{- end }}\nz", "x:\n  y: 1\nz"),
        ("{{ if .off }}A{{ else if .on }}B{{ else }}C{{ end }}", "B"),
        ("{{ range $k, $v := .map }}{{ $k }}={{ $v }};{{ end }}", "a=1;b=2;"),
        ("{{ range .list }}[{{ . }}]{{ else }}none{{ end }}", "[x][y]"),
        ("{{ range .empty }}[{{ . }}]{{ else }}none{{ end }}", "none"),
        ("{{ with .map }}{{ .b }}{{ end }}{{ with .empty }}no{{ else }}else{{ end }}", "2else"),
        ('{{ $n := printf "%s-%s" "rel" .name }}{{ $n }}', "rel-bancheng"),
        ('{{ define "t" }}k: {{ .x }}{{ end }}v:{{ include "t" (dict "x" 5) | nindent 2 }}', "v:\n  k: 5"),
        ("{{ .big }} {{ .int }} {{ .float }} {{ .on }}", "1e+06 8000 0.5 true"),
        ("{{ .int | quote }} {{ .on | quote }} {{ .name | quote }}", '"8000" "true" "bancheng"'),
        ('{{ default "d" .none }} {{ default "d" .name }} {{ default 3 0 }}', "d bancheng 3"),
        ("{{ toYaml .map | indent 2 }}", "  a: 1\n  b: 2"),
        ("{{ toYaml .list }}", "- x\n- y"),
        ('{{ "name-" | trimSuffix "-" }} {{ "abcdef" | trunc 3 }}', "name abc"),
        ('{{ ternary "1" "0" .on }}{{ ternary "1" "0" .off }}', "10"),
        ("{{ if and .on (not .off) }}yes{{ end }}{{ if or .off .none }}no{{ end }}", "yes"),
        ('{{ if contains "ban" .name }}in{{ end }}', "in"),
        ('{{ index .map "b" }}', "2"),
        ("{{ if eq .int 8000 }}eq{{ end }}", "eq"),
    ],
)
def test_go_template_semantics(source: str, expected: str) -> None:
    dot = {
        "on": True, "off": False, "none": None, "name": "bancheng", "map": {"b": 2, "a": 1},
        "list": ["x", "y"], "empty": [], "int": 8000, "big": 1000000, "float": 0.5,
    }  # fmt: skip
    assert render(source, dot) == expected


def test_a_missing_key_is_an_error_not_an_empty_value() -> None:
    with pytest.raises(TemplateError, match=r"\.Values\.web\.replicas: no such key"):
        render("{{ .Values.web.replicas }}", {"Values": {"web": {"replicaCount": 2}}})


def test_an_unclosed_block_is_an_error() -> None:
    with pytest.raises(TemplateError, match="not closed"):
        render("{{ if .on }}x", {"on": True})


def test_values_coalesce_like_helm() -> None:
    base = {"a": {"b": 1, "c": [1, 2], "d": "x"}, "e": 1}
    override = {"a": {"b": 2, "c": [3], "d": None}, "f": {"g": 1}}

    assert coalesce(base, override) == {"a": {"b": 2, "c": [3]}, "e": 1, "f": {"g": 1}}
    assert base == {"a": {"b": 1, "c": [1, 2], "d": "x"}, "e": 1}


@pytest.mark.parametrize(
    ("value", "printed"),
    [(0, "0"), (2, "2"), (123456, "123456"), (1000000, "1e+06"), (1400000000, "1.4e+09"), (0.25, "0.25"),
     (None, ""), (False, "false"), ("文", "文")],
)  # fmt: skip
def test_go_printing(value: Any, printed: str) -> None:
    assert go_str(value) == printed
