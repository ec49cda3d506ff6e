"""MATLAB's onehotencode and onehotdecode between categorical labels and one-hot (or score) arrays."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from layergraph.data.categorical import Categorical
from layergraph.dlarray.array import matlab_data
from layergraph.dlfun.common import DLFunctionError, options
from layergraph.namevalue import matlab_keywords

__all__ = ["onehotdecode", "onehotencode"]

_TYPES = {"single": np.float32, "double": np.float64, "logical": np.bool_, "int8": np.int8, "uint8": np.uint8,
          "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "uint32": np.uint32, "int64": np.int64,
          "uint64": np.uint64}


def _matlab_shape(a: np.ndarray) -> tuple[int, ...]:
    """Python 1-D label lists are MATLAB column vectors (imds.Labels is N×1)."""
    return (a.shape[0], 1) if a.ndim == 1 else (1, 1) if a.ndim == 0 else a.shape


def onehotencode(A: Any, featureDim: int, *args: Any, **kwargs: Any) -> np.ndarray:
    """MATLAB's onehotencode(A, featureDim[, typename], ClassNames=...): a 1 at each label's class along the
    singleton dimension `featureDim` (which grows to the number of classes); <undefined> gives NaN.

    A is a categorical (classes: its categories) or labels with ClassNames; typename defaults to 'single'.
    """
    rest, typename = list(args), "single"
    if rest and isinstance(rest[0], str) and rest[0].lower() in _TYPES:
        typename = rest.pop(0)
    opts = options("onehotencode", rest, kwargs, {"ClassNames": None})
    if isinstance(A, Categorical):
        classes = list(A.categories) if opts["ClassNames"] is None else [str(c) for c in opts["ClassNames"]]
        lookup = {c: i + 1 for i, c in enumerate(classes)}
        names = np.asarray(A.tolist(), dtype=object)
        codes = np.vectorize(lambda n: lookup.get(n, 0), otypes=[np.int64])(names) if names.size else \
            np.zeros(names.shape, np.int64)
    elif opts["ClassNames"] is not None:
        classes = list(opts["ClassNames"])
        values = np.asarray(A)
        codes = np.zeros(values.shape, np.int64)
        for i, c in enumerate(classes):
            codes[values == c] = i + 1
    else:
        raise DLFunctionError("onehotencode: labels that are not categorical need ClassNames")
    shape = list(_matlab_shape(codes))
    d = int(featureDim)
    if d < 1 or (d <= len(shape) and shape[d - 1] != 1):
        raise DLFunctionError(f"onehotencode: featureDim {featureDim} must be a singleton dimension of the "
                              f"{'×'.join(map(str, shape))} labels (or beyond their last dimension)")
    shape += [1] * (d - len(shape))
    codes = codes.reshape(shape)
    onehot = _encode(codes, len(classes), d - 1)
    dtype = _TYPES[typename.lower()]
    if np.any(codes == 0):
        if not np.issubdtype(dtype, np.floating):
            raise DLFunctionError(f"onehotencode: <undefined> labels need a floating-point typename, not "
                                  f"'{typename}'")
        onehot[np.broadcast_to(codes == 0, onehot.shape)] = np.nan
    return onehot.astype(dtype)


def _encode(codes: np.ndarray, k: int, axis: int) -> np.ndarray:
    """One-hot along `axis` (where codes have size 1): element c−1 is 1 for code c."""
    classes = np.arange(1, k + 1).reshape([k if i == axis else 1 for i in range(codes.ndim)])
    return (codes == classes).astype(np.float64)


@matlab_keywords
def onehotdecode(B: Any, classes: Sequence[Any], featureDim: int, typename: str = "categorical") -> Any:
    """MATLAB's onehotdecode(B, classes, featureDim[, typename]): the class of the largest value along
    `featureDim` (the first one on ties), as a categorical with categories `classes` in the order given.

    B may be a numpy array, a tensor or a dlarray (a formatted one is read in MATLAB layout: featureDim 1 of
    "CB" scores is C). typename 'string' gives the class names, a numeric type the classes as numbers.
    """
    data = matlab_data(B).detach().cpu() if isinstance(B, torch.Tensor) else torch.as_tensor(np.asarray(B))
    shape = list(_matlab_shape(data.numpy()))
    d = int(featureDim)
    if not 1 <= d <= len(shape) or shape[d - 1] != len(classes):
        raise DLFunctionError(f"onehotdecode: dimension {featureDim} of the {'×'.join(map(str, shape))} input must "
                              f"have one value per class ({len(classes)})")
    idx = data.reshape(shape).argmax(d - 1, keepdim=True).numpy()
    names = list(classes.categories) if isinstance(classes, Categorical) else list(classes)
    kind = typename.lower()
    if kind == "categorical":
        return Categorical(categories=[str(c) for c in names], codes=idx + 1)
    picked = np.asarray(names, dtype=object)[idx]
    if kind in ("string", "char", "cellstr", "cell"):
        return picked.astype(str)
    if kind in _TYPES:
        return picked.astype(_TYPES[kind])
    raise DLFunctionError(f"onehotdecode: unknown typename {typename!r}")
