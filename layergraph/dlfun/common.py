"""What MATLAB's deep-learning functions share: name-value options, targets and weights laid out like the input."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from layergraph.data.options import parse_options
from layergraph.dlarray.array import DLArray, expand_labels, label, matlab_shape, plain, wrap
from layergraph.errors import LayergraphError
from layergraph.formats import torch_axis


class DLFunctionError(LayergraphError, ValueError):
    """A deep-learning function got inputs or options it cannot use."""


def options(fname: str, args: Sequence[Any], kwargs: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """MATLAB name-value pairs (`'Stride', 2`) and keywords (`Stride=2`), names case-insensitive."""
    return parse_options(fname, list(args), kwargs, defaults)


def size_str(x: Any) -> str:
    """MATLAB-style size of a (possibly labelled) array, e.g. '4(S)×4(S)×3(C)×2(B)' or '3×4'."""
    fmt = getattr(x, "fmt", "")
    shape = matlab_shape(x)
    if fmt and len(fmt) == len(shape):
        return "×".join(f"{n}({c})" for n, c in zip(shape, fmt))
    return "×".join(map(str, shape))


def like_input(fname: str, what: str, value: Any, ref: DLArray, order: str | None = None) -> torch.Tensor:
    """`value` in ref's torch layout: a dlarray labelled like ref, or unformatted data in ref's MATLAB layout.

    MATLAB applies Y's format (or the DataFormat given for Y, `order`) to unformatted targets, so those are
    read in MATLAB layout (H×W×C×B for SSCB).
    """
    if isinstance(value, DLArray) and value.fmt:
        if value.fmt != ref.fmt:
            raise DLFunctionError(f"{fname}: {what} are labelled '{value.fmt}' but the predictions '{ref.fmt}'")
        t = plain(value)
    else:
        t = plain(value if isinstance(value, torch.Tensor) else np.asarray(value))
        if t.dim() > len(ref.fmt):
            raise DLFunctionError(f"{fname}: {what} have size {size_str(t)} but the predictions {size_str(ref)}")
        t = plain(label(t, order or ref.fmt))
    t = t.to(device=ref.device, dtype=ref.dtype if ref.is_floating_point() else t.dtype)
    if t.shape != ref.shape:
        raise DLFunctionError(f"{fname}: {what} have size {size_str(wrap(t, ref.fmt))} but the predictions "
                              f"{size_str(ref)}; the sizes must match")
    return t


def broadcastable(fname: str, what: str, value: Any, ref: DLArray, fmt_option: str | None = None,
                  order: str | None = None) -> Any:
    """Weights or a mask as a tensor that broadcasts against ref in torch layout (None stays None).

    A formatted dlarray is matched to ref by labels (a "C" vector weights classes, a "B" vector observations).
    Unformatted data take `fmt_option` (MATLAB's WeightsFormat) if given, otherwise ref's format (MATLAB
    layout, or the DataFormat `order` given for an unformatted Y); a vector needs WeightsFormat when ref has
    more than one non-singleton dimension, as in MATLAB.
    """
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        return None
    if not isinstance(value, DLArray) or not value.fmt:
        t = plain(value if isinstance(value, torch.Tensor) else np.asarray(value))
        if t.numel() == 1:
            return t.reshape(()).to(device=ref.device, dtype=ref.dtype)
        ref_shape = matlab_shape(ref)
        if fmt_option:
            value = label(t, fmt_option)
        elif _is_vector(t.shape) and _is_vector(ref_shape):
            value = label(t.reshape(ref_shape), ref.fmt)  # both vectors: weights run along Y's one dimension
        elif _is_vector(t.shape):
            raise DLFunctionError(f"{fname}: {what} is a vector; say which dimension of the {size_str(ref)} "
                                  "input it runs along with WeightsFormat (e.g. 'C' for class weights, 'B' for "
                                  "observation weights) or pass a formatted dlarray")
        elif t.dim() > len(ref.fmt):
            raise DLFunctionError(f"{fname}: {what} of size {size_str(t)} does not fit the predictions "
                                  f"{size_str(ref)}")
        else:
            value = label(t, order or ref.fmt)
    try:
        out = plain(expand_labels(value, ref.fmt) if value.fmt != ref.fmt else value)
    except RuntimeError:
        out = None
    # (torch.broadcast_shapes would do, but its first call imports torch._refs: seconds)
    if out is None or out.dim() != ref.dim() or any(n not in (1, r) for n, r in zip(out.shape, ref.shape)):
        raise DLFunctionError(f"{fname}: {what} of size {size_str(value)} does not fit the predictions "
                              f"{size_str(ref)}")
    return out.to(device=ref.device, dtype=ref.dtype)


def _is_vector(shape: Sequence[int]) -> bool:
    return sum(n != 1 for n in shape) == 1


def observations(x: DLArray) -> int:
    """The number of observations: the size of the 'B' dimension (1 without one)."""
    return x.shape[torch_axis(x.fmt, x.fmt.index("B") + 1)] if "B" in x.fmt else 1


def spatial_dims(fname: str, fmt: str) -> int:
    """How many dimensions are convolved over: the S dimensions, or one T for data without S ("CBT")."""
    n = fmt.count("S") or fmt.count("T")
    if "C" not in fmt or not 1 <= n <= 3 or ("S" in fmt and "T" in fmt) or "U" in fmt:
        raise DLFunctionError(f"{fname}: '{fmt}' data are not supported; use 1 to 3 'S' dimensions (or one 'T') "
                              "with 'C' (and 'B')")
    return n


def batched(x: Any) -> torch.Tensor:
    """x's data as (B, C, spatial…) for torch: formats without S and T ordering issues, B added if absent."""
    t = plain(x)
    return t if "B" in x.fmt else t.unsqueeze(0)


def unbatched(y: torch.Tensor, fmt: str) -> torch.Tensor:
    return y if "B" in fmt else y.squeeze(0)


def per_dim(fname: str, name: str, value: Any, d: int) -> list[int]:
    """A scalar or per-dimension vector option (Stride, DilationFactor)."""
    vals = plain(value).reshape(-1).tolist() if not isinstance(value, (int, float)) else [value]
    if len(vals) == 1:
        vals = vals * d
    if len(vals) != d or any(int(v) != v or v < 1 for v in vals):
        raise DLFunctionError(f"{fname}: {name} must be a positive integer or a vector of {d}; got {value!r}")
    return [int(v) for v in vals]


def two_sided(fname: str, name: str, value: Any, d: int) -> list[tuple[int, int]] | str:
    """Padding/Cropping: 'same', a scalar, a vector (both sides of each dimension) or a 2×d [before; after]."""
    if isinstance(value, str):
        if value.lower() in ("same", "causal"):
            return value.lower()
        raise DLFunctionError(f"{fname}: {name} must be 'same', a nonnegative integer, a vector or a 2-by-{d} "
                              f"matrix; got {value!r}")
    t = plain(value)
    if t.numel() == 1:
        pairs = [(int(t), int(t))] * d
    elif t.dim() == 1 or (t.dim() == 2 and 1 in t.shape and t.numel() == d):
        pairs = [(int(v), int(v)) for v in t.reshape(-1).tolist()]
    elif tuple(t.shape) == (2, d):
        pairs = [(int(t[0, i]), int(t[1, i])) for i in range(d)]
    else:
        pairs = []
    if len(pairs) != d or any(v < 0 for p in pairs for v in p):
        raise DLFunctionError(f"{fname}: {name} must be 'same', a nonnegative integer, a vector of {d} or a "
                              f"2-by-{d} matrix; got {value!r}")
    return pairs


def pad(t: torch.Tensor, pads: list[tuple[int, int]], value: Any) -> torch.Tensor:
    """Pad the spatial dimensions (after B, C) by (before, after) pairs with MATLAB's PaddingValue."""
    if not any(p for pair in pads for p in pair):
        return t
    flat = [p for pair in reversed(pads) for p in pair]  # F.pad wants the last dimension first
    if isinstance(value, str):
        mode = {"replicate": "replicate", "symmetric-exclude-edge": "reflect"}.get(value.lower())
        if mode is None:
            raise DLFunctionError(f"PaddingValue {value!r} is not supported; use a number, 'replicate' or "
                                  "'symmetric-exclude-edge'")
        return F.pad(t, flat, mode=mode)
    return F.pad(t, flat, value=float(value))
