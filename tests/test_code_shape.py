"""The shape limits of layergraph/ (issue 25 item 6): no function over 50 lines, no module over 400 lines unless
its docstring says why. Ruff checks the third limit, mccabe complexity ≤ 10 (C901 in pyproject.toml).

A function's length runs from its first decorator to its last line (AST lineno..end_lineno), docstring
included. A module over 400 lines must give its reason in its docstring, in a paragraph that starts with
REASON_MARKER ("Over 400 lines because ...").
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "layergraph"
MAX_FUNCTION_LINES = 50
MAX_MODULE_LINES = 400
REASON_MARKER = "Over 400 lines because"

def package_files() -> list[tuple[str, Path]]:
    """(path relative to layergraph/, path) of every module the limits apply to."""
    out = []
    for p in sorted(PACKAGE.rglob("*.py")):
        out.append((p.relative_to(PACKAGE).as_posix(), p))
    return out


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, int]]:
    """(name, first line, length) of each function or method in `source` longer than `limit` lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            length = node.end_lineno - start + 1
            if length > limit:
                found.append((node.name, start, length))
    return found


def has_reason(source: str) -> bool:
    """Whether the module docstring has a paragraph starting with REASON_MARKER."""
    doc = ast.get_docstring(ast.parse(source)) or ""
    return any(par.strip().startswith(REASON_MARKER) for par in doc.split("\n\n"))


def test_no_function_is_over_50_lines() -> None:
    bad = [f"layergraph/{rel}:{line} {name} has {n} lines" for rel, p in package_files()
           for name, line, n in long_functions(p.read_text(encoding="utf-8"))]
    assert not bad, f"functions over {MAX_FUNCTION_LINES} lines (extract well-named helpers):\n" + "\n".join(bad)


def test_no_module_is_over_400_lines_without_a_reason() -> None:
    bad = []
    for rel, p in package_files():
        source = p.read_text(encoding="utf-8")
        n = len(source.splitlines())
        if n > MAX_MODULE_LINES and not has_reason(source):
            bad.append(f"layergraph/{rel} has {n} lines")
    assert not bad, (f"modules over {MAX_MODULE_LINES} lines: split them by concern, or start a docstring "
                     f"paragraph with {REASON_MARKER!r}:\n" + "\n".join(bad))


def test_the_checks_can_fail() -> None:
    # the readers themselves, on made-up sources: a decorated 51-line function is too long, 50 lines is not
    body = "".join(f"    x{i} = {i}\n" for i in range(48))
    assert long_functions("@dec\ndef f():\n" + body + "    return 0\n") == [("f", 1, 51)]
    assert long_functions("def f():\n" + body + "    return 0\n") == []
    lines = ["async def g(self):", *body.splitlines(), "    return 0", "    y = 1"]
    method = "".join(f"    {line}\n" for line in lines)
    assert long_functions("class C:\n" + method) == [("g", 2, 51)]
    assert has_reason('"""Title.\n\nOver 400 lines because one table.\n"""\n')
    assert not has_reason('"""Title, over 400 lines because nothing.\n"""\n')
    assert not has_reason("x = 1\n")
