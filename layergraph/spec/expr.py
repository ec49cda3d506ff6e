"""The `${...}` expression language of spec templates: our own tokenizer and recursive-descent parser.

Nothing here calls Python's `eval`, `ast` or attribute lookup: the grammar below is all there is.

    range   = sum [":" sum [":" sum]]               a:b, a:step:b  (MATLAB colon; a row vector)
    sum     = product {("+" | "-") product}
    product = unary {("*" | "/" | "//") unary}
    unary   = ("-" | "+") unary | power
    power   = postfix {"^" exponent}                 left to right, as in MATLAB: 2^3^2 = 64
    exponent= ("-" | "+") exponent | postfix
    postfix = NAME "(" [range {"," range}] ")"       a function call or 1-based indexing x(2), x(2:end)
            | primary
    primary = NUMBER | NAME | "end" | "(" range ")" | "[" [range {"," range}] "]"

Values are numbers (int/float), row vectors (lists; `[a, b]` concatenates as MATLAB's `[a b]` does),
and the strings or booleans a parameter holds. Every size is bounded (see the LIMITS below).
"""
from __future__ import annotations

import functools
import re
from typing import Any

from layergraph.errors import SpecError
from layergraph.safety.numbers import parse_number

# ----- limits: every expression is small, so each bound is generous for real specs -----------------
MAX_TEXT = 500        # characters of one expression
MAX_TOKENS = 200      # tokens of one expression
MAX_DEPTH = 32        # nesting of brackets, calls and unary signs
MAX_LIST = 4096       # elements of a vector
MAX_STEPS = 20_000    # evaluation steps of one expression (vector elements count one each)
MAX_MAGNITUDE = 1e15  # largest absolute value of any number
MAX_WORK = 500_000    # all evaluation steps, values visited and characters written by one expansion

FUNCTIONS = ("prod", "sum", "min", "max", "floor", "ceil", "round", "numel")
RESERVED = (*FUNCTIONS, "end")


class Budget:
    """The work one expansion may do in all, shared by its expressions: each is bounded, and so is their sum
    (a block repeated 10,000 times must not run each bounded expression 10,000 times without end)."""

    def __init__(self, limit: int = MAX_WORK) -> None:
        self.limit = self.left = limit

    def spend(self, n: int, at: int = 0) -> None:
        self.left -= n
        if self.left < 0:
            raise ExprError(f"the spec needs more than {self.limit:,} steps to expand (expressions, values and "
                            "text in all)", at)


