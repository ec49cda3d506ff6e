"""MATLAB's graphics-object calls beyond drawing, for translated programs: `set(h, Name, Value, ...)` on axes
(the scales and limits are applied to the PNG; other properties are accepted and not drawn) and `colororder`
(MATLAB's default seven line colours, or a new order for the current axes)."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np
import torch

from layergraph.port.plots import _gca, _np

__all__ = ["colororder", "set"]

# MATLAB's default axes colour order (its "lines" colours), RGB in 0…1
_DEFAULT_ORDER = [[0, 0.4470, 0.7410], [0.8500, 0.3250, 0.0980], [0.9290, 0.6940, 0.1250],
                  [0.4940, 0.1840, 0.5560], [0.4660, 0.6740, 0.1880], [0.3010, 0.7450, 0.9330],
                  [0.6350, 0.0780, 0.1840]]


def colororder(*args: Any) -> Any:
    """MATLAB's C = colororder (the current colours, 7×3 by default) and colororder(newcolors) (an m×3 RGB
    array, applied to the current axes' next lines)."""
    ax = _gca()
    if not args:
        order = getattr(ax, "_matlab_colororder", _DEFAULT_ORDER)
        return torch.tensor(order, dtype=torch.float64)
    colors = np.asarray(_np(args[-1]), dtype=float)
    if colors.ndim != 2 or colors.shape[1] != 3 or ((colors < 0) | (colors > 1)).any():
        raise ValueError("colororder: the colours must be an m×3 array of RGB values in [0, 1] (colour names are "
                         "not supported here)")
    ax._matlab_colororder = colors.tolist()
    ax.set_prop_cycle(color=[tuple(c) for c in colors])
    return None


def set(*args: Any, **kwargs: Any) -> Any:
    """MATLAB's set(h, Name, Value, ...) on axes: XScale/YScale and XLim/YLim are applied, other properties
    accepted and not drawn. Called with no graphics handle first, it is Python's set."""
    if not args or (not hasattr(args[0], "set_yscale") and not hasattr(args[0], "fig")):
        return builtins.set(*args, **kwargs)
    handle, pairs = args[0], list(args[1:]) + [v for kv in kwargs.items() for v in kv]
    if len(pairs) % 2:
        raise ValueError(f"set: property '{pairs[-1]}' has no value (set(h, Name, Value, ...))")
    ax = handle if hasattr(handle, "set_yscale") else None
    for name, value in zip(pairs[::2], pairs[1::2]):
        key = str(name).lower()
        if ax is not None and key in ("xscale", "yscale"):
            getattr(ax, f"set_{key}")(str(value).lower())
        elif ax is not None and key in ("xlim", "ylim"):
            low, high = (v if np.isfinite(v) else None for v in np.ravel(_np(value)).tolist())
            getattr(ax, f"set_{key}")(low, high)
    return None
