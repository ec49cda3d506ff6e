"""MATLAB's elementwise functions for dlarrays: the labels survive, as in MATLAB.

On torch tensors they are the torch functions (a formatted dlarray keeps its format through them); numpy
arrays and numbers get numpy's; `abs` hands anything else to Python's built-in.
"""
from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from layergraph.dlarray.array import labelled
from layergraph.errors import OptionError
from layergraph.formats import torch_axis
from layergraph.namevalue import matlab_keywords, name_value


def _elementwise(name: str, on_tensor: Callable[[torch.Tensor], Any], on_numpy: Callable[[Any], Any],
                 doc: str) -> Callable[[Any], Any]:
    def fn(X: Any) -> Any:
        return on_tensor(X) if isinstance(X, torch.Tensor) else on_numpy(X)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


exp = _elementwise("exp", torch.exp, np.exp, "MATLAB's exp, elementwise; keeps dlarray labels.")
log = _elementwise("log", torch.log, np.log, "MATLAB's log (natural), elementwise; keeps dlarray labels.")
sqrt = _elementwise("sqrt", torch.sqrt, np.sqrt, "MATLAB's sqrt, elementwise; keeps dlarray labels.")
tanh = _elementwise("tanh", torch.tanh, np.tanh, "MATLAB's tanh, elementwise; keeps dlarray labels.")
cos = _elementwise("cos", torch.cos, np.cos, "MATLAB's cos (radians), elementwise; keeps dlarray labels.")
sin = _elementwise("sin", torch.sin, np.sin, "MATLAB's sin (radians), elementwise; keeps dlarray labels.")
relu = _elementwise("relu", torch.relu, lambda x: np.maximum(x, 0),
                    "MATLAB's relu: max(X, 0) elementwise; keeps dlarray labels.")
sigmoid = _elementwise("sigmoid", torch.sigmoid, lambda x: 1 / (1 + np.exp(-np.asarray(x))),
                       "MATLAB's sigmoid 1/(1+exp(-X)), elementwise; keeps dlarray labels.")


def abs(X: Any) -> Any:
    """MATLAB's abs, elementwise; keeps dlarray labels. Numbers and other objects use Python's abs."""
    if isinstance(X, torch.Tensor):
        return torch.abs(X)
    return np.abs(X) if isinstance(X, np.ndarray) else builtins.abs(X)


@matlab_keywords
def leakyrelu(X: Any, scaleFactor: float = 0.01) -> Any:
    """MATLAB's leakyrelu(X, scaleFactor): X where X > 0, scaleFactor·X elsewhere (default 0.01)."""
    if isinstance(X, torch.Tensor):
        return F.leaky_relu(X, scaleFactor)
    x = np.asarray(X)
    return np.where(x > 0, x, scaleFactor * x)


@matlab_keywords
def gelu(X: Any, *args: Any, Approximation: str = "none") -> Any:
    """MATLAB's gelu: X·Φ(X) with Φ the standard normal CDF (Approximation "none", via erf) or its tanh form
    0.5·X·(1 + tanh(√(2/π)·(X + 0.044715·X³))) (Approximation "tanh"); keeps dlarray labels, as geluLayer."""
    if args:  # gelu(X, "Approximation", "tanh")
        Approximation = name_value("gelu", args, {}, ["Approximation"])["Approximation"]
    how = Approximation.lower() if isinstance(Approximation, str) else Approximation
    if how not in ("none", "tanh"):
        raise OptionError(f"gelu: Approximation must be 'none' or 'tanh'; got {Approximation!r}")
    return F.gelu(X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X)), approximate=how)


@matlab_keywords
def softmax(X: Any, DataFormat: str | None = None) -> Any:
    """MATLAB's softmax: exp(X) normalised over the channel (C) dimension, for each position and observation.

    Unformatted data need `DataFormat` (e.g. softmax(X, DataFormat="CB")) and come back unformatted.
    """
    x, restore = labelled(X, DataFormat, "softmax")
    if "C" not in x.fmt:
        raise ValueError(f"softmax: the input ('{x.fmt}') has no channel dimension 'C' to normalise over")
    return restore(F.softmax(x, dim=torch_axis(x.fmt, x.fmt.index("C") + 1)))
