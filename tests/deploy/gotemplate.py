"""A small renderer of Helm charts, for tests on machines without the helm binary.

It implements the part of Go's text/template and of Helm's functions that helm/bancheng uses, with
their semantics where they matter for the output:

* actions with trim markers (``{{-``, ``-}}``) and comments; ``if``/``else if``/``else``, ``range``
  (lists and maps in sorted key order, with ``$i, $v :=``), ``with``, ``define``, ``template``,
  variables (``$x :=``, ``$x =``, ``$``), pipelines, parenthesised pipelines, field chains;
* Go's truth (false, 0, nil, empty string, list or map are false) and printing (numbers of a values
  file are float64 in Helm: 1000000 prints as ``1e+06``);
* the functions include, toYaml, indent, nindent, quote, default, printf, print, trunc, trimSuffix,
  trim, replace, contains, dict, list, index, ternary, sha256sum, not, and, or, eq, ne, empty, required;
* values: the chart's values.yaml coalesced with the given files as helm does (maps merged, lists
  replaced, null removes a key).

It is stricter than helm in one way, on purpose: a missing map key is an error rather than an empty
value, so that a template reading a value that values.yaml lacks fails the tests.

It is not helm: no ``lookup``, no ``.Capabilities`` beyond a fixed version, no subcharts, no hooks'
ordering. `helm lint` and `helm template` remain the operator's checks (helm/bancheng/README.md).

    python -m tests.deploy.gotemplate helm/bancheng -f helm/bancheng/ci/production-values.yaml
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class TemplateError(Exception):
    pass


# --- lexing -------------------------------------------------------------------------------------

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_WS = " \t\r\n"


def _split(source: str) -> list[tuple[str, str]]:
    """[("text", ...), ("action", ...)] with the trim markers applied to the texts around them."""
    parts: list[tuple[str, str]] = []
    position = 0
    trim_next = False
    for match in _ACTION.finditer(source):
        text = source[position : match.start()]
        if trim_next:
            text = text.lstrip(_WS)
        if match.group(1):
            text = text.rstrip(_WS)
        parts.append(("text", text))
        parts.append(("action", match.group(2).strip()))
        trim_next = bool(match.group(3))
        position = match.end()
    text = source[position:]
    parts.append(("text", text.lstrip(_WS) if trim_next else text))
    return parts


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<raw>`[^`]*`)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<declare>:=)
      | (?P<assign>=)
      | (?P<pipe>\|)
      | (?P<open>\()
      | (?P<close>\))
      | (?P<comma>,)
      | (?P<variable>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


def _tokens(action: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while position < len(action):
        if action[position:].strip() == "":
            break
        match = _TOKEN.match(action, position)
        if match is None or match.end() == position:
            raise TemplateError(f"cannot read {action[position:]!r} in {{{{ {action} }}}}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


# --- parsing ------------------------------------------------------------------------------------


@dataclass
class Pipeline:
    declare: list[str]
    assign: bool  # `$x = ...` rather than `$x := ...`
    commands: list[list[Any]]  # each command: operands; an operand is a token or a nested Pipeline


@dataclass
class Node:
    kind: str  # text | output | if | range | with | template
    text: str = ""
    pipeline: Pipeline | None = None
    body: list[Node] = field(default_factory=list)
    orelse: list[Node] = field(default_factory=list)
    name: str = ""


def _parse_pipeline(tokens: list[tuple[str, str]]) -> Pipeline:
    declare: list[str] = []
    assign = False
    for index, (kind, _value) in enumerate(tokens):
        if kind in ("declare", "assign"):
            declare = [value for k, value in tokens[:index] if k == "variable"]
            assign = kind == "assign"
            tokens = tokens[index + 1 :]
            break

    def read(position: int) -> tuple[list[list[Any]], int]:
        commands: list[list[Any]] = [[]]
        while position < len(tokens):
            kind, value = tokens[position]
            if kind == "pipe":
                commands.append([])
            elif kind == "open":
                inner, position = read(position + 1)
                operand: Any = Pipeline([], False, inner)
                # (pipeline).Field
                if position + 1 < len(tokens) and tokens[position + 1][0] == "field" and tokens[position + 1][1] != ".":
                    position += 1
                    operand = ("chain", operand, tokens[position][1])
                commands[-1].append(operand)
            elif kind == "close":
                return commands, position
            else:
                commands[-1].append((kind, value))
            position += 1
        return commands, position

    commands, _ = read(0)
    return Pipeline(declare, assign, commands)


def _keyword(action: str) -> tuple[str, str]:
    match = re.match(r"(if|else if|else with|else|end|range|with|define|template|block)\b\s*(.*)", action, re.DOTALL)
    if match is None:
        return "", action
    return match.group(1), match.group(2)


def parse(source: str, defines: dict[str, list[Node]], origin: str) -> list[Node]:
    root: list[Node] = []
    # stack of (node, which list we are filling)
    stack: list[tuple[Node | None, list[Node]]] = [(None, root)]
    for kind, content in _split(source):
        current = stack[-1][1]
        if kind == "text":
            if content:
                current.append(Node("text", text=content))
            continue
        if content.startswith("/*"):
            if not content.endswith("*/"):
                raise TemplateError(f"{origin}: unterminated comment")
            continue
        keyword, rest = _keyword(content)
        if keyword in ("if", "range", "with"):
            node = Node(keyword, pipeline=_parse_pipeline(_tokens(rest)))
            current.append(node)
            stack.append((node, node.body))
        elif keyword == "define":
            name = json.loads(rest.strip())
            node = Node("define", name=name)
            stack.append((node, node.body))
        elif keyword == "template":
            tokens = _tokens(rest)
            name = json.loads(tokens[0][1])
            node = Node("template", name=name, pipeline=_parse_pipeline(tokens[1:]) if tokens[1:] else None)
            current.append(node)
        elif keyword in ("else", "else if", "else with"):
            owner = stack[-1][0]
            if owner is None or owner.kind not in ("if", "range", "with"):
                raise TemplateError(f"{origin}: else outside if/range/with")
            stack[-1] = (owner, owner.orelse)
            if keyword != "else":
                nested = Node(keyword.split()[1], pipeline=_parse_pipeline(_tokens(rest)))
                owner.orelse.append(nested)
                # the nested node shares the owner's {{ end }}: marked, so that `end` closes both
                nested.name = "chained"
                stack.append((nested, nested.body))
        elif keyword == "end":
            while True:
                if len(stack) == 1:
                    raise TemplateError(f"{origin}: end without a block")
                node, _ = stack.pop()
                assert node is not None
                if node.kind == "define":
                    defines[node.name] = node.body
                if node.name != "chained":
                    break
        elif keyword == "block":
            raise TemplateError(f"{origin}: block is not supported")
        else:
            current.append(Node("output", pipeline=_parse_pipeline(_tokens(content))))
    if len(stack) != 1:
        raise TemplateError(f"{origin}: a block is not closed")
    return root


# --- values and printing ------------------------------------------------------------------------


def truth(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str | list | dict | tuple):
        return len(value) > 0
    return True


def go_float(value: float) -> str:
    """Go's %v of a float64: strconv's 'g' with the shortest digits, in %e form from exponent 6 on."""
    if value == 0:
        return "0"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    digits, exponent = _shortest(abs(value))
    sign = "-" if value < 0 else ""
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"
    if exponent >= len(digits) - 1:
        return sign + digits + "0" * (exponent - len(digits) + 1)
    if exponent >= 0:
        return sign + digits[: exponent + 1] + "." + digits[exponent + 1 :]
    return sign + "0." + "0" * (-exponent - 1) + digits


def _shortest(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of a positive float and its decimal exponent."""
    mantissa, _, exponent = f"{value:.17e}".partition("e")
    for precision in range(1, 18):
        candidate = f"{value:.{precision - 1}e}"
        if float(candidate) == value:
            mantissa, _, exponent = candidate.partition("e")
            break
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    return digits, int(exponent)


