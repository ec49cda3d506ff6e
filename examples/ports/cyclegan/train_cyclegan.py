"""MathWorks' "Image domain conversion using CycleGAN" (residual-block generators), ported line by line.

Source: https://github.com/matlab-deep-learning/Image-domain-conversion-using-CycleGAN
commit 403d6607f571105cbb2a32429dd3f8ebb9f051f3, files CycleGANExample.mlx (the live script's code),
generator.m, discriminator.m, cycleGanImageDatastore.m; BSD-3-Clause, Copyright (c) 2020, The MathWorks, Inc.
(licence text in LICENSE beside this file, details in SOURCE.md). The four MATLAB files are the four sections
below; where a Python line differs from the MATLAB line, the MATLAB line is the comment above it.

Usage:  python examples/ports/cyclegan/train_cyclegan.py DATA_ROOT [--filters 64] [--residuals 6] [--epochs 1000]

DATA_ROOT holds trainX, trainY, testX, testY image folders (the repository ships Orange2Apple).
"""
from __future__ import annotations

import argparse
import copy
import random
import sys
import time
from pathlib import Path

import numpy as np

from layergraph import (
    abs,
    adamupdate,
    additionLayer,
    addLayers,
    batchNormalizationLayer,
    canUseGPU,
    cat,
    connectLayers,
    convolution2dLayer,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    extractdata,
    forward,
    gather,
    gpuArray,
    imageDatastore,
    imageInputLayer,
    imcrop,
    imresize,
    imwrite,
    layerGraph,
    mean,
    randn,
    randomCropWindow2d,
    reluLayer,
    rescale,
    sigmoid,
    size,
    table,
    tanhLayer,
    transposedConv2dLayer,
)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataRoot")
    parser.add_argument("--filters", type=int, default=64, help="numGeneratorFilters and numDiscriminatorFilters")
    parser.add_argument("--residuals", type=int, default=6, help="numResiduals (the example: 6)")
    parser.add_argument("--epochs", type=int, default=1000, help="numEpochs (the example: 1000)")
    parser.add_argument("--out", default="runs/cyclegan")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # dataRoot = 'Orange2Apple';
    dataRoot = Path(args.dataRoot)
    # dataTrainX = fullfile(dataRoot,'trainX');
    dataTrainX = dataRoot / "trainX"
    dataTrainY = dataRoot / "trainY"
    dataTestX = dataRoot / "testX"
    dataTestY = dataRoot / "testY"
    imageSize = [128, 128, 3]
    cgimdsTrain = cycleGanImageDatastore(imageSize, imageSize, dataTrainX, dataTrainY)
    cgimdsTest = cycleGanImageDatastore(imageSize, imageSize, dataTestX, dataTestY)

    encoderDepth = 3
    numGeneratorFilters = args.filters
    numResiduals = args.residuals
    generatorYtoX = generator(imageSize, imageSize, numGeneratorFilters, encoderDepth, numResiduals)
    generatorXtoY = generator(imageSize, imageSize, numGeneratorFilters, encoderDepth, numResiduals)
    discriminatorDepth = 4
    numDiscriminatorFilters = args.filters
    discrimatorX = discriminator(imageSize, discriminatorDepth, numDiscriminatorFilters)
    discriminatorY = discriminator(imageSize, discriminatorDepth, numDiscriminatorFilters)

    numEpochs = args.epochs
    miniBatchSize = 1
    cgimdsTrain.MiniBatchSize = miniBatchSize
    learnRate = 0.0002
    gradDecay = 0.5
    sqGradDecay = 0.999
    executionEnvironment = "auto"
    saveFrequency = 100

    avgGradGeneratorX = []
    avgSqGradGeneratorX = []
    avgGradGeneratorY = []
    avgSqGradGeneratorY = []
    avgGradDiscriminatorX = []
    avgSqGradDiscriminatorX = []
    avgGradDiscriminatorY = []
    avgSqGradDiscriminatorY = []
    # lambda = 10;   (lambda is a Python keyword)
    lambda_ = 10
    # (the figure with animated score lines becomes a list of scores and printed lines)
    history = []

    iteration = 0
    start = time.time()
    for epoch in range(1, numEpochs + 1):
        # Reset and shuffle training datastore
        cgimdsTrain.reset()
        cgimdsTrain = cgimdsTrain.shuffle()
        # Loop over mini-batches
        while cgimdsTrain.hasdata():
            iteration = iteration + 1
            # Read mini-batch of data into table
            data = cgimdsTrain.read()
            # Ignore last partial mini-batch of epoch.
            if size(data, 1) < miniBatchSize:
                continue
            # Extract batch of images from table
            # imageX = cat(4,data.X{:});
            imageX = cat(4, *data.X)
            imageY = cat(4, *data.Y)
            # Convert mini-batch of data to dlarray and specify the dimension labels 'SSCB'
            imageX = dlarray(imageX, "SSCB")
            imageY = dlarray(imageY, "SSCB")
            # If training on a GPU, then convert data to gpuArray.
            if (executionEnvironment == "auto" and canUseGPU()) or executionEnvironment == "gpu":
                imageX = gpuArray(imageX)
                imageY = gpuArray(imageY)
            # Calculate the loss and gradients
            (generatorXGrad, generatorYGrad, discriminatorXGrad, discriminatorYGrad, scores, imagesOutXY,
             imagesOutYX) = dlfeval(modelGradients, generatorXtoY, generatorYtoX, discrimatorX, discriminatorY,
                                    imageY, imageX, lambda_)
            # Update parameters of generatorX
            generatorYtoX.Learnables, avgGradGeneratorX, avgSqGradGeneratorX = adamupdate(
                generatorYtoX.Learnables, generatorXGrad, avgGradGeneratorX, avgSqGradGeneratorX, iteration,
                learnRate, gradDecay, sqGradDecay)
            # Update parameters of generatorY
            generatorXtoY.Learnables, avgGradGeneratorY, avgSqGradGeneratorY = adamupdate(
                generatorXtoY.Learnables, generatorYGrad, avgGradGeneratorY, avgSqGradGeneratorY, iteration,
                learnRate, gradDecay, sqGradDecay)
            # Update parameters of discriminatorX
            discrimatorX.Learnables, avgGradDiscriminatorX, avgSqGradDiscriminatorX = adamupdate(
                discrimatorX.Learnables, discriminatorXGrad, avgGradDiscriminatorX, avgSqGradDiscriminatorX,
                iteration, learnRate, gradDecay, sqGradDecay)
            # Update parameters of discriminatorY
            discriminatorY.Learnables, avgGradDiscriminatorY, avgSqGradDiscriminatorY = adamupdate(
                discriminatorY.Learnables, discriminatorYGrad, avgGradDiscriminatorY, avgSqGradDiscriminatorY,
                iteration, learnRate, gradDecay, sqGradDecay)
            # Update the scores plots
            # addpoints(lineScoreGeneratorX,iteration,double(gather(extractdata(scores{1})))); ...  → kept, printed
            history.append([float(gather(extractdata(s))) for s in scores])
            print(f"Epoch: {epoch}, Iteration: {iteration}, Elapsed: {time.time() - start:.0f} s, "
                  f"scores {' '.join(f'{s:.3f}' for s in history[-1])}")
            # Display the real and translated images at each iteration
            # imageResultsYX = cat(2,imagesOutYX{1},imagesOutYX{2});
            imageResultsYX = cat(2, imagesOutYX[0], imagesOutYX[1])
            imageResultsXY = cat(2, imagesOutXY[0], imagesOutXY[1])
            imageResults = extractdata(cat(1, imageResultsYX, imageResultsXY))
            # image(imageAxes,imageResults(:,:,:,1))   → written to a file (values rescaled to [0 1])
            imwrite(rescale(imageResults[:, :, :, 0]), out / "results.png")
        # Save the model
        if epoch % saveFrequency == 0:
            # save(sprintf('models/cycleGAN_%04d.mat',epoch),...)  (not ported: no .mat files; see SOURCE.md)
            pass

    numTestIm = 2
    cgimdsTest.reset()  # Reset the dataset
    generated = []
    for k in range(1, numTestIm + 1):
        dataTest = cgimdsTest.read()  # read the data
        # Extract batch of images from table
        imageXTest = cat(4, *dataTest.X)
        imageYTest = cat(4, *dataTest.Y)
        imageXTest = dlarray(imageXTest, "SSCB")
        imageYTest = dlarray(imageYTest, "SSCB")
        if (executionEnvironment == "auto" and canUseGPU()) or executionEnvironment == "gpu":
            imageXTest = gpuArray(imageXTest)
            imageYTest = gpuArray(imageYTest)
        # Generate translated images
        generatedImageY = forward(generatorXtoY, imageXTest)
        generatedImageX = forward(generatorYtoX, imageYTest)
        # showResults(imageXTest,generatedImageY,imageYTest,generatedImageX)  → PNG files
        showResults(imageXTest, generatedImageY, imageYTest, generatedImageX, out / f"test_{k}.png")
        generated.append((generatedImageY, generatedImageX))
    return {"generatorXtoY": generatorXtoY, "generatorYtoX": generatorYtoX, "discrimatorX": discrimatorX,
            "discriminatorY": discriminatorY, "history": history, "generated": generated}


