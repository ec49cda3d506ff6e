"""MATLAB's reductions and array builders for translated programs: sum, prod, mean, cumsum, any, all,
max/min with their nargout, linspace, repmat, randperm, randi, eye, find, sort, unique, ismember."""
from __future__ import annotations

import builtins
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import layergraph as _lg
from layergraph.dlarray.array import DLArray
from layergraph.port.subscripts import _flat, _out, mshape, tensor
from layergraph.port.values import _NUM, _is_dl


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
    """MATLAB's unique: the sorted distinct values (a row for a row input, else a column); of text, its
    distinct characters in character-code order (text)."""
    if isinstance(x, str):
        return "".join(sorted(builtins.set(x)))
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


def std(x: Any, w: Any = 0, dim: Any = None) -> Any:
    """MATLAB's std(x[, w[, dim]]): normalised by N-1 (w = 0) or N (w = 1)."""
    correction = 0 if (isinstance(w, _NUM) and w == 1) else 1
    return _reduce("std", x, dim, lambda t, d: t.std(d, correction=correction))


def var(x: Any, w: Any = 0, dim: Any = None) -> Any:
    """MATLAB's var(x[, w[, dim]])."""
    correction = 0 if (isinstance(w, _NUM) and w == 1) else 1
    return _reduce("var", x, dim, lambda t, d: t.var(d, correction=correction))


def randsample(population: Any, k: Any, replacement: Any = False, w: Any = None) -> Any:
    """MATLAB's randsample(n, k[, replacement]) (k of the integers 1..n, a column), randsample(population, k[,
    replacement]) (k of its values, oriented as population is) and randsample(..., true, w) (weighted, with
    replacement only, as MATLAB's); torch's generator draws them."""
    pop = tensor(population) if not isinstance(population, torch.Tensor) else population.detach()
    values = pop.reshape(-1) if pop.numel() > 1 else None
    n = values.numel() if values is not None else _whole("randsample", "n", pop, 1)
    k = _whole("randsample", "k", k, 0)
    if w is not None:
        idx = _weighted("randsample", w, n, k, bool(replacement))
    elif replacement:
        idx = torch.randint(0, n, (k,))
    else:
        if k > n:
            raise ValueError(f"randsample: cannot take {k} values from {n} without replacement")
        idx = torch.randperm(n)[:k]
    if values is None:
        return _out((idx + 1).double().reshape(k, 1))
    return _out(values[idx].reshape((1, k) if mshape(pop)[0] == 1 else (k, 1)))


def _whole(fname: str, what: str, v: Any, low: int) -> int:
    x = float(v.reshape(-1)[0]) if isinstance(v, torch.Tensor) else float(v)
    if not math.isfinite(x) or x != int(x) or x < low:
        raise ValueError(f"{fname}: {what} must be a whole number of at least {low}; got {v!r}")
    return int(x)


def _weighted(fname: str, w: Any, n: int, k: int, replacement: bool) -> torch.Tensor:
    """k indices drawn with replacement with probabilities proportional to the weights w (one per value)."""
    if not replacement:
        raise ValueError(f"{fname}: weighted sampling needs replacement ({fname}(n, k, true, w)); MATLAB's "
                         f"{fname} has no weighted sampling without replacement")
    weights = (w.detach() if isinstance(w, torch.Tensor) else tensor(w)).reshape(-1).double()
    if weights.numel() != n or (weights < 0).any() or not bool(weights.sum() > 0):
        raise ValueError(f"{fname}: the weights must be {n} nonnegative numbers, not all zero")
    return torch.multinomial(weights, k, replacement=True)
