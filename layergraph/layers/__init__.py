"""MATLAB layer constructors (`convolution2dLayer(5, 64, Stride=2)`) and the layer-class registry.

Every layer class registers itself when it is defined (layers/base.py). This package imports the modules
holding layergraph's own layers and exports, for every registered class, its MATLAB-named constructor and
the class itself (`ELULayer`, `Convolution2DLayer`, …); the constructors are static names of matlab_names.py,
which is generated from the registry (tests/test_static_names.py).
"""
# the layer constructors come by star import; the generated __all__ lists them literally for type checkers
# ruff: noqa: F405
from __future__ import annotations

import importlib
from typing import Any

from layergraph.layers.base import LAYERS, Layer, constructors, register
from layergraph.layers.calls import networkDataLayout
from layergraph.layers.custom import CustomLayer, isempty, register_layer
from layergraph.layers.functions import feature2image, register_function, registered

# the modules defining layergraph's layers, in the order the registry lists them
for _module in ("inputs", "dense", "conv", "conv1d", "norm", "activation", "merge", "reshape", "pooling",
                "pooling1d", "grouped", "prelu", "depthspace", "output", "recurrent", "recurrent_projected",
                "attention", "position"):
    importlib.import_module(f"layergraph.layers.{_module}")

from layergraph.layers.matlab_names import *  # noqa: E402,F403 - after the modules above registered their layers

BY_TYPE = LAYERS  # MATLAB name → layer class: the live registry, layers registered later included

globals().update(constructors())  # a built-in layer not yet in matlab_names still gets its constructor
globals().update({cls.__name__: cls for cls in LAYERS.values()})  # ImageInputLayer, Convolution2DLayer, …

__all__ = ["BY_TYPE", "LAYER_CLASSES", "CustomLayer", "Layer", "feature2image", "isempty",
           "networkDataLayout", "register", "register_function", "register_layer", "registered"]
# BEGIN generated layer names
__all__ += [
    "additionLayer",
    "attentionLayer",
    "averagePooling1dLayer",
    "averagePooling2dLayer",
    "batchNormalizationLayer",
    "bilstmLayer",
    "classificationLayer",
    "clippedReluLayer",
    "concatenationLayer",
    "convolution1dLayer",
    "convolution2dLayer",
    "crop2dLayer",
    "depthConcatenationLayer",
    "depthToSpace2dLayer",
    "dropoutLayer",
    "eluLayer",
    "embeddingLayer",
    "featureInputLayer",
    "flattenLayer",
    "fullyConnectedLayer",
    "functionLayer",
    "geluLayer",
    "globalAveragePooling1dLayer",
    "globalAveragePooling2dLayer",
    "globalMaxPooling1dLayer",
    "groupNormalizationLayer",
    "groupedConvolution2dLayer",
    "gruLayer",
    "gruProjectedLayer",
    "imageInputLayer",
    "indexing1dLayer",
    "instanceNormalizationLayer",
    "layerNormalizationLayer",
    "leakyReluLayer",
    "lstmLayer",
    "lstmProjectedLayer",
    "maxPooling1dLayer",
    "maxPooling2dLayer",
    "multiplicationLayer",
    "positionEmbeddingLayer",
    "preluLayer",
    "projectAndReshapeLayer",
    "regressionLayer",
    "reluLayer",
    "resize2dLayer",
    "selfAttentionLayer",
    "sequenceInputLayer",
    "sigmoidLayer",
    "sinusoidalPositionEncodingLayer",
    "softmaxLayer",
    "spaceToDepthLayer",
    "swishLayer",
    "tanhLayer",
    "transposedConv1dLayer",
    "transposedConv2dLayer",
    "wordEmbeddingLayer",
]
# END generated layer names


def __getattr__(name: str) -> Any:
    """LAYER_CLASSES: every registered layer class in registration order, computed when asked."""
    if name == "LAYER_CLASSES":
        return tuple(LAYERS.values())
    raise AttributeError(f"module 'layergraph.layers' has no attribute '{name}'")
