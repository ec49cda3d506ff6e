"""MATLAB's size functions for translated programs: size, numel, length, ndims, isempty, ..."""
from __future__ import annotations

import builtins
import math
import numbers
from typing import Any

import layergraph as _lg
from layergraph.port.subscripts import mshape, tensor
from layergraph.port.values import _is_dl


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
