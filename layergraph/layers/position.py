"""positionEmbeddingLayer (learned) and sinusoidalPositionEncodingLayer (fixed): vectors for the positions of
sequence ("CBT") or 1-D ("SCB") data, or for the values of the data ("data-values")."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import torch
from pydantic import field_validator
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, LayerModule, fill, onnx_emitter
from layergraph.layers.options import Lower, NonNegative, PositiveInt, WeightsInit
from layergraph.sizes import Act

# Unconfirmed against MATLAB (its Algorithms section was not in the stored documentation; docs/layers.md):
# positions are MATLAB's 1-based indices, and encode() interleaves sin and cos as Vaswani et al.
FIRST_POSITION = 1  # MATLAB's temporal and spatial indices start at 1
BASE = 10000.0  # the wavelength base of the sinusoids (Vaswani et al.)


def _length(layer: Layer, act: Act) -> int:
    if act.fmt == "CT":
        return act.time or 1
    if act.fmt == "SC":
        return act.spatial[0]
    raise NetworkError(f"{layer.type} expects sequence (CBT) or 1-D (SCB) data but got {act.fmt}-format size {act}")


class _PositionEmbedding(LayerModule):
    """Column p of Weights (OutputSize×MaxPosition) for position p = 1…L, the same for every observation."""

    def __init__(self, out: int, max_position: int) -> None:
        super().__init__()
        self.Weights = nn.Parameter(torch.empty(out, max_position))
        self.layout = {"Weights": ((0, 1), (out, max_position))}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1]
        if n > self.Weights.shape[1]:
            raise NetworkError(f"positionEmbeddingLayer: the data has {n} positions but MaxPosition is "
                               f"{self.Weights.shape[1]}")
        return self.Weights[:, :n].unsqueeze(0).expand(x.shape[0], -1, -1).to(x.dtype)


class PositionEmbeddingLayer(Layer):
    """positionEmbeddingLayer(outputSize, maxPosition): a learned OutputSize-channel vector for each position
    (T of "CBT", S of "SCB"); the output has the input's format with OutputSize channels."""

    type: Literal["positionEmbeddingLayer"] = "positionEmbeddingLayer"
    size_rule: ClassVar[str] = "the input's positions with `OutputSize` channels"
    OutputSize: PositiveInt
    MaxPosition: PositiveInt
    # "auto": time of "CBT", space of "SCB" (layergraph has no spatio-temporal data, where MATLAB embeds time)
    PositionDimension: Annotated[Literal["auto", "temporal", "spatial"], Lower] = "auto"
    WeightsInitializer: WeightsInit = "narrow-normal"  # MATLAB's default (positionEmbeddingLayer page)
    WeightLearnRateFactor: NonNegative = 1.0
    WeightL2Factor: NonNegative = 1.0
    type_label: ClassVar[str] = "Position Embedding"
    default_name: ClassVar[str] = "posembed"
    positional: ClassVar[tuple[str, ...]] = ("OutputSize", "MaxPosition")
    required: ClassVar[int] = 2
    family: ClassVar[str] = "dense"
    onnx: ClassVar = onnx_emitter(not_back="a Slice of a constant matrix to the input's length, added over the batch, "
                                  "has no import pattern")

    def _check_dimension(self, act: Act) -> None:
        need = {"temporal": "CT", "spatial": "SC"}.get(self.PositionDimension)
        if need and act.fmt != need:
            raise NetworkError(f"{self.type}: PositionDimension '{self.PositionDimension}' needs {need}-format data, "
                               f"got {act.fmt}-format size {act}")

    def output_size(self, inputs: list[Act]) -> Act:
        self._check_dimension(inputs[0])
        n = _length(self, inputs[0])
        if n > self.MaxPosition:
            raise NetworkError(f"{self.type}: the data has {n} positions but MaxPosition is {self.MaxPosition}")
        return inputs[0].with_size(C=self.OutputSize)

    def learnable_names(self) -> list[str]:
        return ["Weights"]

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        return {"Weights": (self.OutputSize, self.MaxPosition)}

    def description(self) -> str:
        return f"Position embedding with output size {self.OutputSize} and maximum position {self.MaxPosition}"

    def build(self, inputs: list[Act]) -> nn.Module:
        self.output_size(inputs)
        m = _PositionEmbedding(self.OutputSize, self.MaxPosition)
        fill(m, "Weights", self.WeightsInitializer, self.MaxPosition, self.OutputSize)
        return m


