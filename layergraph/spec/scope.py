"""Scopes of spec templates: parameter values, `${...}` resolution with file:line:column errors, and line
numbers that remember the block instance they came from."""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from layergraph.errors import SpecError
from layergraph.spec.evaluate import interpolate
from layergraph.spec.expr import RESERVED, Budget, ExprError
from layergraph.spec.yamlsafe import LineDict

_IDENT = re.compile(r"[A-Za-z]\w*\Z", re.ASCII)


class SpecLine(int):
    """A line number that prints with where it came from: '12 (block 'down', instance 'down3' at line 40)'."""

    context: str

    def __new__(cls, line: int, context: str) -> SpecLine:
        obj = super().__new__(cls, line)
        obj.context = context
        return obj

    def __getnewargs__(self) -> tuple[int, str]:  # copy and pickle
        return int(self), self.context

    def __str__(self) -> str:
        return f"{int(self)} ({self.context})"

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else format(int(self), spec)


@dataclass(frozen=True)
class Ctx:
    """Where values come from: the file and the chain of instances / repeat indices (innermost first)."""

    where: str
    chain: tuple[str, ...] = ()
    budget: Budget = field(default_factory=Budget, compare=False)  # shared by the whole expansion

    def push(self, item: str) -> Ctx:
        return Ctx(self.where, (item, *self.chain), self.budget)

    def line(self, n: int) -> int:
        return SpecLine(int(n), "; ".join(self.chain)) if self.chain else int(n)

    def fail(self, line: int, message: str, col: int | None = None) -> SpecError:
        """'file:line[:col] (block …, instance … at line …): message', as SpecLine prints in graph_from_data."""
        pos = f"{int(line)}:{col}" if col else f"{int(line)}"
        extra = f" ({'; '.join(self.chain)})" if self.chain else ""
        return SpecError(f"{self.where}:{pos}{extra}: {message}")


def line_of(obj: Any, key: Any, default: int) -> int:
    lines = getattr(obj, "lines", None)
    try:
        return lines[key] if lines is not None else getattr(obj, "line", default)
    except (KeyError, IndexError):
        return getattr(obj, "line", default)


def at_of(obj: Any, key: Any, line: int) -> tuple[int, int | None]:
    at = getattr(obj, "at", None)
    try:
        return at[key] if at is not None else (line, None)
    except (KeyError, IndexError):
        return line, None


def _short(text: str) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= 80 else text[:77] + "..."


def resolve(value: Any, env: Mapping[str, Any], ctx: Ctx, at: tuple[int, int | None]) -> Any:
    """`value` with every `${...}` in its strings evaluated (lists and mappings are walked)."""
    try:
        ctx.budget.spend(1)
    except ExprError as err:
        raise ctx.fail(at[0], err.message) from None
    if isinstance(value, str):
        if "${" not in value:
            return value
        try:
            return interpolate(value, env, ctx.budget)
        except ExprError as err:
            col = at[1] + err.offset if at[1] and "\n" not in value[: err.offset] else None
            raise ctx.fail(at[0], f"{err.message}: '{_short(value)}'", col) from None
    if isinstance(value, list):
        return [resolve(v, env, ctx, at_of(value, i, at[0])) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = LineDict()
        out.line, out.lines = getattr(value, "line", at[0]), getattr(value, "lines", {})
        for key, v in value.items():
            out[key] = resolve(v, env, ctx, at_of(value, key, at[0]))
        return out
    return value


# ----- parameters -----------------------------------------------------------------------------------
def check_name(name: Any, what: str, ctx: Ctx, line: int) -> str:
    """A parameter or index name: an identifier that is no function name."""
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ctx.fail(line, f"{what} name {name!r} must be a name such as numFilters (letters, digits, _)")
    if name in RESERVED:
        raise ctx.fail(line, f"{what} name '{name}' is taken by the expression language ({', '.join(RESERVED)})")
    return name


def check_value(value: Any, what: str, ctx: Ctx, line: int) -> Any:
    """Parameter values are numbers, text, true/false or lists of them."""
    ok = (int, float, str, bool)
    if isinstance(value, ok) or (isinstance(value, list) and all(
            isinstance(v, ok) or (isinstance(v, list) and all(isinstance(w, ok) for w in v)) for v in value)):
        return list(value) if isinstance(value, list) else value
    shown = "nothing (null)" if value is None else type(value).__name__
    raise ctx.fail(line, f"{what}: a parameter holds a number, text, true/false or a list, not {shown}")


def spec_params(data: Mapping[str, Any], overrides: dict[str, Any], ctx: Ctx, origin: str) -> dict[str, Any]:
    raw = data.get("params")
    at = line_of(data, "params", 1)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ctx.fail(at, "'params' must be a mapping of names to values (numFilters: 64)")
    for name in overrides:
        if name not in raw:
            hint = difflib.get_close_matches(str(name), [str(k) for k in raw], n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else f" (params: {', '.join(map(str, raw)) or 'none'})"
            raise SpecError(f"{ctx.where}: unknown parameter '{name}' ({origin}){extra}")
    env: dict[str, Any] = {}
    for name, value in raw.items():
        line = line_of(raw, name, at)
        check_name(name, "parameter", ctx, line)
        if name in overrides:
            try:
                value = resolve(overrides[name], env, Ctx(f"parameter '{name}' ({origin})"), (0, None))
            except SpecError as err:  # the override has no file line: say where it was given instead
                raise SpecError(f"{ctx.where}: {str(err).replace(':0: ', ': ', 1)}") from None
        else:
            value = resolve(value, env, ctx, at_of(raw, name, line))
        env[name] = check_value(value, f"parameter '{name}'", ctx, line)
    return env
