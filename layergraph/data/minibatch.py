"""One mini-batch of a minibatchqueue: MATLAB's default collation, the MiniBatchFcn's arguments, and each output
cast, labelled with its format (torch layout) and moved to its device."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from layergraph.data.arrays import cat
from layergraph.data.categorical import Categorical
from layergraph.data.options import choice, flag
from layergraph.devices import default_device
from layergraph.dlarray import DLArray, dlarray, wrap
from layergraph.errors import DataError
from layergraph.formats import canonical_format
from layergraph.nargout import nargin

__all__ = ["CASTS", "Output", "collate", "convert", "minibatch_arguments", "output_specs"]

# MATLAB class names → torch dtypes; unsigned types wider than 8 bits go to the next signed type torch supports
CASTS: dict[str, torch.dtype | None] = {
    "single": torch.float32, "double": torch.float64, "half": torch.float16, "logical": torch.bool,
    "int8": torch.int8, "uint8": torch.uint8, "int16": torch.int16, "int32": torch.int32, "int64": torch.int64,
    "uint16": torch.int32, "uint32": torch.int64, "uint64": torch.int64, "": None,
}

@dataclass
class Output:
    """How one output is converted: cast, dimension labels, device."""

    fmt: str
    cast: torch.dtype | None
    as_dlarray: bool
    device: torch.device


def collate(column: list[Any]) -> Any:
    """MATLAB's default mini-batch function: images along dim 4; labels, scalars and 1×N rows (the reads of an
    arrayDatastore over a matrix's rows) along dim 1, so that N×C data with MiniBatchFormat "BC" is B×C."""
    if not column:
        return np.zeros((0, 0))
    first = column[0]
    if isinstance(first, Categorical):
        return cat(1, *column)
    arr = first if isinstance(first, torch.Tensor) else np.asarray(first)
    size = arr.numel() if isinstance(arr, torch.Tensor) else arr.size
    if arr.ndim <= 1 or size == 1 or (arr.ndim == 2 and arr.shape[0] == 1):
        return cat(1, *column)
    return cat(4, *column)


def _torch_order(fmt: str) -> tuple[list[int], str]:
    """The permutation dlarray(x, fmt) applies to MATLAB-layout data, and the stored labels.

    Same rule as layergraph.dlarray (labels sorted into MATLAB's S, C, B, T, U order, then arranged as torch's B, C,
    S…, T, U); done here in numpy because a single-threaded numpy copy stays fast on a busy machine where torch's
    multi-threaded copies slow down badly.
    """
    fmt = fmt.upper()
    canon = canonical_format(fmt)
    to_canon = sorted(range(len(fmt)), key=lambda i: ("SCBTU".index(fmt[i]), i))
    to_torch = sorted(range(len(canon)), key=lambda i: ("BCSTU".index(canon[i]), i))
    return [to_canon[j] for j in to_torch], canon


def _numpy_to_torch_layout(arr: np.ndarray, fmt: str, dtype: np.dtype) -> tuple[torch.Tensor, str]:
    """Reorder MATLAB-layout numpy data to torch layout (one copy, cast on the way) and label it."""
    if arr.ndim > len(fmt):
        raise ValueError(f"dlarray: data has {arr.ndim} dimensions but format '{fmt}' labels {len(fmt)}")
    while arr.ndim < len(fmt):  # MATLAB drops trailing singleton dimensions
        arr = arr[..., None]
    perm, canon = _torch_order(fmt)
    out = np.empty([arr.shape[p] for p in perm], dtype=dtype)
    np.copyto(out, arr.transpose(perm), casting="unsafe")
    return torch.from_numpy(out), canon


def _to_torch_layout(t: torch.Tensor, fmt: str) -> torch.Tensor:
    """MATLAB-layout tensor → torch layout labelled `fmt`, keeping the dtype (dlarray() makes double single)."""
    if t.dtype == torch.float64:
        # permute the same bytes as int64, then look at them as double again
        labelled = dlarray(t.view(torch.int64), fmt)
        return wrap(labelled.as_subclass(torch.Tensor).view(torch.float64), labelled.fmt)
    return dlarray(t, fmt)


def convert(x: Any, out: Output) -> torch.Tensor:
    """Cast, label and move one output of a mini-batch (data from a mini-batch function is in MATLAB layout)."""
    fmt = ""
    cuda = out.device.type == "cuda"
    if isinstance(x, DLArray):
        fmt, t = x.fmt, x.as_subclass(torch.Tensor)  # already labelled by the mini-batch function
    elif isinstance(x, torch.Tensor):
        t = x
        if out.as_dlarray and out.fmt:
            labelled = _to_torch_layout(t, out.fmt)
            fmt, t = labelled.fmt, labelled.as_subclass(torch.Tensor)
    else:
        arr = np.asarray(x)  # categoricals become their category indices, as MATLAB's minibatchqueue does
        dtype = arr.dtype
        if out.cast is not None and not (cuda and arr.dtype.kind in "biu" and out.cast.is_floating_point):
            dtype = torch.empty(0, dtype=out.cast).numpy().dtype  # cast during the copy below
        # (integer images bound for a GPU travel as bytes and are cast there: a quarter of float32's transfer)
        if out.as_dlarray and out.fmt:
            t, fmt = _numpy_to_torch_layout(arr, out.fmt, dtype)
        else:
            t = torch.from_numpy(np.array(arr, dtype=dtype, order="K"))
    if cuda and t.device.type == "cpu":
        t = t.pin_memory()  # page-locked memory lets the copy to the GPU run asynchronously
    t = t.to(out.device, non_blocking=cuda)
    if out.cast is not None and t.dtype != out.cast:
        t = t.to(out.cast)
    return wrap(t, fmt) if out.as_dlarray else t


def minibatch_arguments(fcn: Callable[..., Any], cols: list[Any]) -> list[Any]:
    """The datastore's columns a MiniBatchFcn takes: MATLAB passes the first nargin(fcn) of them, so a function of
    the predictors alone works on a datastore that also reads responses."""
    n = nargin(fcn)
    if n is None or n >= len(cols):
        if n is not None and n > len(cols):
            raise DataError(f"minibatchqueue: MiniBatchFcn takes {n} inputs but the datastore reads {len(cols)} "
                            "variable(s)")
        return cols
    return cols[:n]


def output_specs(func: str, formats: list[Any], casts: list[Any], envs: list[Any], as_dl: list[Any]) -> list[Output]:
    """How each output is delivered (format, type, dlarray or not, device), the options checked."""
    outputs = []
    for fmt, cast_name, env, dl in zip(formats, casts, envs, as_dl):
        cast_name = choice(func, "OutputCast", cast_name, tuple(CASTS))
        env = choice(func, "OutputEnvironment", env, ("auto", "cpu", "gpu"))
        outputs.append(Output(str(fmt).upper(), CASTS[cast_name], flag(func, "OutputAsDlarray", dl),
                               default_device(env)))
    return outputs