def modelGradients(generatorY, generatorX, discriminatorX, discriminatorY, imageY, imageX, lambda_):
    """The live script's modelGradients: LSGAN losses, cycle-consistency L1, scores."""
    # Generate transformed images from input
    imageXGenerated = forward(generatorX, imageY)
    imageYGenerated = forward(generatorY, imageX)
    # Calculate predictions for real data with the discriminator network
    probRealX = forward(discriminatorX, imageX)
    probRealY = forward(discriminatorY, imageY)
    # Calculate predictions for generated data with the discriminator network
    probGeneratedX = forward(discriminatorX, imageXGenerated)
    probGeneratedY = forward(discriminatorY, imageYGenerated)
    # Calculate discriminator losses for real data
    discriminatorXLossReal = lossReal(probRealX)
    discriminatorYLossReal = lossReal(probRealY)
    # Calculate discriminator losses for generated data
    discriminatorXLossGenerated = lossGenerated(probGeneratedX)
    discriminatorYLossGenerated = lossGenerated(probGeneratedY)
    # Calculate total discriminator loss for each discriminator network
    discriminatorXLossTotal = 0.5 * (discriminatorXLossReal + discriminatorXLossGenerated)
    discriminatorYLossTotal = 0.5 * (discriminatorYLossReal + discriminatorYLossGenerated)
    # Apply generator to each generated image
    cycleImageX = forward(generatorX, imageYGenerated)
    cycleImageY = forward(generatorY, imageXGenerated)
    # Calculate cycle consistency loss between real and generated images
    cycleLossX = cycleLoss(imageX, cycleImageX, lambda_)
    cycleLossY = cycleLoss(imageY, cycleImageY, lambda_)
    # Calculate generator loss for generated images
    generatorLossX = lossReal(probGeneratedX)
    generatorLossY = lossReal(probGeneratedY)
    # Calculate total generator loss for each generator network
    generatorLossTotal = generatorLossX + cycleLossY + generatorLossY + cycleLossX
    # Calculate scores of generators
    generatorXScore = mean(sigmoid(probGeneratedX), "all")
    generatorYScore = mean(sigmoid(probGeneratedY), "all")
    # Calculate scores of discriminators
    discriminatorXScore = 0.5 * mean(sigmoid(probRealX), "all") + 0.5 * mean(1 - sigmoid(probGeneratedX), "all")
    discriminatorYScore = 0.5 * mean(sigmoid(probRealY), "all") + 0.5 * mean(1 - sigmoid(probGeneratedY), "all")
    # Combine scores into cell array
    # scores = {generatorXScore, generatorYScore, discriminatorXScore, discriminatorYScore};
    scores = [generatorXScore, generatorYScore, discriminatorXScore, discriminatorYScore]
    # Calculate generator gradients
    generatorYGrad = dlgradient(generatorLossTotal, generatorY.Learnables, RetainData=True)
    generatorXGrad = dlgradient(generatorLossTotal, generatorX.Learnables, RetainData=True)
    # Calculate discriminator gradients
    discriminatorXGrad = dlgradient(discriminatorXLossTotal, discriminatorX.Learnables)
    discriminatorYGrad = dlgradient(discriminatorYLossTotal, discriminatorY.Learnables)
    # Return first example image of mini-batch transforming domain X into domain Y
    imagesOutXY = [imageX, imageYGenerated]
    # Return example image transforming domain X into domain Y
    imagesOutYX = [imageY, imageXGenerated]
    return (generatorXGrad, generatorYGrad, discriminatorXGrad, discriminatorYGrad, scores, imagesOutXY,
            imagesOutYX)


