"""MathWorks' industrial-machinery anomaly detection with a BiLSTM autoencoder (Part 2), ported line by line.

Source: https://github.com/matlab-deep-learning/Industrial-Machinery-Anomaly-Detection
commit f213a1e2c081fa8bebd41cba43ae36fe0fd10580, files Part2_LSTMAutoencoder.mlx (the live script's code) and
HelperFunctions/extractLabeledData.m; BSD-3-Clause licence, Copyright (c) 2021, The MathWorks, Inc. (LICENSE and
SOURCE.md beside this file). Where a Python line differs from the MATLAB line, the MATLAB line is the comment above
it. The program's data (FeatureEntire.mat, a MATLAB table of 17,642 rows) is a MATLAB table object, which
layergraph's `load` cannot read (FeatureSmall.mat beside this file shows the error): the section "stand-ins" makes
a table of the same shape from synthetic features, and gives the table operations layergraph lacks.

Usage:  python examples/ports/machinery_anomaly/lstm_autoencoder.py [--rows 2000] [--epochs 500]
            [--mini-batch-size 500]
"""
from __future__ import annotations

import argparse
import sys
from types import SimpleNamespace

import numpy as np
import torch

from layergraph import (
    bilstmLayer,
    categorical,
    confusionchart,
    fullyConnectedLayer,
    predict,
    regressionLayer,
    reluLayer,
    resetState,
    sequenceInputLayer,
    table,
    trainingOptions,
    trainNetwork,
)


# ----- stand-ins (not in the source): the data and the MATLAB table operations layergraph lacks -----------------
def syntheticFeatureAll(rows: int, seed: int = 0):
    """A table like FeatureEntire.mat's featureAll: `label` ("After"/"Before") and 12 feature variables. Healthy
    ("After") rows scatter around one feature profile; "Before" rows add a drift to features 10-12, the features
    the source's plots show as badly reconstructed."""
    rng = np.random.default_rng(seed)
    profile = np.linspace(-1.0, 1.0, 12)
    label = np.where(rng.random(rows) < 0.5, "After", "Before")
    features = profile + 0.05 * rng.standard_normal((rows, 12))
    features[label == "Before", 9:] += 1.5 + 0.3 * rng.standard_normal(((label == "Before").sum(), 3))
    names = ["label", *[f"feature{j + 1}" for j in range(12)]]
    return table(categorical(list(label)), *features.T, VariableNames=names)


def cvpartition(group, kind: str, p: float, seed: int = 0) -> SimpleNamespace:
    """cvpartition(group, 'holdout', p): a stratified holdout (p of each group's rows in the test set), with
    MATLAB's `training`/`test` logical vectors."""
    assert kind == "holdout"
    rng = np.random.default_rng(seed)
    labels = np.array([str(g) for g in group])
    test = np.zeros(len(labels), dtype=bool)
    for g in np.unique(labels):
        rows = np.flatnonzero(labels == g)
        test[rng.choice(rows, round(p * len(rows)), replace=False)] = True
    return SimpleNamespace(training=~test, test=test)


def rowsOf(T, rows):
    """MATLAB's `T(rows, :)`: the table of the selected rows (a logical vector)."""
    keep = np.flatnonzero(rows)
    return table(*[[T[name][i] for i in keep] for name in T.VariableNames], VariableNames=T.VariableNames)


def variablesOf(T, first: int):
    """MATLAB's `T(:, first:end).Variables`: the variables from number `first` (1-based) as one numeric matrix."""
    return np.column_stack([np.asarray(T[name], dtype=np.float64) for name in T.VariableNames[first - 1:]])


def labelsOf(T) -> np.ndarray:
    """The `label` variable as text, to compare with a string (MATLAB's `T.label == "After"`)."""
    return np.array([str(v) for v in T.label])


