"""MATLAB's `table(var1, var2, ...)` for the tables custom datastores return, and the image-window helpers
`randomCropWindow2d` / `imcrop` that such datastores use."""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from layergraph.data.categorical import Categorical
from layergraph.data.cells import BatchTable
from layergraph.errors import DataError
from layergraph.namevalue import matlab_keywords

__all__ = ["Rectangle", "imcrop", "randomCropWindow2d", "table"]


@matlab_keywords
def table(*variables: Sequence[Any], VariableNames: Sequence[str] | None = None) -> BatchTable:
    """table(X, Y, VariableNames=["X", "Y"]): columns of equal height (lists are cell columns; a matrix, numeric
    or categorical, is one variable whose row i belongs to row i of the table, and `T.X` gives it back whole).

    MATLAB names each variable after the workspace variable passed in; Python cannot see those names, so pass
    VariableNames (without it the names are MATLAB's defaults for unnamed inputs, Var1, Var2, ...).
    """
    names = list(VariableNames) if VariableNames is not None else [f"Var{i + 1}" for i in range(len(variables))]
    if len(names) != len(variables):
        raise DataError(f"table: {len(variables)} variables but {len(names)} VariableNames")
    if len(set(names)) != len(names):
        raise DataError(f"table: VariableNames must be unique, got {names}")
    heights = {len(v) for v in variables}
    if len(heights) > 1:
        raise DataError(f"table: all variables must have the same number of rows, got {sorted(heights)}")
    return BatchTable({n: v if _matrix(v) else list(v) for n, v in zip(names, variables, strict=True)})


def _matrix(v: Any) -> bool:
    """A numeric or categorical array of two or more dimensions: a matrix-valued table variable."""
    return isinstance(v, np.ndarray | torch.Tensor | Categorical) and len(v.shape) >= 2


@dataclass(frozen=True)
class Rectangle:
    """images.spatialref.Rectangle: XLimits/YLimits are 1-based, inclusive pixel ranges [first last]."""

    XLimits: tuple[int, int]
    YLimits: tuple[int, int]


def randomCropWindow2d(inputSize: Sequence[int], targetSize: Sequence[int]) -> Rectangle:
    """A random targetSize(1)×targetSize(2) window inside an inputSize(1)×inputSize(2) image (Python's random)."""
    (h, w), (th, tw) = (int(inputSize[0]), int(inputSize[1])), (int(targetSize[0]), int(targetSize[1]))
    if th > h or tw > w:
        raise DataError(f"randomCropWindow2d: the target size {th}×{tw} is larger than the input size {h}×{w}")
    y0, x0 = random.randint(1, h - th + 1), random.randint(1, w - tw + 1)
    return Rectangle((x0, x0 + tw - 1), (y0, y0 + th - 1))


def imcrop(img: np.ndarray, rect: Rectangle) -> np.ndarray:
    """imcrop(I, rect) with a Rectangle window: I(YLimits(1):YLimits(2), XLimits(1):XLimits(2), :)."""
    if not isinstance(rect, Rectangle):
        raise DataError("imcrop: only a Rectangle window (from randomCropWindow2d) is supported; "
                        "for [xmin ymin width height] index the array directly")
    (x0, x1), (y0, y1) = rect.XLimits, rect.YLimits
    return img[y0 - 1:y1, x0 - 1:x1, ...]
