"""The seed's CGAN networks written in Python exactly as MATLAB's example code builds them (shared by tests)."""
from __future__ import annotations

import math

import layergraph as lg


def cgan_generator() -> lg.LayerGraph:
    """The seed's CGAN generator code, line by line (numLatentInputs 100, 5 classes, embedding 50)."""
    projectionSize, numFilters, filterSize = [4, 4, 1024], 64, 5
    layersGenerator = [
        lg.featureInputLayer(100),
        lg.fullyConnectedLayer(math.prod(projectionSize)),
        lg.functionLayer("feature2image", Arguments=[projectionSize], Formattable=True),
        lg.concatenationLayer(3, 2, Name="cat"),
        lg.transposedConv2dLayer(filterSize, 4 * numFilters),
        lg.batchNormalizationLayer(),
        lg.reluLayer(),
        lg.transposedConv2dLayer(filterSize, 2 * numFilters, Stride=2, Cropping="same"),
        lg.batchNormalizationLayer(),
        lg.reluLayer(),
        lg.transposedConv2dLayer(filterSize, numFilters, Stride=2, Cropping="same"),
        lg.batchNormalizationLayer(),
        lg.reluLayer(),
        lg.transposedConv2dLayer(filterSize, 3, Stride=2, Cropping="same"),
        lg.tanhLayer()]
    lgraphGenerator = lg.layerGraph(layersGenerator)
    layers = [
        lg.featureInputLayer(1),
        lg.embeddingLayer(50, 5),
        lg.fullyConnectedLayer(math.prod(projectionSize[:2])),
        lg.functionLayer("feature2image", Arguments=[[*projectionSize[:2], 1]], Formattable=True, Name="emb_reshape")]
    lgraphGenerator = lg.addLayers(lgraphGenerator, layers)
    return lg.connectLayers(lgraphGenerator, "emb_reshape", "cat/in2")


def cgan_discriminator() -> lg.LayerGraph:
    """The seed's CGAN discriminator code (64×64×3 input, dropout 0.75, 64 filters, leaky scale 0.2)."""
    inputSize, numFilters, filterSize, scale = [64, 64, 3], 64, 5, 0.2
    layers = [
        lg.featureInputLayer(1),
        lg.embeddingLayer(50, 5),
        lg.fullyConnectedLayer(math.prod(inputSize[:2])),
        lg.functionLayer("feature2image", Arguments=[[*inputSize[:2], 1]], Formattable=True, Name="emb_reshape")]
    layersDiscriminator = [
        lg.imageInputLayer(inputSize, Normalization="none"),
        lg.dropoutLayer(0.75),
        lg.concatenationLayer(3, 2, Name="cat"),
        lg.convolution2dLayer(filterSize, numFilters, Stride=2, Padding="same"),
        lg.leakyReluLayer(scale),
        lg.convolution2dLayer(filterSize, 2 * numFilters, Stride=2, Padding="same"),
        lg.batchNormalizationLayer(),
        lg.leakyReluLayer(scale),
        lg.convolution2dLayer(filterSize, 4 * numFilters, Stride=2, Padding="same"),
        lg.batchNormalizationLayer(),
        lg.leakyReluLayer(scale),
        lg.convolution2dLayer(filterSize, 8 * numFilters, Stride=2, Padding="same"),
        lg.batchNormalizationLayer(),
        lg.leakyReluLayer(scale),
        lg.convolution2dLayer(4, 1)]
    lgraphDiscriminator = lg.layerGraph(layersDiscriminator)
    lgraphDiscriminator = lg.addLayers(lgraphDiscriminator, layers)
    return lg.connectLayers(lgraphDiscriminator, "emb_reshape", "cat/in2")
