"""MATLAB expressions (tree-sitter nodes) to Python `ast` expressions with MATLAB's meaning."""
from __future__ import annotations

import ast
import re
from typing import Any

from layergraph.port.parse import Source
from layergraph.port.scope import (
    BOOL_FUNCTIONS,
    CHAR_FUNCTIONS,
    INT_FUNCTIONS,
    NARGOUT_FUNCTIONS,
    RENAMED_FUNCTIONS,
    SCALAR_FUNCTIONS,
    STRING_FUNCTIONS,
    Program,
    Scope,
    Untranslatable,
    layergraph_names,
    python_name,
)

# functions that work on variables by their names, which a translated program cannot do
BY_NAME = {n: f"{n} works on variables by name" for n in ("eval", "evalin", "assignin", "evalc", "who", "whos")}
CONSTANTS = {"true": ast.Constant(True), "false": ast.Constant(False)}
RUNTIME_CONSTANTS = {"pi": "pi", "Inf": "Inf", "inf": "Inf", "NaN": "NaN", "nan": "NaN", "eps": "eps"}
ARITH = {"+": ast.Add, "-": ast.Sub, ".*": ast.Mult, "./": ast.Div, ".^": ast.Pow}
COMPARE = {"==": ast.Eq, "~=": ast.NotEq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}


def name(n: str) -> ast.Name:
    return ast.Name(id=n, ctx=ast.Load())


def call(func: str | ast.expr, *args: ast.expr, **kwargs: ast.expr) -> ast.Call:
    f = name(func) if isinstance(func, str) else func
    return ast.Call(func=f, args=list(args), keywords=[ast.keyword(arg=k, value=v) for k, v in kwargs.items()])


def const(v: Any) -> ast.Constant:
    return ast.Constant(v)


def subscript(value: ast.expr, key: ast.expr) -> ast.Subscript:
    return ast.Subscript(value=value, slice=key, ctx=ast.Load())


def _children(node: Any) -> list[Any]:
    return [c for c in node.named_children if c.type not in ("comment", "line_continuation")]


