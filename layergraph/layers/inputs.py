"""Input layers: imageInputLayer (H×W×C), featureInputLayer (C) and sequenceInputLayer (C×T)."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import torch
from pydantic import BeforeValidator
from torch import nn

from layergraph.layers.base import Layer, onnx_emitter
from layergraph.layers.options import Lower, PositiveInt, plain, positive_ints
from layergraph.sizes import Act

Normalization = Annotated[Literal["none", "zerocenter", "zscore", "rescale-symmetric", "rescale-zero-one"], Lower]


def _one_number(value: Any) -> Any:
    """sequenceInputLayer takes its channel count as a number or a one-element vector."""
    value = plain(value)
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueError("sequenceInputLayer takes the number of channels (vector sequences); image "
                             "sequences ([h w c]) are not supported")
        return value[0]
    return value


class _Normalize(nn.Module):
    """x ↦ (x − shift) · scale with per-channel (or scalar) constants, as MATLAB's input normalization."""

    def __init__(self, shift: torch.Tensor, scale: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("shift", shift)
        self.register_buffer("scale", scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) * self.scale


# the statistics each normalization reads
STATISTICS = {"none": (), "zerocenter": ("Mean",), "zscore": ("Mean", "StandardDeviation"),
          "rescale-symmetric": ("Min", "Max"), "rescale-zero-one": ("Min", "Max")}


class _InputLayer(Layer):
    """Shared normalization options of the input layers."""

    is_input: ClassVar[bool] = True
    family: ClassVar[str] = "input"
    onnx: ClassVar = onnx_emitter()  # a graph input (normalization as Sub and Mul nodes, folded back on import)
    Normalization: Normalization = "none"
    Mean: float | list[float] | None = None
    StandardDeviation: float | list[float] | None = None
    Min: float | list[float] | None = None
    Max: float | list[float] | None = None

    def _stat(self, value: float | list[float] | None, default: float, channels: int) -> torch.Tensor:
        vals = [default] if value is None else ([value] if isinstance(value, (int, float)) else list(value))
        if len(vals) not in (1, channels):
            raise ValueError(f"{self.type}: normalization statistics need 1 or {channels} values")
        return torch.tensor(vals, dtype=torch.float32)

    def _normalizer(self, channels: int, view: tuple[int, ...]) -> nn.Module:
        n = self.Normalization
        if n == "none" or all(getattr(self, s) is None for s in STATISTICS[n]):
            # no statistics yet: trainnet computes them from the training data; until then (a custom loop)
            # the layer passes data through, as subtracting 0 and dividing by 1 would
            return nn.Identity()
        if n == "zerocenter":
            shift, scale = self._stat(self.Mean, 0.0, channels), torch.ones(1)
        elif n == "zscore":
            shift = self._stat(self.Mean, 0.0, channels)
            scale = 1.0 / self._stat(self.StandardDeviation, 1.0, channels)
        else:
            lo, hi = self._stat(self.Min, 0.0, channels), self._stat(self.Max, 1.0, channels)
            if n == "rescale-zero-one":
                shift, scale = lo, 1.0 / (hi - lo)
            else:  # rescale-symmetric maps [Min, Max] to [-1, 1]
                shift, scale = (lo + hi) / 2, 2.0 / (hi - lo)
        return _Normalize(shift.reshape(-1, *view), scale.reshape(-1, *view))

    def _norm_text(self) -> str:
        return "" if self.Normalization == "none" else f" with '{self.Normalization}' normalization"


class ImageInputLayer(_InputLayer):
    """imageInputLayer(inputSize): image batches of size H×W×C."""

    type: Literal["imageInputLayer"] = "imageInputLayer"
    InputSize: Annotated[tuple[int, int, int], positive_ints(3, "[h w c] (or [h w])", fill_channels=True)]
    Normalization: Normalization = "zerocenter"  # MATLAB's default for images (feature and sequence: 'none')
    type_label: ClassVar[str] = "Image Input"
    size_rule: ClassVar[str] = "`InputSize` (h×w×c)"
    default_name: ClassVar[str] = "imageinput"
    positional: ClassVar[tuple[str, ...]] = ("InputSize",)
    required: ClassVar[int] = 1

    def output_size(self, inputs: list[Act]) -> Act:
        return Act(self.InputSize, "SSC")

    def description(self) -> str:
        return "×".join(map(str, self.InputSize)) + " images" + self._norm_text()

    def build(self, inputs: list[Act]) -> nn.Module:
        return self._normalizer(self.InputSize[2], (1, 1))


class FeatureInputLayer(_InputLayer):
    """featureInputLayer(numFeatures): feature batches of size C."""

    type: Literal["featureInputLayer"] = "featureInputLayer"
    InputSize: PositiveInt  # MATLAB's numFeatures
    type_label: ClassVar[str] = "Feature Input"
    size_rule: ClassVar[str] = "`InputSize` (c)"
    default_name: ClassVar[str] = "input"
    positional: ClassVar[tuple[str, ...]] = ("InputSize",)
    required: ClassVar[int] = 1

    def output_size(self, inputs: list[Act]) -> Act:
        return Act((self.InputSize,), "C")

    def description(self) -> str:
        return f"{self.InputSize} features" + self._norm_text()

    def build(self, inputs: list[Act]) -> nn.Module:
        return self._normalizer(self.InputSize, ())



class SequenceInputLayer(_InputLayer):
    """sequenceInputLayer(inputSize): sequences of C-channel vectors ("CBT" data; 1-D signals of any length ≥
    MinLength). The analyzer sizes T with MinLength; data of any length at least MinLength passes."""

    type: Literal["sequenceInputLayer"] = "sequenceInputLayer"
    InputSize: Annotated[PositiveInt, BeforeValidator(_one_number)]  # MATLAB's numChannels
    MinLength: PositiveInt = 1
    type_label: ClassVar[str] = "Sequence Input"
    size_rule: ClassVar[str] = "`InputSize` channels at each time step (`CBT`)"
    default_name: ClassVar[str] = "sequenceinput"
    positional: ClassVar[tuple[str, ...]] = ("InputSize",)
    required: ClassVar[int] = 1

    def output_size(self, inputs: list[Act]) -> Act:
        return Act((self.InputSize, self.MinLength), "CT")

    def description(self) -> str:
        return f"Sequence input with {self.InputSize} dimensions" + self._norm_text()

    def build(self, inputs: list[Act]) -> nn.Module:
        return self._normalizer(self.InputSize, (1,))
