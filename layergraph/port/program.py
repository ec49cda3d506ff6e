"""A whole MATLAB file (script with local functions, or function file) to one Python module."""
from __future__ import annotations

import ast
from typing import Any

from layergraph.port.expressions import BY_NAME, Expressions, _children
from layergraph.port.parse import Source
from layergraph.port.scope import FunctionInfo, Program, Scope, Untranslatable, python_name
from layergraph.port.statements import INDENT, Statements, Tally, nargin_line, return_line

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
    _loaded_names(src, program, nodes, scope)
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


def _arguments(src: Source, node: Any) -> tuple[dict[str, Any], dict[str, list[tuple[str, Any]]]]:
    """A function's `arguments` blocks: defaults of positional inputs, and name-value fields per struct input."""
    defaults: dict[str, Any] = {}
    fields: dict[str, list[tuple[str, Any]]] = {}
    for block in (c for c in node.named_children if c.type == "arguments_statement"):
        for prop in (c for c in block.named_children if c.type == "property"):
            pname = prop.child_by_field_name("name")
            default = next((c for c in prop.named_children if c.type == "default_value"), None)
            value = _children(default)[0] if default is not None and _children(default) else None
            if pname.type == "property_name":
                parts = [src.node_text(c) for c in pname.named_children if c.type == "identifier"]
                fields.setdefault(parts[0], []).append((parts[-1], value))
            else:
                defaults[src.node_text(pname)] = value
    return defaults, fields


def _is_bare_load(src: Source, node: Any) -> bool:
    """`load(file)` or `load file` as a statement: MATLAB makes the file's variables by name."""
    if node.type == "command":
        return src.node_text(node.named_children[0]) == "load"
    return node.type == "function_call" and node.child_by_field_name("name") is not None and \
        src.node_text(node.child_by_field_name("name")) == "load"


def _load_names(src: Source, node: Any) -> list[str]:
    """The variable names a load statement lists after the file (string literals or command words)."""
    if node.type == "command":
        words = [src.node_text(c) for c in node.named_children[2:]]
    else:
        args = next((c for c in node.named_children if c.type == "arguments"), None)
        kids = _children(args) if args is not None else []
        if not all(k.type == "string" for k in kids[1:]):
            return []
        words = [src.node_text(k)[1:-1] for k in kids[1:]]
    return [w for w in words if w.isidentifier() and not w.startswith("-")]


def _loaded_names(src: Source, program: Program, nodes: list[Any], scope: Scope) -> None:
    """With one bare `load` in a scope, the names the scope reads that nothing defines are the variables it
    loads (MATLAB would stop at them otherwise); they are read from the file (an error names any it lacks)."""
    loads = [n for top in nodes for n in _walk(top) if _is_bare_load(src, n) and n.parent is not None
             and n.parent.type in ("source_file", "block")]
    explicit = [n for n in loads if _load_names(src, n)]
    for n in explicit:  # load(file, "a", "b") / load file a b: the names are given
        for name in _load_names(src, n):
            scope.variables.add(name)
    loads = [n for n in loads if not _load_names(src, n)]
    if len(loads) != 1:
        return
    known = set(scope.variables) | {"true", "false", "pi", "Inf", "inf", "NaN", "nan", "eps", "end", "nargin",
                                    "nargout", "varargin", "ans", "load", "save", *BY_NAME}
    for top in nodes:  # anonymous functions' parameters are theirs
        for n in _walk(top):
            if n.type == "lambda":
                args = next((c for c in n.named_children if c.type == "arguments"), None)
                if args is not None:
                    known |= {src.node_text(a) for a in args.named_children if a.type == "identifier"}
    names: list[str] = []
    for top in nodes:
        for n in _walk(top):
            if n.type != "identifier" or n.parent is None:
                continue
            if n.parent.type in ("field_expression",) and n.parent.child_by_field_name("object") != n:
                continue
            up = n.parent
            if up.type == "function_call" and up.child_by_field_name("name") == n and up.parent is not None and \
                    up.parent.type == "field_expression" and up.parent.child_by_field_name("object") != up:
                continue  # s.f(...) : f is a field
            if n.parent.type in ("property_name", "command", "function_arguments", "lambda", "arguments") and \
                    n.parent.type != "arguments":
                continue
            if n.parent.type == "arguments" and n.next_sibling is not None and n.next_sibling.type == "=":
                continue  # Name=value
            t = src.node_text(n)
            if t not in known and not program.known(t) and t not in names:
                names.append(t)
    scope.loaded = names
    scope.variables |= set(names)
    program.loaded += [n for n in names if n not in program.loaded]


