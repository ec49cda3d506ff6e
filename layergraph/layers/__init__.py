"""MATLAB layer constructors (`convolution2dLayer(5, 64, Stride=2)`) and the layer-class registry."""
from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field

from layergraph.layers.activation import (
    DropoutLayer,
    LeakyReLULayer,
    ReLULayer,
    SigmoidLayer,
    SoftmaxLayer,
    TanhLayer,
)
from layergraph.layers.base import Layer
from layergraph.layers.conv import Convolution2DLayer, TransposedConv2DLayer
from layergraph.layers.dense import EmbeddingLayer, FullyConnectedLayer, ProjectAndReshapeLayer
from layergraph.layers.functions import feature2image, register_function, registered
from layergraph.layers.inputs import FeatureInputLayer, ImageInputLayer
from layergraph.layers.merge import AdditionLayer, ConcatenationLayer, DepthConcatenationLayer
from layergraph.layers.norm import BatchNormalizationLayer, LayerNormalizationLayer
from layergraph.layers.pooling import AveragePooling2DLayer, GlobalAveragePooling2DLayer, MaxPooling2DLayer
from layergraph.layers.reshape import FlattenLayer, FunctionLayer, Resize2DLayer

LAYER_CLASSES: tuple[type[Layer], ...] = (
    ImageInputLayer, FeatureInputLayer, FullyConnectedLayer, Convolution2DLayer, TransposedConv2DLayer,
    BatchNormalizationLayer, ReLULayer, LeakyReLULayer, TanhLayer, SigmoidLayer, SoftmaxLayer, DropoutLayer,
    ConcatenationLayer, DepthConcatenationLayer, AdditionLayer, FunctionLayer, FlattenLayer,
    MaxPooling2DLayer, AveragePooling2DLayer, GlobalAveragePooling2DLayer, Resize2DLayer,
    LayerNormalizationLayer, ProjectAndReshapeLayer, EmbeddingLayer,
)
BY_TYPE: dict[str, type[Layer]] = {cls.model_fields["type"].default: cls for cls in LAYER_CLASSES}

# the pydantic union a spec's `layers:` list is validated against, discriminated by `type`
AnyLayer = Annotated[Union[tuple(LAYER_CLASSES)], Field(discriminator="type")]  # noqa: UP007


def _constructor(cls: type[Layer]) -> Any:
    def make(*args: Any, **kwargs: Any) -> Layer:
        return cls.create(*args, **kwargs)

    make.__name__ = cls.model_fields["type"].default
    make.__doc__ = cls.__doc__
    return make


imageInputLayer = _constructor(ImageInputLayer)
featureInputLayer = _constructor(FeatureInputLayer)
fullyConnectedLayer = _constructor(FullyConnectedLayer)
convolution2dLayer = _constructor(Convolution2DLayer)
transposedConv2dLayer = _constructor(TransposedConv2DLayer)
batchNormalizationLayer = _constructor(BatchNormalizationLayer)
reluLayer = _constructor(ReLULayer)
leakyReluLayer = _constructor(LeakyReLULayer)
tanhLayer = _constructor(TanhLayer)
sigmoidLayer = _constructor(SigmoidLayer)
softmaxLayer = _constructor(SoftmaxLayer)
dropoutLayer = _constructor(DropoutLayer)
concatenationLayer = _constructor(ConcatenationLayer)
depthConcatenationLayer = _constructor(DepthConcatenationLayer)
additionLayer = _constructor(AdditionLayer)
functionLayer = _constructor(FunctionLayer)
flattenLayer = _constructor(FlattenLayer)
maxPooling2dLayer = _constructor(MaxPooling2DLayer)
averagePooling2dLayer = _constructor(AveragePooling2DLayer)
globalAveragePooling2dLayer = _constructor(GlobalAveragePooling2DLayer)
resize2dLayer = _constructor(Resize2DLayer)
layerNormalizationLayer = _constructor(LayerNormalizationLayer)
projectAndReshapeLayer = _constructor(ProjectAndReshapeLayer)
embeddingLayer = _constructor(EmbeddingLayer)

__all__ = [
    "BY_TYPE", "LAYER_CLASSES", "AnyLayer", "Layer", "additionLayer", "averagePooling2dLayer",
    "batchNormalizationLayer", "concatenationLayer", "convolution2dLayer", "depthConcatenationLayer",
    "dropoutLayer", "embeddingLayer", "feature2image", "featureInputLayer", "flattenLayer",
    "fullyConnectedLayer", "functionLayer", "globalAveragePooling2dLayer", "imageInputLayer",
    "layerNormalizationLayer", "leakyReluLayer", "maxPooling2dLayer", "projectAndReshapeLayer",
    "register_function", "registered", "reluLayer", "resize2dLayer", "sigmoidLayer", "softmaxLayer",
    "tanhLayer", "transposedConv2dLayer",
]
