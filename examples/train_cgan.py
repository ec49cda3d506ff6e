"""MATLAB's "Train Conditional Generative Adversarial Network (CGAN)" example, ported line by line.

Usage:  python examples/train_cgan.py IMAGE_FOLDER [--small] [--epochs N] [--out DIR]

IMAGE_FOLDER holds one sub-folder per class (MATLAB's flower_photos, or `layergraph data digits DIR`).
--small trains a 32×32 version with fewer filters so that it finishes on a CPU in minutes.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch

from layergraph import (
    adamupdate,
    addLayers,
    augmentedImageDatastore,
    batchNormalizationLayer,
    canUseGPU,
    cat,
    categories,
    concatenationLayer,
    connectLayers,
    convolution2dLayer,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    dropoutLayer,
    embeddingLayer,
    extractdata,
    featureInputLayer,
    forward,
    fullyConnectedLayer,
    functionLayer,
    imageDataAugmenter,
    imageDatastore,
    imageInputLayer,
    imtile,
    imwrite,
    layerGraph,
    leakyReluLayer,
    minibatchqueue,
    predict,
    reluLayer,
    rescale,
    tanhLayer,
    transposedConv2dLayer,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--small", action="store_true", help="32×32 images, fewer filters (CPU-sized)")
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--max-iterations", type=int, default=None)
    parser.add_argument("--out", default="runs/cgan_example")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    # Load Training Data
    imds = imageDatastore(args.folder, IncludeSubfolders=True, LabelSource="foldernames")
    classes = categories(imds.Labels)
    numClasses = len(classes)

    inputSize = [32, 32, 3] if args.small else [64, 64, 3]
    augmenter = imageDataAugmenter(RandXReflection=True)
    augimds = augmentedImageDatastore(inputSize[:2], imds, DataAugmentation=augmenter, ColorPreprocessing="gray2rgb")

    # Define Generator Network
    numLatentInputs = 100
    embeddingDimension = 50
    numFilters = 16 if args.small else 64
    filterSize = 5
    projectionSize = [4, 4, 8 * numFilters] if args.small else [4, 4, 1024]

    layersGenerator = [
        featureInputLayer(numLatentInputs),
        fullyConnectedLayer(math.prod(projectionSize)),
        functionLayer("feature2image", Arguments=[projectionSize], Formattable=True),
        concatenationLayer(3, 2, Name="cat"),
        transposedConv2dLayer(filterSize, 4 * numFilters, Stride=1 if not args.small else 2, Cropping="same"
                              if args.small else 0),
        batchNormalizationLayer(),
        reluLayer(),
        transposedConv2dLayer(filterSize, 2 * numFilters, Stride=2, Cropping="same"),
        batchNormalizationLayer(),
        reluLayer(),
        transposedConv2dLayer(filterSize, numFilters, Stride=2, Cropping="same"),
        batchNormalizationLayer(),
        reluLayer(),
        transposedConv2dLayer(filterSize, 3, Stride=2 if not args.small else 1, Cropping="same"),
        tanhLayer()]
    lgraphGenerator = layerGraph(layersGenerator)

    layers = [
        featureInputLayer(1),
        embeddingLayer(embeddingDimension, numClasses),
        fullyConnectedLayer(math.prod(projectionSize[:2])),
        functionLayer("feature2image", Arguments=[[*projectionSize[:2], 1]], Formattable=True, Name="emb_reshape")]
    lgraphGenerator = addLayers(lgraphGenerator, layers)
    lgraphGenerator = connectLayers(lgraphGenerator, "emb_reshape", "cat/in2")
    netG = dlnetwork(lgraphGenerator)

    # Define Discriminator Network
    dropoutProb = 0.75
    scale = 0.2
    layersDiscriminator = [
        imageInputLayer(inputSize, Normalization="none"),
        dropoutLayer(dropoutProb),
        concatenationLayer(3, 2, Name="cat"),
        convolution2dLayer(filterSize, numFilters, Stride=2, Padding="same"),
        leakyReluLayer(scale),
        convolution2dLayer(filterSize, 2 * numFilters, Stride=2, Padding="same"),
        batchNormalizationLayer(),
        leakyReluLayer(scale),
        convolution2dLayer(filterSize, 4 * numFilters, Stride=2, Padding="same"),
        batchNormalizationLayer(),
        leakyReluLayer(scale),
        convolution2dLayer(filterSize, 8 * numFilters, Stride=2, Padding="same"),
        batchNormalizationLayer(),
        leakyReluLayer(scale),
        convolution2dLayer(4 if not args.small else 2, 1)]
    lgraphDiscriminator = layerGraph(layersDiscriminator)

    layers = [
        featureInputLayer(1),
        embeddingLayer(embeddingDimension, numClasses),
        fullyConnectedLayer(math.prod(inputSize[:2])),
        functionLayer("feature2image", Arguments=[[*inputSize[:2], 1]], Formattable=True, Name="emb_reshape")]
    lgraphDiscriminator = addLayers(lgraphDiscriminator, layers)
    lgraphDiscriminator = connectLayers(lgraphDiscriminator, "emb_reshape", "cat/in2")
    netD = dlnetwork(lgraphDiscriminator)

    # Specify Training Options
    numEpochs = args.epochs
    miniBatchSize = 32 if args.small else 128
    learnRate = 0.0002
    gradientDecayFactor = 0.5
    squaredGradientDecayFactor = 0.999
    validationFrequency = 100
    flipFactor = 0.5

    # Train Model
    augimds.MiniBatchSize = miniBatchSize
    executionEnvironment = "auto"
    mbq = minibatchqueue(augimds,
                         MiniBatchSize=miniBatchSize,
                         PartialMiniBatch="discard",
                         MiniBatchFcn=preprocessData,
                         MiniBatchFormat=["SSCB", "BC"],
                         OutputEnvironment=executionEnvironment)

    trailingAvgGenerator = []
    trailingAvgSqGenerator = []
    trailingAvgDiscriminator = []
    trailingAvgSqDiscriminator = []

    numValidationImagesPerClass = 5
    ZValidation = torch.randn(numLatentInputs, numValidationImagesPerClass * numClasses)
    TValidation = torch.arange(1, numClasses + 1, dtype=torch.float32).repeat(numValidationImagesPerClass)
    dlZValidation = dlarray(ZValidation, "CB")
    dlTValidation = dlarray(TValidation.reshape(1, -1), "CB")
    if (executionEnvironment == "auto" and canUseGPU()) or executionEnvironment == "gpu":
        dlZValidation, dlTValidation = dlZValidation.cuda(), dlTValidation.cuda()

    iteration = 0
    start = time.time()
    for epoch in range(1, numEpochs + 1):
        # Reset and shuffle data.
        mbq.shuffle()
        while mbq.hasdata():
            iteration += 1
            # Read mini-batch of data.
            dlX, dlT = mbq.next()
            Z = torch.randn(numLatentInputs, miniBatchSize)
            dlZ = dlarray(Z, "CB").to(dlX.device)

            gradientsGenerator, gradientsDiscriminator, stateGenerator, scoreGenerator, scoreDiscriminator = \
                dlfeval(modelGradients, netG, netD, dlX, dlT, dlZ, flipFactor)
            netG.State = stateGenerator

            netD, trailingAvgDiscriminator, trailingAvgSqDiscriminator = adamupdate(
                netD, gradientsDiscriminator, trailingAvgDiscriminator, trailingAvgSqDiscriminator, iteration,
                learnRate, gradientDecayFactor, squaredGradientDecayFactor)
            netG, trailingAvgGenerator, trailingAvgSqGenerator = adamupdate(
                netG, gradientsGenerator, trailingAvgGenerator, trailingAvgSqGenerator, iteration,
                learnRate, gradientDecayFactor, squaredGradientDecayFactor)

            # Every validationFrequency iterations, display batch of generated images.
            if iteration % validationFrequency == 0 or iteration == 1:
                dlXGeneratedValidation = predict(netG, dlZValidation, dlTValidation)
                I = imtile(extractdata(dlXGeneratedValidation),
                           GridSize=[numValidationImagesPerClass, numClasses])
                I = rescale(I)
                imwrite(I, out / "generated.png")
                print(f"Epoch: {epoch}, Iteration: {iteration}, Elapsed: {time.time() - start:.0f} s, "
                      f"scoreG {float(extractdata(scoreGenerator)):.3f}, "
                      f"scoreD {float(extractdata(scoreDiscriminator)):.3f}")
            if args.max_iterations and iteration >= args.max_iterations:
                break
        if args.max_iterations and iteration >= args.max_iterations:
            break

    # Generate New Images: 36 images of the first class
    numObservationsNew = 36
    idxClass = 1
    Z = torch.randn(numLatentInputs, numObservationsNew)
    T = torch.full((1, numObservationsNew), float(idxClass))
    dlXGenerated = predict(netG, dlarray(Z, "CB"), dlarray(T, "CB"))
    I = rescale(imtile(extractdata(dlXGenerated)))
    imwrite(I, out / f"class_{classes[idxClass - 1]}.png")
    print(f"wrote {out / 'generated.png'} and {out / f'class_{classes[idxClass - 1]}.png'}")


def modelGradients(netG, netD, dlX, dlT, dlZ, flipFactor):
    """The example's modelGradients: scores, flipped real labels, ganLoss, both gradients."""
    # Calculate the predictions for real data with the discriminator network.
    dlYPred, _ = forward(netD, dlX, dlT)
    # Calculate the predictions for generated data with the discriminator network.
    dlXGenerated, stateGenerator = forward(netG, dlZ, dlT)
    dlYPredGenerated, _ = forward(netD, dlXGenerated, dlT)

    # Calculate probabilities.
    probGenerated = torch.sigmoid(dlYPredGenerated)
    probReal = torch.sigmoid(dlYPred)

    # Calculate the generator and discriminator scores.
    scoreGenerator = probGenerated.mean()
    scoreDiscriminator = (probReal.mean() + (1 - probGenerated).mean()) / 2

    # Flip labels.
    numObservations = probReal.shape[0]  # MATLAB: size(dlYPred, 4) — torch keeps the batch first
    idx = torch.randperm(numObservations)[: math.floor(flipFactor * numObservations)]
    probReal = probReal.clone()
    probReal[idx] = 1 - probReal[idx]

    # Calculate the GAN loss.
    lossGenerator, lossDiscriminator = ganLoss(probReal, probGenerated)

    # For each network, calculate the gradients with respect to the loss.
    gradientsGenerator = dlgradient(lossGenerator, netG.Learnables, RetainData=True)
    gradientsDiscriminator = dlgradient(lossDiscriminator, netD.Learnables)
    return gradientsGenerator, gradientsDiscriminator, stateGenerator, scoreGenerator, scoreDiscriminator


def ganLoss(probReal, probGenerated):
    """The example's ganLoss."""
    # Calculate losses for the discriminator network.
    lossGenerated = -torch.log(1 - probGenerated).mean()
    lossReal = -torch.log(probReal).mean()
    # Combine the losses for the discriminator network.
    lossDiscriminator = lossReal + lossGenerated
    # Calculate the loss for the generator network.
    lossGenerator = -torch.log(probGenerated).mean()
    return lossGenerator, lossDiscriminator


def preprocessData(XCell, TCell):
    """The example's preprocessData: concatenate, then rescale the images to [-1 1]."""
    # Extract image data from cell and concatenate
    X = cat(4, *XCell)
    # Extract label data from cell and concatenate
    T = cat(1, *TCell)
    # Rescale the images in the range [-1 1].
    X = rescale(X, -1, 1, InputMin=0, InputMax=255)
    return X, T


if __name__ == "__main__":
    main()
