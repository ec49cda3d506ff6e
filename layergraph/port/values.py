"""What every runtime module shares: MATLAB's constants (pi, Inf, NaN, eps), newline, and the tests
for numbers and dlarrays."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import DLArray

pi = math.pi
Inf = math.inf
NaN = math.nan
eps = float(np.finfo(np.float64).eps)


def newline() -> str:
    """MATLAB's newline: the line feed character."""
    return "\n"


_NUM = (int, float, bool, np.number)


def _is_dl(x: Any) -> bool:
    return isinstance(x, DLArray)


def _scalar_value(x: Any) -> Any:
    if isinstance(x, (torch.Tensor, np.ndarray)) and x.size == 1 if isinstance(x, np.ndarray) else False:
        return x.reshape(()).item()
    if isinstance(x, torch.Tensor) and x.numel() == 1:
        return x.reshape(()).item()
    return x
