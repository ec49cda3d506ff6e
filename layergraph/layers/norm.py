"""batchNormalizationLayer, layerNormalizationLayer, instanceNormalizationLayer and groupNormalizationLayer."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import AfterValidator, BeforeValidator
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, LayerModule, fill, onnx_emitter
from layergraph.layers.options import BiasInit, Decay, Lower, NonNegative, at_least, plain
from layergraph.sizes import Act

# batchNormalizationLayer refuses a smaller Epsilon
BatchEpsilon = Annotated[float, AfterValidator(at_least(1e-5, "1e-5 (MATLAB's lower bound)"))]
Positive = Annotated[float, AfterValidator(at_least(1e-300, "a positive number"))]


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
        # torch refuses one value per channel in training (1×1×C×1); MATLAB normalizes it (to the Offset)
        if self.training and (self.mean_decay != self.var_decay or x.numel() == x.shape[1]):
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
    # .to(dtype): under bf16 autocast the batch statistics are bf16, the running ones stay float32
    return (mean.lerp(batch_mean.detach().to(mean.dtype), mean_decay),
            var.lerp(batch_var.detach().to(var.dtype) * n / max(n - 1, 1), var_decay))


class _Norm(Layer):
    """Options shared by the normalization layers: initializers and learn-rate/L2 factors of Offset and Scale."""

    OffsetInitializer: BiasInit = "zeros"
    ScaleInitializer: BiasInit = "ones"
    OffsetLearnRateFactor: NonNegative = 1.0
    ScaleLearnRateFactor: NonNegative = 1.0
    OffsetL2Factor: NonNegative = 1.0
    ScaleL2Factor: NonNegative = 1.0
    family: ClassVar[str] = "norm"

    def learnable_names(self) -> list[str]:
        return ["Offset", "Scale"]

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        s = _param_shape(inputs[0])
        return {"Offset": s, "Scale": s}

    def _fill(self, m: LayerModule, c: int) -> LayerModule:
        fill(m, "Offset", self.OffsetInitializer, c, c)
        fill(m, "Scale", self.ScaleInitializer, c, c)
        return m


class BatchNormalizationLayer(_Norm):
    """batchNormalizationLayer(): normalize each channel over the mini-batch."""

    type: Literal["batchNormalizationLayer"] = "batchNormalizationLayer"
    Epsilon: BatchEpsilon = 1e-5
    MeanDecay: Decay = 0.1
    VarianceDecay: Decay = 0.1
    type_label: ClassVar[str] = "Batch Normalization"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "batchnorm"
    onnx: ClassVar = onnx_emitter(imports=("BatchNormalization",))

    def states(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        s = _param_shape(inputs[0])
        return {"TrainedMean": s, "TrainedVariance": s}

    def description(self) -> str:
        return "Batch normalization"

    def build(self, inputs: list[Act]) -> nn.Module:
        act = inputs[0]
        m = _BatchNorm(act.channels, self.Epsilon, self.MeanDecay, self.VarianceDecay, _param_shape(act))
        return self._fill(m, act.channels)


class _LayerNorm(LayerModule):
    """Normalize each observation over its first `dims` non-batch torch axes (C, then S…; all of them when None,
    C alone for each time step of sequences); per-channel Offset and Scale."""

    def __init__(self, c: int, eps: float, shape: tuple, dims: int | None = None) -> None:
        super().__init__()
        self.Offset = nn.Parameter(torch.zeros(c))
        self.Scale = nn.Parameter(torch.ones(c))
        self.layout = {"Offset": ((0,), shape), "Scale": ((0,), shape)}
        self.eps, self.dims = eps, dims  # dims: how many torch axes from 1 on are normalized (None: all)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        view = (1, -1) + (1,) * (x.dim() - 2)
        dims = x.dim() - 1 if self.dims is None else self.dims
        if dims == 1 and x.dim() > 2:  # channels only: each position on its own (B×C×… → B×…×C)
            y = F.layer_norm(x.movedim(1, -1), (x.shape[1],), self.Scale, self.Offset, self.eps)
            return y.movedim(-1, 1)
        y = F.layer_norm(x, x.shape[1:], eps=self.eps) if dims == x.dim() - 1 else \
            normalize(x, list(range(1, 1 + dims)), self.eps)[0]
        return y * self.Scale.view(view) + self.Offset.view(view)


OperationDimension = Annotated[Literal["auto", "channel-only", "spatial-channel", "batch-excluded"], Lower]


class LayerNormalizationLayer(_Norm):
    """layerNormalizationLayer(): normalize each observation over its channels (and spatial dimensions); for
    sequences ("CBT") each time step on its own (OperationDimension 'auto', as MATLAB)."""

    type: Literal["layerNormalizationLayer"] = "layerNormalizationLayer"
    Epsilon: float = 1e-5
    OperationDimension: OperationDimension = "auto"
    type_label: ClassVar[str] = "Layer Normalization"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "layernorm"
    onnx: ClassVar = onnx_emitter(imports=("LayerNormalization",))

    def operation(self, act: Act) -> str:
        """OperationDimension for input `act`: 'auto' is 'channel-only' for sequences, else 'spatial-channel'."""
        if self.OperationDimension != "auto":
            return self.OperationDimension
        return "channel-only" if "T" in act.fmt else "spatial-channel"

    def norm_axes(self, act: Act) -> int | None:
        """How many torch axes from axis 1 (C, then S…) are normalized; None for all of them (every non-batch)."""
        op = self.operation(act)
        if op == "channel-only":
            return 1
        if op == "spatial-channel":
            return 1 + len(act.spatial) if "T" in act.fmt else None
        return None

    def description(self) -> str:
        return "Layer normalization"

    def build(self, inputs: list[Act]) -> nn.Module:
        act = inputs[0]
        return self._fill(_LayerNorm(act.channels, self.Epsilon, _param_shape(act), self.norm_axes(act)), act.channels)


class _GroupNorm(LayerModule):
    """Normalize each observation over each group of channels and all positions; per-channel Offset, Scale."""

    def __init__(self, c: int, groups: int, eps: float, shape: tuple) -> None:
        super().__init__()
        self.Offset = nn.Parameter(torch.zeros(c))
        self.Scale = nn.Parameter(torch.ones(c))
        self.layout = {"Offset": ((0,), shape), "Scale": ((0,), shape)}
        self.groups, self.eps = groups, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.group_norm(x, self.groups, self.Scale, self.Offset, self.eps)


def _needs_positions(layer: Layer, act: Act) -> None:
    if act.fmt == "C":
        raise NetworkError(f"{layer.type} normalizes over spatial or time positions; its input has none ({act} "
                           "features)")


class InstanceNormalizationLayer(_Norm):
    """instanceNormalizationLayer(): normalize each channel of each observation over its positions (S, T)."""

    type: Literal["instanceNormalizationLayer"] = "instanceNormalizationLayer"
    Epsilon: Positive = 1e-5
    type_label: ClassVar[str] = "Instance Normalization"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "instancenorm"
    onnx: ClassVar = onnx_emitter(imports=("InstanceNormalization",))

    def output_size(self, inputs: list[Act]) -> Act:
        _needs_positions(self, inputs[0])
        return inputs[0]

    def description(self) -> str:
        return "Instance normalization"

    def build(self, inputs: list[Act]) -> nn.Module:
        c = inputs[0].channels
        return self._fill(_GroupNorm(c, c, self.Epsilon, _param_shape(inputs[0])), c)


def _groups(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 1 or not float(value).is_integer():
        raise ValueError("NumGroups must be a positive integer, 'all-channels' or 'channel-wise'")
    return int(value)


class GroupNormalizationLayer(_Norm):
    """groupNormalizationLayer(numGroups): normalize each group of channels of each observation over the group's
    channels and all positions; 'all-channels' is one group, 'channel-wise' one group per channel."""

    type: Literal["groupNormalizationLayer"] = "groupNormalizationLayer"
    NumGroups: Annotated[int | Literal["all-channels", "channel-wise"], BeforeValidator(_groups)]
    Epsilon: Positive = 1e-5
    type_label: ClassVar[str] = "Group Normalization"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "groupnorm"
    positional: ClassVar[tuple[str, ...]] = ("NumGroups",)
    required: ClassVar[int] = 1
    # opset 21+: GroupNormalization; before: Reshape → InstanceNormalization → Reshape → Mul → Add (both import)
    onnx: ClassVar = onnx_emitter(imports=("GroupNormalization", "InstanceNormalization"))

    def groups(self, act: Act) -> int:
        """The number of groups for input `act` (the channels must divide into them)."""
        c = act.channels
        g = 1 if self.NumGroups == "all-channels" else c if self.NumGroups == "channel-wise" else self.NumGroups
        if c % g:
            raise NetworkError(f"{self.type}: {c} channels do not divide into {g} groups")
        return g

    def output_size(self, inputs: list[Act]) -> Act:
        self.groups(inputs[0])
        return inputs[0]

    def description(self) -> str:
        what = f"{self.NumGroups} groups" if isinstance(self.NumGroups, int) else f"'{self.NumGroups}'"
        return f"Group normalization with {what}"

    def build(self, inputs: list[Act]) -> nn.Module:
        c = inputs[0].channels
        return self._fill(_GroupNorm(c, self.groups(inputs[0]), self.Epsilon, _param_shape(inputs[0])), c)
