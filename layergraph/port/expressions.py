"""MATLAB expressions (tree-sitter nodes) to Python `ast` expressions with MATLAB's meaning."""
from __future__ import annotations

import ast
import re
from typing import Any

from layergraph.port.calls import Calls
from layergraph.port.kinds import Kinds
from layergraph.port.operators import Operators
from layergraph.port.parse import Source, children
from layergraph.port.pyast import CONSTANTS, RUNTIME_CONSTANTS, call, const, identifiers, name
from layergraph.port.scope import RENAMED_FUNCTIONS, Program, Scope, Untranslatable, python_name


class Expressions(Kinds, Operators, Calls):
    """Translate expressions within one scope of a program (literals, names, anonymous functions, matrices and
    cells here; types, operators and calls in the mixins)."""

    def __init__(self, src: Source, program: Program, scope: Scope) -> None:
        self.src, self.program, self.scope = src, program, scope

    def text(self, node: Any) -> str:
        return self.src.node_text(node)

    def line(self, node: Any) -> int:
        return node.start_point[0] + 1


    # ------------------------------------------------------------------ dispatch
    def expr(self, node: Any, index_ctx: bool = False) -> ast.expr:
        method = getattr(self, "e_" + node.type, None)
        if method is None:
            if node.type == "ERROR" or node.has_error:
                raise Untranslatable("the MATLAB parser could not read this statement")
            raise Untranslatable(f"no translation for the MATLAB construct '{node.type}'")
        return method(node, index_ctx)

    def e_number(self, node: Any, index_ctx: bool) -> ast.expr:
        txt = self.text(node)
        if txt.endswith(("i", "j")):  # 2i, 1.5j: an imaginary constant (Python's complex)
            return const(complex(0.0, float(txt[:-1])))
        if txt.lower().startswith("0x"):
            return const(int(txt, 16))
        if re.fullmatch(r"\d+", txt):
            return const(int(txt))
        return const(float(txt))

    def e_string(self, node: Any, index_ctx: bool) -> ast.expr:
        txt = self.text(node)
        q = txt[0]
        return const(txt[1:-1].replace(q + q, q))

    def e_boolean(self, node: Any, index_ctx: bool) -> ast.expr:
        return const(self.text(node) == "true")

    def e_end_keyword(self, node: Any, index_ctx: bool) -> ast.expr:
        if not index_ctx:
            raise Untranslatable("'end' outside an index")
        return name("END")

    def e__expression(self, node: Any, index_ctx: bool) -> ast.expr:
        return self.expr(children(node)[0], index_ctx)

    def e_parenthesis(self, node: Any, index_ctx: bool) -> ast.expr:
        inner = children(node)
        return self.expr(inner[0], index_ctx)

    def e_identifier(self, node: Any, index_ctx: bool) -> ast.expr:
        n = self.text(node)
        if self.scope.is_variable(n):
            return name(self.scope.pyvar(n))
        if n in CONSTANTS:
            return CONSTANTS[n]
        if n in RUNTIME_CONSTANTS:
            return name(RUNTIME_CONSTANTS[n])
        if n in ("nargin", "nargout") and self.scope.function is not None:
            return name(n)
        if n == "varargin":
            return name("varargin")
        # MATLAB: a name that is not a variable is a call without arguments
        return self.call_named(n, [], node, nargout=1)

    def e_lambda(self, node: Any, index_ctx: bool) -> ast.expr:
        params = []
        args_node = node.child_by_field_name("arguments")
        if args_node is None:
            for c in node.named_children:
                if c.type == "arguments":
                    args_node = c
        if args_node is not None:
            params = [self.text(c) for c in args_node.named_children if c.type in ("identifier", "ignored_argument")]
        body = node.child_by_field_name("expression")
        self.scope.lambda_params.append(set(params))
        try:
            n_out = self._body_outputs(body)
            body_ast = self.e_function_call(body, False, nargout=n_out) if n_out > 1 else self.expr(body)
        finally:
            self.scope.lambda_params.pop()
        py_params = [python_name(p) if p != "~" else "_" for p in params]
        # MATLAB captures the variables an anonymous function uses when it is made (Python: when called), so
        # a variable assigned more than once is bound now, as a default value
        free = sorted({n for n in identifiers(body, self.src) if n not in params and self.scope.is_variable(n)
                       and self.scope.assign_counts.get(n, 0) > 1})
        defaults = [name(python_name(n)) for n in free]
        a = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in py_params + [python_name(n) for n in free]],
                          kwonlyargs=[], kw_defaults=[], defaults=defaults)
        return ast.Lambda(args=a, body=body_ast)

    def _body_outputs(self, body: Any) -> int:
        """An anonymous function gives what its caller asks of the function it calls (MATLAB passes nargout
        through): a call to a program function of several outputs returns them all, as `@f` does; arrayfun,
        cellfun and a caller asking for one take the first."""
        if body.type != "function_call" or body.child_by_field_name("name") is None:
            return 1
        n = self.text(body.child_by_field_name("name"))
        info = self.program.info(n)
        return len(info.outputs) if info is not None and not self.scope.is_variable(n) and \
            len(info.outputs) > 1 and not info.uses_nargout else 1

    def e_handle_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        parts = children(node)
        target = parts[-1]
        n = self.text(target)
        if len(parts) > 1 and all(p.type == "identifier" for p in parts):
            # @pkg.sub.f: a package function, translated where the port has its file (a module of the port)
            info = self.program.functions.get(n)
            if info is None or not info.module:
                raise Untranslatable(f"handle to '{'.'.join(self.text(p) for p in parts)}' (a package function "
                                     "outside the set)")
        elif target.type != "identifier":
            raise Untranslatable(f"handle to '{n}' (a package function)")
        if not self.program.known(n):
            self.program.note_missing(n, self.line(node))
        return name(RENAMED_FUNCTIONS.get(n, python_name(n)))


    # MATLAB's precedence, low to high: ||, &&, |, &, comparisons. The grammar binds | and & tighter than
    # comparisons (b == 2 | c is (b == 2) | c in MATLAB), so these operators are regrouped from their operands.
    _LEVELS = (("||",), ("&&",), ("|",), ("&",), ("==", "~=", "!=", "<", "<=", ">", ">="))


    # ------------------------------------------------------------------ matrices and cells
    def e_matrix(self, node: Any, index_ctx: bool) -> ast.expr:
        rows = [r for r in node.named_children if r.type == "row"]
        cells = [[c for c in children(r)] for r in rows]
        cells = [r for r in cells if r]
        if not cells:
            return ast.List(elts=[], ctx=ast.Load())
        flat = [c for r in cells for c in r]
        # a layer array written one layer per row, or a string array: a Python list, as hand ports write it
        if (all(len(r) == 1 for r in cells) or len(cells) == 1) and all(self._is_layer_call(c) for c in flat):
            return ast.List(elts=[self.expr(c, index_ctx) for c in flat], ctx=ast.Load())
        if all(c.type == "string" and self.text(c).startswith('"') for c in flat) and len(cells) == 1:
            return ast.List(elts=[self.expr(c, index_ctx) for c in flat], ctx=ast.Load())
        row_exprs = [call("horzcat", *[self._element(c, index_ctx) for c in r]) if len(r) > 1 or
                     self._spreads(r[0]) else self.expr(r[0], index_ctx) for r in cells]
        if len(row_exprs) == 1:
            return row_exprs[0] if isinstance(row_exprs[0], ast.Call) and \
                getattr(row_exprs[0].func, "id", "") == "horzcat" else call("horzcat", row_exprs[0])
        return call("vertcat", *row_exprs)

    def _element(self, node: Any, index_ctx: bool) -> ast.expr:
        value = self.expr(node, index_ctx)
        return ast.Starred(value=value, ctx=ast.Load()) if self._spreads(node) else value

    def _spreads(self, node: Any) -> bool:
        """A cell index with ':' or a range (MATLAB's comma-separated list), also of a field: `s.c{:}`."""
        if node.type == "field_expression":
            fields = [c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "field"]
            return bool(fields) and self._spreads(fields[-1])
        if node.type != "function_call" or not self._is_brace(node):
            return False
        return any(a.type in ("spread_operator", "range") for a in self._arg_nodes(node))

    def _is_layer_call(self, node: Any) -> bool:
        if node.type == "identifier":  # a layer constructor called without arguments: reluLayer
            n = self.text(node)
            return n.endswith("Layer") and not self.scope.is_variable(n)
        if node.type != "function_call":
            return False
        fname = node.child_by_field_name("name")
        if fname is None or fname.type != "identifier":
            return False
        n = self.text(fname)
        return (n.endswith("Layer") or n.endswith("layer")) and not self.scope.is_variable(n)

    def e_cell(self, node: Any, index_ctx: bool) -> ast.expr:
        rows = [[c for c in children(r)] for r in node.named_children if r.type == "row"]
        rows = [r for r in rows if r]
        if not rows:
            return ast.List(elts=[], ctx=ast.Load())
        if len(rows) == 1 or all(len(r) == 1 for r in rows):
            return ast.List(elts=[self._element(c, index_ctx) for r in rows for c in r], ctx=ast.Load())
        if len({len(r) for r in rows}) != 1:
            raise Untranslatable("a cell array with rows of different lengths")
        return ast.List(elts=[ast.List(elts=[self._element(c, index_ctx) for c in r], ctx=ast.Load())
                              for r in rows], ctx=ast.Load())
