"""MATLAB's array functions on dlarrays, torch tensors and numpy arrays, with MATLAB dimension numbers.

A formatted dlarray is seen in MATLAB layout (its labels' order S…, C, B, T, U): `size(X, 3)` of "SSCB" data
is the number of channels, `sum(X, 4)` sums over the batch. Unformatted arrays and plain tensors are seen as
stored. Reductions keep the reduced dimensions (size 1) and the format, as MATLAB does; reshape, permute and
squeeze return unformatted data in MATLAB layout. `sum`, `max`, `min` hand anything that is not an array
to Python's built-in of the same name, so `from layergraph import *` leaves `sum(generator)` working.
"""
from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import (
    DLArray,
    adopt,
    dlarray,
    matlab_data,
    matlab_shape,
    no_labels,
    plain,
    wrap,
)
from layergraph.dlarray.sizevec import is_vector_like, size_vector
from layergraph.formats import torch_axis
from layergraph.namevalue import matlab_keywords
from layergraph.nargout import ALL, nargout


def _is_array(x: Any) -> bool:
    return isinstance(x, (torch.Tensor, np.ndarray))


def _shape(X: Any) -> tuple[int, ...]:
    """MATLAB's full size of X: formatted dlarrays in label order, 0-d as 1×1, 1-d as a column."""
    if isinstance(X, torch.Tensor):
        shape = matlab_shape(X)
    elif hasattr(X, "shape"):
        shape = tuple(X.shape)
    else:
        shape = np.shape(X)
    if len(shape) == 0:
        return (1, 1)
    return (shape[0], 1) if len(shape) == 1 else tuple(int(n) for n in shape)


def _dims(args: Sequence[Any]) -> list[int]:
    """Dimension arguments given as `d`, `d1, d2` or `[d1, d2]`: positive integers."""
    ds = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray, torch.Tensor)) else args
    out = []
    for d in (ds.tolist() if hasattr(ds, "tolist") else ds):
        if isinstance(d, bool) or int(d) != d or d < 1:
            raise ValueError(f"dimension arguments must be positive integers (1-based, as in MATLAB); got {d!r}")
        out.append(int(d))
    return out


def size(X: Any, *dim: Any, nargout: int | None = None) -> Any:
    """MATLAB's size: the size vector (trailing singletons dropped, at least two) or the size along `dim`.

    `size(X, d)` with one dimension gives an int; several (`size(X, 1, 2)`, `size(X, [1, 2])`) a tuple. As in
    MATLAB, `h, w = size(X)` (nargout 2, see layergraph.nargout) gives the first size and the product of the
    rest, `h, w, c = size(X)` the first two and the product of the rest (1 beyond the last dimension).
    """
    n = _nargout("size", nargout)
    shape = _shape(X)
    if not dim:
        if n <= 1 or n >= ALL:
            s = list(shape)
            while len(s) > 2 and s[-1] == 1:
                s.pop()
            return tuple(s)
        full = list(shape) + [1] * max(n - len(shape), 0)
        return (*full[:n - 1], math.prod(full[n - 1:]))
    vals = tuple(shape[d - 1] if d <= len(shape) else 1 for d in _dims(dim))
    if 1 < n < ALL and n != len(vals):
        raise ValueError(f"size: {n} outputs were asked for but {len(vals)} dimension(s) were given")
    return vals[0] if len(vals) == 1 else vals


def numel(X: Any) -> int:
    """MATLAB's numel: the number of elements."""
    return math.prod(_shape(X))


def ndims(X: Any) -> int:
    """MATLAB's ndims: the length of size(X)."""
    return len(size(X))


def finddim(X: Any, label: str) -> list[int]:
    """MATLAB's finddim: the 1-based dimensions of X labelled `label` ([] if none or unformatted)."""
    return [i + 1 for i, c in enumerate(getattr(X, "fmt", "")) if c == label.upper()]


def _axis(fmt: str, d: int, ndim: int) -> int | None:
    """The torch axis of MATLAB dimension d, or None for a dimension beyond the array (implicit singleton)."""
    if fmt:
        return torch_axis(fmt, d) if d <= len(fmt) else None
    return d - 1 if d <= ndim else None


def _like(X: Any, out: torch.Tensor, fmt: str) -> Any:
    """Return fresh result `out` as the kind of array X is: labelled dlarray, unformatted dlarray, numpy (a numpy
    scalar when 1×1), tensor."""
    if isinstance(X, DLArray):
        return adopt(out, fmt)
    if isinstance(X, np.ndarray):
        # a MATLAB 1×1 result is a number: numpy's scalar works with float(), f-strings and arithmetic
        return out.numpy().reshape(())[()] if out.numel() == 1 else out.numpy()
    return out


