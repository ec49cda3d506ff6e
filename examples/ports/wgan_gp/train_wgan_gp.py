"""MathWorks' documented example "Train Wasserstein GAN with Gradient Penalty (WGAN-GP)", ported line by line.

Source: https://www.mathworks.com/help/deeplearning/ug/trainwasserstein-gan-with-gradient-penalty-wgan-gp.html
(Deep Learning Toolbox documentation; see SOURCE.md beside this file). Written in our own words following
the documented steps; where a Python line differs from the MATLAB line, the MATLAB line is the comment above.

Usage:  python examples/ports/wgan_gp/train_wgan_gp.py IMAGE_FOLDER [--num-filters 64] [--iterations 10000]

IMAGE_FOLDER is searched recursively for RGB images (MATLAB uses the flower_photos data set).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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
    extractdata,
    featureInputLayer,
    forward,
    gpuArray,
    imageDataAugmenter,
    imageDatastore,
    imageInputLayer,
    imtile,
    imwrite,
    layerNormalizationLayer,
    leakyReluLayer,
    mean,
    minibatchqueue,
    predict,
    projectAndReshapeLayer,
    rand,
    randn,
    reluLayer,
    rescale,
    sigmoidLayer,
    size,
    sqrt,
    sum,
    tanhLayer,
    transposedConv2dLayer,
)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--num-filters", type=int, default=64, help="numFilters (the example: 64)")
    parser.add_argument("--mini-batch-size", type=int, default=64, help="miniBatchSize (the example: 64)")
    parser.add_argument("--iterations", type=int, default=10000, help="numIterationsG (the example: 10000)")
    parser.add_argument("--out", default="runs/wgan_gp")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Load Training Data
    # imds = imageDatastore(imageFolder,IncludeSubfolders=true);
    imds = imageDatastore(args.folder, IncludeSubfolders=True)
    augmenter = imageDataAugmenter(RandXReflection=True)
    augimds = augmentedImageDatastore([64, 64], imds, DataAugmentation=augmenter)

    # Define Discriminator Network
    numFilters = args.num_filters
    scale = 0.2
    inputSize = [64, 64, 3]
    filterSize = 5
    layersD = [
        imageInputLayer(inputSize, Normalization="none"),
        convolution2dLayer(filterSize, numFilters, Stride=2, Padding="same"),
        leakyReluLayer(scale),
        convolution2dLayer(filterSize, 2 * numFilters, Stride=2, Padding="same"),
        layerNormalizationLayer(),
        leakyReluLayer(scale),
        convolution2dLayer(filterSize, 4 * numFilters, Stride=2, Padding="same"),
        layerNormalizationLayer(),
        leakyReluLayer(scale),
        convolution2dLayer(filterSize, 8 * numFilters, Stride=2, Padding="same"),
        layerNormalizationLayer(),
        leakyReluLayer(scale),
        convolution2dLayer(4, 1),
        sigmoidLayer()]
    netD = dlnetwork(layersD)

    # Define Generator Network
    filterSize = 5
    numLatentInputs = 100
    # projectionSize = [4 4 512];
    projectionSize = [4, 4, 8 * numFilters]
    layersG = [
        featureInputLayer(numLatentInputs, Normalization="none"),
        projectAndReshapeLayer(projectionSize),
        transposedConv2dLayer(filterSize, 4 * numFilters),
        batchNormalizationLayer(),
        reluLayer(),
        transposedConv2dLayer(filterSize, 2 * numFilters, Stride=2, Cropping="same"),
        batchNormalizationLayer(),
        reluLayer(),
        transposedConv2dLayer(filterSize, numFilters, Stride=2, Cropping="same"),
        batchNormalizationLayer(),
        reluLayer(),
        transposedConv2dLayer(filterSize, 3, Stride=2, Cropping="same"),
        tanhLayer()]
    netG = dlnetwork(layersG)

    # Specify Training Options
    miniBatchSize = args.mini_batch_size
    numIterationsG = args.iterations
    numIterationsDPerG = 5
    # lambda = 10;   (lambda is a Python keyword)
    lambda_ = 10
    learnRateD = 2e-4
    learnRateG = 1e-3
    gradientDecayFactor = 0
    squaredGradientDecayFactor = 0.9
    validationFrequency = 20

    # Train Model
    augimds.MiniBatchSize = miniBatchSize
    mbq = minibatchqueue(augimds,
                         MiniBatchSize=miniBatchSize,
                         PartialMiniBatch="discard",
                         MiniBatchFcn=preprocessMiniBatch,
                         MiniBatchFormat="SSCB")

    trailingAvgD = []
    trailingAvgSqD = []
    trailingAvgG = []
    trailingAvgSqG = []

    numValidationImages = 25
    ZValidation = randn(numLatentInputs, numValidationImages, "single")
    ZValidation = dlarray(ZValidation, "CB")
    if canUseGPU():
        ZValidation = gpuArray(ZValidation)

    # (the example plots lossD and lossDUnregularized with animatedline; here they are kept and printed)
    history = {"lossD": [], "lossDUnregularized": []}
    iterationG = 0
    iterationD = 0
    start = time.time()

    # Loop over mini-batches
    while iterationG < numIterationsG:
        iterationG = iterationG + 1

        # Train discriminator only
        for n in range(1, numIterationsDPerG + 1):  # noqa: B007 - the example's loop variable
            iterationD = iterationD + 1

            # Reset and shuffle mini-batch queue when there is no more data.
            if not mbq.hasdata():
                mbq.shuffle()

            # Read mini-batch of data.
            X = mbq.next()

            # Generate latent inputs for the generator network. Convert to dlarray and specify the
            # dimension labels "CB" (channel, batch).
            Z = randn([numLatentInputs, size(X, 4)], like=X)
            Z = dlarray(Z, "CB")

            # Evaluate the discriminator model loss and gradients.
            lossD, lossDUnregularized, gradientsD = dlfeval(modelLossD, netD, netG, X, Z, lambda_)

            # Update the discriminator network parameters.
            netD, trailingAvgD, trailingAvgSqD = adamupdate(netD, gradientsD,
                                                            trailingAvgD, trailingAvgSqD, iterationD,
                                                            learnRateD, gradientDecayFactor,
                                                            squaredGradientDecayFactor)

        # Generate latent inputs for the generator network.
        Z = randn([numLatentInputs, size(X, 4)], like=X)
        Z = dlarray(Z, "CB")

        # Evaluate the generator model loss and gradients.
        # [~,gradientsG] = dlfeval(@modelLossG, netG, netD, Z);
        _, gradientsG = dlfeval(modelLossG, netG, netD, Z)

        # Update the generator network parameters.
        netG, trailingAvgG, trailingAvgSqG = adamupdate(netG, gradientsG,
                                                        trailingAvgG, trailingAvgSqG, iterationG,
                                                        learnRateG, gradientDecayFactor, squaredGradientDecayFactor)

        # Every validationFrequency generator iterations, display batch of generated images using the
        # held-out generator input.
        if iterationG % validationFrequency == 0 or iterationG == 1:
            # Generate images using the held-out generator input.
            XGeneratedValidation = predict(netG, ZValidation)
            # Tile and rescale the images in the range [0 1].
            I = imtile(extractdata(XGeneratedValidation))
            I = rescale(I)
            # image(imageAxes,I)  → written to a file
            imwrite(I, out / "generated.png")

        # Update the scores plot
        # lossD = double(lossD);
        lossD = float(extractdata(lossD))
        lossDUnregularized = float(extractdata(lossDUnregularized))
        history["lossD"].append(lossD)
        history["lossDUnregularized"].append(lossDUnregularized)
        print(f"Iteration: {iterationG}, Elapsed: {time.time() - start:.0f} s, lossD {lossD:.4f}, "
              f"lossDUnregularized {lossDUnregularized:.4f}")

    # Generate New Images
    ZNew = randn(numLatentInputs, 25, "single")
    ZNew = dlarray(ZNew, "CB")
    if canUseGPU():
        ZNew = gpuArray(ZNew)
    XGeneratedNew = predict(netG, ZNew)
    I = imtile(extractdata(XGeneratedNew))
    I = rescale(I)
    imwrite(I, out / "new_images.png")
    return {"netG": netG, "netD": netD, "history": history, "XGeneratedNew": XGeneratedNew}


def modelLossD(netD, netG, X, Z, lambda_):
    """The example's modelLossD: Wasserstein loss of the critic plus the gradient penalty."""
    # Calculate the predictions for real data with the discriminator network.
    YPred = forward(netD, X)

    # Calculate the predictions for generated data with the discriminator network.
    XGenerated = forward(netG, Z)
    YPredGenerated = forward(netD, XGenerated)

    # Calculate the loss.
    lossDUnregularized = mean(YPredGenerated - YPred)

    # Calculate and add the gradient penalty.
    epsilon = rand([1, 1, 1, size(X, 4)], like=X)
    XHat = epsilon * X + (1 - epsilon) * XGenerated
    YHat = forward(netD, XHat)

    # Calculate gradients. To enable computing higher-order derivatives, set EnableHigherDerivatives to true.
    gradientsHat = dlgradient(sum(YHat), XHat, EnableHigherDerivatives=True)
    # gradientsHatNorm = sqrt(sum(gradientsHat.^2,1:3) + 1e-10);   (layergraph's sum is MATLAB's)
    gradientsHatNorm = sqrt(sum(gradientsHat ** 2, [1, 2, 3]) + 1e-10)
    # gradientPenalty = lambda.*mean((gradientsHatNorm - 1).^2);
    gradientPenalty = lambda_ * mean((gradientsHatNorm - 1) ** 2)

    # Penalize loss.
    lossD = lossDUnregularized + gradientPenalty

    # Calculate the gradients of the penalized loss with respect to the learnable parameters.
    gradientsD = dlgradient(lossD, netD.Learnables)
    return lossD, lossDUnregularized, gradientsD


def modelLossG(netG, netD, Z):
    """The example's modelLossG: the generator maximises the critic's score of generated images."""
    # Calculate the predictions for generated data with the discriminator network.
    XGenerated = forward(netG, Z)
    YPredGenerated = forward(netD, XGenerated)

    # Calculate the loss.
    lossG = -mean(YPredGenerated)

    # Calculate the gradients of the loss with respect to the learnable parameters.
    gradientsG = dlgradient(lossG, netG.Learnables)
    return lossG, gradientsG


def preprocessMiniBatch(data):
    """The example's preprocessMiniBatch: concatenate, then rescale the images to [-1 1]."""
    # Concatenate mini-batch
    # X = cat(4,data{:});
    X = cat(4, *data)
    # Rescale the images in the range [-1 1].
    X = rescale(X, -1, 1, InputMin=0, InputMax=255)
    return X


if __name__ == "__main__":
    main(sys.argv[1:])
