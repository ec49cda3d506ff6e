"""MATLAB's "Train Generative Adversarial Network (GAN)" example, ported line by line.

Usage:  python examples/train_gan.py IMAGE_FOLDER [--small] [--epochs N] [--out DIR]

IMAGE_FOLDER is searched recursively for images (MATLAB's flower_photos, or `layergraph data digits DIR`).
--small trains 32×32 images with fewer filters so that it finishes on a CPU in minutes.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch

from layergraph import (
    adamupdate,
    augmentedImageDatastore,
    batchNormalizationLayer,
    canUseGPU,
    cat,
    convolution2dLayer,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    dropoutLayer,
    extractdata,
    forward,
    imageDataAugmenter,
    imageDatastore,
    imageInputLayer,
    imtile,
    imwrite,
    layerGraph,
    leakyReluLayer,
    minibatchqueue,
    predict,
    projectAndReshapeLayer,
    reluLayer,
    rescale,
    sigmoidLayer,
    tanhLayer,
    transposedConv2dLayer,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--small", action="store_true", help="32×32 images, fewer filters (CPU-sized)")
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--max-iterations", type=int, default=None)
    parser.add_argument("--out", default="runs/gan_example")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    # Load Training Data
    imds = imageDatastore(args.folder, IncludeSubfolders=True)
    augmenter = imageDataAugmenter(RandXReflection=True)
    imageSize = [32, 32] if args.small else [64, 64]
    augimds = augmentedImageDatastore(imageSize, imds, DataAugmentation=augmenter, ColorPreprocessing="gray2rgb")

    # Define Generator Network
    filterSize = 5
    numFilters = 16 if args.small else 64
    numLatentInputs = 100
    projectionSize = [2, 2, 512] if args.small else [4, 4, 512]
    layersGenerator = [
        imageInputLayer([1, 1, numLatentInputs], 'Normalization', 'none', 'Name', 'in'),
        projectAndReshapeLayer(projectionSize, numLatentInputs, 'proj'),
        transposedConv2dLayer(filterSize, 4 * numFilters, 'Name', 'tconv1'),
        batchNormalizationLayer('Name', 'bnorm1'),
        reluLayer('Name', 'relu1'),
        transposedConv2dLayer(filterSize, 2 * numFilters, 'Stride', 2, 'Cropping', 'same', 'Name', 'tconv2'),
        batchNormalizationLayer('Name', 'bnorm2'),
        reluLayer('Name', 'relu2'),
        transposedConv2dLayer(filterSize, numFilters, 'Stride', 2, 'Cropping', 'same', 'Name', 'tconv3'),
        batchNormalizationLayer('Name', 'bnorm3'),
        reluLayer('Name', 'relu3'),
        transposedConv2dLayer(filterSize, 3, 'Stride', 2, 'Cropping', 'same', 'Name', 'tconv4'),
        tanhLayer('Name', 'tanh')]
    if args.small:  # 2×2 → tconv1 (5×5, no cropping) 6×6 would not double evenly: crop to 4×4 instead
        layersGenerator[2] = transposedConv2dLayer(filterSize, 4 * numFilters, 'Stride', 2, 'Cropping', 'same',
                                                   'Name', 'tconv1')
    lgraphGenerator = layerGraph(layersGenerator)
    dlnetGenerator = dlnetwork(lgraphGenerator)

    # Define Discriminator Network
    dropoutProb = 0.5
    scale = 0.2
    inputSize = [*imageSize, 3]
    layersDiscriminator = [
        imageInputLayer(inputSize, Normalization="none"),
        dropoutLayer(dropoutProb),
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
        convolution2dLayer(2 if args.small else 4, 1),
        sigmoidLayer()]
    dlnetDiscriminator = dlnetwork(layerGraph(layersDiscriminator))

    # Specify Training Options
    numEpochs = args.epochs
    miniBatchSize = 32 if args.small else 128
    learnRate = 0.0002
    gradientDecayFactor = 0.5
    squaredGradientDecayFactor = 0.999
    flipFactor = 0.3
    validationFrequency = 100

    # Train Model
    augimds.MiniBatchSize = miniBatchSize
    executionEnvironment = "auto"
    mbq = minibatchqueue(augimds,
                         MiniBatchSize=miniBatchSize,
                         PartialMiniBatch="discard",
                         MiniBatchFcn=preprocessMiniBatch,
                         MiniBatchFormat="SSCB",
                         OutputEnvironment=executionEnvironment)

    trailingAvgGenerator = []
    trailingAvgSqGenerator = []
    trailingAvgDiscriminator = []
    trailingAvgSqDiscriminator = []

    numValidationImages = 25
    ZValidation = torch.randn(1, 1, numLatentInputs, numValidationImages)
    dlZValidation = dlarray(ZValidation, 'SSCB')
    if (executionEnvironment == "auto" and canUseGPU()) or executionEnvironment == "gpu":
        dlZValidation = dlZValidation.cuda()

    iteration = 0
    start = time.time()
    for epoch in range(1, numEpochs + 1):  # Loop over epochs.
        mbq.shuffle()  # Reset and shuffle datastore.
        while mbq.hasdata():  # Loop over mini-batches.
            iteration += 1
            dlX = mbq.next()  # Read mini-batch of data.
            # Generate latent inputs for the generator network (1×1×100×B, format "SSCB").
            Z = torch.randn(1, 1, numLatentInputs, miniBatchSize)
            dlZ = dlarray(Z, 'SSCB').to(dlX.device)

            gradientsGenerator, gradientsDiscriminator, stateGenerator, scoreGenerator, scoreDiscriminator = \
                dlfeval(modelGradients, dlnetGenerator, dlnetDiscriminator, dlX, dlZ, flipFactor)
            dlnetGenerator.State = stateGenerator

            dlnetDiscriminator, trailingAvgDiscriminator, trailingAvgSqDiscriminator = adamupdate(
                dlnetDiscriminator, gradientsDiscriminator, trailingAvgDiscriminator, trailingAvgSqDiscriminator,
                iteration, learnRate, gradientDecayFactor, squaredGradientDecayFactor)
            dlnetGenerator, trailingAvgGenerator, trailingAvgSqGenerator = adamupdate(
                dlnetGenerator, gradientsGenerator, trailingAvgGenerator, trailingAvgSqGenerator,
                iteration, learnRate, gradientDecayFactor, squaredGradientDecayFactor)

            # Every validationFrequency iterations, display batch of generated images
            if iteration % validationFrequency == 0 or iteration == 1:
                dlXGeneratedValidation = predict(dlnetGenerator, dlZValidation)
                # Tile and rescale the images in the range [0 1].
                I = imtile(extractdata(dlXGeneratedValidation))
                I = rescale(I)
                imwrite(I, out / "generated.png")
                print(f"Epoch: {epoch}, Iteration: {iteration}, Elapsed: {time.time() - start:.0f} s, "
                      f"scoreG {float(extractdata(scoreGenerator)):.3f}, "
                      f"scoreD {float(extractdata(scoreDiscriminator)):.3f}")
            if args.max_iterations and iteration >= args.max_iterations:
                break
        if args.max_iterations and iteration >= args.max_iterations:
            break

    # Generate New Images
    ZNew = torch.randn(1, 1, numLatentInputs, 25)
    dlZNew = dlarray(ZNew, 'SSCB')
    dlXGeneratedNew = predict(dlnetGenerator, dlZNew)
    I = rescale(imtile(extractdata(dlXGeneratedNew)))
    imwrite(I, out / "new_images.png")
    print(f"wrote {out / 'generated.png'} and {out / 'new_images.png'}")


def modelGradients(dlnetGenerator, dlnetDiscriminator, dlX, dlZ, flipFactor):
    """The example's modelGradients (its discriminator ends in sigmoidLayer, so outputs are probabilities)."""
    # Calculate the predictions for real data with the discriminator network.
    probReal, _ = forward(dlnetDiscriminator, dlX)
    # Calculate the predictions for generated data with the discriminator network.
    dlXGenerated, stateGenerator = forward(dlnetGenerator, dlZ)
    probGenerated, _ = forward(dlnetDiscriminator, dlXGenerated)

    # Calculate the score of the discriminator.
    scoreDiscriminator = (probReal.mean() + (1 - probGenerated).mean()) / 2
    # Calculate the score of the generator.
    scoreGenerator = probGenerated.mean()

    # Randomly flip a fraction of the labels of the real images.
    numObservations = probReal.shape[0]
    idx = torch.randperm(numObservations)[: math.floor(flipFactor * numObservations)]
    # Flip the labels
    probReal = probReal.clone()
    probReal[idx] = 1 - probReal[idx]

    # Calculate the GAN loss.
    lossGenerator, lossDiscriminator = ganLoss(probReal, probGenerated)

    # For each network, calculate the gradients with respect to the loss.
    gradientsGenerator = dlgradient(lossGenerator, dlnetGenerator.Learnables, RetainData=True)
    gradientsDiscriminator = dlgradient(lossDiscriminator, dlnetDiscriminator.Learnables)
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


def preprocessMiniBatch(data):
    """The example's preprocessMiniBatch: concatenate, then rescale the images to [-1 1]."""
    # Concatenate mini-batch
    X = cat(4, *data)
    # Rescale the images in the range [-1 1].
    X = rescale(X, -1, 1, InputMin=0, InputMax=255)
    return X


if __name__ == "__main__":
    main()
