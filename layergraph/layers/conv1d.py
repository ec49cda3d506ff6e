"""convolution1dLayer and transposedConv1dLayer: 1-D (transposed) convolution over S ("SCB" data) or over T
("CBT" sequences), with MATLAB's padding, cropping and PaddingValue rules."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import BeforeValidator
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import LayerModule, WithInitializers, fill, fmt_vec, onnx_emitter, same_total
from layergraph.layers.options import PositiveInt, plain
from layergraph.layers.padding import PadValue
from layergraph.layers.padding import pad as pad_input
from layergraph.sizes import Act


def _two_sides(words: tuple[str, ...]) -> Any:
    """MATLAB's 1-D Padding/Cropping: one of `words`, p (both sides) or [l r]."""
    def check(value: Any, info: Any) -> Any:
        value = plain(value)
        if isinstance(value, str) and value.lower() in words:
            return value.lower()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value, value]
        if (isinstance(value, (list, tuple)) and len(value) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 and float(v).is_integer()
                        for v in value)):
            return int(value[0]), int(value[1])
        raise ValueError(f"{info.field_name} must be {' or '.join(repr(w) for w in words)}, a non-negative integer "
                         "or [left right]")
    return BeforeValidator(check)


Padding1D = Annotated[str | tuple[int, int], _two_sides(("same", "causal"))]
Cropping1D = Annotated[str | tuple[int, int], _two_sides(("same",))]


def need_1d(layer: Any, act: Act) -> int:
    """The length the layer runs along (S of "SC", T of "CT"); an error naming the layer for other data."""
    if act.fmt == "SC":
        return act.spatial[0]
    if act.fmt == "CT":
        return act.time or 1
    raise NetworkError(f"{layer.type} expects 1-D data (SCB or CBT) but got {act.fmt}-format size {act}")


def _along(act: Act, n: int, c: int) -> Act:
    return act.with_size(S=(n,), C=c) if act.fmt == "SC" else act.with_size(T=n, C=c)


def padding_1d(n: int, k: int, s: int, d: int, padding: str | tuple[int, int]) -> tuple[int, int]:
    """[left right] padding; 'same' puts the odd extra element at the end, 'causal' pads the start only."""
    eff = (k - 1) * d + 1
    if padding == "same":
        total = same_total(n, eff, s)
        return total // 2, total - total // 2
    if padding == "causal":
        return eff - 1, 0
    return padding  # type: ignore[return-value]


