"""layergraph: MATLAB Deep Learning Toolbox-style networks (layer arrays, layer graphs, YAML specs) on PyTorch.

Everything a ported MATLAB script needs is importable from here under its MATLAB name.
"""
# the layer constructors come by star import; the generated __all__ lists them literally for type checkers
# ruff: noqa: F405
from layergraph.analyze import analyzeNetwork, plot_graph
from layergraph.compile import dlnetwork, forward, initialize, predict, resetState
from layergraph.data import (  # datastores the way MATLAB programs feed them
    arrayDatastore,
    augmentedImageDatastore,
    cat,
    categorical,
    categories,
    combine,
    hasdata,
    imageDataAugmenter,
    imageDatastore,
    imresize,
    imtile,
    imwrite,
    minibatchqueue,
    padsequences,
    partition,
    preview,
    read,
    readall,
    rescale,
    reset,
    shuffle,
    transform,
)
from layergraph.data.tables import imcrop, randomCropWindow2d, table
from layergraph.devices import canUseGPU, gather, gpuArray
from layergraph.dlarray import (
    abs,
    cos,
    dims,
    dlarray,
    exp,
    extractdata,
    finddim,
    gelu,
    leakyrelu,
    log,
    max,
    mean,
    min,
    ndims,
    numel,
    permute,
    relu,
    reshape,
    sigmoid,
    sin,
    size,
    softmax,
    sqrt,
    squeeze,
    stripdims,
    sum,
    tanh,
)
from layergraph.dlarray.creation import ones, rand, randi, randn, zeros
from layergraph.dlarray.pages import pagemtimes
from layergraph.dlarray.sorting import sort
from layergraph.dlarray.spectral import fft, ifft
from layergraph.dlfun import (
    attention,
    avgpool,
    batchnorm,
    crossentropy,
    dlconv,
    dltranspconv,
    dlupdate,
    embed,
    fullyconnect,
    groupnorm,
    gru,
    huber,
    instancenorm,
    l1loss,
    l2loss,
    layernorm,
    lstm,
    maxpool,
    mse,
    onehotdecode,
    onehotencode,
)
from layergraph.gan.losses import ganLoss, ganLossFromLogits  # the GAN examples' loss
from layergraph.graph import (
    LayerGraph,
    addLayers,
    connectLayers,
    disconnectLayers,
    layerGraph,
    removeLayers,
    replaceLayer,
)
from layergraph.interop import exportONNXNetwork, importNetworkFromONNX, importONNXNetwork
from layergraph.layers import *  # noqa: F403 - every MATLAB layer constructor
from layergraph.matfile import Struct, load, save
from layergraph.monitor import (
    confusionchart,
    exportgraphics,
    groupSubPlot,
    recordMetrics,
    trainingProgressMonitor,
    updateInfo,
    yscale,
)
from layergraph.precision import mixed_precision
from layergraph.spec import dump_spec, load_spec, save_spec
from layergraph.table import Table
from layergraph.train import adamupdate, dlfeval, dlgradient, rmspropupdate, sgdmupdate
from layergraph.train.inference import minibatchpredict, scores2label, testnet
from layergraph.train.legacy import DAGNetwork, SeriesNetwork, classify, trainNetwork
from layergraph.train.metrics import (
    accuracyMetric,
    aucMetric,
    fScoreMetric,
    mapeMetric,
    precisionMetric,
    recallMetric,
    rmseMetric,
)
from layergraph.train.stateful import classifyAndUpdateState, predictAndUpdateState
from layergraph.train.training_options import trainingOptions
from layergraph.train.trainnet import trainnet
from layergraph.version import __version__  # noqa: F401 - one place: layergraph/version.py

