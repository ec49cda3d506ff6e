"""MathWorks' SciNet (a beta-VAE that answers questions about a damped pendulum), ported line by line.

Source: https://github.com/matlab-deep-learning/Physical-Concepts-Scinet
commit 7e6f30ba66c14d7d778bc63f58303b0021ceb675, files src/trainAndTestScinetPendulum.mlx (the live script's code)
and src/auxiliaryFunctions/{generatePendulumData.m, generatePendulumTimeSeries.m, forwardEncoder.m,
forwardDecoder.m, sampleLatentSpace.m}; BSD-3-Clause licence, Copyright (c) 2021, The MathWorks, Inc. (LICENSE
and SOURCE.md beside this file). Each MATLAB file is a section below; where a Python line differs from the
MATLAB line, the MATLAB line is the comment above it.

Usage:  python examples/ports/scinet/train_scinet_pendulum.py [--samples 100000] [--training 95000]
            [--epochs 1000] [--mini-batch-size 500] [--results ../results/results]
"""
from __future__ import annotations

import argparse
import math
import sys

import numpy as np
import torch

from layergraph import (
    adamupdate,
    cat,
    cos,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    eluLayer,
    exp,
    extractdata,
    fullyConnectedLayer,
    imageInputLayer,
    layerGraph,
    load,
    log,
    mean,
    predict,
    rand,
    randi,
    randn,
    reshape,
    save,
    size,
    sqrt,
    squeeze,
    sum,
    zeros,
)


# ----- src/auxiliaryFunctions/generatePendulumTimeSeries.m --------------------------------------------------
def generatePendulumTimeSeries(NTimes, Tfinal, k, b, m, A0, delta0):
    """Pendulum position time series from the analytical solution, given k, b (row vectors), m, A0, delta0."""
    # Derived parameter (omega)
    omega = sqrt(k / m) * sqrt(1 - (b ** 2) / (4 * m * k))

    # Time discretization
    # t = linspace(0, Tfinal, NTimes).';   (MATLAB's linspace(a, b, 1) is b, numpy's is a: the answers' times)
    t = np.linspace(0, Tfinal, NTimes).reshape(-1, 1) if NTimes != 1 else np.array([[Tfinal]], dtype=float)

    # Analytical solution
    # f = @(t, b, omega) A0*exp(-t*b/(2*m)) .* cos(t*omega + delta0);
    def f(t, b, omega):
        return A0 * exp(-t * b / (2 * m)) * cos(t * omega + delta0)

    # Store observations columnwise
    position = f(t, b, omega)
    return position, t


# ----- src/auxiliaryFunctions/generatePendulumData.m --------------------------------------------------------
def generatePendulumData(NTimes, Tfinal, params, NSamples):
    """NSamples observations and the corresponding answers from the pendulum solution."""
    # Extract physical parameters from the params structure
    kMin = params["kMin"]
    kMax = params["kMax"]
    bMin = params["bMin"]
    bMax = params["bMax"]
    m = params["m"]
    A0 = params["A0"]
    delta0 = params["delta0"]

    # Derived parameters (row vectors)
    k = kMin + rand(1, NSamples) * (kMax - kMin)
    b = bMin + rand(1, NSamples) * (bMax - bMin)

    # Generate observations
    observations, observationsTime = generatePendulumTimeSeries(NTimes, Tfinal["observations"], k, b, m, A0,
                                                                delta0)

    # Row vector of questions (= answers time)
    answersTime = rand(1, NSamples) * Tfinal["answers"]

    # Row vector of correct answers
    # answers = arrayfun(@(t, k, b) generatePendulumTimeSeries(1, t, k, b, m, A0, delta0), answersTime, k, b);
    answers = cat(2, *[generatePendulumTimeSeries(1, answersTime.m[0, j], k.m[0, j], b.m[0, j], m, A0,
                                                  delta0)[0] for j in range(NSamples)])
    return observations, observationsTime, answers, answersTime