class ExprError(Exception):
    """A bad expression: `message` and the 0-based `offset` into the expression text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


# ----- tokens -------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
                    r"|(?P<op>//|[-+*/^(),:\[\]]))", re.ASCII)
_HINTS = {"**": "use ^ for powers, as in MATLAB (2^i)", "{": "braces have no meaning in an expression",
          "'": "an expression holds no strings", '"': "an expression holds no strings",
          "=": "there is no assignment or comparison", "<": "there are no comparisons",
          ">": "there are no comparisons", "%": "there is no % operator (floor division is //)"}


def tokenize(text: str) -> list[tuple[str, Any, int]]:
    """(kind, value, offset) tokens of an expression, ending with ('end', None, len)."""
    if len(text) > MAX_TEXT:
        raise ExprError(f"expression longer than {MAX_TEXT} characters", 0)
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        start = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
        if m is None or text.startswith("**", start):
            raise ExprError(_bad_char(text, start, tokens), start)
        kind = m.lastgroup or "op"
        raw = m.group(kind)
        if kind == "num":
            tokens.append(("num", _number(raw, start), start))
            if m.end() < len(text) and (text[m.end()].isalpha() or text[m.end()] in "_."):
                raise ExprError(f"unexpected '{text[m.end()]}' after the number {raw}", m.end())
        else:
            tokens.append((kind, raw, start))
        if len(tokens) > MAX_TOKENS:
            raise ExprError(f"expression has more than {MAX_TOKENS} tokens", start)
        pos = m.end()
    tokens.append(("end", None, len(text)))
    return tokens


def _bad_char(text: str, at: int, tokens: list) -> str:
    ch = text[at]
    if ch == "." and tokens and tokens[-1][0] in ("name", "op") and tokens[-1][1] not in "([,:+-*/^":
        return "attribute access ('.') is not allowed"
    for key, hint in _HINTS.items():
        if text.startswith(key, at):
            return f"unexpected '{key}': {hint}"
    return f"unexpected character {ch!r}"


def _number(raw: str, at: int) -> int | float:
    """A number token, read by the one parser for numbers in text (digits, finiteness), then bounded."""
    shown = raw if len(raw) <= 20 else raw[:19] + "…"
    try:
        value = parse_number(raw, "expression")
    except SpecError as err:
        raise ExprError(str(err), at) from None
    if abs(value) > MAX_MAGNITUDE:
        raise ExprError(f"number {shown} is too large (limit {MAX_MAGNITUDE:g})", at)
    return value


# ----- parser: text → nested tuples (kind, ..., offset) ---------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, Any, int]:
        return self.tokens[self.i]

    def take(self, value: str | None = None) -> tuple[str, Any, int]:
        tok = self.tokens[self.i]
        if value is not None and tok[1] != value:
            found = "the end" if tok[0] == "end" else f"'{tok[1]}'"
            raise ExprError(f"expected '{value}' but found {found}", tok[2])
        self.i += 1
        return tok

    def nest(self, at: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested more than {MAX_DEPTH} deep", at)

    def parse(self) -> tuple:
        node = self.range()
        tok = self.peek()
        if tok[1] == "[":
            raise ExprError("index with parentheses, 1-based as in MATLAB: x(1)", tok[2])
        if tok[0] != "end":
            raise ExprError(f"unexpected '{tok[1]}'", tok[2])
        return node

    def range(self) -> tuple:
        first = self.sum()
        if self.peek()[1] != ":":
            return first
        at = self.take()[2]
        second = self.sum()
        if self.peek()[1] != ":":
            return ("range", first, None, second, at)
        self.take()
        return ("range", first, second, self.sum(), at)

    def sum(self) -> tuple:
        node = self.product()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op, at = self.take()[1:]
            node = ("bin", op, node, self.product(), at)
        return node

    def product(self) -> tuple:
        node = self.unary()
        while self.peek()[1] in ("*", "/", "//") and self.peek()[0] == "op":
            op, at = self.take()[1:]
            node = ("bin", op, node, self.unary(), at)
        return node

    def unary(self, operand: str = "power") -> tuple:
        tok = self.peek()
        if tok[0] == "op" and tok[1] in ("-", "+"):
            self.take()
            self.nest(tok[2])
            inner = self.unary(operand)
            self.depth -= 1
            return ("neg", inner, tok[2]) if tok[1] == "-" else inner
        return self.power() if operand == "power" else self.postfix()

    def power(self) -> tuple:
        node = self.postfix()
        while self.peek()[1] == "^" and self.peek()[0] == "op":
            at = self.take()[2]
            node = ("bin", "^", node, self.unary("postfix"), at)
        return node

    def postfix(self) -> tuple:
        tok = self.peek()
        if tok[0] == "name" and self.tokens[self.i + 1][1] == "(":
            self.take()
            args = self.sequence("(", ")")
            kind = "call" if tok[1] in FUNCTIONS else "index"
            return (kind, tok[1], args, tok[2])
        return self.primary()

    def sequence(self, open_: str, close: str) -> list[tuple]:
        at = self.take(open_)[2]
        self.nest(at)
        items: list[tuple] = []
        if self.peek()[1] != close:
            items.append(self.range())
            while self.peek()[1] == ",":
                self.take()
                items.append(self.range())
        self.take(close)
        self.depth -= 1
        return items

    def primary(self) -> tuple:
        kind, value, at = self.peek()
        if kind == "num":
            self.take()
            return ("num", value, at)
        if kind == "name":
            self.take()
            return ("end", at) if value == "end" else ("name", value, at)
        if value == "(":
            self.take()
            self.nest(at)
            node = self.range()
            self.take(")")
            self.depth -= 1
            return node
        if value == "[":
            return ("list", self.sequence("[", "]"), at)
        raise ExprError("the expression ends too early" if kind == "end" else f"unexpected '{value}'", at)


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> tuple:
    """The syntax tree of an expression (cached: block bodies repeat the same texts)."""
    if not text.strip():
        raise ExprError("empty expression", 0)
    return _Parser(text).parse()
