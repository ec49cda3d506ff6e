"""MATLAB operators to Python with MATLAB's meaning: `*` and `/` of scalars or matrices, `^` (MATLAB's
precedence where the grammar's differs), `'`, `~`, comparisons, `&`/`|` and `&&`/`||`, ranges."""
from __future__ import annotations

import ast
import re
from typing import Any

from layergraph.port.parse import children
from layergraph.port.pyast import ARITH, COMPARE, call, has_end
from layergraph.port.scope import Untranslatable


class Operators:
    """Operator expressions (a mixin of Expressions: it uses expr, text, kind and scalar)."""

    def e_postfix_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        operand = node.child_by_field_name("operand") or children(node)[0]
        return call("transpose", self.expr(operand, index_ctx))

    def e_unary_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        operand = node.child_by_field_name("operand") or children(node)[0]
        op = self.text(node)[: self.text(node).find(self.text(operand))].strip() or "-"
        value = self.expr(operand, index_ctx)
        if op == "+":
            return value
        if op in ("~", "!"):
            return self._not(operand, value)
        return ast.UnaryOp(op=ast.USub(), operand=value)

    def e_not_operator(self, node: Any, index_ctx: bool) -> ast.expr:
        operand = children(node)[0]
        return self._not(operand, self.expr(operand, index_ctx))

    def _not(self, operand: Any, value: ast.expr) -> ast.expr:
        while operand.type == "_expression":
            operand = children(operand)[0]
        if self.kind(operand) == "bool" or operand.type in ("boolean_operator",):
            return ast.UnaryOp(op=ast.Not(), operand=value)
        return call("not_", value)

    def _op(self, node: Any) -> str:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = self._between(left, right)
        # the grammar reads `x/2.*y` as the number `2.` and `*`: MATLAB reads `2` and `.*` (also ./ .^ .\)
        if op in ("*", "/", "^", "\\") and _last_leaf(left).type == "number" and self.text(left).endswith("."):
            return "." + op
        return op

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
            return self._power_of(op, left, right, index_ctx)
        lv, rv = self.expr(left, index_ctx), self.expr(right, index_ctx)
        if op == "+":
            joined = self._string_plus(left, right, lv, rv)
            if joined is not None:
                return joined
        if op in ARITH:
            return ast.BinOp(left=lv, op=ARITH[op](), right=rv)
        return self._matrix_op(op, left, right, lv, rv)

    def _power_of(self, op: str, left: Any, right: Any, index_ctx: bool) -> ast.expr:
        """MATLAB: -a^b is -(a^b), and a^b^c is (a^b)^c (the grammar groups both the other way)."""
        if left.type in ("unary_operator", "not_operator"):
            operand = left.child_by_field_name("operand") or children(left)[0]
            inner = self._power(op, self.expr(operand, index_ctx), right, index_ctx, operand)
            lop = self.text(left)[: self.text(left).find(self.text(operand))].strip()
            if lop in ("~", "!"):
                return call("not_", inner)
            return inner if lop == "+" else ast.UnaryOp(op=ast.USub(), operand=inner)
        return self._power(op, self.expr(left, index_ctx), right, index_ctx, left)

    def _string_plus(self, left: Any, right: Any, lv: ast.expr, rv: ast.expr) -> ast.expr | None:
        """`"a" + n`: string concatenation (numbers written as MATLAB's string does); None if not text."""
        kl, kr = self.kind(left), self.kind(right)
        if "string" in (kl, kr):
            lv = lv if kl in ("string", "char") else call("string", lv)
            rv = rv if kr in ("string", "char") else call("string", rv)
            return ast.BinOp(left=lv, op=ast.Add(), right=rv)
        if "char" in (kl, kr):
            raise Untranslatable("'+' on a char vector adds character codes in MATLAB; use a string")
        return None

    def _matrix_op(self, op: str, left: Any, right: Any, lv: ast.expr, rv: ast.expr) -> ast.expr:
        """`*`, `/`, `\\`: Python's operator where a scalar makes it elementwise, else the matrix operation."""
        if op == "*":
            scalar = self.scalar(left) or self.scalar(right)
            return ast.BinOp(left=lv, op=ast.Mult(), right=rv) if scalar else call("mtimes", lv, rv)
        if op == "/":
            return ast.BinOp(left=lv, op=ast.Div(), right=rv) if self.scalar(right) else call("mrdivide", lv, rv)
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

    def _logic_items(self, node: Any, items: list[Any]) -> None:
        if node.type == "comparison_operator":
            parts = children(node)
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
        parts = children(node)
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
        parts = children(node)
        vals = [self.expr(p, index_ctx) for p in parts]
        if index_ctx and any(has_end(p) for p in parts):
            raise Untranslatable("a range with 'end' inside an expression in an index")
        return call("colon", *vals)


def _last_leaf(node: Any) -> Any:
    while node.children:
        node = node.children[-1]
    return node