class GoInt(int):
    """An int64 made by Sprig's ``int`` (numbers read from values are float64 in Go)."""


def go_str(value: Any) -> str:
    """How Go's fmt prints a value of a Helm chart (%v)."""
    if value is None:
        return ""  # Helm replaces "<no value>" with nothing
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, GoInt):
        return str(int(value))
    if isinstance(value, int | float):
        return go_float(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(go_str(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{go_str(value[key])}" for key in sorted(value)) + "]"
    return str(value)


def to_yaml(value: Any) -> str:
    if value is None:
        return "null"
    text = yaml.safe_dump(value, sort_keys=True, default_flow_style=False, allow_unicode=True, width=10**6)
    if text.endswith("\n...\n"):
        text = text[: -len("...\n")]
    return text.rstrip("\n")


def indent(spaces: int, text: str) -> str:
    pad = " " * int(spaces)
    return pad + text.replace("\n", "\n" + pad)


def printf(form: str, *args: Any) -> str:
    values = iter(args)

    def substitute(match: re.Match[str]) -> str:
        verb = match.group(0)
        if verb == "%%":
            return "%"
        value = next(values)
        if verb == "%d":
            return str(int(value))
        if verb == "%q":
            return json.dumps(go_str(value), ensure_ascii=False)
        return go_str(value)

    return re.sub(r"%[sdvq%]", substitute, form)


def quote(*args: Any) -> str:
    return " ".join(json.dumps(go_str(arg), ensure_ascii=False) for arg in args if arg is not None)


def go_eq(first: Any, *others: Any) -> bool:
    def norm(value: Any) -> Any:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    return any(norm(first) == norm(other) for other in others)


def required(message: str, value: Any) -> Any:
    if value is None or value == "":
        raise TemplateError(f"required: {message}")
    return value


def index(collection: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(collection, dict):
            if key not in collection:
                raise TemplateError(f"index: no key {key!r}")
            collection = collection[key]
        else:
            collection = collection[int(key)]
    return collection


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "toYaml": to_yaml,
    "indent": indent,
    "nindent": lambda spaces, text: "\n" + indent(spaces, text),
    "quote": quote,
    "default": lambda fallback, *given: given[0] if given and truth(given[0]) else fallback,
    "printf": printf,
    "print": lambda *args: "".join(go_str(arg) for arg in args),
    "trunc": lambda length, text: text[: int(length)] if int(length) >= 0 else text[int(length) :],
    "trimSuffix": lambda suffix, text: text[: -len(suffix)] if suffix and text.endswith(suffix) else text,
    "trim": lambda text: text.strip(),
    "replace": lambda old, new, text: text.replace(old, new),
    "contains": lambda part, text: part in text,
    "dict": lambda *pairs: {str(pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2)},
    "list": lambda *items: list(items),
    "index": index,
    "ternary": lambda yes, no, condition: yes if truth(condition) else no,
    "sha256sum": lambda text: hashlib.sha256(text.encode()).hexdigest(),
    "not": lambda value: not truth(value),
    "and": lambda *values: next((value for value in values if not truth(value)), values[-1]),
    "or": lambda *values: next((value for value in values if truth(value)), values[-1]),
    "eq": go_eq,
    "ne": lambda first, second: not go_eq(first, second),
    "empty": lambda value: not truth(value),
    "required": required,
    # Sprig's int: numbers from values are float64 in Go, printed 1.048576e+07 unless made integers.
    "int": lambda value: GoInt(float(value)) if value not in (None, "") else GoInt(0),
}


# --- evaluation ---------------------------------------------------------------------------------


class Renderer:
    def __init__(self, defines: dict[str, list[Node]]) -> None:
        self.defines = defines

    def render(self, nodes: list[Node], dot: Any, variables: dict[str, Any]) -> str:
        out: list[str] = []
        for node in nodes:
            out.append(self._node(node, dot, variables))
        return "".join(out)

    def include(self, name: str, dot: Any) -> str:
        if name not in self.defines:
            raise TemplateError(f"no template named {name!r}")
        return self.render(self.defines[name], dot, {"$": dot})

    def _node(self, node: Node, dot: Any, variables: dict[str, Any]) -> str:
        if node.kind == "text":
            return node.text
        assert node.kind == "template" or node.pipeline is not None
        if node.kind == "output":
            assert node.pipeline is not None
            value = self.pipeline(node.pipeline, dot, variables)
            return "" if node.pipeline.declare else go_str(value)
        if node.kind == "template":
            data = self.pipeline(node.pipeline, dot, variables) if node.pipeline else None
            return self.include(node.name, data)
        scope = dict(variables)
        assert node.pipeline is not None
        if node.kind == "if":
            value = self.pipeline(node.pipeline, dot, scope)
            return self.render(node.body if truth(value) else node.orelse, dot, scope)
        if node.kind == "with":
            value = self.pipeline(node.pipeline, dot, scope)
            return self.render(node.body, value, scope) if truth(value) else self.render(node.orelse, dot, scope)
        if node.kind == "range":
            names = node.pipeline.declare
            value = self.pipeline(Pipeline([], False, node.pipeline.commands), dot, scope)
            if not truth(value):
                return self.render(node.orelse, dot, scope)
            items = [(key, value[key]) for key in sorted(value)] if isinstance(value, dict) else list(enumerate(value))
            out = []
            for key, item in items:
                inner = dict(scope)
                if len(names) == 1:
                    inner[names[0]] = item
                elif len(names) == 2:
                    inner[names[0]], inner[names[1]] = key, item
                out.append(self.render(node.body, item, inner))
            return "".join(out)
        raise TemplateError(f"unknown node {node.kind}")

    def pipeline(self, pipeline: Pipeline, dot: Any, variables: dict[str, Any]) -> Any:
        result: Any = None
        for position, command in enumerate(pipeline.commands):
            extra = [result] if position > 0 else []
            result = self.command(command, dot, variables, extra)
        if pipeline.declare:
            name = pipeline.declare[-1]
            if pipeline.assign and name not in variables:
                raise TemplateError(f"undefined variable {name}")
            variables[name] = result
        return result

    def command(self, operands: list[Any], dot: Any, variables: dict[str, Any], extra: list[Any]) -> Any:
        if not operands:
            raise TemplateError("empty command")
        head = operands[0]
        if isinstance(head, tuple) and head[0] == "ident" and head[1] not in ("true", "false", "nil"):
            name = head[1]
            args = [self.operand(operand, dot, variables) for operand in operands[1:]] + extra
            if name == "include":
                return self.include(args[0], args[1])
            if name not in FUNCTIONS:
                raise TemplateError(f"function {name!r} is not supported")
            return FUNCTIONS[name](*args)
        if len(operands) > 1 or extra:
            raise TemplateError(f"cannot call a non-function: {operands}")
        return self.operand(head, dot, variables)

    def operand(self, operand: Any, dot: Any, variables: dict[str, Any]) -> Any:
        if isinstance(operand, Pipeline):
            return self.pipeline(operand, dot, dict(variables))
        kind, value = operand[0], operand[1]
        if kind == "chain":
            return self._fields(self.pipeline(value, dot, dict(variables)), operand[2])
        if kind == "string":
            return json.loads(value)
        if kind == "raw":
            return value[1:-1]
        if kind == "number":
            return float(value) if "." in value else int(value)
        if kind == "ident":
            return {"true": True, "false": False, "nil": None}[value]
        if kind == "field":
            return dot if value == "." else self._fields(dot, value)
        if kind == "variable":
            name, _, rest = value.partition(".")
            if name not in variables:
                raise TemplateError(f"undefined variable {name}")
            return self._fields(variables[name], "." + rest) if rest else variables[name]
        raise TemplateError(f"unexpected {value!r}")

    @staticmethod
    def _fields(value: Any, chain: str) -> Any:
        walked = ""
        for name in chain.strip(".").split("."):
            walked += "." + name
            if not isinstance(value, dict):
                raise TemplateError(f"{walked}: not a map")
            if name not in value:
                raise TemplateError(f"{walked}: no such key (a value the template reads is missing)")
            value = value[name]
        return value


# --- charts -------------------------------------------------------------------------------------


def coalesce(base: Any, override: Any) -> Any:
    """Helm's merge of values files: maps merged key by key, anything else replaced; null deletes."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def chart_values(chart: Path, value_files: list[Path]) -> dict[str, Any]:
    values = yaml.safe_load((chart / "values.yaml").read_text(encoding="utf-8")) or {}
    for path in value_files:
        values = coalesce(values, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return values


def render_chart(
    chart: Path,
    value_files: list[Path] = (),  # type: ignore[assignment]
    *,
    release: str = "bancheng",
    namespace: str = "bancheng",
) -> dict[str, str]:
    """{template path: rendered text} for every template that is not a partial (``_*.tpl``)."""
    meta = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8"))
    values = chart_values(chart, list(value_files))
    templates = sorted((chart / "templates").iterdir())
    defines: dict[str, list[Node]] = {}
    parsed: dict[str, list[Node]] = {}
    for path in templates:
        name = f"{meta['name']}/templates/{path.name}"
        parsed[name] = parse(path.read_text(encoding="utf-8"), defines, name)
        defines.setdefault(name, parsed[name])
    renderer = Renderer(defines)
    root = {
        "Values": values,
        "Release": {
            "Name": release,
            "Namespace": namespace,
            "Service": "Helm",
            "IsInstall": True,
            "IsUpgrade": False,
            "Revision": 1,
        },
        "Chart": {
            "Name": meta["name"],
            "Version": meta["version"],
            "AppVersion": meta.get("appVersion", ""),
            "Description": meta.get("description", ""),
        },
        "Capabilities": {"KubeVersion": {"Version": "v1.29.0", "Major": "1", "Minor": "29"}},
    }
    rendered = {}
    for name, nodes in parsed.items():
        if Path(name).name.startswith("_"):
            continue
        context = dict(root, Template={"Name": name, "BasePath": f"{meta['name']}/templates"})
        rendered[name] = renderer.render(nodes, context, {"$": context})
    return rendered


def manifests(rendered: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """(template path, document) for every non-empty YAML document of the rendered manifests."""
    documents = []
    for name, text in rendered.items():
        if not name.endswith((".yaml", ".yml")):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                documents.append((name, document))
    return documents


def helm_template_output(rendered: dict[str, str]) -> str:
    """The manifests as `helm template` prints them: each document trimmed, after ``---`` and its source."""
    out = []
    for name, text in rendered.items():
        if not name.endswith((".yaml", ".yml")):
            continue
        for document in re.split(r"(?m)^---[ \t]*$", text):
            if document.strip():
                out.append(f"---\n# Source: {name}\n{document.strip()}\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render a chart like `helm template` (a subset).")
    parser.add_argument("chart", type=Path)
    parser.add_argument("-f", "--values", type=Path, action="append", default=[])
    parser.add_argument("--release", default="bancheng")
    args = parser.parse_args(argv)
    sys.stdout.write(helm_template_output(render_chart(args.chart, args.values, release=args.release)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
