"""MATLAB's loss functions for dlarrays: mse, crossentropy, l1loss, l2loss, huber, with MATLAB's options.

Every loss computes elementwise values, applies Weights and Mask, then (Reduction "sum", the default) sums
them and divides by NormalizationFactor: "batch-size" (the number of observations, size of 'B'; the
default), "all-elements" (numel of Y), "mask-included" (each observation by its count of included
elements) or "none". The result is an unformatted scalar; Reduction "none" returns the weighted elementwise
values labelled like Y. Unformatted targets take Y's format: give them in MATLAB layout, as MATLAB does.
"""
from __future__ import annotations

from typing import Any

import torch

from layergraph.data.options import choice
from layergraph.dlarray.array import adopt, labelled, no_labels
from layergraph.dlfun.common import DLFunctionError, broadcastable, like_input, observations, options

__all__ = ["crossentropy", "huber", "l1loss", "l2loss", "mse"]

_LOW_PRECISION = (torch.bfloat16, torch.float16)
_NORMALIZATION = ("batch-size", "all-elements", "mask-included", "none")


def _split(args: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    """MATLAB's optional positional `weights` before the name-value pairs."""
    if args and not isinstance(args[0], str):
        return args[0], args[1:]
    return None, args


def _reduce(fname: str, values: torch.Tensor, y: Any, opts: dict[str, Any], weights: Any,
            restore: Any) -> Any:
    """Weights, mask, reduction and normalization as MATLAB's loss functions define them."""
    order = opts.get("DataFormat")
    w = broadcastable(fname, "weights", weights, y, opts.get("WeightsFormat"), order)
    mask = broadcastable(fname, "Mask", opts.get("Mask"), y, order=order)
    reduction = choice(fname, "Reduction", opts.get("Reduction", "sum"), ("sum", "none"))
    norm = choice(fname, "NormalizationFactor", opts.get("NormalizationFactor", "batch-size"), _NORMALIZATION)
    if norm == "mask-included" and mask is None:
        raise DLFunctionError(f"{fname}: NormalizationFactor 'mask-included' needs a Mask")
    with no_labels():
        if w is not None:
            values = values * w
        if mask is not None:
            values = values * mask
        if reduction == "none":
            return restore(adopt(values, y.fmt))
        if norm == "batch-size":
            return values.sum() / observations(y)
        if norm == "all-elements":
            return values.sum() / y.numel()
        if norm == "none":
            return values.sum()
        # each observation's loss is divided by the number of its elements the mask includes
        axes = [a for a in range(y.dim()) if "B" not in y.fmt or a != 0]
        included = mask.expand(y.shape).sum(axes) if axes else mask.expand(y.shape)
        per_obs = values.sum(axes) if axes else values
        return (per_obs / included.clamp_min(1)).sum()


def _inputs(fname: str, Y: Any, targets: Any, opts: dict[str, Any]) -> tuple[Any, torch.Tensor, Any]:
    y, restore = labelled(Y, opts.get("DataFormat"), fname)
    if y.dtype in _LOW_PRECISION:  # network outputs under mixed precision: the loss itself in float32
        y = y.float()
    return y, like_input(fname, "targets", targets, y, opts.get("DataFormat")), restore


def mse(Y: Any, targets: Any, *args: Any, **kwargs: Any) -> torch.Tensor:
    """MATLAB's mse: half mean squared error, sum((Y - T).^2) / (2N), N the number of observations.

    Options: DataFormat (for unformatted Y). Not the mean over all elements (that is Keras' "mse").
    """
    opts = options("mse", args, kwargs, {"DataFormat": None})
    y, t, _ = _inputs("mse", Y, targets, opts)
    with no_labels():
        return (y - t).square().sum() / (2 * observations(y))


def l2loss(Y: Any, targets: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's l2loss(Y, targets[, weights]): sum of (Y - T).^2, normalized (batch-size: the mean squared
    error per observation). Options: Mask, Reduction, NormalizationFactor, DataFormat, WeightsFormat."""
    return _pointwise("l2loss", Y, targets, args, kwargs, lambda d, _: d.square())


def l1loss(Y: Any, targets: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's l1loss(Y, targets[, weights]): sum of |Y - T|, normalized (batch-size: the mean absolute
    error per observation). Options: Mask, Reduction, NormalizationFactor, DataFormat, WeightsFormat."""
    return _pointwise("l1loss", Y, targets, args, kwargs, lambda d, _: d.abs())


def huber(Y: Any, targets: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's huber(Y, targets[, weights]): 0.5·d² where |d| ≤ δ, δ·|d| − 0.5·δ² beyond (δ TransitionPoint,
    default 1), d = Y − T; normalized like l2loss. Options as l2loss plus TransitionPoint."""
    def element(d: torch.Tensor, opts: dict[str, Any]) -> torch.Tensor:
        delta = float(opts["TransitionPoint"])
        if delta <= 0:
            raise DLFunctionError("huber: TransitionPoint must be positive")
        a = d.abs()
        return torch.where(a <= delta, 0.5 * d.square(), delta * a - 0.5 * delta * delta)
    return _pointwise("huber", Y, targets, args, kwargs, element, {"TransitionPoint": 1})


def _pointwise(fname: str, Y: Any, targets: Any, args: tuple, kwargs: dict, element: Any,
               extra: dict[str, Any] | None = None) -> Any:
    weights, pairs = _split(args)
    opts = options(fname, pairs, kwargs, {"Mask": None, "Reduction": "sum", "NormalizationFactor": "batch-size",
                                          "DataFormat": None, "WeightsFormat": None, **(extra or {})})
    y, t, restore = _inputs(fname, Y, targets, opts)
    with no_labels():
        values = element(y - t, opts)
    return _reduce(fname, values, y, opts, weights, restore)


def crossentropy(Y: Any, targets: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's crossentropy(Y, targets[, weights]) for probabilities Y (e.g. after softmax or sigmoid).

    ClassificationMode "single-label" (default; TargetCategories "exclusive"): −Σ T·log(Y);
    "multilabel" ("independent"): −Σ [T·log(Y) + (1 − T)·log(1 − Y)]; each normalized by NormalizationFactor
    (default "batch-size"). Options: Mask, Reduction, NormalizationFactor, DataFormat, WeightsFormat.
    Probabilities are kept at least eps (float32: 1.2e-7) inside the logarithm, so a confident wrong class
    gives a large finite loss rather than inf or NaN.
    """
    weights, pairs = _split(args)
    opts = options("crossentropy", pairs, kwargs, {
        "ClassificationMode": None, "TargetCategories": None, "Mask": None, "Reduction": "sum",
        "NormalizationFactor": "batch-size", "DataFormat": None, "WeightsFormat": None})
    mode = _mode(opts)
    y, t, restore = _inputs("crossentropy", Y, targets, opts)
    with no_labels():
        eps = torch.finfo(y.dtype).eps if y.is_floating_point() else 1e-7
        values = -t * torch.log(y.clamp_min(eps))
        if mode == "multilabel":
            values = values - (1 - t) * torch.log((1 - y).clamp_min(eps))
    return _reduce("crossentropy", values, y, opts, weights, restore)


def _mode(opts: dict[str, Any]) -> str:
    """ClassificationMode (R2024a) or its older spelling TargetCategories; single-label by default."""
    mode, old = opts["ClassificationMode"], opts["TargetCategories"]
    if mode is not None and old is not None:
        raise DLFunctionError("crossentropy: give ClassificationMode or TargetCategories, not both")
    if old is not None:
        return {"exclusive": "single-label", "independent": "multilabel"}[
            choice("crossentropy", "TargetCategories", old, ("exclusive", "independent"))]
    return choice("crossentropy", "ClassificationMode", mode or "single-label", ("single-label", "multilabel"))
