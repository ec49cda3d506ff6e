"""Values of `${...}` expressions: MATLAB arithmetic on numbers and row vectors, and text interpolation.

`evaluate(text, env)` computes one expression; `interpolate(value, env)` handles a YAML string that holds
`${...}`: a string that is exactly one `${...}` takes the expression's value (a number or a list), and a
longer string gets each value written into it ("down${i}" → "down3").
"""
from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from typing import Any

from layergraph.spec.expr import FUNCTIONS, MAX_LIST, MAX_MAGNITUDE, MAX_STEPS, Budget, ExprError, parse

MAX_STRING = 4096  # characters of a text value that holds ${...}, before and after interpolation


def evaluate(text: str, env: Mapping[str, Any], budget: Budget | None = None) -> Any:
    """The value of one expression (without the `${ }`); whole numbers come back as int, as MATLAB prints them.
    `budget` is charged for every step (an expansion shares one among all its expressions)."""
    return _whole(_Evaluator(env, budget or Budget()).value(parse(text)))


def has_expr(value: Any) -> bool:
    """True for a string that holds `${`."""
    return isinstance(value, str) and "${" in value


def interpolate(text: str, env: Mapping[str, Any], budget: Budget | None = None) -> Any:
    """A YAML string with `${...}`: exactly `${e}` → e's value; otherwise text with the values written in.

    `$${` is a literal `${`. Errors are ExprError with the offset into `text`.
    """
    if len(text) > MAX_STRING:
        raise ExprError(f"text with ${{...}} is longer than {MAX_STRING} characters", 0)
    budget = budget or Budget()
    parts = _split(text)
    if len(parts) == 1 and isinstance(parts[0], tuple):
        expr, at = parts[0]
        return _at(expr, env, at, budget)
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        expr, at = part
        out.append(_as_text(_at(expr, env, at, budget), at))
    result = "".join(out)
    if len(result) > MAX_STRING:
        raise ExprError(f"the text grows longer than {MAX_STRING} characters", 0)
    budget.spend(len(result))
    return result


def _at(expr: str, env: Mapping[str, Any], offset: int, budget: Budget) -> Any:
    """evaluate(expr), with an error's offset moved to where the expression starts in the text."""
    try:
        return evaluate(expr, env, budget)
    except ExprError as err:
        raise ExprError(err.message, offset + err.offset) from None


def _split(text: str) -> list[str | tuple[str, int]]:
    """Literal pieces and (expression, offset) pieces of a string."""
    parts: list[str | tuple[str, int]] = []
    literal: list[str] = []
    i = 0
    while True:
        j = text.find("$", i)
        if j < 0:
            literal.append(text[i:])
            break
        if text.startswith("$${", j):
            literal.append(text[i:j] + "${")
            i = j + 3
        elif text.startswith("${", j):
            k = text.find("}", j + 2)
            if k < 0:
                raise ExprError("'${' without its closing '}'", j)
            literal.append(text[i:j])
            if "".join(literal):
                parts.append("".join(literal))
            literal = []
            parts.append((text[j + 2:k], j + 2))
            i = k + 1
        else:
            literal.append(text[i:j + 1])
            i = j + 1
    if "".join(literal) or not parts:
        parts.append("".join(literal))
    return parts


