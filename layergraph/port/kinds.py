"""What the translator knows of an expression's type, only where it is certain: one integer, number, logical,
string or char vector (so `a*b` of two scalars is Python's `*`, and `for k = 1:n` a `range`)."""
from __future__ import annotations

import re
from typing import Any

from layergraph.port.parse import children
from layergraph.port.scope import BOOL_FUNCTIONS, CHAR_FUNCTIONS, INT_FUNCTIONS, SCALAR_FUNCTIONS, STRING_FUNCTIONS

_NUMERIC = ("int", "num", "bool")
_COUNTS = ("numel", "length", "ndims", "height", "width", "nnz")


class Kinds:
    """`kind(node)`: 'int', 'num', 'bool', 'string', 'char', 'handle' when certain, else None (a mixin of
    Expressions: it uses text, scope, _op, _is_index and _arg_nodes)."""

    def kind(self, node: Any) -> str | None:
        """'int', 'num', 'bool', 'string', 'char' when the expression is certainly one scalar/text, else None."""
        rule = getattr(self, "_kind_" + node.type.lstrip("_"), None)
        return rule(node) if rule is not None else None

    def scalar(self, node: Any) -> bool:
        return self.kind(node) in _NUMERIC

    def _kind_number(self, node: Any) -> str | None:
        txt = self.text(node)
        if txt.endswith(("i", "j")):
            return None
        return "int" if re.fullmatch(r"\d+", txt) or txt.lower().startswith("0x") else "num"

    def _kind_string(self, node: Any) -> str:
        return "string" if self.text(node).startswith('"') else "char"

    def _kind_boolean(self, node: Any) -> str:
        return "bool"

    def _kind_identifier(self, node: Any) -> str | None:
        n = self.text(node)
        if n in ("true", "false"):
            return "bool"
        if self.scope.is_variable(n):
            return self.scope.types.get(n)
        if n in ("pi", "Inf", "inf", "NaN", "nan", "eps"):
            return "num"
        return "int" if n in ("nargin", "nargout") else None

    def _kind_lambda(self, node: Any) -> str:
        return "handle"

    _kind_handle_operator = _kind_lambda

    def _kind_parenthesis(self, node: Any) -> str | None:
        inner = children(node)
        return self.kind(inner[0]) if inner else None

    _kind_expression = _kind_parenthesis

    def _kind_unary_operator(self, node: Any) -> str | None:
        k = self.kind(node.child_by_field_name("operand") or children(node)[0])
        return k if k in ("int", "num") else None

    def _kind_comparison_operator(self, node: Any) -> str | None:
        return "bool" if all(self.kind(p) in _NUMERIC for p in children(node)) else None

    _kind_boolean_operator = _kind_not_operator = _kind_comparison_operator

    def _kind_binary_operator(self, node: Any) -> str | None:
        op = self._op(node)
        kl, kr = self.kind(node.child_by_field_name("left")), self.kind(node.child_by_field_name("right"))
        if op == "+" and "string" in (kl, kr):
            return "string"
        if kl not in _NUMERIC or kr not in _NUMERIC:
            return None
        whole = op in ("+", "-", "*", ".*") and kl in ("int", "bool") and kr in ("int", "bool")
        return "int" if whole else "num"

    def _kind_function_call(self, node: Any) -> str | None:
        fname = node.child_by_field_name("name")
        if fname is None or fname.type != "identifier" or self._is_index(node):
            return None
        n = self.text(fname)
        args = self._arg_nodes(node)
        named = {**dict.fromkeys(STRING_FUNCTIONS, "string"), **dict.fromkeys(CHAR_FUNCTIONS, "char"),
                 **dict.fromkeys(BOOL_FUNCTIONS, "bool"), **dict.fromkeys(_COUNTS, "int")}
        if n in named:
            return named[n]
        if n == "size" and len(args) == 2:
            return "int"
        if n in SCALAR_FUNCTIONS and args and all(self.kind(a) in _NUMERIC for a in args):
            whole = n in INT_FUNCTIONS or (n in ("mod", "rem", "abs", "sign") and
                                           all(self.kind(a) == "int" for a in args))
            return "int" if whole else "num"
        return None
