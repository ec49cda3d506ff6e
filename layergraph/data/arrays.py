"""MATLAB's cat (1-based dims; numpy, torch, categoricals and dlarrays) and rescale."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.data.categorical import Categorical
from layergraph.data.options import parse_options
from layergraph.dlarray import DLArray, wrap
from layergraph.dlarray.functions import cat_labelled
from layergraph.namevalue import matlab_keywords


def _matlab_dims(a: np.ndarray | torch.Tensor, ndim: int) -> Any:
    """View `a` with at least `ndim` dims the MATLAB way: scalars are 1×1, vectors columns, trailing 1s added."""
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a.reshape(-1, 1)  # MATLAB datastores hand out column vectors
    while a.ndim < ndim:
        a = a[..., None]
    return a


def _is_empty_matrix(a: Any) -> bool:
    """True for MATLAB's [] (a 0×0 array, or an empty Python list)."""
    if isinstance(a, list | tuple):
        return len(a) == 0
    shape = getattr(a, "shape", None)
    return shape is not None and tuple(shape) == (0, 0) and not (isinstance(a, DLArray) and a.fmt)


def cat(dim: int, *arrays: Any) -> Any:
    """MATLAB's cat(dim, A, B, ...): join along the 1-based dimension `dim`; `cat(4, *XCell)` stacks H×W×C images.

    Formatted dlarrays join along MATLAB dimension `dim` of their labels and keep the format: cat(3, A, B) on
    "SSCB" data joins channels, cat(1, Z1, Z2) on "CB" data joins channels, cat(2, ...) the batch.
    """
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
        raise ValueError(f"cat: dimension must be a positive integer (1-based, as in MATLAB); got {dim!r}")
    dim = int(dim)
    # MATLAB ignores [] (0×0) in concatenation: Y = []; Y = cat(4, Y, X) starts an accumulation
    arrays = tuple(a for a in arrays if not _is_empty_matrix(a))
    if not arrays:
        return np.zeros((0, 0))
    if len(arrays) == 1 and not isinstance(arrays[0], (list, tuple)):
        return arrays[0]
    if any(isinstance(a, Categorical) for a in arrays):
        return _cat_categorical(dim, arrays)
    if any(isinstance(a, DLArray) and a.fmt for a in arrays):
        return cat_labelled(dim, arrays)
    if any(isinstance(a, torch.Tensor) for a in arrays):
        device = next(a.device for a in arrays if isinstance(a, torch.Tensor))
        parts = [a.as_subclass(torch.Tensor) if isinstance(a, torch.Tensor)
                 else torch.as_tensor(np.asarray(a), device=device) for a in arrays]
        ndim = max(dim, *(p.ndim for p in parts), 2)
        out = torch.cat([_matlab_dims(p, ndim) for p in parts], dim=dim - 1)
        return wrap(out, "") if any(isinstance(a, DLArray) for a in arrays) else out
    parts = [np.asarray(a) for a in arrays]
    ndim = max(dim, *(p.ndim for p in parts), 2)
    parts = [_matlab_dims(p, ndim) for p in parts]
    try:
        if dim == ndim and ndim > 2:
            # joining along the last dimension (stacking observations, e.g. cat(4, XCell{:})): build the result
            # observation-major in memory and return a transposed view; values and shape are MATLAB's, and the
            # later reorder to torch's batch-first layout copies whole images instead of striding across them
            joined = np.concatenate([np.moveaxis(p, -1, 0) for p in parts], axis=0)
            return np.moveaxis(joined, 0, -1)
        return np.concatenate(parts, axis=dim - 1)
    except ValueError:
        sizes = ", ".join("×".join(map(str, p.shape)) for p in parts[:4])
        raise ValueError(f"cat: dimensions of arrays being concatenated are not consistent along dim {dim} "
                         f"(sizes {sizes}{', ...' if len(parts) > 4 else ''})") from None


def _cat_categorical(dim: int, arrays: tuple[Any, ...]) -> Categorical:
    """Concatenate categoricals; differing category sets are merged (sorted), as MATLAB does."""
    if not all(isinstance(a, Categorical) for a in arrays):
        raise TypeError("cat: cannot concatenate a categorical with other data types")
    names = arrays[0].categories
    if any(a.categories != names for a in arrays[1:]):
        names = sorted({c for a in arrays for c in a.categories})
    codes = []
    for a in arrays:
        remap = np.asarray([0, *(names.index(c) + 1 for c in a.categories)], dtype=np.int64)
        codes.append(remap[a.codes])
    return Categorical(categories=names, codes=cat(dim, *codes))


@matlab_keywords
def rescale(A: Any, *args: Any, InputMin: Any = None, InputMax: Any = None, **kwargs: Any) -> Any:
    """MATLAB's rescale(A, l, u, InputMin=a, InputMax=b) = l + (clip(A, a, b) − a) / (b − a) · (u − l)."""
    nums = []
    rest = list(args)
    while rest and not isinstance(rest[0], str) and len(nums) < 2:
        nums.append(rest.pop(0))
    if len(nums) == 1:
        raise ValueError("rescale: give both the lower and the upper bound (rescale(A, l, u))")
    lo, hi = nums if nums else (0.0, 1.0)
    opts = parse_options("rescale", rest, kwargs, {"InputMin": InputMin, "InputMax": InputMax})
    if isinstance(A, Categorical):
        raise TypeError("rescale: categorical input is not numeric")
    if isinstance(A, torch.Tensor):
        x = A.as_subclass(torch.Tensor)  # stays differentiable; labels are put back below
        x = x if x.is_floating_point() else x.to(torch.float32)
        amin = x.min() if opts["InputMin"] is None else torch.as_tensor(opts["InputMin"], dtype=x.dtype,
                                                                        device=x.device)
        amax = x.max() if opts["InputMax"] is None else torch.as_tensor(opts["InputMax"], dtype=x.dtype,
                                                                        device=x.device)
        x = torch.minimum(torch.maximum(x, amin), amax)
        span = amax - amin
        # a constant input (b == a) maps to the lower bound instead of dividing by zero
        scaled = torch.where(span > 0, (x - amin) / torch.where(span > 0, span, torch.ones_like(span)),
                             torch.zeros_like(x))
        out = lo + scaled * (hi - lo)
        return wrap(out, A.fmt) if isinstance(A, DLArray) else out
    x = np.asarray(A)
    # MATLAB returns single for single input and double otherwise (integers included); order "K" keeps the
    # memory layout of the input, which matters for the observation-major arrays that cat(4, ...) returns
    x = x.astype(np.float32 if x.dtype == np.float32 else np.float64, order="K")
    amin = np.nanmin(x) if opts["InputMin"] is None else np.asarray(opts["InputMin"], dtype=x.dtype)
    amax = np.nanmax(x) if opts["InputMax"] is None else np.asarray(opts["InputMax"], dtype=x.dtype)
    span = amax - amin
    if np.all(span > 0):
        # in place, four passes over the data: l + (clip(A, a, b) - a) * ((u - l) / (b - a))
        np.clip(x, amin, amax, out=x)
        x -= amin
        x *= (hi - lo) / span
        x += lo
        return x
    x = np.minimum(np.maximum(x, amin), amax)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a constant input (b == a) maps to the lower bound instead of dividing by zero
        scaled = np.where(span > 0, (x - amin) / np.where(span > 0, span, 1), 0)
    return (lo + scaled * (hi - lo)).astype(x.dtype, copy=False)
