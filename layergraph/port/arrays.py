"""MATLAB array semantics for translated programs: 1-based indexing with `end`, concatenation, ranges.

Values in a translated program: a MATLAB scalar is a Python number, a char vector or string a `str`, a cell
row a `list`, a numeric array a torch tensor in MATLAB layout (float64 unless made otherwise). A row vector
may be a 1-D tensor (what `horzcat` and `colon` return, so layer options see a plain vector) or a 1×n one:
both have MATLAB size 1×n here. dlarrays keep their own (MATLAB-ordered) indexing through `X.m`.

`at(x)[i, j]` is MATLAB's `x(i, j)`: subscripts are 1-based, a Python slice `a:b` is MATLAB's inclusive
range `a:b`, `:` is `:` and `END` is `end` (arithmetic on it is resolved per dimension).
`x = setat(x, v)[i, j]` is `x(i, j) = v` (a changed copy, MATLAB's value semantics; arrays grow as in
MATLAB), `x = delat(x)[i]` is `x(i) = []`; `brace(c)[i]` and `setbrace(c, v)[i]` are `c{i}` and `c{i} = v`.
"""
from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import DLArray, matlab_data, wrap

__all__ = ["END", "StructArray", "at", "brace", "colon", "delat", "forcols", "horzcat", "mldivide", "mpower",
           "mrdivide", "mshape", "mtimes", "setat", "setbrace", "transpose", "vertcat"]

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
        if len(x) == 0:
            return (0, 0)
        if isinstance(x, list) and all(isinstance(r, list) for r in x) and len({len(r) for r in x}) == 1:
            return (len(x), len(x[0]))  # a 2-D cell written as a list of rows
        return (1, len(x))
    if isinstance(x, (torch.Tensor, np.ndarray)):
        shape = tuple(int(n) for n in x.shape)
        if len(shape) == 0:
            return (1, 1)
        if len(shape) == 1:
            return (1, shape[0])
        s = list(shape)
        while len(s) > 2 and s[-1] == 1:
            s.pop()
        return tuple(s)
    return (1, 1)  # any other object is one MATLAB value


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


# ----------------------------------------------------------------------------------------- reading

class StructArray(list):
    """MATLAB's 1×n struct array (what `dir` and `struct('a', {1, 2})` give) or array of objects (graphics
    handles, `h(j) = subplot(...)`): `s(i)` is one element, `s(2:3)` an array, `s(i).a` a field of one."""


def _struct_array_read(x: StructArray, subs: list[Any]) -> Any:
    picked = _list_read(list(x), subs, False)
    single = len(subs) == 1 and not isinstance(subs[0], slice) and (_is_scalar_number(subs[0]) or
                                                                   isinstance(subs[0], _End))
    return picked[0] if single and len(picked) == 1 else StructArray(picked)


class _Reader:
    def __init__(self, x: Any, brace: bool) -> None:
        self.x, self.brace = x, brace

    def __getitem__(self, key: Any) -> Any:
        subs = list(key) if isinstance(key, tuple) else [key]
        x = self.x
        if isinstance(x, DLArray) and not x.fmt:  # an unformatted dlarray: a MATLAB numeric array
            got = _read(x.as_subclass(torch.Tensor), subs)
            return wrap(got.reshape(mshape(got)), "") if isinstance(got, torch.Tensor) and got.requires_grad \
                else got
        if isinstance(x, DLArray):
            return _dl_read(x, subs)
        if isinstance(x, StructArray) and not self.brace:
            return _struct_array_read(x, subs)
        if isinstance(x, list) and x and not self.brace and all(_is_number(v) for v in x):
            x = tuple(x)  # a list of numbers (as layergraph returns sizes and dimensions) is a numeric row
        if isinstance(x, list) or (self.brace and isinstance(x, tuple)):
            return _list_read(list(x), subs, self.brace)
        if self.brace:
            raise TypeError(f"Brace indexing is not supported for variables of this type ({type(x).__name__}).")
        if isinstance(x, str):
            chars = _read(tensor(x), subs)
            vals = chars.reshape(-1).tolist() if isinstance(chars, torch.Tensor) else [chars]
            return "".join(chr(int(v)) for v in vals)
        if isinstance(x, tuple):
            return _read(tensor(list(x)), subs)
        if callable(x) and not isinstance(x, torch.Tensor):  # f(args) on a function handle calls it
            return x(*[colon(a.start, a.step, a.stop) if isinstance(a, slice) and a.step is not None else
                       colon(a.start, a.stop) if isinstance(a, slice) and a != _ALL else a for a in subs])
        if hasattr(x, "__matlab_index__"):
            return x.__matlab_index__(subs)
        return _read(tensor(x) if not isinstance(x, torch.Tensor) else x, subs)


