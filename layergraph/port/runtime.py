"""MATLAB's core functions for translated programs, under their MATLAB names (`from layergraph.port.runtime import *`).

What layergraph already has (layers, dlarray functions, datastores, training) comes from `layergraph`; this
module adds the MATLAB functions programs call around the toolbox that have no direct Python form, each with
MATLAB's documented behaviour: numbers (floor, mod, repmat, linspace, randperm, ...), text (string, num2str,
sprintf, fprintf, disp), files (fullfile, exist, fileparts), time (tic, toc, duration), cells and structs,
and the plotting calls (`layergraph.port.plots`, written as PNG files). Functions whose result depends on
how many outputs MATLAB asks for take `nargout=`.
"""
from __future__ import annotations

import builtins
import math
import numbers
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

import layergraph as _lg
from layergraph.dlarray.array import DLArray
from layergraph.port import arrays as _arrays
from layergraph.port import plots as _plots
from layergraph.port.arrays import *  # noqa: F403 - at, setat, horzcat, ...: the generated code's syntax helpers
from layergraph.port.arrays import StructArray, _flat, _out, mshape, tensor
from layergraph.port.plots import *  # noqa: F403 - figure, plot, title, ...: plots written as PNG files

pi = math.pi
Inf = math.inf
NaN = math.nan
eps = float(np.finfo(np.float64).eps)


def newline() -> str:
    """MATLAB's newline: the line feed character."""
    return "\n"


_NUM = (int, float, bool, np.number)


def _is_dl(x: Any) -> bool:
    return isinstance(x, DLArray)


def _scalar_value(x: Any) -> Any:
    if isinstance(x, (torch.Tensor, np.ndarray)) and x.size == 1 if isinstance(x, np.ndarray) else False:
        return x.reshape(()).item()
    if isinstance(x, torch.Tensor) and x.numel() == 1:
        return x.reshape(()).item()
    return x


# ----------------------------------------------------------------------------------------- sizes

def size(x: Any, *dims: Any, nargout: int = 1) -> Any:
    """MATLAB's size: the size row (a tuple), size(x, d), or [m, n, ...] = size(x) (the last takes the rest)."""
    shape = mshape(x) if not _is_dl(x) else tuple(_lg.size(x))
    if dims:
        ds = [int(d) for d in (tensor(dims[0]).reshape(-1).tolist() if len(dims) == 1 and not
                              isinstance(dims[0], numbers.Number) else dims)]
        vals = tuple(shape[d - 1] if d <= len(shape) else 1 for d in ds)
        return vals[0] if len(vals) == 1 and nargout <= 1 else vals
    if nargout <= 1:
        return shape
    full = list(shape) + [1] * (nargout - len(shape))
    return (*tuple(full[:nargout - 1]), math.prod(full[nargout - 1:]))


def numel(x: Any) -> int:
    """MATLAB's numel."""
    return math.prod(size(x))


def length(x: Any) -> int:
    """MATLAB's length: the largest dimension (0 for an empty array)."""
    s = size(x)
    return 0 if 0 in s else builtins.max(s)


def ndims(x: Any) -> int:
    return len(size(x))


def isempty(x: Any) -> bool:
    """MATLAB's isempty: no elements."""
    return numel(x) == 0


def isscalar(x: Any) -> bool:
    return numel(x) == 1


def isvector(x: Any) -> bool:
    s = size(x)
    return len(s) == 2 and 1 in s and numel(x) >= 1


def isrow(x: Any) -> bool:
    s = size(x)
    return len(s) == 2 and s[0] == 1


def iscolumn(x: Any) -> bool:
    s = size(x)
    return len(s) == 2 and s[1] == 1


def height(x: Any) -> int:
    return size(x, 1)


def width(x: Any) -> int:
    return size(x, 2)


# ----------------------------------------------------------------------------------------- numbers

def _elementwise(x: Any, fn: Callable[[torch.Tensor], torch.Tensor], scalar: Callable[[float], Any]) -> Any:
    if isinstance(x, bool):
        x = int(x)
    if isinstance(x, _NUM):
        return scalar(x)
    if isinstance(x, torch.Tensor):
        return fn(x)
    return _out(fn(tensor(x)))


def floor(x: Any) -> Any:
    """MATLAB's floor (a number stays a number: integral results come back as int)."""
    if hasattr(x, "__floor__") and not isinstance(x, (torch.Tensor, _NUM)):
        return math.floor(x)
    return _elementwise(x, torch.floor, lambda v: math.floor(v) if math.isfinite(v) else v)


def ceil(x: Any) -> Any:
    """MATLAB's ceil."""
    if hasattr(x, "__ceil__") and not isinstance(x, (torch.Tensor, _NUM)):
        return math.ceil(x)
    return _elementwise(x, torch.ceil, lambda v: math.ceil(v) if math.isfinite(v) else v)


def _round_tensor(t: torch.Tensor) -> torch.Tensor:
    return torch.sign(t) * torch.floor(torch.abs(t) + 0.5)  # MATLAB rounds halves away from zero


def round(x: Any, n: Any = None) -> Any:
    """MATLAB's round: halves away from zero (Python's round goes to even); round(x, n) to n decimals."""
    if n is not None:
        f = 10.0 ** int(n)
        return _elementwise(x, lambda t: _round_tensor(t * f) / f,
                            lambda v: math.copysign(math.floor(abs(v) * f + 0.5), v) / f)
    if hasattr(x, "__round__") and not isinstance(x, (torch.Tensor, _NUM)):
        return builtins.round(x)
    return _elementwise(x, _round_tensor, lambda v: int(math.copysign(math.floor(abs(v) + 0.5), v))
                        if math.isfinite(v) else v)


def fix(x: Any) -> Any:
    """MATLAB's fix: round toward zero."""
    return _elementwise(x, torch.trunc, lambda v: math.trunc(v) if math.isfinite(v) else v)


def mod(a: Any, b: Any) -> Any:
    """MATLAB's mod: a - floor(a./b).*b, the sign of b; mod(a, 0) is a."""
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return a if b == 0 else a - math.floor(a / b) * b
    ta, tb = (x if isinstance(x, torch.Tensor) else tensor(x) for x in (a, b))
    ta, tb = torch.broadcast_tensors(ta.double() if not ta.is_floating_point() else ta,
                                     tb.double() if not tb.is_floating_point() else tb)
    out = torch.where(tb == 0, ta, ta - torch.floor(ta / tb) * tb)
    return _out(out) if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor) else out


def rem(a: Any, b: Any) -> Any:
    """MATLAB's rem: a - fix(a./b).*b, the sign of a."""
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return a - math.trunc(a / b) * b if b != 0 else math.nan
    ta, tb = tensor(a), tensor(b)
    return _out(ta - torch.trunc(ta / tb) * tb)


def sign(x: Any) -> Any:
    return _elementwise(x, torch.sign, lambda v: (v > 0) - (v < 0))


def abs(x: Any) -> Any:
    """MATLAB's abs (dlarrays and tensors as layergraph's abs)."""
    return _lg.abs(tensor(x)) if isinstance(x, (list, tuple)) else _lg.abs(x)


def sqrt(x: Any) -> Any:
    return _lg.sqrt(x) if not isinstance(x, (list, tuple)) else _out(torch.sqrt(tensor(x)))