# ----- src/auxiliaryFunctions/forwardEncoder.m --------------------------------------------------------------
def forwardEncoder(netEncoder, dlObservationsArray):
    """dlarray in 'SSCB' format."""
    # Predict latent representations from observations using encoder
    # latentRepresentation(:, 1, 1, :) = predict(netEncoder, dlObservationsArray(:, 1, 1, :));
    #   (MATLAB creates the variable by the assignment; here it is made first, the size of the block)
    prediction = predict(netEncoder, dlObservationsArray.m[:, 0, 0, :])
    latentRepresentation = reshape(prediction, size(prediction, 1), 1, 1, size(prediction, 2))
    latentRepresentation = dlarray(latentRepresentation, "SSCB")
    return latentRepresentation


# ----- src/auxiliaryFunctions/forwardDecoder.m --------------------------------------------------------------
def forwardDecoder(netDecoder, dlZArray, dlQuestionsArray):
    """Predicts answers given samples in the latent space and questions."""
    # answers(:, 1, 1, :) = predict(netDecoder, cat(1, dlQuestionsArray, dlZArray));   (as in forwardEncoder)
    prediction = predict(netDecoder, cat(1, dlQuestionsArray, dlZArray))
    answers = reshape(prediction, size(prediction, 1), 1, 1, size(prediction, 2))
    answers = dlarray(answers, "SSCB")
    return answers


# ----- src/auxiliaryFunctions/sampleLatentSpace.m -----------------------------------------------------------
def sampleLatentSpace(latentRepresentation, latentDimension, batchSize):
    """The reparametrization that makes the cost differentiable w.r.t. the encoder's weights."""
    # mu = latentRepresentation(1:latentDimension, :, :, :);
    mu = latentRepresentation.m[0:latentDimension, :, :, :]
    # sigma = latentRepresentation(latentDimension+1:2*latentDimension, :, :, :);
    sigma = latentRepresentation.m[latentDimension:2 * latentDimension, :, :, :]
    epsilon = randn(latentDimension, 1, 1, batchSize)
    z = mu + sigma * epsilon
    return z, mu, sigma


# ----- trainAndTestScinetPendulum.mlx: helper functions -----------------------------------------------------
def ScinetLossAndGradients(netEncoder, netDecoder, dlObservationsArray, dlQuestionsArray, dlAnswersArray,
                           latentDimension, beta, miniBatchSize):
    """The beta-VAE loss of a mini-batch and its gradients for both networks."""
    # Forward pass for encoder to predict mean and variance in the latent space
    latentRepresentation = forwardEncoder(netEncoder, dlObservationsArray)

    # Sampling in the latent space
    z, mu, sigma = sampleLatentSpace(latentRepresentation, latentDimension, miniBatchSize)

    # Foward pass for decoder given samples and questions
    predictedAnswers = forwardDecoder(netDecoder, z, dlQuestionsArray)

    # Compute first term of Beta-VAE cost: MSE
    MSE = sum((dlAnswersArray - predictedAnswers) ** 2, 1)

    # Compute second term of Beta-VAE cost: KL
    KL = -beta / 2 * sum(log(sigma ** 2) - mu ** 2 - sigma ** 2, 1)

    # Loss as a mean across the minibatch of the sums
    loss = squeeze(mean(MSE + KL, 4))

    # Return gradients
    # gradientsEncoder = dlgradient(loss, netEncoder.Learnables);
    #   (layergraph releases the trace after a dlgradient without RetainData: see SOURCE.md)
    gradientsEncoder = dlgradient(loss, netEncoder.Learnables, RetainData=True)
    gradientsDecoder = dlgradient(loss, netDecoder.Learnables)
    return gradientsEncoder, gradientsDecoder, loss


def createTrainingProgressPlot():
    """The figure of log10(loss) against iteration: here printed lines (no figure window)."""
    # trainingPlot = figure; ... lineHandle = animatedline(trainingPlotAxes);
    return []


