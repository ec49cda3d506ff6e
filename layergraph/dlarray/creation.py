"""MATLAB's array constructors `rand`, `randn`, `randi`, `zeros`, `ones` with MATLAB's size arguments and
`like`."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import DLArray, plain, wrap
from layergraph.dlarray.sizevec import is_vector_like, size_vector
from layergraph.namevalue import matlab_keywords

__all__ = ["ones", "rand", "randi", "randn", "zeros"]

_TYPES = {"single": torch.float32, "double": torch.float64, "int8": torch.int8, "uint8": torch.uint8,
          "int16": torch.int16, "int32": torch.int32, "int64": torch.int64, "logical": torch.bool}
_FLOATS = ("single", "double")
_NUMERIC = ("single", "double", "int8", "uint8", "int16", "int32", "int64", "logical")


def _size(name: str, args: tuple[Any, ...]) -> list[int]:
    """MATLAB's size forms: f(n) is n×n, f(a, b, ...) and f([a b ...]) as given (a row, a column, numpy
    integers); f() is 1×1."""
    if not args:
        return [1, 1]
    if len(args) == 1:
        a = args[0]
        if is_vector_like(a):
            sizes = size_vector(name, a)
            return sizes if len(sizes) != 1 else [sizes[0], sizes[0]]
        return [int(a), int(a)]
    if any(is_vector_like(a) and _count(a) != 1 for a in args):  # a 1×1 array is a number, as in MATLAB
        raise ValueError(f"{name}: give the size as separate numbers or as one vector, not both")
    return size_vector(name, list(args))


def _count(a: Any) -> int:
    return a.numel() if isinstance(a, torch.Tensor) else int(np.size(a))


def _make(name: str, fill: Callable[..., torch.Tensor], args: tuple[Any, ...], like: Any,
          classes: tuple[str, ...] = _FLOATS) -> torch.Tensor:
    typename = None
    if len(args) >= 2 and isinstance(args[-2], str) and args[-2].lower() == "like":  # f(sz, "like", p)
        if like is not None:
            raise ValueError(f"{name}: 'like' given twice")
        like, args = args[-1], args[:-2]
    if args and isinstance(args[-1], str):
        typename, args = args[-1].lower(), args[:-1]
        if typename == "like":
            raise ValueError(f"{name}: 'like' needs a prototype array after it")
        if typename not in classes:
            raise ValueError(f"{name}: the class must be one of {', '.join(classes)}; got '{typename}'")
    sizes = [max(s, 0) for s in _size(name, args)]
    if like is not None:
        proto = plain(like) if isinstance(like, torch.Tensor) else torch.as_tensor(np.asarray(like))
        dtype = _TYPES[typename] if typename else proto.dtype
        out = fill(sizes, dtype=dtype, device=proto.device)
        # MATLAB: "like" a dlarray gives an unformatted dlarray (MATLAB layout, dims as given)
        return wrap(out, "") if isinstance(like, DLArray) else out
    # a MATLAB numeric array: an unformatted dlarray, so arithmetic with it follows MATLAB's layout and
    # implicit expansion (32×32 noise meets a 32×32×1 image as 32×32)
    return wrap(fill(sizes, dtype=_TYPES[typename or "double"]), "")


@matlab_keywords
def rand(*args: Any, like: Any = None) -> torch.Tensor:
    """rand(sz...[, 'single'], like=p): uniform (0, 1) numbers in MATLAB layout, as an unformatted dlarray (a
    plain tensor `like` a plain tensor)."""
    return _make("rand", torch.rand, args, like)


@matlab_keywords
def randn(*args: Any, like: Any = None) -> torch.Tensor:
    """randn(sz...[, 'single'], like=p): standard normal numbers in MATLAB layout."""
    return _make("randn", torch.randn, args, like)


@matlab_keywords
def zeros(*args: Any, like: Any = None) -> torch.Tensor:
    """zeros(sz...[, 'single'], like=p): zeros in MATLAB layout."""
    return _make("zeros", torch.zeros, args, like, _NUMERIC)


@matlab_keywords
def ones(*args: Any, like: Any = None) -> torch.Tensor:
    """ones(sz...[, 'single'], like=p): ones in MATLAB layout."""
    return _make("ones", torch.ones, args, like, _NUMERIC)


@matlab_keywords
def randi(imax: Any, *args: Any, like: Any = None) -> torch.Tensor:
    """randi(imax, sz...[, class], like=p): uniform integers 1..imax, or imin..imax for randi([imin imax], …).

    The class defaults to double (integer values stored as floating point, as MATLAB's); 'single', 'int32',
    'uint8', … and `like` choose another; `like` a dlarray gives an unformatted dlarray.
    """
    bounds = size_vector("randi", imax) if is_vector_like(imax) else [imax]
    if len(bounds) == 1:
        low, high = 1, bounds[0]
    elif len(bounds) == 2:
        low, high = bounds
    else:
        raise ValueError("randi: the range must be imax or [imin imax]")
    if not (isinstance(low, int) and isinstance(high, int)) or high < low:
        raise ValueError(f"randi: the range must be integers with imin <= imax; got [{low} {high}]")

    def fill(sizes: list[int], dtype: torch.dtype, device: Any = None) -> torch.Tensor:
        return torch.randint(low, high + 1, sizes, device=device).to(dtype)
    return _make("randi", fill, args, like, _NUMERIC[:-1])