def _reduce(name: str, X: Any, dim: Any, op: Callable[[torch.Tensor, list[int] | None], torch.Tensor]) -> Any:
    """Reduce X over MATLAB dimension(s) `dim` (None: first non-singleton; 'all'), keeping them as size 1."""
    fmt = getattr(X, "fmt", "")
    if isinstance(dim, str) and dim.lower() != "all":
        raise ValueError(f"{name}: unknown option {dim!r}; give a dimension, a vector of dimensions or 'all'")
    if dim is None:
        dims = [next((i for i, n in enumerate(_shape(X)) if n != 1), 0) + 1]
    elif not isinstance(dim, str):
        dims = _dims([dim])
    with no_labels():  # work on the data directly: no per-operation dispatch, no alias in the graph
        t = torch.from_numpy(X) if isinstance(X, np.ndarray) else X
        if t.dim() < 2 and not fmt:
            t = t.reshape(_shape(t))
        if isinstance(dim, str):
            axes = list(range(t.dim()))
        else:
            axes = sorted({a for a in (_axis(fmt, d, t.dim()) for d in dims) if a is not None})
        if not axes:
            return X  # MATLAB: reducing along a dimension the array does not have returns it unchanged
        # one full reduction is faster than reducing a list of every axis
        out = op(t, None).reshape((1,) * t.dim()) if len(axes) == t.dim() else op(t, axes)
    return _like(X, out, fmt)


def _keep(t: torch.Tensor, axes: list[int] | None, fn: Callable[..., torch.Tensor]) -> torch.Tensor:
    """fn over `axes` keeping them as size 1; over everything at once when axes is None."""
    return fn(t) if axes is None else fn(t, axes, keepdim=True)


