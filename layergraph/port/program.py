"""A whole MATLAB file (script with local functions, or function file) to one Python module."""
from __future__ import annotations

import ast

from layergraph.port.classdef import translate_classdef
from layergraph.port.functions import collect_scope, function_info, translate_function
from layergraph.port.parse import Source, body_nodes
from layergraph.port.scope import FunctionInfo, Program, Scope, Untranslatable
from layergraph.port.statements import Statements, Tally


def translate_file(src: Source, program: Program, tally: Tally, module_name: str) -> tuple[str, list[str]]:
    """Python source for one parsed MATLAB file: (kind, lines) with kind 'script' or 'function'."""
    top = [c for c in src.root.children if c.type not in ("\n",)]
    funcs = [c for c in top if c.type == "function_definition"]
    classdefs = [c for c in top if c.type == "class_definition"]
    statements = [c for c in top if c.type not in ("function_definition", "class_definition")]
    code_statements = [c for c in statements if c.type != "comment" and c.is_named]
    kind = "function" if (funcs or classdefs) and not code_statements else "script"
    out: list[str] = []
    for f in funcs:
        if f.has_error and not any(c.has_error for c in body_nodes(f)):  # the signature itself is broken
            st = Statements(src, program, Scope(), tally)
            out += ["", *st.untranslated(f, 0, "the MATLAB parser could not read this function", counted=False), ""]
            continue
        out += ["", *translate_function(src, program, f, tally), ""]
    for c in classdefs:
        try:
            out += ["", *translate_classdef(src, program, c, tally), ""]
        except Untranslatable as why:
            st = Statements(src, program, Scope(), tally)
            out += st.untranslated(c, 0, str(why), counted=False)
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
    for c in src.root.children:  # a classdef's constructor is called by the class name
        if c.type == "class_definition":
            cname = src.node_text(c.child_by_field_name("name"))
            program.functions.setdefault(cname, FunctionInfo(cname, [], ["obj"], module=module))


def compiles(code: str) -> None:
    ast.parse(code)
