"""groupedConvolution2dLayer: 2-D convolution of channel groups (channel-wise when each channel is a group)."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import BeforeValidator
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import LayerModule, WithInitializers, fill, fmt_vec, need_image, onnx_emitter
from layergraph.layers.conv import conv_padding, split_padding
from layergraph.layers.options import FourSides, Pair, PositiveInt, plain
from layergraph.layers.padding import PadValue
from layergraph.layers.padding import pad as pad_input
from layergraph.sizes import Act


def _groups(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, str):
        if value.lower() == "channel-wise":
            return "channel-wise"
        raise ValueError("NumGroups must be a positive integer or 'channel-wise'")
    return value


NumGroups = Annotated[PositiveInt | Literal["channel-wise"], BeforeValidator(_groups)]


class _GroupedConv(LayerModule):
    """Grouped 2-D convolution in NCHW; MATLAB-layout weights FH×FW×C/G×F/G×G, bias 1×1×F/G×G.

    The torch weights are held as G×(F/G)×(C/G)×FH×FW, so that MATLAB's five axes are a permutation of them.
    """

    def __init__(self, cpg: int, fpg: int, groups: int, k: tuple[int, int], stride: tuple[int, int],
                 dilation: tuple[int, int], pad: tuple[int, int, int, int], value: float | str) -> None:
        super().__init__()
        self.Weights = nn.Parameter(torch.empty(groups, fpg, cpg, *k))
        self.Bias = nn.Parameter(torch.empty(groups, fpg))
        self.layout = {"Weights": ((3, 4, 2, 1, 0), (k[0], k[1], cpg, fpg, groups)),
                       "Bias": ((1, 0), (1, 1, fpg, groups))}
        self.groups, self.stride, self.dilation, self.value = groups, stride, dilation, value
        self.sym, self.extra = split_padding(pad, value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.extra is not None:
            x = pad_input(x, self.extra, self.value)
        w = self.Weights.reshape(-1, *self.Weights.shape[2:])  # output channel g·F/G + f, as torch's groups
        return F.conv2d(x, w, self.Bias.reshape(-1), self.stride, self.sym, self.dilation, self.groups)


class GroupedConvolution2DLayer(WithInitializers):
    """groupedConvolution2dLayer(filterSize, numFiltersPerGroup, numGroups): the input channels split into
    numGroups groups, each convolved with its own numFiltersPerGroup filters; 'channel-wise': one group per
    input channel (depth-wise convolution)."""

    type: Literal["groupedConvolution2dLayer"] = "groupedConvolution2dLayer"
    FilterSize: Pair
    NumFiltersPerGroup: PositiveInt
    NumGroups: NumGroups
    Stride: Pair = (1, 1)
    DilationFactor: Pair = (1, 1)
    Padding: FourSides = (0, 0, 0, 0)
    PaddingValue: PadValue = 0.0
    NumChannelsPerGroup: int | Literal["auto"] = "auto"
    type_label: ClassVar[str] = "Grouped Convolution"
    size_rule: ClassVar[str] = "as convolution2dLayer; channels `NumFiltersPerGroup·NumGroups`"
    default_name: ClassVar[str] = "groupedconv"
    positional: ClassVar[tuple[str, ...]] = ("FilterSize", "NumFiltersPerGroup", "NumGroups")
    required: ClassVar[int] = 3
    family: ClassVar[str] = "conv"
    onnx: ClassVar = onnx_emitter(imports=("Conv",))  # Conv with `group`

    def groups(self, act: Act) -> int:
        need_image(self, act)
        return act.channels if self.NumGroups == "channel-wise" else int(self.NumGroups)

    def channels_per_group(self, act: Act) -> int:
        g = self.groups(act)
        if act.channels % g:
            raise NetworkError(f"{self.type}: {act.channels} input channels do not split into {g} groups")
        cpg = act.channels // g
        if self.NumChannelsPerGroup != "auto" and self.NumChannelsPerGroup != cpg:
            raise NetworkError(f"{self.type} expects {self.NumChannelsPerGroup} channels per group "
                               f"(NumChannelsPerGroup) but its input has {cpg}")
        return cpg

    def pads(self, act: Act) -> tuple[int, int, int, int]:
        return conv_padding(act.spatial, self.FilterSize, self.Stride, self.DilationFactor, self.Padding)

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        self.channels_per_group(act)
        t, b, left, r = self.pads(act)
        out = []
        for n, k, s, d, p in zip(act.spatial, self.FilterSize, self.Stride, self.DilationFactor, (t + b, left + r)):
            eff = (k - 1) * d + 1
            if n + p < eff:
                raise NetworkError(f"{self.type}: filter of size {eff} (with dilation) is larger than the padded "
                                   f"input {n + p}")
            out.append((n + p - eff) // s + 1)
        return Act((out[0], out[1], self.NumFiltersPerGroup * self.groups(act)), "SSC")

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        act = inputs[0]
        cpg, g = self.channels_per_group(act), self.groups(act)
        return {"Weights": (*self.FilterSize, cpg, self.NumFiltersPerGroup, g),
                "Bias": (1, 1, self.NumFiltersPerGroup, g)}

    def description(self) -> str:
        pad = "'same'" if self.Padding == "same" else fmt_vec(self.Padding)
        groups = "channel-wise" if self.NumGroups == "channel-wise" else f"{self.NumGroups} groups of"
        return (f"{groups} {self.NumFiltersPerGroup} {self.FilterSize[0]}×{self.FilterSize[1]} convolutions with "
                f"stride {fmt_vec(self.Stride)} and padding {pad}")

    def build(self, inputs: list[Act]) -> nn.Module:
        act = inputs[0]
        cpg, g = self.channels_per_group(act), self.groups(act)
        m = _GroupedConv(cpg, self.NumFiltersPerGroup, g, self.FilterSize, self.Stride, self.DilationFactor,
                         self.pads(act), self.PaddingValue)
        area = self.FilterSize[0] * self.FilterSize[1]
        # MATLAB's fan sizes for grouped convolution: per group
        fill(m, "Weights", self.WeightsInitializer, area * cpg, area * self.NumFiltersPerGroup)
        fill(m, "Bias", self.BiasInitializer, area * cpg, area * self.NumFiltersPerGroup)
        return m
