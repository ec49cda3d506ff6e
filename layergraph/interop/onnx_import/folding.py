"""Folding for the ONNX importer: constant expressions evaluated once, constants merged into the layers.

* Nodes whose inputs are all constants (shape arithmetic, weight transposes) are evaluated with onnx's
  reference evaluator; `Shape` of an activation is known statically, with the batch size as `BATCH`.
* Adding a per-channel constant right after a fully connected or convolution layer goes into its bias.
* Sub/Add/Mul/Div by per-channel constants right after a graph input become MATLAB's input normalization.
* Cropping H and W (Crop, Slice) right after a convolution or pooling layer takes rows and columns off its
  padding; after a transposed convolution it is more Cropping.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.values import BATCH, Index, Seq, Val
from layergraph.layers.conv import Convolution2DLayer, TransposedConv2DLayer, conv_padding, tconv_cropping
from layergraph.layers.dense import FullyConnectedLayer
from layergraph.layers.norm import BatchNormalizationLayer
from layergraph.layers.pooling import AveragePooling2DLayer, MaxPooling2DLayer

POOLING = (MaxPooling2DLayer, AveragePooling2DLayer)  # the 2-D pooling layers with a PoolSize and Padding


def fold(imp: Importer, node: Any) -> None:
    """Evaluate a node whose inputs are all constants, at the model's opset; its outputs become constants."""
    from onnx.reference import ReferenceEvaluator

    h = imp.onnx.helper
    ins = [i for i in node.input if i]
    if node.op_type in ("ConstantOfShape", "Expand", "Range", "Tile") and any(
            np.asarray(imp.consts[i]).dtype.kind == "i" and np.any(np.asarray(imp.consts[i]) == BATCH) for i in ins):
        # the batch size stands for any size: a tensor that big cannot be built (PyTorch's dynamic padding)
        raise imp.fail("it builds a tensor whose size depends on the batch size; layergraph layers have fixed sizes")
    # a one-node graph: a bare NodeProto would be evaluated at the newest opset (opset-9 Unsqueeze has
    # attribute axes, opset 13 an input)
    graph = h.make_graph([node], "fold", [h.make_value_info(i, imp.onnx.TypeProto()) for i in ins],
                         [h.make_value_info(o, imp.onnx.TypeProto()) for o in node.output if o])
    try:
        ev = ReferenceEvaluator(graph, opsets={"": imp.opset})
        outs = ev.run(None, {i: imp.consts[i] for i in ins})
    except Exception as err:  # the reference evaluator raises many types; report one line
        raise imp.fail(f"cannot evaluate this constant expression ({type(err).__name__})") from None
    for name, value in zip([o for o in node.output if o], outs):
        imp.set(name, np.asarray(value))


def shape_of(imp: Importer, node: Any) -> None:
    """`Shape` of an activation: its static shape with BATCH for the batch (sliced by start/end)."""
    v = imp.vals.get(node.input[0])
    if v is None:
        fold(imp, node)
        return
    v = v.val if isinstance(v, Index) else v
    if isinstance(v, Seq):  # a sequence: its batch and time stand as 1 (values.Seq.unit_shape)
        full = np.array(v.unit_shape(imp.nodes[v.base].act.channels), dtype=np.int64)
    else:
        full = np.array([BATCH, *imp.shape(v)], dtype=np.int64)
    a = imp.attrs(node)
    imp.set(node.output[0], full[a.get("start"):a.get("end")])  # start and end: from opset 15


def per_element(imp: Importer, src: Val, c: np.ndarray) -> np.ndarray | None:
    """Constant `c` broadcast over activation `src`, as values of the elements of the layer making it (torch
    layout, flat); None when it does not broadcast or gives one element two values."""
    shape = imp.shape(src)
    try:
        full = np.broadcast_to(np.asarray(c, np.float64), (1, *shape))[0]
    except ValueError:
        return None
    if src.idx is None:
        return full.reshape(-1).copy()
    out = np.full(imp.nodes[src.base].numel, np.nan)
    out[src.idx.reshape(-1)] = full.reshape(-1)
    again = out[src.idx.reshape(-1)]  # an element the value holds twice must get one value
    return out if np.array_equal(again, full.reshape(-1)) and not np.isnan(out).any() else None


def per_channel(imp: Importer, src: Val, c: np.ndarray) -> np.ndarray | None:
    """The per-channel values of constant `c` broadcast over activation `src`, or None if they vary."""
    values = per_element(imp, src, c)
    shape = imp.nodes[src.base].tshape
    if values is None or not shape:
        return None
    flat = values.reshape(shape[0], -1)
    return flat[:, 0].copy() if np.all(flat == flat[:, :1]) else None


def _private(imp: Importer, nid: int) -> bool:
    """True when nothing but the node being converted reads layer `nid`'s output (so it may change)."""
    return nid not in imp.shared and not imp.out_degree[nid]


