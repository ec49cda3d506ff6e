"""Writing by MATLAB subscripts: `x = setat(x, v)[i]` is `x(i) = v` (a changed copy; arrays grow as MATLAB
they do), `x = delat(x)[i]` is `x(i) = []`, `setbrace(c, v)[i]` is `c{i} = v`."""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import DLArray, matlab_data, wrap
from layergraph.port.reading import StructArray, _dl_key
from layergraph.port.subscripts import _ALL, _flat, _out, _positions, _unflat, _view_shape, mshape, tensor

# ----------------------------------------------------------------------------------------- writing

def _is_numeric_value(v: Any) -> bool:
    return (isinstance(v, (int, float, np.ndarray)) and not isinstance(v, bool)) or (
        isinstance(v, torch.Tensor) and not isinstance(v, DLArray))

class _Writer:
    def __init__(self, x: Any, value: Any, mode: str) -> None:
        self.x, self.value, self.mode = x, value, mode

    def __getitem__(self, key: Any) -> Any:
        subs = list(key) if isinstance(key, tuple) else [key]
        x, v = self.x, self.value
        if isinstance(x, list) and not x and self.mode == "set" and _is_numeric_value(v):
            x = None  # MATLAB's [] is an empty double: x = []; x(:, i) = v grows a numeric array
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
    return _write_linear(t, shape, subs[0], v) if len(subs) == 1 else _write_subscripts(t, shape, subs, v)


def _write_linear(t: torch.Tensor, shape: tuple[int, ...], sub: Any, v: torch.Tensor) -> torch.Tensor:
    """A(I) = X: a vector grows along its length (a matrix may not grow by linear indexing)."""
    n = t.numel()
    pos = _positions(sub, n, grow=True)
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


def _write_subscripts(t: torch.Tensor, shape: tuple[int, ...], subs: list[Any], v: torch.Tensor) -> torch.Tensor:
    """A(i, j, ...) = X: the array grows to hold the subscripts; X one value or one per element."""
    view = _view_shape(shape, len(subs))
    t = t.reshape(view)
    positions = []
    for axis, sub in enumerate(subs):
        pos = _positions(sub, view[axis], grow=True)
        positions.append(torch.arange(view[axis]) if pos is None else pos)
    grown = [max(view[a], int(p.max().item()) + 1 if p.numel() else 0) for a, p in enumerate(positions)]
    if grown != view:
        if len(subs) < len(shape):
            raise IndexError("cannot grow an array through fewer subscripts than dimensions")
        big = torch.zeros(grown, dtype=t.dtype)
        big[tuple(slice(0, n) for n in view)] = t
        t = big
    count = math.prod(p.numel() for p in positions)
    vals = _values_for(v, count, t.dtype, t.device)
    block = _unflat(vals.reshape(-1), tuple(p.numel() for p in positions)) if vals.dim() else vals
    index = tuple(p.reshape([-1 if i == a else 1 for i in range(len(positions))]) for a, p in enumerate(positions))
    t[index] = block
    return t.reshape(shape) if len(subs) < len(shape) else t


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
        return _cell2_write(x, subs, value)
    if len(subs) == 2:
        p1 = _positions(subs[0], 1, grow=True)
        if p1 is None or p1.tolist() != [0]:
            raise IndexError("index a cell row with one subscript or c{1, j}")
        subs = [subs[1]]
    pos = _positions(subs[0], len(x), grow=True)
    idx = list(range(len(x))) if pos is None else pos.tolist()
    if mode == "delete":
        drop = set(idx)
        return [v for i, v in enumerate(x) if i not in drop]
    out = list(x)
    if idx and max(idx) >= len(out):
        out.extend([] for _ in range(max(idx) + 1 - len(out)))
    if mode == "brace" and len(idx) != 1:
        raise IndexError("c{i} = v takes one cell")
    # c{i} = v; c(i) = {v} or c(i) = value-list
    vals = [value] if mode == "brace" or not isinstance(value, list) else value
    vals = vals * len(idx) if len(vals) == 1 else vals
    if len(vals) != len(idx):
        raise ValueError("Unable to perform assignment: the left and right sides have different sizes.")
    for i, v in zip(idx, vals):
        out[i] = v
    return out


def _cell2_write(x: list[list[Any]], subs: list[Any], value: Any) -> list[list[Any]]:
    """c{i, j} = v on a 2-D cell (a list of rows), growing it with empty cells."""
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
