"""MATLAB's fullyconnect: weights times every observation's S, C and U values flattened column-major."""
from __future__ import annotations

from typing import Any

import torch.nn.functional as F

from layergraph.dlarray.array import labelled, matlab_data, plain, wrap
from layergraph.dlarray.functions import column_major
from layergraph.dlfun.common import DLFunctionError, options, size_str
from layergraph.formats import torch_axis

__all__ = ["fullyconnect"]


def fullyconnect(X: Any, weights: Any, bias: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's fullyconnect(X, weights, bias): Y = W·x + b for each observation (and time step).

    x holds an observation's S, C and U values in MATLAB's column-major order (height fastest, then width,
    then channel), as fullyConnectedLayer flattens them; weights are outputSize×inputSize (or
    outputSize×H×W×C). The output is "CB" ("CBT" when X has a T dimension). Options: DataFormat.
    """
    opts = options("fullyconnect", args, kwargs, {"DataFormat": None})
    x, restore = labelled(X, opts["DataFormat"], "fullyconnect")
    fmt, t = x.fmt, plain(x)
    lead = [torch_axis(fmt, i + 1) for i, c in enumerate(fmt) if c in "BT"]  # B before T, as torch stores them
    rest = [torch_axis(fmt, i + 1) for i, c in enumerate(fmt) if c not in "BT"]
    # row-major flattening of the reversed MATLAB order is MATLAB's column-major flattening
    flat = t.permute(lead + rest[::-1]).reshape(*(t.shape[a] for a in lead), -1)
    w = matlab_data(weights).to(device=t.device, dtype=t.dtype)
    w = column_major(w, [w.shape[0], -1]) if w.dim() > 2 else w.reshape(w.shape[0], -1)
    if w.shape[1] != flat.shape[-1]:
        raise DLFunctionError(f"fullyconnect: weights of size {size_str(weights)} need {w.shape[1]} input values "
                              f"per observation, but the {size_str(x)} input has {flat.shape[-1]}")
    b = plain(bias).to(device=t.device, dtype=t.dtype).reshape(-1)
    if b.numel() not in (1, w.shape[0]):
        raise DLFunctionError(f"fullyconnect: bias has {b.numel()} elements; expected {w.shape[0]} (outputSize)")
    y = F.linear(flat, w, b.expand(w.shape[0]))
    out = "C" + "".join(c for c in "BT" if c in fmt)
    if "T" in fmt:  # (B, T, C) → torch layout of "CBT" (B, C, T); without B: (T, C) → (C, T)
        y = y.transpose(-1, -2)
    return restore(wrap(y, out))
