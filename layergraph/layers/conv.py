"""convolution2dLayer and transposedConv2dLayer with MATLAB's padding/cropping rules."""
from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import (
    LayerModule,
    WithInitializers,
    fill,
    fmt_vec,
    need_image,
    onnx_emitter,
    same_total,
)
from layergraph.layers.options import FourSides, Pair, PositiveInt
from layergraph.layers.padding import PadValue
from layergraph.layers.padding import pad as pad_input
from layergraph.sizes import Act


class _ConvBase(WithInitializers):
    """Options shared by the two convolution layers."""

    FilterSize: Pair
    NumFilters: PositiveInt
    Stride: Pair = (1, 1)
    NumChannels: int | Literal["auto"] = "auto"
    positional: ClassVar[tuple[str, ...]] = ("FilterSize", "NumFilters")
    required: ClassVar[int] = 2
    family: ClassVar[str] = "conv"

    def _channels(self, act: Act) -> int:
        need_image(self, act)
        if self.NumChannels != "auto" and self.NumChannels != act.channels:
            raise NetworkError(f"{self.type} expects {self.NumChannels} channels (NumChannels) "
                               f"but its input has {act.channels}")
        return act.channels


def split_padding(pad: tuple[int, int, int, int], value: Any) -> tuple[tuple[int, int], tuple[int, ...] | None]:
    """MATLAB's [top bottom left right] padding as (the symmetric zero padding torch's convolution takes, the
    rest for F.pad first — left, right, top, bottom — or None): torch pads only symmetrically with zeros."""
    t, b, left, r = pad
    sym = (min(t, b), min(left, r)) if value == 0 else (0, 0)
    extra = (left - sym[1], r - sym[1], t - sym[0], b - sym[0])
    return sym, extra if any(extra) else None


