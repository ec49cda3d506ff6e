"""MathWorks' documented example "Create Simple Deep Learning Neural Network for Classification" (a small
convolutional digit classifier trained with trainingOptions and trainnet), ported statement by statement.

Source: https://www.mathworks.com/help/deeplearning/ug/create-simple-deep-learning-network-for-classification.html
(Deep Learning Toolbox documentation; see SOURCE.md beside this file). Written in our own words following the
documented steps; where a Python line differs from the MATLAB line, the MATLAB line is the comment above.

Usage:  python examples/ports/simple_classifier/create_simple_classifier.py [DIGIT_FOLDER] [--legacy]

DIGIT_FOLDER holds one sub-folder of PNG images per class, as MATLAB's DigitDataset does; without it the
built-in digits (scikit-learn's, `layergraph data digits DIR --size 28`) are written to a temporary folder.
--legacy runs the page's older form: classificationLayer, trainNetwork and classify.
"""
from __future__ import annotations

import argparse
import sys
import tempfile

import torch

from layergraph import (
    batchNormalizationLayer,
    categories,
    classificationLayer,
    classify,
    convolution2dLayer,
    fullyConnectedLayer,
    imageDatastore,
    imageInputLayer,
    maxPooling2dLayer,
    mean,
    minibatchpredict,
    numel,
    reluLayer,
    scores2label,
    softmaxLayer,
    trainingOptions,
    trainnet,
    trainNetwork,
)
from layergraph.data import write_digits


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", help="digit images in one folder per class (default: built-in)")
    parser.add_argument("--num-train-files", type=int, default=135,
                        help="numTrainFiles (the page: 750 of 1000 per class; the built-in digits have ~180)")
    parser.add_argument("--max-epochs", type=int, default=4, help="MaxEpochs (the page: 4)")
    parser.add_argument("--plots", default="training-progress", help="Plots (the page: training-progress)")
    parser.add_argument("--legacy", action="store_true", help="trainNetwork + classificationLayer + classify")
    args = parser.parse_args(argv)

    # Load and Explore Image Data
    # digitDatasetPath = fullfile(matlabroot,'toolbox','nnet','nndemos','nndatasets','DigitDataset');
    digitDatasetPath = args.folder
    if digitDatasetPath is None:  # the built-in digits, 28×28 like MATLAB's DigitDataset
        digitDatasetPath = tempfile.mkdtemp(prefix="digits_")
        write_digits(digitDatasetPath, size=28)
    # imds = imageDatastore(digitDatasetPath,IncludeSubfolders=true,LabelSource="foldernames");
    imds = imageDatastore(digitDatasetPath, IncludeSubfolders=True, LabelSource="foldernames")

    # classNames = categories(imds.Labels);
    classNames = categories(imds.Labels)
    # labelCount = countEachLabel(imds)
    labelCount = imds.countEachLabel()
    print("labelCount", labelCount)
    # img = readimage(imds,1); size(img)
    img = imds.readimage(1)
    print("size(img)", img.shape)

    # Specify Training and Validation Sets
    numTrainFiles = args.num_train_files
    # [imdsTrain,imdsValidation] = splitEachLabel(imds,numTrainFiles,"randomize");
    imdsTrain, imdsValidation = splitEachLabel(imds, numTrainFiles, "randomize")

    # Define Neural Network Architecture
    layers = [
        imageInputLayer([28, 28, 1]),
        convolution2dLayer(3, 8, Padding="same"),
        batchNormalizationLayer(),
        reluLayer(),
        maxPooling2dLayer(2, Stride=2),
        convolution2dLayer(3, 16, Padding="same"),
        batchNormalizationLayer(),
        reluLayer(),
        maxPooling2dLayer(2, Stride=2),
        convolution2dLayer(3, 32, Padding="same"),
        batchNormalizationLayer(),
        reluLayer(),
        fullyConnectedLayer(10),
        softmaxLayer()]

    # Specify Training Options
    options = trainingOptions("sgdm",
                              InitialLearnRate=0.01,
                              MaxEpochs=args.max_epochs,
                              Shuffle="every-epoch",
                              ValidationData=imdsValidation,
                              ValidationFrequency=30,
                              Plots=args.plots,
                              Metrics="accuracy",
                              Verbose=False,
                              Precision="fp32")  # layergraph's own option: MATLAB trains in single precision

    if args.legacy:
        # the page's older form: layers end in classificationLayer; trainNetwork; classify
        # net = trainNetwork(imdsTrain,layers,options);
        net, info = trainNetwork(imdsTrain, [*layers, classificationLayer()], options)
        # YPred = classify(net,imdsValidation);
        YValidation = classify(net, imdsValidation)
    else:
        # Train Neural Network
        # net = trainnet(imdsTrain,layers,"crossentropy",options);
        net, info = trainnet(imdsTrain, layers, "crossentropy", options)

        # Classify Validation Images and Compute Accuracy
        # scores = minibatchpredict(net,imdsValidation);
        scores = minibatchpredict(net, imdsValidation)
        # YValidation = scores2label(scores,classNames);
        YValidation = scores2label(scores, classNames)

    # TValidation = imdsValidation.Labels;
    TValidation = imdsValidation.Labels
    # accuracy = mean(YValidation == TValidation)   (.item(): the 1×1 result as a Python number)
    accuracy = mean(YValidation == TValidation).item()
    print(f"accuracy {accuracy:.4f} on {numel(TValidation)} validation images")
    return {"net": net, "info": info, "accuracy": accuracy, "YValidation": YValidation,
            "TValidation": TValidation, "classNames": classNames, "imdsTrain": imdsTrain,
            "imdsValidation": imdsValidation}


def splitEachLabel(imds, n, how="randomize"):
    """MATLAB's [imds1, imds2] = splitEachLabel(imds, n, 'randomize'): n files of each label in the first
    datastore (chosen at random), the rest in the second. (layergraph has no splitEachLabel yet.)"""
    labels = imds.Labels
    first, second = [], []
    for code in range(1, len(labels.categories) + 1):
        idx = [i + 1 for i, c in enumerate(labels.codes) if c == code]  # 1-based, as subset takes them
        if how == "randomize":
            idx = [idx[j] for j in torch.randperm(len(idx)).tolist()]
        first += idx[:n]
        second += idx[n:]
    return imds.subset(sorted(first)), imds.subset(sorted(second))


if __name__ == "__main__":
    main(sys.argv[1:])