def lossReal(probability):
    # loss = mean((probability-1).^2,'all');
    return mean((probability - 1) ** 2, "all")


def lossGenerated(probability):
    # loss = mean((probability).^2,'all');
    return mean(probability ** 2, "all")


def cycleLoss(imageReal, imageGenerated, lamda):
    # loss = mean(abs(imageReal-imageGenerated),"all")*lamda;
    return mean(abs(imageReal - imageGenerated), "all") * lamda


def showResults(imageXTest, generatedImageY, imageYTest, generatedImageX, path):
    """The live script plots the four images with imagesc; here they are tiled into one PNG (rescaled)."""
    row1 = cat(2, extractdata(imageXTest), extractdata(generatedImageY))
    row2 = cat(2, extractdata(imageYTest), extractdata(generatedImageX))
    imwrite(rescale(cat(1, row1, row2)[:, :, :, 0]), path)


# ----- generator.m ----------------------------------------------------------------------------------------------

def generator(inputsize, outputsize, channel, EncoderDepth, numresnet):
    """Encoder, numresnet residual blocks and decoder, as a dlnetwork (sizes 128, 256 or 512 only)."""
    # Encoder
    # if sum([inputsize(1:2) outputsize(1:2)] == 512) == 4 | ... == 256 ... == 128
    if any(sum(s == v for s in [*inputsize[0:2], *outputsize[0:2]]) == 4 for v in (512, 256, 128)):
        Depth = EncoderDepth
    else:
        raise ValueError("Only 128x128xM,256x256xM and 512x512xM input/output size are supported\n"
                         "And Both input and output should be the same size")

    layers1 = [imageInputLayer(inputsize, "Name", "imageinput", "Normalization", "none")]
    for n in range(1, Depth + 1):
        tempconv = [
            convolution2dLayer([4, 4], channel * 2 ** (n - 1), "Name", f"conv_{n}", "Stride", 2,
                               "Padding", [1, 1, 1, 1]),
            batchNormalizationLayer("Name", f"batchnorm_{n}"),
            reluLayer("Name", f"relu_{n}")]
        layers1 = [*layers1, *tempconv]

    # Residual
    lgraph2 = layerGraph()
    for k in range(1, numresnet + 1):
        tempLayers = [
            convolution2dLayer([3, 3], channel * 2 ** (n - 1), "Name", f"res_conv_{k}", "Padding", [1, 1, 1, 1]),
            batchNormalizationLayer("Name", f"res_batchnorm_{k}"),
            reluLayer("Name", f"res_relu_{k}")]
        lgraph2 = addLayers(lgraph2, tempLayers)
        tempLayers = additionLayer(2, "Name", f"addition_{k}")
        lgraph2 = addLayers(lgraph2, tempLayers)

        if k == 1:
            lgraph2 = connectLayers(lgraph2, f"res_relu_{k}", "addition_1/in1")
        else:
            lgraph2 = connectLayers(lgraph2, f"addition_{k - 1}", f"res_conv_{k}")
            lgraph2 = connectLayers(lgraph2, f"addition_{k - 1}", f"addition_{k}/in2")
            lgraph2 = connectLayers(lgraph2, f"res_relu_{k}", f"addition_{k}/in1")

    # decorder
    layers3 = []
    for m in range(1, Depth + 1):
        if m < Depth:
            templayers3 = [
                transposedConv2dLayer([4, 4], channel * 2 ** (n - 2), "Name", f"transposed-conv_{m}", "Stride", 2,
                                      "Cropping", "same"),
                batchNormalizationLayer("Name", f"de_batchnorm_{m}"),
                reluLayer("Name", f"de_relu_{m}")]
            layers3 = [*layers3, *templayers3]
        elif m == Depth:
            templayers3 = [
                transposedConv2dLayer([4, 4], outputsize[2], "Name", f"transposed-conv_{m}", "Stride", 2,
                                      "Cropping", "same"),
                tanhLayer("Name", "tanh")]
            layers3 = [*layers3, *templayers3]

    # integrate
    lgraph = lgraph2
    lgraph = addLayers(lgraph, layers1)
    lgraph = addLayers(lgraph, layers3)

    lgraph = connectLayers(lgraph, f"relu_{n}", "res_conv_1")
    lgraph = connectLayers(lgraph, f"relu_{m}", "addition_1/in2")
    lgraph = connectLayers(lgraph, f"addition_{k}", "transposed-conv_1")
    lgraph = dlnetwork(lgraph)
    return lgraph


