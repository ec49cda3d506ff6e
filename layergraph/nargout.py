"""MATLAB's nargout for Python callers: how many results the calling statement unpacks.

MATLAB functions return what the caller asks for: `Z = predict(net, X)` the first output, `[a, b, c] =
predict(net, X)` three. Python has no nargout, but the statement that calls is visible: `a, b, c = f(...)` is a
call followed directly by unpacking into three names, which this module reads from the caller's bytecode.
The rule, for every MATLAB-named function whose result depends on nargout:

- `a, b, c = f(...)`: nargout is 3 (the number of names unpacked; `_` counts, as MATLAB's `~`);
- a bare statement `f(...)` (the result thrown away): nargout is 0, which functions treat as 1 unless MATLAB
  does something else then (`load(filename)` creates the variables);
- anything else (`Z = f(...)`, `g(f(...))`, `return f(...)`, `f(...)[0]`): nargout is 1;
- `a, *rest = f(...)`: every output the function has;
- `f(..., nargout=k)` says it explicitly and wins (for code that unpacks later, e.g. `out = f(..., nargout=3)`).
"""
from __future__ import annotations

import dis
import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from types import CodeType
from typing import Any

from layergraph.errors import LayergraphError

# code of wrappers that call the MATLAB function for its caller (layergraph.namevalue.matlab_keywords):
# nargout belongs to the statement that called the wrapper
PASS_THROUGH: set[CodeType] = set()

ALL = 1 << 30  # nargout of `a, *rest = f(...)`: as many outputs as there are


def nargout(fname: str, given: Any = None, depth: int = 1) -> int:
    """The number of outputs the caller of the MATLAB function `fname` asks for.

    `given` is an explicit `nargout=` keyword (used when not None); `depth` counts frames from the MATLAB
    function's own frame (1) up to the statement that called it.
    """
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, int) or given < 0:
            raise LayergraphError(f"{fname}: nargout must be a non-negative integer; got {given!r}")
        return given
    frame = sys._getframe(depth + 1)
    while frame.f_code in PASS_THROUGH and frame.f_back is not None:
        frame = frame.f_back
    return _unpacked(frame.f_code).get(frame.f_lasti, 1)


@functools.lru_cache(maxsize=4096)
def _unpacked(code: CodeType) -> dict[int, int]:
    """For each call instruction of `code` whose result is unpacked at once: the number of names."""
    out: dict[int, int] = {}
    previous = None
    for ins in dis.get_instructions(code):
        if previous is not None and previous.opname.startswith("CALL"):
            count = None
            if ins.opname == "POP_TOP":  # a bare statement, `f(...)`: MATLAB's nargout 0
                count = 0
            elif ins.opname == "UNPACK_SEQUENCE":
                count = int(ins.arg or 0)
            elif ins.opname == "UNPACK_EX":  # a, b, *rest = f(...): every output there is
                count = ALL
            if count is not None:
                # the frame's last instruction may be the call or one of its inline cache entries (3.11+)
                for offset in range(previous.offset, ins.offset, 2):
                    out[offset] = count
        previous = ins
    return out


def results(fname: str, n: int, values: Sequence[Any], what: str) -> Any:
    """MATLAB's outputs for nargout `n` from the full list `values`: the first alone for n ≤ 1, else a tuple."""
    if n >= ALL:
        return tuple(values)
    if n > len(values):
        raise LayergraphError(f"{fname}: {n} outputs were asked for but {what} gives at most {len(values)}")
    return values[0] if n <= 1 else tuple(values[:n])


def nargin(fn: Callable[..., Any]) -> int | None:
    """MATLAB's nargin of a function handle for a Python callable: its positional parameters without defaults;
    None when it takes *args (MATLAB's varargin) or has no signature."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params)
