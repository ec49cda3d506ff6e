"""`layergraph port`: MATLAB programs translated to Python that uses layergraph's MATLAB-named API.

`translate(source)` gives the Python text of one MATLAB file; `port_files(paths)` translates several files of
one program (calls between them become imports) and returns the texts with a report per file.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from layergraph.port.parse import PortError, parse
from layergraph.port.program import register_functions, translate_file
from layergraph.port.report import Report
from layergraph.port.scope import Program
from layergraph.port.statements import Tally

__all__ = ["PortError", "Report", "port_files", "translate", "translate_with_report"]

_HEADER = '''"""{title}

Translated from MATLAB by `layergraph port`: each statement sits under its MATLAB text; lines marked
`# PORT:` were not translated and say why.
"""
import math
import torch

from layergraph import *
from layergraph.port.runtime import *
'''


def _format(code: str) -> str:
    """`ruff format` the code when ruff is installed (the text is valid Python either way)."""
    ruff = shutil.which("ruff") or str(Path(__import__("sys").executable).with_name("ruff"))
    if not Path(ruff).exists():
        return code
    try:
        res = subprocess.run([ruff, "format", "--line-length", "110", "-"], input=code, capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return code
    return res.stdout if res.returncode == 0 and res.stdout else code


def _exports(code: str) -> str:
    """`__all__`, last: another file of the program that imports this one (`from f import *`) gets only its
    functions and classes, never the layergraph names it imports (a program's `projectAndReshapeLayer`
    class must not be hidden by layergraph's layer of that name)."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""  # reported by the compile check
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name != "main"]
    return f"\n\n__all__ = {names!r}\n"


def _translate(source: str, name: str, program: Program, module: str) -> tuple[str, Report]:
    src = parse(source)
    tally = Tally()
    missing_before = {k: list(v) for k, v in program.missing.items()}
    program.missing = {}
    program.loaded = []
    _kind, lines = translate_file(src, program, tally, module)
    imports = sorted({f.module for n, f in program.functions.items()
                      if f.module and f.module != module and n in source})
    header = _HEADER.format(title=f"{name}, translated to Python with layergraph.")
    header += "".join(f"from {m} import *  # noqa: F403 - the program's own function file\n" for m in imports)
    code = header + "\n" + "\n".join(lines) + "\n"
    code += _exports(code)
    try:
        compile(code, f"{module}.py", "exec")
    except SyntaxError as err:  # a translator bug: say where, never write broken code silently
        raise PortError(f"{name}: the translation does not compile (line {err.lineno}: {err.msg}); "
                        "please report this with the MATLAB file") from None
    code = _format(code)
    report = Report(name, tally.total, tally.translated, tally.untranslated, dict(program.missing),
                    list(program.loaded))
    for k, v in missing_before.items():
        program.missing.setdefault(k, []).extend(v)
    return code, report


def translate_with_report(source: str, name: str = "program.m") -> tuple[str, Report]:
    """Python text for one MATLAB file and its report."""
    program = Program()
    src = parse(source)
    register_functions(src, program, None)
    return _translate(source, name, program, Path(name).stem)


def translate(source: str) -> str:
    """Python text (using `from layergraph import *`) for the MATLAB source of one file."""
    return translate_with_report(source)[0]


def port_files(paths: list[str | Path]) -> list[tuple[Path, str, Report]]:
    """Translate the files of one program: (path, Python text, report) each; a function file's function is
    importable by the others under its own name."""
    program = Program()
    texts = []
    for p in paths:
        path = Path(p)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            raise PortError(f"{path}: cannot read ({err.strerror})") from None
        texts.append((path, text))
        src = parse(text)
        register_functions(src, program, path.stem)
    out = []
    for path, text in texts:
        src = parse(text)
        # this file's own functions are local to it
        for f in [c for c in src.root.children if c.type == "function_definition"]:
            n = src.node_text(f.child_by_field_name("name"))
            if n in program.functions and program.functions[n].module != path.stem:
                continue
        code, report = _translate(text, path.name, program, path.stem)
        out.append((path, code, report))
    return out
