"""A bare `load(file)`: MATLAB makes the file's variables by name; the port reads the names the scope uses
and nothing else defines (`x, y = loadvars(file, "x", "y")`)."""
from __future__ import annotations

from typing import Any

from layergraph.port.parse import Source, children, walk
from layergraph.port.scope import Program, Scope

# names a scope may read without defining them (constants, nargin, functions that work on names)
_ALWAYS_KNOWN = {"true", "false", "pi", "Inf", "inf", "NaN", "nan", "eps", "end", "nargin", "nargout", "varargin",
                 "ans", "load", "save", "eval", "evalin", "assignin", "evalc", "who", "whos"}


def is_bare_load(src: Source, node: Any) -> bool:
    """`load(file)` or `load file` as a statement: MATLAB makes the file's variables by name."""
    if node.type == "command":
        return src.node_text(node.named_children[0]) == "load"
    return node.type == "function_call" and node.child_by_field_name("name") is not None and \
        src.node_text(node.child_by_field_name("name")) == "load"


def load_names(src: Source, node: Any) -> list[str]:
    """The variable names a load statement lists after the file (string literals or command words)."""
    if node.type == "command":
        words = [src.node_text(c) for c in node.named_children[2:]]
    else:
        args = next((c for c in node.named_children if c.type == "arguments"), None)
        kids = children(args) if args is not None else []
        if not all(k.type == "string" for k in kids[1:]):
            return []
        words = [src.node_text(k)[1:-1] for k in kids[1:]]
    return [w for w in words if w.isidentifier() and not w.startswith("-")]


def loaded_names(src: Source, program: Program, nodes: list[Any], scope: Scope,
                 first_assigned: dict[str, int]) -> None:
    """With one bare `load` in a scope, the names the scope reads that nothing defines before the load are the
    variables it loads (MATLAB would stop at them otherwise); they are read from the file (an error names any it
    lacks). `first_assigned`: where each variable is first assigned (a name assigned only after the load may
    come from the file, as MATLAB's load makes it)."""
    loads = [n for top in nodes for n in walk(top) if is_bare_load(src, n) and n.parent is not None
             and n.parent.type in ("source_file", "block")]
    for n in loads:  # load(file, "a", "b") / load file a b: the names are given
        scope.variables |= set(load_names(src, n))
    loads = [n for n in loads if not load_names(src, n)]
    if len(loads) != 1:
        return
    start, end = loads[0].start_byte, loads[0].end_byte
    before = {v for v in scope.variables if first_assigned.get(v, end) < start}
    known = before | _ALWAYS_KNOWN | _lambda_params(src, nodes)
    names: list[str] = []
    for top in nodes:
        for n in walk(top):
            if n.type == "identifier" and n.parent is not None and _is_read(n):
                t = src.node_text(n)
                if t not in names and _loaded(t, n, program, scope, known, before, end, first_assigned):
                    names.append(t)
    scope.loaded = names
    scope.variables |= set(names)
    program.loaded += [n for n in names if n not in program.loaded]


def _loaded(t: str, n: Any, program: Program, scope: Scope, known: set[str], before: set[str], end: int,
            first_assigned: dict[str, int]) -> bool:
    """Whether the load gives `t` read at node `n`: assigned before the load and read after it (the file's
    value if it has one), or read where nothing has defined it."""
    if program.known(t) and t not in scope.variables:
        return False
    if t in before:
        return n.start_byte > end
    return t not in known and (t not in scope.variables or n.start_byte < first_assigned.get(t, -1))


def _lambda_params(src: Source, nodes: list[Any]) -> set[str]:
    """Anonymous functions' parameters are theirs, never loaded."""
    out: set[str] = set()
    for top in nodes:
        for n in walk(top):
            if n.type == "lambda":
                args = next((c for c in n.named_children if c.type == "arguments"), None)
                if args is not None:
                    out |= {src.node_text(a) for a in args.named_children if a.type == "identifier"}
    return out


def _is_read(n: Any) -> bool:
    """An identifier that reads a variable (not a field name, a command word, a parameter or a Name=)."""
    up = n.parent
    if up.type == "field_expression" and up.child_by_field_name("object") != n:
        return False
    if up.type == "function_call" and up.child_by_field_name("name") == n and up.parent is not None and \
            up.parent.type == "field_expression" and up.parent.child_by_field_name("object") != up:
        return False  # s.f(...) : f is a field
    if up.type in ("property_name", "command", "function_arguments", "lambda"):
        return False
    return not (up.type == "arguments" and n.next_sibling is not None and n.next_sibling.type == "=")
