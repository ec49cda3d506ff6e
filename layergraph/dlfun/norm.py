"""MATLAB's normalization functions: batchnorm, layernorm, instancenorm, groupnorm.

Each computes (X − μ)/sqrt(σ² + ε)·scaleFactor + offset with the biased σ², over the dimensions MATLAB
documents for it; offset and scaleFactor hold one value per channel. The formula and the running-statistics
update are the layers' (layers/norm.py: normalize, running_stats).
"""
from __future__ import annotations

from typing import Any

import torch

from layergraph.data.options import choice
from layergraph.dlarray.array import labelled, plain, wrap
from layergraph.dlfun.common import DLFunctionError, options
from layergraph.formats import torch_axis
from layergraph.layers.norm import normalize, running_stats
from layergraph.namevalue import matlab_keywords
from layergraph.nargout import nargout, results

__all__ = ["batchnorm", "groupnorm", "instancenorm", "layernorm"]


def _channel_axis(fname: str, fmt: str) -> int:
    if "C" not in fmt:
        raise DLFunctionError(f"{fname}: the input ('{fmt}') needs a channel dimension 'C'")
    return torch_axis(fmt, fmt.index("C") + 1)


def _per_channel(fname: str, name: str, value: Any, c: int, axis: int, ref: torch.Tensor) -> torch.Tensor:
    """offset/scaleFactor (or statistics): one value per channel, as a tensor that broadcasts along `axis`."""
    t = plain(value).to(device=ref.device, dtype=ref.dtype)
    if t.numel() not in (1, c):
        raise DLFunctionError(f"{fname}: {name} has {t.numel()} elements; expected one per channel ({c})")
    shape = [1] * ref.dim()
    shape[axis] = -1
    return t.reshape(-1).expand(c).reshape(shape) if t.numel() == 1 else t.reshape(shape)


def _affine(fname: str, xhat: torch.Tensor, offset: Any, scale: Any, axis: int) -> torch.Tensor:
    c = xhat.shape[axis]
    return xhat * _per_channel(fname, "scaleFactor", scale, c, axis, xhat) + \
        _per_channel(fname, "offset", offset, c, axis, xhat)


@matlab_keywords
def batchnorm(X: Any, offset: Any, scaleFactor: Any, *args: Any, Training: bool | None = None,
              **kwargs: Any) -> Any:
    """MATLAB's batchnorm: normalize each channel over the batch and all other dimensions.

    * `Y, mu, sigmaSq = batchnorm(X, offset, scale)`: with this mini-batch's statistics, which it returns
      (per-channel, C×1; the variance is the population variance).
    * `Y, runningMean, runningVar = batchnorm(X, offset, scale, runningMean, runningVar)`: with the mini-batch
      statistics, returning the running statistics updated with MeanDecay/VarianceDecay (MATLAB's three-output
      form, used in training).
    * `Y = batchnorm(X, offset, scale, trainedMean, trainedVar)`: with the given statistics (MATLAB's one-output
      form, used for prediction; nargout 1, see layergraph.nargout). `Training=False`/`True` chooses the form
      explicitly whatever the nargout.

    Options: Epsilon (1e-5), MeanDecay (0.1), VarianceDecay (0.1), DataFormat.
    """
    n = nargout("batchnorm", kwargs.pop("nargout", None))
    stats = [a for a in args[:2] if not isinstance(a, str)]
    if Training is None and stats:
        Training = n >= 2  # MATLAB: one output uses the given statistics, three update them
    opts = options("batchnorm", args[len(stats):], kwargs, {"Epsilon": 1e-5, "MeanDecay": 0.1,
                                                           "VarianceDecay": 0.1, "DataFormat": None})
    if len(stats) == 1:
        raise DLFunctionError("batchnorm: give both the running mean and the running variance, or neither")
    x, restore = labelled(X, opts["DataFormat"], "batchnorm")
    axis = _channel_axis("batchnorm", x.fmt)
    t = plain(x)
    c = t.shape[axis]
    dims = [a for a in range(t.dim()) if a != axis]
    eps = float(opts["Epsilon"])
    if stats and Training is False:
        mean = _per_channel("batchnorm", "trainedMean", stats[0], c, axis, t)
        var = _per_channel("batchnorm", "trainedVariance", stats[1], c, axis, t)
        y = restore(wrap(_affine("batchnorm", (t - mean) / torch.sqrt(var + eps), offset, scaleFactor, axis),
                         x.fmt))
        return results("batchnorm", n, [y], "batchnorm with trained statistics (Training=False)")
    xhat, mean, var = normalize(t, dims, eps)
    y = restore(wrap(_affine("batchnorm", xhat, offset, scaleFactor, axis), x.fmt))
    if not stats:
        return results("batchnorm", n, [y, mean.reshape(c, 1), var.reshape(c, 1)], "batchnorm")
    old_mean, old_var = plain(stats[0]), plain(stats[1])
    for name, old in (("runningMean", old_mean), ("runningVar", old_var)):
        if old.numel() != c:
            raise DLFunctionError(f"batchnorm: {name} has {old.numel()} elements; expected one per channel ({c})")
    new_mean, new_var = running_stats(old_mean.reshape(-1).to(t.dtype), old_var.reshape(-1).to(t.dtype),
                                      mean.reshape(-1), var.reshape(-1), t.numel() // c,
                                      float(opts["MeanDecay"]), float(opts["VarianceDecay"]))
    return results("batchnorm", n, [y, new_mean.reshape(old_mean.shape), new_var.reshape(old_var.shape)],
                   "batchnorm")