def sum(X: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's sum(X), sum(X, dim), sum(X, vecdim), sum(X, 'all'); Python's sum for anything else."""
    if not _is_array(X):
        return builtins.sum(X, *args, **kwargs)
    return _reduce("sum", X, args[0] if args else None, lambda t, ax: _keep(t, ax, torch.sum))


@matlab_keywords
def mean(X: Any, dim: Any = None) -> Any:
    """MATLAB's mean(X), mean(X, dim), mean(X, vecdim), mean(X, 'all'); integers give floating point."""
    def op(t: torch.Tensor, ax: list[int] | None) -> torch.Tensor:
        return _keep(t if t.is_floating_point() else t.to(torch.get_default_dtype()), ax, torch.mean)
    return _reduce("mean", X if _is_array(X) else np.asarray(X, dtype=float), dim, op)


_NANFLAGS = ("omitnan", "includenan")


def _extremum(name: str, builtin: Any, args: tuple, kwargs: dict) -> Any:
    """max/min: M = max(X), max(X, [], dim), max(X, [], 'all'), max(A, B), each with 'omitnan' (MATLAB's
    default: NaN are skipped unless every element is NaN) or 'includenan'; M, I = max(...) adds indices."""
    n = _nargout(name, kwargs.pop("nargout", None), depth=3)
    if not args or not builtins.any(_is_array(a) for a in args[:2]):
        return builtin(*args, **kwargs)
    if kwargs:
        raise TypeError(f"{name}: unexpected keyword(s) {', '.join(kwargs)}")
    X, rest = args[0], list(args[1:])
    nanflag = "omitnan"
    if rest and isinstance(rest[-1], str) and rest[-1].lower() in _NANFLAGS:
        nanflag = rest.pop().lower()
    if rest and not _is_empty(rest[0]):
        if len(rest) > 1 or n > 1:
            raise ValueError(f"{name}(A, B) compares two arrays elementwise and has one output; for the {name} "
                             f"along a dimension write {name}(X, [], dim)")
        return _elementwise_extremum(name, X, rest[0], nanflag == "omitnan")
    if len(rest) > 2:
        raise ValueError(f"{name}: unknown option {rest[2]!r}; the options are a dimension, 'all', 'omitnan' and "
                         "'includenan'")
    dim = rest[1] if len(rest) > 1 else None
    omit = nanflag == "omitnan"
    if n <= 1:
        return _reduce(name, X, dim, lambda t, ax: _nan_extreme(name, t, ax, omit)[0])
    return _extremum_with_indices(name, X, dim, omit, n)


def _extremum_with_indices(name: str, X: Any, dim: Any, omit: bool, n: int) -> tuple[Any, Any]:
    """[M, I] = max(X, [], dim): the values and their 1-based indices along one dimension."""
    if n > 2 or isinstance(dim, str) or (dim is not None and len(_dims([dim])) != 1):
        raise ValueError(f"{name}: [M, I] = {name}(...) returns values and 1-based indices along one dimension "
                         f"(got {n} outputs)" if n != 2 else
                         f"{name}: [M, I] = {name}(...) needs one dimension, not {dim!r}")
    found: list[torch.Tensor] = []

    def op(t: torch.Tensor, ax: list[int] | None) -> torch.Tensor:
        values, idx = _nan_extreme(name, t, [0] if ax is None else ax[:1], omit)
        found.append(idx + 1)  # MATLAB's indices count from 1
        return values
    values = _reduce(name, X, dim, op)
    if not found:  # a dimension beyond the array: every element is its own extremum
        return values, _like(X, torch.ones_like(plain(values), dtype=torch.long), getattr(X, "fmt", ""))
    return values, _like(X, found[0], getattr(X, "fmt", ""))


def _nan_extreme(name: str, t: torch.Tensor, axes: list[int] | None,
                 omit: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The max/min over `axes` (kept as size 1; None: all) and, for one axis, the 0-based index of the first
    extreme. omit: NaN are skipped (an all-NaN slice gives NaN and index 0); else a NaN wins (its first index)."""
    if not t.is_floating_point():
        if axes is not None and len(axes) == 1:
            return (torch.max if name == "max" else torch.min)(t, axes[0], keepdim=True)
        return _keep(t, axes, torch.amax if name == "max" else torch.amin), torch.empty(0)
    nan = torch.isnan(t)
    fill = float("-inf") if name == "max" else float("inf")
    clean = torch.where(nan, torch.full_like(t, fill), t)
    if axes is not None and len(axes) == 1:
        ax = axes[0]
        values, idx = (torch.max if name == "max" else torch.min)(clean, ax, keepdim=True)
        # torch does not promise the first of equal extremes: take the first position holding the value
        hit = (clean == values) & ~nan
        first = torch.argmax(hit.to(torch.uint8), ax, keepdim=True)
        anynan, allnan = nan.any(ax, keepdim=True), nan.all(ax, keepdim=True)
        firstnan = torch.argmax(nan.to(torch.uint8), ax, keepdim=True)
        if omit:
            idx = torch.where(allnan, torch.zeros_like(first), first)
            values = torch.where(allnan, torch.full_like(values, float("nan")), values)
        else:
            idx = torch.where(anynan, firstnan, first)
            values = torch.where(anynan, torch.full_like(values, float("nan")), values)
        return values, idx
    values = _keep(clean, axes, torch.amax if name == "max" else torch.amin)
    gone = _keep(nan, axes, torch.all) if omit else _keep(nan, axes, torch.any)
    return torch.where(gone, torch.full_like(values, float("nan")), values), torch.empty(0)


def _is_empty(x: Any) -> bool:
    return x is None or (isinstance(x, (list, tuple)) and len(x) == 0)


def _elementwise_extremum(name: str, A: Any, B: Any, omit: bool = True) -> Any:
    """MATLAB's max(A, B): elementwise, NaN ignored (torch.fmax) or kept ('includenan'); labels kept by the
    dlarray rules."""
    if not isinstance(A, torch.Tensor) and not isinstance(B, torch.Tensor):
        if omit:
            return (np.fmax if name == "max" else np.fmin)(A, B)
        return (np.maximum if name == "max" else np.minimum)(A, B)
    ref = A if isinstance(A, torch.Tensor) else B
    a = A if isinstance(A, torch.Tensor) else torch.as_tensor(np.asarray(A), dtype=ref.dtype, device=ref.device)
    b = B if isinstance(B, torch.Tensor) else torch.as_tensor(np.asarray(B), dtype=ref.dtype, device=ref.device)
    if omit:
        return (torch.fmax if name == "max" else torch.fmin)(a, b)
    return (torch.maximum if name == "max" else torch.minimum)(a, b)


def max(*args: Any, **kwargs: Any) -> Any:
    """MATLAB's max: M = max(X) (first non-singleton dimension), max(X, [], dim), max(X, [], 'all'),
    elementwise max(A, B), NaN omitted unless 'includenan'; `M, I = max(X, [], dim)` adds 1-based indices
    (nargout, see layergraph.nargout). Python's max for anything that is not an array."""
    return _extremum("max", builtins.max, args, kwargs)


def min(*args: Any, **kwargs: Any) -> Any:
    """MATLAB's min, the mirror of `max` (same forms, same nargout rule). Python's min for non-arrays."""
    return _extremum("min", builtins.min, args, kwargs)


def _nargout(fname: str, given: Any, depth: int = 2) -> int:
    """nargout of the statement calling the public function (`depth` frames up from here)."""
    return nargout(fname, given, depth=depth)


def _sizes(name: str, sz: tuple[Any, ...], count: int) -> list[int]:
    """reshape's size arguments: a vector or separate sizes, one of them [] or None to be computed."""
    if len(sz) == 1 and is_vector_like(sz[0]):
        sz = tuple(size_vector(name, sz[0]))
    if len(sz) < 2:
        raise ValueError(f"{name}: the size vector must have at least two elements, as in MATLAB")
    free = [i for i, s in enumerate(sz) if _is_empty(s)]
    if len(free) > 1:
        raise ValueError(f"{name}: only one size may be [] (computed)")
    known = math.prod(int(s) for i, s in enumerate(sz) if i not in free)
    sizes = [0 if i in free else int(s) for i, s in enumerate(sz)]
    if free:
        if known == 0 or count % known:
            raise ValueError(f"{name}: {count} elements cannot be split into the sizes given")
        sizes[free[0]] = count // known
    if math.prod(sizes) != count:
        raise ValueError(f"{name}: size {'×'.join(map(str, sizes))} does not have {count} elements")
    return sizes


def column_major(t: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    """Reshape as MATLAB does (first index fastest) using torch's row-major reshape on reversed dims."""
    rev = t.permute(*reversed(range(t.dim()))) if t.dim() > 1 else t
    out = rev.reshape(sizes[::-1])
    return out.permute(*reversed(range(len(sizes))))


def reshape(X: Any, *sz: Any) -> Any:
    """MATLAB's reshape(X, [a b c]) or reshape(X, a, b, []): column-major; a dlarray comes back unformatted."""
    if isinstance(X, np.ndarray) or not isinstance(X, torch.Tensor):
        arr = np.asarray(X)
        return np.reshape(arr, _sizes("reshape", sz, arr.size), order="F")
    t = matlab_data(X)
    out = column_major(t, _sizes("reshape", sz, t.numel()))
    return wrap(out, "") if isinstance(X, DLArray) else out


def permute(X: Any, order: Sequence[int]) -> Any:
    """MATLAB's permute(X, order) on the data in MATLAB layout; a dlarray comes back unformatted."""
    order = _dims([order])
    if sorted(order) != list(range(1, len(order) + 1)):
        raise ValueError(f"permute: order must be a permutation of 1:{len(order)}; got {order}")
    if isinstance(X, np.ndarray):
        X = np.asarray(X)
        if len(order) < X.ndim:
            raise ValueError(f"permute: order has {len(order)} elements but the array has {X.ndim} dimensions")
        return np.transpose(X.reshape(X.shape + (1,) * (len(order) - X.ndim)), [o - 1 for o in order])
    t = matlab_data(X)
    if len(order) < t.dim():
        raise ValueError(f"permute: order has {len(order)} elements but the array has {t.dim()} dimensions")
    t = t.reshape(tuple(t.shape) + (1,) * (len(order) - t.dim()))
    out = t.permute([o - 1 for o in order])
    return wrap(out, "") if isinstance(X, DLArray) else out


def squeeze(X: Any) -> Any:
    """MATLAB's squeeze: drop singleton dimensions of arrays with more than two; 1×1×n becomes n×1."""
    shape = _shape(X)
    if len(shape) <= 2:
        return stripped(X)
    keep = [n for n in shape if n != 1]
    new = keep if len(keep) >= 2 else ([keep[0], 1] if keep else [1, 1])
    if isinstance(X, np.ndarray):
        return X.reshape(new)
    out = matlab_data(X).reshape(new)
    return wrap(out, "") if isinstance(X, DLArray) else out


def stripped(X: Any) -> Any:
    """X as unformatted data in MATLAB layout (what MATLAB's shape functions return for a dlarray)."""
    return wrap(matlab_data(X), "") if isinstance(X, DLArray) and X.fmt else X


def cat_labelled(dim: int, arrays: Sequence[Any]) -> DLArray:
    """MATLAB's cat(dim, ...) on formatted dlarrays: join along MATLAB dimension `dim`, keep the format.

    Unformatted data among them are taken in MATLAB layout and labelled like the others.
    """
    fmts = {a.fmt for a in arrays if isinstance(a, DLArray) and a.fmt}
    if len(fmts) > 1:
        raise ValueError(f"cat: cannot concatenate dlarrays with different formats {sorted(fmts)}")
    fmt = fmts.pop()
    if dim > len(fmt):
        raise ValueError(f"cat: dimension {dim} is beyond the {len(fmt)} dimensions of '{fmt}' data; a formatted "
                         "dlarray cannot grow a dimension (cat along a labelled dimension, or stripdims first)")
    parts = [plain(a) if isinstance(a, DLArray) and a.fmt else plain(dlarray(a, fmt)) for a in arrays]
    try:
        return wrap(torch.cat(parts, torch_axis(fmt, dim)), fmt)
    except RuntimeError:
        sizes = ", ".join("×".join(map(str, matlab_shape(wrap(p, fmt)))) for p in parts[:4])
        raise ValueError(f"cat: dimensions of arrays being concatenated are not consistent along dim {dim} "
                         f"of '{fmt}' data (sizes {sizes}{', ...' if len(parts) > 4 else ''})") from None