class _Conv1d(LayerModule):
    """1-D convolution of B×C×L batches; MATLAB-layout weights FilterSize×C×NumFilters."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, dilation: int, padding: str | tuple[int, int],
                 value: float | str) -> None:
        super().__init__()
        self.Weights = nn.Parameter(torch.empty(cout, cin, k))
        self.Bias = nn.Parameter(torch.empty(cout))
        self.layout = {"Weights": ((2, 1, 0), (k, cin, cout)), "Bias": ((0,), (1, cout))}
        self.k, self.stride, self.dilation, self.padding, self.value = k, stride, dilation, padding, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # 'same' depends on the length, which varies between sequence batches: worked out per call
        left, right = padding_1d(x.shape[-1], self.k, self.stride, self.dilation, self.padding)
        if left == right and self.value == 0:
            return F.conv1d(x, self.Weights, self.Bias, self.stride, left, self.dilation)
        return F.conv1d(pad_input(x, (left, right), self.value), self.Weights, self.Bias, self.stride, 0,
                        self.dilation)


class Convolution1DLayer(WithInitializers):
    """convolution1dLayer(filterSize, numFilters): 1-D convolution over S ("SCB") or T ("CBT")."""

    type: Literal["convolution1dLayer"] = "convolution1dLayer"
    FilterSize: PositiveInt
    NumFilters: PositiveInt
    Stride: PositiveInt = 1
    DilationFactor: PositiveInt = 1
    Padding: Padding1D = (0, 0)
    PaddingValue: PadValue = 0.0
    NumChannels: int | Literal["auto"] = "auto"
    type_label: ClassVar[str] = "1-D Convolution"
    size_rule: ClassVar[str] = ("`floor((in + pt + pb − ((F−1)·D + 1)) / S) + 1`; `'same'`: `ceil(in/S)`; channels "
                                "`NumFilters`")
    default_name: ClassVar[str] = "conv1d"
    positional: ClassVar[tuple[str, ...]] = ("FilterSize", "NumFilters")
    required: ClassVar[int] = 2
    family: ClassVar[str] = "conv"
    onnx: ClassVar = onnx_emitter()  # Conv with one spatial axis

    def _channels(self, act: Act) -> int:
        need_1d(self, act)
        if self.NumChannels != "auto" and self.NumChannels != act.channels:
            raise NetworkError(f"{self.type} expects {self.NumChannels} channels (NumChannels) but its input has "
                               f"{act.channels}")
        return act.channels

    def pads(self, act: Act) -> tuple[int, int]:
        return padding_1d(need_1d(self, act), self.FilterSize, self.Stride, self.DilationFactor, self.Padding)

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        self._channels(act)
        n = need_1d(self, act)
        left, right = self.pads(act)
        eff = (self.FilterSize - 1) * self.DilationFactor + 1
        if n + left + right < eff:
            raise NetworkError(f"{self.type}: filter of size {eff} (with dilation) is longer than the padded input "
                               f"{n + left + right}")
        return _along(act, (n + left + right - eff) // self.Stride + 1, self.NumFilters)

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        return {"Weights": (self.FilterSize, self._channels(inputs[0]), self.NumFilters), "Bias": (1, self.NumFilters)}

    def description(self) -> str:
        pad = f"'{self.Padding}'" if isinstance(self.Padding, str) else fmt_vec(self.Padding)
        return f"{self.NumFilters} {self.FilterSize} convolutions with stride {self.Stride} and padding {pad}"

    def build(self, inputs: list[Act]) -> nn.Module:
        c = self._channels(inputs[0])
        m = _Conv1d(c, self.NumFilters, self.FilterSize, self.Stride, self.DilationFactor, self.Padding,
                    self.PaddingValue)
        fill(m, "Weights", self.WeightsInitializer, self.FilterSize * c, self.FilterSize * self.NumFilters)
        fill(m, "Bias", self.BiasInitializer, self.FilterSize * c, self.FilterSize * self.NumFilters)
        return m


def cropping_1d(k: int, s: int, cropping: str | tuple[int, int]) -> tuple[int, int]:
    """[left right] cropping; 'same' (total F − S) cuts the odd extra element at the end; negative: pad."""
    if cropping != "same":
        return cropping  # type: ignore[return-value]
    total = k - s
    left = total // 2 if total >= 0 else 0
    return left, total - left


class _TConv1d(LayerModule):
    """1-D transposed convolution of B×C×L batches; MATLAB-layout weights FilterSize×NumFilters×C."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, crop: tuple[int, int]) -> None:
        super().__init__()
        self.Weights = nn.Parameter(torch.empty(cin, cout, k))
        self.Bias = nn.Parameter(torch.empty(cout))
        self.layout = {"Weights": ((2, 1, 0), (k, cout, cin)), "Bias": ((0,), (1, cout))}
        self.stride, (self.left, self.right) = stride, crop
        self.sym = max(min(crop), 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.conv_transpose1d(x, self.Weights, self.Bias, self.stride, self.sym)
        left, right = self.left - self.sym, self.right - self.sym
        if right < 0:  # 'same' with FilterSize < Stride: MATLAB pads the end up to Stride·length
            y = F.pad(y, (0, -right))
            right = 0
        return y[..., left: y.shape[-1] - right] if left or right else y


class TransposedConv1DLayer(WithInitializers):
    """transposedConv1dLayer(filterSize, numFilters): 1-D transposed convolution over S or T."""

    type: Literal["transposedConv1dLayer"] = "transposedConv1dLayer"
    FilterSize: PositiveInt
    NumFilters: PositiveInt
    Stride: PositiveInt = 1
    Cropping: Cropping1D = (0, 0)
    NumChannels: int | Literal["auto"] = "auto"
    type_label: ClassVar[str] = "1-D Transposed Convolution"
    size_rule: ClassVar[str] = "`S·(in − 1) + F − (pt + pb)`; `'same'`: `S·in`; channels `NumFilters`"
    default_name: ClassVar[str] = "transposed-conv1d"
    positional: ClassVar[tuple[str, ...]] = ("FilterSize", "NumFilters")
    required: ClassVar[int] = 2
    family: ClassVar[str] = "conv"
    onnx: ClassVar = onnx_emitter()  # ConvTranspose with one spatial axis

    _channels = Convolution1DLayer._channels

    def crops(self) -> tuple[int, int]:
        return cropping_1d(self.FilterSize, self.Stride, self.Cropping)

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        self._channels(act)
        n = need_1d(self, act)
        left, right = self.crops()
        size = self.Stride * n if self.Cropping == "same" else self.Stride * (n - 1) + self.FilterSize - left - right
        if size < 1:
            raise NetworkError(f"{self.type}: cropping {fmt_vec(self.Cropping)} removes the whole output")
        return _along(act, size, self.NumFilters)

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        return {"Weights": (self.FilterSize, self.NumFilters, self._channels(inputs[0])), "Bias": (1, self.NumFilters)}

    def description(self) -> str:
        crop = "'same'" if self.Cropping == "same" else fmt_vec(self.Cropping)
        return (f"{self.NumFilters} {self.FilterSize} transposed convolutions with stride {self.Stride} and "
                f"cropping {crop}")

    def build(self, inputs: list[Act]) -> nn.Module:
        c = self._channels(inputs[0])
        m = _TConv1d(c, self.NumFilters, self.FilterSize, self.Stride, self.crops())
        fill(m, "Weights", self.WeightsInitializer, self.FilterSize * self.NumFilters, self.FilterSize * c)
        fill(m, "Bias", self.BiasInitializer, self.FilterSize * self.NumFilters, self.FilterSize * c)
        return m
