"""maxPooling1dLayer, averagePooling1dLayer, globalAveragePooling1dLayer, globalMaxPooling1dLayer: pooling over
T of "CBT" sequences or over S of "SCB" signals, as MATLAB's 1-D pooling layers."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import BeforeValidator
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, fmt_vec, onnx_emitter, same_total
from layergraph.layers.conv1d import Cropping1D, need_1d
from layergraph.layers.options import PositiveInt, plain
from layergraph.sizes import Act

Padding1D = Cropping1D  # 'same', p (both sides) or [left right]: the same rule as 1-D cropping


def _avg_padding_value(value: Any) -> float | str:
    value = plain(value)
    if isinstance(value, str) and value.lower() == "mean":
        return "mean"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0.0
    raise ValueError("PaddingValue must be 0 or 'mean'")


AvgPadValue = Annotated[float | str, BeforeValidator(_avg_padding_value)]


def pool_padding_1d(n: int, k: int, s: int, padding: str | tuple[int, int]) -> tuple[int, int]:
    """[left right] padding; 'same' gives ceil(n/s) outputs with the odd extra element at the end."""
    if padding == "same":
        total = same_total(n, k, s)
        return total // 2, total - total // 2
    return padding  # type: ignore[return-value]


class _Pool1d(nn.Module):
    """Max or average pooling of B×C×L batches; 'same' padding is worked out per call (sequence lengths vary)."""

    def __init__(self, kind: str, k: int, s: int, padding: str | tuple[int, int], value: float | str) -> None:
        super().__init__()
        self.kind, self.k, self.s, self.padding, self.value = kind, k, s, padding, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left, right = pool_padding_1d(x.shape[-1], self.k, self.s, self.padding)
        if self.kind == "max":
            if left or right:  # a padded element is never the maximum
                x = F.pad(x, (left, right), value=float("-inf"))
            return F.max_pool1d(x, self.k, self.s)
        if self.value == "mean":  # padded elements take the window's mean: the average of the real ones
            ones = F.pad(torch.ones_like(x[:1, :1]), (left, right))
            total = F.avg_pool1d(F.pad(x, (left, right)), self.k, self.s)
            return total / F.avg_pool1d(ones, self.k, self.s)
        return F.avg_pool1d(F.pad(x, (left, right)) if left or right else x, self.k, self.s)


def _along(act: Act, n: int) -> Act:
    return act.with_size(S=(n,)) if act.fmt == "SC" else act.with_size(T=n)


class _Pooling1D(Layer):
    """Options shared by the 1-D pooling layers."""

    PoolSize: PositiveInt
    Stride: PositiveInt = 1
    Padding: Padding1D = (0, 0)
    positional: ClassVar[tuple[str, ...]] = ("PoolSize",)
    required: ClassVar[int] = 1
    family: ClassVar[str] = "pool"
    kind: ClassVar[str] = "max"

    def pads(self, act: Act) -> tuple[int, int]:
        return pool_padding_1d(need_1d(self, act), self.PoolSize, self.Stride, self.Padding)

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        n = need_1d(self, act)
        left, right = self.pads(act)
        if max(left, right) > self.PoolSize:  # MATLAB: PoolSize must be at least the padding
            raise NetworkError(f"{self.type}: padding {fmt_vec((left, right))} is larger than the pool size "
                               f"{self.PoolSize}")
        if n + left + right < self.PoolSize:
            raise NetworkError(f"{self.type}: pool size {self.PoolSize} is larger than the padded input "
                               f"{n + left + right}")
        return _along(act, (n + left + right - self.PoolSize) // self.Stride + 1)

    def description(self) -> str:
        pad = "'same'" if self.Padding == "same" else fmt_vec(self.Padding)
        what = "max" if self.kind == "max" else "average"
        return f"pool size {self.PoolSize} {what} pooling with stride {self.Stride} and padding {pad}"

    def build(self, inputs: list[Act]) -> nn.Module:
        need_1d(self, inputs[0])
        return _Pool1d(self.kind, self.PoolSize, self.Stride, self.Padding, getattr(self, "PaddingValue", 0.0))


class MaxPooling1DLayer(_Pooling1D):
    """maxPooling1dLayer(poolSize): maximum over each window along T ("CBT") or S ("SCB")."""

    type: Literal["maxPooling1dLayer"] = "maxPooling1dLayer"
    type_label: ClassVar[str] = "1-D Max Pooling"
    size_rule: ClassVar[str] = "`floor((in + pt + pb − F) / S) + 1`; `'same'`: `ceil(in/S)`; channels unchanged"
    default_name: ClassVar[str] = "maxpool1d"
    kind: ClassVar[str] = "max"
    onnx: ClassVar = onnx_emitter(imports=("MaxPool",))


class AveragePooling1DLayer(_Pooling1D):
    """averagePooling1dLayer(poolSize): mean over each window; PaddingValue 0 counts padded zeros, 'mean'
    leaves them out."""

    type: Literal["averagePooling1dLayer"] = "averagePooling1dLayer"
    PaddingValue: AvgPadValue = 0.0
    type_label: ClassVar[str] = "1-D Average Pooling"
    size_rule: ClassVar[str] = "`floor((in + pt + pb − F) / S) + 1`; `'same'`: `ceil(in/S)`; channels unchanged"
    default_name: ClassVar[str] = "avgpool1d"
    kind: ClassVar[str] = "average"
    onnx: ClassVar = onnx_emitter(imports=("AveragePool",))


class _GlobalPool1d(nn.Module):
    def __init__(self, kind: str, keep: bool) -> None:
        super().__init__()
        self.kind, self.keep = kind, keep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.amax(-1, keepdim=self.keep) if self.kind == "max" else x.mean(-1, keepdim=self.keep)


class _GlobalPooling1D(Layer):
    """Pooling over all of T ("CBT" → "CB") or S ("SCB" → 1×C)."""

    family: ClassVar[str] = "pool"
    kind: ClassVar[str] = "max"

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        need_1d(self, act)
        return act.with_size(S=(1,)) if act.fmt == "SC" else Act((act.channels,), "C")

    def description(self) -> str:
        return f"1-D global {'max' if self.kind == 'max' else 'average'} pooling"

    def build(self, inputs: list[Act]) -> nn.Module:
        need_1d(self, inputs[0])
        return _GlobalPool1d(self.kind, keep=inputs[0].fmt == "SC")  # "SCB" keeps S (size 1), "CBT" drops T


class GlobalAveragePooling1DLayer(_GlobalPooling1D):
    """globalAveragePooling1dLayer(): mean over T of sequences (output "CB") or over S of 1-D signals."""

    type: Literal["globalAveragePooling1dLayer"] = "globalAveragePooling1dLayer"
    type_label: ClassVar[str] = "1-D Global Average Pooling"
    size_rule: ClassVar[str] = "one time step, dropped (`CBT` → `CB`); spatial input (`SCB`) keeps `S` as 1"
    default_name: ClassVar[str] = "gapool1d"
    kind: ClassVar[str] = "average"
    onnx: ClassVar = onnx_emitter(imports=("GlobalAveragePool", "ReduceMean"))


class GlobalMaxPooling1DLayer(_GlobalPooling1D):
    """globalMaxPooling1dLayer(): maximum over T of sequences (output "CB") or over S of 1-D signals."""

    type: Literal["globalMaxPooling1dLayer"] = "globalMaxPooling1dLayer"
    type_label: ClassVar[str] = "1-D Global Max Pooling"
    size_rule: ClassVar[str] = "one time step, dropped (`CBT` → `CB`); spatial input (`SCB`) keeps `S` as 1"
    default_name: ClassVar[str] = "gmpool1d"
    kind: ClassVar[str] = "max"
    onnx: ClassVar = onnx_emitter(imports=("GlobalMaxPool", "ReduceMax"))
