"""The one parser for numbers that arrive as text (YAML scalars, `--set`, `${...}`, comparison tables, command
options such as `--seed` and `--label`), with limits checked before any conversion.

Python's `int()` would accept '٣' (an Arabic-Indic three) and '1_000', refuse integers of more than 4,300
digits with a ValueError, and turn '1e999' into inf; `float(huge_int)` raises OverflowError. Here a number is
ASCII decimal text of at most MAX_NUMBER_CHARS characters, finite, and within the caller's bounds; every refusal
is a one-line SpecError (LimitError for a bound) that names what was being read.
"""
from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

from layergraph.errors import LimitError, SpecError

MAX_NUMBER_CHARS = 100  # characters of one number written as text (a double has 17 significant digits)
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)


def _show(text: str) -> str:
    """The text for a message: at most 24 characters, control characters escaped."""
    short = text if len(text) <= 24 else text[:23] + "…"
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in short)


def _fmt(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:,.15g}"


def show_number(value: int | float) -> str:
    """A number for a message, whatever its size (str() of an integer of over 4,300 digits raises)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) < 10**30 else f"an integer of {value.bit_length() * 0.30103:,.0f} digits"
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def brief(value: object, limit: int = 80) -> str:
    """repr(value) cut to `limit` characters for a one-line message (and safe for integers of any size)."""
    try:
        text = repr(value)
    except ValueError:  # an integer of more than 4,300 digits
        text = show_number(value) if isinstance(value, int) else type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_number_text(text: str) -> bool:
    """True for text this parser reads as a number (ASCII decimal, of any length)."""
    return isinstance(text, str) and _DECIMAL.fullmatch(text.strip()) is not None


def within(value: int | float, what: str, low: float | None = None, high: float | None = None) -> int | float:
    """`value` when it is finite and in [low, high]; compared exactly, so an integer of any size is safe here
    (math.isfinite or float() of an integer above 1e308 would raise OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{what} must be a number, got {type(value).__name__}")
    if isinstance(value, float) and math.isnan(value):
        raise SpecError(f"{what} must be a number, got NaN")
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "" if low is None else f"from {_fmt(low)} "
        hi = "" if high is None else f"{'to' if low is not None else 'at most'} {_fmt(high)}"
        raise LimitError(f"{what} must be {lo}{hi}, got {show_number(value)}".replace("  ", " "))
    if isinstance(value, float) and math.isinf(value):
        raise LimitError(f"{what} must be finite, got {value}")
    return value


def parse_number(text: str, what: str, integer: bool = False, low: float | None = None,
                 high: float | None = None) -> int | float:
    """The int (no '.', 'e') or float written in `text`; with integer=True only whole numbers are taken
    ('3.0' and '3e2' count). Refused: non-ASCII digits ('²', '٣'), more than MAX_NUMBER_CHARS characters,
    values that are not finite or outside [low, high]."""
    if not isinstance(text, str):
        raise SpecError(f"{what} must be text holding a number, got {type(text).__name__}")
    t = text.strip()
    if not t:
        raise SpecError(f"{what}: no number given")
    if len(t) > MAX_NUMBER_CHARS:
        raise LimitError(f"{what}: the number '{_show(t)}' is {len(t):,} characters long; the limit is "
                         f"{MAX_NUMBER_CHARS}")
    if _DECIMAL.fullmatch(t) is None:
        odd = next((ch for ch in t if not ch.isascii()), None)
        why = f" ({odd!r} is not an ASCII digit)" if odd is not None and odd.isnumeric() else ""
        kind = "a whole number" if integer else "a number"
        raise SpecError(f"{what}: '{_show(t)}' is not {kind}{why}; write ASCII digits, as in 12, -3"
                        f"{'' if integer else ', 0.5 or 1e-3'}")
    value: int | float = int(t) if _INTEGER.fullmatch(t) else float(t)
    if isinstance(value, float) and math.isinf(value):
        raise LimitError(f"{what}: '{_show(t)}' is too large for a double (the largest is about 1.8e308)")
    if integer and isinstance(value, float):
        if not value.is_integer():
            raise SpecError(f"{what} must be a whole number, got '{_show(t)}'")
        value = int(value)
    return within(value, what, low, high)


def integer_option(low: int, high: int, what: str = "") -> Callable[[str], int]:
    """An argparse `type=` for a whole-number option in [low, high], read by parse_number (a bad value is
    argparse's one-line usage error, exit 2)."""
    def read(text: str) -> int:
        try:
            return int(parse_number(text, what or "the value", integer=True, low=low, high=high))
        except SpecError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    read.__name__ = "whole number"  # argparse names the type in its message
    return read


def _json_int(text: str) -> int:
    return int(parse_number(text, "a JSON integer", integer=True))


def _json_float(text: str) -> float:
    return float(parse_number(text, "a JSON number"))


# json.loads(text, **JSON_NUMBERS): numbers in JSON (checkpoint metadata) read by the same parser and limits
JSON_NUMBERS = {"parse_int": _json_int, "parse_float": _json_float}
