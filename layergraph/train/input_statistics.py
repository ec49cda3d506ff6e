"""Input-normalization statistics computed from the training data, as trainnet and trainNetwork do.

MATLAB's input layers (imageInputLayer's default is 'zerocenter') normalize with Mean, StandardDeviation, Min
or Max. With the training option ResetInputNormalization true (the default), or a statistic not set, the
training functions compute them from the training data before the first iteration, channel-wise
(NormalizationDimension 'auto'): one value per channel over every observation, pixel and time step.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.errors import DataError
from layergraph.layers.inputs import STATISTICS

__all__ = ["channel_statistics", "fit_input_statistics"]


class _Running:
    """Per-channel count, sum, sum of squares, min and max, accumulated in float64 over chunks of data."""

    def __init__(self) -> None:
        self.n, self.s, self.ss, self.lo, self.hi = 0, 0.0, 0.0, np.inf, -np.inf

    def add(self, chunk: np.ndarray) -> None:
        """`chunk` is channels × values (any number of values)."""
        x = chunk.astype(np.float64)
        self.n += x.shape[1]
        self.s = self.s + x.sum(1)
        self.ss = self.ss + (x * x).sum(1)
        self.lo = np.minimum(self.lo, x.min(1))
        self.hi = np.maximum(self.hi, x.max(1))

    def values(self) -> dict[str, list[float]]:
        mean = self.s / self.n
        var = np.maximum(self.ss / self.n - mean * mean, 0.0)  # population variance (over all values)
        return {"Mean": mean.tolist(), "StandardDeviation": np.sqrt(var).tolist(), "Min": self.lo.tolist(),
                "Max": self.hi.tolist()}


def _chunks(data: Any, k: int = 0) -> Any:
    """The training predictors as channels × values arrays: sequences unpadded, arrays in blocks."""
    seqs = getattr(data, "seqs", None)
    if seqs is not None:  # C×T each: statistics over real time steps, not padding
        yield from seqs
        return
    X = getattr(data, "X", None)
    if isinstance(X, torch.Tensor):  # torch layout B×C×S…: channel second
        for start in range(0, X.shape[0], 256):
            x = X[start:start + 256].detach().cpu().float()
            yield x.transpose(0, 1).reshape(x.shape[1], -1).numpy()
        return
    for x, _ in data.epoch(False):  # a minibatchqueue's batches (formatted dlarrays, channel second)
        x = x[k] if isinstance(x, tuple) else x  # the k-th input's predictors
        t = torch.Tensor.as_subclass(x, torch.Tensor).detach().cpu().float()
        yield t.transpose(0, 1).reshape(t.shape[1], -1).numpy()


def channel_statistics(data: Any, k: int = 0) -> dict[str, list[float]]:
    """Mean, StandardDeviation, Min and Max per channel of a trainnet data source (of its k-th predictors)."""
    run = _Running()
    for chunk in _chunks(data, k):
        run.add(np.asarray(chunk))
    if run.n == 0:
        raise DataError("trainnet: no training observations to compute the input layers' normalization "
                        "statistics from")
    return run.values()


def fit_input_statistics(net: Any, data: Any, reset: bool) -> Any:
    """`net` with its input layers' normalization statistics computed from `data` where MATLAB computes them:
    every statistic when `reset` (ResetInputNormalization), else only those not set."""
    changed = False
    for k, name in enumerate(list(net.InputNames)):
        layer = next(lay for lay in net.Layers if lay.Name == name)
        needs = STATISTICS.get(getattr(layer, "Normalization", "none"), ())
        missing = [s for s in needs if reset or getattr(layer, s) is None]
        if missing:
            stats = channel_statistics(data, k)
            update = {s: (stats[s][0] if len(stats[s]) == 1 else stats[s]) for s in missing}
            net, changed = net.replaceLayer(layer.Name, layer.model_copy(update=update)), True
    return net.initialize() if changed else net
