"""MATLAB's embed function: numeric indices (1-based) to the matching columns of an embedding matrix."""
from __future__ import annotations

from typing import Any

from layergraph.dlarray.array import labelled, matlab_data, plain, wrap
from layergraph.dlfun.common import DLFunctionError, options, size_str
from layergraph.formats import canonical_format, torch_axis
from layergraph.layers.dense import lookup
from layergraph.namevalue import matlab_keywords

__all__ = ["embed"]


@matlab_keywords
def embed(X: Any, weights: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's `Y = embed(X, weights)`: column X(i) of weights (embeddingDimension×numWords) for each index.

    X holds the indices in a singleton 'C' dimension (or none); Y has X's format with 'C' as long as the
    embedding dimension (e.g. 1(C)×N(B)×T(T) → D(C)×N(B)×T(T)). The lookup is embeddingLayer's. Options: DataFormat.
    """
    opts = options("embed", args, kwargs, {"DataFormat": None})
    x, restore = labelled(X, opts["DataFormat"], "embed")
    t = plain(x)
    if "C" in x.fmt:
        axis = torch_axis(x.fmt, x.fmt.index("C") + 1)
        if t.shape[axis] != 1:
            raise DLFunctionError(f"embed: the input ({size_str(x)}) must hold one index per position: its 'C' "
                                  "dimension must have size 1")
        t = t.squeeze(axis)
    W = matlab_data(weights)
    if W.dim() != 2:
        raise DLFunctionError(f"embed: weights has size {size_str(weights)}; expected an "
                              "embeddingDimension-by-numWords matrix")
    if t.numel() and (bool((t != t.round()).any()) or int(t.min()) < 1 or int(t.max()) > W.shape[1]):
        raise DLFunctionError(f"embed: the indices must be whole numbers from 1 to {W.shape[1]} (the columns of "
                              f"weights); got values from {t.min().item():g} to {t.max().item():g}")
    fmt = canonical_format(x.fmt if "C" in x.fmt else x.fmt + "C")
    y = lookup(t, W.t()).movedim(-1, torch_axis(fmt, fmt.index("C") + 1))
    return restore(wrap(y, fmt))
