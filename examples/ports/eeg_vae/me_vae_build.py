"""CS-LWR's two-encoder VAE for EEG artefact removal (Me_VAE), ported line by line.

Source: https://github.com/CS-LWR/Self-Learning-VAE-for-EEG-Artifact-Removal
commit 036ff05c9b0e83a750d5fb3728ec69129373e374, files Me_VAE/Code/{me_VAE_Build.m, modelLoss.m, elboLoss.m,
samplingLayer.m, projectAndReshapeLayer.m, modelPredictions.m, preprocessMiniBatch.m, preprocessMiniBatchPair.m,
reshape_batches.m, initializeGlorot.m, initializeZeros.m}; MIT licence, Copyright (c) 2025 CS-LWR (LICENSE and
SOURCE.md beside this file). Each MATLAB file is a section below; where a Python line differs from the MATLAB
line, the MATLAB line is the comment above it.

Usage:  python examples/ports/eeg_vae/me_vae_build.py DATA.npz [--epochs 50] [--mini-batch-size 128]

DATA.npz holds the .mat variables x_IT, x_OT, x_IV, x_OV (512×N noisy inputs / clean targets, train and
validation).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from layergraph import (
    CustomLayer,
    adamupdate,
    arrayDatastore,
    cat,
    combine,
    convolution2dLayer,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    exp,
    extractdata,
    featureInputLayer,
    finddim,
    forward,
    fullyconnect,
    fullyConnectedLayer,
    gather,
    imageInputLayer,
    isempty,
    max,
    min,
    minibatchqueue,
    mse,
    predict,
    rand,
    randn,
    recordMetrics,
    reluLayer,
    reshape,
    size,
    squeeze,
    sum,
    trainingProgressMonitor,
    transposedConv2dLayer,
    updateInfo,
    zeros,
)

# ----- me_VAE_Build.m -------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--epochs", type=int, default=50, help="numEpochs (the program: 50)")
    parser.add_argument("--mini-batch-size", type=int, default=128, help="miniBatchSize (the program: 128)")
    args = parser.parse_args(argv)

    model = "me_VAE"
    preset = "EOG"  # Change to: 'EMG' | 'EOG' | 'EEG' | 'EEG_motion'

    # files = dir(fullfile(folderPath,'*.mat')); for ... load(filePath); end
    loaded = np.load(args.data)
    x_IT, x_OT, x_IV, x_OV = (loaded[k] for k in ("x_IT", "x_OT", "x_IV", "x_OV"))

    # ========================== Network Definition ==========================
    numLatentChannel1 = 512
    numLatentChannel2 = 512
    numLatentChannels = numLatentChannel1 + numLatentChannel2

    imageSize = [1, 512, 1]  # [H W C]

    # ---------------- Encoder E1 (stochastic) ----------------
    layersE1 = [
        imageInputLayer(imageSize, Normalization="none"),  # inputs are assumed pre-normalized
        convolution2dLayer([1, 3], 64, Stride=1, Padding="same"),
        reluLayer(),
        convolution2dLayer([1, 3], 32, Stride=1, Padding="same"),
        reluLayer(),
        convolution2dLayer([1, 3], 16, Stride=1, Padding="same"),
        reluLayer(),
        convolution2dLayer([1, 3], 4, Stride=1, Padding="same"),
        reluLayer(),
        fullyConnectedLayer(2 * numLatentChannel1),  # [mu, logVar] for K1 channels
        samplingLayer(),  # reparameterization: Z1
    ]

    # ---------------- Encoder E2 (deterministic) -------------
    layersE2 = [
        imageInputLayer(imageSize, Normalization="none"),
        convolution2dLayer([1, 1], 64, Stride=1, Padding="same"),
        reluLayer(),
        convolution2dLayer([1, 1], 32, Stride=1, Padding="same"),
        reluLayer(),
        convolution2dLayer([1, 1], 16, Stride=1, Padding="same"),
        reluLayer(),
        convolution2dLayer([1, 1], 4, Stride=1, Padding="same"),
        reluLayer(),
        fullyConnectedLayer(numLatentChannel2),  # direct latent projection Z2
    ]

    # ---------------- Decoder D ------------------------------
    projectionSize = [1, 512, 4]  # spatial target for projection
    numInputChannels = imageSize[2]

    layersD = [
        featureInputLayer(numLatentChannels),
        projectAndReshapeLayer(projectionSize),  # maps latent to [1x512x4]
        transposedConv2dLayer([1, 3], 16, Cropping="same", Stride=1),
        reluLayer(),
        transposedConv2dLayer([1, 3], 32, Cropping="same", Stride=1),
        reluLayer(),
        transposedConv2dLayer([1, 3], 64, Cropping="same", Stride=1),
        reluLayer(),
        transposedConv2dLayer([1, 3], numInputChannels, Cropping="same"),  # reconstruct 1x512x1
    ]

    netE1 = dlnetwork(layersE1)
    netE2 = dlnetwork(layersE2)
    netD = dlnetwork(layersD)

    # ========================== Data Preparation ===========================
    xInputCell_Train = reshape_batches(x_IT)
    xOutputCell_Train = reshape_batches(x_OT)
    xInputCell_Val = reshape_batches(x_IV)

    # ========================== Training Options ===========================
    numEpochs = args.epochs
    miniBatchSize = args.mini_batch_size
    learnRate = 1e-3

    # Training datastore: pair noisy input (I) with clean target (O)
    dsIT = arrayDatastore(xInputCell_Train, IterationDimension=4)
    dsOT = arrayDatastore(xOutputCell_Train, IterationDimension=4)
    dsCombined = combine(dsIT, dsOT)

    # mbq_IOT = minibatchqueue(dsCombined, 2, ..., MiniBatchFcn = @(x, y) preprocessMiniBatchPair(x, y), ...)
    mbq_IOT = minibatchqueue(dsCombined, 2,
                             MiniBatchSize=miniBatchSize,
                             MiniBatchFcn=lambda x, y: preprocessMiniBatchPair(x, y),
                             MiniBatchFormat=["SSCB", "SSCB"],
                             PartialMiniBatch="discard")

    # Validation datastore (input only)
    ds_IV = arrayDatastore(xInputCell_Val, IterationDimension=4)
    numOutputs = 1
    mbq_IV = minibatchqueue(ds_IV, numOutputs,
                            MiniBatchSize=size(x_OV, 2),
                            MiniBatchFcn=preprocessMiniBatch,
                            MiniBatchFormat="SSCB",
                            PartialMiniBatch="return")

    # Adam state buffers
    trailingAvgE1 = []
    trailingAvgSqE1 = []
    trailingAvgE2 = []
    trailingAvgSqE2 = []
    trailingAvgD = []
    trailingAvgSqD = []

    # Iteration bookkeeping
    numObservationsTrain = size(xInputCell_Train, 4)
    # numIterationsPerEpoch = ceil(numObservationsTrain / miniBatchSize);
    numIterationsPerEpoch = int(np.ceil(numObservationsTrain / miniBatchSize))
    numIterations = numEpochs * numIterationsPerEpoch

    # Live training monitor
    monitor = trainingProgressMonitor(
        Metrics=["Loss", "Loss_Validation"],
        Info="Epoch",
        XLabel="Iteration")

    # ============================== Training ===============================
    epoch = 0
    iteration = 0
    # history = inf;
    history = np.inf  # best validation metric seen so far
    times = 0  # plateau counter

    while epoch < numEpochs:
        epoch = epoch + 1

        mbq_IOT.shuffle()

        while mbq_IOT.hasdata():
            iteration = iteration + 1

            # [I,O] = next(mbq_IOT);
            I, O = mbq_IOT.next()

            # Forward + loss + grads
            loss, gradientsE1, gradientsE2, gradientsD, *_ = dlfeval(modelLoss, netE1, netE2, netD, I, O)

            # Adam updates
            netE1, trailingAvgE1, trailingAvgSqE1 = adamupdate(netE1, gradientsE1, trailingAvgE1, trailingAvgSqE1,
                                                               iteration, learnRate)
            netE2, trailingAvgE2, trailingAvgSqE2 = adamupdate(netE2, gradientsE2, trailingAvgE2, trailingAvgSqE2,
                                                               iteration, learnRate)
            netD, trailingAvgD, trailingAvgSqD = adamupdate(netD, gradientsD, trailingAvgD, trailingAvgSqD,
                                                            iteration, learnRate)

            # Monitor logging
            recordMetrics(monitor, iteration, Loss=loss)
            # updateInfo(monitor,Epoch=epoch + " of " + numEpochs);
            updateInfo(monitor, Epoch=f"{epoch} of {numEpochs}")
            monitor.Progress = 100 * iteration / numIterations

        # ------------------------- Validation step --------------------------
        x_PV = modelPredictions(netE1, netE2, netD, mbq_IV)
        x_PV = gather(squeeze(x_PV))

        # results = evaluateEEGDenoising(x_OV, x_PV, fs, [model '_' preset], plot_flag);
        # loss_v = results.RMSE_t;   (evaluateEEGDenoising is in the repository's Toolbox folder, which the
        # snapshot does not hold: its time-domain RMSE is written out here)
        loss_v = float(np.sqrt(np.mean((np.asarray(x_OV) - np.asarray(x_PV)) ** 2)))

        # Simple plateau/early-stop logic on validation metric
        if loss_v >= history:
            times = times + 1
            if times >= 2 and epoch > 10:
                learnRate = 1e-5  # reduce LR after repeated stalls
            if times >= 3 and epoch > 10:
                break  # early stop after prolonged stagnation
        else:
            history = loss_v
            times = 0

        recordMetrics(monitor, iteration, Loss_Validation=loss_v)
        updateInfo(monitor, Epoch=f"{epoch} of {numEpochs}")
        monitor.Progress = 100 * iteration / numIterations
        mbq_IV.reset()

    # save(filename, 'netE1', 'netE2','netD');   (not ported: no .mat files)
    print(f"{model}_{preset}: {iteration} iterations, validation RMSE {loss_v:.4f}")
    return {"netE1": netE1, "netE2": netE2, "netD": netD, "monitor": monitor, "x_PV": x_PV, "loss_v": loss_v}


# ----- modelLoss.m, elboLoss.m ----------------------------------------------------------------------------------

def modelLoss(netE1, netE2, netD, N, C):
    """Both encoders, the decoder, the ELBO loss and the gradients of all three networks."""
    # [Z1, mu, logSigmaSq] = forward(netE1, N);
    Z1, mu, logSigmaSq = forward(netE1, N)
    Z2 = forward(netE2, N)

    Z = cat(1, Z1, Z2)
    Y = forward(netD, Z)

    loss = elboLoss(Y, C, mu, logSigmaSq)

    gradientsE1, gradientsE2, gradientsD = dlgradient(loss, netE1.Learnables, netE2.Learnables, netD.Learnables)
    return loss, gradientsE1, gradientsE2, gradientsD, Z, mu, logSigmaSq


def elboLoss(Y, T, mu, logSigmaSq):
    # Reconstruction loss.
    reconstructionLoss = mse(Y, T)
    # KL divergence.
    # KL = -0.5 * sum(1 + logSigmaSq - mu.^2 - exp(logSigmaSq), 1);  % sum over K
    KL = -0.5 * sum(1 + logSigmaSq - mu ** 2 - exp(logSigmaSq), 1)  # sum over K
    KL = max(KL)  # pick hardest sample
    beta = 0.1  # KL weight
    loss = reconstructionLoss + beta * KL
    return loss


# ----- samplingLayer.m ------------------------------------------------------------------------------------------

class samplingLayer(CustomLayer):  # noqa: N801 - the MATLAB class name
    """classdef samplingLayer < nnet.layer.Layer: Z = mu + sigma·epsilon, with mu and log-variance outputs."""

    def __init__(self, Name=""):
        super().__init__(Name=Name)
        self.Type = "Sampling"
        self.Description = "Mean and log-variance sampling"
        self.OutputNames = ["out", "mean", "log-variance"]

    def predict(self, X):
        numLatentChannels = size(X, 1) // 2
        miniBatchSize = size(X, 2)
        # mu = X(1:numLatentChannels, :);
        mu = X[0:numLatentChannels, :]
        mu = max(min(mu, 1), -1)
        # logSigmaSq = X(numLatentChannels+1:end, :);
        logSigmaSq = X[numLatentChannels:, :]
        logSigmaSq = min(logSigmaSq, 2)
        # epsilon = randn(numLatentChannels, miniBatchSize, "like", X);
        epsilon = randn(numLatentChannels, miniBatchSize, "like", X)
        sigma = exp(0.5 * logSigmaSq)
        # Z = epsilon .* sigma + mu;
        Z = epsilon * sigma + mu
        return Z, mu, logSigmaSq


# ----- projectAndReshapeLayer.m ---------------------------------------------------------------------------------

class projectAndReshapeLayer(CustomLayer):  # noqa: N801 - the MATLAB class name
    """classdef projectAndReshapeLayer < nnet.layer.Layer & nnet.layer.Formattable & nnet.layer.Acceleratable

    (This program's own class; it shadows layergraph's built-in projectAndReshapeLayer in this module, as the
    program's file shadows MATLAB's example layer on the path.)
    """

    Learnable = ("Weights", "Bias")
    Formattable = True

    def __init__(self, outputSize, Name=""):
        super().__init__(Name=Name)
        # layer.Description = "Project and reshape to size " + join(string(outputSize));
        self.Description = "Project and reshape to size " + " ".join(str(s) for s in outputSize)
        self.Type = "Project and Reshape"
        self.OutputSize = outputSize

    def initialize(self, layout):
        outputSize = self.OutputSize
        if isempty(self.Weights):
            idx = finddim(layout, "C")
            # numChannels = layout.Size(idx);   (finddim gives a list of 1-based dimension numbers)
            numChannels = layout.Size[idx[0] - 1]
            # sz = [prod(outputSize) numChannels];
            sz = [int(np.prod(outputSize)), numChannels]
            numOut = int(np.prod(outputSize))
            numIn = numChannels
            self.Weights = initializeGlorot(sz, numOut, numIn)
        if isempty(self.Bias):
            self.Bias = initializeZeros([int(np.prod(outputSize)), 1])
        return self

    def predict(self, X):
        weights = self.Weights
        bias = self.Bias
        X = fullyconnect(X, weights, bias)
        outputSize = self.OutputSize
        # Z = reshape(X, outputSize(1), outputSize(2), outputSize(3), []);
        Z = reshape(X, outputSize[0], outputSize[1], outputSize[2], [])
        Z = dlarray(Z, "SSCB")
        return Z


# ----- modelPredictions.m, preprocessMiniBatch*.m, reshape_batches.m, initializeGlorot.m, initializeZeros.m ------

def modelPredictions(netE1, netE2, netD, mbq):
    Y = []
    while mbq.hasdata():
        X = mbq.next()
        Z1 = predict(netE1, X)
        Z2 = predict(netE2, X)
        Z = cat(1, Z1, Z2)
        XGenerated = predict(netD, Z)
        Y = cat(4, Y, extractdata(XGenerated))
    return Y


def preprocessMiniBatchPair(dataX, dataY):
    # X = cat(4, dataX{:});
    X = cat(4, *dataX)
    Y = cat(4, *dataY)
    return X, Y


def preprocessMiniBatch(dataX):
    X = cat(4, *dataX)
    return X


def reshape_batches(X):
    # [seqLength, numSamples] = size(X);
    seqLength, numSamples = size(X)
    X_new = reshape(X, [1, seqLength, 1, numSamples])
    return X_new


def initializeGlorot(sz, numOut, numIn, className="single"):
    Z = 2 * rand(sz, className) - 1
    bound = np.sqrt(6 / (numIn + numOut))
    weights = bound * Z
    weights = dlarray(weights)
    return weights


def initializeZeros(sz, className="single"):
    parameter = zeros(sz, className)
    parameter = dlarray(parameter)
    return parameter


if __name__ == "__main__":
    main(sys.argv[1:])
