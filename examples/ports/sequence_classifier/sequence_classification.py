"""MathWorks' documented example "Sequence Classification Using Deep Learning" (a BiLSTM classifier trained with
trainingOptions and trainnet), ported statement by statement.

Source: https://www.mathworks.com/help/deeplearning/ug/classify-sequence-data-using-lstm-networks.html
(Deep Learning Toolbox documentation; see SOURCE.md beside this file). Written in our own words following the
documented steps; where a Python line differs from the MATLAB line, the MATLAB line is the comment above.

Usage:  python examples/ports/sequence_classifier/sequence_classification.py [--max-epochs 200]
        [--num-hidden-units 100] [--num-train 1200] [--plots training-progress] [--out DIR]

The page's Japanese Vowels download is replaced by data that ships with scikit-learn: each 8×8 digit read row by
row (8 features per time step), faint rows above and below the digit dropped, so the sequences have 3 to 8 time
steps. The sequences are C×T cell arrays (lists), the layout layergraph's trainnet reads.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from layergraph import (
    bilstmLayer,
    categorical,
    categories,
    confusionchart,
    fullyConnectedLayer,
    mean,
    minibatchpredict,
    numel,
    scores2label,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainnet,
)


def digit_sequence_data(num_train: int, num_test: int, seed: int = 0) -> tuple[list, object, list, object]:
    """The stand-in for japaneseVowelsTrainData / japaneseVowelsTestData: (XTrain, TTrain, XTest, TTest).

    Each 8×8 digit (pixels scaled to 0…1) is read top to bottom, one pixel row per time step, as a T×8 (T×C)
    array, the layout trainnet takes; rows above and below the digit holding less than 1.5 of ink (the row's
    pixel sum) are left out, so the sequences have 3 to 8 time steps (1,231 of the 1,797 keep all 8). The labels
    are categorical "0".."9"; the split is random with a fixed seed.
    """
    digits = load_digits()
    seqs = []
    for img in digits.images / 16.0:
        rows = np.flatnonzero(img.sum(1) >= 1.5)  # rows with ink enough
        seqs.append(np.ascontiguousarray(img[rows[0]:rows[-1] + 1], dtype=np.float32))  # T × 8
    order = np.random.default_rng(seed).permutation(len(seqs))
    train, test = order[:num_train], order[num_train:num_train + num_test]
    names = [str(k) for k in range(10)]
    labels = digits.target
    return ([seqs[i] for i in train], categorical([str(labels[i]) for i in train], names),
            [seqs[i] for i in test], categorical([str(labels[i]) for i in test], names))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-train", type=int, default=1200, help="training sequences (the page: 270)")
    parser.add_argument("--num-test", type=int, default=597, help="test sequences (the page: 370)")
    parser.add_argument("--num-hidden-units", type=int, default=100, help="numHiddenUnits (the page: 100)")
    parser.add_argument("--max-epochs", type=int, default=200, help="MaxEpochs (the page: 200)")
    parser.add_argument("--plots", default="training-progress", help="Plots (the page: training-progress)")
    parser.add_argument("--out", default=None, help="folder for confusion.png (optional)")
    args = parser.parse_args(argv)

    # Load Sequence Data
    # [XTrain,TTrain] = japaneseVowelsTrainData;
    XTrain, TTrain, XTest, TTest = digit_sequence_data(args.num_train, args.num_test)
    # XTrain(1:5)
    print("XTrain(1:5):", [x.shape for x in XTrain[:5]])
    # classNames = categories(TTrain);
    classNames = categories(TTrain)

    # Prepare Data for Padding
    # numObservations = numel(XTrain);   (a cell array's numel: len of the list)
    numObservations = len(XTrain)
    sequenceLengths = np.zeros(numObservations, dtype=int)
    # for i=1:numObservations
    for i in range(numObservations):
        # sequence = XTrain{i};
        sequence = XTrain[i]
        # sequenceLengths(i) = size(sequence,1);
        sequenceLengths[i] = sequence.shape[0]
    # [sequenceLengths,idx] = sort(sequenceLengths);
    idx = np.argsort(sequenceLengths, kind="stable")
    sequenceLengths = sequenceLengths[idx]
    # XTrain = XTrain(idx);
    XTrain = [XTrain[i] for i in idx]
    # TTrain = TTrain(idx);
    TTrain = categorical([TTrain[int(i)] for i in idx], classNames)
    print(f"sequence lengths {sequenceLengths[0]} to {sequenceLengths[-1]} time steps")

    # Define LSTM Neural Network Architecture
    # numFeatures = 12;
    numFeatures = 8
    numHiddenUnits = args.num_hidden_units
    # numClasses = 9;
    numClasses = numel(classNames)
    layers = [
        sequenceInputLayer(numFeatures),
        bilstmLayer(numHiddenUnits, OutputMode="last"),
        fullyConnectedLayer(numClasses),
        softmaxLayer()]

    # Specify Training Options
    options = trainingOptions("adam",
                              MaxEpochs=args.max_epochs,
                              InitialLearnRate=0.002,
                              GradientThreshold=1,
                              Shuffle="never",
                              Plots=args.plots,
                              Metrics="accuracy",
                              Verbose=False,
                              Precision="fp32")  # layergraph's own option: MATLAB trains in single precision

    # Train LSTM Neural Network
    # net = trainnet(XTrain,TTrain,layers,"crossentropy",options);
    net, info = trainnet(XTrain, TTrain, layers, "crossentropy", options)

    # Test LSTM Neural Network
    # [XTest,TTest] = japaneseVowelsTestData;   (made above with the training data)
    # scores = minibatchpredict(net,XTest);
    scores = minibatchpredict(net, XTest)
    # YTest = scores2label(scores,classNames);
    YTest = scores2label(scores, classNames)
    # acc = mean(YTest == TTest)   (.item(): the 1×1 result as a Python number)
    acc = mean(YTest == TTest).item()
    print(f"acc {acc:.4f} on {numel(TTest)} test sequences")
    # figure; confusionchart(TTest,YTest)   → a PNG file
    chart = confusionchart(TTest, YTest)
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        chart.save(str(Path(args.out) / "confusion.png"))
    return {"net": net, "info": info, "acc": acc, "scores": scores, "YTest": YTest, "TTest": TTest,
            "XTrain": XTrain, "TTrain": TTrain, "XTest": XTest, "classNames": classNames}


if __name__ == "__main__":
    main(sys.argv[1:])
