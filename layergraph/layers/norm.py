"""batchNormalizationLayer and layerNormalizationLayer."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import AfterValidator
from torch import nn

from layergraph.layers.base import Layer, LayerModule, fill, onnx_emitter
from layergraph.layers.options import BiasInit, Decay, at_least
from layergraph.sizes import Act

# batchNormalizationLayer refuses a smaller Epsilon
BatchEpsilon = Annotated[float, AfterValidator(at_least(1e-5, "1e-5 (MATLAB's lower bound)"))]


def _param_shape(act: Act) -> tuple[int, ...]:
    """MATLAB shape of a per-channel parameter: 1×1×C for images, 1×C for 1-D signals, C×1 for features and
    sequences (the activation's shape with every non-channel dimension 1)."""
    shape = tuple(act.channels if f == "C" else 1 for f in act.fmt)
    return shape if len(shape) > 1 else (*shape, 1)


class _BatchNorm(LayerModule):
    """Batch normalization over N(,H,W) with MATLAB names Offset/Scale and TrainedMean/TrainedVariance."""

    def __init__(self, c: int, eps: float, mean_decay: float, var_decay: float, shape: tuple) -> None:
        super().__init__()
        self.Offset = nn.Parameter(torch.zeros(c))
        self.Scale = nn.Parameter(torch.ones(c))
        self.register_buffer("TrainedMean", torch.zeros(c))
        self.register_buffer("TrainedVariance", torch.ones(c))
        self.layout = {k: ((0,), shape) for k in ("Offset", "Scale", "TrainedMean", "TrainedVariance")}
        self.eps, self.mean_decay, self.var_decay = eps, mean_decay, var_decay

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.mean_decay != self.var_decay:
            return self._separate_decays(x)
        # MATLAB's MeanDecay is torch's momentum: new = decay·batch + (1 − decay)·old
        return F.batch_norm(x, self.TrainedMean, self.TrainedVariance, self.Scale, self.Offset,
                            self.training, self.mean_decay, self.eps)

    def _separate_decays(self, x: torch.Tensor) -> torch.Tensor:
        dims = [0, *range(2, x.dim())]
        xhat, mean, var = normalize(x, dims, self.eps)
        with torch.no_grad():
            new_mean, new_var = running_stats(self.TrainedMean, self.TrainedVariance, mean.reshape(-1),
                                              var.reshape(-1), x.numel() // x.shape[1],
                                              self.mean_decay, self.var_decay)
            self.TrainedMean.copy_(new_mean)
            self.TrainedVariance.copy_(new_var)
        view = (1, -1) + (1,) * (x.dim() - 2)
        return xhat * self.Scale.view(view) + self.Offset.view(view)


def normalize(x: torch.Tensor, dims: list[int], eps: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x − μ)/sqrt(σ² + ε) over `dims`, with μ and the biased σ² (kept as size-1 dims): every norm's formula."""
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps), mean, var


def running_stats(mean: torch.Tensor, var: torch.Tensor, batch_mean: torch.Tensor, batch_var: torch.Tensor,
                  n: int, mean_decay: float, var_decay: float) -> tuple[torch.Tensor, torch.Tensor]:
    """MATLAB's running-statistics update: new = decay·batch + (1 − decay)·old; the batch variance of n values
    enters unbiased (·n/(n − 1)), as torch's batch_norm does."""
    return (mean.lerp(batch_mean.detach(), mean_decay),
            var.lerp(batch_var.detach() * n / max(n - 1, 1), var_decay))


class BatchNormalizationLayer(Layer):
    """batchNormalizationLayer(): normalize each channel over the mini-batch."""

    type: Literal["batchNormalizationLayer"] = "batchNormalizationLayer"
    Epsilon: BatchEpsilon = 1e-5
    MeanDecay: Decay = 0.1
    VarianceDecay: Decay = 0.1
    OffsetInitializer: BiasInit = "zeros"
    ScaleInitializer: BiasInit = "ones"
    type_label: ClassVar[str] = "Batch Normalization"
    default_name: ClassVar[str] = "batchnorm"
    family: ClassVar[str] = "norm"
    onnx: ClassVar = onnx_emitter(imports=("BatchNormalization",))

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        s = _param_shape(inputs[0])
        return {"Offset": s, "Scale": s}

    def states(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        s = _param_shape(inputs[0])
        return {"TrainedMean": s, "TrainedVariance": s}

    def description(self) -> str:
        return "Batch normalization"

    def build(self, inputs: list[Act]) -> nn.Module:
        act = inputs[0]
        m = _BatchNorm(act.channels, self.Epsilon, self.MeanDecay, self.VarianceDecay, _param_shape(act))
        fill(m, "Offset", self.OffsetInitializer, act.channels, act.channels)
        fill(m, "Scale", self.ScaleInitializer, act.channels, act.channels)
        return m


class _LayerNorm(LayerModule):
    """Normalize each observation over all its (C, H, W) elements; per-channel Offset and Scale."""

    def __init__(self, c: int, eps: float, shape: tuple) -> None:
        super().__init__()
        self.Offset = nn.Parameter(torch.zeros(c))
        self.Scale = nn.Parameter(torch.ones(c))
        self.layout = {"Offset": ((0,), shape), "Scale": ((0,), shape)}
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        view = (1, -1) + (1,) * (x.dim() - 2)
        y = F.layer_norm(x, x.shape[1:], eps=self.eps)
        return y * self.Scale.view(view) + self.Offset.view(view)


class LayerNormalizationLayer(Layer):
    """layerNormalizationLayer(): normalize each observation across all its channels."""

    type: Literal["layerNormalizationLayer"] = "layerNormalizationLayer"
    Epsilon: float = 1e-5
    type_label: ClassVar[str] = "Layer Normalization"
    default_name: ClassVar[str] = "layernorm"
    family: ClassVar[str] = "norm"
    onnx: ClassVar = onnx_emitter(imports=("LayerNormalization",))

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        s = _param_shape(inputs[0])
        return {"Offset": s, "Scale": s}

    def description(self) -> str:
        return "Layer normalization"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _LayerNorm(inputs[0].channels, self.Epsilon, _param_shape(inputs[0]))