# ----- discriminator.m ------------------------------------------------------------------------------------------

def discriminator(inputSize, dDepth, conv_dim):
    """PatchGAN discriminator: one score per patch (an array output, not a vector)."""
    # if (sum(inputSize(1:2) == 512) == 2 || ... 256 ... 128)
    if any(sum(s == v for s in inputSize[0:2]) == 2 for v in (512, 256, 128)):
        Depth = dDepth
    else:
        raise ValueError("Only 128x128xM,256x256xM and 512x512xM input/output size are supported\n"
                         "And Both input and output should be the same size")

    if (inputSize[0] / 2 ** Depth < 4) or Depth < 1 or Depth != int(Depth):
        Dmax = np.log2(inputSize[0] / 4)
        raise ValueError(f"Depth should be 0 < Depth < {Dmax:g} and an integer")

    layers = [imageInputLayer(inputSize, "Name", "inputlayer", "Normalization", "none")]
    for n in range(1, Depth + 1):
        if n == 1:
            templayers = [
                convolution2dLayer(4, conv_dim * 2 ** (n - 1), "Stride", 2, "Name", f"conv_{n}", "Padding", 1),
                reluLayer("Name", f"relu_{n}")]
            layers = [*layers, *templayers]
        elif n < Depth:
            templayers = [
                convolution2dLayer(4, conv_dim * 2 ** (n - 1), "Stride", 2, "Name", f"conv_{n}", "Padding", 1),
                batchNormalizationLayer("Name", f"batch_{n}"),
                reluLayer("Name", f"relu_{n}")]
            layers = [*layers, *templayers]
        elif n == Depth:
            # convolution2dLayer(1,1,'Stride',1,"Name","conv_"+num2str(n),'Padding',0, ...
            #     'WeightsInitializer', @(sz) 0.02*randn(sz, 'single'))
            templayers = [
                convolution2dLayer(1, 1, "Stride", 1, "Name", f"conv_{n}", "Padding", 0,
                                   "WeightsInitializer", lambda sz: 0.02 * randn(sz, "single"))]
            layers = [*layers, *templayers]
    lgraph = layerGraph(layers)
    lgraph = dlnetwork(lgraph)
    return lgraph


