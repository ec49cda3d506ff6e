"""MATLAB calls and indexing to Python: `f(args)` (name-value pairs, nargout, the program's own functions and
class methods), `x(i)`/`c{i}` of variables, `s.f`, `obj.method(...)`."""
from __future__ import annotations

import ast
from typing import Any

from layergraph.port.parse import children
from layergraph.port.pyast import BY_NAME, call, const, name, subscript
from layergraph.port.scope import NARGOUT_FUNCTIONS, RENAMED_FUNCTIONS, Untranslatable, layergraph_names, python_name


class Calls:
    """Call and index expressions (a mixin of Expressions: it uses expr, text, line, scope and program)."""

    # ------------------------------------------------------------------ calls and indexing
    def _is_brace(self, node: Any) -> bool:
        for c in node.children:
            if c.type == "{":
                return True
            if c.type == "(":
                return False
        return False

    def _arg_nodes(self, node: Any) -> list[Any]:
        for c in node.named_children:
            if c.type == "arguments":
                return children(c)
        return []

    def _is_index(self, node: Any) -> bool:
        fname = node.child_by_field_name("name")
        return fname is not None and fname.type == "identifier" and self.scope.is_variable(self.text(fname))

    def arguments(self, node: Any, index_ctx: bool = False) -> tuple[list[ast.expr], list[ast.keyword]]:
        """Positional arguments and MATLAB's Name=value pairs (keywords)."""
        args_node = next((c for c in node.named_children if c.type == "arguments"), None)
        if args_node is None:
            return [], []
        pos: list[ast.expr] = []
        kws: list[ast.keyword] = []
        kids = [c for c in args_node.children if c.type not in ("comment", "line_continuation", ",")]
        i = 0
        while i < len(kids):
            c = kids[i]
            if c.type == "identifier" and i + 2 < len(kids) and kids[i + 1].type == "=":
                kws.append(ast.keyword(arg=self.text(c), value=self.expr(kids[i + 2], index_ctx)))
                i += 3
                continue
            if not c.is_named:
                if c.type in ("(", ")", "{", "}"):
                    i += 1
                    continue
                raise Untranslatable(f"unexpected '{self.text(c)}' in an argument list")
            if c.type == "spread_operator":
                raise Untranslatable("':' as a function argument")
            pos.append(self._element(c, index_ctx))
            i += 1
        return pos, kws

    def subscripts(self, node: Any) -> ast.expr:
        """The subscripts of x(...) or c{...} as the key of at(x)[...] (1-based, ':' and a:b as slices)."""
        items = []
        for a in self._arg_nodes(node):
            if a.type == "spread_operator":
                items.append(ast.Slice())
            elif a.type == "range":
                parts = children(a)
                vals = [self.expr(p, True) for p in parts]
                items.append(ast.Slice(lower=vals[0], upper=vals[-1], step=vals[1] if len(vals) == 3 else None))
            else:  # c{:} among the subscripts: MATLAB's comma-separated list (`x[a, *brace(c)[:]]`)
                items.append(self._element(a, True))
        if not items:
            raise Untranslatable("x() with no subscripts")
        single = len(items) == 1 and not isinstance(items[0], ast.Starred)
        return items[0] if single else ast.Tuple(elts=items, ctx=ast.Load())

    def e_function_call(self, node: Any, index_ctx: bool, nargout: int = 1) -> ast.expr:
        fname = node.child_by_field_name("name")
        if fname is None or fname.type != "identifier":
            raise Untranslatable("a call on an expression")
        n = self.text(fname)
        if self.scope.is_variable(n) and self.scope.types.get(n) == "handle" and not self._is_brace(node):
            args, kws = self.arguments(node)
            return ast.Call(func=name(self.scope.pyvar(n)), args=args, keywords=kws)
        if self.scope.is_variable(n):
            helper = "brace" if self._is_brace(node) else "at"
            return subscript(call(helper, name(self.scope.pyvar(n))), self.subscripts(node))
        if self._is_brace(node):
            raise Untranslatable(f"'{n}{{...}}': '{n}' is not a variable")
        return self.call_named(n, *self.arguments(node), node, nargout=nargout)

    def call_named(self, n: str, args: list[ast.expr], kws: list[ast.keyword] | Any, node: Any = None,
                   nargout: int = 1) -> ast.expr:
        """A call of MATLAB function `n`, with MATLAB's nargout rules for the program's own functions."""
        if node is None:  # call_named(n, [], node, nargout=...) form
            node, kws = kws, []
        info = self.program.info(n)
        if n in BY_NAME and info is None:
            raise Untranslatable(BY_NAME[n])
        pyname = RENAMED_FUNCTIONS.get(n, n if info is None else python_name(n))
        if n == "dlfeval" and args and isinstance(args[0], ast.Name) and self.program.info(args[0].id):
            return self._outputs(call(pyname, *args), self.program.info(args[0].id), nargout)
        if info is not None:
            func = name(pyname) if info.owner is None else \
                ast.Attribute(value=name(python_name(info.owner)), attr=pyname, ctx=ast.Load())
            out = ast.Call(func=func, args=args, keywords=list(kws))
            if info.uses_nargout:
                out.keywords.append(ast.keyword(arg="nargout", value=const(max(nargout, 1))))
            return self._outputs(out, info, nargout)
        if not self.program.known(n):
            self.program.note_missing(n, self.line(node))
        args, kws = _pairs_to_keywords(n, *self._special_forms(n, args, list(kws), node))
        out = ast.Call(func=name(pyname), args=args, keywords=list(kws))
        if n in NARGOUT_FUNCTIONS and nargout != 1:
            out.keywords.append(ast.keyword(arg="nargout", value=const(nargout)))
        return out

    def _special_forms(self, n: str, args: list[ast.expr], kws: list[ast.keyword],
                       node: Any) -> tuple[list[ast.expr], list[ast.keyword]]:
        """functionLayer of a registered function by name (a spec can save it); table(X, Y) named after its
        variables."""
        if n == "functionLayer" and args and isinstance(args[0], ast.Lambda):
            registered = self._registered_function_layer(args[0])
            if registered is not None:
                fn, extra = registered
                args = [const(fn), *args[1:]]
                kws = [ast.keyword(arg="Arguments", value=ast.List(elts=extra, ctx=ast.Load())), *kws]
        if n == "table" and node is not None and args and not kws and \
                not any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
            kws = [ast.keyword(arg="VariableNames", value=self._table_names(node))]
        return args, kws

    def _table_names(self, node: Any) -> ast.expr:
        """table(X, Y): MATLAB names the variables after the workspace variables given (VarN otherwise)."""
        names = [self.text(a) if a.type == "identifier" and self.scope.is_variable(self.text(a)) else f"Var{k + 1}"
                 for k, a in enumerate(self._arg_nodes(node))]
        return ast.List(elts=[const(n) for n in names], ctx=ast.Load())

    def _outputs(self, value: ast.expr, info: Any, nargout: int) -> ast.expr:
        n_out = len(info.outputs)
        if info.outputs and info.outputs[-1] == "varargout":  # a tuple of as many as the function made
            n_out = nargout + 1 if nargout > 1 else 2
        if n_out > 1 and nargout == 1:
            return subscript(value, const(0))
        if n_out > 1 and 1 < nargout < n_out:
            return subscript(value, ast.Slice(upper=const(nargout)))
        return value

    def _registered_function_layer(self, lam: ast.Lambda) -> tuple[str, list[ast.expr]] | None:
        """functionLayer(@(X) f(X, a, b)) with f a function layergraph registers: functionLayer("f", Arguments=...)
        (the form a spec can save)."""
        from layergraph.layers import registered
        body = lam.body
        params = [a.arg for a in lam.args.args]
        if not (isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in registered()
                and len(params) >= 1 and body.args and isinstance(body.args[0], ast.Name)
                and body.args[0].id == params[0] and not body.keywords):
            return None
        rest = body.args[1:]
        if any(isinstance(n, ast.Name) and n.id in params for r in rest for n in ast.walk(r)):
            return None
        return body.func.id, rest

    def e_field_expression(self, node: Any, index_ctx: bool, nargout: int = 1) -> ast.expr:
        obj = node.child_by_field_name("object")
        fields = [c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "field"]
        if obj.type == "identifier" and not self.scope.is_variable(self.text(obj)):
            n = self.text(obj)
            last = fields[-1] if fields else None
            if last is not None and last.type in ("function_call", "identifier") and all(
                    f.type == "identifier" for f in fields[:-1]):
                fname = self.text(last.child_by_field_name("name") if last.type == "function_call" else last)
                if fname in self.program.functions and self.program.functions[fname].module:
                    # pkg.sub.f(...) of a package the port translates: its file is a module of the port
                    args, kws = self.arguments(last) if last.type == "function_call" else ([], [])
                    return self.call_named(fname, args, kws, last, nargout=nargout)
            if not self.program.known(n):
                dotted = self.text(node).split("(")[0]
                if dotted.endswith(".empty") and all(f.type == "identifier" for f in fields):
                    return call("StructArray")  # ClassName.empty: a 0-element array of that class's objects
                raise Untranslatable(f"'{dotted}': a package function or an undefined variable")
        value = self.expr(obj, index_ctx)
        for k, f in enumerate(fields):
            last = k == len(fields) - 1
            value = self.member(value, f, nargout if last else 1, index_ctx)
        return value

    def member(self, value: ast.expr, f: Any, nargout: int, index_ctx: bool) -> ast.expr:
        if f.type == "identifier":
            attribute = ast.Attribute(value=value, attr=self.text(f), ctx=ast.Load())
            # `obj.hasdata`: a method of that MATLAB name called without parentheses (a field's value is read)
            known = self.program.known(self.text(f)) and not self._is_property_name(self.text(f))
            return call("noargs", attribute) if known else attribute
        if f.type == "indirect_access":
            return call("getfield", value, self.expr(children(f)[0], index_ctx))
        if f.type == "function_call":
            fname = f.child_by_field_name("name")
            n = self.text(fname)
            if self._is_brace(f):
                return subscript(call("brace", ast.Attribute(value=value, attr=n, ctx=ast.Load())),
                                 self.subscripts(f))
            if self.program.known(n) and not self._is_property_name(n):
                # obj.method(args) is method(obj, args) in MATLAB
                args, kws = self.arguments(f)
                return self.call_named(n, [value, *args], kws, f, nargout=nargout)
            if not self._arg_nodes(f):  # s.f(): the field, or a method (a handle) called with no arguments
                return call("noargs", ast.Attribute(value=value, attr=n, ctx=ast.Load()))
            return subscript(call("at", ast.Attribute(value=value, attr=n, ctx=ast.Load())), self.subscripts(f))
        raise Untranslatable(f"field access '{self.text(f)}'")

    def _is_property_name(self, n: str) -> bool:
        return n[:1].isupper() and n not in layergraph_names()


def _keyword_only(n: str) -> dict[str, str]:
    """A layergraph function's keyword-only parameters (lower-case name → name)."""
    import inspect

    import layergraph
    fn = getattr(layergraph, n, None)
    if fn is None or not callable(fn):
        return {}
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name.lower(): p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _pairs_to_keywords(n: str, args: list[ast.expr], kws: list[ast.keyword]) -> tuple[list[ast.expr],
                                                                                       list[ast.keyword]]:
    """Trailing 'Name', value pairs as Name=value where the layergraph function takes Name only as a keyword."""
    if n not in layergraph_names():
        return args, kws
    names = _keyword_only(n)
    if not names:
        return args, kws
    pairs: list[ast.keyword] = []
    while len(args) >= 2 and isinstance(args[-2], ast.Constant) and isinstance(args[-2].value, str) \
            and args[-2].value.lower() in names:
        pairs.insert(0, ast.keyword(arg=names[args[-2].value.lower()], value=args[-1]))
        args = args[:-2]
    return args, pairs + kws
