"""MATLAB statements to Python lines, each under its MATLAB text as a comment; what is not translated stays
as a comment with a `# PORT:` line saying why."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from layergraph.port.control import ControlFlow
from layergraph.port.expressions import Expressions
from layergraph.port.parse import Source, children
from layergraph.port.pyast import INDENT, assign, call, const, name, store_name, subscript, unparse
from layergraph.port.scope import FunctionInfo, Program, Scope, Untranslatable, python_name


@dataclass
class Tally:
    """Statements seen and translated, and the untranslated ones (line, reason)."""

    total: int = 0
    translated: int = 0
    untranslated: list[tuple[int, str, str]] = field(default_factory=list)


class Statements(ControlFlow):
    """Translate the statements of one scope (the script, or one function's body; compound statements in
    ControlFlow)."""

    def __init__(self, src: Source, program: Program, scope: Scope, tally: Tally) -> None:
        self.src, self.program, self.scope, self.tally = src, program, scope, tally
        self.ex = Expressions(src, program, scope)
        self.loop_depth = 0
        self.block_depth = 0
        self.structs: set[str] = set()

    def text(self, node: Any) -> str:
        return self.src.node_text(node)

    def comment_lines(self, node: Any, header_only: bool = False) -> list[str]:
        text = self.text(node)
        lines = text.split("\n")
        if header_only:
            lines = lines[:1]
        return ["# " + ln.rstrip() if ln.strip() else "#" for ln in lines]

    # ------------------------------------------------------------------ blocks
    def block(self, nodes: list[Any], indent: int) -> list[str]:
        out: list[str] = []
        last_row = None
        for n in nodes:
            if not n.is_named:
                continue
            if last_row is not None and n.start_point[0] - last_row > 1 and out and out[-1] != "":
                out.append("")  # the program's blank lines stay
            out.extend(self.statement(n, indent))
            last_row = n.end_point[0]
        if not any(ln.strip() and not ln.strip().startswith("#") for ln in out):
            out.append(INDENT * indent + "pass")
        return out

    def statement(self, node: Any, indent: int) -> list[str]:
        pad = INDENT * indent
        t = node.type
        if t == "comment":
            return [pad + "#" + ln.strip()[1:].rstrip() if ln.strip() not in ("%{", "%}") else pad + "#"
                    for ln in self.text(node).split("\n")]
        if t in ("\n", ";", ",", "line_continuation", "function_definition") or not node.is_named:
            return []  # (a nested function is written at the top of its parent)
        compound = t in ("if_statement", "for_statement", "while_statement", "switch_statement", "try_statement")
        try:
            if compound:
                return getattr(self, "s_" + t)(node, indent)
            self.tally.total += 1
            method = getattr(self, "s_" + t, None)
            if method is None:
                if t == "ERROR" or node.has_error:
                    raise Untranslatable("the MATLAB parser could not read this statement")
                raise Untranslatable(f"no translation for the MATLAB statement '{t}'")
            if node.has_error:
                raise Untranslatable("the MATLAB parser could not read this statement")
            code = method(node)
            self.tally.translated += 1
            return [pad + c for c in self.comment_lines(node)] + [pad + ln for c in code for ln in c.split("\n")]
        except Untranslatable as why:
            return self.untranslated(node, indent, str(why), counted=not compound)

    def untranslated(self, node: Any, indent: int, why: str, counted: bool = True) -> list[str]:
        pad = INDENT * indent
        line = node.start_point[0] + 1
        why = " ".join(why.split())  # one comment line
        if not counted:
            self.tally.total += 1
        self.tally.untranslated.append((line, why, self.text(node).split("\n")[0]))
        return [pad + f"# PORT: line {line}: not translated: {why}"] + [pad + c for c in self.comment_lines(node)]

    # ------------------------------------------------------------------ simple statements
    def s_assignment(self, node: Any) -> list[str]:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left.type == "multioutput_variable":
            targets = [c for c in left.named_children if c.type not in ("comment",)]
            value = self.value(right, nargout=len(targets))
            names: list[ast.expr] = []
            after: list[str] = []
            for k, tnode in enumerate(targets):
                if tnode.type == "ignored_argument":
                    names.append(store_name("_"))
                elif tnode.type == "identifier":
                    names.append(store_name(self.scope.pyvar(self.text(tnode))))
                    self.define(self.text(tnode))
                else:
                    tmp = f"_out{k + 1}"
                    names.append(store_name(tmp))
                    after.extend(self.store(tnode, name(tmp)))
            if len(names) == 1:
                return [assign(names[0], value), *after]
            return [assign(ast.Tuple(elts=names, ctx=ast.Store()), value), *after]
        if right.type == "matrix" and not children(right) and left.type == "function_call" and \
                self.scope.is_variable(self.text(left.child_by_field_name("name") or left)):
            # x(i) = [] deletes
            base = left.child_by_field_name("name")
            if not self.ex._is_brace(left):
                v = name(self.scope.pyvar(self.text(base)))
                return [assign(store_name(self.scope.pyvar(self.text(base))),
                                subscript(call("delat", v), self.ex.subscripts(left)))]
        value = self.value(right, nargout=1)
        if right.type == "identifier" and self.scope.is_variable(self.text(right)):
            value = call("copyvalue", value)  # b = a copies a MATLAB value (networks are updated in place here)
        return self.store(left, value)

    def value(self, node: Any, nargout: int) -> ast.expr:
        if node.type == "function_call":
            return self.ex.e_function_call(node, False, nargout=nargout)
        if node.type == "field_expression":
            return self.ex.e_field_expression(node, False, nargout=nargout)
        if node.type == "identifier" and not self.scope.is_variable(self.text(node)) and nargout != 1:
            return self.ex.call_named(self.text(node), [], node, nargout=nargout)
        return self.ex.expr(node)

    def define(self, n: str) -> None:
        self.scope.defined.add(n)

    def current(self, n: str) -> ast.expr:
        """A variable's value before an assignment into it (None when MATLAB would create it)."""
        if n in self.scope.defined:
            return name(self.scope.pyvar(n))
        if self.block_depth == 0:
            return const(None)
        return call(ast.Attribute(value=call("locals"), attr="get", ctx=ast.Load()), const(python_name(n)))

    def store(self, target: Any, value: ast.expr) -> list[str]:
        """Python for MATLAB's `target = value` (indexing and fields into copies, as MATLAB's value semantics)."""
        t = target.type
        if t == "identifier":
            n = self.text(target)
            self.define(n)
            return [assign(store_name(self.scope.pyvar(n)), value)]
        if t == "function_call":
            base = target.child_by_field_name("name")
            if base is None or base.type != "identifier":
                raise Untranslatable("assignment into an expression")
            n = self.text(base)
            helper = "setbrace" if self.ex._is_brace(target) else "setat"
            new = subscript(call(helper, self.current(n), value), self.ex.subscripts(target))
            self.define(n)
            return [assign(store_name(self.scope.pyvar(n)), new)]
        if t == "field_expression":
            obj = target.child_by_field_name("object")
            fields = [c for i, c in enumerate(target.children) if target.field_name_for_child(i) == "field"]
            if obj.type == "function_call" and len(fields) == 1 and fields[0].type == "identifier":
                return self._store_element_field(obj, self.text(fields[0]), value)
            if obj.type != "identifier":
                raise Untranslatable("assignment into a field of an expression")
            base = self.text(obj)
            pre: list[str] = []
            if base not in self.scope.defined:
                if self.block_depth == 0:
                    pre.append(assign(store_name(self.scope.pyvar(base)), call("struct")))
                else:
                    pre.append(assign(store_name(self.scope.pyvar(base)), ast.BoolOp(
                        op=ast.Or(), values=[self.current(base), call("struct")])))
                self.define(base)
                self.structs.add(base)
            return pre + self._store_chain(name(self.scope.pyvar(base)), fields, value, base in self.structs)
        raise Untranslatable(f"assignment to '{self.text(target)}'")

    def _store_element_field(self, element: Any, field: str, value: ast.expr) -> list[str]:
        """`s(i).f = v`: a field of one element of a struct array (the array grows as MATLAB's does)."""
        base = element.child_by_field_name("name")
        if base is None or base.type != "identifier" or self.ex._is_brace(element):
            raise Untranslatable("assignment into a field of an expression")
        n = self.text(base)
        new = subscript(call("setfields", self.current(n), const(field), value), self.ex.subscripts(element))
        self.define(n)
        return [assign(store_name(self.scope.pyvar(n)), new)]

    def _store_chain(self, obj: ast.expr, fields: list[Any], value: ast.expr, new_fields: bool = False) -> list[str]:
        """obj.f1.f2(...) = value: walk to the last member, assign into it (copies for indexing)."""
        prefix = obj
        for f in fields[:-1]:
            prefix = self.ex.member(prefix, f, 1, False)
        last = fields[-1]
        if last.type == "identifier":
            target = ast.Attribute(value=prefix, attr=self.text(last), ctx=ast.Store())
            return [assign(target, value)]
        if last.type == "indirect_access":
            key = self.ex.expr(children(last)[0])
            return [unparse(ast.Expr(value=call("setfield", prefix, key, value)))]
        if last.type == "function_call":
            n = self.text(last.child_by_field_name("name"))
            current: ast.expr = ast.Attribute(value=prefix, attr=n, ctx=ast.Load())
            if new_fields and len(fields) == 1:  # a struct of this program: MATLAB creates the field
                current = call("getattr", prefix, const(n), const(None))
            helper = "setbrace" if self.ex._is_brace(last) else "setat"
            new = subscript(call(helper, current, value), self.ex.subscripts(last))
            return [assign(ast.Attribute(value=prefix, attr=n, ctx=ast.Store()), new)]
        raise Untranslatable(f"assignment to '{self.text(last)}'")

    def _bare_load(self, args: list[ast.expr]) -> list[str]:
        listed = [a.value for a in args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)
                  and a.value.isidentifier()]
        if listed and len(listed) == len(args) - 1:  # load(file, "a", "b"): those variables
            for n in listed:
                self.define(n)
            targets = [store_name(self.scope.pyvar(n)) for n in listed]
            target = targets[0] if len(targets) == 1 else ast.Tuple(elts=targets, ctx=ast.Store())
            return [assign(target, call("loadvars", *args))]
        if not self.scope.loaded:
            raise Untranslatable("load without an output makes variables by name (here, none the program reads): "
                                 "write S = load(file) and read S.name")
        for n in self.scope.loaded:
            self.define(n)
        targets = [store_name(self.scope.pyvar(n)) for n in self.scope.loaded]
        value = call("loadvars", *args, *[const(n) for n in self.scope.loaded], current=call("locals"))
        target = targets[0] if len(targets) == 1 else ast.Tuple(elts=targets, ctx=ast.Store())
        return [assign(target, value)]

    def s_function_call(self, node: Any) -> list[str]:
        fname = node.child_by_field_name("name")
        if fname is not None and self.text(fname) == "load" and not self.scope.is_variable("load"):
            return self._bare_load(self.ex.arguments(node)[0])
        if fname is not None and fname.type == "identifier" and self.scope.is_variable(self.text(fname)):
            return [unparse(ast.Expr(value=call("disp", self.ex.expr(node))))]
        return [unparse(ast.Expr(value=self.ex.e_function_call(node, False, nargout=0)))]

    def s_field_expression(self, node: Any) -> list[str]:
        return [unparse(ast.Expr(value=self.ex.e_field_expression(node, False, nargout=0)))]

    def s_identifier(self, node: Any) -> list[str]:
        n = self.text(node)
        if self.scope.is_variable(n):
            return [unparse(ast.Expr(value=call("disp", name(python_name(n)))))]
        return [unparse(ast.Expr(value=self.ex.call_named(n, [], node, nargout=0)))]

    def s_number(self, node: Any) -> list[str]:
        """`1;` (Octave's mark of a script file): a value computed and dropped."""
        return [unparse(ast.Expr(value=self.ex.expr(node)))]

    def s_command(self, node: Any) -> list[str]:
        parts = [c for c in node.named_children]
        fname = self.text(parts[0])
        args = [const(self.text(a)) for a in parts[1:]]
        if fname == "load":
            return self._bare_load(args)
        return [unparse(ast.Expr(value=self.ex.call_named(fname, args, [], node, nargout=0)))]

    def s_break_statement(self, node: Any) -> list[str]:
        return ["break"]

    def s_continue_statement(self, node: Any) -> list[str]:
        return ["continue"]

    def s_return_statement(self, node: Any) -> list[str]:
        f = self.scope.function
        if f is None:
            raise Untranslatable("'return' in a script")
        if f.name == "__init__":
            return ["return"]
        return [return_line(f, self.scope.renames)]

    def s_global_operator(self, node: Any) -> list[str]:
        """`global g`: MATLAB's global variable, `[]` until some function assigns it."""
        names = [self.text(c) for c in node.named_children if c.type == "identifier"]
        return [unparse(call("declare", name("GLOBAL"), *[const(n) for n in names]))]

    def s_persistent_operator(self, node: Any) -> list[str]:
        """`persistent p`: kept between calls of this function, `[]` at its first declaration."""
        names = [self.text(c) for c in node.named_children if c.type == "identifier"]
        fn = self.scope.function.name if self.scope.function is not None else "script"
        return [unparse(call("declare", call("persistents", const(fn)), *[const(n) for n in names]))]


