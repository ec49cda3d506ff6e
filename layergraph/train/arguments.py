"""trainnet's arguments: the call forms, a trainable copy of the network, the checks MATLAB makes before
training, the data formats, the class names and the validation pair."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.data.categorical import Categorical
from layergraph.data.queue import MiniBatchQueue
from layergraph.data.source import Source
from layergraph.errors import OptionError
from layergraph.graph.layergraph import LayerGraph
from layergraph.train.batches import input_format
from layergraph.train.training_options import TrainingOptions

__all__ = ["check_no_output_layer", "class_names", "data_formats", "split_args",
           "trainable_network", "validation_pair"]


def trainable_network(net: Any) -> dlnetwork:
    """A trainable copy (MATLAB networks are values: the caller's network is not changed)."""
    if isinstance(net, dlnetwork):
        if not net.Initialized:
            return net.initialize()
        return dlnetwork(net)
    if isinstance(net, (list, tuple, LayerGraph)) or hasattr(net, "build"):
        return dlnetwork(net)
    raise OptionError(f"trainnet: expected a dlnetwork or a layer array, got {type(net).__name__}")


def check_no_output_layer(net: dlnetwork, fname: str) -> None:
    """trainnet takes the loss as an argument: an output layer (trainNetwork's) in the network is an error."""
    for layer in net.Layers:
        if layer.type in ("classificationLayer", "regressionLayer"):
            raise OptionError(f"{fname}: the network has an output layer '{layer.Name}' ({layer.type}); trainnet "
                              "takes the loss as its lossFcn argument: remove the layer, or use trainNetwork")


def data_formats(net: dlnetwork, opts: TrainingOptions) -> tuple[str, str]:
    """The formats of the predictors and targets: InputDataFormats/TargetDataFormats, or the network's own."""
    in_fmt = input_format(opts.InputDataFormats, net._act(net.InputNames[0]).batch_fmt)
    out_fmt = input_format(opts.TargetDataFormats, net._out_fmt[0])
    return in_fmt, out_fmt


def class_names(data: Any, T: Any) -> list[str] | None:
    """The class names of categorical targets (in array data, a datastore's labels, or None)."""
    if isinstance(T, Categorical):
        return list(T.categories)
    if isinstance(T, (list, tuple)) and T and all(isinstance(c, Categorical) for c in T):
        return sorted({k for c in T for k in c.categories})  # label sequences: all their classes
    labels = getattr(data, "Labels", None)
    if isinstance(labels, Categorical) and len(labels):
        return list(labels.categories)
    if isinstance(data, Source) and not isinstance(data, MiniBatchQueue):
        cols, _ = data._gather(np.arange(min(1, data._num_obs())), 0, 1, np.random.default_rng(0))
        if len(cols) > 1 and cols[1] and isinstance(cols[1][0], Categorical):
            return list(cols[1][0].categories)
    return None


def validation_pair(vd: Any) -> tuple[Any, Any]:
    """ValidationData: {X, T} (a tuple, or a two-element list holding predictors and targets), or a datastore."""
    if isinstance(vd, tuple) and len(vd) == 2:
        return vd
    if isinstance(vd, list) and len(vd) == 2 and isinstance(vd[1], (Categorical, np.ndarray, torch.Tensor, list)):
        return vd[0], vd[1]
    return vd, None


def split_args(args: tuple[Any, ...], fname: str) -> tuple[Any, Any, Any, Any, TrainingOptions]:
    """(X, T, net, lossFcn, options) or (data, net, lossFcn, options)."""
    if len(args) == 5:
        X, T, net, loss, opts = args
    elif len(args) == 4:
        X, net, loss, opts = args
        T = None
        if isinstance(X, tuple) and len(X) == 2:
            X, T = X
    else:
        raise OptionError(f"{fname}: expected {fname}(X, T, net, lossFcn, options) or {fname}(data, net, lossFcn, "
                          f"options); got {len(args)} arguments")
    if not isinstance(opts, TrainingOptions):
        raise OptionError(f"{fname}: the last argument must be trainingOptions(...), got {type(opts).__name__}")
    return X, T, net, loss, opts


