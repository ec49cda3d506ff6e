"""MATLAB's deep-learning functions for dlarrays: losses, one-hot coding and the functional layer operations.

`losses` (mse, crossentropy, l1loss, l2loss, huber), `onehot` (onehotencode, onehotdecode), `conv` (dlconv,
dltranspconv), `dense` (fullyconnect), `norm` (batchnorm, layernorm, instancenorm, groupnorm), `pool`
(avgpool, maxpool), `update` (dlupdate), `recurrent` (lstm, gru), `attention` (attention), `embed` (embed).
Each follows MATLAB's documented formula and options.
"""
from layergraph.dlfun.attention import attention
from layergraph.dlfun.common import DLFunctionError
from layergraph.dlfun.conv import dlconv, dltranspconv
from layergraph.dlfun.dense import fullyconnect
from layergraph.dlfun.embed import embed
from layergraph.dlfun.losses import crossentropy, huber, l1loss, l2loss, mse
from layergraph.dlfun.norm import batchnorm, groupnorm, instancenorm, layernorm
from layergraph.dlfun.onehot import onehotdecode, onehotencode
from layergraph.dlfun.pool import avgpool, maxpool
from layergraph.dlfun.recurrent import gru, lstm
from layergraph.dlfun.update import dlupdate

__all__ = [
    "DLFunctionError", "attention", "avgpool", "batchnorm", "crossentropy", "dlconv", "dltranspconv", "dlupdate",
    "embed", "fullyconnect", "groupnorm", "gru", "huber", "instancenorm", "l1loss", "l2loss", "layernorm", "lstm",
    "maxpool", "mse", "onehotdecode", "onehotencode",
]
