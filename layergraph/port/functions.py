"""MATLAB functions to Python functions: what a scope assigns (collect_scope), signatures with `arguments`
blocks, nargin/nargout, and the function text (translate_function)."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from layergraph.port.expressions import Expressions
from layergraph.port.loads import loaded_names
from layergraph.port.parse import Source, body_nodes, children, walk
from layergraph.port.pyast import INDENT
from layergraph.port.scope import FunctionInfo, Program, Scope, python_name
from layergraph.port.statements import Statements, Tally, nargin_line, return_line

_LOOPS = ("for_statement", "while_statement")


def function_info(src: Source, node: Any) -> FunctionInfo:
    """The signature of a function_definition node."""
    fname = src.node_text(node.child_by_field_name("name"))
    outputs: list[str] = []
    inputs: list[str] = []
    for c in node.named_children:
        if c.type == "function_output":
            for o in c.named_children:
                if o.type == "identifier":
                    outputs.append(src.node_text(o))
                elif o.type == "multioutput_variable":
                    outputs += [src.node_text(v) for v in o.named_children if v.type == "identifier"]
        elif c.type == "function_arguments":
            inputs = [src.node_text(a) if a.type != "ignored_argument" else "~" for a in c.named_children
                      if a.type in ("identifier", "ignored_argument")]
    used = {src.node_text(n) for b in body_nodes(node) for n in walk(b) if n.type == "identifier"}
    return FunctionInfo(fname, inputs, outputs, uses_nargin="nargin" in used, uses_nargout="nargout" in used)


@dataclass
class _Assignments:
    """What a walk over a scope found: (name, right-hand side or None) per assignment, first positions."""

    src: Source
    scope: Scope
    pairs: list[tuple[str, Any]] = field(default_factory=list)
    first: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, node: Any, value: Any, count: int) -> None:
        self.scope.variables.add(name)
        self.scope.assign_counts[name] = self.scope.assign_counts.get(name, 0) + count
        self.pairs.append((name, value))
        self.first[name] = min(self.first.get(name, node.start_byte), node.start_byte)

    def assignment(self, n: Any, loop: int) -> None:
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        targets = [left] if left.type != "multioutput_variable" else list(left.named_children)
        for t in targets:
            base = _base_identifier(t)
            if base is not None:
                whole = t is left and left.type == "identifier"
                self.add(self.src.node_text(base), n, right if whole else None, 2 if loop else 1)

    def shared(self, n: Any) -> None:
        """`global g` / `persistent p`: the variable lives in the runtime's store of globals, or of this
        function's persistent variables (MATLAB keeps both between calls)."""
        names = [self.src.node_text(c) for c in n.named_children if c.type == "identifier"]
        self.scope.variables |= set(names)
        fn = self.scope.function.name if self.scope.function is not None else "script"
        for v in names:
            self.scope.renames[v] = f"GLOBAL.{v}" if n.type == "global_operator" else f"persistents({fn!r}).{v}"
            self.scope.defined.add(v)

    def visit(self, n: Any, loop: int) -> None:
        if n.type == "function_definition":
            return
        if n.type == "assignment":
            self.assignment(n, loop)
        elif n.type == "iterator" and children(n)[0].type == "identifier":
            rng = children(n)[-1]
            self.add(self.src.node_text(children(n)[0]), n, rng if rng.type == "range" else None, 2)
        elif n.type == "catch_clause":
            ident = next((c for c in n.named_children if c.type == "identifier"), None)
            if ident is not None:
                self.scope.variables.add(self.src.node_text(ident))
        elif n.type in ("global_operator", "persistent_operator"):
            self.shared(n)
        for c in n.children:
            self.visit(c, loop + (1 if n.type in _LOOPS else 0))


def _base_identifier(target: Any) -> Any:
    """The variable an assignment target changes: `x`, `x(i)`, `x.a.b(i)` → x."""
    base = target
    while base is not None and base.type in ("function_call", "field_expression"):
        base = base.child_by_field_name("name") if base.type == "function_call" else \
            base.child_by_field_name("object")
    return base if base is not None and base.type == "identifier" else None


