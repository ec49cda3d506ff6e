"""MathWorks' pix2pix (U-Net generator, PatchGAN discriminator) for paired image-to-image translation, ported
line by line.

Source: https://github.com/matlab-deep-learning/pix2pix commit dec1f666edf0858acee990701ea601376f756435,
files code/+p2p/{train.m, trainingOptions.m}, code/+p2p/+networks/{generator,discriminator,block,downBlock,
upBlock}.m, code/+p2p/+util/AdamOptimiser.m, code/+p2p/+data/{PairedImageDatastore,transformImagePair}.m;
BSD-3-Clause, Copyright (c) 2020, The MathWorks, Inc. (licence text in LICENSE beside this file, details in
SOURCE.md). The package functions p2p.x.f become module functions f; where a Python line differs from the
MATLAB line, the MATLAB line is the comment above it.

Usage:  python examples/ports/pix2pix/train_pix2pix.py DIR_A DIR_B [--input-size 256] [--gdepth 8] [--epochs 200]
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from layergraph import (
    abs,
    adamupdate,
    batchNormalizationLayer,
    canUseGPU,
    cat,
    convolution2dLayer,
    crossentropy,
    depthConcatenationLayer,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    dropoutLayer,
    extractdata,
    gpuArray,
    imageDataAugmenter,
    imageDatastore,
    imageInputLayer,
    imcrop,
    imresize,
    layerGraph,
    leakyReluLayer,
    mean,
    numel,
    ones,
    randn,
    randomCropWindow2d,
    sigmoid,
    size,
    table,
    tanh,
    transposedConv2dLayer,
)

# ----- +p2p/trainingOptions.m ----------------------------------------------------------------------------------

_DEFAULTS = dict(ExecutionEnvironment="auto", InputChannels=3, OutputChannels=3, MiniBatchSize=1,
                 RandXReflection=True, PreSize=[286, 286], InputSize=[256, 256], ARange=255, BRange=255,
                 ResumeFrom=[], GLearnRate=0.0002, GBeta1=0.5, GBeta2=0.999, DLearnRate=0.0002, DBeta1=0.5,
                 DBeta2=0.999, MaxEpochs=200, CheckpointPath="checkpoints", DRelLearnRate=0.5, Lambda=100,
                 GDepth=8, DDepth=4, Verbose=True, VerboseFrequency=50, Plots="training-progress")


def trainingOptions(**varargin):
    """p2p.trainingOptions(Name=Value, ...): the package's option struct (an inputParser with defaults).

    MATLAB validates each value with validateattributes; here unknown names are refused and the rest kept.
    """
    unknown = set(varargin) - set(_DEFAULTS)
    if unknown:
        raise ValueError(f"p2p.trainingOptions: unknown option(s) {sorted(unknown)}")
    options = SimpleNamespace(**{**_DEFAULTS, **varargin})
    return options


# ----- +p2p/train.m ---------------------------------------------------------------------------------------------

def train(inData, outData, options):
    """Train a pix2pix model on paired images: folders inData (inputs) and outData (targets)."""
    if (options.ExecutionEnvironment == "auto" and canUseGPU()) or options.ExecutionEnvironment == "gpu":
        env = gpuArray
    else:
        # env = @(x) x;
        env = lambda x: x  # noqa: E731 - the port of an anonymous function

    if options.CheckpointPath:
        # checkpoints are .mat files in MATLAB; this port does not write them (see SOURCE.md)
        pass

    combinedChannels = options.InputChannels + options.OutputChannels

    imageAndLabel = PairedImageDatastore(inData, outData, options.MiniBatchSize,
                                         "PreSize", options.PreSize, "CropSize", options.InputSize,
                                         "RandXReflection", options.RandXReflection)

    if options.Plots == "training-progress":
        # p2p.vis.TrainingPlot is not part of the ported files
        raise NotImplementedError("Plots='training-progress' needs p2p.vis.TrainingPlot, which is not ported; "
                                  "pass Plots='none'")

    if not options.ResumeFrom:
        g = generator(options.InputSize, options.InputChannels, options.OutputChannels, options.GDepth)
        d = discriminator(options.InputSize, combinedChannels, options.DDepth)

        gOptimiser = AdamOptimiser(options.GLearnRate, options.GBeta1, options.GBeta2)
        dOptimiser = AdamOptimiser(options.DLearnRate, options.DBeta1, options.DBeta2)

        iteration = 0
        startEpoch = 1
    else:
        raise NotImplementedError("ResumeFrom loads a .mat checkpoint, which this port does not write")

    history = []
    for epoch in range(startEpoch, options.MaxEpochs + 1):
        imageAndLabel = imageAndLabel.shuffle()

        while imageAndLabel.hasdata():
            iteration = iteration + 1

            data = imageAndLabel.read()
            # thisInput = cat(4, data.A{:});
            thisInput = cat(4, *data.A)
            thisTarget = cat(4, *data.B)
            inputImage = dlarray(env(thisInput), "SSCB")
            targetImage = dlarray(env(thisTarget), "SSCB")

            # [g, gLoss, d, dLoss, lossL1, ganLoss, ~] = dlfeval(@stepBoth, g, d, gOptimiser, dOptimiser, ...)
            g, gLoss, d, dLoss, lossL1, ganLoss, _ = dlfeval(stepBoth, g, d, gOptimiser, dOptimiser,
                                                             inputImage, targetImage, options)
            history.append((float(gLoss), float(lossL1), float(ganLoss), float(dLoss)))

            if iteration % options.VerboseFrequency == 0:
                logArgs = [epoch, iteration, gLoss, lossL1, ganLoss, dLoss]
                # fprintf('epoch: %d, it: %d, G: %f (L1: %f, GAN: %f), D: %f\n', logArgs{:});
                # (the losses are 1×1 tensors: float() before formatting, as %f does in MATLAB)
                print("epoch: {}, it: {}, G: {:f} (L1: {:f}, GAN: {:f}), D: {:f}".format(
                    *logArgs[:2], *map(float, logArgs[2:])))

    # p2pModel = struct('g', g, 'd', d, 'gOptimiser', gOptimiser, 'dOptimiser', dOptimiser);
    p2pModel = SimpleNamespace(g=g, d=d, gOptimiser=gOptimiser, dOptimiser=dOptimiser, history=history)
    return p2pModel


def stepBoth(g, d, gOpt, dOpt, inputImage, targetImage, options):
    """One generator and one discriminator step (train.m's local function)."""
    # Make a fake image
    fakeImage = tanh(g.forward(inputImage))

    # Predictions for real and fake images with the discriminator
    realPredictions = sigmoid(d.forward(cat(3, targetImage, inputImage)))
    fakePredictions = sigmoid(d.forward(cat(3, fakeImage, inputImage)))

    # Discriminator loss
    labels = ones(size(fakePredictions), "single")
    # crossentropy divides by nObservations, we need to also divide by patch size
    # ... crossentropy(realPredictions, labels)/numel(fakePredictions(:,:,1,1)) ...
    dLoss = options.DRelLearnRate * (crossentropy(realPredictions, labels) / numel(fakePredictions.m[:, :, 0, 0])
                                     + crossentropy(1 - fakePredictions, labels) / numel(fakePredictions.m[:, :, 0, 0]))

    # Generator loss
    dGrads = dlgradient(dLoss, d.Learnables, RetainData=True)
    dLoss = extractdata(dLoss)
    ganLoss = crossentropy(fakePredictions, labels) / numel(fakePredictions.m[:, :, 0, 0])
    lossL1 = mean(abs(fakeImage - targetImage), "all")
    gLoss = options.Lambda * lossL1 + ganLoss
    gGrads = dlgradient(gLoss, g.Learnables)

    # Update the networks (the source updates g with dOpt and d with gOpt; with equal options it is the same)
    g.Learnables = dOpt.update(g.Learnables, gGrads)
    d.Learnables = gOpt.update(d.Learnables, dGrads)

    # Convert for logging
    gLoss = extractdata(gLoss)
    lossL1 = extractdata(lossL1)
    ganLoss = extractdata(ganLoss)
    # images = {fakeImage, inputImage, targetImage};
    images = [fakeImage, inputImage, targetImage]
    return g, gLoss, d, dLoss, lossL1, ganLoss, images


# ----- +p2p/+networks/generator.m, discriminator.m, block.m, downBlock.m, upBlock.m ------------------------------

def generator(inputSize, inputChannels, outputChannels, depth=None):
    """U-Net generator: depth down blocks, depth up blocks with skip concatenations, 1×1 output convolution."""
    downChannels = [64, 128, 256, 512, 512, 512, 512, 512]
    upChannels = [512, 512, 512, 512, 512, 256, 128, 64]
    if depth is None:
        depth = len(downChannels)
    else:
        assert depth <= 8, "p2p:networks:generator: Current max depth is 8"
        # downChannels = downChannels(1:depth);  upChannels = upChannels(9-depth:end);
        downChannels = downChannels[0:depth]
        upChannels = upChannels[8 - depth:]

    layers = [imageInputLayer([*inputSize, inputChannels], "Name", "inputImage", "Normalization", "none")]

    for iLevel in range(1, depth + 1):
        doNorm = iLevel != 1
        layers = [*layers,
                  *downBlock(f"down_{iLevel}", downChannels[iLevel - 1], "DoNorm", doNorm)]

    for iLevel in range(depth, 0, -1):
        doDropout = iLevel >= (depth - 3)
        layers = [*layers,
                  *upBlock(f"up_{iLevel}", upChannels[depth - iLevel], "Dropout", doDropout)]

    layers = [*layers,
              # convolution2dLayer(1, outputChannels, ..., 'WeightsInitializer', @(sz) 0.02*randn(sz, 'single'))
              convolution2dLayer(1, outputChannels, "Padding", "same", "Stride", 1, "Name", "Output",
                                 "WeightsInitializer", lambda sz: 0.02 * randn(sz, "single"))]

    lg = layerGraph(layers)

    for iLevel in range(1, depth):
        # lg = lg.connectLayers(sprintf('lrelu_down_%d', iLevel), sprintf('cat_up_%d/in2', iLevel+1));
        lg = lg.connectLayers(f"lrelu_down_{iLevel}", f"cat_up_{iLevel + 1}/in2")
    lg = lg.connectLayers("inputImage", "cat_up_1/in2")

    model = dlnetwork(lg)
    return model


def discriminator(inputSize, inputChannels, depth=None):
    """PatchGAN discriminator: depth down blocks and a 1×1 convolution to one channel."""
    layers = [imageInputLayer([*inputSize, inputChannels], "Name", "inputImage", "Normalization", "none")]
    downChannels = [64, 128, 256, 512]
    if depth is None:
        depth = len(downChannels)
    else:
        assert depth <= 4, "p2p:networks:discriminator: Current max depth is 4"
        downChannels = downChannels[0:depth]

    for iLevel in range(1, depth + 1):
        doNorm = iLevel != 1
        layers = [*layers,
                  *downBlock(f"D_{iLevel}", downChannels[iLevel - 1], "DoNorm", doNorm)]
    layers = [*layers,
              convolution2dLayer(1, 1, "Name", "outputLayer", "Padding", "same", "Stride", 1,
                                 "WeightsInitializer", lambda sz: 0.02 * randn(sz, "single"))]
    lg = layerGraph(layers)
    model = dlnetwork(lg)
    return model


def block(id, nChannels, direction, *varargin):
    """A strided (transposed) convolution, optional normalisation and dropout, leaky ReLU 0.2."""
    # parser = inputParser(); ... addParameter('NormType', 'batch') ...
    inputs = SimpleNamespace(nChannels=nChannels, direction=direction, NormType="batch", DoNorm=True,
                             Dropout=False, KernelSize=4)
    for name, value in zip(varargin[0::2], varargin[1::2], strict=True):
        setattr(inputs, name, value)

    if inputs.direction == "down":
        conv = convolution2dLayer
        padName = "Padding"
    elif inputs.direction == "up":
        conv = transposedConv2dLayer
        padName = "Cropping"
    else:
        raise ValueError("Unrecognised parameter")

    layers = [conv(inputs.KernelSize, inputs.nChannels, "Name", f"conv_{id}", padName, "same", "Stride", 2,
                   "WeightsInitializer", lambda sz: 0.02 * randn(sz, "single"))]

    if inputs.DoNorm:
        if inputs.NormType == "instance":
            # layers = [layers; p2p.networks.instanceNormalizationLayer(sprintf('in_%s', id))];
            raise NotImplementedError("NormType 'instance' uses the package's custom layer class, not ported")
        elif inputs.NormType == "batch":
            layers = [*layers, batchNormalizationLayer("Name", f"bn_{id}")]
        elif inputs.NormType == "none":
            pass
        else:
            raise ValueError(f"p2p:networks:badNorm: unrecognised normalisation type '{inputs.NormType}'.")

    if inputs.Dropout:
        layers = [*layers, dropoutLayer(0.5, "Name", f"drop_{id}")]

    layers = [*layers, leakyReluLayer(0.2, "Name", f"lrelu_{id}")]
    return layers


def downBlock(id, nChannels, *varargin):
    return block(id, nChannels, "down", *varargin)


def upBlock(id, nChannels, *varargin):
    out = block(id, nChannels, "up", *varargin)
    out = [*out, depthConcatenationLayer(2, "Name", f"cat_{id}")]
    return out


# ----- +p2p/+util/AdamOptimiser.m -------------------------------------------------------------------------------

class AdamOptimiser:
    """A handle object keeping adamupdate's state for one network (classdef AdamOptimiser < handle)."""

    def __init__(self, lr, beta1, beta2):
        self.LearnRate = lr
        self.Beta1 = beta1
        self.Beta2 = beta2
        self.Iteration = 1
        self.AvgGradient = []
        self.AvgGradientSq = []

    def update(self, params, gradients):
        # if ~isempty(obj.AvgGradient)
        if len(self.AvgGradient):
            # assert(height(params) == height(obj.AvgGradient), ...)
            assert size(params, 1) == size(self.AvgGradient, 1), \
                "p2p:util:AdamOptimiser: Size of parameters should not change during optimisation."
        updatedParams, self.AvgGradient, self.AvgGradientSq = adamupdate(
            params, gradients, self.AvgGradient, self.AvgGradientSq, self.Iteration, self.LearnRate,
            self.Beta1, self.Beta2)
        self.Iteration = self.Iteration + 1
        return updatedParams


# ----- +p2p/+data/PairedImageDatastore.m, transformImagePair.m ---------------------------------------------------

class PairedImageDatastore:
    """Pairs of images with the same file order in two folders, read as table(A, B) of cell columns."""

    def __init__(self, dirA, dirB, miniBatchSize, *varargin):
        includeSubFolders = True
        self.DirA = dirA
        self.DirB = dirB
        self.ImagesA = imageDatastore(self.DirA, "IncludeSubfolders", includeSubFolders)
        self.ImagesB = imageDatastore(self.DirB, "IncludeSubfolders", includeSubFolders)
        self.MiniBatchSize = miniBatchSize
        assert len(self.ImagesA.Files) == len(self.ImagesB.Files), \
            "p2p:datastore:notMatched: Number of files in A and B folders do not match"
        self.NumObservations = len(self.ImagesA.Files)
        # [inputs, remaining] = obj.parseInputs(varargin{:});   (PreSize/CropSize/ARange/BRange, the rest unmatched)
        opts = dict(zip(varargin[0::2], varargin[1::2], strict=True))
        inputs = {k: opts.pop(k, v) for k, v in
                  dict(PreSize=[256, 256], CropSize=[256, 256], ARange=255, BRange=255).items()}
        remaining = opts
        self.ARange = inputs["ARange"]
        self.BRange = inputs["BRange"]
        # obj.Augmenter = imageDataAugmenter(remaining);
        self.Augmenter = imageDataAugmenter(**remaining)
        self.PreSize = inputs["PreSize"]
        self.CropSize = inputs["CropSize"]

    @property
    def MiniBatchSize(self):
        return self.MiniBatchSize_

    @MiniBatchSize.setter
    def MiniBatchSize(self, val):
        self.ImagesA.ReadSize = val
        self.ImagesB.ReadSize = val
        self.MiniBatchSize_ = val

    def hasdata(self):
        return self.ImagesA.hasdata() and self.ImagesB.hasdata()

    def read(self):
        imagesA = self.ImagesA.read()
        imagesB = self.ImagesB.read()
        if not isinstance(imagesA, list):
            imagesA = [imagesA]
            imagesB = [imagesB]
        transformedA, transformedB = transformImagePair(imagesA, imagesB, self.PreSize, self.CropSize,
                                                        self.Augmenter)
        A, B = self.normaliseImages(transformedA, transformedB)
        # data = table(A, B);   (Python cannot see the variables' names: they are given)
        data = table(A, B, VariableNames=["A", "B"])
        return data

    def reset(self):
        self.ImagesA.reset()
        self.ImagesB.reset()

    def shuffle(self):
        # objNew = obj.copy();
        objNew = copy.copy(self)
        numObservations = objNew.NumObservations
        # objNew.ImagesA = copy(obj.ImagesA);
        objNew.ImagesA = copy.deepcopy(self.ImagesA)
        objNew.ImagesB = copy.deepcopy(self.ImagesB)
        # idx = randperm(numObservations);   (0-based positions: Python lists index from 0)
        idx = np.random.permutation(numObservations)
        # objNew.ImagesA.Files = objNew.ImagesA.Files(idx);
        objNew.ImagesA.Files = [objNew.ImagesA.Files[i] for i in idx]
        objNew.ImagesB.Files = [objNew.ImagesB.Files[i] for i in idx]
        return objNew

    def normaliseImages(self, aIn, bIn):
        # aOut = cellfun(@(x) 2*(single(x)/obj.ARange) - 1, aIn, 'UniformOutput', false);
        aOut = [2 * (np.float32(x) / self.ARange) - 1 for x in aIn]
        bOut = [2 * (np.float32(x) / self.BRange) - 1 for x in bIn]
        return aOut, bOut


def transformImagePair(imagesA, imagesB, preSize, cropSize, augmenter):
    """Resize, augment both images identically, crop both at the same random window."""
    transformedA = imagesA
    transformedB = imagesB

    if preSize is not None and len(preSize):
        transformedA = [imresize(im, preSize) for im in transformedA]
        transformedB = [imresize(im, preSize) for im in transformedB]

    if augmenter is not None:
        # [transformedA, transformedB] = augmenter.augmentPair(transformedA, transformedB);
        # (augmentPair is undocumented; the documented augment(augmenter, {a, b}) applies one identical
        #  transformation to every image of the cell array)
        pairs = [augmenter.augment([a, b]) for a, b in zip(transformedA, transformedB, strict=True)]
        transformedA = [a for a, _ in pairs]
        transformedB = [b for _, b in pairs]

    if cropSize is not None and len(cropSize):
        transformedA, transformedB = randCrop(transformedA, transformedB, cropSize)
    return transformedA, transformedB


def randCrop(im1, im2, cropSize):
    # rect = augmentedImageDatastore.randCropRect(im1, cropSize);   (undocumented; the documented
    # randomCropWindow2d gives the same kind of window)
    rect = randomCropWindow2d(size(im1[0]), cropSize)
    # doCrop = @(im) augmentedImageDatastore.cropGivenDiscreteValuedRect(im, rect);
    doCrop = lambda im: imcrop(im, rect)  # noqa: E731
    imOut1 = [doCrop(im) for im in im1]
    imOut2 = [doCrop(im) for im in im2]
    return imOut1, imOut2


def main(argv: list[str] | None = None) -> SimpleNamespace:
    """Command line: p2pModel = p2p.train(dirA, dirB, p2p.trainingOptions(...)) (the README's use)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirA")
    parser.add_argument("dirB")
    parser.add_argument("--input-size", type=int, default=256)
    parser.add_argument("--gdepth", type=int, default=8)
    parser.add_argument("--ddepth", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--verbose-frequency", type=int, default=50)
    args = parser.parse_args(argv)
    options = trainingOptions(InputSize=[args.input_size] * 2, PreSize=[args.input_size + 30] * 2,
                              GDepth=args.gdepth, DDepth=args.ddepth, MaxEpochs=args.epochs,
                              VerboseFrequency=args.verbose_frequency, CheckpointPath="", Plots="none")
    start = time.time()
    p2pModel = train(Path(args.dirA), Path(args.dirB), options)
    print(f"trained {len(p2pModel.history)} iterations in {time.time() - start:.0f} s")
    return p2pModel


if __name__ == "__main__":
    main(sys.argv[1:])
