"""layergraph: MATLAB Deep Learning Toolbox-style networks (layer arrays, layer graphs, YAML specs) on PyTorch.

Everything a ported MATLAB script needs is importable from here under its MATLAB name.
"""
from layergraph.analyze import analyzeNetwork
from layergraph.compile import dlnetwork, forward, initialize, predict
from layergraph.data import (
    augmentedImageDatastore,
    cat,
    categories,
    hasdata,
    imageDataAugmenter,
    imageDatastore,
    imtile,
    imwrite,
    minibatchqueue,
    partition,
    readall,
    rescale,
    reset,
    shuffle,
)
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
from layergraph.graph import (
    LayerGraph,
    addLayers,
    connectLayers,
    disconnectLayers,
    layerGraph,
    removeLayers,
    replaceLayer,
)
from layergraph.interop import exportONNXNetwork, importNetworkFromONNX, importONNXNetwork, plot_graph
from layergraph.layers import *  # noqa: F403 - every MATLAB layer constructor
from layergraph.layers import __all__ as _layer_names
from layergraph.precision import mixed_precision
from layergraph.spec import dump_spec, load_spec, save_spec
from layergraph.table import Table
from layergraph.train import (
    adamupdate,
    dlfeval,
    dlgradient,
    ganLoss,
    ganLossFromLogits,
    rmspropupdate,
    sgdmupdate,
)

__version__ = "0.1.0"

__all__ = [
    "adamupdate", "addLayers", "analyzeNetwork", "augmentedImageDatastore", "canUseGPU", "cat", "categories",
    "mixed_precision",
    "connectLayers", "dims", "disconnectLayers", "dlarray", "dlfeval", "dlgradient", "dlnetwork", "dump_spec",
    "exportONNXNetwork", "extractdata", "forward", "ganLoss", "ganLossFromLogits", "gather", "gpuArray",
    "hasdata", "imageDataAugmenter", "imageDatastore", "importNetworkFromONNX", "importONNXNetwork", "imtile",
    "imwrite", "initialize", "layerGraph", "LayerGraph", "load_spec", "minibatchqueue", "mse", "partition",
    "plot_graph", "predict", "readall", "removeLayers", "replaceLayer", "rescale", "reset", "rmspropupdate",
    "save_spec", "sgdmupdate", "shuffle", "sigmoid", "stripdims", "Table", *_layer_names,
    # MATLAB's dlarray functions and deep-learning operations (layergraph.dlarray, layergraph.dlfun)
    "abs", "avgpool", "batchnorm", "crossentropy", "dlconv", "dltranspconv", "dlupdate", "exp", "finddim",
    "fullyconnect", "groupnorm", "huber", "instancenorm", "l1loss", "l2loss", "layernorm", "leakyrelu", "log",
    "max", "maxpool", "mean", "min", "ndims", "numel", "onehotdecode", "onehotencode", "permute", "relu",
    "reshape", "size", "softmax", "sqrt", "squeeze", "sum", "tanh",
]

# --- issue 12 (items 6–7): datastores the way MATLAB programs feed them, monitors and charts ---------------------
from layergraph.data import (
    arrayDatastore,
    categorical,
    combine,
    imresize,
    preview,
    read,
    transform,
)
from layergraph.monitor import (
    confusionchart,
    exportgraphics,
    groupSubPlot,
    recordMetrics,
    trainingProgressMonitor,
    updateInfo,
    yscale,
)

__all__ += [
    "arrayDatastore", "categorical", "combine", "confusionchart", "exportgraphics", "groupSubPlot", "imresize",
    "preview", "read", "recordMetrics", "trainingProgressMonitor", "transform", "updateInfo", "yscale",
]

# --- issue 12 (real programs): MATLAB's array constructors with `like` ------------------------------------------
from layergraph.data.tables import imcrop, randomCropWindow2d, table  # noqa: E402
from layergraph.dlarray.creation import ones, rand, randn, zeros  # noqa: E402

__all__ += ["imcrop", "ones", "rand", "randn", "randomCropWindow2d", "table", "zeros"]
