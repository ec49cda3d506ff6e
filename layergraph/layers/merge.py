"""Multi-input layers: concatenationLayer, depthConcatenationLayer, additionLayer, multiplicationLayer."""
from __future__ import annotations

from typing import ClassVar, Literal

import torch
from torch import nn

from layergraph.errors import NetworkError
from layergraph.formats import torch_axis
from layergraph.layers.base import Layer, onnx_emitter
from layergraph.layers.options import PortCount
from layergraph.sizes import Act


class _MultiInput(Layer):
    """A layer with inputs in1…inN (MATLAB's NumInputs)."""

    NumInputs: PortCount = 2
    family: ClassVar[str] = "merge"

    @property
    def input_names(self) -> list[str]:
        return [f"in{i + 1}" for i in range(self.NumInputs)]

    def _mismatch(self, inputs: list[Act], what: str) -> NetworkError:
        sizes = ", ".join(f"in{i + 1} {a}" for i, a in enumerate(inputs))
        return NetworkError(f"{self.type}: input sizes do not match{' ' + what if what else ''} ({sizes})")


class _Cat(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, self.dim)


class _Add(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class ConcatenationLayer(_MultiInput):
    """concatenationLayer(dim, numInputs): concatenate along MATLAB dimension `dim` (3 = channels)."""

    type: Literal["concatenationLayer"] = "concatenationLayer"
    Dim: int
    type_label: ClassVar[str] = "Concatenation"
    size_rule: ClassVar[str] = "sum along dimension `Dim`, other dimensions equal"
    default_name: ClassVar[str] = "concat"
    positional: ClassVar[tuple[str, ...]] = ("Dim", "NumInputs")
    required: ClassVar[int] = 2
    onnx: ClassVar = onnx_emitter(imports=("Concat",))

    def output_size(self, inputs: list[Act]) -> Act:
        first = inputs[0]
        if any(a.fmt != first.fmt for a in inputs):
            raise self._mismatch(inputs, "in format")
        if self.Dim < 1 or self.Dim > len(first.size):
            raise NetworkError(f"{self.type}: Dim {self.Dim} does not exist for {first.fmt}-format input")
        k = self.Dim - 1
        for a in inputs[1:]:
            if any(a.size[i] != first.size[i] for i in range(len(first.size)) if i != k):
                raise self._mismatch(inputs, f"outside dimension {self.Dim}")
        size = list(first.size)
        size[k] = sum(a.size[k] for a in inputs)
        return Act(tuple(size), first.fmt)

    def description(self) -> str:
        return f"Concatenation of {self.NumInputs} inputs along dimension {self.Dim}"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Cat(torch_axis(inputs[0].batch_fmt, self.Dim))


class DepthConcatenationLayer(_MultiInput):
    """depthConcatenationLayer(numInputs): concatenate along channels."""

    type: Literal["depthConcatenationLayer"] = "depthConcatenationLayer"
    type_label: ClassVar[str] = "Depth concatenation"
    size_rule: ClassVar[str] = "channels summed, spatial sizes equal"
    default_name: ClassVar[str] = "depthcat"
    positional: ClassVar[tuple[str, ...]] = ("NumInputs",)
    required: ClassVar[int] = 1
    onnx: ClassVar = onnx_emitter(not_back="Concat along channels imports as concatenationLayer(3, n), the same "
                                  "operation")

    def output_size(self, inputs: list[Act]) -> Act:
        first = inputs[0]
        if any(a.fmt != first.fmt or a.spatial != first.spatial for a in inputs):
            raise self._mismatch(inputs, "in their spatial sizes")
        c = first.fmt.index("C")
        size = list(first.size)
        size[c] = sum(a.channels for a in inputs)
        return Act(tuple(size), first.fmt)

    def description(self) -> str:
        return f"Depth concatenation of {self.NumInputs} inputs"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Cat(1)


class AdditionLayer(_MultiInput):
    """additionLayer(numInputs): element-wise sum of equally sized inputs."""

    type: Literal["additionLayer"] = "additionLayer"
    type_label: ClassVar[str] = "Addition"
    size_rule: ClassVar[str] = "the common size of its inputs"
    default_name: ClassVar[str] = "addition"
    positional: ClassVar[tuple[str, ...]] = ("NumInputs",)
    required: ClassVar[int] = 1
    onnx: ClassVar = onnx_emitter(imports=("Add", "Sum"))

    def output_size(self, inputs: list[Act]) -> Act:
        if any(a != inputs[0] for a in inputs):
            raise self._mismatch(inputs, "")
        return inputs[0]

    def description(self) -> str:
        return f"Element-wise addition of {self.NumInputs} inputs"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Add()


class _Mul(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class MultiplicationLayer(_MultiInput):
    """multiplicationLayer(numInputs): element-wise product; inputs have the same size, or size 1 in the
    dimensions where they differ (expanded as MATLAB does)."""

    type: Literal["multiplicationLayer"] = "multiplicationLayer"
    type_label: ClassVar[str] = "Multiplication"
    size_rule: ClassVar[str] = "the common size of its inputs, dimensions of size 1 expanded"
    default_name: ClassVar[str] = "multiplication"
    positional: ClassVar[tuple[str, ...]] = ("NumInputs",)
    required: ClassVar[int] = 1
    onnx: ClassVar = onnx_emitter(imports=("Mul",))

    def output_size(self, inputs: list[Act]) -> Act:
        if any(a.fmt != inputs[0].fmt for a in inputs):
            raise self._mismatch(inputs, "(formats differ)")
        size = []
        for dims in zip(*(a.size for a in inputs)):
            big = {d for d in dims if d != 1}
            if len(big) > 1:
                raise self._mismatch(inputs, "(each dimension must agree or be 1)")
            size.append(big.pop() if big else 1)
        return Act(tuple(size), inputs[0].fmt)

    def description(self) -> str:
        return f"Element-wise multiplication of {self.NumInputs} inputs"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Mul()
