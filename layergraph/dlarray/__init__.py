"""dlarray: MATLAB's labelled deep-learning array on torch, and MATLAB's array functions for it.

`array` holds the type (labels, conversion between MATLAB and torch layouts), `functions` the MATLAB array
functions with MATLAB dimension numbers, `elementwise` the MATLAB elementwise functions, `indexing` the
MATLAB-order indexer `X.m[...]`.
"""
from layergraph.dlarray import indexing as _indexing  # noqa: F401 - attaches DLArray.m
from layergraph.dlarray.array import (
    DLArray,
    dims,
    dlarray,
    extractdata,
    label,
    labelled,
    matlab_data,
    matlab_shape,
    plain,
    stripdims,
    to_matlab_layout,
    wrap,
)
from layergraph.dlarray.creation import ones, rand, randi, randn, zeros
from layergraph.dlarray.elementwise import (
    abs,
    cos,
    exp,
    gelu,
    leakyrelu,
    log,
    relu,
    sigmoid,
    sin,
    softmax,
    sqrt,
    tanh,
)
from layergraph.dlarray.functions import (
    finddim,
    max,
    mean,
    min,
    ndims,
    numel,
    permute,
    reshape,
    size,
    squeeze,
    sum,
)
from layergraph.dlarray.sorting import sort

__all__ = [
    "DLArray", "abs", "cos", "dims", "dlarray", "exp", "extractdata", "finddim", "gelu", "label", "labelled",
    "leakyrelu", "log", "matlab_data", "matlab_shape", "max", "mean", "min", "ndims", "numel", "ones", "permute",
    "plain", "rand", "randi", "randn", "relu", "reshape", "sigmoid", "sin", "size", "softmax", "sort", "sqrt",
    "squeeze", "stripdims", "sum", "tanh", "to_matlab_layout", "wrap", "zeros",
]
