"""The MATLAB-named layer constructors as static names, so that type checkers and editors see
`from layergraph import eluLayer` (each is the registry's constructor, layers/base.py).

Generated from the layer registry by `python -m tests.test_static_names --write`; do not edit by hand
(tests/test_static_names.py checks that it lists every registered built-in layer).
"""
from __future__ import annotations

from collections.abc import Callable

from layergraph.layers.base import Layer, constructors

_MADE = constructors()

imageInputLayer: Callable[..., Layer] = _MADE["imageInputLayer"]
featureInputLayer: Callable[..., Layer] = _MADE["featureInputLayer"]
sequenceInputLayer: Callable[..., Layer] = _MADE["sequenceInputLayer"]
fullyConnectedLayer: Callable[..., Layer] = _MADE["fullyConnectedLayer"]
projectAndReshapeLayer: Callable[..., Layer] = _MADE["projectAndReshapeLayer"]
embeddingLayer: Callable[..., Layer] = _MADE["embeddingLayer"]
wordEmbeddingLayer: Callable[..., Layer] = _MADE["wordEmbeddingLayer"]
convolution2dLayer: Callable[..., Layer] = _MADE["convolution2dLayer"]
transposedConv2dLayer: Callable[..., Layer] = _MADE["transposedConv2dLayer"]
convolution1dLayer: Callable[..., Layer] = _MADE["convolution1dLayer"]
transposedConv1dLayer: Callable[..., Layer] = _MADE["transposedConv1dLayer"]
batchNormalizationLayer: Callable[..., Layer] = _MADE["batchNormalizationLayer"]
layerNormalizationLayer: Callable[..., Layer] = _MADE["layerNormalizationLayer"]
instanceNormalizationLayer: Callable[..., Layer] = _MADE["instanceNormalizationLayer"]
groupNormalizationLayer: Callable[..., Layer] = _MADE["groupNormalizationLayer"]
reluLayer: Callable[..., Layer] = _MADE["reluLayer"]
leakyReluLayer: Callable[..., Layer] = _MADE["leakyReluLayer"]
eluLayer: Callable[..., Layer] = _MADE["eluLayer"]
tanhLayer: Callable[..., Layer] = _MADE["tanhLayer"]
sigmoidLayer: Callable[..., Layer] = _MADE["sigmoidLayer"]
softmaxLayer: Callable[..., Layer] = _MADE["softmaxLayer"]
dropoutLayer: Callable[..., Layer] = _MADE["dropoutLayer"]
clippedReluLayer: Callable[..., Layer] = _MADE["clippedReluLayer"]
geluLayer: Callable[..., Layer] = _MADE["geluLayer"]
swishLayer: Callable[..., Layer] = _MADE["swishLayer"]
concatenationLayer: Callable[..., Layer] = _MADE["concatenationLayer"]
depthConcatenationLayer: Callable[..., Layer] = _MADE["depthConcatenationLayer"]
additionLayer: Callable[..., Layer] = _MADE["additionLayer"]
multiplicationLayer: Callable[..., Layer] = _MADE["multiplicationLayer"]
flattenLayer: Callable[..., Layer] = _MADE["flattenLayer"]
resize2dLayer: Callable[..., Layer] = _MADE["resize2dLayer"]
functionLayer: Callable[..., Layer] = _MADE["functionLayer"]
crop2dLayer: Callable[..., Layer] = _MADE["crop2dLayer"]
maxPooling2dLayer: Callable[..., Layer] = _MADE["maxPooling2dLayer"]
averagePooling2dLayer: Callable[..., Layer] = _MADE["averagePooling2dLayer"]
globalAveragePooling2dLayer: Callable[..., Layer] = _MADE["globalAveragePooling2dLayer"]
maxPooling1dLayer: Callable[..., Layer] = _MADE["maxPooling1dLayer"]
averagePooling1dLayer: Callable[..., Layer] = _MADE["averagePooling1dLayer"]
globalAveragePooling1dLayer: Callable[..., Layer] = _MADE["globalAveragePooling1dLayer"]
globalMaxPooling1dLayer: Callable[..., Layer] = _MADE["globalMaxPooling1dLayer"]
groupedConvolution2dLayer: Callable[..., Layer] = _MADE["groupedConvolution2dLayer"]
preluLayer: Callable[..., Layer] = _MADE["preluLayer"]
depthToSpace2dLayer: Callable[..., Layer] = _MADE["depthToSpace2dLayer"]
spaceToDepthLayer: Callable[..., Layer] = _MADE["spaceToDepthLayer"]
classificationLayer: Callable[..., Layer] = _MADE["classificationLayer"]
regressionLayer: Callable[..., Layer] = _MADE["regressionLayer"]
lstmLayer: Callable[..., Layer] = _MADE["lstmLayer"]
bilstmLayer: Callable[..., Layer] = _MADE["bilstmLayer"]
gruLayer: Callable[..., Layer] = _MADE["gruLayer"]
lstmProjectedLayer: Callable[..., Layer] = _MADE["lstmProjectedLayer"]
gruProjectedLayer: Callable[..., Layer] = _MADE["gruProjectedLayer"]
selfAttentionLayer: Callable[..., Layer] = _MADE["selfAttentionLayer"]
attentionLayer: Callable[..., Layer] = _MADE["attentionLayer"]
indexing1dLayer: Callable[..., Layer] = _MADE["indexing1dLayer"]
positionEmbeddingLayer: Callable[..., Layer] = _MADE["positionEmbeddingLayer"]
sinusoidalPositionEncodingLayer: Callable[..., Layer] = _MADE["sinusoidalPositionEncodingLayer"]

__all__ = [
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