# ----- HelperFunctions/extractLabeledData.m -------------------------------------------------------------------
def extractLabeledData(featureTable, Label: str = "All"):
    """Extract data from normal or abnormal operating conditions and re-format to support input to the
    autoencoder network."""
    # arguments: options.Label(1,1) string {mustBeMember(options.Label,["After", "Before", "All"])} = "All"
    if Label not in ("After", "Before", "All"):
        raise ValueError(f"extractLabeledData: Label must be After, Before or All, got {Label!r}")

    # Select data with label After
    if Label == "All":
        # Xtemp = featureTable(:, 2:end).Variables;
        Xtemp = variablesOf(featureTable, 2)
    else:
        # tF = featureTable.label == options.Label;
        tF = labelsOf(featureTable) == Label
        # Xtemp = featureTable(tF, 2:end).Variables;
        Xtemp = variablesOf(rowsOf(featureTable, tF), 2)

    # Arrange data into cells
    # X = cell(length(Xtemp),1); for i = 1:length(Xtemp), X{i,:} = Xtemp(i,:); end
    #   (a cell column: a list of 1×12 rows. MATLAB's length is the larger dimension: with fewer rows than
    #    12 features the source indexes past the last row, an error in MATLAB and here, as Xtemp[[i], :] raises)
    X = [Xtemp[[i], :] for i in range(max(Xtemp.shape))]
    return X


# ----- Part2_LSTMAutoencoder.mlx: helper functions -------------------------------------------------------------
def calculateError(X, Y):
    """Reconstruction error per observation: the 2-norm of each decoded row's difference."""
    # E = zeros(length(X),1);
    E = np.zeros((len(X), 1))
    for i in range(len(X)):
        # E(i,:) = sqrt(sum((Y{i} - X{i}).^2));
        E[i, :] = np.sqrt(np.sum((Y[i] - X[i]) ** 2))
    return E


def visualizeError(errorBefore, errorAfter):
    """The two error curves (figure not drawn): the titles' mean errors are printed."""
    # title(["Before Maintenance", sprintf("Mean Error: %.2f\n", mean(errorBefore))]) ...
    print(f"Before Maintenance: Mean Error: {np.mean(errorBefore):.2f}")
    print(f"After Maintenance: Mean Error: {np.mean(errorAfter):.2f}")


def visualizeAnomalies(anomalies, errorAll, featureTest):
    """Candidate anomalies and the test accuracy against the labels (figures not drawn)."""
    # anomalyIdx = find(anomalies);
    anomalyIdx = np.flatnonzero(anomalies) + 1
    anomalyErr = errorAll[anomalies]  # noqa: F841 (plotted in the source)

    # predAE = categorical(anomalies, [1, 0], ["Anomaly", "Healthy"]);
    #   (layergraph's categorical takes no value set and names: the names are mapped first)
    predAE = categorical(["Anomaly" if a else "Healthy" for a in np.ravel(anomalies)], ["Anomaly", "Healthy"])
    # trueAE = renamecats(featureTest.label,["Before","After"],["Anomaly","Healthy"]);
    #   (layergraph has no renamecats: the labels are renamed as text)
    rename = {"Before": "Anomaly", "After": "Healthy"}
    trueAE = categorical([rename[v] for v in labelsOf(featureTest)], ["Anomaly", "Healthy"])
    # acc = numel(find(trueAE == predAE))/numel(predAE)*100;
    acc = np.count_nonzero(np.asarray(trueAE == predAE)) / len(predAE) * 100

    # t = tiledlayout("flow"); title(t, "Test Accuracy: " + round(mean(acc),2) + "%");
    print(f"Test Accuracy: {round(acc, 2)}% ({len(anomalyIdx)} candidate anomalies)")
    # confusionchart(trueAE,predAE)
    chart = confusionchart(trueAE, predAE)
    return acc, chart


def visualizeModelBehavior(normalData, abnormalData, decodedNorm, decodedAbNorm):
    """Input, decoded features and their error for one normal and one abnormal sample (figure not drawn)."""
    # stem(abs(normalData{:} - decodedNorm{:})) ...
    for title, x, y in (("Normal Input", normalData, decodedNorm), ("Abnormal Input", abnormalData, decodedAbNorm)):
        print(f"{title}: largest feature error {np.max(np.abs(x[0] - y[0])):.2f}")


