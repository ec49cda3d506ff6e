"""MATLAB subscripts for translated programs: `END`, MATLAB shapes of Python values (mshape, tensor),
1-based positions of a subscript, ranges a:step:b as MATLAB counts them, column-major flattening."""
from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from layergraph.data.categorical import Categorical
from layergraph.dlarray.array import DLArray

_ALL = slice(None)
builtins_any = any


class _End:
    """MATLAB's `end` inside a subscript: a deferred expression of the extent of the dimension it indexes."""

    def __init__(self, fn: Callable[[int], Any] = lambda n: n) -> None:
        self.fn = fn

    def resolve(self, n: int) -> Any:
        return self.fn(n)

    def _op(self, other: Any, op: Callable[[Any, Any], Any], swap: bool = False) -> _End:
        def fn(n: int) -> Any:
            a = self.fn(n)
            b = other.resolve(n) if isinstance(other, _End) else other
            return op(b, a) if swap else op(a, b)
        return _End(fn)

    def __add__(self, o: Any) -> _End:
        return self._op(o, operator.add)

    def __radd__(self, o: Any) -> _End:
        return self._op(o, operator.add, True)

    def __sub__(self, o: Any) -> _End:
        return self._op(o, operator.sub)

    def __rsub__(self, o: Any) -> _End:
        return self._op(o, operator.sub, True)

    def __mul__(self, o: Any) -> _End:
        return self._op(o, operator.mul)

    def __rmul__(self, o: Any) -> _End:
        return self._op(o, operator.mul, True)

    def __truediv__(self, o: Any) -> _End:
        return self._op(o, operator.truediv)

    def __rtruediv__(self, o: Any) -> _End:
        return self._op(o, operator.truediv, True)

    def __neg__(self) -> _End:
        return _End(lambda n: -self.fn(n))

    def __floor__(self) -> _End:
        return _End(lambda n: math.floor(self.fn(n)))

    def __ceil__(self) -> _End:
        return _End(lambda n: math.ceil(self.fn(n)))

    def __round__(self) -> _End:
        return _End(lambda n: _round_half_away(self.fn(n)))


def _round_half_away(v: float) -> int:
    return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)


END = _End()


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number)


def _is_scalar_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) or (isinstance(x, (torch.Tensor, np.ndarray)) and x.ndim == 0)


def mshape(x: Any) -> tuple[int, ...]:
    """MATLAB's size of a value (at least two dimensions, trailing singletons dropped)."""
    if isinstance(x, DLArray):
        from layergraph.dlarray import size
        return tuple(size(x))
    if x is None:
        return (0, 0)
    if isinstance(x, numbers.Number):
        return (1, 1)
    if isinstance(x, (str, list, tuple)):
        return _sequence_shape(x)
    if isinstance(x, (torch.Tensor, np.ndarray)):
        return _array_shape(tuple(int(n) for n in x.shape))
    if isinstance(x, Categorical):  # its 1-D codes are a column, as MATLAB's categorical(labels) is
        return _array_shape(tuple(int(n) for n in x.codes.shape)) if x.codes.ndim != 1 else (len(x.codes), 1)
    return (1, 1)  # any other object is one MATLAB value


def _sequence_shape(x: str | list[Any] | tuple[Any, ...]) -> tuple[int, ...]:
    if len(x) == 0:
        return (0, 0)
    if isinstance(x, list) and all(isinstance(r, list) for r in x) and len({len(r) for r in x}) == 1:
        return (len(x), len(x[0]))  # a 2-D cell written as a list of rows
    return (1, len(x))


def _array_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """A tensor's MATLAB size: a 1-D tensor is a row, trailing singletons beyond two dimensions dropped."""
    if len(shape) <= 1:
        return (1, shape[0] if shape else 1)
    s = list(shape)
    while len(s) > 2 and s[-1] == 1:
        s.pop()
    return tuple(s)


def tensor(x: Any) -> torch.Tensor:
    """A numeric value as a tensor with its MATLAB shape (1-D rows become 1×n); numbers become float64."""
    if isinstance(x, DLArray) and x.fmt:
        # a formatted dlarray is stored in torch order: a MATLAB-order reshape of it would be wrong
        raise TypeError(f"this MATLAB function is not available for formatted dlarrays ('{x.fmt}') in "
                        "layergraph.port; apply it to extractdata(X) or use layergraph's dlarray functions")
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, np.ndarray):
        t = torch.from_numpy(x if x.flags.writeable else x.copy())
    elif isinstance(x, bool):
        t = torch.tensor(x)
    elif isinstance(x, complex):
        t = torch.tensor(x, dtype=torch.complex128)
    elif isinstance(x, numbers.Number):
        t = torch.tensor(float(x), dtype=torch.float64)
    elif x is None or (isinstance(x, (list, tuple)) and len(x) == 0):
        return torch.zeros(0, 0, dtype=torch.float64)
    elif isinstance(x, (list, tuple)):
        vals = [float(v) if not isinstance(v, bool) else v for v in x]
        t = torch.tensor(vals, dtype=torch.bool if all(isinstance(v, bool) for v in vals) else torch.float64)
    elif isinstance(x, str):
        t = torch.tensor([float(ord(c)) for c in x], dtype=torch.float64)
    else:
        raise TypeError(f"not a numeric array: {type(x).__name__}")
    return t.reshape(mshape(t))


