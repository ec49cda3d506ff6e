"""A whole MATLAB file (script with local functions, or function file) to one Python module."""
from __future__ import annotations

import ast
from typing import Any

from layergraph.port.expressions import Expressions, _children
from layergraph.port.parse import Source
from layergraph.port.scope import FunctionInfo, Program, Scope
from layergraph.port.statements import INDENT, Statements, Tally, function_header, nargin_line, return_line

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
    body = _body_nodes(node)
    used = {src.node_text(n) for b in body for n in _walk(b) if n.type == "identifier"}
    return FunctionInfo(fname, inputs, outputs, uses_nargin="nargin" in used, uses_nargout="nargout" in used)


def _walk(node: Any) -> list[Any]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.type == "function_definition":
            continue
        out.append(n)
        stack.extend(n.children)
    return out


def _body_nodes(func: Any) -> list[Any]:
    """The body's statements, with the comments the grammar puts before the block."""
    blk = next((c for c in func.named_children if c.type == "block"), None)
    before = [c for c in func.children if c.type == "comment" and (blk is None or c.end_byte <= blk.start_byte)]
    return before + (list(blk.children) if blk is not None else [])


def collect_scope(src: Source, program: Program, nodes: list[Any], scope: Scope) -> None:
    """Every name the scope assigns (MATLAB decides variable-or-function the same way), how often, and the
    type of those whose every assignment gives one certain kind of scalar or text."""
    assigns: list[tuple[str, Any]] = []

    def visit(n: Any, loop: int) -> None:
        if n.type == "function_definition":
            return
        if n.type == "assignment":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            targets = [left] if left.type != "multioutput_variable" else list(left.named_children)
            for t in targets:
                base = t
                while base.type in ("function_call", "field_expression"):
                    base = base.child_by_field_name("name") if base.type == "function_call" else \
                        base.child_by_field_name("object")
                    if base is None:
                        break
                if base is not None and base.type == "identifier":
                    nm = src.node_text(base)
                    scope.variables.add(nm)
                    scope.assign_counts[nm] = scope.assign_counts.get(nm, 0) + (2 if loop else 1)
                    if t is left and left.type == "identifier":
                        assigns.append((nm, right))
                    else:
                        assigns.append((nm, None))
        if n.type == "iterator":
            var = _children(n)[0]
            if var.type == "identifier":
                nm = src.node_text(var)
                scope.variables.add(nm)
                scope.assign_counts[nm] = 2
                rng = _children(n)[-1]
                assigns.append((nm, rng if rng.type == "range" else None))
        if n.type == "catch_clause":
            ident = next((c for c in n.named_children if c.type == "identifier"), None)
            if ident is not None:
                scope.variables.add(src.node_text(ident))
        if n.type == "global_operator":
            for c in n.named_children:
                scope.variables.add(src.node_text(c))
        for c in n.children:
            visit(c, loop + (1 if n.type in _LOOPS else 0))

    for n in nodes:
        visit(n, 0)
    ex = Expressions(src, program, scope)
    for _ in range(3):  # to a fixed point: types that depend on other variables' types
        kinds: dict[str, set[str | None]] = {}
        for nm, value in assigns:
            if value is None:
                k = None
            elif value.type == "range":
                parts = _children(value)
                k = "int" if all(ex.kind(p) == "int" for p in parts) else None
            else:
                k = ex.kind(value)
            kinds.setdefault(nm, set()).add(k)
        scope.types = {nm: next(iter(ks)) for nm, ks in kinds.items() if len(ks) == 1 and None not in ks}


def translate_function(src: Source, program: Program, node: Any, tally: Tally, indent: int = 0) -> list[str]:
    info = program.functions[src.node_text(node.child_by_field_name("name"))]
    scope = Scope(function=info)
    body = _body_nodes(node)
    scope.variables |= {p for p in info.inputs if p != "~"} | set(info.outputs)
    collect_scope(src, program, body, scope)
    for p in info.inputs:
        scope.defined.add(p)
    pad = INDENT * indent
    args_node = next((c for c in node.named_children if c.type == "function_arguments"), None)
    end = args_node.end_byte if args_node is not None else node.child_by_field_name("name").end_byte
    header_text = " ".join(ln.strip() for ln in src.text[node.start_byte:end].decode().split("\n"))
    tally.total += 1
    tally.translated += 1
    out = [pad + function_header(info), pad + INDENT + "# " + header_text.strip()]
    if info.uses_nargin:
        out.append(pad + INDENT + nargin_line(info))
    if info.uses_nargout:
        out += [pad + INDENT + f"{o} = None" for o in info.outputs]
    st = Statements(src, program, scope, tally)
    lines = st.block(body, indent + 1)
    out += lines
    if info.outputs:
        out.append(pad + INDENT + return_line(info))
    return out


def translate_file(src: Source, program: Program, tally: Tally, module_name: str) -> tuple[str, list[str]]:
    """Python source for one parsed MATLAB file: (kind, lines) with kind 'script' or 'function'."""
    top = [c for c in src.root.children if c.type not in ("\n",)]
    funcs = [c for c in top if c.type == "function_definition"]
    classdefs = [c for c in top if c.type == "class_definition"]
    statements = [c for c in top if c.type not in ("function_definition", "class_definition")]
    code_statements = [c for c in statements if c.type != "comment" and c.is_named]
    kind = "function" if funcs and not code_statements else "script"
    out: list[str] = []
    for f in funcs:
        out += ["", *translate_function(src, program, f, tally), ""]
    for c in classdefs:
        st = Statements(src, program, Scope(), tally)
        why = ("classdef files are not translated yet (write a CustomLayer subclass: see "
               "docs/porting-from-matlab.md, 'Custom layers and functions')")
        out += st.untranslated(c, 0, why, counted=False)
    if kind == "script":
        scope = Scope()
        collect_scope(src, program, statements, scope)
        st = Statements(src, program, scope, tally)
        body = st.block(statements, 1)
        out += ["", "def main():", *body, "", "", 'if __name__ == "__main__":', "    main()"]
    else:
        out = [ln for ln in out]
        leading = [c for c in statements if c.type == "comment"]
        if leading:
            out = [ln for c in leading for ln in ("#" + x.lstrip("%") for x in src.node_text(c).split("\n"))] + out
    return kind, out


def register_functions(src: Source, program: Program, module: str | None, main_only: bool = False) -> None:
    """Add a file's functions to the program's table (a function file's other functions stay private)."""
    funcs = [c for c in src.root.children if c.type == "function_definition"]
    for k, f in enumerate(funcs):
        if main_only and k > 0:
            continue
        info = function_info(src, f)
        info.module = module
        program.functions.setdefault(info.name, info)


def compiles(code: str) -> None:
    ast.parse(code)
