"""Reading by MATLAB subscripts: `at(x)[i, j]` is `x(i, j)`, `brace(c)[i]` is `c{i}` (numeric arrays, text,
dlarrays, cells, struct arrays, function handles)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.data.categorical import Categorical
from layergraph.dlarray.array import DLArray, matlab_data, wrap
from layergraph.port.building import colon
from layergraph.port.subscripts import (
    _ALL,
    _End,
    _flat,
    _is_number,
    _is_scalar_number,
    _out,
    _positions,
    _sub_shape,
    _unflat,
    _view_shape,
    mshape,
    tensor,
)

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
        if isinstance(x, DLArray):
            return _dl_read(x, subs)
        if isinstance(x, StructArray) and not self.brace:
            return _struct_array_read(x, subs)
        if isinstance(x, Categorical) and not self.brace:
            return _categorical_read(x, subs)
        if isinstance(x, list) and x and not self.brace and all(_is_number(v) for v in x):
            x = tuple(x)  # a list of numbers (as layergraph returns sizes and dimensions) is a numeric row
        if isinstance(x, list) or (self.brace and isinstance(x, tuple)):
            return _list_read(list(x), subs, self.brace)
        if self.brace:
            raise TypeError(f"Brace indexing is not supported for variables of this type ({type(x).__name__}).")
        return _value_read(x, subs)


def _categorical_read(x: Categorical, subs: list[Any]) -> Categorical:
    """c(subs) of a categorical: its codes read as a numeric array of its MATLAB size, categories kept."""
    got = _read(torch.as_tensor(x.codes).reshape(mshape(x)), subs)
    if not isinstance(got, torch.Tensor):
        codes = np.asarray(int(got))  # one element
    elif got.dim() == 1:
        codes = got.numpy().reshape(1, -1)  # a row
    else:
        codes = got.numpy().reshape(-1) if got.dim() == 2 and got.shape[1] == 1 else got.numpy()
    return Categorical(categories=x.categories, codes=codes)


def _value_read(x: Any, subs: list[Any]) -> Any:
    """x(subs) of text, a numeric row held as a tuple, a function handle (a call), an object or an array."""
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


def _dl_read(x: DLArray, subs: list[Any]) -> Any:
    if not x.fmt:  # an unformatted dlarray: a MATLAB numeric array (a traced result stays a dlarray)
        got = _read(x.as_subclass(torch.Tensor), subs)
        return wrap(got.reshape(mshape(got)), "") if isinstance(got, torch.Tensor) and got.requires_grad else got
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