# ----- cycleGanImageDatastore.m ---------------------------------------------------------------------------------

class cycleGanImageDatastore:  # noqa: N801 - the MATLAB class name
    """Unpaired images from two folders, read as a table with variables X and Y (cell columns).

    MATLAB: classdef cycleGanImageDatastore < matlab.io.Datastore & matlab.io.datastore.Shuffleable
    """

    def __init__(self, Xsize, Ysize, dirX, dirY):
        self.Xsize = Xsize
        self.Ysize = Ysize
        self.DirX = dirX
        self.DirY = dirY
        self.ImagesX = imageDatastore(self.DirX)
        self.ImagesY = imageDatastore(self.DirY)
        self.MiniBatchSize = 1
        self.ImagesX.ReadSize = 1
        self.ImagesY.ReadSize = 1

        num = min(len(self.ImagesX.Files), len(self.ImagesY.Files))
        # obj.ImagesX = obj.ImagesX.subset(1:num);   (subset takes MATLAB's 1-based indices)
        self.ImagesX = self.ImagesX.subset(range(1, num + 1))
        self.ImagesY = self.ImagesY.subset(range(1, num + 1))
        self.NumObservations = len(self.ImagesX.Files)

    def hasdata(self):
        return self.ImagesX.hasdata() and self.ImagesY.hasdata()

    def read(self):  # read a image
        self.ImagesX.ReadSize = self.MiniBatchSize
        self.ImagesY.ReadSize = self.MiniBatchSize
        ImagesX = self.ImagesX.read()
        ImagesY = self.ImagesY.read()

        # set data type to cell
        if not isinstance(ImagesX, list):
            ImagesX = [ImagesX]
            ImagesY = [ImagesY]
        # do the preprocessing
        transformedX, transformedY = transformImagePair(self, ImagesX, ImagesY)
        # call function for normalization
        X, Y = self.normalizeImages(transformedX, transformedY)
        # data = table(X, Y);   (Python cannot see the variables' names: they are given)
        data = table(X, Y, VariableNames=["X", "Y"])
        return data

    def reset(self):
        self.ImagesX.reset()
        self.ImagesY.reset()

    def shuffle(self):
        # objNew = obj.copy();
        objNew = copy.copy(self)
        numObservations = objNew.NumObservations
        # idx1 = randperm(numObservations);   (a 0-based permutation: Python indexes lists from 0)
        idx1 = np.random.permutation(numObservations)
        # objNew.ImagesX.Files = objNew.ImagesX.Files(idx1);
        objNew.ImagesX.Files = [objNew.ImagesX.Files[i] for i in idx1]
        idx2 = np.random.permutation(numObservations)
        objNew.ImagesY.Files = [objNew.ImagesY.Files[i] for i in idx2]
        return objNew

    def normalizeImages(self, xIn, yIn):
        # normalization with the max value
        # xOut = cellfun(@(x) rescale(x,'InputMin',0,'InputMax',255), xIn, 'UniformOutput', false);
        xOut = [rescale(x, "InputMin", 0, "InputMax", 255) for x in xIn]
        yOut = [rescale(x, "InputMin", 0, "InputMax", 255) for x in yIn]
        return xOut, yOut


def transformImagePair(obj, ImagesX, ImagesY):
    finalSize = obj.Xsize[0:2]  # define the size of output
    # initialSize = finalSize + 30;
    initialSize = [s + 30 for s in finalSize]  # initial image size before cropping
    mirror = random.random() < 0.5  # flip or not
    # Apply augmentation
    transformedX = [applyAugmentation(im, initialSize, finalSize, mirror) for im in ImagesX]
    transformedY = [applyAugmentation(im, initialSize, finalSize, mirror) for im in ImagesY]
    return transformedX, transformedY


def applyAugmentation(imIn, initialSize, finalSize, mirror):
    imInit = imresize(imIn, initialSize)
    win = randomCropWindow2d(initialSize, finalSize)
    imOut = imcrop(imInit, win)
    if mirror:
        imOut = np.fliplr(imOut)  # flip the image
    return imOut


if __name__ == "__main__":
    main(sys.argv[1:])
