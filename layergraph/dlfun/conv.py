"""MATLAB's dlconv and dltranspconv: 1-, 2- and 3-D (transposed) convolution of formatted dlarrays.

Weights are in MATLAB layout: dlconv filterSize×numChannelsPerGroup×numFiltersPerGroup×numGroups,
dltranspconv filterSize×numFiltersPerGroup×numChannelsPerGroup×numGroups. The 'same' padding and cropping
rules are the layers' (layers/conv.py), applied to each spatial dimension.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from layergraph.dlarray.array import label, labelled, matlab_data, plain, wrap
from layergraph.dlfun.common import (
    DLFunctionError,
    batched,
    options,
    pad,
    per_dim,
    size_str,
    spatial_dims,
    two_sided,
    unbatched,
)
from layergraph.layers.conv import conv_padding, tconv_cropping

__all__ = ["dlconv", "dltranspconv"]


def _weights(fname: str, weights: Any, d: int, fmt_option: str | None) -> torch.Tensor:
    """MATLAB-layout weights padded to d + 3 dimensions (filter…, a, b, groups)."""
    w = matlab_data(label(plain(weights), fmt_option)) if fmt_option else matlab_data(weights)
    if w.dim() > d + 3:
        raise DLFunctionError(f"{fname}: weights of size {size_str(w)} have too many dimensions for {d}-D data")
    return w.reshape(tuple(w.shape) + (1,) * (d + 3 - w.dim()))


def _setup(fname: str, X: Any, weights: Any, opts: dict[str, Any], in_at: int) -> tuple:
    """The input labelled and as (B, C, spatial…), and MATLAB-layout weights (filter…, a, b, groups) whose
    channels per group (a for dlconv, b for dltranspconv: `in_at`) match the input's channels."""
    x, restore = labelled(X, opts["DataFormat"], fname)
    d = spatial_dims(fname, x.fmt)
    t = batched(x)
    w = _weights(fname, weights, d, opts["WeightsFormat"]).to(t.dtype)
    cg, groups = w.shape[d + in_at], w.shape[d + 2]
    if t.shape[1] != cg * groups:
        raise DLFunctionError(f"{fname}: the input has {t.shape[1]} channels but the weights of size "
                              f"{size_str(w)} expect {cg * groups} ({cg} per group × {groups} groups)")
    return x, restore, d, t, w


def _bias(b: Any, n: int, ref: torch.Tensor) -> torch.Tensor | None:
    t = plain(b).to(device=ref.device, dtype=ref.dtype)
    if t.numel() == 1:
        return t.reshape(1).expand(n)
    if t.numel() != n:
        raise DLFunctionError(f"bias has {t.numel()} elements; expected {n} (one per filter) or a scalar")
    return t.reshape(n)


def dlconv(X: Any, weights: Any, bias: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's dlconv(X, weights, bias): convolution over X's spatial dimensions, output labelled like X.

    Options: Stride (1), DilationFactor (1), Padding (0, 'same', per-dimension vector, 2×d [before; after],
    'causal' for 1-D), PaddingValue (0, a number, 'replicate', 'symmetric-exclude-edge'), WeightsFormat,
    DataFormat. Weights filterSize×C/G×F/G×G (G groups; G = 1 may be left out).
    """
    opts = options("dlconv", args, kwargs, {"Stride": 1, "DilationFactor": 1, "Padding": 0, "PaddingValue": 0,
                                            "WeightsFormat": None, "DataFormat": None})
    x, restore, d, t, w = _setup("dlconv", X, weights, opts, 0)
    cg, fg, groups = w.shape[d], w.shape[d + 1], w.shape[d + 2]
    # MATLAB (k…, C/G, F/G, G) → torch (G·F/G, C/G, k…)
    w = w.permute(d + 2, d + 1, d, *range(d)).reshape(groups * fg, cg, *w.shape[:d])
    stride = per_dim("dlconv", "Stride", opts["Stride"], d)
    dil = per_dim("dlconv", "DilationFactor", opts["DilationFactor"], d)
    pads = two_sided("dlconv", "Padding", opts["Padding"], d)
    size = tuple(t.shape[2:])
    if pads == "same":
        pads = [conv_padding((n, n), (k, k), (s, s), (r, r), "same")[:2]
                for n, k, s, r in zip(size, w.shape[2:], stride, dil)]
    elif pads == "causal":
        if d != 1:
            raise DLFunctionError("dlconv: Padding 'causal' is for 1-D convolution")
        pads = [((w.shape[2] - 1) * dil[0], 0)]
    t = pad(t, pads, opts["PaddingValue"])
    conv = (F.conv1d, F.conv2d, F.conv3d)[d - 1]
    y = conv(t, w, _bias(bias, groups * fg, t), stride, 0, dil, groups)
    return restore(wrap(unbatched(y, x.fmt), x.fmt))


def dltranspconv(X: Any, weights: Any, bias: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's dltranspconv(X, weights, bias): transposed convolution, output labelled like X.

    Options: Stride (1), DilationFactor (1), Cropping (0, 'same', per-dimension vector, 2×d [before; after]),
    WeightsFormat, DataFormat. Weights filterSize×F/G×C/G×G. 'same' gives Stride·n outputs, cutting the odd
    element at the end (bottom/right), as transposedConv2dLayer does.
    """
    opts = options("dltranspconv", args, kwargs, {"Stride": 1, "DilationFactor": 1, "Cropping": 0,
                                                  "WeightsFormat": None, "DataFormat": None})
    x, restore, d, t, w = _setup("dltranspconv", X, weights, opts, 1)
    fg, cg, groups = w.shape[d], w.shape[d + 1], w.shape[d + 2]
    # MATLAB (k…, F/G, C/G, G) → torch (G·C/G, F/G, k…)
    kernel = tuple(w.shape[:d])
    w = w.permute(d + 2, d + 1, d, *range(d)).reshape(groups * cg, fg, *kernel)
    stride = per_dim("dltranspconv", "Stride", opts["Stride"], d)
    dil = per_dim("dltranspconv", "DilationFactor", opts["DilationFactor"], d)
    crops = two_sided("dltranspconv", "Cropping", opts["Cropping"], d)
    if crops == "same":
        crops = [tconv_cropping(((k - 1) * r + 1,) * 2, (s, s), "same")[:2]
                 for k, s, r in zip(kernel, stride, dil)]
    elif crops == "causal":
        raise DLFunctionError("dltranspconv: Cropping must be 'same', a number, a vector or a 2-by-d matrix")
    conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[d - 1]
    y = conv(t, w, _bias(bias, groups * fg, t), stride, 0, 0, groups, dil)
    y = _crop(y, crops)
    return restore(wrap(unbatched(y, x.fmt), x.fmt))


def _crop(y: torch.Tensor, crops: list[tuple[int, int]]) -> torch.Tensor:
    """Cut (before, after) from each spatial dimension; a negative amount pads with zeros instead (F < S)."""
    grow = [max(-c, 0) for pair in reversed(crops) for c in pair]
    if any(grow):
        y = F.pad(y, grow)
    for i, (a, b) in enumerate(crops):
        a, b = max(a, 0), max(b, 0)
        if a or b:
            n = y.shape[2 + i]
            if a + b >= n:
                raise DLFunctionError(f"dltranspconv: cropping {a}+{b} removes the whole output of size {n}")
            y = y.narrow(2 + i, a, n - a - b)
    return y
