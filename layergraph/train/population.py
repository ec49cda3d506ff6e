"""trainingOptions BatchNormalizationStatistics="population": after training, one more pass over the training data
sets each batch normalization layer's TrainedMean and TrainedVariance to the statistics of all of it."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

from layergraph.layers.norm import normalize

__all__ = ["population_statistics"]


class _Sums:
    """Per-channel Σx, Σx² (float64) and the count of one batch normalization layer's input."""

    def __init__(self) -> None:
        self.sum: torch.Tensor | float = 0.0
        self.squares: torch.Tensor | float = 0.0
        self.count = 0

    def add(self, x: torch.Tensor) -> None:
        dims = [0, *range(2, x.dim())]
        x = x.double()
        self.sum = self.sum + x.sum(dims)
        self.squares = self.squares + x.square().sum(dims)
        self.count += x.numel() // x.shape[1]


def _hook(sums: dict[torch.nn.Module, _Sums]) -> Callable[..., torch.Tensor]:
    def record(m: torch.nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> torch.Tensor:
        x = inputs[0]
        sums[m].add(x)
        # the layers after it see what they saw in training: this mini-batch normalized by its own statistics
        xhat, _, _ = normalize(x.float(), [0, *range(2, x.dim())], m.eps)
        view = (1, -1) + (1,) * (x.dim() - 2)
        return (xhat * m.Scale.view(view) + m.Offset.view(view)).to(output.dtype)
    return record


def population_statistics(module: torch.nn.Module, batches: Iterable[tuple[Any, Any]],
                          forward: Callable[[Any], Any]) -> None:
    """Pass every mini-batch of `batches` through `forward` (the network in inference mode, dropout off), each
    batch normalization layer normalizing by the mini-batch's statistics as in training, and set its TrainedMean
    and TrainedVariance to the mean and (population, ÷N) variance of its input over all the data."""
    # batch normalization's modules are the ones holding TrainedMean/TrainedVariance buffers
    layers = [m for m in module.modules() if "TrainedVariance" in dict(m.named_buffers(recurse=False))]
    if not layers:
        return
    sums = {m: _Sums() for m in layers}
    handles = [m.register_forward_hook(_hook(sums)) for m in layers]
    try:
        with torch.no_grad():
            for X, _ in batches:
                forward(X)
    finally:
        for h in handles:
            h.remove()
    with torch.no_grad():
        for m, s in sums.items():
            if s.count == 0:
                continue
            mean = s.sum / s.count
            m.TrainedMean.copy_(mean.to(m.TrainedMean.dtype))
            m.TrainedVariance.copy_((s.squares / s.count - mean.square()).clamp_min(0).to(m.TrainedVariance.dtype))
