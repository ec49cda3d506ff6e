"""jgtorchi's conditional GAN for 500-sample ECG beats (DCCGAN.m), ported line by line.

Source: https://github.com/jgtorchi/ECG_GAN commit f64890bf875630e31166e3e6f9b823b2ba9f8ff0, files DCCGAN.m,
trainGAN.m, modelGradients.m, ganLoss.m, projectAndReshapeLayer.m, embedAndReshapeLayer.m; MIT licence,
Copyright (c) 2020 jgtorchi (LICENSE and SOURCE.md beside this file; several of these files are adapted from
MathWorks' "Generate Synthetic Signals Using Conditional GAN" example and keep its header). Each MATLAB file is a
section below; where a Python line differs from the MATLAB line, the MATLAB line is the comment above it.

Usage:  python examples/ports/ecg_cgan/dccgan.py ECGDATA.npz [--num-filters 64] [--epochs 500]

ECGDATA.npz holds the .mat variables TrainingFeatures (500×N beats) and TrainingLabels (1×N person numbers).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from layergraph import (
    CustomLayer,
    adamupdate,
    addLayers,
    batchNormalizationLayer,
    canUseGPU,
    concatenationLayer,
    connectLayers,
    convolution2dLayer,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    extractdata,
    forward,
    fullyconnect,
    fullyConnectedLayer,
    gather,
    gpuArray,
    imageInputLayer,
    layerGraph,
    leakyReluLayer,
    log,
    max,
    mean,
    permute,
    predict,
    rand,
    randn,
    reluLayer,
    reshape,
    sigmoid,
    sigmoidLayer,
    size,
    squeeze,
    sum,
    transposedConv2dLayer,
    zeros,
)

# ----- DCCGAN.m -------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--num-filters", type=int, default=64, help="numFilters (the program: 64)")
    parser.add_argument("--epochs", type=int, default=500, help="params.numEpochs (the program: 500)")
    parser.add_argument("--mini-batch-size", type=int, default=64, help="params.miniBatchSize (the program: 64)")
    args = parser.parse_args(argv)

    # load('ECGdata.mat')   (the variables as MATLAB-layout tensors: TrainingFeatures 500×N, TrainingLabels 1×N)
    loaded = np.load(args.data)
    TrainingFeatures = torch.as_tensor(loaded["TrainingFeatures"])
    TrainingLabels = torch.as_tensor(loaded["TrainingLabels"]).reshape(1, -1)

    # Train the GAN only on the classes with fewer than half the samples of the largest class
    maxLabel = int(max(TrainingLabels))
    numSamplesPerClass = zeros(1, maxLabel)
    for i in range(1, maxLabel + 1):
        # numSamplesPerClass(i) = sum(TrainingLabels == i);
        numSamplesPerClass[0, i - 1] = sum(TrainingLabels == i)
    maxSample = max(numSamplesPerClass)
    numGanTrainingPerClass = zeros(1, maxLabel)
    for i in range(1, maxLabel + 1):
        if numSamplesPerClass[0, i - 1] < (0.5 * maxSample):
            numGanTrainingPerClass[0, i - 1] = sum(numSamplesPerClass[0, i - 1])
    # GanTrainingFeatures = zeros(size(TrainingFeatures,1),sum(numGanTrainingPerClass));
    GanTrainingFeatures = zeros(size(TrainingFeatures, 1), int(sum(numGanTrainingPerClass)))
    GanTrainingLabels = zeros(1, int(sum(numGanTrainingPerClass)))
    high = 0
    for i in range(1, maxLabel + 1):
        if numGanTrainingPerClass[0, i - 1] > 0:
            low = high + 1
            high = low + int(numGanTrainingPerClass[0, i - 1]) - 1
            # GanTrainingFeatures(:,low:high) = TrainingFeatures(:,TrainingLabels==i);   (Python ranges)
            GanTrainingFeatures[:, low - 1:high] = TrainingFeatures[:, TrainingLabels[0] == i]
            GanTrainingLabels[:, low - 1:high] = i
    GanTrainingLabels = GanTrainingLabels - 3

    numFilters = args.num_filters
    numLatentInputs = 100
    projectionSize = [1, 1, size(GanTrainingFeatures, 1)]
    # numClasses = length(unique(GanTrainingLabels));
    numClasses = len(np.unique(GanTrainingLabels.numpy()))
    embeddingDimension = 100

    layersGenerator = [
        imageInputLayer([1, 1, numLatentInputs], "Normalization", "none", "Name", "in"),
        projectAndReshapeLayer(projectionSize, numLatentInputs, "proj"),
        concatenationLayer(1, 2, "Name", "cat"),
        transposedConv2dLayer([7, 1], 32 * numFilters, "Stride", 1, "Name", "tconv1"),
        batchNormalizationLayer("Name", "bn1", "Epsilon", 5e-5),
        reluLayer("Name", "relu1"),
        transposedConv2dLayer([5, 1], 16 * numFilters, "Stride", 1, "Cropping", [0, 0], "Name", "tconv2"),
        batchNormalizationLayer("Name", "bn2", "Epsilon", 5e-5),
        reluLayer("Name", "relu2"),
        transposedConv2dLayer([5, 1], 8 * numFilters, "Stride", 2, "Cropping", [0, 0], "Name", "tconv3"),
        batchNormalizationLayer("Name", "bn3", "Epsilon", 5e-5),
        reluLayer("Name", "relu3"),
        transposedConv2dLayer([5, 1], 4 * numFilters, "Stride", 2, "Cropping", [0, 0], "Name", "tconv4"),
        batchNormalizationLayer("Name", "bn4", "Epsilon", 5e-5),
        reluLayer("Name", "relu4"),
        transposedConv2dLayer([5, 1], 2 * numFilters, "Stride", 2, "Cropping", [0, 0], "Name", "tconv5"),
        batchNormalizationLayer("Name", "bn5", "Epsilon", 5e-5),
        reluLayer("Name", "relu5"),
        transposedConv2dLayer([5, 1], 1 * numFilters, "Stride", 2, "Cropping", [0, 0], "Name", "tconv6"),
        batchNormalizationLayer("Name", "bn6", "Epsilon", 5e-5),
        reluLayer("Name", "relu6"),
        transposedConv2dLayer([5, 1], 1, "Stride", 2, "Cropping", [0, 0], "Name", "tconv7"),
        batchNormalizationLayer("Name", "bn7", "Epsilon", 5e-5),
        reluLayer("Name", "relu7"),
        projectAndReshapeLayer([500, 1, 1], 477, "proj1"),
        sigmoidLayer("Name", "sig1"),
    ]
    lgraphGenerator = layerGraph(layersGenerator)
    layers = [
        imageInputLayer([1, 1], "Name", "labels", "Normalization", "none"),
        embedAndReshapeLayer(projectionSize, embeddingDimension, numClasses, "emb")]
    lgraphGenerator = addLayers(lgraphGenerator, layers)
    lgraphGenerator = connectLayers(lgraphGenerator, "emb", "cat/in2")
    dlnetGenerator = dlnetwork(lgraphGenerator)
    # analyzeNetwork(lgraphGenerator);   (opens the Network Analyzer; `layergraph analyze` prints the table)

    scale = 0.2
    inputSize = [size(GanTrainingFeatures, 1), 1, 1]
    layersDiscriminator = [
        imageInputLayer(inputSize, "Normalization", "none", "Name", "in"),
        concatenationLayer(3, 2, "Name", "cat"),
        convolution2dLayer([7, 1], numFilters, "Stride", 2, "Padding", [0, 0], "Name", "conv1"),
        leakyReluLayer(scale, "Name", "lrelu1"),
        convolution2dLayer([5, 1], 2 * numFilters, "Stride", 2, "Padding", [0, 0], "Name", "conv2"),
        leakyReluLayer(scale, "Name", "lrelu2"),
        convolution2dLayer([5, 1], 4 * numFilters, "Stride", 2, "Padding", [0, 0], "Name", "conv3"),
        leakyReluLayer(scale, "Name", "lrelu3"),
        convolution2dLayer([5, 1], 8 * numFilters, "Stride", 2, "Padding", [0, 0], "Name", "conv4"),
        leakyReluLayer(scale, "Name", "lrelu4"),
        convolution2dLayer([5, 1], 16 * numFilters, "Name", "conv5"),
        leakyReluLayer(scale, "Name", "lrelu5"),
        fullyConnectedLayer(1, "Name", "fc1"),
    ]
    lgraphDiscriminator = layerGraph(layersDiscriminator)
    layers = [
        imageInputLayer([1, 1], "Name", "labels", "Normalization", "none"),
        embedAndReshapeLayer(inputSize, embeddingDimension, numClasses, "emb")]
    lgraphDiscriminator = addLayers(lgraphDiscriminator, layers)
    lgraphDiscriminator = connectLayers(lgraphDiscriminator, "emb", "cat/in2")
    dlnetDiscriminator = dlnetwork(lgraphDiscriminator)

    # params.numLatentInputs = numLatentInputs; ...   (a struct: a dict here)
    params = {}
    params["numLatentInputs"] = numLatentInputs
    params["numClasses"] = numClasses
    params["sizeData"] = [*inputSize, size(GanTrainingFeatures, 2)]
    params["numEpochs"] = args.epochs
    params["miniBatchSize"] = args.mini_batch_size
    params["learnRate"] = 0.0002
    params["gradientDecayFactor"] = 0.5
    params["squaredGradientDecayFactor"] = 0.999
    # executionEnvironment = "gpu";   (the program requires a GPU; "auto" uses one when there is one)
    executionEnvironment = "auto"
    params["executionEnvironment"] = executionEnvironment
    dlnetGenerator, dlnetDiscriminator, validation = trainGAN(dlnetGenerator, dlnetDiscriminator,
                                                              GanTrainingFeatures, GanTrainingLabels, params)
    # save('GAN14.mat', ...)   (not ported: no .mat files)
    return {"dlnetGenerator": dlnetGenerator, "dlnetDiscriminator": dlnetDiscriminator,
            "lgraphGenerator": lgraphGenerator, "lgraphDiscriminator": lgraphDiscriminator, "params": params,
            "validation": validation, "GanTrainingLabels": GanTrainingLabels}


# ----- trainGAN.m -----------------------------------------------------------------------------------------------

def trainGAN(dlnetGenerator, dlnetDiscriminator, flow, labels, params):
    numLatentInputs = params["numLatentInputs"]
    numClasses = params["numClasses"]
    sizeData = params["sizeData"]
    numEpochs = params["numEpochs"]
    miniBatchSize = params["miniBatchSize"]
    learnRate = params["learnRate"]
    executionEnvironment = params["executionEnvironment"]
    gradientDecayFactor = params["gradientDecayFactor"]
    squaredGradientDecayFactor = params["squaredGradientDecayFactor"]
    # (figure, animatedline: the scores are printed and the validation signals kept)
    validation = []

    trailingAvgGenerator = []
    trailingAvgSqGenerator = []
    trailingAvgDiscriminator = []
    trailingAvgSqDiscriminator = []

    # rng('default')   (torch's generator seeded instead of MATLAB's)
    torch.manual_seed(0)
    numValidationImagesPerClass = 1
    ZValidation = randn(1, 1, numLatentInputs, numValidationImagesPerClass * numClasses, "single")
    # TValidation = single(repmat(1:numClasses, [1 numValidationImagesPerClass]));
    TValidation = np.tile(np.arange(1, numClasses + 1, dtype=np.float32), (1, numValidationImagesPerClass))
    TValidation = permute(TValidation, [1, 3, 4, 2])
    dlZValidation = dlarray(ZValidation, "SSCB")
    dlTValidation = dlarray(TValidation, "SSCB")
    if executionEnvironment == "gpu":
        dlZValidation = gpuArray(dlZValidation)
        dlTValidation = gpuArray(dlTValidation)

    ct = 1  # total interation count
    start = time.time()

    # S = single(reshape(flow, sizeData)); % training data
    S = reshape(flow, sizeData).float()
    L = reshape(labels, 1, 1, 1, sizeData[3]).float()  # labels
    # totIter = floor(size(S, 4)/miniBatchSize);
    totIter = size(S, 4) // miniBatchSize

    for epoch in range(1, numEpochs + 1):
        # idx = randperm(size(S, 4));   (0-based positions)
        idx = torch.randperm(size(S, 4))
        # S = S(:, :, :, idx);
        S = S[:, :, :, idx]
        L = L[:, :, :, idx]

        for iteration in range(1, totIter + 1):
            # idx = (iteration-1)*miniBatchSize+1:iteration*miniBatchSize;
            idx = torch.arange((iteration - 1) * miniBatchSize, iteration * miniBatchSize)
            # X = S(:, :, 1, idx);
            X = S[:, :, 0:1, idx]
            T = L[:, :, 0:1, idx]

            Z = randn(1, 1, numLatentInputs, miniBatchSize, "single")

            dlX = dlarray(X, "SSCB")
            dlZ = dlarray(Z, "SSCB")
            dlT = dlarray(T, "SSCB")
            if (executionEnvironment == "auto" and canUseGPU()) or executionEnvironment == "gpu":
                dlX = gpuArray(dlX)
                dlZ = gpuArray(dlZ)
                dlT = gpuArray(dlT)

            # (lossGenerator and lossDiscriminator are returned but unused, as in the source)
            (gradientsGenerator, gradientsDiscriminator, stateGenerator, scoreGenerator, scoreDiscriminator,
             lossGenerator, lossDiscriminator) = dlfeval(  # noqa: RUF059
                modelGradients, dlnetGenerator, dlnetDiscriminator, dlX, dlT, dlZ)
            dlnetGenerator.State = stateGenerator

            dlnetDiscriminator, trailingAvgDiscriminator, trailingAvgSqDiscriminator = adamupdate(
                dlnetDiscriminator, gradientsDiscriminator, trailingAvgDiscriminator, trailingAvgSqDiscriminator,
                iteration, learnRate, gradientDecayFactor, squaredGradientDecayFactor)
            dlnetGenerator, trailingAvgGenerator, trailingAvgSqGenerator = adamupdate(
                dlnetGenerator, gradientsGenerator, trailingAvgGenerator, trailingAvgSqGenerator,
                iteration, learnRate, gradientDecayFactor, squaredGradientDecayFactor)

            if ct % 50 == 0 or ct == 1:
                dlXGeneratedValidation = predict(dlnetGenerator, dlZValidation, dlTValidation)
                dlXGeneratedValidation = squeeze(extractdata(gather(dlXGeneratedValidation)))
                # plot(dlXGeneratedValidation) ...   → kept
                validation.append(dlXGeneratedValidation)
            ct = ct + 1

        # addpoints(lineScoreGenerator,ct,double(gather(extractdata(scoreGenerator)))); ...  → printed
        if totIter:
            print(f"Epoch: {epoch}, Iteration: {ct}, Elapsed: {time.time() - start:.0f} s, "
                  f"scoreG {float(extractdata(scoreGenerator)):.3f}, "
                  f"scoreD {float(extractdata(scoreDiscriminator)):.3f}")
    return dlnetGenerator, dlnetDiscriminator, validation


# ----- modelGradients.m, ganLoss.m ------------------------------------------------------------------------------

def modelGradients(dlnetGenerator, dlnetDiscriminator, dlX, dlT, dlZ):
    # Calculate the predictions for real data with the discriminator network.
    dlYPred = forward(dlnetDiscriminator, dlX, dlT)

    # Calculate the predictions for generated data with the discriminator network.
    dlXGenerated, stateGenerator = forward(dlnetGenerator, dlZ, dlT)
    dlYPredGenerated = forward(dlnetDiscriminator, dlXGenerated, dlT)

    # Calculate probabilities.
    probGenerated = sigmoid(dlYPredGenerated)
    probReal = sigmoid(dlYPred)

    # Calculate the generator and discriminator scores.
    scoreGenerator = mean(probGenerated)
    scoreDiscriminator = (mean(probReal) + mean(1 - probGenerated)) / 2

    # Calculate the GAN loss.
    lossGenerator, lossDiscriminator = ganLoss(probReal, probGenerated)

    # For each network, calculate the gradients with respect to the loss.
    gradientsGenerator = dlgradient(lossGenerator, dlnetGenerator.Learnables, RetainData=True)
    gradientsDiscriminator = dlgradient(lossDiscriminator, dlnetDiscriminator.Learnables)
    return (gradientsGenerator, gradientsDiscriminator, stateGenerator, scoreGenerator, scoreDiscriminator,
            lossGenerator, lossDiscriminator)


def ganLoss(probReal, probGenerated):
    # Calculate losses for the discriminator network.
    lossGenerated = -mean(log(1 - probGenerated))
    lossReal = -mean(log(0.9 * probReal))
    # Combine the losses for the discriminator network.
    lossDiscriminator = lossReal + lossGenerated
    # Calculate the loss for the generator network.
    lossGenerator = -mean(log(probGenerated))
    return lossGenerator, lossDiscriminator


# ----- projectAndReshapeLayer.m, embedAndReshapeLayer.m ---------------------------------------------------------

class projectAndReshapeLayer(CustomLayer):  # noqa: N801 - the program's class name
    """classdef projectAndReshapeLayer < nnet.layer.Layer (learnables made in the constructor).

    (This program's own class; it shadows layergraph's built-in of the same name in this module.)
    """

    Learnable = ("Weights", "Bias")

    def __init__(self, outputSize, numChannels, name):
        super().__init__(Name=name)
        # layer.Description = "Project and reshape layer with output size " + join(string(outputSize));
        self.Description = "Project and reshape layer with output size " + " ".join(str(s) for s in outputSize)
        self.Type = "Project and Reshape"
        self.OutputSize = outputSize
        # fcSize = prod(outputSize);
        fcSize = int(np.prod(outputSize))
        self.Weights = initializeGlorot(fcSize, numChannels)
        self.Bias = zeros(fcSize, 1, "single")

    def predict(self, X):
        weights = self.Weights
        bias = self.Bias
        X = fullyconnect(X, weights, bias, "DataFormat", "SSCB")
        outputSize = self.OutputSize
        # Z = reshape(X, outputSize(1), outputSize(2), outputSize(3), []);
        Z = reshape(X, outputSize[0], outputSize[1], outputSize[2], [])
        return Z


class embedAndReshapeLayer(CustomLayer):  # noqa: N801 - the program's class name
    """classdef embedAndReshapeLayer < nnet.layer.Layer: class index → learned embedding → fully connect."""

    Learnable = ("EmbeddingWeights", "FullyConnectWeights", "FullyConnectBias")

    def __init__(self, outputSize, embeddingDimension, inputDimension, name):
        super().__init__(Name=name)
        self.Description = "Reshape layer with output size " + " ".join(str(s) for s in outputSize)
        self.OutputSize = outputSize
        # layer.EmbeddingWeights = randn(embeddingDimension, inputDimension);
        self.EmbeddingWeights = randn(embeddingDimension, inputDimension)
        # sz = outputSize(1) * outputSize(2)*outputSize(3);
        sz = outputSize[0] * outputSize[1] * outputSize[2]
        self.FullyConnectWeights = initializeGlorot(sz, embeddingDimension)
        self.FullyConnectBias = zeros(sz, 1, "single")

    def predict(self, X):
        X = self.embedding(X)
        weights = self.FullyConnectWeights
        bias = self.FullyConnectBias
        X = fullyconnect(X, weights, bias, "DataFormat", "SSCB")
        sz = self.OutputSize
        Z = reshape(X, sz[0], sz[1], sz[2], [])
        return Z

    def embedding(self, X):
        weights = self.EmbeddingWeights
        N = size(X, 4)
        X = reshape(X, N, 1)
        # Z = weights(:, X);   (X holds 1-based class numbers; Python indexes from 0)
        Z = weights[:, X.long().flatten() - 1]
        Z = reshape(Z, 1, 1, [], N)
        return Z


def initializeGlorot(numOut, numIn):
    varWeights = np.sqrt(6 / (numIn + numOut))
    weights = varWeights * (2 * rand([numOut, numIn], "single") - 1)
    return weights


if __name__ == "__main__":
    main(sys.argv[1:])