def exp(x: Any) -> Any:
    return _lg.exp(x) if not isinstance(x, (list, tuple)) else _out(torch.exp(tensor(x)))


def log(x: Any) -> Any:
    return _lg.log(x) if not isinstance(x, (list, tuple)) else _out(torch.log(tensor(x)))


def log2(x: Any) -> Any:
    return _elementwise(x, torch.log2, math.log2)


def log10(x: Any) -> Any:
    return _elementwise(x, torch.log10, math.log10)


def _unary(fn: Callable[[torch.Tensor], torch.Tensor], scalar: Callable[[float], float]) -> Callable[[Any], Any]:
    def apply(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return fn(x)  # dlarrays keep their format (torch's elementwise functions)
        return _elementwise(x, fn, scalar)
    return apply


sin = _unary(torch.sin, math.sin)
cos = _unary(torch.cos, math.cos)
tan = _unary(torch.tan, math.tan)
asin = _unary(torch.asin, math.asin)
acos = _unary(torch.acos, math.acos)
atan = _unary(torch.atan, math.atan)
sinh = _unary(torch.sinh, math.sinh)
cosh = _unary(torch.cosh, math.cosh)
erf = _unary(torch.erf, math.erf)
real = _unary(lambda t: t.real if t.is_complex() else t, lambda v: v)
conj = _unary(lambda t: t.conj() if t.is_complex() else t, lambda v: v)


def atan2(y: Any, x: Any) -> Any:
    if isinstance(y, _NUM) and isinstance(x, _NUM):
        return math.atan2(y, x)
    return _out(torch.atan2(tensor(y).double(), tensor(x).double()))


def std(x: Any, w: Any = 0, dim: Any = None) -> Any:
    """MATLAB's std(x[, w[, dim]]): normalised by N-1 (w = 0) or N (w = 1)."""
    correction = 0 if (isinstance(w, _NUM) and w == 1) else 1
    return _reduce("std", x, dim, lambda t, d: t.std(d, correction=correction))


def var(x: Any, w: Any = 0, dim: Any = None) -> Any:
    """MATLAB's var(x[, w[, dim]])."""
    correction = 0 if (isinstance(w, _NUM) and w == 1) else 1
    return _reduce("var", x, dim, lambda t, d: t.var(d, correction=correction))


def diag(x: Any, k: Any = 0) -> Any:
    """MATLAB's diag: a vector to a diagonal matrix, a matrix to its diagonal (a column)."""
    t = tensor(x)
    shape = mshape(t)
    if 1 in shape:
        return _out(torch.diag(t.reshape(-1), int(k)))
    return _out(torch.diagonal(t.reshape(shape), int(k)).reshape(-1, 1))


def triu(x: Any, k: Any = 0) -> Any:
    if isinstance(x, torch.Tensor) and x.dim() >= 2:
        return torch.triu(x, int(k))
    return _out(torch.triu(tensor(x), int(k)))


def tril(x: Any, k: Any = 0) -> Any:
    if isinstance(x, torch.Tensor) and x.dim() >= 2:
        return torch.tril(x, int(k))
    return _out(torch.tril(tensor(x), int(k)))


def fileread(filename: Any, *args: Any) -> str:
    return Path(str(filename)).read_text(encoding="utf-8", errors="replace")


def randsample(n: Any, k: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's randsample(n, k): k of 1..n without replacement (randsample(n, k, true): with)."""
    replace = bool(args[0]) if args else False
    if replace:
        return _out((torch.randint(0, int(n), (1, int(k))) + 1).double())
    return randperm(n, k)


def power(a: Any, b: Any) -> Any:
    return a ** b


def hypot(a: Any, b: Any) -> Any:
    return sqrt(a * a + b * b)


def _reduce(name: str, x: Any, dim: Any, op: Callable[..., torch.Tensor]) -> Any:
    t = tensor(x)
    if t.dtype == torch.bool or not t.dtype.is_floating_point:
        t = t.double()
    shape = mshape(t)
    t = t.reshape(shape)
    if isinstance(dim, str):
        if dim.lower() != "all":
            raise ValueError(f"{name}: unknown option {dim!r}")
        return _out(op(t.reshape(-1), 0).reshape(1, 1))
    if dim is None:
        if shape == (0, 0):
            return _out(op(t.reshape(0), 0).reshape(1, 1))
        d = next((i for i, n in enumerate(shape) if n != 1), 0)
    else:
        d = int(dim) - 1
    if d >= t.dim():
        return _out(t)
    return _out(op(t, d).unsqueeze(d))


def _is_plain(x: Any) -> bool:
    return not _is_dl(x) and not (isinstance(x, torch.Tensor) and x.requires_grad)


def sum(x: Any, dim: Any = None, *args: Any) -> Any:
    """MATLAB's sum over the first non-singleton dimension, a given one, or 'all'."""
    if not _is_plain(x) or not isinstance(x, (torch.Tensor, np.ndarray, list, tuple, bool, int, float)) \
            or (isinstance(x, list) and x and not isinstance(x[0], _NUM)):
        return _lg.sum(x, dim) if dim is not None else _lg.sum(x)
    return _reduce("sum", x, dim, lambda t, d: t.sum(d))


def prod(x: Any, dim: Any = None) -> Any:
    """MATLAB's prod (`prod(projectionSize)` is an int for a row of whole numbers)."""
    if isinstance(x, (list, tuple)) and builtins.all(isinstance(v, int) for v in x):
        return math.prod(x)
    r = _reduce("prod", x, dim, lambda t, d: t.prod(d))
    return int(r) if isinstance(r, float) and r.is_integer() and builtins.abs(r) < 2 ** 53 else r


def mean(x: Any, dim: Any = None) -> Any:
    """MATLAB's mean (dlarrays as layergraph's mean, which keeps the format)."""
    if not _is_plain(x) or isinstance(x, DLArray):
        return _lg.mean(x, dim) if dim is not None else _lg.mean(x)
    return _reduce("mean", x, dim, lambda t, d: t.mean(d))


def cumsum(x: Any, dim: Any = None) -> Any:
    t = tensor(x).double()
    d = (next((i for i, n in enumerate(mshape(t)) if n != 1), 0) if dim is None else int(dim) - 1)
    return _out(t.cumsum(d))


def cumprod(x: Any, dim: Any = None) -> Any:
    t = tensor(x).double()
    d = (next((i for i, n in enumerate(mshape(t)) if n != 1), 0) if dim is None else int(dim) - 1)
    return _out(t.cumprod(d))


def any(x: Any, dim: Any = None) -> Any:
    r = _reduce("any", tensor(x) != 0, dim, lambda t, d: (t != 0).any(d).double())
    return bool(r) if isinstance(r, float) else r != 0


def all(x: Any, dim: Any = None) -> Any:
    r = _reduce("all", tensor(x) != 0, dim, lambda t, d: (t != 0).all(d).double())
    return bool(r) if isinstance(r, float) else r != 0


def _minmax(name: str, x: Any, y: Any, dim: Any, nargout: int) -> Any:
    pick = torch.maximum if name == "max" else torch.minimum
    if not (_is_plain(x) and _is_plain(y)):  # dlarrays and traced tensors: layergraph's (keeps format, trace)
        fn = _lg.max if name == "max" else _lg.min
        if y is not None and not (isinstance(y, list) and not y):
            return fn(x, y)
        args = (x, [], dim) if dim is not None else (x,)
        return fn(*args, nargout=2) if nargout >= 2 else fn(*args)
    if y is not None and not (isinstance(y, list) and not y):
        if isinstance(x, _NUM) and isinstance(y, _NUM):
            return builtins.max(x, y) if name == "max" else builtins.min(x, y)
        return _out(pick(*torch.broadcast_tensors(tensor(x).double(), tensor(y).double())))
    t = tensor(x)
    t = t.double() if not t.is_floating_point() else t
    shape = mshape(t)
    t = t.reshape(shape)
    d = next((i for i, n in enumerate(shape) if n != 1), 0) if dim is None else int(dim) - 1
    if d >= t.dim():
        vals, idx = t, torch.zeros_like(t, dtype=torch.long)
    else:
        res = t.max(d, keepdim=True) if name == "max" else t.min(d, keepdim=True)
        vals, idx = res.values, res.indices
        nan = torch.isnan(t)
        if bool(nan.any()):  # MATLAB ignores NaN unless all are NaN
            filled = torch.where(nan, torch.full_like(t, -math.inf if name == "max" else math.inf), t)
            res = filled.max(d, keepdim=True) if name == "max" else filled.min(d, keepdim=True)
            allnan = nan.all(d, keepdim=True)
            vals = torch.where(allnan, torch.full_like(res.values, math.nan), res.values)
            idx = torch.where(allnan, torch.zeros_like(res.indices), res.indices)
    if nargout >= 2:
        return _out(vals), _out(idx.double() + 1)
    return _out(vals)


def max(x: Any, y: Any = None, dim: Any = None, nargout: int = 1) -> Any:
    """MATLAB's max(x), max(x, [], dim), max(a, b) and [m, i] = max(x) (nargout=2; i is 1-based)."""
    return _minmax("max", x, y, dim, nargout)


def min(x: Any, y: Any = None, dim: Any = None, nargout: int = 1) -> Any:
    """MATLAB's min, as max."""
    return _minmax("min", x, y, dim, nargout)


def linspace(a: Any, b: Any, n: Any = 100) -> torch.Tensor:
    """MATLAB's linspace(a, b, n): a row of n points (n = 100 by default)."""
    n = int(builtins.max(math.floor(float(n)), 1))
    return torch.linspace(float(a), float(b), n, dtype=torch.float64) if n > 1 else \
        torch.tensor([float(b)], dtype=torch.float64)


def repmat(x: Any, *reps: Any) -> Any:
    """MATLAB's repmat(A, m, n, ...) / repmat(A, [m n ...]) / repmat(A, n) (n×n copies)."""
    if len(reps) == 1:
        r = [int(v) for v in tensor(reps[0]).reshape(-1).tolist()]
        if len(r) == 1:
            r = r * 2
    else:
        r = [int(v) for v in reps]
    if isinstance(x, str) and r[0] == 1:
        return x * r[1]
    if isinstance(x, list):
        if r[0] != 1 or builtins.any(v != 1 for v in r[2:]):
            raise ValueError("repmat of a cell: only 1×n copies are supported")
        return list(x) * r[1]
    t = tensor(x)
    shape = list(mshape(t)) + [1] * (len(r) - len(mshape(t)))
    r = r + [1] * (len(shape) - len(r))
    return _out(t.reshape(shape).repeat(*r))


def randperm(n: Any, k: Any = None) -> torch.Tensor:
    """MATLAB's randperm(n[, k]): k unique integers from 1..n in random order (a float64 row)."""
    p = torch.randperm(int(n))
    if k is not None:
        p = p[: int(k)]
    return (p + 1).double()


def randi(imax: Any, *sz: Any) -> Any:
    """MATLAB's randi(imax, sz...) or randi([lo hi], sz...): uniform random integers."""
    lims = tensor(imax).reshape(-1).tolist()
    lo, hi = (1, int(lims[0])) if len(lims) == 1 else (int(lims[0]), int(lims[1]))
    dims = [int(v) for v in (tensor(sz[0]).reshape(-1).tolist() if len(sz) == 1 and not
                            isinstance(sz[0], numbers.Number) else sz)] or [1, 1]
    if len(dims) == 1:
        dims = dims * 2
    return _out(torch.randint(lo, hi + 1, dims).double())


def eye(n: Any, m: Any = None) -> Any:
    return _out(torch.eye(int(n), int(m if m is not None else n), dtype=torch.float64))


def find(x: Any, k: Any = None, nargout: int = 1) -> Any:
    """MATLAB's find: 1-based positions of nonzeros (column-major); [r, c] = find(x) with nargout=2."""
    t = tensor(x)
    shape = mshape(t)
    flat = _flat(t.reshape(shape)) != 0
    pos = torch.nonzero(flat).reshape(-1)
    if k is not None:
        pos = pos[: int(k)]
    if nargout >= 2:
        rows, cols = pos % shape[0], pos // shape[0]
        return _orient(rows.double() + 1, shape), _orient(cols.double() + 1, shape)
    return _orient(pos.double() + 1, shape)


def _orient(v: torch.Tensor, shape: tuple[int, ...]) -> Any:
    return _out(v.reshape(1, -1)) if len(shape) == 2 and shape[0] == 1 else _out(v.reshape(-1, 1))


def sort(x: Any, *args: Any, nargout: int = 1) -> Any:
    """MATLAB's sort(x[, dim][, 'descend']); [s, i] = sort(x) with nargout=2."""
    if isinstance(x, list):
        order = sorted(range(len(x)), key=lambda i: x[i], reverse=builtins.any(
            isinstance(a, str) and a.lower() == "descend" for a in args))
        vals = [x[i] for i in order]
        return (vals, torch.tensor(order, dtype=torch.float64) + 1) if nargout >= 2 else vals
    descending = builtins.any(isinstance(a, str) and a.lower() == "descend" for a in args)
    dims = [a for a in args if not isinstance(a, str)]
    t = tensor(x).double()
    shape = mshape(t)
    t = t.reshape(shape)
    d = int(dims[0]) - 1 if dims else next((i for i, n in enumerate(shape) if n != 1), 0)
    res = torch.sort(t, dim=d, descending=descending, stable=True)
    if nargout >= 2:
        return _out(res.values), _out(res.indices.double() + 1)
    return _out(res.values)


def unique(x: Any, *args: Any, nargout: int = 1) -> Any:
    """MATLAB's unique: the sorted distinct values (a row for a row input, else a column)."""
    if isinstance(x, list):
        return sorted(set(x))
    t = tensor(x)
    vals = torch.unique(t.reshape(-1))
    return _orient(vals.double(), mshape(t))


def ismember(a: Any, s: Any, nargout: int = 1) -> Any:
    if isinstance(a, str) or isinstance(s, list):
        items = list(s) if isinstance(s, list) else [s]
        hit = a in items
        return (hit, items.index(a) + 1 if hit else 0) if nargout >= 2 else hit
    ta, ts = tensor(a), tensor(s).reshape(-1)
    hit = (ta.reshape(-1, 1) == ts.reshape(1, -1)).any(1).reshape(ta.shape)
    return _out(hit)


def nnz(x: Any) -> int:
    return int((tensor(x) != 0).sum().item())


def isequal(a: Any, *others: Any) -> bool:
    """MATLAB's isequal: same size and values (numbers compare across types)."""
    for b in others:
        if isinstance(a, (str, list, dict)) or isinstance(b, (str, list, dict)):
            if a != b:
                return False
            continue
        ta, tb = tensor(a), tensor(b)
        if mshape(ta) != mshape(tb) or not torch.equal(ta.double().reshape(-1), tb.double().reshape(-1)):
            return False
    return True


def double(x: Any) -> Any:
    """MATLAB's double: numbers stay Python numbers; arrays (and dlarrays) become float64."""
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, _NUM):
        return float(x) if not isinstance(x, int) else x
    if isinstance(x, str):
        return tensor(x)
    if isinstance(x, torch.Tensor):
        return x.double() if x.numel() != 1 or x.requires_grad or _is_dl(x) else float(x.item())
    return _out(tensor(x).double())


def single(x: Any) -> Any:
    """MATLAB's single: arrays become float32 (a number becomes a 1×1 float32 tensor, so it stays single)."""
    if isinstance(x, torch.Tensor):
        return x.float()
    t = tensor(x).float()
    return t.reshape(mshape(t)) if t.numel() != 1 else t.reshape(1, 1)


def logical(x: Any) -> Any:
    if isinstance(x, _NUM):
        return bool(x)
    return tensor(x) != 0


def int32(x: Any) -> Any:
    """MATLAB's int32 and friends round to nearest (halves away from zero); numbers become int."""
    r = round(x)
    return int(r) if isinstance(r, _NUM) else r


int64 = int16 = int8 = uint8 = uint16 = uint32 = uint64 = int32


def and_(a: Any, b: Any) -> Any:
    """MATLAB's a & b (elementwise)."""
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return bool(a) and bool(b)
    return (tensor(a) != 0) & (tensor(b) != 0)


def or_(a: Any, b: Any) -> Any:
    """MATLAB's a | b (elementwise)."""
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return bool(a) or bool(b)
    return (tensor(a) != 0) | (tensor(b) != 0)


def not_(x: Any) -> Any:
    """MATLAB's ~x: true where x is zero."""
    if isinstance(x, _NUM):
        return not x
    return _out(tensor(x) == 0) if not isinstance(x, torch.Tensor) else x == 0


def xor(a: Any, b: Any) -> Any:
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return bool(a) != bool(b)
    return (tensor(a) != 0) ^ (tensor(b) != 0)


# ----------------------------------------------------------------------------------------- text

def _g(v: float, digits: int) -> str:
    return f"{v:.{digits}g}"


def _num2str_scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    if v.is_integer():
        return str(int(v))
    digits = builtins.min(builtins.max(math.floor(math.log10(builtins.abs(v))) + 5, 5), 16)
    return _g(v, digits)


def num2str(x: Any, arg: Any = None) -> str:
    """MATLAB's num2str: whole numbers as integers, others with 4 decimals of the largest magnitude (at
    least 5 significant digits); num2str(x, precision) and num2str(x, format) as MATLAB."""
    if isinstance(x, str):
        return x
    if isinstance(arg, str):
        vals = _values(x)
        return sprintf(arg, *vals)
    if isinstance(x, DLArray):
        x = _lg.extractdata(x)
    t = tensor(x)
    if t.numel() == 1:
        v = t.reshape(()).item()
        if arg is not None:
            return _g(float(v), int(arg))
        return _num2str_scalar(v)
    t = t.double().reshape(mshape(t))
    if t.dim() != 2:
        t = t.reshape(t.shape[0], -1)
    vals = t.reshape(-1)
    finite = vals[torch.isfinite(vals)]
    if bool((finite == torch.round(finite)).all()):
        mx = builtins.max([builtins.abs(v) for v in finite.tolist()] or [0])
        w = (len(str(int(mx))) if mx else 1) + (1 if bool((vals < 0).any()) else 0) + 2
        rows = ["".join(_num2str_scalar(v).rjust(w) for v in row) for row in t.tolist()]
    else:
        mx = builtins.max([builtins.abs(v) for v in finite.tolist()] or [1])
        nd = math.floor(math.log10(mx)) if mx > 0 else 0
        nd = builtins.min(builtins.max(nd + 5, 5), 16) if arg is None else int(arg)
        w = nd + 7 + (1 if bool((vals < 0).any()) else 0)
        rows = ["".join(_g(v, nd).rjust(w) if math.isfinite(v) else _num2str_scalar(v).rjust(w) for v in row)
                for row in t.tolist()]
    lead = builtins.min(len(r) - len(r.lstrip()) for r in rows)
    rows = [r[lead:].rstrip() for r in rows]
    return rows[0] if len(rows) == 1 else rows  # type: ignore[return-value]


def int2str(x: Any) -> str:
    return num2str(round(x))


def string(x: Any) -> Any:
    """MATLAB's string: text stays text; a number as num2str writes it; an array gives a list of strings."""
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, _NUM):
        return _num2str_scalar(x)
    if isinstance(x, list):
        return x[0] if len(x) == 1 else [string(v) for v in x]
    if isinstance(x, torch.Tensor):
        if isinstance(x, DLArray):
            x = _lg.extractdata(x)
        if x.dtype == torch.bool:
            return "true" if x.numel() == 1 and bool(x.reshape(())) else ("false" if x.numel() == 1 else
                                                                          [string(bool(v)) for v in x.reshape(-1)])
        if x.numel() == 1:
            return _num2str_scalar(x.reshape(()).item())
        return [_num2str_scalar(v) for v in _flat(x).tolist()]
    return str(x)