def _weighted_channels(imp: Importer, src: Val, c: np.ndarray) -> np.ndarray | None:
    """Per-channel `c` when `src` is the private output of a layer with weights and bias, else None."""
    node = imp.nodes[src.base]
    if not isinstance(node.layer, (FullyConnectedLayer, Convolution2DLayer, TransposedConv2DLayer)):
        return None
    return per_channel(imp, src, c) if _private(imp, src.base) else None


def fold_bias(imp: Importer, src: Val, c: np.ndarray) -> bool:
    """Add per-channel `c` to the bias of the layer making `src`; False when that is not possible."""
    node, values = imp.nodes[src.base], _weighted_channels(imp, src, c)
    if values is None:
        return False
    node.params["Bias"] = (node.params["Bias"] + values).astype(np.float32)
    return True


def fold_scale(imp: Importer, src: Val, c: np.ndarray) -> bool:
    """Multiply the weights and bias of the layer making `src` by per-channel `c`; False when not possible."""
    node, values = imp.nodes[src.base], _weighted_channels(imp, src, c)
    if values is None:
        return False
    # output channels: rows of FC and conv weights (F×…), the second axis of transposed conv weights (C×F×…)
    axis = 1 if isinstance(node.layer, TransposedConv2DLayer) else 0
    shape = [1] * node.params["Weights"].ndim
    shape[axis] = -1
    node.params["Weights"] = (node.params["Weights"] * values.reshape(shape)).astype(np.float32)
    node.params["Bias"] = (node.params["Bias"] * values).astype(np.float32)
    return True


def fold_normalization(imp: Importer, src: Val, c: np.ndarray, op: str) -> bool:
    """Sub/Add/Mul/Div by per-channel constants right after a graph input: MATLAB's input normalization."""
    node = imp.nodes[src.base]
    values = per_channel(imp, src, c) if _private(imp, src.base) else None
    if values is None:
        return False
    n = node.act.channels
    shift, scale = node.norm or (np.zeros(n), np.ones(n))
    # keep the form (x − shift)·scale
    if op == "Sub":
        shift = shift + values / scale
    elif op == "Add":
        shift = shift - values / scale
    elif op == "Mul":
        scale = scale * values
    elif np.all(values != 0):
        scale = scale / values
    else:
        return False
    node.norm = (shift, scale)
    return True


def crop_of(imp: Importer, v: Val) -> tuple[int, int, int, int] | None:
    """[t b l r] when `v` is its layer's C×H×W output cropped in H and W (all channels, in order)."""
    base = imp.nodes[v.base]
    if v.idx is None or v.idx.ndim != 3 or not base.act.is_image or v.idx.shape[0] != base.tshape[0]:
        return None
    _, h, w = base.tshape
    oh, ow = v.idx.shape[1:]
    first = int(v.idx.reshape(-1)[0])
    t, left = divmod(first, w)
    full = np.arange(base.numel).reshape(base.tshape)
    if t + oh > h or left + ow > w or not np.array_equal(v.idx, full[:, t:t + oh, left:left + ow]):
        return None
    return t, h - t - oh, left, w - left - ow


def fold_crop(imp: Importer, v: Val) -> bool:
    """Crop `v`'s layer output by changing the padding (cropping) of the layer that makes it, through element-
    wise layers and batch normalization that nothing else reads; False when that is not possible."""
    crop = crop_of(imp, v)
    if crop is None:
        return False
    chain, nid = [], v.base
    while True:
        node = imp.nodes[nid]
        if nid in imp.shared or imp.out_degree[nid] != (1 if chain else 0):
            return False
        chain.append(nid)
        if isinstance(node.layer, (Convolution2DLayer, TransposedConv2DLayer, *POOLING)):
            break
        if not (node.layer.elementwise or isinstance(node.layer, BatchNormalizationLayer)):
            return False
        nid = node.inputs[0]
    node = imp.nodes[nid]
    layer = node.layer
    if isinstance(layer, TransposedConv2DLayer):
        now = tconv_cropping(layer.FilterSize, layer.Stride, layer.Cropping)
        new = tuple(a + b for a, b in zip(now, crop))
        update = {"Cropping": list(new)}
    else:
        size = layer.PoolSize if isinstance(layer, POOLING) else layer.FilterSize
        dil = (1, 1) if isinstance(layer, POOLING) else layer.DilationFactor
        now = conv_padding(imp.nodes[node.inputs[0]].act.spatial, size, layer.Stride, dil, layer.Padding)
        s = (layer.Stride[0], layer.Stride[0], layer.Stride[1], layer.Stride[1])
        new = tuple(a - b * st for a, b, st in zip(now, crop, s))
        update = {"Padding": list(new)}
    if min(new) < 0:
        return False
    node.layer = layer.model_copy(update=update)
    for cur in reversed(chain):  # the sizes after the changed layer
        n = imp.nodes[cur]
        n.act = n.layer.output_size([imp.nodes[i].act for i in n.inputs])
    return True