def collect_scope(src: Source, program: Program, nodes: list[Any], scope: Scope) -> None:
    """Every name the scope assigns (MATLAB decides variable-or-function the same way), how often, and the
    type of those whose every assignment gives one certain kind of scalar or text."""
    found = _Assignments(src, scope)
    for n in nodes:
        found.visit(n, 0)
    loaded_names(src, program, nodes, scope, found.first)
    ex = Expressions(src, program, scope)
    for _ in range(3):  # to a fixed point: types that depend on other variables' types
        kinds: dict[str, set[str | None]] = {}
        for nm, value in found.pairs:
            kinds.setdefault(nm, set()).add(_kind(ex, value))
        scope.types = {nm: next(iter(ks)) for nm, ks in kinds.items() if len(ks) == 1 and None not in ks}


def _kind(ex: Expressions, value: Any) -> str | None:
    if value is None:
        return None
    if value.type == "range":
        return "int" if all(ex.kind(p) == "int" for p in children(value)) else None
    return ex.kind(value)


def _arguments(src: Source, node: Any) -> tuple[dict[str, Any], dict[str, list[tuple[str, Any]]]]:
    """A function's `arguments` blocks: defaults of positional inputs, and name-value fields per struct input."""
    defaults: dict[str, Any] = {}
    fields: dict[str, list[tuple[str, Any]]] = {}
    for block in (c for c in node.named_children if c.type == "arguments_statement"):
        for prop in (c for c in block.named_children if c.type == "property"):
            pname = prop.child_by_field_name("name")
            default = next((c for c in prop.named_children if c.type == "default_value"), None)
            value = children(default)[0] if default is not None and children(default) else None
            if pname.type == "property_name":
                parts = [src.node_text(c) for c in pname.named_children if c.type == "identifier"]
                fields.setdefault(parts[0], []).append((parts[-1], value))
            else:
                defaults[src.node_text(pname)] = value
    return defaults, fields


def _function_scope(src: Source, program: Program, node: Any, method: str | None,
                    parent: Scope | None = None) -> tuple[Scope, list[str]]:
    """The scope of a function (a method's object argument, or a constructor's output, is `self`; a nested
    function sees its parent's variables) and its Python inputs."""
    info = function_info(src, node) if method else program.functions[src.node_text(node.child_by_field_name("name"))]
    scope = Scope(function=info)
    own = {p for p in info.inputs if p != "~"} | set(info.outputs)
    scope.variables |= own | (parent.variables if parent is not None else set())
    inputs = list(info.inputs)
    if method == "method" and inputs:
        if inputs[0] != "~":
            scope.renames[inputs[0]] = "self"
        inputs = inputs[1:]
    if method == "constructor":
        for o in info.outputs:
            scope.renames[o] = "self"
    collect_scope(src, program, body_nodes(node), scope)
    scope.defined |= set(info.inputs) | set(scope.renames) | (parent.variables if parent is not None else set())
    if parent is not None:  # MATLAB's nested function shares its parent's variables: Python's nonlocal
        scope.shared = (set(scope.assign_counts) & parent.variables) - own
    return scope, inputs


def _parameters(src: Source, node: Any, ex: Expressions, info: FunctionInfo,
                inputs: list[str]) -> tuple[list[str], list[str]]:
    """The Python parameters (defaults from `arguments` blocks, name-value fields as keywords) and the lines
    that gather name-value fields into their struct."""
    defaults, nv = _arguments(src, node)
    params: list[str] = []
    prelude: list[str] = []
    keyword_only: list[str] = []
    for k, p in enumerate(inputs):
        if p in nv:
            for fname, value in nv[p]:
                keyword_only.append(f"{fname}={ast.unparse(ex.expr(value)) if value is not None else 'None'}")
            args = ", ".join(f"{f}={f}" for f, _ in nv[p])
            prelude.append(f"{python_name(p)} = namevalues(struct({args}), _nv)")
        elif p == "varargin":
            params.append("*varargin")
        elif p == "~":
            params.append(f"_unused{k + 1}" + ("=None" if info.uses_nargin else ""))
        elif p in defaults and defaults[p] is not None:
            params.append(f"{python_name(p)}={ast.unparse(ex.expr(defaults[p]))}")
        else:
            optional = (info.uses_nargin and k > 0) or (p in defaults and any(
                q in defaults and defaults[q] is not None for q in inputs[:k]))
            params.append(python_name(p) + ("=None" if optional else ""))
    if keyword_only:
        params += ["*_nv", *keyword_only]
    if info.uses_nargout:
        params.append(f"nargout={max(len(info.outputs), 1)}")
    return params, prelude


