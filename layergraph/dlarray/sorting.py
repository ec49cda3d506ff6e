"""MATLAB's sort on dlarrays, tensors and numpy arrays: stable, NaN last (ascend) or first (descend)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import no_labels
from layergraph.dlarray.functions import _axis, _dims, _like, _nargout, _shape
from layergraph.namevalue import matlab_keywords, name_value
from layergraph.nargout import results

_DIRECTIONS = ("ascend", "descend")


@matlab_keywords
def sort(A: Any, *args: Any, nargout: int | None = None, **kwargs: Any) -> Any:
    """MATLAB's B = sort(A), sort(A, dim), sort(A, direction), sort(A, dim, direction, MissingPlacement=...);
    `B, I = sort(...)` adds 1-based indices (nargout, see layergraph.nargout).

    Sorts along the first non-singleton dimension by default; equal elements keep their order; NaN go last
    for 'ascend' and first for 'descend' (MissingPlacement 'auto'; 'first' or 'last' to choose).
    """
    n = _nargout("sort", nargout)
    rest = list(args)
    dim = rest.pop(0) if rest and not isinstance(rest[0], str) else None
    direction = "ascend"
    if rest and isinstance(rest[0], str) and rest[0].lower() in _DIRECTIONS:
        direction = rest.pop(0).lower()
    opts = name_value("sort", rest, kwargs, ("MissingPlacement", "ComparisonMethod"))
    if str(opts.get("ComparisonMethod", "auto")).lower() not in ("auto", "real"):
        raise ValueError("sort: ComparisonMethod 'abs' is not supported (real data sort by value)")
    placement = str(opts.get("MissingPlacement", "auto")).lower()
    if placement not in ("auto", "first", "last"):
        raise ValueError(f"sort: MissingPlacement must be 'auto', 'first' or 'last'; got {placement!r}")
    if placement == "auto":
        placement = "last" if direction == "ascend" else "first"
    X = A if isinstance(A, (torch.Tensor, np.ndarray)) else np.asarray(A)
    if isinstance(X, np.ndarray) and X.dtype.kind not in "biuf":
        raise ValueError(f"sort: sorting {X.dtype} data (text, cell arrays) is not supported; layergraph's sort "
                         "takes numeric and logical arrays (use Python's sorted for text)")
    fmt = getattr(X, "fmt", "")
    shape = _shape(X)
    d = _dims([dim])[0] if dim is not None else next((i for i, s in enumerate(shape) if s != 1), 0) + 1
    with no_labels():
        t = torch.from_numpy(X) if isinstance(X, np.ndarray) else X
        if t.dim() < 2 and not fmt:
            t = t.reshape(shape)
        ax = _axis(fmt, d, t.dim())
        if ax is None:  # a dimension beyond the array: every element is sorted on its own
            return results("sort", n, [X, _like(X, torch.ones(t.shape, dtype=torch.long), fmt)], "sort")
        nan = torch.isnan(t) if t.is_floating_point() else torch.zeros_like(t, dtype=torch.bool)
        key = torch.where(nan, torch.zeros_like(t), t)
        _, order = torch.sort(key, dim=ax, descending=direction == "descend", stable=True)
        # then move the NaN (stable, so the sorted order of the rest stays) to the end or the front
        _, moved = torch.sort(nan.gather(ax, order).to(torch.uint8), dim=ax, descending=placement == "first",
                              stable=True)
        idx = order.gather(ax, moved)
        values = t.gather(ax, idx)
        if isinstance(X, np.ndarray) and X.ndim < 2:  # a 1-D numpy vector comes back 1-D
            values, idx = values.reshape(X.shape), idx.reshape(X.shape)
    return results("sort", n, [_like(X, values, fmt), _like(X, idx + 1, fmt)], "sort")