def _out(t: torch.Tensor) -> Any:
    """A result in the canonical form: a Python number for 1×1, a 1-D tensor for a row vector."""
    shape = mshape(t)
    if shape == (1, 1) and not t.requires_grad:
        return t.reshape(()).item()
    if len(shape) == 2 and shape[0] == 1:
        return t.reshape(shape[1])
    return t.reshape(shape)


# ----------------------------------------------------------------------------------------- subscripts

def _positions(sub: Any, extent: int, grow: bool = False) -> torch.Tensor | None:
    """One MATLAB subscript as 0-based positions (None: `:`, everything)."""
    if isinstance(sub, slice):
        if sub == _ALL:
            return None
        a = sub.start.resolve(extent) if isinstance(sub.start, _End) else sub.start
        b = sub.stop.resolve(extent) if isinstance(sub.stop, _End) else sub.stop
        step = 1 if sub.step is None else (sub.step.resolve(extent) if isinstance(sub.step, _End) else sub.step)
        vals = _colon_values(_num(a), _num(step), _num(b))
        return _check(torch.tensor(vals, dtype=torch.float64), extent, grow)
    if isinstance(sub, _End):
        sub = sub.resolve(extent)
    if isinstance(sub, str) and sub == ":":
        return None
    if isinstance(sub, (list, tuple)) and sub and all(isinstance(v, bool) for v in sub):
        sub = torch.tensor(sub)
    if isinstance(sub, (torch.Tensor, np.ndarray)) and sub.dtype in (torch.bool, np.bool_):
        mask = torch.as_tensor(sub)
        mask = mask.t().reshape(-1) if mask.dim() == 2 else mask.reshape(-1)
        if mask.numel() > extent and bool(mask[extent:].any()):
            raise IndexError(f"Index exceeds the number of array elements ({extent}).")
        return torch.nonzero(mask).reshape(-1)
    if isinstance(sub, bool):
        return torch.tensor([0]) if sub else torch.zeros(0, dtype=torch.long)
    t = tensor(sub)
    t = t.t().reshape(-1) if t.dim() == 2 else t.permute(*reversed(range(t.dim()))).reshape(-1)
    return _check(t.double(), extent, grow)


def _num(v: Any) -> float:
    return float(v.item()) if isinstance(v, (torch.Tensor, np.ndarray)) else float(v)


def _check(vals: torch.Tensor, extent: int, grow: bool) -> torch.Tensor:
    if vals.numel() and (bool((vals != torch.round(vals)).any()) or bool((vals < 1).any())):
        bad = vals[(vals != torch.round(vals)) | (vals < 1)][0].item()
        raise IndexError(f"Index in position must be a positive integer (1-based, as in MATLAB); got {bad:g}")
    if not grow and vals.numel() and vals.max().item() > extent:
        raise IndexError(f"Index exceeds the number of array elements. Index must not exceed {extent}.")
    return (vals - 1).long()


def _sub_shape(sub: Any, positions: torch.Tensor) -> tuple[int, ...]:
    """The MATLAB shape of a subscript itself (for linear indexing's result shape)."""
    if isinstance(sub, (slice, _End)) or _is_scalar_number(sub) or isinstance(sub, bool):
        return (1, int(positions.numel()))
    if isinstance(sub, (torch.Tensor, np.ndarray)) and sub.dtype in (torch.bool, np.bool_):
        s = mshape(sub)
        return (1, int(positions.numel())) if len(s) == 2 and s[0] == 1 else (int(positions.numel()), 1)
    return mshape(sub)


def _colon_values(a: float, step: float, b: float) -> list[float]:
    """MATLAB's a:step:b (the count is floor((b-a)/step) with a tolerance, as MATLAB computes it)."""
    if step == 0 or (step > 0 and a > b) or (step < 0 and a < b) or any(map(math.isnan, (a, step, b))):
        return []
    n = math.floor((b - a) / step + 1e-10 * max(1.0, abs((b - a) / step)))
    return [a + k * step for k in range(n + 1)]


def _flat(t: torch.Tensor) -> torch.Tensor:
    return t.permute(*reversed(range(t.dim()))).reshape(-1) if t.dim() else t.reshape(1)


def _unflat(vals: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Column-major reshape (MATLAB's reshape)."""
    return vals.reshape(tuple(reversed(shape))).permute(*reversed(range(len(shape))))


def _view_shape(shape: tuple[int, ...], k: int) -> list[int]:
    """The array as k dimensions: the last subscript spans the rest, extra subscripts index size-1 dims."""
    if k >= len(shape):
        return list(shape) + [1] * (k - len(shape))
    return [*list(shape[:k - 1]), math.prod(shape[k - 1:])]