def frequencies(d: int) -> torch.Tensor:
    """ω_k = BASE^(−2k/d), k = 0 … d/2 − 1: one frequency for each sin/cos pair of channels."""
    return BASE ** (-2.0 * torch.arange(d // 2, dtype=torch.float64) / d)


def encode(p: torch.Tensor, d: int) -> torch.Tensor:
    """Positions p (any shape) → p.shape × d: channel 2k+1 is sin(p·ω_k) and channel 2k+2 is cos(p·ω_k) (1-based
    channels), the pairs interleaved as in "Attention Is All You Need"."""
    angle = p.unsqueeze(-1).double() * frequencies(d).to(p.device)
    return torch.stack((angle.sin(), angle.cos()), dim=-1).flatten(-2).to(p.dtype)


class _Sinusoid(nn.Module):
    def __init__(self, d: int, values: bool) -> None:
        super().__init__()
        self.d, self.values = d, values

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.values:  # B×1(×L): the data are the positions
            return encode(x[:, 0], self.d).movedim(-1, 1)
        n = x.shape[-1]
        p = torch.arange(FIRST_POSITION, FIRST_POSITION + n, device=x.device, dtype=torch.float64)  # exact indices
        return encode(p, self.d).to(x.dtype).t().unsqueeze(0).expand(x.shape[0], -1, -1)


class SinusoidalPositionEncodingLayer(Layer):
    """sinusoidalPositionEncodingLayer(outputSize): fixed sin/cos vectors of the positions (time indices of "CBT",
    spatial indices of "SCB", or the input's values for "CB" features and Positions="data-values")."""

    type: Literal["sinusoidalPositionEncodingLayer"] = "sinusoidalPositionEncodingLayer"
    size_rule: ClassVar[str] = "the input's positions with `OutputSize` channels"
    OutputSize: PositiveInt
    Positions: Annotated[Literal["auto", "temporal-indices", "spatial-indices", "data-values"], Lower] = "auto"
    type_label: ClassVar[str] = "Sinusoidal Position Encoding"
    default_name: ClassVar[str] = "posenc"
    positional: ClassVar[tuple[str, ...]] = ("OutputSize",)
    required: ClassVar[int] = 1
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter(not_back="a constant table or Sin/Cos of the positions has no import pattern")

    @field_validator("OutputSize")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("OutputSize must be an even positive integer")
        return value

    def mode(self, act: Act) -> str:
        """The positions used for input `act` ('auto' resolved as MATLAB does)."""
        mode = self.Positions
        if mode == "auto":
            mode = {"CT": "temporal-indices", "SC": "spatial-indices"}.get(act.fmt, "data-values")
        need = {"temporal-indices": "CT", "spatial-indices": "SC"}.get(mode)
        if need and act.fmt != need:
            raise NetworkError(f"{self.type}: Positions '{mode}' needs {need}-format data, got {act.fmt}-format "
                               f"size {act}")
        if mode == "data-values" and (act.channels != 1 or act.fmt not in ("C", "CT", "SC")):
            raise NetworkError(f"{self.type}: Positions 'data-values' takes one channel of positions (CB, CBT or "
                               f"SCB data), got {act.fmt}-format size {act}")
        return mode

    def output_size(self, inputs: list[Act]) -> Act:
        self.mode(inputs[0])
        return inputs[0].with_size(C=self.OutputSize)

    def description(self) -> str:
        return f"Sinusoidal position encoding with output size {self.OutputSize}"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Sinusoid(self.OutputSize, self.mode(inputs[0]) == "data-values")

