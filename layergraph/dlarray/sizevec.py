"""MATLAB size vectors as MATLAB code writes them: `[a b c]`, a 1×N row, an N×1 column, numpy integers."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch


def size_vector(func: str, value: Any) -> list[Any]:
    """The entries of a size vector (1×N, N×1, 1-D, list or tuple of numbers); a matrix is an error.

    Entries stay as given except that numbers become ints ([] entries, for reshape's computed size, pass
    through).
    """
    if isinstance(value, (torch.Tensor, np.ndarray)):
        shape = tuple(value.shape)
        if sum(n != 1 for n in shape) > 1:
            raise ValueError(f"{func}: a size vector must be a row or column vector; got a "
                             f"{'×'.join(map(str, shape))} array")
        value = value.reshape(-1).tolist()
    out = []
    for v in value:
        count = v.numel() if isinstance(v, torch.Tensor) else v.size if isinstance(v, (np.ndarray, np.generic)) else 0
        if count == 1:
            v = v.item()
        if isinstance(v, numbers.Number) and not isinstance(v, bool):
            if v != int(v):
                raise ValueError(f"{func}: size entries must be integers; got {v!r}")
            v = int(v)
        out.append(v)
    return out


def is_vector_like(value: Any) -> bool:
    """True for what MATLAB code passes as a vector: a list, tuple, torch.Size, numpy array or tensor with
    more than zero dimensions."""
    if isinstance(value, (list, tuple)):
        return True
    return isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim > 0