def return_line(f: FunctionInfo, renames: dict[str, str] | None = None) -> str:
    outs = [(renames or {}).get(o) or python_name(o) for o in f.outputs]
    if not outs:
        return "return"
    if f.outputs[-1] == "varargout":  # [a, varargout] = f(...): a, then the cells of varargout
        return "return (" + "".join(f"{o}, " for o in outs[:-1]) + "*varargout,)"
    return "return " + ", ".join(outs)


def function_header(f: FunctionInfo) -> str:
    params = []
    for k, p in enumerate(f.inputs):
        if p == "varargin":
            params.append("*varargin")
        elif p == "~":
            params.append(f"_unused{k + 1}" + ("=None" if f.uses_nargin else ""))
        else:
            params.append(python_name(p) + ("=None" if f.uses_nargin and k > 0 else ""))
    if f.uses_nargout:
        params.append(f"nargout={max(len(f.outputs), 1)}")
    return f"def {python_name(f.name)}({', '.join(params)}):"


def nargin_line(f: FunctionInfo) -> str:
    names = [python_name(p) for p in f.inputs if p not in ("varargin", "~")]
    count = f"len([_a for _a in ({', '.join(names)}{',' if len(names) == 1 else ''}) if _a is not None])"
    if "varargin" in f.inputs:
        count += " + len(varargin)"
    return f"nargin = {count}"


__all__ = ["FunctionInfo", "Scope", "Statements", "Tally", "function_header", "nargin_line", "return_line"]