# ----- Part2_LSTMAutoencoder.mlx ------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2000, help="rows of the synthetic feature table (source: 17642)")
    parser.add_argument("--epochs", type=int, default=500, help="MaxEpochs (the program: 500)")
    parser.add_argument("--mini-batch-size", type=int, default=500, help="MiniBatchSize (the program: 500)")
    options = parser.parse_args(argv)

    # %% Load Features and Labels
    # load("FeatureEntire.mat")   (a MATLAB table object: see the stand-ins and SOURCE.md)
    featureAll = syntheticFeatureAll(options.rows)
    # head(featureAll)
    print(featureAll)

    # %% Split into Training and Test Datasets
    # rng(0) % set for reproducibility
    torch.manual_seed(0)

    idx = cvpartition(featureAll.label, "holdout", 0.1)
    # featureTrain = featureAll(idx.training, :);
    featureTrain = rowsOf(featureAll, idx.training)
    featureTest = rowsOf(featureAll, idx.test)

    # %% Set up biLSTM Autoencoder Network
    # X = extractLabeledData(featureTrain, "Label", "After");
    X = extractLabeledData(featureTrain, Label="After")

    featureDimension = 1

    # Define biLSTM network layers
    layers = [sequenceInputLayer(featureDimension, "Name", "in"),
              bilstmLayer(16, "Name", "bilstm1"),
              reluLayer("Name", "relu1"),
              bilstmLayer(32, "Name", "bilstm2"),
              reluLayer("Name", "relu2"),
              bilstmLayer(16, "Name", "bilstm3"),
              reluLayer("Name", "relu3"),
              fullyConnectedLayer(featureDimension, "Name", "fc"),
              regressionLayer("Name", "out")]

    # Set Training Options
    # options = trainingOptions('adam', 'Plots', 'training-progress', 'MiniBatchSize', 500, 'MaxEpochs', 500);
    #   ('Plots' draws training-progress.png here; Precision fp32 so that the numbers do not depend on the CPU)
    trainOptions = trainingOptions("adam",
                                   "Plots", "none",
                                   "MiniBatchSize", options.mini_batch_size,
                                   "MaxEpochs", options.epochs,
                                   "Verbose", False,
                                   "Precision", "fp32")

    # %% Train Network
    # %net = trainNetwork(X, X, layers, options);
    # load TrainedNetwork.mat
    #   (the source loads its trained SeriesNetwork, a MATLAB object layergraph cannot read: the commented
    #    training line runs instead)
    net = trainNetwork(X, X, layers, trainOptions)
    #   (not in the source: on this branch layergraph's trained network keeps the recurrent state of the last
    #    training mini-batch, so a single sequence cannot be predicted before resetState; MATLAB's trainNetwork
    #    returns the initial state, and branch seq21 makes trainnet do so too. See SOURCE.md)
    net = resetState(net)

    # %% Visualize Model Behavior on Validation Data
    # testAfter = {featureTest(1200, 2:end).Variables}; % 1200 is a sample from After
    #   (the source's row numbers 1200 and 200 index its 1,764 test rows: here the first After and Before rows)
    testRows = variablesOf(featureTest, 2)
    testLabels = labelsOf(featureTest)
    testAfter = [testRows[np.flatnonzero(testLabels == "After")[0]][None, :]]
    testBefore = [testRows[np.flatnonzero(testLabels == "Before")[0]][None, :]]

    # Predict decoded signal for both
    decodedAfter = predict(net, testAfter)
    decodedBefore = predict(net, testBefore)

    # Visualize
    visualizeModelBehavior(testAfter, testBefore, decodedAfter, decodedBefore)

    # %% Visualize Model Error on Validation Data
    # Extract data Before maintenance
    XTestBefore = extractLabeledData(featureTest, Label="Before")

    # Predict output before maintenance and calculate error
    yHatBefore = predict(net, XTestBefore)
    errorBefore = calculateError(XTestBefore, yHatBefore)

    # Extract data after maintenance
    XTestAfter = extractLabeledData(featureTest, Label="After")

    # Predict output after maintenance and calculate error
    yHatAfter = predict(net, XTestAfter)
    errorAfter = calculateError(XTestAfter, yHatAfter)

    visualizeError(errorBefore, errorAfter)

    # %% Identify Anomalies
    XTestAll = extractLabeledData(featureTest, Label="All")

    yHatAll = predict(net, XTestAll)
    errorAll = calculateError(XTestAll, yHatAll)

    thresh = 0.5
    # anomalies = errorAll > thresh*mean(errorAll);
    anomalies = errorAll > thresh * np.mean(errorAll)

    acc, chart = visualizeAnomalies(anomalies, errorAll, featureTest)

    return {"net": net, "X": X, "featureTest": featureTest, "errorBefore": errorBefore, "errorAfter": errorAfter,
            "errorAll": errorAll, "XTestAll": XTestAll, "yHatAll": yHatAll, "acc": acc, "chart": chart}


if __name__ == "__main__":
    main(sys.argv[1:])
