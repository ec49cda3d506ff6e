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


def switchcase(value: Any, case: Any) -> bool:
    """Whether a `switch` value matches one `case` as MATLAB decides: text by strcmp (a 1×1 string array is its
    string), numbers by ==, a cell case {a, b} when any element matches."""
    if isinstance(case, list):
        return any(switchcase(value, c) for c in case)
    value = _one(value)
    if isinstance(value, str) or isinstance(case, str):
        return isinstance(value, str) and isinstance(case, str) and value == case
    value, case = _scalar_value(value), _scalar_value(case)
    if isinstance(value, torch.Tensor) or isinstance(case, torch.Tensor):
        return False  # MATLAB: a non-scalar switch value or case never matches a number
    return bool(value == case)


def _one(x: Any) -> Any:
    return x[0] if isinstance(x, list) and len(x) == 1 and isinstance(x[0], str) else x