# ----- trainAndTestScinetPendulum.mlx -----------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100000, help="NSamples (the program: 100000)")
    parser.add_argument("--training", type=int, default=95000, help="NTraining (the program: 95000)")
    parser.add_argument("--epochs", type=int, default=1000, help="numEpochs (the program: 1000)")
    parser.add_argument("--mini-batch-size", type=int, default=500, help="miniBatchSize (the program: 500)")
    parser.add_argument("--results", default="../results/results", help="the MAT-file save writes")
    parser.add_argument("--load", action="store_true", help="doTraining = false: load the trained networks")
    options = parser.parse_args(argv)

    # close("all"); clear; clc; rng(0);
    torch.manual_seed(0)

    # Parameters
    NTimes = 50
    NSamples = options.samples
    NTraining = options.training

    plotDataSample = True
    NPlotDataSample = 10

    latentDimension = 3

    beta = 1e-3  # Appear in the beta-VAE cost function definition

    # Physical parameters (MATLAB's structure: a dict)
    physicalParameters = {}
    physicalParameters["m"] = 1  # [kg]
    physicalParameters["A0"] = 1  # [m]
    physicalParameters["delta0"] = 0  # [rad]
    physicalParameters["kMin"] = 5  # [kg/s^2]
    physicalParameters["kMax"] = 10  # [kg/s^2]
    physicalParameters["bMin"] = 0.5  # [kg/s]
    physicalParameters["bMax"] = 1  # [kg/s]
    Tfinal = {}
    Tfinal["observations"] = 5  # maximum of observations time in seconds
    Tfinal["answers"] = 10  # maximum of answers time in seconds

    # Generate and split data
    observations = zeros(NTimes, 1, 1, NSamples)
    answers = zeros(1, 1, 1, NSamples)
    questions = zeros(1, 1, 1, NSamples)
    # [observations(:, 1, 1, :), observationsTime, answers(1, 1, 1, :), questions(1, 1, 1, :)] = ...
    #     generatePendulumData(NTimes, Tfinal, physicalParameters, NSamples);
    generated, observationsTime, generatedAnswers, generatedQuestions = \
        generatePendulumData(NTimes, Tfinal, physicalParameters, NSamples)
    observations.m[:, 0, 0, :] = generated
    answers.m[0, 0, 0, :] = generatedAnswers
    questions.m[0, 0, 0, :] = generatedQuestions

    # Plot NPlot random items
    if plotDataSample:
        idxPlot = randi(NSamples, 1, NPlotDataSample)
        # figure; plot(observationsTime, squeeze(observations(:, 1, 1, idxPlot))); ... (not drawn)
        shown = squeeze(observations.m[:, 0, 0, idxPlot - 1])
        print(f"data sample: {size(shown, 2)} series at {size(observationsTime, 1)} times in "
              f"[0, {observationsTime[-1, 0]:g}] s")

    # Split training and testing data
    observationsTesting = observations.m[:, 0, 0, NTraining:]
    answersTesting = answers.m[0, 0, 0, NTraining:]
    questionsTesting = questions.m[0, 0, 0, NTraining:]
    # observations(:, :, :, NTraining+1:end) = [];   (MATLAB deletes in place; Python keeps the rest)
    observations = observations.m[:, :, :, :NTraining]
    answers = answers.m[:, :, :, :NTraining]
    questions = questions.m[:, :, :, :NTraining]

    # Convert to dlarray in 'SSCB' format
    observations = dlarray(observations, "SSCB")
    observationsTesting = dlarray(observationsTesting, "SSCB")
    answers = dlarray(answers, "SSCB")
    answersTesting = dlarray(answersTesting, "SSCB")
    questions = dlarray(questions, "SSCB")
    questionsTesting = dlarray(questionsTesting, "SSCB")

    # Define Network architecture
    layersEncoder = [imageInputLayer([NTimes, 1], "Name", "Observations", "Normalization", "none"),
                     fullyConnectedLayer(500, "Name", "fc_encoder_1"),
                     eluLayer(1, "Name", "elu_encoder_1"),
                     fullyConnectedLayer(100, "Name", "fc_encoder_2"),
                     eluLayer(1, "Name", "elu_encoder_2"),
                     fullyConnectedLayer(2 * latentDimension, "Name", "Latent_Representations")]  # (mu, sigma)
    netEncoder = dlnetwork(layerGraph(layersEncoder))

    layersDecoder = [imageInputLayer([latentDimension + 1, 1], "Name", "Representations_and_question",
                                     "Normalization", "none"),  # latentDimension+1: z, questions
                     fullyConnectedLayer(100, "Name", "fc_decoder_1"),
                     eluLayer(1, "Name", "elu_decoder_1"),
                     fullyConnectedLayer(100, "Name", "fc_decoder_2"),
                     eluLayer(1, "Name", "elu_decoder_2"),
                     fullyConnectedLayer(1, "Name", "Answer")]
    netDecoder = dlnetwork(layerGraph(layersDecoder))

    # Training loop
    doTraining = not options.load
    history = []

    if not doTraining:
        # Load trained encoder, trained Decoder and latent space dimension
        # load("results.mat", "netEncoder", "netDecoder", "latentDimension");
        #   (Python cannot create variables inside a function: S = load(...), then S.name)
        S = load(options.results, "netEncoder", "netDecoder", "latentDimension")
        netEncoder, netDecoder, latentDimension = S.netEncoder, S.netDecoder, int(S.latentDimension)
    else:
        miniBatchSize = options.mini_batch_size
        learningRate = 1e-3
        numEpochs = options.epochs

        trailingAvgEncoder = []
        trailingAvgSqEncoder = []
        trailingAvgDecoder = []
        trailingAvgSqDecoder = []
        gradDecay = 0.9
        gradDecaySq = 0.99

        progressLineHandle = createTrainingProgressPlot()

        numMiniBatches = round(NTraining / miniBatchSize)
        for ie in range(1, numEpochs + 1):

            for ib in range(1, numMiniBatches + 1):

                # Extract data corresponding to this minibatch
                # theseObservations = observations(:, :, :, (ib-1)*miniBatchSize+1:ib*miniBatchSize);
                theseObservations = observations.m[:, :, :, (ib - 1) * miniBatchSize:ib * miniBatchSize]
                theseQuestions = questions.m[:, :, :, (ib - 1) * miniBatchSize:ib * miniBatchSize]
                theseAnswers = answers.m[:, :, :, (ib - 1) * miniBatchSize:ib * miniBatchSize]

                # Evaluate gradients and loss for this minibatch
                gradientsEncoder, gradientsDecoder, loss = \
                    dlfeval(ScinetLossAndGradients, netEncoder, netDecoder,
                            theseObservations, theseQuestions, theseAnswers,
                            latentDimension, beta, miniBatchSize)
                loss = float(extractdata(loss))

                # Update iteration number for adam
                adamIteration = (ie - 1) * numMiniBatches + ib

                # Update encoder learnables
                netEncoder, trailingAvgEncoder, trailingAvgSqEncoder = \
                    adamupdate(netEncoder, gradientsEncoder,
                               trailingAvgEncoder, trailingAvgSqEncoder, adamIteration,
                               learningRate, gradDecay, gradDecaySq)

                # Update decoder learnables
                netDecoder, trailingAvgDecoder, trailingAvgSqDecoder = \
                    adamupdate(netDecoder, gradientsDecoder,
                               trailingAvgDecoder, trailingAvgSqDecoder, adamIteration,
                               learningRate, gradDecay, gradDecaySq)

                # Update the training loss progress plot.
                # addpoints(progressLineHandle, adamIteration, log10(loss)); drawnow;
                progressLineHandle.append((adamIteration, math.log10(loss)))
                history.append(loss)
            print(f"epoch {ie}: log10(loss) {math.log10(loss):.3f}")

    # Testing decoder prediction performance
    NTesting = NSamples - NTraining
    predictedLatentRepresentation = forwardEncoder(netEncoder, observationsTesting)
    predictedZ, _, _ = sampleLatentSpace(predictedLatentRepresentation, latentDimension, NTesting)
    predictedAnswers = forwardDecoder(netDecoder, predictedZ, questionsTesting)

    # Jacknife plot
    # answersTesting = double(extractdata(answersTesting(:)));
    answersTesting = extractdata(answersTesting).double().reshape(-1, 1)
    questionsTesting = extractdata(questionsTesting).double().reshape(-1, 1)
    predictedAnswers = extractdata(predictedAnswers).double().reshape(-1, 1)
    # figure; scatter(predictedAnswers, answersTesting); ... (not drawn)
    rmse = float(sqrt(mean((predictedAnswers - answersTesting) ** 2)))
    print(f"testing: {NTesting} answers, RMSE {rmse:.4f}")

    # Saving all results
    if doTraining:
        # save("../results/results");   (every MATLAB value of this function's workspace)
        save(options.results)

    return {"netEncoder": netEncoder, "netDecoder": netDecoder, "history": history, "rmse": rmse,
            "predictedAnswers": predictedAnswers, "answersTesting": answersTesting,
            "questionsTesting": questionsTesting}


if __name__ == "__main__":
    main(sys.argv[1:])