char = string


def _escapes(fmt: str) -> str:
    table = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
    out, i = [], 0
    while i < len(fmt):
        c = fmt[i]
        if c == "\\" and i + 1 < len(fmt) and fmt[i + 1] in table:
            out.append(table[fmt[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


_SPEC = re.compile(r"%(?P<flags>[-+ 0#]*)(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?(?P<conv>[diouxXfeEgGcs%])")


def _values(args: tuple[Any, ...] | Any) -> list[Any]:
    """The arguments as MATLAB's sprintf consumes them: arrays element by element (column-major)."""
    out: list[Any] = []
    for a in (args if isinstance(args, tuple) else (args,)):
        if isinstance(a, str):
            out.append(a)
        elif isinstance(a, (list, tuple)):
            out.extend(_values(tuple(a)))
        elif isinstance(a, torch.Tensor):
            if isinstance(a, DLArray):
                a = _lg.extractdata(a)
            t = a.detach().cpu()
            vals = _flat(t.reshape(mshape(t))).tolist()
            out.extend(vals)
        elif isinstance(a, np.ndarray):
            out.extend(_flat(torch.from_numpy(a)).tolist())
        elif hasattr(a, "__str__") and not isinstance(a, _NUM):
            out.append(str(a))
        else:
            out.append(a)
    return out


def _format_one(spec: re.Match[str], value: Any) -> str:
    flags, width, prec, conv = spec["flags"], spec["width"] or "", spec["prec"], spec["conv"]
    p = f".{prec}" if prec is not None else ""
    if conv in "diouxX":
        if isinstance(value, str):
            return "".join(_format_one(spec, float(ord(c))) for c in value)
        v = float(value)
        if not v.is_integer() or math.isinf(v):
            if math.isnan(v) or math.isinf(v):
                return f"%{flags}{width}s" % ("NaN" if math.isnan(v) else ("Inf" if v > 0 else "-Inf"))
            return f"%{flags}{width}{p or ''}e" % v  # MATLAB: a non-integer with %d is written as %e
        conv = "d" if conv in "iu" else conv
        return f"%{flags}{width}{conv}" % int(v)
    if conv in "feEgG":
        if isinstance(value, str):
            return "".join(_format_one(spec, float(ord(c))) for c in value)
        v = float(value)
        if math.isnan(v) or math.isinf(v):
            return f"%{flags}{width}s" % ("NaN" if math.isnan(v) else ("Inf" if v > 0 else "-Inf"))
        return f"%{flags}{width}{p}{conv}" % v
    if conv == "c":
        return value if isinstance(value, str) else chr(int(value))
    if conv == "s":
        if not isinstance(value, str):
            v = float(value)
            value = _num2str_scalar(v)
        return f"%{flags}{width}{p}s" % value
    return "%"


def sprintf(fmt: Any, *args: Any) -> str:
    """MATLAB's sprintf: escapes in the format, arrays consumed element by element, the format repeated
    while values remain, %d with a non-integer written as %e."""
    fmt = _escapes(str(fmt))
    vals = _values(args)
    specs = [m for m in _SPEC.finditer(fmt) if m["conv"] != "%"]
    if not specs:
        return fmt.replace("%%", "%")
    out: list[str] = []
    i = 0
    first = True
    while first or i < len(vals):
        first = False
        pos = 0
        for m in _SPEC.finditer(fmt):
            out.append(fmt[pos:m.start()])
            pos = m.end()
            if m["conv"] == "%":
                out.append("%")
                continue
            if i >= len(vals):
                if vals:  # MATLAB stops at the first conversion without data (after the first pass)
                    return "".join(out)
                out.append(_format_one(m, "") if m["conv"] == "s" else "")
                continue
            out.append(_format_one(m, vals[i]))
            i += 1
        out.append(fmt[pos:])
    return "".join(out)


def fprintf(*args: Any) -> None:
    """MATLAB's fprintf(format, ...) to the terminal; fprintf(1, ...) and fprintf(2, ...) as stdout/stderr."""
    stream = sys.stdout
    if args and isinstance(args[0], int) and not isinstance(args[0], bool) and len(args) > 1:
        stream = sys.stderr if args[0] == 2 else sys.stdout
        args = args[1:]
    stream.write(sprintf(*args))
    stream.flush()


def disp(x: Any) -> None:
    """MATLAB's disp: text as it is, numbers as MATLAB's num2str writes them, arrays row by row."""
    if isinstance(x, tuple) and builtins.all(isinstance(v, _NUM) for v in x):
        x = tensor(list(x))  # a size vector
    if isinstance(x, str):
        print(x)
    elif isinstance(x, list) and builtins.all(isinstance(v, str) for v in x):
        print("    ".join(f'"{v}"' for v in x))
    elif isinstance(x, (_NUM, torch.Tensor, np.ndarray)) and not isinstance(x, DLArray):
        text = num2str(x)
        print("\n".join("    " + r for r in text) if isinstance(text, list) else
              (text if numel(x) == 1 else "    " + text))
    else:
        print(x)


display = disp


def strcat(*parts: Any) -> Any:
    """MATLAB's strcat: char arguments lose trailing whitespace; cell arguments give a cell."""
    if builtins.any(isinstance(p, list) for p in parts):
        n = builtins.max(len(p) for p in parts if isinstance(p, list))
        return ["".join(p[i] if isinstance(p, list) else p for p in parts) for i in range(n)]
    return "".join(p.rstrip(" \t\n") if isinstance(p, str) else str(p) for p in parts)


def strcmp(a: Any, b: Any) -> Any:
    if isinstance(a, list) or isinstance(b, list):
        items, other = (a, b) if isinstance(a, list) else (b, a)
        return torch.tensor([v == other for v in items]) if not isinstance(other, list) else \
            torch.tensor([x == y for x, y in zip(items, other)])
    return isinstance(a, str) and isinstance(b, str) and a == b


def strcmpi(a: Any, b: Any) -> Any:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return strcmp(a, b)


def strrep(s: Any, old: str, new: str) -> Any:
    return [v.replace(old, new) for v in s] if isinstance(s, list) else s.replace(old, new)


def strtrim(s: Any) -> Any:
    return [v.strip() for v in s] if isinstance(s, list) else s.strip()


def upper(s: Any) -> Any:
    return [v.upper() for v in s] if isinstance(s, list) else s.upper()


def lower(s: Any) -> Any:
    return [v.lower() for v in s] if isinstance(s, list) else s.lower()


def strsplit(s: str, delimiter: Any = None) -> list[str]:
    if delimiter is None:
        return re.split(r"\s+", s)
    delims = delimiter if isinstance(delimiter, list) else [delimiter]
    return re.split("|".join(re.escape(_escapes(d)) for d in delims), s)


def split(s: str, delimiter: Any = None) -> list[str]:
    return strsplit(s, delimiter)


def strjoin(parts: list[Any], delimiter: str = " ") -> str:
    return _escapes(delimiter).join(str(p) for p in parts)


def join(parts: Any, delimiter: str = " ") -> str:
    return strjoin(list(parts), delimiter)


def contains(s: Any, pattern: Any, *args: Any, **kwargs: Any) -> Any:
    pats = pattern if isinstance(pattern, list) else [pattern]
    if isinstance(s, list):
        return torch.tensor([builtins.any(p in v for p in pats) for v in s])
    return builtins.any(p in s for p in pats)


def startsWith(s: Any, pattern: Any) -> Any:
    pats = tuple(pattern) if isinstance(pattern, list) else (pattern,)
    return torch.tensor([v.startswith(pats) for v in s]) if isinstance(s, list) else s.startswith(pats)


def endsWith(s: Any, pattern: Any) -> Any:
    pats = tuple(pattern) if isinstance(pattern, list) else (pattern,)
    return torch.tensor([v.endswith(pats) for v in s]) if isinstance(s, list) else s.endswith(pats)


def str2double(s: Any) -> Any:
    if isinstance(s, list):
        return _out(torch.tensor([str2double(v) for v in s], dtype=torch.float64))
    try:
        return float(str(s).strip())
    except ValueError:
        return math.nan


def ischar(x: Any) -> bool:
    return isinstance(x, str)


isstring = ischar


def iscellstr(x: Any) -> bool:
    return isinstance(x, list) and builtins.all(isinstance(v, str) for v in x)


# ----------------------------------------------------------------------------------------- types, cells, structs

class struct:  # noqa: N801 - MATLAB's name
    """MATLAB's struct('a', 1, 'b', 2): fields as attributes; `s.a`, `s.(name)` via getfield/setfield."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) % 2:
            raise ValueError("struct: give field names and values in pairs")
        for name, value in [*zip(args[::2], args[1::2]), *kwargs.items()]:
            if isinstance(value, list):
                if len(value) != 1:
                    raise ValueError(f"struct: a cell value for field '{name}' makes a struct array, "
                                     "which this port does not build; give {value} with one element")
                value = value[0]
            setattr(self, str(name), value)

    def __repr__(self) -> str:
        return "struct(" + ", ".join(f"{k}={v!r}" for k, v in vars(self).items()) + ")"

    # read as a mapping of its fields (save writes it as a MATLAB structure, dlgradient walks it as one)
    def __getitem__(self, name: str) -> Any:
        return vars(self)[name]

    def __iter__(self) -> Any:
        return iter(list(vars(self)))

    def keys(self) -> Any:
        return vars(self).keys()

    def items(self) -> Any:
        return vars(self).items()


Mapping.register(struct)


def namevalues(s: struct, pairs: tuple[Any, ...]) -> struct:
    """An `arguments` block's name-value struct: `pairs` ('Name', value, ...) set its fields (names as
    MATLAB matches them: whole, any case)."""
    if len(pairs) % 2:
        raise ValueError("name-value arguments come in pairs")
    names = {k.lower(): k for k in vars(s)}
    for name, value in zip(pairs[::2], pairs[1::2]):
        key = names.get(str(name).lower())
        if key is None:
            raise ValueError(f"'{name}' is not a recognized parameter; expected one of {', '.join(vars(s))}")
        setattr(s, key, value)
    return s


def isstruct(x: Any) -> bool:
    return isinstance(x, struct)


def isfield(s: Any, name: Any) -> Any:
    if isinstance(name, list):
        return torch.tensor([isfield(s, n) for n in name])
    return isinstance(s, struct) and hasattr(s, str(name))


def fieldnames(s: Any) -> list[str]:
    return list(vars(s)) if isinstance(s, struct) else [k for k in vars(s) if not k.startswith("_")]


def getfield(s: Any, name: str) -> Any:
    return getattr(s, name)


def setfield(s: Any, name: str, value: Any) -> Any:
    """MATLAB's s = setfield(s, name, value) (the port of s.(name) = value)."""
    if s is None:
        s = struct()
    setattr(s, name, value)
    return s


def rmfield(s: struct, name: Any) -> struct:
    out = struct(**vars(s))
    for n in (name if isinstance(name, list) else [name]):
        delattr(out, n)
    return out


def cell(*dims: Any) -> list[Any]:
    """MATLAB's cell(n) / cell(1, n) / cell(m, n): a list of empty cells ([] each); an m×n cell (m > 1) is a
    list of m rows."""
    d = [int(v) for v in (tensor(dims[0]).reshape(-1).tolist() if len(dims) == 1 and not
                          isinstance(dims[0], numbers.Number) else dims)] or [0]
    if len(d) == 1:
        d = d * 2
    m, n = d[0], d[1]
    if m == 1 or n == 1:
        return [[] for _ in range(m * n if m and n else 0)]
    return [[[] for _ in range(n)] for _ in range(m)]


def iscell(x: Any) -> bool:
    return isinstance(x, list)


def isnumeric(x: Any) -> bool:
    return (isinstance(x, (int, float, np.number)) and not isinstance(x, bool)) or (
        isinstance(x, (torch.Tensor, np.ndarray)) and x.dtype not in (torch.bool, np.bool_))


def islogical(x: Any) -> bool:
    return isinstance(x, bool) or (isinstance(x, torch.Tensor) and x.dtype == torch.bool)


def isa(x: Any, name: str) -> bool:
    name = str(name)
    if name in ("numeric", "float"):
        return isnumeric(x)
    if name in ("double", "single"):
        return isnumeric(x) and class_(x) == name
    if name == "dlarray":
        return _is_dl(x)
    if name in ("char", "string"):
        return isinstance(x, str)
    if name == "cell":
        return isinstance(x, list)
    if name == "struct":
        return isinstance(x, struct)
    return type(x).__name__ == name or builtins.any(c.__name__ == name.split(".")[-1] for c in type(x).__mro__)


def class_(x: Any) -> str:
    """MATLAB's class (the port of `class(x)`)."""
    if _is_dl(x):
        return "dlarray"
    if isinstance(x, bool) or (isinstance(x, torch.Tensor) and x.dtype == torch.bool):
        return "logical"
    if isinstance(x, str):
        return "char"
    if isinstance(x, list):
        return "cell"
    if isinstance(x, struct):
        return "struct"
    if isinstance(x, torch.Tensor):
        return "single" if x.dtype == torch.float32 else "double"
    if isinstance(x, (int, float)):
        return "double"
    return type(x).__name__


def _uniform(results: list[Any], uniform: bool) -> Any:
    if not uniform:
        return results
    if not results:
        return torch.zeros(1, 0, dtype=torch.float64)
    return _out(torch.tensor([float(_scalar_value(r)) for r in results], dtype=torch.float64)) \
        if not builtins.all(isinstance(r, bool) for r in results) else torch.tensor(results)


def cellfun(fn: Any, *cells: Any, UniformOutput: Any = True, **kwargs: Any) -> Any:
    """MATLAB's cellfun(@f, c1, ..., UniformOutput=false); names of functions ('isempty', 'length') too."""
    args = list(cells)
    if len(args) >= 2 and isinstance(args[-2], str) and args[-2].lower() == "uniformoutput":
        UniformOutput, args = args[-1], args[:-2]
    f = _BY_NAME.get(fn, fn) if isinstance(fn, str) else fn
    results = [_first(f(*vals)) for vals in zip(*args)]
    return _uniform(results, bool(UniformOutput))


def _first(value: Any) -> Any:
    """The first output of a program function that returned several (one output asked for)."""
    return value[0] if type(value) is tuple else value


def arrayfun(fn: Any, *arrays: Any, UniformOutput: Any = True, **kwargs: Any) -> Any:
    """MATLAB's arrayfun(@f, A, ..., UniformOutput=false): f on each element (column-major)."""
    args = list(arrays)
    if len(args) >= 2 and isinstance(args[-2], str) and args[-2].lower() == "uniformoutput":
        UniformOutput, args = args[-1], args[:-2]
    cols = [list(a) if isinstance(a, list) else _values(a) if not isinstance(a, _NUM) else [a] for a in args]
    cols = [[int(v) if isinstance(v, float) and v.is_integer() else v for v in c] for c in cols]
    results = [_first(fn(*vals)) for vals in zip(*cols)]
    return _uniform(results, bool(UniformOutput))


def num2cell(x: Any) -> list[Any]:
    return [v for v in _values(x)]


def deal(*args: Any, nargout: int = 1) -> Any:
    if len(args) == 1:
        return args[0] if nargout == 1 else tuple(args[0] for _ in range(nargout))
    return args if nargout > 1 else args[0]


# ----------------------------------------------------------------------------------------- files

def fullfile(*parts: Any) -> str:
    """MATLAB's fullfile: parts joined by the file separator (no doubled separators)."""
    parts = tuple(str(p) for p in parts if str(p) != "")
    if not parts:
        return ""
    out = parts[0]
    for p in parts[1:]:
        out = out.rstrip("/\\") + os.sep + p.lstrip("/\\") if out else p
    return out


def fileparts(path: Any, nargout: int = 1) -> Any:
    """MATLAB's [folder, name, ext] = fileparts(path)."""
    p = str(path)
    folder, base = os.path.split(p)
    name, ext = os.path.splitext(base)
    if base.startswith(".") and name == base:
        name, ext = "", base
    parts = (folder, name, ext)
    return parts[0] if nargout <= 1 else parts[:nargout]


def exist(name: Any, kind: Any = None) -> int:
    """MATLAB's exist for files and folders: 7 for a folder, 2 for a file, 0 otherwise."""
    p = Path(str(name))
    kind = None if kind is None else str(kind).lower()
    if kind in (None, "dir") and p.is_dir():
        return 7
    if kind in (None, "file") and p.is_file():
        return 2
    if kind == "file" and p.is_dir():
        return 7
    return 0


def isfile(name: Any) -> bool:
    return Path(str(name)).is_file()


def isfolder(name: Any) -> bool:
    return Path(str(name)).is_dir()


def mkdir(*parts: Any) -> bool:
    Path(fullfile(*parts)).mkdir(parents=True, exist_ok=True)
    return True


def tempdir() -> str:
    """MATLAB's tempdir (with a trailing separator, as MATLAB's)."""
    return tempfile.gettempdir().rstrip(os.sep) + os.sep


def pwd() -> str:
    return os.getcwd()


def websave(filename: Any, url: Any, *args: Any) -> str:
    import urllib.request
    urllib.request.urlretrieve(str(url), str(filename))
    return str(filename)


def untar(filename: Any, folder: Any = ".") -> None:
    import tarfile
    with tarfile.open(str(filename)) as tar:
        tar.extractall(str(folder), filter="data")


def unzip(filename: Any, folder: Any = ".") -> None:
    import zipfile
    with zipfile.ZipFile(str(filename)) as z:
        z.extractall(str(folder))


def addpath(*args: Any) -> None:
    pass  # the port's modules import each other from the output folder; nothing to add to a search path


rmpath = addpath


class _DirEntry(struct):
    pass


def dir(pattern: Any = ".") -> StructArray:
    """MATLAB's dir: a struct array with name, folder, date-less isdir and bytes (wildcards as MATLAB)."""
    import glob
    p = str(pattern)
    paths = sorted(glob.glob(os.path.join(p, "*")) if os.path.isdir(p) else glob.glob(p))
    out = []
    if os.path.isdir(p):
        out += [_DirEntry(name=n, folder=os.path.abspath(p), isdir=True, bytes=0) for n in (".", "..")]
    for f in paths:
        out.append(_DirEntry(name=os.path.basename(f), folder=os.path.abspath(os.path.dirname(f)),
                             isdir=os.path.isdir(f), bytes=os.path.getsize(f) if os.path.isfile(f) else 0))
    return StructArray(out)


def load(filename: Any, *names: Any) -> struct:
    """MATLAB's S = load(file): the variables of a .mat file as fields of a struct (needs scipy).
    (`load(file)` without an output creates variables MATLAB-style, which a translated program cannot.)"""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise ImportError("load: reading .mat files needs scipy (pip install scipy)") from None
    data = loadmat(str(filename), squeeze_me=False)
    keep = {str(n) for n in names}
    out = struct()
    for k, v in data.items():
        if k.startswith("__") or (keep and k not in keep):
            continue
        setattr(out, k, torch.from_numpy(np.asarray(v, dtype=np.float64)) if np.issubdtype(np.asarray(v).dtype,
                                                                                           np.number) else v)
    return out


def loadvars(filename: Any, *names: str, current: dict[str, Any] | None = None) -> Any:
    """The port of a bare `load(file)`: the named variables of the .mat file, in order (one: the value); a name
    the file lacks keeps its `current` value (MATLAB's load changes only the variables the file has)."""
    S = load(filename)
    current = current or {}
    missing = [n for n in names if not hasattr(S, n) and n not in current]
    if missing:
        raise NameError(f"load: {filename} has no variable {', '.join(missing)} (the port read "
                        f"{', '.join(missing)} from this file: nothing else in the program defines it)")
    values = tuple(getattr(S, n) if hasattr(S, n) else current[n] for n in names)
    return values[0] if len(values) == 1 else values


def ismatrix(x: Any) -> bool:
    return len(size(x)) == 2


def fliplr(x: Any) -> Any:
    """MATLAB's fliplr: the columns in reverse order."""
    if isinstance(x, (str, list)):
        return x[::-1]
    t = tensor(x)
    return _out(t.reshape(mshape(t)).flip(1))


def flipud(x: Any) -> Any:
    """MATLAB's flipud: the rows in reverse order."""
    if isinstance(x, list):
        return list(x)
    t = tensor(x)
    return _out(t.reshape(mshape(t)).flip(0))


def montage(images: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's montage: the images tiled (layergraph's imtile) and shown in the current figure."""
    return _plots.imshow(_lg.imtile(images, *args, **kwargs))


def now() -> float:
    """MATLAB's now: days since year 0 (MATLAB's datenum)."""
    import datetime
    t = datetime.datetime.now()
    return t.toordinal() + 366 + (t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6) / 86400


def datestr(t: Any = None, *args: Any) -> str:
    """MATLAB's datestr(now): 'dd-mmm-yyyy HH:MM:SS'."""
    import datetime
    t = now() if t is None else float(t)
    day = int(t)
    d = datetime.datetime.fromordinal(day - 366) + datetime.timedelta(seconds=builtins.round((t - day) * 86400))
    return d.strftime("%d-%b-%Y %H:%M:%S")


# ----------------------------------------------------------------------------------------- time, random, errors

_TIC: dict[str, float] = {}


def tic() -> float:
    """MATLAB's tic: starts the stopwatch and returns its start time (for toc(t))."""
    _TIC["t"] = time.perf_counter()
    return _TIC["t"]


def toc(start: Any = None, nargout: int = 1) -> float | None:
    """MATLAB's toc / toc(t): seconds since tic; as a statement (nargout=0) it prints them as MATLAB does."""
    t0 = float(start) if start is not None else _TIC.get("t")
    if t0 is None:
        raise RuntimeError("You must call TIC without an output argument before calling TOC without an input.")
    elapsed = time.perf_counter() - t0
    if nargout == 0:
        print(f"Elapsed time is {elapsed:.6f} seconds.")
        return None
    return elapsed


class duration:  # noqa: N801 - MATLAB's name
    """MATLAB's duration(h, m, s, Format=...): shown as the format says ('hh:mm:ss' by default)."""

    def __init__(self, h: Any = 0, m: Any = 0, s: Any = 0, *args: Any, Format: str = "hh:mm:ss") -> None:
        if len(args) >= 2 and str(args[0]).lower() == "format":
            Format = args[1]
        self.seconds = float(h) * 3600 + float(m) * 60 + float(s)
        self.Format = str(Format)

    def __str__(self) -> str:
        total = self.seconds
        h, rest = divmod(builtins.abs(total), 3600)
        m, s = divmod(rest, 60)
        sign = "-" if total < 0 else ""
        if self.Format == "hh:mm:ss":
            return f"{sign}{int(h):02d}:{int(m):02d}:{int(s):02d}"
        if self.Format == "mm:ss":
            return f"{sign}{int(h * 60 + m):02d}:{int(s):02d}"
        if self.Format == "s":
            return f"{total:g} sec"
        return f"{sign}{int(h):02d}:{int(m):02d}:{s:05.2f}"

    def __format__(self, spec: str) -> str:
        return str(self)


def seconds(x: Any) -> Any:
    return x.seconds if isinstance(x, duration) else duration(0, 0, x, Format="s")


def pause(t: Any = 0) -> None:
    time.sleep(float(t))


def rng(seed: Any = 0, *args: Any) -> None:
    """MATLAB's rng(seed) / rng('default') / rng('shuffle'): seeds torch, numpy and Python's random.
    (The numbers drawn are torch's, not MATLAB's Mersenne Twister stream.)"""
    if isinstance(seed, str):
        seed = 0 if seed.lower() == "default" else int(time.time() * 1000) % (2 ** 31)
    elif isinstance(seed, struct):
        seed = getattr(seed, "Seed", 0)
    torch.manual_seed(int(seed))
    np.random.seed(int(seed) % (2 ** 32))
    random.seed(int(seed))


class MException(Exception):  # noqa: N818 - MATLAB's name
    """MATLAB's MException: `message` and `identifier`."""

    def __init__(self, identifier: str = "", message: str = "", *args: Any) -> None:
        if message and args:
            message = sprintf(message, *args)
        super().__init__(message or identifier)
        self.identifier = identifier if message else ""
        self.message = message or identifier


def mexception(err: BaseException) -> Any:
    """The caught Python exception as MATLAB's MException (`ME.message`, `ME.identifier`)."""
    if isinstance(err, MException):
        return err
    out = MException("layergraph:python", str(err))
    out.__cause__ = err
    return out


def error(*args: Any) -> None:
    """MATLAB's error(msg), error(fmt, ...), error(id, fmt, ...)."""
    if len(args) >= 2 and isinstance(args[0], str) and ":" in args[0] and " " not in args[0]:
        raise MException(args[0], sprintf(args[1], *args[2:]))
    raise MException("", sprintf(*args) if len(args) > 1 else str(args[0]))


def warning(*args: Any) -> None:
    if args and str(args[0]).lower() in ("off", "on"):
        return
    text = sprintf(*args[1:]) if len(args) >= 2 and ":" in str(args[0]) and " " not in str(args[0]) \
        else sprintf(*args)
    print(f"Warning: {text}", file=sys.stderr)


def assert_(cond: Any, *args: Any) -> None:
    """MATLAB's assert(cond, msg, ...)."""
    ok = builtins.all(bool(v) for v in _values(cond)) if not isinstance(cond, bool) else cond
    if not ok:
        error(*args) if args else error("Assertion failed.")


def clc() -> None:
    pass  # nothing to clear: the port writes to a terminal log


def clear(*args: Any) -> None:
    pass  # Python frees variables when they go out of scope; a translated program never reads a cleared one


def format(*args: Any) -> None:
    pass


# ----------------------------------------------------------------------------------------- networks

def forward(net: Any, *X: Any, nargout: int = 1, **kwargs: Any) -> Any:
    """MATLAB's forward with its nargout: `Y = forward(net, X)` gives Y, `[Y, state] = ...` adds the state."""
    return _lg.forward(net, *X, nargout=nargout, **kwargs)


def noargs(x: Any) -> Any:
    """MATLAB's `obj.f()`: a method (or function handle) called with no arguments, or a field's value."""
    return x() if callable(x) and not isinstance(x, (torch.Tensor, type)) else x


class MatlabObject:
    """The base of a translated handle class, datastore or value class: attributes as properties; `copy` as
    matlab.mixin.Copyable's (a shallow copy: handle properties stay shared)."""

    def __init__(self, **properties: Any) -> None:
        for k, v in properties.items():
            setattr(self, k, v)

    def copy(self) -> Any:
        import copy as _copy
        return _copy.copy(self)


def classdef_layer(cls: type) -> type:
    """A translated classdef layer, registered (so `save` can write networks that hold it, as MATLAB saves
    them) under its name, or `name_port` when a layergraph layer has that name (the program's class comes first
    on MATLAB's path, as here)."""
    from layergraph.layers.base import LAYERS
    old = LAYERS.get(cls.__name__)
    if old is None or (old.__module__, old.__qualname__) == (cls.__module__, cls.__qualname__):
        return _lg.register_layer(cls)
    return _lg.register_layer(cls, name=f"{cls.__name__}_port")


def _matlab_row(x: Any) -> Any:
    """A row held as a 1-D tensor, as the 1×n array MATLAB has (layergraph reads a 1-D tensor as a column)."""
    return x.reshape(1, -1) if isinstance(x, torch.Tensor) and not _is_dl(x) and x.dim() == 1 else x


def permute(x: Any, order: Any) -> Any:
    """MATLAB's permute (a row is 1×n)."""
    return _lg.permute(_matlab_row(x), order)


def cat(dim: Any, *xs: Any) -> Any:
    """MATLAB's cat (rows are 1×n)."""
    return _lg.cat(dim, *[_matlab_row(x) for x in xs])


def dlgradient(loss: Any, *variables: Any, **kwargs: Any) -> Any:
    """MATLAB's dlgradient; a later dlgradient of the same trace works without RetainData, as in MATLAB (where
    RetainData only saves recomputation), so the trace is always kept until dlfeval returns."""
    kwargs = {k: v for k, v in kwargs.items() if k != "RetainData"}
    return _lg.dlgradient(loss, *variables, RetainData=True, **kwargs)


def dlarray(x: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's dlarray: a row held as a 1-D tensor (or a list, or a number) is passed on as 1×n."""
    if isinstance(x, torch.Tensor) and not _is_dl(x) and x.dim() <= 1:
        x = x.reshape(1, -1)
    elif isinstance(x, (list, tuple, int, float)) and not isinstance(x, bool):
        x = tensor(x).reshape(mshape(x))
    return _lg.dlarray(x, *args, **kwargs)


def predict(net: Any, *X: Any, nargout: int = 1, **kwargs: Any) -> Any:
    """MATLAB's predict with its nargout: `Y = predict(net, X)` is the first output of a multi-output net."""
    return _lg.predict(net, *X, nargout=nargout, **kwargs)


def next(q: Any, *args: Any, nargout: int = 1) -> Any:
    """MATLAB's next(mbq) / read: the next mini-batch (a tuple for [X, T] = next(mbq))."""
    res = q.next() if hasattr(q, "next") else builtins.next(q, *args)
    if isinstance(res, tuple) and nargout <= 1:
        return res[0]
    return res


_BY_NAME: dict[str, Callable[..., Any]] = {
    "isempty": isempty, "length": length, "numel": numel, "ischar": ischar, "isnumeric": isnumeric,
    "islogical": islogical, "isstruct": isstruct, "iscell": iscell,
}

_NOT_EXPORTED = {
    "annotations", "builtins", "math", "numbers", "os", "random", "re", "sys", "tempfile", "time", "Any",
    "Callable", "Path", "np", "torch", "DLArray", "tensor", "glob"}
__all__ = sorted({*_arrays.__all__, *_plots.__all__}
                 | {n for n in list(globals()) if not n.startswith("_") and n not in _NOT_EXPORTED})
