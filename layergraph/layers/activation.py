"""Activation layers: reluLayer, leakyReluLayer, clippedReluLayer, eluLayer, geluLayer, swishLayer, tanhLayer,
sigmoidLayer, softmaxLayer, dropoutLayer."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import torch
from torch import nn

from layergraph.layers.base import Layer, onnx_emitter, onnx_op
from layergraph.layers.options import Lower, NonNegative, Prob, Real
from layergraph.sizes import Act


class _Activation(Layer):
    """A layer that maps each element alone (its output has the input's size)."""

    family: ClassVar[str] = "act"
    elementwise: ClassVar[bool] = True


class ReLULayer(_Activation):
    """reluLayer(): max(x, 0)."""

    type: Literal["reluLayer"] = "reluLayer"
    type_label: ClassVar[str] = "ReLU"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "relu"
    onnx: ClassVar = onnx_op("Relu")

    def description(self) -> str:
        return "ReLU"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.ReLU()


class LeakyReLULayer(_Activation):
    """leakyReluLayer(scale=0.01): x for x ≥ 0, scale·x otherwise."""

    type: Literal["leakyReluLayer"] = "leakyReluLayer"
    Scale: float = 0.01
    type_label: ClassVar[str] = "Leaky ReLU"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "leakyrelu"
    positional: ClassVar[tuple[str, ...]] = ("Scale",)
    onnx: ClassVar = onnx_op("LeakyRelu", alpha="Scale")

    def description(self) -> str:
        return f"Leaky ReLU with scale {self.Scale:g}"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.LeakyReLU(self.Scale)


class ELULayer(_Activation):
    """eluLayer(alpha=1): x for x ≥ 0, alpha·(exp(x) − 1) otherwise."""

    type: Literal["eluLayer"] = "eluLayer"
    Alpha: Real = 1.0
    type_label: ClassVar[str] = "ELU"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "elu"
    positional: ClassVar[tuple[str, ...]] = ("Alpha",)
    onnx: ClassVar = onnx_op("Elu", alpha="Alpha")

    def description(self) -> str:
        return f"ELU with Alpha {self.Alpha:g}"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.ELU(self.Alpha)


class TanhLayer(_Activation):
    """tanhLayer(): hyperbolic tangent.

    Its automatic name is 'layer' (not 'tanh'): the CGAN generator table in MATLAB's documentation
    names its unnamed tanh layer 'layer_2'.
    """

    type: Literal["tanhLayer"] = "tanhLayer"
    type_label: ClassVar[str] = "Tanh"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "layer"
    onnx: ClassVar = onnx_op("Tanh")

    def description(self) -> str:
        return "Hyperbolic tangent"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.Tanh()


class SigmoidLayer(_Activation):
    """sigmoidLayer(): 1/(1+exp(−x))."""

    type: Literal["sigmoidLayer"] = "sigmoidLayer"
    type_label: ClassVar[str] = "Sigmoid"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "sigmoid"
    onnx: ClassVar = onnx_op("Sigmoid")

    def description(self) -> str:
        return "sigmoid"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.Sigmoid()


class SoftmaxLayer(Layer):
    """softmaxLayer(): softmax over the channel dimension."""

    type: Literal["softmaxLayer"] = "softmaxLayer"
    type_label: ClassVar[str] = "Softmax"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "softmax"
    family: ClassVar[str] = "act"
    onnx: ClassVar = onnx_op("Softmax", axis=1)  # imported by its own handler: only over channels

    def description(self) -> str:
        return "softmax"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.Softmax(dim=1)


class DropoutLayer(Layer):
    """dropoutLayer(probability=0.5): zero inputs with this probability in training, scale the rest."""

    type: Literal["dropoutLayer"] = "dropoutLayer"
    Probability: Prob = 0.5
    type_label: ClassVar[str] = "Dropout"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "dropout"
    positional: ClassVar[tuple[str, ...]] = ("Probability",)
    family: ClassVar[str] = "other"
    elementwise: ClassVar[bool] = True
    onnx: ClassVar = onnx_emitter(imports=("Dropout",))  # opset 12+ takes the ratio as an input

    def description(self) -> str:
        return f"{self.Probability * 100:g}% dropout"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.Dropout(self.Probability)


class _Clip(nn.Module):
    def __init__(self, ceiling: float) -> None:
        super().__init__()
        self.ceiling = ceiling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp(0.0, self.ceiling)


class ClippedReLULayer(_Activation):
    """clippedReluLayer(ceiling): 0 below zero, x up to `ceiling`, `ceiling` above it."""

    type: Literal["clippedReluLayer"] = "clippedReluLayer"
    Ceiling: NonNegative
    type_label: ClassVar[str] = "Clipped ReLU"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "clippedrelu"
    positional: ClassVar[tuple[str, ...]] = ("Ceiling",)
    required: ClassVar[int] = 1
    onnx: ClassVar = onnx_emitter()  # Clip with min and max as inputs (opset 11+)

    def description(self) -> str:
        return f"Clipped ReLU with ceiling {self.Ceiling:g}"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Clip(self.Ceiling)


class GELULayer(_Activation):
    """geluLayer(): x·Φ(x) with the normal distribution's CDF Φ (Approximation 'none', erf) or its tanh
    approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (Approximation 'tanh')."""

    type: Literal["geluLayer"] = "geluLayer"
    Approximation: Annotated[Literal["none", "tanh"], Lower] = "none"
    type_label: ClassVar[str] = "GELU"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "gelu"
    onnx: ClassVar = onnx_emitter()  # Gelu (opset 20) or its Erf/Tanh decomposition

    def description(self) -> str:
        return "GELU" if self.Approximation == "none" else f"GELU with '{self.Approximation}' approximation"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.GELU(approximate=self.Approximation)


class SwishLayer(_Activation):
    """swishLayer(): x·sigmoid(x)."""

    type: Literal["swishLayer"] = "swishLayer"
    type_label: ClassVar[str] = "Swish"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "swish"
    onnx: ClassVar = onnx_emitter()  # Sigmoid then Mul

    def description(self) -> str:
        return "swish"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.SiLU()
