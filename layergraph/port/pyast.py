"""Python `ast` builders the translator writes with, and the fixed tables of MATLAB names it maps."""
from __future__ import annotations

import ast
from typing import Any

from layergraph.port.parse import Source

# functions that work on variables by their names, which a translated program cannot do
BY_NAME = {n: f"{n} works on variables by name" for n in ("eval", "evalin", "assignin", "evalc", "who", "whos")}
CONSTANTS = {"true": ast.Constant(True), "false": ast.Constant(False)}
RUNTIME_CONSTANTS = {"pi": "pi", "Inf": "Inf", "inf": "Inf", "NaN": "NaN", "nan": "NaN", "eps": "eps"}
ARITH = {"+": ast.Add, "-": ast.Sub, ".*": ast.Mult, "./": ast.Div, ".^": ast.Pow}
COMPARE = {"==": ast.Eq, "~=": ast.NotEq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}


INDENT = "    "


def unparse(node: ast.AST) -> str:
    return ast.unparse(ast.fix_missing_locations(node))


def assign(target: ast.expr, value: ast.expr) -> str:
    """`target = value` as a line of Python."""
    return unparse(ast.Assign(targets=[target], value=value, lineno=0))


def store_name(n: str) -> ast.Name:
    return ast.Name(id=n, ctx=ast.Store())


def name(n: str) -> ast.Name:
    return ast.Name(id=n, ctx=ast.Load())


def call(func: str | ast.expr, *args: ast.expr, **kwargs: ast.expr) -> ast.Call:
    f = name(func) if isinstance(func, str) else func
    return ast.Call(func=f, args=list(args), keywords=[ast.keyword(arg=k, value=v) for k, v in kwargs.items()])


def const(v: Any) -> ast.Constant:
    return ast.Constant(v)


def subscript(value: ast.expr, key: ast.expr) -> ast.Subscript:
    return ast.Subscript(value=value, slice=key, ctx=ast.Load())


def has_end(node: Any) -> bool:
    """Whether an index expression uses `end` (outside nested calls, whose `end` is theirs)."""
    if node.type == "end_keyword":
        return True
    if node.type == "function_call":
        return False
    return any(has_end(c) for c in node.named_children)


def identifiers(node: Any, src: Source) -> set[str]:
    """Every identifier's text under a node."""
    out = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "identifier":
            out.add(src.node_text(n))
        stack.extend(n.named_children)
    return out