class Expressions:
    """Translate expressions within one scope of a program."""

    def __init__(self, src: Source, program: Program, scope: Scope) -> None:
        self.src, self.program, self.scope = src, program, scope

    def text(self, node: Any) -> str:
        return self.src.node_text(node)

    def line(self, node: Any) -> int:
        return node.start_point[0] + 1

    # ------------------------------------------------------------------ types (what is certain only)
    def kind(self, node: Any) -> str | None:
        """'int', 'num', 'bool', 'string', 'char' when the expression is certainly one scalar/text, else None."""
        t = node.type
        if t == "number":
            txt = self.text(node)
            if txt.endswith(("i", "j")):
                return None
            return "int" if re.fullmatch(r"\d+", txt) or txt.lower().startswith("0x") else "num"
        if t == "string":
            return "string" if self.text(node).startswith('"') else "char"
        if t == "boolean" or (t == "identifier" and self.text(node) in ("true", "false")):
            return "bool"
        if t == "identifier":
            n = self.text(node)
            if self.scope.is_variable(n):
                return self.scope.types.get(n)
            if n in ("pi", "Inf", "inf", "NaN", "nan", "eps"):
                return "num"
            if n in ("nargin", "nargout"):
                return "int"
            return None
        if t in ("lambda", "handle_operator"):
            return "handle"
        if t in ("parenthesis", "_expression"):
            inner = _children(node)
            return self.kind(inner[0]) if inner else None
        if t == "unary_operator":
            k = self.kind(node.child_by_field_name("operand") or _children(node)[0])
            return k if k in ("int", "num") else None
        if t in ("comparison_operator", "boolean_operator", "not_operator"):
            parts = _children(node)
            return "bool" if all(self.kind(p) in ("int", "num", "bool") for p in parts) else None
        if t == "binary_operator":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            op = self._op(node)
            kl, kr = self.kind(left), self.kind(right)
            if op == "+" and "string" in (kl, kr):
                return "string"
            if kl in ("int", "num", "bool") and kr in ("int", "num", "bool"):
                if op in ("+", "-", "*", ".*") and kl in ("int", "bool") and kr in ("int", "bool"):
                    return "int"
                return "num"
            return None
        if t == "function_call":
            fname = node.child_by_field_name("name")
            if fname is None or fname.type != "identifier" or self._is_index(node):
                return None
            n = self.text(fname)
            args = self._arg_nodes(node)
            if n in STRING_FUNCTIONS:
                return "string"
            if n in CHAR_FUNCTIONS:
                return "char"
            if n in BOOL_FUNCTIONS:
                return "bool"
            if n == "size" and len(args) == 2:
                return "int"
            if n in INT_FUNCTIONS and n in ("numel", "length", "ndims", "height", "width", "nnz"):
                return "int"
            if n in SCALAR_FUNCTIONS and args and all(self.kind(a) in ("int", "num", "bool") for a in args):
                return "int" if n in INT_FUNCTIONS or (n in ("mod", "rem", "abs", "sign") and
                                                       all(self.kind(a) == "int" for a in args)) else "num"
            return None
        return None

    def scalar(self, node: Any) -> bool:
        return self.kind(node) in ("int", "num", "bool")

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
        if txt.endswith(("i", "j")):
            raise Untranslatable("complex numbers are not translated")
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
        return self.expr(_children(node)[0], index_ctx)

    def e_parenthesis(self, node: Any, index_ctx: bool) -> ast.expr:
        inner = _children(node)
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
        free = sorted({n for n in _identifiers(body, self.src) if n not in params and self.scope.is_variable(n)
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
        target = _children(node)[0]
        n = self.text(target)
        if target.type != "identifier":
            raise Untranslatable(f"handle to '{n}' (a package function)")
        if not self.program.known(n):
            self.program.note_missing(n, self.line(node))
        return name(RENAMED_FUNCTIONS.get(n, python_name(n)))

    def e_postfix_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        operand = node.child_by_field_name("operand") or _children(node)[0]
        return call("transpose", self.expr(operand, index_ctx))

    def e_unary_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        operand = node.child_by_field_name("operand") or _children(node)[0]
        op = self.text(node)[: self.text(node).find(self.text(operand))].strip() or "-"
        value = self.expr(operand, index_ctx)
        if op == "+":
            return value
        if op in ("~", "!"):
            return self._not(operand, value)
        return ast.UnaryOp(op=ast.USub(), operand=value)

    def e_not_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        operand = _children(node)[0]
        return self._not(operand, self.expr(operand, index_ctx))

    def _not(self, operand: Any, value: ast.expr) -> ast.expr:
        while operand.type == "_expression":
            operand = _children(operand)[0]
        if self.kind(operand) == "bool" or operand.type in ("boolean_operator",):
            return ast.UnaryOp(op=ast.Not(), operand=value)
        return call("not_", value)

    def _op(self, node: Any) -> str:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return self._between(left, right)

    def _between(self, a: Any, b: Any) -> str:
        """The operator between two operands, without line continuations and comments."""
        text = self.src.text[a.end_byte:b.start_byte].decode()
        return re.sub(r"(\.\.\.|%).*?(\n|$)", " ", text).strip()

    def e_binary_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = self._op(node)
        if op in ("&", "|"):
            return self._logic(node, index_ctx)
        if op in ("^", ".^"):
            # MATLAB: -a^b is -(a^b), and a^b^c is (a^b)^c (the grammar groups both the other way)
            if left.type == "unary_operator" or left.type == "not_operator":
                operand = left.child_by_field_name("operand") or _children(left)[0]
                inner = self._power(op, self.expr(operand, index_ctx), right, index_ctx, operand)
                lop = self.text(left)[: self.text(left).find(self.text(operand))].strip()
                if lop in ("~", "!"):
                    return call("not_", inner)
                return inner if lop == "+" else ast.UnaryOp(op=ast.USub(), operand=inner)
            return self._power(op, self.expr(left, index_ctx), right, index_ctx, left)
        lv, rv = self.expr(left, index_ctx), self.expr(right, index_ctx)
        if op == "+":
            kl, kr = self.kind(left), self.kind(right)
            if "string" in (kl, kr):
                if kl not in ("string", "char"):
                    lv = call("string", lv)
                if kr not in ("string", "char"):
                    rv = call("string", rv)
                return ast.BinOp(left=lv, op=ast.Add(), right=rv)
            if "char" in (kl, kr):
                raise Untranslatable("'+' on a char vector adds character codes in MATLAB; use a string")
        if op in ARITH:
            return ast.BinOp(left=lv, op=ARITH[op](), right=rv)
        if op == "*":
            if self.scalar(left) or self.scalar(right):
                return ast.BinOp(left=lv, op=ast.Mult(), right=rv)
            return call("mtimes", lv, rv)
        if op == "/":
            if self.scalar(right):
                return ast.BinOp(left=lv, op=ast.Div(), right=rv)
            return call("mrdivide", lv, rv)
        if op == "\\":
            return call("mldivide", lv, rv)
        if op == ".\\":
            return ast.BinOp(left=rv, op=ast.Div(), right=lv)
        raise Untranslatable(f"operator '{op}'")

    def _power(self, op: str, base: ast.expr, right: Any, index_ctx: bool, base_node: Any) -> ast.expr:
        if right.type == "binary_operator" and self._op(right) in ("^", ".^"):
            # a^(b^c) as parsed is MATLAB's (a^b)^c
            rl, rr = right.child_by_field_name("left"), right.child_by_field_name("right")
            inner = self._power(op, base, rl, index_ctx, base_node)
            return self._power_apply(self._op(right), inner, self.expr(rr, index_ctx), False, self.scalar(rr))
        return self._power_apply(op, base, self.expr(right, index_ctx), self.scalar(base_node), self.scalar(right))

    def _power_apply(self, op: str, base: ast.expr, exp: ast.expr, base_scalar: bool, exp_scalar: bool) -> ast.expr:
        if op == ".^" or (base_scalar and exp_scalar):
            return ast.BinOp(left=base, op=ast.Pow(), right=exp)
        return call("mpower", base, exp)

    # MATLAB's precedence, low to high: ||, &&, |, &, comparisons. The grammar binds | and & tighter than
    # comparisons (b == 2 | c is (b == 2) | c in MATLAB), so these operators are regrouped from their operands.
    _LEVELS = (("||",), ("&&",), ("|",), ("&",), ("==", "~=", "!=", "<", "<=", ">", ">="))

    def _logic_items(self, node: Any, items: list[Any]) -> None:
        if node.type == "comparison_operator":
            parts = _children(node)
            if len(parts) == 2:
                self._logic_items(parts[0], items)
                items.append(self._between(parts[0], parts[1]))
                self._logic_items(parts[1], items)
                return
        if node.type in ("binary_operator", "boolean_operator"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            op = self._between(left, right)
            if op in ("&", "|", "&&", "||"):
                self._logic_items(left, items)
                items.append(op)
                self._logic_items(right, items)
                return
        items.append(node)

    def _logic(self, node: Any, index_ctx: bool) -> ast.expr:
        items: list[Any] = []
        self._logic_items(node, items)
        return self._logic_level(items, 0, index_ctx)

    def _logic_level(self, items: list[Any], level: int, index_ctx: bool) -> ast.expr:
        if len(items) == 1:
            return self.expr(items[0], index_ctx)
        ops = self._LEVELS[level]
        cut = [i for i, it in enumerate(items) if isinstance(it, str) and it in ops]
        if not cut:
            return self._logic_level(items, level + 1, index_ctx)
        parts, start = [], 0
        for i in cut:
            parts.append(items[start:i])
            start = i + 1
        parts.append(items[start:])
        values = [self._logic_level(p, level + 1, index_ctx) for p in parts]
        out = values[0]
        for op, value in zip([items[i] for i in cut], values[1:]):  # left to right, as MATLAB groups them
            if op in ("&&", "||"):
                out = ast.BoolOp(op=ast.And() if op == "&&" else ast.Or(), values=[out, value])
            elif op in ("&", "|"):
                out = call("and_" if op == "&" else "or_", out, value)
            else:
                out = ast.Compare(left=out, ops=[COMPARE[op]()], comparators=[value])
        return out

    def e_comparison_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        return self._logic(node, index_ctx)

    def _e_comparison_pair(self, node: Any, index_ctx: bool) -> ast.expr:
        parts = _children(node)
        if len(parts) != 2:
            raise Untranslatable("chained comparison")
        op = self._between(parts[0], parts[1])
        return ast.Compare(left=self.expr(parts[0], index_ctx), ops=[COMPARE[op]()],
                           comparators=[self.expr(parts[1], index_ctx)])

    def e_boolean_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        return self._logic(node, index_ctx)

    def _e_boolean_pair(self, node: Any, index_ctx: bool) -> ast.expr:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = self._between(left, right)
        return ast.BoolOp(op=ast.And() if op == "&&" else ast.Or(),
                          values=[self.expr(left, index_ctx), self.expr(right, index_ctx)])

    def e_range(self, node: Any, index_ctx: bool) -> ast.expr:
        parts = _children(node)
        vals = [self.expr(p, index_ctx) for p in parts]
        if index_ctx and any(_has_end(p) for p in parts):
            raise Untranslatable("a range with 'end' inside an expression in an index")
        return call("colon", *vals)

    # ------------------------------------------------------------------ matrices and cells
    def e_matrix(self, node: Any, index_ctx: bool) -> ast.expr:
        rows = [r for r in node.named_children if r.type == "row"]
        cells = [[c for c in _children(r)] for r in rows]
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
        rows = [[c for c in _children(r)] for r in node.named_children if r.type == "row"]
        rows = [r for r in rows if r]
        if not rows:
            return ast.List(elts=[], ctx=ast.Load())
        if len(rows) == 1 or all(len(r) == 1 for r in rows):
            return ast.List(elts=[self._element(c, index_ctx) for r in rows for c in r], ctx=ast.Load())
        if len({len(r) for r in rows}) != 1:
            raise Untranslatable("a cell array with rows of different lengths")
        return ast.List(elts=[ast.List(elts=[self._element(c, index_ctx) for c in r], ctx=ast.Load())
                              for r in rows], ctx=ast.Load())

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
                return _children(c)
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
                parts = _children(a)
                vals = [self.expr(p, True) for p in parts]
                items.append(ast.Slice(lower=vals[0], upper=vals[-1], step=vals[1] if len(vals) == 3 else None))
            else:
                items.append(self.expr(a, True))
        if not items:
            raise Untranslatable("x() with no subscripts")
        return items[0] if len(items) == 1 else ast.Tuple(elts=items, ctx=ast.Load())

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
        line = self.line(node)
        info = self.program.info(n)
        if n in BY_NAME and info is None:
            raise Untranslatable(BY_NAME[n])
        pyname = RENAMED_FUNCTIONS.get(n, n if info is None else python_name(n))
        if n == "functionLayer" and args and isinstance(args[0], ast.Lambda):
            registered = self._registered_function_layer(args[0])
            if registered is not None:
                fn, extra = registered
                args = [const(fn), *args[1:]]
                kws = [ast.keyword(arg="Arguments", value=ast.List(elts=extra, ctx=ast.Load())), *kws]
        if n == "dlfeval" and args and isinstance(args[0], ast.Name) and self.program.info(args[0].id):
            return self._outputs(call(pyname, *args), self.program.info(args[0].id), nargout)
        if n == "table" and info is None and node is not None and args and not kws and \
                not any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
            kws = [ast.keyword(arg="VariableNames", value=self._table_names(node))]
        if info is None and not self.program.known(n):
            self.program.note_missing(n, line)
        if info is None:
            args, kws = _pairs_to_keywords(n, args, list(kws))
        func = name(pyname) if info is None or info.owner is None else \
            ast.Attribute(value=name(python_name(info.owner)), attr=pyname, ctx=ast.Load())
        out = ast.Call(func=func, args=args, keywords=list(kws))
        if info is not None:
            if info.uses_nargout:
                out.keywords.append(ast.keyword(arg="nargout", value=const(max(nargout, 1))))
            return self._outputs(out, info, nargout)
        if n in NARGOUT_FUNCTIONS and nargout != 1:
            out.keywords.append(ast.keyword(arg="nargout", value=const(nargout)))
        return out

    def _table_names(self, node: Any) -> ast.expr:
        """table(X, Y): MATLAB names the variables after the workspace variables given (VarN otherwise)."""
        names = [self.text(a) if a.type == "identifier" and self.scope.is_variable(self.text(a)) else f"Var{k + 1}"
                 for k, a in enumerate(self._arg_nodes(node))]
        return ast.List(elts=[const(n) for n in names], ctx=ast.Load())

    def _outputs(self, value: ast.expr, info: Any, nargout: int) -> ast.expr:
        n_out = len(info.outputs)
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
                raise Untranslatable(f"'{dotted}': a package function or an undefined variable")
        value = self.expr(obj, index_ctx)
        for k, f in enumerate(fields):
            last = k == len(fields) - 1
            value = self.member(value, f, nargout if last else 1, index_ctx)
        return value

    def member(self, value: ast.expr, f: Any, nargout: int, index_ctx: bool) -> ast.expr:
        if f.type == "identifier":
            return ast.Attribute(value=value, attr=self.text(f), ctx=ast.Load())
        if f.type == "indirect_access":
            return call("getfield", value, self.expr(_children(f)[0], index_ctx))
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


def _has_end(node: Any) -> bool:
    if node.type == "end_keyword":
        return True
    if node.type == "function_call":
        return False
    return any(_has_end(c) for c in node.named_children)


def _identifiers(node: Any, src: Source) -> set[str]:
    out = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "identifier":
            out.add(src.node_text(n))
        stack.extend(n.named_children)
    return out