def _as_text(value: Any, at: int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise ExprError("a vector cannot be written inside text; use the whole value \"${...}\"", at)


def _whole(value: Any) -> Any:
    """Whole floats as ints (64/2 → 32), also inside vectors."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


# ----- the evaluator --------------------------------------------------------------------------------
def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _num(v: Any, at: int, what: str) -> int | float:
    if not _is_num(v):
        raise ExprError(f"{what} needs numbers, got {_kind(v)}", at)
    return v


def _nums(v: Any, at: int, what: str) -> list:
    items = v if isinstance(v, list) else [v]
    for item in items:
        _num(item, at, what)
    return items


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, str):
        return f"the text '{v[:20]}'"
    if isinstance(v, list):
        return "a vector of non-numbers"
    return type(v).__name__


def _check(v: Any, at: int) -> Any:
    for x in v if isinstance(v, list) else [v]:
        if _is_num(x) and not abs(x) <= MAX_MAGNITUDE:  # NaN and inf fail too; exact for integers of any size
            raise ExprError(f"number too large (limit {MAX_MAGNITUDE:g})", at)
    return v


def _power(a: Any, b: Any, at: int) -> int | float:
    if a == 0 and b < 0:
        raise ExprError("division by zero", at)
    if a < 0 and not float(b).is_integer():
        raise ExprError("a negative number to a fractional power", at)
    if a != 0 and b * math.log10(abs(a)) > math.log10(MAX_MAGNITUDE) + 0.5:
        raise ExprError(f"number too large (limit {MAX_MAGNITUDE:g})", at)
    if isinstance(a, int) and isinstance(b, int) and b >= 0:
        return a ** b
    return float(a) ** b


def _divide(a: Any, b: Any, at: int, floor: bool) -> int | float:
    if b == 0:
        raise ExprError("division by zero", at)
    return a // b if floor else a / b


def _round(x: int | float) -> int:
    """MATLAB's round: halves away from zero (Python's round goes to even)."""
    f = math.floor(abs(x))
    return int(math.copysign(f + 1 if abs(x) - f >= 0.5 else f, x))


class _Evaluator:
    def __init__(self, env: Mapping[str, Any], budget: Budget) -> None:
        self.env = env
        self.budget = budget
        self.steps = 0
        self.ends: list[int] = []

    def tick(self, n: int, at: int) -> None:
        self.steps += n
        if self.steps > MAX_STEPS:
            raise ExprError(f"expression takes more than {MAX_STEPS} steps", at)
        self.budget.spend(n, at)

    def value(self, node: tuple) -> Any:
        self.tick(1, node[-1])
        kind = node[0]
        if kind == "num":
            return node[1]
        if kind == "name":
            return self.name(node[1], node[2])
        if kind == "end":
            if not self.ends:
                raise ExprError("'end' only has a meaning inside an index, as in x(end)", node[1])
            return self.ends[-1]
        if kind == "neg":
            return self.elementwise(lambda a, b: -a, self.value(node[1]), 0, node[2], "-")
        if kind == "bin":
            return self.binary(node[1], self.value(node[2]), self.value(node[3]), node[4])
        if kind == "range":
            step = 1 if node[2] is None else self.value(node[2])
            return self.range(self.value(node[1]), step, self.value(node[3]), node[4])
        if kind == "list":
            return self.concat([self.value(n) for n in node[1]], node[2])
        if kind == "call":
            return _check(self.call(node[1], [self.value(n) for n in node[2]], node[3]), node[3])
        return self.index(node[1], node[2], node[3])

    def name(self, name: str, at: int) -> Any:
        if name in self.env:  # a parameter's value is bounded like every number in an expression
            value = self.env[name]
            if isinstance(value, list):
                if len(value) > MAX_LIST:
                    raise ExprError(f"'{name}' has {len(value):,} elements (limit {MAX_LIST})", at)
                return _check(value, at)
            return _check(value, at)
        if name in FUNCTIONS:
            raise ExprError(f"'{name}' is a function: write {name}(...)", at)
        hint = difflib.get_close_matches(name, [*self.env, *FUNCTIONS], n=1)
        known = ", ".join(sorted(self.env)) or "none"
        extra = f"; did you mean '{hint[0]}'?" if hint else f" (names here: {known[:200]})"
        raise ExprError(f"unknown name '{name}'{extra}", at)

    def elementwise(self, op: Callable[[Any, Any], Any], a: Any, b: Any, at: int, sym: str) -> Any:
        if isinstance(a, list) and isinstance(b, list) and len(a) != len(b):
            raise ExprError(f"'{sym}' of vectors of different lengths ({len(a)} and {len(b)})", at)
        xs, ys = _nums(a, at, f"'{sym}'"), _nums(b, at, f"'{sym}'")
        self.tick(max(len(xs), len(ys)), at)
        if isinstance(a, list) or isinstance(b, list):
            pairs = zip(xs, ys) if len(xs) == len(ys) else ((x, ys[0]) for x in xs) if len(ys) == 1 \
                else ((xs[0], y) for y in ys)
            return _check([op(x, y) for x, y in pairs], at)
        return _check(op(a, b), at)

    def binary(self, op: str, a: Any, b: Any, at: int) -> Any:
        if op in ("+", "-"):
            return self.elementwise((lambda x, y: x + y) if op == "+" else (lambda x, y: x - y), a, b, at, op)
        if op == "*":
            if isinstance(a, list) and isinstance(b, list):
                raise ExprError("'*' of two vectors is a matrix product in MATLAB; not supported", at)
            return self.elementwise(lambda x, y: x * y, a, b, at, op)
        if op == "^":
            if isinstance(a, list) or isinstance(b, list):
                raise ExprError("'^' with a vector is a matrix power in MATLAB; not supported", at)
            return _check(_power(_num(a, at, "'^'"), _num(b, at, "'^'"), at), at)
        if isinstance(b, list):
            raise ExprError(f"'{op}' by a vector is a matrix division in MATLAB; divide by a number", at)
        return self.elementwise(lambda x, y: _divide(x, y, at, op == "//"), a, b, at, op)

    def range(self, a: Any, step: Any, b: Any, at: int) -> list:
        a, step, b = (_num(v, at, "':'") for v in (a, step, b))
        count = 0.0 if step == 0 else (b - a) / step  # a subnormal step makes this inf, never an int
        if not math.isfinite(count):
            raise ExprError(f"range of more than {MAX_LIST} elements (limit {MAX_LIST})", at)
        n = math.floor(count + 1e-10) + 1
        if n > MAX_LIST:
            raise ExprError(f"range of {n} elements (limit {MAX_LIST})", at)
        self.tick(max(n, 0), at)
        return [a + k * step for k in range(max(n, 0))]

    def concat(self, items: list, at: int) -> list:
        out: list = []
        for item in items:
            out.extend(item if isinstance(item, list) else [item])
            if len(out) > MAX_LIST:
                raise ExprError(f"vector of more than {MAX_LIST} elements", at)
        self.tick(len(out), at)
        return out

    def index(self, name: str, args: list[tuple], at: int) -> Any:
        if name not in self.env:
            hint = difflib.get_close_matches(name, [*FUNCTIONS, *self.env], n=1)
            extra = f"did you mean '{hint[0]}'? " if hint else ""
            raise ExprError(f"unknown function or name '{name}' ({extra}functions: {', '.join(FUNCTIONS)})", at)
        base = self.env[name]
        items = base if isinstance(base, list) else [base]
        if len(args) != 1:
            raise ExprError(f"{name}(...) takes one index (1-based, as in MATLAB: {name}(2))", at)
        self.ends.append(len(items))
        try:
            idx = self.value(args[0])
        finally:
            self.ends.pop()
        picks = idx if isinstance(idx, list) else [idx]
        self.tick(len(picks), at)
        out = []
        for k in picks:
            if not _is_num(k) or not float(k).is_integer() or not 1 <= k <= len(items):
                raise ExprError(f"index {k!r} of {name} is out of range 1..{len(items)}", at)
            out.append(items[int(k) - 1])
        return out if isinstance(idx, list) else out[0]

    def call(self, fn: str, args: list, at: int) -> Any:
        want = (1, 2) if fn in ("min", "max") else (1,)
        if len(args) not in want:
            raise ExprError(f"{fn} takes {' or '.join(map(str, want))} argument{'s' * (want[-1] > 1)}", at)
        if len(args) == 2:
            pick = min if fn == "min" else max
            return self.elementwise(lambda x, y: pick(x, y), args[0], args[1], at, fn)
        items = _nums(args[0], at, fn) if fn != "numel" else (args[0] if isinstance(args[0], list) else [args[0]])
        self.tick(len(items), at)
        if fn in ("floor", "ceil", "round"):
            op = {"floor": math.floor, "ceil": math.ceil, "round": _round}[fn]
            return [op(x) for x in items] if isinstance(args[0], list) else op(items[0])
        if fn == "numel":
            return len(items)
        if fn in ("min", "max"):
            if not items:
                raise ExprError(f"{fn} of an empty vector", at)
            return (min if fn == "min" else max)(items)
        total: int | float = 1 if fn == "prod" else 0
        for x in items:
            total = total * x if fn == "prod" else total + x
            _check(total, at)
        return total
