"""MathWorks' "Generate Images Using Diffusion" example, ported and scaled down to the built-in 16×16 digits.

The noise predictor keeps the example's structure (createDiffusionNetwork): residual blocks of group
normalization, swish and convolution, with the noise step embedded by a sinusoidalPositionEncodingLayer and
fully connected layers and added in every block by a functionLayer; self-attention blocks at the lower
resolution; encoder-decoder skip connections by depthConcatenationLayer. It has one down/up-sampling level
(16×16 → 8×8) instead of two, and 32 initial channels in 4 groups instead of 64 in 32 (CPU-sized). The
example flattens the image with a custom SpatialFlattenLayer before selfAttentionLayer; here
selfAttentionLayer takes the "SSCB" data directly (positions column-major, the same order). Training is the
example's custom loop (dlfeval, dlgradient, adamupdate) on the denoising loss mse(predicted noise, noise),
4,000 iterations of 64 digits at learning rate 1e-3 (the example: 128 digits at 5e-4, for 50 epochs of its
larger data set); generation runs the example's reverse process (its posterior variance).

Usage:  python examples/diffusion_digits.py DIGITS_FOLDER [--iterations N] [--steps N] [--out DIR] [--evaluate]
                                                         [--learn-rate-drop]

DIGITS_FOLDER is made by `layergraph data digits DIR`. --evaluate scores 300 more generated digits with the
classifier `layergraph evaluate` uses (precision, recall, Fréchet distance, and the share it confidently
recognises as some digit, probability ≥ 0.9; each beside 300 real held-out digits).
--learn-rate-drop multiplies the learning rate by 0.1 after 3/4 of the iterations (it halved the Fréchet distance
but did not raise precision). The defaults take about 13 CPU-minutes (one thread), --evaluate about 4 more;
figures in docs/benchmarks.md, and there the same network trained in plain PyTorch scores the same.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch

from layergraph import (
    adamupdate,
    additionLayer,
    addLayers,
    augmentedImageDatastore,
    cat,
    connectLayers,
    convolution2dLayer,
    depthConcatenationLayer,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    extractdata,
    featureInputLayer,
    forward,
    fullyConnectedLayer,
    functionLayer,
    groupNormalizationLayer,
    imageDatastore,
    imageInputLayer,
    imtile,
    imwrite,
    minibatchqueue,
    mse,
    predict,
    randn,
    rescale,
    selfAttentionLayer,
    sinusoidalPositionEncodingLayer,
    size,
    swishLayer,
    transposedConv2dLayer,
    zeros,
)

# Training options (the example: 128 per mini-batch, learning rate 5e-4, decay factors 0.9 and 0.9999)
ITERATIONS = 4000
EVALUATE_IMAGES = 300  # generated digits scored by --evaluate
MINI_BATCH_SIZE = 64
LEARN_RATE = 1e-3
# --learn-rate-drop: a piecewise schedule as MATLAB custom loops write it (learnRate = learnRate*dropFactor at
# the drop iteration), here once, after DROP_AFTER of the iterations
DROP_FACTOR = 0.1
DROP_AFTER = 0.75
GRADIENT_DECAY = 0.9
SQUARED_GRADIENT_DECAY = 0.9999

CHANNEL_MULTIPLIERS = [1, 2, 2, 2, 1]  # residual blocks 1 (16×16), 2–4 (8×8), 5 (16×16)
ATTENTION_BLOCKS = [2, 3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    parser.add_argument("--steps", type=int, default=500, help="noise steps (the example's numNoiseSteps)")
    parser.add_argument("--out", default="runs/diffusion_digits")
    parser.add_argument("--evaluate", action="store_true")
    parser.add_argument("--learn-rate-drop", action="store_true",
                        help=f"multiply the learning rate by {DROP_FACTOR} after {DROP_AFTER:.0%} of the iterations")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    # Load Training Data
    imds = imageDatastore(args.folder, IncludeSubfolders=True)
    augimds = augmentedImageDatastore([16, 16], imds)
    if augimds.NumObservations < MINI_BATCH_SIZE:
        raise SystemExit(f"{args.folder}: {augimds.NumObservations} images, fewer than a mini-batch "
                         f"({MINI_BATCH_SIZE})")
    mbq = minibatchqueue(augimds, MiniBatchSize=MINI_BATCH_SIZE, PartialMiniBatch="discard",
                         MiniBatchFcn=preprocessMiniBatch, MiniBatchFormat="SSCB")

    # Define Forward Noising Process: the example's linear variance schedule
    numNoiseSteps = args.steps
    betaMin, betaMax = 1e-4, 0.02
    varianceSchedule = torch.linspace(betaMin, betaMax, numNoiseSteps, dtype=torch.float64)  # double, as MATLAB

    dropIteration = round(DROP_AFTER * args.iterations) if args.learn_rate_drop else None
    net = trainDiffusionNetwork(createDiffusionNetwork(1), mbq, varianceSchedule, args.iterations, dropIteration)

    # Generate New Images
    numImages = 100
    images = generateAndDisplayImages(net, varianceSchedule, [16, 16], numImages, 1)
    # [-1, 1] → [0, 1], clipped (rescale's InputMin/InputMax), so the grid shows what `evaluate` scores
    imwrite(rescale(imtile(images), InputMin=-1, InputMax=1), out / "generated.png")
    print(f"wrote {out / 'generated.png'}")
    if args.evaluate:
        evaluate(args.folder, net, varianceSchedule)


def trainDiffusionNetwork(net, mbq, varianceSchedule, numIterations, dropIteration=None):
    """The example's custom training loop: a random noise step per image, the image noised to that step, Adam
    on the loss of the predicted noise."""
    numNoiseSteps = len(varianceSchedule)
    alphaBar = torch.cumprod(1 - varianceSchedule, 0)
    trailingAvg, trailingAvgSq = [], []
    learnRate = LEARN_RATE
    iteration = 0
    start = time.time()
    while iteration < numIterations:
        mbq.shuffle()
        while mbq.hasdata() and iteration < numIterations:
            iteration += 1
            if iteration == dropIteration:
                learnRate = learnRate * DROP_FACTOR
            X = mbq.next()
            numObservations = size(X, 4)
            noiseStep = torch.randint(1, numNoiseSteps + 1, (numObservations,))  # 1-based, as randi
            noise = dlarray(randn(*size(X), "single"), "SSCB")  # randn(size(X),"like",X)
            noisyImage = applyNoiseToImage(X, noise, noiseStep, alphaBar)
            step = dlarray(noiseStep.float().reshape(1, -1).numpy(), "CB")
            loss, gradients = dlfeval(modelLoss, net, noisyImage, step, noise)
            net, trailingAvg, trailingAvgSq = adamupdate(net, gradients, trailingAvg, trailingAvgSq, iteration,
                                                         learnRate, GRADIENT_DECAY, SQUARED_GRADIENT_DECAY)
            if iteration == 1 or iteration % 100 == 0:
                print(f"Iteration: {iteration}, Loss: {float(extractdata(loss)):.4f}, "
                      f"Elapsed: {time.time() - start:.0f} s", flush=True)
    return net


def createDiffusionNetwork(numImageChannels: int, initialNumChannels: int = 32):
    """The example's createDiffusionNetwork with one resolution level less (16×16 and 8×8) and fewer channels
    (the example: 64 initial channels, 32 groups)."""
    filterSize = [3, 3]
    numGroups = 4
    numHeads = 1
    c = initialNumChannels
    layers = [
        imageInputLayer([16, 16, numImageChannels], Normalization="none"),
        convolution2dLayer(filterSize, c, Padding="same", Name="conv_in"),
        *residualBlock(c, filterSize, numGroups, "1"),
        convolution2dLayer(filterSize, 2 * c, Padding="same", Stride=2, Name="downsample_1"),
        *residualBlock(2 * c, filterSize, numGroups, "2"),
        *attentionBlock(numHeads, 2 * c, numGroups, "2"),
        *residualBlock(2 * c, filterSize, numGroups, "3"),  # bridge
        *attentionBlock(numHeads, 2 * c, numGroups, "3"),
        depthConcatenationLayer(2, Name="cat_4"),
        *residualBlock(2 * c, filterSize, numGroups, "4"),
        transposedConv2dLayer(filterSize, c, Cropping="same", Stride=2, Name="upsample_4"),
        depthConcatenationLayer(2, Name="cat_5"),
        *residualBlock(c, filterSize, numGroups, "5"),
        depthConcatenationLayer(2, Name="cat_end"),
        groupNormalizationLayer(numGroups),
        swishLayer(),
        convolution2dLayer(filterSize, numImageChannels, Padding="same"),
    ]
    net = dlnetwork(layers, Initialize=False)
    net = addNoiseStepEmbedding(net, c, numGroups)

    # Add missing skip connections in each residual and attention block
    for ii, mult in enumerate(CHANNEL_MULTIPLIERS, start=1):
        net = addLayers(net, convolution2dLayer([1, 1], mult * c, Name=f"skipConvRes_{ii}"))
        net = connectLayers(net, f"norm1Res_{ii}", f"skipConvRes_{ii}")
        net = connectLayers(net, f"skipConvRes_{ii}", f"addRes_{ii}/in2")
        if ii in ATTENTION_BLOCKS:
            net = connectLayers(net, f"normAttn_{ii}", f"addAttn_{ii}/in2")

    # Add missing skip connections between encoder and decoder
    net = connectLayers(net, "addRes_2", "cat_4/in2")
    net = connectLayers(net, "addRes_1", "cat_5/in2")
    net = connectLayers(net, "conv_in", "cat_end/in2")
    return net.initialize()


def addNoiseStepEmbedding(net, c, numGroups):
    """The example's noise step input: sinusoidal encoding and two fully connected layers, added to every
    residual block through its own group normalization and fully connected layer."""
    noiseStepEmbeddingLayers = [
        featureInputLayer(1),
        sinusoidalPositionEncodingLayer(c),
        fullyConnectedLayer(4 * c),
        swishLayer(),
        fullyConnectedLayer(4 * c, Name="noiseEmbed"),
    ]
    net = addLayers(net, noiseStepEmbeddingLayers)

    # Connect the noise step embedding to each residual block
    for ii, mult in enumerate(CHANNEL_MULTIPLIERS, start=1):
        net = addLayers(net, [groupNormalizationLayer(numGroups, Name=f"normEmbed_{ii}"),
                              fullyConnectedLayer(mult * c, Name=f"fcEmbed_{ii}")])
        net = connectLayers(net, "noiseEmbed", f"normEmbed_{ii}")
        net = connectLayers(net, f"fcEmbed_{ii}", f"addEmbedRes_{ii}/in2")
    return net


def residualBlock(numChannels, filterSize, numGroups, name):
    return [
        groupNormalizationLayer(numGroups, Name=f"norm1Res_{name}"),
        swishLayer(),
        convolution2dLayer(filterSize, numChannels, Padding="same"),
        functionLayer(lambda x, y: x + y, Formattable=True, NumInputs=2, Name=f"addEmbedRes_{name}"),
        groupNormalizationLayer(numGroups),
        swishLayer(),
        convolution2dLayer(filterSize, numChannels, Padding="same"),
        additionLayer(2, Name=f"addRes_{name}"),
    ]


def attentionBlock(numHeads, numKeyChannels, numGroups, name):
    # the example's SpatialFlattenLayer/SpatialUnflattenLayer pair is not needed: selfAttentionLayer attends over
    # the H·W positions of "SSCB" data itself
    return [
        groupNormalizationLayer(numGroups, Name=f"normAttn_{name}"),
        selfAttentionLayer(numHeads, numKeyChannels),
        additionLayer(2, Name=f"addAttn_{name}"),
    ]


def applyNoiseToImage(img, noise, noiseStep, alphaBar):
    """sqrt(ᾱ_t)·x + sqrt(1 − ᾱ_t)·ε, one t per observation (the 4th MATLAB dimension)."""
    a = alphaBar[noiseStep - 1].reshape(1, 1, 1, -1).float()  # 1×1×1×B, single as the images
    return dlarray(a.sqrt().numpy(), "SSCB") * img + dlarray((1 - a).sqrt().numpy(), "SSCB") * noise


def modelLoss(net, X, Y, noise):
    predictedNoise, _ = forward(net, X, Y)
    loss = mse(predictedNoise, noise)
    gradients = dlgradient(loss, net.Learnables)
    return loss, gradients


def generateAndDisplayImages(net, varianceSchedule, imageSize, numImages, numChannels):
    """The example's reverse process from pure noise, step t = T … 1:
    x ← (x − β_t/sqrt(1 − ᾱ_t)·ε̂(x, t))/sqrt(1 − β_t) + sqrt(σ²_t)·z, with the posterior variance
    σ²_t = β_t(1 − ᾱ_{t−1})/(1 − ᾱ_t) (ᾱ_0 = 1) and no noise added at the last step (z = 0 at t = 1)."""
    images = dlarray(randn(*imageSize, numChannels, numImages, "single"), "SSCB")

    # Compute variance schedule parameters
    alphaBar = torch.cumprod(1 - varianceSchedule, 0)
    alphaBarPrev = torch.cat([torch.ones(1, dtype=alphaBar.dtype), alphaBar[:-1]])
    posteriorVariance = varianceSchedule * (1 - alphaBarPrev) / (1 - alphaBar)

    # Reverse the diffusion process
    numNoiseSteps = len(varianceSchedule)
    with torch.no_grad():  # predict is differentiable (as in MATLAB): without this, 500 steps keep every graph
        for noiseStep in range(numNoiseSteps, 0, -1):
            if noiseStep != 1:
                z = dlarray(randn(*imageSize, numChannels, numImages, "single"), "SSCB")
            else:
                z = dlarray(zeros(*imageSize, numChannels, numImages, "single"), "SSCB")

            # Predict the noise using the network
            step = dlarray(np.full((1, numImages), noiseStep, dtype=np.float32), "CB")
            predictedNoise = predict(net, images, step)

            beta = float(varianceSchedule[noiseStep - 1])
            sqrtOneMinusBeta = math.sqrt(1 - beta)
            addedNoise = math.sqrt(float(posteriorVariance[noiseStep - 1])) * z
            predNoise = beta * predictedNoise / math.sqrt(1 - float(alphaBar[noiseStep - 1]))
            images = 1 / sqrtOneMinusBeta * (images - predNoise)
            images = images + addedNoise
    return extractdata(images)


def preprocessMiniBatch(data):
    X = cat(4, *data)
    return rescale(X, -1, 1, InputMin=0, InputMax=255)


def evaluate(folder, net, varianceSchedule) -> None:
    """Precision/recall/coverage/Fréchet of generated digits (rounded to 8 bits, as `layergraph generate` writes
    them) in the feature space of the digits classifier `layergraph evaluate` uses, beside as many real digits
    of the held-out half (the ceiling)."""
    from layergraph.gan.evaluator import CONFIDENT, Evaluator

    ev = Evaluator(folder, (16, 16), 1)
    # as many generated digits as real ones they are compared with: Fréchet distances (and k-NN recall) of
    # sets of different sizes are not comparable
    numImages = min(EVALUATE_IMAGES, len(ev.held_images))
    real = ev.held_images[torch.randperm(len(ev.held_images), generator=torch.Generator().manual_seed(0))[:numImages]]
    start = time.time()
    images = generateAndDisplayImages(net, varianceSchedule, [16, 16], numImages, 1)
    print(f"generated {numImages} digits to score in {time.time() - start:.0f} s")
    x = torch.as_tensor(np.asarray(images)).permute(3, 2, 0, 1).float()  # MATLAB 16×16×1×N → N×1×16×16
    x = ((x.clamp(-1, 1) + 1) * 127.5 + 0.5).floor().div(127.5).sub(1.0)
    ours, theirs = ev.score(x), ev.score(real)
    for name in ("precision", "recall", "coverage", "frechet"):
        print(f"{name:10} generated {ours[name]:.3f}   real held-out digits {theirs[name]:.3f}")
    # how recognisable: the share the digits classifier puts in one class with probability ≥ 0.9
    print(f"confidently recognised (one class, p ≥ {CONFIDENT}): generated {ev.confidently_recognised(x):.0%}   "
          f"real held-out digits {ev.confidently_recognised(real):.0%}")
    counts = torch.bincount(ev.embed(x)[1], minlength=len(ev.classes)).tolist()
    print("classifier's class counts of the generated digits:", dict(zip(ev.classes, counts)))


if __name__ == "__main__":
    main()
