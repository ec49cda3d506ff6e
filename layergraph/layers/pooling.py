"""maxPooling2dLayer, averagePooling2dLayer, globalAveragePooling2dLayer."""
from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, fmt_vec, need_image, onnx_emitter, onnx_op
from layergraph.layers.conv import conv_padding
from layergraph.layers.options import FourSides, Pair
from layergraph.sizes import Act


class _Pool(nn.Module):
    """Max or average pooling with explicit [t b l r] padding (zeros count in averages, as MATLAB)."""

    def __init__(self, kind: str, k: tuple[int, int], s: tuple[int, int], pad: tuple[int, int, int, int]) -> None:
        super().__init__()
        self.kind, self.k, self.s = kind, k, s
        t, b, left, r = pad
        self.pad = (left, r, t, b) if any(pad) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad is not None:
            # max pooling must never pick a padded value; average pooling counts zeros like MATLAB's default
            x = F.pad(x, self.pad, value=float("-inf") if self.kind == "max" else 0.0)
        if self.kind == "max":
            return F.max_pool2d(x, self.k, self.s)
        return F.avg_pool2d(x, self.k, self.s)


class _Pooling2D(Layer):
    """Options shared by the 2-D pooling layers."""

    PoolSize: Pair
    Stride: Pair = (1, 1)
    Padding: FourSides = (0, 0, 0, 0)
    positional: ClassVar[tuple[str, ...]] = ("PoolSize",)
    required: ClassVar[int] = 1
    kind: ClassVar[str] = "max"
    family: ClassVar[str] = "pool"

    def _pads(self, act: Act) -> tuple[int, int, int, int]:
        return conv_padding(act.spatial, self.PoolSize, self.Stride, (1, 1), self.Padding)

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        need_image(self, act)
        t, b, left, r = self._pads(act)
        out = []
        for n, k, s, p in zip(act.spatial, self.PoolSize, self.Stride, (t + b, left + r)):
            if n + p < k:
                raise NetworkError(f"{self.type}: pool size {k} is larger than the padded input {n + p}")
            out.append((n + p - k) // s + 1)
        return Act((out[0], out[1], act.channels), "SSC")

    def description(self) -> str:
        pad = "'same'" if self.Padding == "same" else fmt_vec(self.Padding)
        what = "max" if self.kind == "max" else "average"
        size = f"{self.PoolSize[0]}×{self.PoolSize[1]}"
        return f"{size} {what} pooling with stride {fmt_vec(self.Stride)} and padding {pad}"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Pool(self.kind, self.PoolSize, self.Stride, self._pads(inputs[0]))


class MaxPooling2DLayer(_Pooling2D):
    """maxPooling2dLayer(poolSize): maximum over each pooling window."""

    type: Literal["maxPooling2dLayer"] = "maxPooling2dLayer"
    type_label: ClassVar[str] = "Max Pooling"
    size_rule: ClassVar[str] = "`floor((in + pt + pb − F) / S) + 1`; `'same'`: `ceil(in/S)`; channels unchanged"
    default_name: ClassVar[str] = "maxpool"
    kind: ClassVar[str] = "max"
    onnx: ClassVar = onnx_emitter(imports=("MaxPool",))


class AveragePooling2DLayer(_Pooling2D):
    """averagePooling2dLayer(poolSize): mean over each pooling window."""

    type: Literal["averagePooling2dLayer"] = "averagePooling2dLayer"
    type_label: ClassVar[str] = "Average Pooling"
    size_rule: ClassVar[str] = "`floor((in + pt + pb − F) / S) + 1`; `'same'`: `ceil(in/S)`; channels unchanged"
    default_name: ClassVar[str] = "avgpool"
    kind: ClassVar[str] = "average"
    onnx: ClassVar = onnx_emitter(imports=("AveragePool",))


class _GlobalAvg(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean((2, 3), keepdim=True)


class GlobalAveragePooling2DLayer(Layer):
    """globalAveragePooling2dLayer(): mean over H and W, giving 1×1×C."""

    type: Literal["globalAveragePooling2dLayer"] = "globalAveragePooling2dLayer"
    type_label: ClassVar[str] = "Global Average Pooling"
    size_rule: ClassVar[str] = "`1×1×c`"
    default_name: ClassVar[str] = "gapool"
    family: ClassVar[str] = "pool"
    onnx: ClassVar = onnx_op("GlobalAveragePool", imports=("GlobalAveragePool", "ReduceMean"))

    def output_size(self, inputs: list[Act]) -> Act:
        need_image(self, inputs[0])
        return Act((1, 1, inputs[0].channels), "SSC")

    def description(self) -> str:
        return "Global average pooling"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _GlobalAvg()