def translate_function(src: Source, program: Program, node: Any, tally: Tally, indent: int = 0,
                       method: str | None = None, class_props: list[tuple[str, Any]] | None = None) -> list[str]:
    """A function, or (method 'method'/'constructor') a classdef method, whose object argument is `self`."""
    info = function_info(src, node) if method else program.functions[src.node_text(node.child_by_field_name("name"))]
    scope = Scope(function=info)
    body = _body_nodes(node)
    scope.variables |= {p for p in info.inputs if p != "~"} | set(info.outputs)
    inputs = list(info.inputs)
    if method == "method" and inputs:
        if inputs[0] != "~":
            scope.renames[inputs[0]] = "self"
        inputs = inputs[1:]
    if method == "constructor":
        for o in info.outputs:
            scope.renames[o] = "self"
    collect_scope(src, program, body, scope)
    scope.defined |= set(info.inputs) | set(scope.renames)
    ex = Expressions(src, program, scope)
    defaults, nv = _arguments(src, node)
    params = ["self"] if method else []
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
            params.append(python_name(p) + ("=None" if (info.uses_nargin and k > 0) or (p in defaults and any(
                q in defaults and defaults[q] is not None for q in inputs[:k])) else ""))
    if keyword_only:
        params += ["*_nv", *keyword_only]
    if info.uses_nargout:
        params.append(f"nargout={max(len(info.outputs), 1)}")
    pad = INDENT * indent
    args_node = next((c for c in node.named_children if c.type == "function_arguments"), None)
    end = args_node.end_byte if args_node is not None else node.child_by_field_name("name").end_byte
    header_text = " ".join(ln.strip() for ln in src.text[node.start_byte:end].decode().split("\n"))
    tally.total += 1
    tally.translated += 1
    fname = "__init__" if method == "constructor" else python_name(info.name)
    out = [pad + f"def {fname}({', '.join(params)}):", pad + INDENT + "# " + header_text.strip()]
    if method == "constructor":
        out.append(pad + INDENT + "super().__init__()")
        for pname, value in class_props or []:
            default = ast.unparse(ex.expr(value)) if value is not None else "[]"
            out.append(pad + INDENT + f"self.{pname} = {default}")
        info = FunctionInfo("__init__", info.inputs, [], info.uses_nargin, info.uses_nargout)
        scope.function = info
    out += [pad + INDENT + ln for ln in prelude]
    if info.uses_nargin:
        out.append(pad + INDENT + nargin_line(info))
    if info.uses_nargout:
        out += [pad + INDENT + f"{o} = None" for o in info.outputs]
    st = Statements(src, program, scope, tally)
    out += st.block(body, indent + 1)
    if info.outputs:
        out.append(pad + INDENT + return_line(info, scope.renames))
    return out


def translate_classdef(src: Source, program: Program, node: Any, tally: Tally) -> list[str]:
    """classdef NAME < nnet.layer.Layer: a CustomLayer subclass (properties, Learnable, methods)."""
    name_node = node.child_by_field_name("name")
    cname = src.node_text(name_node)
    supers_node = next((c for c in node.named_children if c.type == "superclasses"), None)
    supers = [src.node_text(c) for c in supers_node.named_children if c.type in ("property_name", "identifier")] \
        if supers_node is not None else []
    if "nnet.layer.Layer" not in supers:
        raise Untranslatable(f"classdef of {' & '.join(supers) or 'no superclass'} (only nnet.layer.Layer "
                             "custom layers are translated)")
    unknown = [s for s in supers if s not in ("nnet.layer.Layer", "nnet.layer.Formattable",
                                               "nnet.layer.Acceleratable")]
    if unknown:
        raise Untranslatable(f"classdef deriving from {', '.join(unknown)}")
    props: list[tuple[str, Any]] = []
    learnable: list[str] = []
    methods: list[Any] = []
    for block in node.named_children:
        if block.type == "properties":
            attrs = src.node_text(next((c for c in block.named_children if c.type == "attributes"), block))
            kind = "Learnable" if "Learnable" in attrs else ("State" if "State" in attrs else "")
            for prop in (c for c in block.named_children if c.type == "property"):
                pname = src.node_text(prop.child_by_field_name("name"))
                default = next((c for c in prop.named_children if c.type == "default_value"), None)
                value = _children(default)[0] if default is not None and _children(default) else None
                if kind == "Learnable":
                    learnable.append(pname)
                elif kind == "State":
                    raise Untranslatable("properties (State) of a custom layer")
                else:
                    props.append((pname, value))
        elif block.type == "methods":
            methods += [c for c in block.named_children if c.type == "function_definition"]
    tally.total += 1
    tally.translated += 1
    out = ["@classdef_layer", f"class {python_name(cname)}(CustomLayer):",
           INDENT + "# " + src.node_text(node).split("\n")[0].strip()]
    if "nnet.layer.Formattable" in supers:
        out.append(INDENT + "Formattable = True")
    if learnable:
        out.append(INDENT + f"Learnable = ({', '.join(repr(n) for n in learnable)},)")
    has_constructor = False
    own = _register_methods(src, program, methods, cname)
    for m in methods:
        mname = src.node_text(m.child_by_field_name("name"))
        kind = "constructor" if mname == cname else "method"
        has_constructor |= kind == "constructor"
        out += ["", *translate_function(src, program, m, tally, 1, kind, props)]
    for mname in own:
        del program.functions[mname]
    if not has_constructor and props:
        out += ["", INDENT + "def __init__(self, **properties):", INDENT * 2 + "super().__init__(**properties)"]
        out += [INDENT * 2 + f"self.{p} = {ast.unparse(Expressions(src, program, Scope()).expr(v)) if v else '[]'}"
                for p, v in props]
    return out


def _register_methods(src: Source, program: Program, methods: list[Any], cname: str) -> list[str]:
    """A class's own methods that no other function's name hides (MATLAB calls `embedding(layer, X)` inside the
    class by dispatch on the object): called as `Class.method(layer, X)` while the class is translated."""
    own = []
    for m in methods:
        info = function_info(src, m)
        if info.name != cname and not program.known(info.name):
            info.owner = cname
            program.functions[info.name] = info
            own.append(info.name)
    return own


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
        if f.has_error and not any(c.has_error for c in _body_nodes(f)):  # the signature itself is broken
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