def conv_padding(in_hw: tuple[int, ...], k: tuple[int, int], s: tuple[int, int], d: tuple[int, int],
                 padding: str | tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """[top bottom left right] padding; for 'same' the odd extra row/column goes bottom/right."""
    if padding != "same":
        return padding  # type: ignore[return-value]
    eff = [(k[i] - 1) * d[i] + 1 for i in range(2)]
    th, tw = (same_total(in_hw[i], eff[i], s[i]) for i in range(2))
    return th // 2, th - th // 2, tw // 2, tw - tw // 2


class _Conv(LayerModule):
    """2-D convolution in NCHW with MATLAB-layout weights (H×W×C×F) and explicit [t b l r] padding."""

    def __init__(self, cin: int, cout: int, k: tuple[int, int], stride: tuple[int, int],
                 dilation: tuple[int, int], pad: tuple[int, int, int, int], value: float | str = 0.0) -> None:
        super().__init__()
        self.Weights = nn.Parameter(torch.empty(cout, cin, *k))
        self.Bias = nn.Parameter(torch.empty(cout))
        self.layout = {"Weights": ((2, 3, 1, 0), (k[0], k[1], cin, cout)), "Bias": ((0,), (1, 1, cout))}
        self.stride, self.dilation, self.value = stride, dilation, value
        self.sym, self.extra = split_padding(pad, value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.extra is not None:
            x = pad_input(x, self.extra, self.value)
        return F.conv2d(x, self.Weights, self.Bias, self.stride, self.sym, self.dilation)


class Convolution2DLayer(_ConvBase):
    """convolution2dLayer(filterSize, numFilters): 2-D convolution."""

    type: Literal["convolution2dLayer"] = "convolution2dLayer"
    DilationFactor: Pair = (1, 1)
    Padding: FourSides = (0, 0, 0, 0)
    PaddingValue: PadValue = 0.0
    type_label: ClassVar[str] = "Convolution"
    size_rule: ClassVar[str] = ("`floor((in + pt + pb − ((F−1)·D + 1)) / S) + 1`; `'same'`: `ceil(in/S)`; channels "
                                "`NumFilters`")
    default_name: ClassVar[str] = "conv"
    onnx: ClassVar = onnx_emitter(imports=("Conv",))

    def _pads(self, act: Act) -> tuple[int, int, int, int]:
        return conv_padding(act.spatial, self.FilterSize, self.Stride, self.DilationFactor, self.Padding)

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        self._channels(act)
        t, b, left, r = self._pads(act)
        out = []
        for n, k, s, d, p in zip(act.spatial, self.FilterSize, self.Stride, self.DilationFactor,
                                 ((t, b), (left, r))):
            eff = (k - 1) * d + 1
            if n + p[0] + p[1] < eff:
                raise NetworkError(f"{self.type}: filter of size {eff} (with dilation) is larger than the "
                                   f"padded input {n + p[0] + p[1]}")
            out.append((n + p[0] + p[1] - eff) // s + 1)
        return Act((out[0], out[1], self.NumFilters), "SSC")

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        c = self._channels(inputs[0])
        return {"Weights": (*self.FilterSize, c, self.NumFilters), "Bias": (1, 1, self.NumFilters)}

    def description(self) -> str:
        pad = "'same'" if self.Padding == "same" else fmt_vec(self.Padding)
        return (f"{self.NumFilters} {self.FilterSize[0]}×{self.FilterSize[1]} convolutions with stride "
                f"{fmt_vec(self.Stride)} and padding {pad}")

    def build(self, inputs: list[Act]) -> nn.Module:
        c = self._channels(inputs[0])
        m = _Conv(c, self.NumFilters, self.FilterSize, self.Stride, self.DilationFactor, self._pads(inputs[0]),
                  self.PaddingValue)
        fan_in = self.FilterSize[0] * self.FilterSize[1] * c
        fan_out = self.FilterSize[0] * self.FilterSize[1] * self.NumFilters
        fill(m, "Weights", self.WeightsInitializer, fan_in, fan_out)
        fill(m, "Bias", self.BiasInitializer, fan_in, fan_out)
        return m


def tconv_cropping(k: tuple[int, int], s: tuple[int, int],
                   cropping: str | tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """[top bottom left right] cropping; for 'same' (total F−S) the extra row/column is cut bottom/right.

    A negative value means the output is padded there instead (MATLAB pads at the end when F < S).
    """
    if cropping != "same":
        return cropping  # type: ignore[return-value]
    th, tw = k[0] - s[0], k[1] - s[1]
    top = th // 2 if th >= 0 else 0
    left = tw // 2 if tw >= 0 else 0
    return top, th - top, left, tw - left


class _TConv(LayerModule):
    """Transposed convolution in NCHW; MATLAB-layout weights H×W×F×C; uneven cropping by slicing."""

    def __init__(self, cin: int, cout: int, k: tuple[int, int], stride: tuple[int, int],
                 crop: tuple[int, int, int, int]) -> None:
        super().__init__()
        self.Weights = nn.Parameter(torch.empty(cin, cout, *k))
        self.Bias = nn.Parameter(torch.empty(cout))
        self.layout = {"Weights": ((2, 3, 1, 0), (k[0], k[1], cout, cin)), "Bias": ((0,), (1, 1, cout))}
        self.stride = stride
        t, b, left, r = crop
        # torch crops symmetrically via `padding`; the uneven remainder is sliced off (a view, no copy)
        self.sym = (max(min(t, b), 0), max(min(left, r), 0))
        rest = (t - self.sym[0], b - self.sym[0], left - self.sym[1], r - self.sym[1])
        self.rest = rest if any(rest) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.conv_transpose2d(x, self.Weights, self.Bias, self.stride, self.sym)
        if self.rest is not None:
            t, b, left, r = self.rest
            if min(self.rest) < 0:  # F < S with 'same': pad at the end up to S·in
                y = F.pad(y, (max(-left, 0), max(-r, 0), max(-t, 0), max(-b, 0)))
                t, b, left, r = max(t, 0), max(b, 0), max(left, 0), max(r, 0)
            y = y[..., t: y.shape[-2] - b, left: y.shape[-1] - r]
        return y


class TransposedConv2DLayer(_ConvBase):
    """transposedConv2dLayer(filterSize, numFilters): 2-D transposed convolution."""

    type: Literal["transposedConv2dLayer"] = "transposedConv2dLayer"
    Cropping: FourSides = (0, 0, 0, 0)
    type_label: ClassVar[str] = "Transposed Convolution"
    size_rule: ClassVar[str] = "`S·(in − 1) + F − (pt + pb)`; `'same'`: `S·in`; channels `NumFilters`"
    default_name: ClassVar[str] = "transposed-conv"
    onnx: ClassVar = onnx_emitter(imports=("ConvTranspose", "Pad"))  # Pad: MATLAB's 'same' with F < S

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        self._channels(act)
        t, b, left, r = tconv_cropping(self.FilterSize, self.Stride, self.Cropping)
        out = []
        for n, k, s, c in zip(act.spatial, self.FilterSize, self.Stride, ((t, b), (left, r))):
            size = s * n if self.Cropping == "same" else s * (n - 1) + k - c[0] - c[1]
            if size < 1:
                raise NetworkError(f"{self.type}: cropping {fmt_vec(self.Cropping)} removes the whole output")
            out.append(size)
        return Act((out[0], out[1], self.NumFilters), "SSC")

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        c = self._channels(inputs[0])
        return {"Weights": (*self.FilterSize, self.NumFilters, c), "Bias": (1, 1, self.NumFilters)}

    def description(self) -> str:
        crop = "'same'" if self.Cropping == "same" else fmt_vec(self.Cropping)
        return (f"{self.NumFilters} {self.FilterSize[0]}×{self.FilterSize[1]} transposed convolutions with "
                f"stride {fmt_vec(self.Stride)} and cropping {crop}")

    def build(self, inputs: list[Act]) -> nn.Module:
        c = self._channels(inputs[0])
        m = _TConv(c, self.NumFilters, self.FilterSize, self.Stride,
                   tconv_cropping(self.FilterSize, self.Stride, self.Cropping))
        area = self.FilterSize[0] * self.FilterSize[1]
        fill(m, "Weights", self.WeightsInitializer, area * self.NumFilters, area * c)
        fill(m, "Bias", self.BiasInitializer, area * self.NumFilters, area * c)
        return m