def layernorm(X: Any, offset: Any, scaleFactor: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's layernorm: normalize each observation over its channels (and more, per OperationDimension).

    OperationDimension "auto" (default) normalizes over S and C for data with spatial dimensions and over C
    alone otherwise (CB, CBT); "channel-only", "spatial-channel", "batch-excluded" (all but B) choose directly.
    Options: Epsilon (1e-5), OperationDimension, DataFormat.
    """
    opts = options("layernorm", args, kwargs, {"Epsilon": 1e-5, "OperationDimension": "auto", "DataFormat": None})
    x, restore = labelled(X, opts["DataFormat"], "layernorm")
    _channel_axis("layernorm", x.fmt)
    how = choice("layernorm", "OperationDimension", opts["OperationDimension"],
                 ("auto", "channel-only", "spatial-channel", "batch-excluded"))
    if how == "auto":
        how = "spatial-channel" if "S" in x.fmt else "channel-only"
    over = {"channel-only": "C", "spatial-channel": "SC", "batch-excluded": "SCTU"}[how]
    return restore(wrap(_norm_over(plain(x), x.fmt, over, offset, scaleFactor, opts, "layernorm"), x.fmt))


def instancenorm(X: Any, offset: Any, scaleFactor: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's instancenorm: normalize each channel of each observation over its S and T dimensions.

    Options: Epsilon (1e-5), DataFormat.
    """
    opts = options("instancenorm", args, kwargs, {"Epsilon": 1e-5, "DataFormat": None})
    x, restore = labelled(X, opts["DataFormat"], "instancenorm")
    _channel_axis("instancenorm", x.fmt)
    if not set(x.fmt) & set("ST"):
        raise DLFunctionError(f"instancenorm: the input ('{x.fmt}') has no spatial or time dimension")
    return restore(wrap(_norm_over(plain(x), x.fmt, "ST", offset, scaleFactor, opts, "instancenorm"), x.fmt))


def _norm_over(t: torch.Tensor, fmt: str, labels: str, offset: Any, scale: Any, opts: dict[str, Any],
               fname: str) -> torch.Tensor:
    axis = _channel_axis(fname, fmt)
    dims = [torch_axis(fmt, i + 1) for i, c in enumerate(fmt) if c in labels]
    xhat, _, _ = normalize(t, dims, float(opts["Epsilon"]))
    return _affine(fname, xhat, offset, scale, axis)


def groupnorm(X: Any, numGroups: Any, offset: Any, scaleFactor: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's groupnorm: split the channels into numGroups groups; normalize each group of each observation
    over its channels and S/T dimensions. numGroups may be "all-channels" (one group) or "channel-wise" (one
    per channel). Options: Epsilon (1e-5), DataFormat."""
    opts = options("groupnorm", args, kwargs, {"Epsilon": 1e-5, "DataFormat": None})
    x, restore = labelled(X, opts["DataFormat"], "groupnorm")
    axis = _channel_axis("groupnorm", x.fmt)
    t = plain(x)
    c = t.shape[axis]
    if isinstance(numGroups, str):
        g = {"all-channels": 1, "channel-wise": c}[choice("groupnorm", "numGroups", numGroups,
                                                          ("all-channels", "channel-wise"))]
    else:
        g = int(numGroups)
    if g < 1 or c % g:
        raise DLFunctionError(f"groupnorm: {c} channels cannot be split into {numGroups} equal groups")
    # (…, C, …) → (…, G, C/G, …): normalize over C/G and every S and T axis, per observation and group
    grouped = t.reshape(*t.shape[:axis], g, c // g, *t.shape[axis + 1:])
    dims = [axis + 1] + [a + 1 for a in (torch_axis(x.fmt, i + 1) for i, lab in enumerate(x.fmt) if lab in "ST")]
    xhat, _, _ = normalize(grouped, dims, float(opts["Epsilon"]))
    y = _affine("groupnorm", xhat.reshape(t.shape), offset, scaleFactor, axis)
    return restore(wrap(y, x.fmt))