def at(x: Any) -> _Reader:
    """`at(x)[i, j]`: MATLAB's `x(i, j)` (1-based, `a:b` inclusive, `END`)."""
    return _Reader(x, False)


def brace(c: Any) -> _Reader:
    """`brace(c)[i]`: MATLAB's `c{i}`; a range or `:` gives a list (MATLAB's comma-separated list)."""
    return _Reader(c, True)


def _flat(t: torch.Tensor) -> torch.Tensor:
    return t.permute(*reversed(range(t.dim()))).reshape(-1) if t.dim() else t.reshape(1)


def _read(t: torch.Tensor, subs: list[Any]) -> Any:
    shape = mshape(t)
    t = t.reshape(shape)
    if len(subs) == 1:
        sub = subs[0]
        n = t.numel()
        pos = _positions(sub, n)
        flat = _flat(t)
        if pos is None:
            return flat.reshape(n, 1)
        vals = flat[pos]
        sshape = _sub_shape(sub, pos)
        if len(shape) == 2 and 1 in shape and len(sshape) == 2 and 1 in sshape:
            out_shape = (1, vals.numel()) if shape[0] == 1 and shape != (1, 1) else (vals.numel(), 1)
            if shape == (1, 1):
                out_shape = sshape
        else:
            out_shape = sshape
        return _out(_unflat(vals, out_shape))
    view_shape = _view_shape(shape, len(subs))
    t = t.reshape(view_shape)
    for axis, sub in enumerate(subs):
        pos = _positions(sub, view_shape[axis])
        if pos is not None:
            t = t.index_select(axis, pos)
    return _out(t)


