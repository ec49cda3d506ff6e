"""padsequences: sequences of different lengths padded (or truncated) to one length and concatenated, as MATLAB's.

MATLAB's recurrent layers do not mask: the padded time steps run through the recurrence like data. So MATLAB
advises padding on the left for OutputMode 'last' (the real data then ends at the last time step) and on the
right for 'sequence' outputs; the mask says which elements are data, for a loss that should ignore the rest.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.errors import OptionError
from layergraph.namevalue import name_value


def padsequences(X: Any, paddingDim: int, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """MATLAB's `[XPad, mask] = padsequences(X, paddingDim, Length=…, Direction=…, PaddingValue=…,
    UniformOutput=…)`.

    `X` is a list (MATLAB's cell array) of arrays, each a sequence whose time runs along the 1-based dimension
    `paddingDim` (2 for C×T sequences). Length: "longest" (default), "shortest" or a number of time steps
    (longer sequences are truncated); Direction: "right" (default: pad or cut at the end) or "left" (at the
    start); PaddingValue: "auto" (0) or a number. With UniformOutput true (default) the padded sequences are
    concatenated along the dimension after their last (C×T×N for C×T sequences, as MATLAB's "CTB"); false
    returns lists. The mask is true where XPad holds data, false where padding.
    """
    fname = "padsequences"
    opts = {"Length": "longest", "Direction": "right", "PaddingValue": "auto", "UniformOutput": True,
            **name_value(fname, args, kwargs, ("Length", "Direction", "PaddingValue", "UniformOutput"))}
    seqs = list(X) if isinstance(X, (list, tuple)) else None
    if not seqs:
        raise OptionError(f"{fname}: X must be a non-empty list (cell array) of sequences")
    as_torch = all(isinstance(s, torch.Tensor) for s in seqs)
    arrays, axis = _aligned(fname, seqs, paddingDim)
    length = _length(fname, opts["Length"], [a.shape[axis] for a in arrays])
    direction = str(opts["Direction"]).lower()
    if direction not in ("right", "left"):
        raise OptionError(f"{fname}: Direction must be 'right' or 'left', got {opts['Direction']!r}")
    value = opts["PaddingValue"]
    if isinstance(value, str) and value.lower() == "auto":
        value = 0
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise OptionError(f"{fname}: PaddingValue must be 'auto' or a number, got {value!r}")
    dtype = np.result_type(*arrays)
    pairs = [_pad_one(a, axis, length, direction, value, dtype) for a in arrays]
    padded, masks = [p for p, _ in pairs], [m for _, m in pairs]
    ndim = arrays[0].ndim
    if not bool(opts["UniformOutput"]):
        out = [torch.from_numpy(p) for p in padded] if as_torch else padded
        return out, masks
    xpad, mask = np.stack(padded, axis=ndim), np.stack(masks, axis=ndim)
    return (torch.from_numpy(xpad) if as_torch else xpad), mask


def _aligned(fname: str, seqs: list[Any], paddingDim: Any) -> tuple[list[np.ndarray], int]:
    """The sequences as numpy arrays of one number of dimensions, and the 0-based time axis; the other
    dimensions must agree."""
    arrays = [s.detach().cpu().numpy() if isinstance(s, torch.Tensor) else np.asarray(s) for s in seqs]
    if isinstance(paddingDim, bool) or not isinstance(paddingDim, (int, np.integer)) or paddingDim < 1:
        raise OptionError(f"{fname}: paddingDim must be a positive integer (a 1-based dimension), got {paddingDim!r}")
    ndim = max(max(a.ndim for a in arrays), int(paddingDim), 2)  # MATLAB arrays have at least two dimensions
    arrays = [a.reshape(a.shape + (1,) * (ndim - a.ndim)) for a in arrays]
    axis = int(paddingDim) - 1
    others = {a.shape[:axis] + a.shape[axis + 1:] for a in arrays}
    if len(others) > 1:
        raise OptionError(f"{fname}: the sequences must have the same size in every dimension but {paddingDim} "
                          f"(got {sorted(others)})")
    return arrays, axis


def _pad_one(a: np.ndarray, axis: int, length: int, direction: str, value: Any,
             dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """One sequence padded or cut to `length` time steps at its end ("right") or start ("left"), and its mask."""
    n = a.shape[axis]
    keep = np.arange(n - min(n, length), n) if direction == "left" else np.arange(min(n, length))
    data = np.take(a, keep, axis=axis)
    pad_shape = list(a.shape)
    pad_shape[axis] = length - len(keep)
    fill = np.full(pad_shape, value, dtype=dtype)
    ones, zeros = np.ones(data.shape, bool), np.zeros(pad_shape, bool)
    parts = (fill, data) if direction == "left" else (data, fill)
    mparts = (zeros, ones) if direction == "left" else (ones, zeros)
    return np.concatenate(parts, axis), np.concatenate(mparts, axis)


def _length(fname: str, option: Any, lengths: list[int]) -> int:
    if isinstance(option, str):
        if option.lower() == "longest":
            return max(lengths)
        if option.lower() == "shortest":
            return min(lengths)
    elif not isinstance(option, bool) and isinstance(option, (int, np.integer, float)) and option >= 1 and \
            float(option).is_integer():
        return int(option)
    raise OptionError(f"{fname}: Length must be 'longest', 'shortest' or a positive integer, got {option!r}")