# the MATLAB-named functions above, then every registered layer constructor and class
__all__ = [
    "DAGNetwork", "LayerGraph", "SeriesNetwork", "Struct", "Table", "abs", "accuracyMetric", "adamupdate",
    "addLayers", "analyzeNetwork", "arrayDatastore", "attention", "aucMetric", "augmentedImageDatastore", "avgpool",
    "batchnorm", "canUseGPU", "cat", "categorical", "categories", "classify", "classifyAndUpdateState", "combine",
    "confusionchart", "connectLayers", "cos", "crossentropy", "dims", "disconnectLayers", "dlarray", "dlconv",
    "dlfeval", "dlgradient", "dlnetwork", "dltranspconv", "dlupdate", "dump_spec", "embed", "exp",
    "exportONNXNetwork", "exportgraphics", "extractdata", "fScoreMetric", "fft", "finddim", "forward", "fullyconnect",
    "ganLoss", "ganLossFromLogits", "gather", "gelu", "gpuArray", "groupSubPlot", "groupnorm", "gru", "hasdata",
    "huber", "ifft", "imageDataAugmenter", "imageDatastore", "imcrop", "importNetworkFromONNX", "importONNXNetwork",
    "imresize", "imtile", "imwrite", "initialize", "instancenorm", "l1loss", "l2loss", "layerGraph", "layernorm",
    "leakyrelu", "load", "load_spec", "log", "lstm", "mapeMetric", "max", "maxpool", "mean", "min",
    "minibatchpredict", "minibatchqueue", "mixed_precision", "mse", "ndims", "numel", "onehotdecode", "onehotencode",
    "ones", "padsequences", "pagemtimes", "partition", "permute", "plot_graph", "precisionMetric", "predict",
    "predictAndUpdateState", "preview", "rand", "randi", "randn", "randomCropWindow2d", "read", "readall",
    "recallMetric", "recordMetrics", "relu", "removeLayers", "replaceLayer", "rescale", "reset", "resetState",
    "reshape", "rmseMetric", "rmspropupdate", "save", "save_spec", "scores2label", "sgdmupdate", "shuffle", "sigmoid",
    "sin", "size", "softmax", "sort", "sqrt", "squeeze", "stripdims", "sum", "table", "tanh", "testnet",
    "trainNetwork", "trainingOptions", "trainingProgressMonitor", "trainnet", "transform", "updateInfo", "yscale",
    "zeros",
]
# BEGIN generated layer names
__all__ += [
    "BY_TYPE",
    "LAYER_CLASSES",
    "CustomLayer",
    "Layer",
    "additionLayer",
    "attentionLayer",
    "averagePooling1dLayer",
    "averagePooling2dLayer",
    "batchNormalizationLayer",
    "bilstmLayer",
    "classificationLayer",
    "clippedReluLayer",
    "concatenationLayer",
    "convolution1dLayer",
    "convolution2dLayer",
    "crop2dLayer",
    "depthConcatenationLayer",
    "depthToSpace2dLayer",
    "dropoutLayer",
    "eluLayer",
    "embeddingLayer",
    "feature2image",
    "featureInputLayer",
    "flattenLayer",
    "fullyConnectedLayer",
    "functionLayer",
    "geluLayer",
    "globalAveragePooling1dLayer",
    "globalAveragePooling2dLayer",
    "globalMaxPooling1dLayer",
    "groupNormalizationLayer",
    "groupedConvolution2dLayer",
    "gruLayer",
    "gruProjectedLayer",
    "imageInputLayer",
    "indexing1dLayer",
    "instanceNormalizationLayer",
    "isempty",
    "layerNormalizationLayer",
    "leakyReluLayer",
    "lstmLayer",
    "lstmProjectedLayer",
    "maxPooling1dLayer",
    "maxPooling2dLayer",
    "multiplicationLayer",
    "networkDataLayout",
    "positionEmbeddingLayer",
    "preluLayer",
    "projectAndReshapeLayer",
    "register",
    "register_function",
    "register_layer",
    "registered",
    "regressionLayer",
    "reluLayer",
    "resize2dLayer",
    "selfAttentionLayer",
    "sequenceInputLayer",
    "sigmoidLayer",
    "sinusoidalPositionEncodingLayer",
    "softmaxLayer",
    "spaceToDepthLayer",
    "swishLayer",
    "tanhLayer",
    "transposedConv1dLayer",
    "transposedConv2dLayer",
    "wordEmbeddingLayer",
]
# END generated layer names
