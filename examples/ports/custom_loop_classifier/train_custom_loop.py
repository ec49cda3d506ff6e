"""MathWorks' documented example "Train Network Using Custom Training Loop" (a digit classifier trained with
crossentropy, sgdmupdate and trainingProgressMonitor), ported line by line.

Source: https://www.mathworks.com/help/deeplearning/ug/train-network-using-custom-training-loop.html
(Deep Learning Toolbox documentation; see SOURCE.md beside this file). Written in our own words following the
documented steps; where a Python line differs from the MATLAB line, the MATLAB line is the comment above.

Usage:  python examples/ports/custom_loop_classifier/train_custom_loop.py DIGITS.npz [--epochs 10]

DIGITS.npz holds what digitTrain4DArrayData / digitTest4DArrayData return: XTrain, XTest (28×28×1×N images)
and TTrain, TTest (class names "0".."9").
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from layergraph import (
    arrayDatastore,
    batchNormalizationLayer,
    cat,
    categorical,
    categories,
    combine,
    confusionchart,
    convolution2dLayer,
    crossentropy,
    dlfeval,
    dlgradient,
    dlnetwork,
    forward,
    fullyConnectedLayer,
    imageInputLayer,
    mean,
    minibatchqueue,
    numel,
    onehotdecode,
    onehotencode,
    predict,
    recordMetrics,
    reluLayer,
    sgdmupdate,
    softmaxLayer,
    trainingProgressMonitor,
    updateInfo,
)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--epochs", type=int, default=10, help="numEpochs (the example: 10)")
    parser.add_argument("--mini-batch-size", type=int, default=128, help="miniBatchSize (the example: 128)")
    args = parser.parse_args(argv)

    # Load Training Data
    # [XTrain,TTrain] = digitTrain4DArrayData;
    XTrain, TTrain = digitTrain4DArrayData(args.data)
    dsXTrain = arrayDatastore(XTrain, IterationDimension=4)
    dsTTrain = arrayDatastore(TTrain)
    dsTrain = combine(dsXTrain, dsTTrain)

    classes = categories(TTrain)
    numClasses = numel(classes)

    # Define Network
    layers = [
        imageInputLayer([28, 28, 1], Normalization="none"),
        convolution2dLayer(5, 20),
        batchNormalizationLayer(),
        reluLayer(),
        convolution2dLayer(3, 20, Padding="same"),
        batchNormalizationLayer(),
        reluLayer(),
        convolution2dLayer(3, 20, Padding="same"),
        batchNormalizationLayer(),
        reluLayer(),
        fullyConnectedLayer(numClasses),
        softmaxLayer()]
    net = dlnetwork(layers)

    # Specify Training Options
    numEpochs = args.epochs
    miniBatchSize = args.mini_batch_size
    initialLearnRate = 0.01
    decay = 0.01
    momentum = 0.9

    # Train Model
    mbq = minibatchqueue(dsTrain,
                         MiniBatchSize=miniBatchSize,
                         MiniBatchFcn=preprocessMiniBatch,
                         MiniBatchFormat=["SSCB", ""])
    velocity = []

    numObservationsTrain = numel(TTrain)
    # numIterationsPerEpoch = ceil(numObservationsTrain / miniBatchSize);
    numIterationsPerEpoch = int(np.ceil(numObservationsTrain / miniBatchSize))
    numIterations = numEpochs * numIterationsPerEpoch

    monitor = trainingProgressMonitor(Metrics="Loss", Info=["Epoch", "LearnRate"], XLabel="Iteration")

    epoch = 0
    iteration = 0

    # Loop over epochs.
    # while epoch < numEpochs && ~monitor.Stop
    while epoch < numEpochs and not monitor.Stop:
        epoch = epoch + 1

        # Shuffle data.
        mbq.shuffle()

        # Loop over mini-batches.
        while mbq.hasdata() and not monitor.Stop:
            iteration = iteration + 1

            # Read mini-batch of data.
            # [X,T] = next(mbq);
            X, T = mbq.next()

            # Evaluate the model gradients, state, and loss using dlfeval and the modelLoss function and
            # update the network state.
            loss, gradients, state = dlfeval(modelLoss, net, X, T)
            net.State = state

            # Determine learning rate for time-based decay learning rate schedule.
            learnRate = initialLearnRate / (1 + decay * iteration)

            # Update the network parameters using the SGDM optimizer.
            net, velocity = sgdmupdate(net, gradients, velocity, learnRate, momentum)

            # Update the training progress monitor.
            recordMetrics(monitor, iteration, Loss=loss)
            updateInfo(monitor, Epoch=epoch, LearnRate=learnRate)
            monitor.Progress = 100 * iteration / numIterations

    # Test Model
    # [XTest,TTest] = digitTest4DArrayData;
    XTest, TTest = digitTest4DArrayData(args.data)
    dsTest = arrayDatastore(XTest, IterationDimension=4)
    mbqTest = minibatchqueue(dsTest,
                             MiniBatchSize=miniBatchSize,
                             MiniBatchFcn=preprocessMiniBatchPredictors,
                             MiniBatchFormat="SSCB")
    YTest = modelPredictions(net, mbqTest, classes)
    # accuracy = mean(TTest == YTest)   (.item(): the 1×1 result as a Python number)
    accuracy = mean(TTest == YTest).item()
    print(f"accuracy {accuracy:.3f} after {iteration} iterations")
    # figure; confusionchart(TTest,YTest)   → a PNG file
    chart = confusionchart(TTest, YTest)
    chart.save("confusion.png")
    return {"net": net, "monitor": monitor, "accuracy": accuracy, "YTest": YTest, "TTest": TTest,
            "chart": chart, "classes": classes}


def modelLoss(net, X, T):
    """The example's modelLoss: forward pass, cross-entropy loss, gradients, updated state."""
    # Forward data through network.
    Y, state = forward(net, X)
    # Calculate cross-entropy loss.
    loss = crossentropy(Y, T)
    # Calculate gradients of loss with respect to learnable parameters.
    gradients = dlgradient(loss, net.Learnables)
    return loss, gradients, state


def modelPredictions(net, mbq, classes):
    Y = []
    # Loop over mini-batches.
    while mbq.hasdata():
        X = mbq.next()
        # Make prediction.
        scores = predict(net, X)
        # Decode labels and append to output.
        # labels = onehotdecode(scores,classes,1)';
        labels = onehotdecode(scores, classes, 1)
        # Y = [Y; labels];
        Y = cat(1, Y, labels.T)
    return Y


def preprocessMiniBatch(dataX, dataT):
    # Preprocess predictors.
    X = preprocessMiniBatchPredictors(dataX)
    # Extract label data from cell and concatenate.
    # T = cat(2,dataT{:});
    T = cat(2, *dataT)
    # One-hot encode labels.
    T = onehotencode(T, 1)
    return X, T


def preprocessMiniBatchPredictors(dataX):
    # Concatenate.
    X = cat(4, *dataX)
    return X


def digitTrain4DArrayData(path):
    """Stand-in for MATLAB's digitTrain4DArrayData: the arrays saved in `path` (28×28×1×N, class names)."""
    data = np.load(path)
    return data["XTrain"], categorical(data["TTrain"].tolist())


def digitTest4DArrayData(path):
    """Stand-in for MATLAB's digitTest4DArrayData."""
    data = np.load(path)
    return data["XTest"], categorical(data["TTest"].tolist())


if __name__ == "__main__":
    main(sys.argv[1:])
