"""trainnet's loss functions and metrics: MATLAB's lossFcn names with their normalizations; the built-in metrics
(accuracy, RMSE, F-score, …) are in metrics.py."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from layergraph.dlarray import DLArray, wrap
from layergraph.dlfun.losses import crossentropy, huber, l1loss, l2loss, mse
from layergraph.errors import OptionError
from layergraph.formats import torch_perm
from layergraph.train.metrics import NAMES, BuiltinMetric, builtin_metric

__all__ = ["column_title", "loss_function", "metric", "metric_name"]

# MATLAB's lossFcn names → the loss and how targets are encoded
_LOSS_NAMES = {
    "crossentropy": "crossentropy", "index-crossentropy": "index-crossentropy",
    "binary-crossentropy": "binary-crossentropy", "mse": "mse", "mean-squared-error": "mse", "l2loss": "mse",
    "mae": "mae", "mean-absolute-error": "mae", "l1loss": "mae", "huber": "huber",
}



def _non_channel(y: torch.Tensor) -> int:
    """How many elements of the output are not along the channel axis (torch axis 1): B, B·T, H·W·B, …."""
    return y.numel() // y.shape[1] if y.dim() > 1 else y.numel()


def _regression_layer(Y: DLArray, t: torch.Tensor) -> torch.Tensor:
    """trainNetwork's regressionLayer: ½Σ(t − y)² per observation (not ÷R), averaged over the observations; for
    sequence-to-sequence regression also ÷S, the sequence length (its documented "for each time step")."""
    loss = mse(Y, wrap(t, Y.fmt))
    if "T" not in Y.fmt:
        return loss
    torch_order = "".join(Y.fmt[i] for i in torch_perm(Y.fmt))  # "CBT" is held B×C×T
    return loss / Y.shape[torch_order.index("T")]


def _index_crossentropy(Y: DLArray, t: torch.Tensor) -> torch.Tensor:
    """−Σ log Y[target class] / (number of non-channel elements); targets are class numbers from 0."""
    y = Y.as_subclass(torch.Tensor).float()
    picked = y.gather(1, t.long().unsqueeze(1))
    return -torch.log(picked.clamp_min(torch.finfo(y.dtype).eps)).sum() / _non_channel(y)


def loss_function(lossFcn: Any) -> tuple[Callable[[DLArray, torch.Tensor], torch.Tensor], str]:
    """The loss to minimise and how targets are encoded ('onehot', 'index' or 'numeric').

    Normalization as trainnet documents it: "crossentropy" divides by the number of non-channel elements of the
    output (the batch size for "CB" output), the others by the number of elements. The legacy output layers
    ("classification-layer", "regression-layer") keep trainNetwork's: Σ/N and half the squared error over N.
    """
    if callable(lossFcn):
        return (lambda Y, t: lossFcn(Y, wrap(t, Y.fmt))), "onehot-or-numeric"
    name = _LOSS_NAMES.get(str(lossFcn).lower()) if isinstance(lossFcn, str) else None
    legacy = {"classification-layer", "regression-layer"}
    if name is None and str(lossFcn).lower() in legacy:
        name = str(lossFcn).lower()
    if name is None:
        raise OptionError(f"trainnet: unknown loss function {lossFcn!r}; use one of "
                          f"{', '.join(repr(n) for n in _LOSS_NAMES)} or a function handle")
    if name == "crossentropy":
        return (lambda Y, t: crossentropy(Y, wrap(t, Y.fmt), NormalizationFactor="all-elements")
                * Y.shape[1]), "onehot"
    if name == "index-crossentropy":
        return _index_crossentropy, "index"
    if name == "binary-crossentropy":
        return (lambda Y, t: crossentropy(Y, wrap(t, Y.fmt), ClassificationMode="multilabel",
                                          NormalizationFactor="all-elements")), "numeric"
    if name == "classification-layer":
        return (lambda Y, t: crossentropy(Y, wrap(t, Y.fmt))), "onehot"
    if name == "regression-layer":
        return _regression_layer, "numeric"
    fn = {"mse": l2loss, "mae": l1loss, "huber": huber}[name]
    return (lambda Y, t: fn(Y, wrap(t, Y.fmt), NormalizationFactor="all-elements")), "numeric"


def metric(name: Any, Y: torch.Tensor, t: torch.Tensor, index_targets: bool) -> torch.Tensor:
    """A training/validation metric of one mini-batch: a built-in one (a Metrics name or metric object, such as
    accuracy in percent or the root mean squared error over all elements) or a function f(Y, T)."""
    if callable(name):
        return name(Y, t)
    m = name if isinstance(name, BuiltinMetric) else builtin_metric(name)
    return torch.tensor(m.of(Y, t, index_targets))


def metric_name(m: Any) -> str:
    """A metric's column name, as MATLAB's history tables write it (Accuracy, RMSE, FScore, …)."""
    if isinstance(m, BuiltinMetric):
        return m.Name
    if not isinstance(m, str):
        return getattr(m, "__name__", "metric")
    return NAMES.get(m, m)


def column_title(name: str) -> str:
    """A history name as a table column ends: first letter upper case (loss → Loss)."""
    return name[:1].upper() + name[1:]


