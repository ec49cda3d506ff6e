"""layergraph: MATLAB Deep Learning Toolbox-style networks (layer arrays, layer graphs, YAML specs) on PyTorch.

Everything a ported MATLAB script needs is importable from here under its MATLAB name.
"""
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
    dims,
    dlarray,
    exp,
    extractdata,
    finddim,
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
    size,
    softmax,
    sqrt,
    squeeze,
    stripdims,
    sum,
    tanh,
)
from layergraph.dlarray.creation import ones, rand, randn, zeros
from layergraph.dlfun import (
    avgpool,
    batchnorm,
    crossentropy,
    dlconv,
    dltranspconv,
    dlupdate,
    fullyconnect,
    groupnorm,
    huber,
    instancenorm,
    l1loss,
    l2loss,
    layernorm,
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
from layergraph.layers import __all__ as _layer_names
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
from layergraph.train.training_options import trainingOptions
from layergraph.train.trainnet import trainnet
from layergraph.version import __version__  # noqa: F401 - one place: layergraph/version.py

# the MATLAB-named functions above, then every registered layer constructor and class
__all__ = [
    "DAGNetwork", "LayerGraph", "SeriesNetwork", "Table", "abs", "adamupdate", "addLayers", "analyzeNetwork",
    "arrayDatastore", "augmentedImageDatastore", "avgpool", "batchnorm", "canUseGPU", "cat", "categorical",
    "categories", "classify", "combine", "confusionchart", "connectLayers", "crossentropy", "dims",
    "disconnectLayers", "dlarray", "dlconv", "dlfeval", "dlgradient", "dlnetwork", "dltranspconv", "dlupdate",
    "dump_spec", "exp", "exportONNXNetwork", "exportgraphics", "extractdata", "finddim", "forward", "fullyconnect",
    "ganLoss", "ganLossFromLogits", "gather", "gpuArray", "groupSubPlot", "groupnorm", "hasdata", "huber",
    "imageDataAugmenter", "imageDatastore", "imcrop", "importNetworkFromONNX", "importONNXNetwork", "imresize",
    "imtile", "imwrite", "initialize", "instancenorm", "l1loss", "l2loss", "layerGraph", "layernorm", "leakyrelu",
    "load_spec", "log", "max", "maxpool", "mean", "min", "minibatchpredict", "minibatchqueue", "mixed_precision",
    "mse", "ndims", "numel", "onehotdecode", "onehotencode", "ones", "padsequences", "partition", "permute",
    "plot_graph", "predict", "preview", "rand", "randn", "randomCropWindow2d", "read", "readall", "recordMetrics",
    "relu", "removeLayers", "replaceLayer", "rescale", "reset", "resetState", "reshape", "rmspropupdate", "save_spec",
    "scores2label", "sgdmupdate", "shuffle", "sigmoid", "size", "softmax", "sqrt", "squeeze", "stripdims", "sum",
    "table", "tanh", "testnet", "trainNetwork", "trainingOptions", "trainingProgressMonitor", "trainnet", "transform",
    "updateInfo", "yscale", "zeros",
    *_layer_names,
]
