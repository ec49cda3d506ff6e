"""MATLAB's avgpool and maxpool over the spatial dimensions of formatted dlarrays (1-, 2- or 3-D)."""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from layergraph.dlarray.array import labelled, plain, wrap
from layergraph.dlfun.common import (
    DLFunctionError,
    batched,
    options,
    pad,
    per_dim,
    spatial_dims,
    two_sided,
    unbatched,
)
from layergraph.layers.conv import conv_padding

__all__ = ["avgpool", "maxpool"]


def _windows(fname: str, X: Any, poolsize: Any, opts: dict[str, Any]) -> tuple:
    """The labelled input as (B, C, spatial…), and pool size, stride and (before, after) padding per spatial
    dimension ('same': the layers' rule)."""
    x, restore = labelled(X, opts["DataFormat"], fname)
    d = spatial_dims(fname, x.fmt)
    t = batched(x)
    k = per_dim(fname, "poolsize", poolsize, d)
    s = per_dim(fname, "Stride", opts["Stride"], d)
    pads = two_sided(fname, "Padding", opts["Padding"], d)
    if pads == "causal":
        raise DLFunctionError(f"{fname}: Padding must be 'same', a number, a vector or a 2-by-d matrix")
    if pads == "same":
        pads = [conv_padding((n, n), (kk, kk), (ss, ss), (1, 1), "same")[:2]
                for n, kk, ss in zip(t.shape[2:], k, s)]
    return x, restore, d, t, k, s, pads


def _global(fname: str, X: Any, opts: dict[str, Any], reduce: Any) -> Any:
    x, restore = labelled(X, opts["DataFormat"], fname)
    d = spatial_dims(fname, x.fmt)
    t = batched(x)
    return restore(wrap(unbatched(reduce(t, list(range(2, 2 + d))), x.fmt), x.fmt))


def avgpool(X: Any, poolsize: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's avgpool(X, poolsize) or avgpool(X, 'global'): mean over each window of the S dimensions.

    Options: Stride (1), Padding (0, 'same', vector, 2×d), PaddingValue (0: padded zeros count in the mean,
    as in MATLAB; 'mean': only the input counts), DataFormat.
    """
    opts = options("avgpool", args, kwargs, {"Stride": 1, "Padding": 0, "PaddingValue": 0, "DataFormat": None})
    if isinstance(poolsize, str) and poolsize.lower() == "global":
        return _global("avgpool", X, opts, lambda t, dims: t.mean(dims, keepdim=True))
    x, restore, d, t, k, s, pads = _windows("avgpool", X, poolsize, opts)
    pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[d - 1]
    value = opts["PaddingValue"]
    if isinstance(value, str) and value.lower() == "mean":
        ones = torch.ones_like(t[:1, :1])
        y = pool(pad(t, pads, 0), k, s) / pool(pad(ones, pads, 0), k, s)
    else:
        y = pool(pad(t, pads, value), k, s)
    return restore(wrap(unbatched(y, x.fmt), x.fmt))


def maxpool(X: Any, poolsize: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's maxpool(X, poolsize) or maxpool(X, 'global'): maximum over each window of the S dimensions.

    Options: Stride (1), Padding (0, 'same', vector, 2×d; padding never wins the maximum), DataFormat.
    MATLAB's `[Y, indx, inputSize] = maxpool(...)` (for maxunpool) is not provided.
    """
    opts = options("maxpool", args, kwargs, {"Stride": 1, "Padding": 0, "DataFormat": None})
    if isinstance(poolsize, str) and poolsize.lower() == "global":
        return _global("maxpool", X, opts, lambda t, dims: t.amax(dims, keepdim=True))
    x, restore, d, t, k, s, pads = _windows("maxpool", X, poolsize, opts)
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[d - 1]
    y = pool(pad(plain(t), pads, float("-inf")), k, s)
    return restore(wrap(unbatched(y, x.fmt), x.fmt))
