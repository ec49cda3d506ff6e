"""trainNetwork's output layers: classificationLayer (cross-entropy) and regressionLayer (half mean squared error).

They compute nothing in the forward pass; they tell trainNetwork which loss to train with (and, for
classification, the class names). MATLAB's dlnetwork and trainnet take networks without them.
"""
from __future__ import annotations

from typing import ClassVar, Literal

from torch import nn

from layergraph.layers.base import Layer, no_onnx

_NO_ONNX = no_onnx("an output layer only tells trainNetwork which loss to use; export the network without it")


class ClassificationOutputLayer(Layer):
    """classificationLayer(): cross-entropy loss over the softmax scores before it; Classes 'auto' or names."""

    type: Literal["classificationLayer"] = "classificationLayer"
    Classes: Literal["auto"] | list[str] = "auto"
    ClassWeights: Literal["none"] = "none"
    type_label: ClassVar[str] = "Classification Output"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "classoutput"
    family: ClassVar[str] = "other"
    onnx: ClassVar = _NO_ONNX

    def description(self) -> str:
        if isinstance(self.Classes, list):
            shown = ", ".join(f"'{c}'" for c in self.Classes[:3]) + (" and more" if len(self.Classes) > 3 else "")
            return f"crossentropyex with {shown}"
        return "crossentropyex"

    def build(self, inputs: list) -> nn.Module:
        return nn.Identity()


class RegressionOutputLayer(Layer):
    """regressionLayer(): half mean squared error loss over the responses before it."""

    type: Literal["regressionLayer"] = "regressionLayer"
    ResponseNames: list[str] = []
    type_label: ClassVar[str] = "Regression Output"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "regressionoutput"
    family: ClassVar[str] = "other"
    onnx: ClassVar = _NO_ONNX

    def description(self) -> str:
        return "mean-squared-error"

    def build(self, inputs: list) -> nn.Module:
        return nn.Identity()