def _header_text(src: Source, node: Any) -> str:
    args_node = next((c for c in node.named_children if c.type == "function_arguments"), None)
    end = args_node.end_byte if args_node is not None else node.child_by_field_name("name").end_byte
    return " ".join(ln.strip() for ln in src.text[node.start_byte:end].decode().split("\n")).strip()


def translate_function(src: Source, program: Program, node: Any, tally: Tally, indent: int = 0,
                       method: str | None = None, class_props: list[tuple[str, Any]] | None = None,
                       def_name: str | None = None, parent: Scope | None = None) -> list[str]:
    """A function, or (method 'method'/'constructor'/'static') a classdef method, whose object argument is
    `self` (`def_name`: the Python name, for a property's get./set. method; `parent`: the scope a nested
    function shares)."""
    scope, inputs = _function_scope(src, program, node, method, parent)
    info = scope.function
    ex = Expressions(src, program, scope)
    params, prelude = _parameters(src, node, ex, info, inputs)
    params = ["self", *params] if method in ("method", "constructor") else params
    pad = INDENT * indent
    tally.total += 1
    tally.translated += 1
    fname = "__init__" if method == "constructor" else def_name or python_name(info.name)
    out = [pad + "@staticmethod"] if method == "static" else []
    out += [pad + f"def {fname}({', '.join(params)}):", pad + INDENT + "# " + _header_text(src, node)]
    if method == "constructor":
        out += _constructor_start(ex, class_props or [], pad + INDENT)
        scope.function = info = FunctionInfo("__init__", info.inputs, [], info.uses_nargin, info.uses_nargout)
    out += [pad + INDENT + ln for ln in _body_start(info, scope, prelude)]
    with _nested(src, program, node) as nested:
        for f in nested:  # defined first: MATLAB calls a nested function anywhere in its parent
            out += translate_function(src, program, f, tally, indent + 1, parent=scope)
        out += Statements(src, program, scope, tally).block(body_nodes(node), indent + 1)
    if info.outputs:
        out.append(pad + INDENT + return_line(info, scope.renames))
    return out


def _body_start(info: FunctionInfo, scope: Scope, prelude: list[str]) -> list[str]:
    """What a function's body starts with: nonlocal parent variables, name-value structs, varargout, nargin,
    outputs None where nargout decides them."""
    out = [f"nonlocal {', '.join(sorted(python_name(v) for v in scope.shared))}"] if scope.shared else []
    out += prelude
    if "varargout" in info.outputs:
        out.append("varargout = []")
    if info.uses_nargin:
        out.append(nargin_line(info))
    if info.uses_nargout:
        out += [f"{o} = None" for o in info.outputs]
    return out


@contextmanager
def _nested(src: Source, program: Program, node: Any) -> Iterator[list[Any]]:
    """A function's nested functions, known to the program by name while the function is translated."""
    nested = [c for c in body_nodes(node) if c.type == "function_definition"]
    added = []
    for f in nested:
        info = function_info(src, f)
        if info.name not in program.functions:
            program.functions[info.name] = info
            added.append(info.name)
    try:
        yield nested
    finally:
        for name in added:
            del program.functions[name]


def _constructor_start(ex: Expressions, props: list[tuple[str, Any]], pad: str) -> list[str]:
    """The base class's constructor, then every property at its default (MATLAB's `[]` when none is given)."""
    out = [pad + "super().__init__()"]
    for pname, value in props:
        out.append(pad + f"self.{pname} = {ast.unparse(ex.expr(value)) if value is not None else '[]'}")
    return out