def _unflat(vals: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Column-major reshape (MATLAB's reshape)."""
    return vals.reshape(tuple(reversed(shape))).permute(*reversed(range(len(shape))))


def _view_shape(shape: tuple[int, ...], k: int) -> list[int]:
    """The array as k dimensions: the last subscript spans the rest, extra subscripts index size-1 dims."""
    if k >= len(shape):
        return list(shape) + [1] * (k - len(shape))
    return [*list(shape[:k - 1]), math.prod(shape[k - 1:])]


def _dl_read(x: DLArray, subs: list[Any]) -> Any:
    if len(subs) == 1 and len(mshape(x)) > 1:  # X(:), X(k): linear indexing gives an unformatted dlarray
        got = _read(matlab_data(x), subs)
        got = got if isinstance(got, torch.Tensor) else torch.tensor(got, dtype=x.dtype)
        return wrap(got.reshape(mshape(got)), "")
    return x.m[_dl_key(x, subs)]


def _dl_key(x: DLArray, subs: list[Any]) -> tuple[Any, ...]:
    from layergraph.dlarray import size
    key = []
    for d, sub in enumerate(subs, start=1):
        n = size(x, d)
        if isinstance(sub, slice) and sub == _ALL:
            key.append(_ALL)
            continue
        pos = _positions(sub, n)
        key.append(_ALL if pos is None else pos)
    return tuple(key)


def _list_read(x: list[Any], subs: list[Any], brace: bool) -> Any:
    if len(subs) == 2 and x and all(isinstance(r, list) for r in x):  # 2-D cell as rows
        rows = _positions(subs[0], len(x))
        r_idx = range(len(x)) if rows is None else rows.tolist()
        picked = []
        for r in r_idx:
            cols = _positions(subs[1], len(x[r]))
            picked.extend(x[r][c] for c in (range(len(x[r])) if cols is None else cols.tolist()))
        return picked[0] if brace and len(picked) == 1 else picked
    if len(subs) == 2:  # a row: x(1, j) or x(i, 1)
        first, second = subs
        if _positions(first, 1) is not None and _positions(first, 1).tolist() == [0]:
            subs = [second]
        elif _positions(second, 1) is not None and _positions(second, 1).tolist() == [0]:
            subs = [first]
        else:
            raise IndexError("index a cell row with one subscript or x(1, j)")
    sub = subs[0]
    pos = _positions(sub, len(x))
    picked = list(x) if pos is None else [x[i] for i in pos.tolist()]
    if brace:
        single = not isinstance(sub, slice) and (_is_scalar_number(sub) or isinstance(sub, _End))
        return picked[0] if single else picked
    return picked


# ----------------------------------------------------------------------------------------- writing

class _Writer:
    def __init__(self, x: Any, value: Any, mode: str) -> None:
        self.x, self.value, self.mode = x, value, mode

    def __getitem__(self, key: Any) -> Any:
        subs = list(key) if isinstance(key, tuple) else [key]
        x, v = self.x, self.value
        if self.mode == "brace" or isinstance(x, list) or (x is None and (isinstance(v, list) or _is_object(v))):
            out = _list_write([] if x is None else list(x), subs, v, self.mode)
            # s(i) = a struct, h(i) = an object: a struct (object) array, as is one already
            return StructArray(out) if isinstance(x, StructArray) or (x is None and _is_object(v)) else out
        if x is None and self.mode == "set" and len(subs) > 1 and any(_is_colon(s) for s in subs):
            return _create_by_colon(subs, v)
        if isinstance(x, DLArray) and not x.fmt:  # an unformatted dlarray: a MATLAB numeric array
            t = x.as_subclass(torch.Tensor)
            return wrap(_delete(t, subs) if self.mode == "delete" else _write(t, subs, v), "")
        if isinstance(x, DLArray):
            if self.mode == "delete":
                return _delete_dl(x, subs)
            y = x.clone()
            y.m[_dl_key(y, subs)] = v
            return y
        if isinstance(x, str) and self.mode == "set":
            t = _write(tensor(x), subs, tensor(v))
            return "".join(chr(int(c)) for c in t.reshape(-1).tolist())
        t = tensor(x) if x is not None else torch.zeros(0, 0, dtype=torch.float64)
        if self.mode == "delete":
            return _out_array(_delete(t, subs))
        return _out_array(_write(t, subs, v))


def _is_object(v: Any) -> bool:
    """Not a MATLAB array (numbers, text, logicals, cells): a struct, a graphics object, a network, ..."""
    return v is not None and not isinstance(v, (torch.Tensor, np.ndarray, numbers.Number, str, list, tuple))


def _is_colon(sub: Any) -> bool:
    return (isinstance(sub, slice) and sub == _ALL) or (isinstance(sub, str) and sub == ":")


def _create_by_colon(subs: list[Any], value: Any) -> Any:
    """`A(:, 1, 1, :) = B` with no `A`: the `:` sizes come from B (MATLAB's and Octave's rule: when the
    non-scalar subscripts are as many as B's dimensions they take B's sizes in order, singletons included;
    otherwise the `:`s take B's non-singleton sizes). A dlarray B gives an unformatted dlarray, its trace kept."""
    data = matlab_data(value) if isinstance(value, torch.Tensor) else tensor(value)
    rhs = list(mshape(data))
    positions = [None if _is_colon(s) else _positions(s, 0, grow=True) for s in subs]
    nonscalar = [k for k, p in enumerate(positions) if p is None or p.numel() != 1]
    sizes = rhs if len(nonscalar) == len(rhs) else [d for d in rhs if d != 1]
    shape, j = [], 0
    for k, pos in enumerate(positions):
        if pos is not None:
            shape.append(int(pos.max().item()) + 1 if pos.numel() else 0)
        if k in nonscalar and (pos is None or len(nonscalar) == len(rhs)):
            if pos is None:
                shape.append(sizes[j] if j < len(sizes) else 1)
            j += 1
    out = _write(torch.zeros(shape, dtype=data.dtype, device=data.device), subs, data)
    return wrap(out, "") if isinstance(value, DLArray) else _out_array(out)


def _delete_dl(x: DLArray, subs: list[Any]) -> DLArray:
    """`X(..., i) = []` on a dlarray: the same deletion on its MATLAB-layout data, the labels kept (the trace too)."""
    from layergraph.dlarray import dlarray
    kept = _delete(matlab_data(x), subs)
    return dlarray(kept, x.fmt) if x.fmt else wrap(kept, "")


def _out_array(t: torch.Tensor) -> Any:
    """Assignment results stay arrays (a 1×1 array is a number again, a row a 1-D tensor)."""
    return _out(t)


def setat(x: Any, value: Any) -> _Writer:
    """`x = setat(x, v)[i, j]`: MATLAB's `x(i, j) = v` on a copy (x None: a new array, as MATLAB creates one)."""
    return _Writer(x, value, "set")


def setbrace(c: Any, value: Any) -> _Writer:
    """`c = setbrace(c, v)[i]`: MATLAB's `c{i} = v` (the list grows with empty cells as needed)."""
    return _Writer(c, value, "brace")


def delat(x: Any) -> _Writer:
    """`x = delat(x)[i]`: MATLAB's `x(i) = []`."""
    return _Writer(x, None, "delete")


def _write(t: torch.Tensor, subs: list[Any], value: Any) -> torch.Tensor:
    v = tensor(value) if not isinstance(value, torch.Tensor) else value
    shape = mshape(t)
    dtype = t.dtype
    if t.numel() == 0:
        dtype = v.dtype if v.dtype != torch.bool else torch.bool
    elif v.dtype.is_floating_point and not dtype.is_floating_point:
        dtype = torch.float64
    t = t.reshape(shape).to(dtype).clone()
    if len(subs) == 1:
        n = t.numel()
        pos = _positions(subs[0], n, grow=True)
        flat = _flat(t)
        if pos is None:
            pos = torch.arange(n)
        need = int(pos.max().item()) + 1 if pos.numel() else 0
        if need > n:
            if not (len(shape) == 2 and (shape[0] <= 1 or shape[1] == 1)):
                raise IndexError("A(I) = X: X must grow a vector, not a matrix, by linear indexing")
            flat = torch.cat([flat, torch.zeros(need - n, dtype=flat.dtype)])
            shape = (need, 1) if shape[1] == 1 and shape[0] > 1 else (1, need)
        flat = flat.clone()
        flat[pos] = _values_for(v, pos.numel(), flat.dtype, flat.device)
        return _unflat(flat, shape)
    view = _view_shape(shape, len(subs))
    t = t.reshape(view)
    positions = []
    for axis, sub in enumerate(subs):
        pos = _positions(sub, view[axis], grow=True)
        positions.append(torch.arange(view[axis]) if pos is None else pos)
    grown = [max(view[a], int(p.max().item()) + 1 if p.numel() else 0) for a, p in enumerate(positions)]
    if grown != view:
        if len(subs) < len(shape) and grown != view:
            raise IndexError("cannot grow an array through fewer subscripts than dimensions")
        big = torch.zeros(grown, dtype=t.dtype)
        big[tuple(slice(0, n) for n in view)] = t
        t = big
    count = math.prod(p.numel() for p in positions)
    vals = _values_for(v, count, t.dtype, t.device)
    block = _unflat(vals.reshape(-1), tuple(p.numel() for p in positions)) if vals.dim() else vals
    index = tuple(p.reshape([-1 if i == a else 1 for i in range(len(positions))]) for a, p in enumerate(positions))
    t[index] = block
    if len(subs) < len(shape):
        return t.reshape(shape)
    return t


def _values_for(v: torch.Tensor, count: int, dtype: torch.dtype, device: Any) -> torch.Tensor:
    if v.numel() == 1:
        return v.reshape(()).to(dtype=dtype, device=device)
    if v.numel() != count:
        raise ValueError(f"Unable to perform assignment because the left side has {count} elements and the "
                         f"right side has {v.numel()}.")
    return _flat(v).to(dtype=dtype, device=device)


def _delete(t: torch.Tensor, subs: list[Any]) -> torch.Tensor:
    shape = mshape(t)
    t = t.reshape(shape)
    if len(subs) == 1:
        pos = _positions(subs[0], t.numel())
        keep = torch.ones(t.numel(), dtype=torch.bool)
        keep[pos if pos is not None else slice(None)] = False
        vals = _flat(t)[keep]
        return vals.reshape(-1, 1) if (shape[1] == 1 and shape[0] != 1) else vals.reshape(1, -1)
    real = [(a, s) for a, s in enumerate(subs) if not (isinstance(s, slice) and s == _ALL)]
    if len(real) != 1:
        raise IndexError("A null assignment can have only one non-colon index.")
    axis, sub = real[0]
    pos = _positions(sub, shape[axis])
    keep = torch.ones(shape[axis], dtype=torch.bool)
    keep[pos if pos is not None else slice(None)] = False
    return t[(slice(None),) * axis + (keep,)]


def _list_write(x: list[Any], subs: list[Any], value: Any, mode: str) -> list[Any]:
    if len(subs) == 2 and x and all(isinstance(r, list) for r in x) and mode == "brace":
        rows = _positions(subs[0], len(x), grow=True)
        cols = _positions(subs[1], len(x[0]), grow=True)
        if rows is None or cols is None or rows.numel() != 1 or cols.numel() != 1:
            raise IndexError("c{i, j} = v takes one cell")
        r, c = int(rows.item()), int(cols.item())
        out = [list(row) for row in x]
        while len(out) <= r:
            out.append([[] for _ in out[0]])
        for row in out:
            row.extend([] for _ in range(c + 1 - len(row)))
        out[r][c] = value
        return out
    if len(subs) == 2:
        p1 = _positions(subs[0], 1, grow=True)
        if p1 is not None and p1.tolist() == [0]:
            subs = [subs[1]]
        else:
            raise IndexError("index a cell row with one subscript or c{1, j}")
    pos = _positions(subs[0], len(x), grow=True)
    idx = list(range(len(x))) if pos is None else pos.tolist()
    if mode == "delete":
        drop = set(idx)
        return [v for i, v in enumerate(x) if i not in drop]
    out = list(x)
    if idx and max(idx) >= len(out):
        out.extend([] for _ in range(max(idx) + 1 - len(out)))
    if mode == "brace":
        if len(idx) != 1:
            raise IndexError("c{i} = v takes one cell")
        out[idx[0]] = value
    else:  # c(i) = {v} or c(i) = value-list
        vals = value if isinstance(value, list) else [value]
        if len(vals) == 1:
            vals = vals * len(idx)
        if len(vals) != len(idx):
            raise ValueError("Unable to perform assignment: the left and right sides have different sizes.")
        for i, v in zip(idx, vals):
            out[i] = v
    return out


# ----------------------------------------------------------------------------------------- building

def _is_layer_like(x: Any) -> bool:
    from layergraph.layers import Layer
    return isinstance(x, Layer) or (isinstance(x, list) and bool(x) and all(isinstance(v, Layer) for v in x))


def horzcat(*parts: Any) -> Any:
    """MATLAB's [a b c]: numbers/arrays side by side (a row comes back as a 1-D tensor), chars joined,
    layer arrays and cells as lists."""
    return _concat(parts, 1)


def vertcat(*parts: Any) -> Any:
    """MATLAB's [a; b; c]."""
    return _concat(parts, 0)


def _concat(parts: tuple[Any, ...], axis: int) -> Any:
    if builtins_any(isinstance(p, _End) for p in parts):  # [1 end] in an index: resolved per dimension
        return _End(lambda n: _concat(tuple(p.resolve(n) if isinstance(p, _End) else p for p in parts), axis))
    parts = tuple(p for p in parts if not (isinstance(p, (list, tuple, str)) and len(p) == 0) and p is not None)
    if not parts:
        return []
    parts = tuple(tuple(p) if isinstance(p, list) and all(_is_number(v) for v in p) else p for p in parts)
    if any(_is_layer_like(p) for p in parts) or any(isinstance(p, list) for p in parts):
        out: list[Any] = []
        for p in parts:
            out.extend(p if isinstance(p, list) else [p])
        return out
    if all(isinstance(p, str) for p in parts) and axis == 1:
        return "".join(parts)
    if any(isinstance(p, str) for p in parts):
        if axis == 0 and all(isinstance(p, str) for p in parts):
            raise ValueError("vertical concatenation of char rows: use a cell array {..} or strings")
        parts = tuple(tensor(p) if isinstance(p, str) else p for p in parts)
        joined = _concat(parts, axis)
        vals = joined.reshape(-1).tolist() if isinstance(joined, torch.Tensor) else [joined]
        return "".join(chr(int(v)) for v in vals)
    if any(isinstance(p, DLArray) for p in parts):
        from layergraph.data import cat
        return cat(axis + 1, *parts)
    ts = [tensor(p) for p in parts]
    if all(t.dtype == torch.bool for t in ts):
        dtype = torch.bool
    else:  # MATLAB: single with double is single; integers and logicals join doubles as numbers
        dtype = torch.float32 if any(t.dtype == torch.float32 for t in ts) else torch.float64
    nd = max(t.dim() for t in ts)
    ts = [t.reshape(tuple(t.shape) + (1,) * (nd - t.dim())).to(dtype) for t in ts]
    ts = [t for t in ts if t.numel()] or ts[:1]
    try:
        out = torch.cat(ts, dim=axis)
    except RuntimeError:
        dims = " vs ".join("×".join(map(str, mshape(t))) for t in ts)
        raise ValueError(f"Dimensions of arrays being concatenated are not consistent ({dims}).") from None
    return _out(out)


def colon(a: Any, b: Any, c: Any = None) -> Any:
    """MATLAB's a:b and a:step:b as a row (a 1-D float64 tensor; an empty 1×0 row when there is nothing)."""
    start, step, stop = (a, 1, b) if c is None else (a, b, c)
    vals = _colon_values(_num(start), _num(step), _num(stop))
    return torch.tensor(vals, dtype=torch.float64)


def forcols(v: Any) -> list[Any]:
    """What MATLAB's `for x = v` visits: the columns of v (numbers for a row; cells as 1×1 cells)."""
    if isinstance(v, (range, str)):
        return list(v)
    if isinstance(v, list):
        return [[e] for e in v]
    if isinstance(v, numbers.Number):
        return [v]
    t = tensor(v)
    if t.dim() == 2 and t.shape[0] == 1:
        vals = t.reshape(-1)
        ints = not vals.dtype.is_floating_point or bool((vals == torch.round(vals)).all())
        return [int(e) if ints and vals.dtype != torch.bool else e for e in vals.tolist()]
    t = t.reshape(t.shape[0], -1)
    return [t[:, j:j + 1] for j in range(t.shape[1])]


# ----------------------------------------------------------------------------------------- operators

def _scalar(x: Any) -> bool:
    return _is_scalar_number(x) or (isinstance(x, (torch.Tensor, np.ndarray)) and x.numel() == 1
                                    and not isinstance(x, DLArray))


def mtimes(a: Any, b: Any) -> Any:
    """MATLAB's a*b: scaling when either is a scalar, the matrix product otherwise."""
    if _scalar(a) or _scalar(b):
        return a * b
    return _out(tensor(a) @ tensor(b))


def mrdivide(a: Any, b: Any) -> Any:
    """MATLAB's a/b: division by a scalar, otherwise the least-squares solution of x*b = a."""
    if _scalar(b):
        return a / b
    A, B = tensor(a), tensor(b)
    return _out(torch.linalg.lstsq(B.T, A.T).solution.T)


def mldivide(a: Any, b: Any) -> Any:
    """MATLAB's a\\b: b divided by a scalar a, otherwise the solution of a*x = b."""
    if _scalar(a):
        return b / a
    A, B = tensor(a), tensor(b)
    if A.shape[0] == A.shape[1]:
        return _out(torch.linalg.solve(A, B))
    return _out(torch.linalg.lstsq(A, B).solution)


def mpower(a: Any, b: Any) -> Any:
    """MATLAB's a^b: a power of scalars, or of a square matrix to an integer power."""
    if _scalar(a) and _scalar(b):
        return a ** b
    if _scalar(b) and float(b) == int(b):
        return _out(torch.linalg.matrix_power(tensor(a), int(b)))
    raise ValueError("a^b: give a square matrix and an integer power (or use .^ for elementwise powers)")


def transpose(x: Any) -> Any:
    """MATLAB's x' and x.' (real data: the same)."""
    if isinstance(x, (numbers.Number, str)) or x is None:
        return x
    if isinstance(x, list):
        if x and all(isinstance(r, list) for r in x):
            return [list(r) for r in zip(*x)]
        return list(x)
    if isinstance(x, DLArray):
        from layergraph.dlarray import permute
        return permute(x, [2, 1])
    t = tensor(x)
    if t.dim() > 2:
        raise ValueError("Transpose on ND array is not defined. Use PERMUTE instead.")
    return _out(t.t())
