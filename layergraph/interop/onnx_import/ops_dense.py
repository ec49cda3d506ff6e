"""ONNX operators read as fully connected and embedding layers (Gemm, MatMul by a constant, Gather of rows), and
Concat (constants concatenated with activations become layers with zero weights)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from layergraph.formats import matlab_dim
from layergraph.interop.onnx_import import layout
from layergraph.interop.onnx_import.folding import (
    fold_normalization,
)
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import Index, ONNXImportError, Val, name_hint, sanitize
from layergraph.layers.base import Layer
from layergraph.layers.conv import Convolution2DLayer
from layergraph.layers.dense import EmbeddingLayer, FullyConnectedLayer
from layergraph.layers.merge import ConcatenationLayer


@handler("Gemm")
def gemm(imp: Importer, node: Any) -> None:
    a = imp.attrs(node)
    if a.get("transA", 0):
        raise imp.fail("Gemm with transA=1 has no layergraph layer")
    b = imp.const(node.input[1], "weight matrix B").astype(np.float64)
    w = (b if a["transB"] else b.T) * a["alpha"]
    bias = np.zeros(w.shape[0])
    if len(node.input) > 2 and node.input[2]:
        c = imp.const(node.input[2], "bias C").astype(np.float64) * a["beta"]
        try:
            bias = np.broadcast_to(c, (1, w.shape[0]))[0]
        except ValueError:
            raise imp.fail(f"bias of shape {list(c.shape)} is not one value per output") from None
    dense(imp, node, w, bias)


@handler("MatMul")
def matmul(imp: Importer, node: Any) -> None:
    b = imp.const(node.input[1], "weight matrix")
    if b.ndim != 2:
        raise imp.fail("only MatMul of N×K activations by a constant K×M matrix has a layergraph layer")
    dense(imp, node, b.T.astype(np.float64), np.zeros(b.shape[1]))


def dense(imp: Importer, node: Any, w: np.ndarray, bias: np.ndarray) -> None:
    """A fully connected layer for x·Wᵀ + b; x may be any selection of a layer's elements (fc_input)."""
    v = imp.val(node.input[0])
    shape, k = imp.shape(v), w.shape[1]
    if node.op_type == "MatMul" and shape and shape[-1] == k and math.prod(shape) == k:
        out: tuple[int, ...] = (*shape[:-1], w.shape[0])  # MatMul keeps leading 1s: N×1×K → N×1×M
    elif shape == (k,) or (node.op_type == "Gemm" and math.prod(shape) == k):
        out = (w.shape[0],)  # Gemm on N×1×1×K (MATLAB R2018b, Caffe2): read as its row-major flattening
    else:
        raise imp.fail(f"expects N×{k} input, gets per-sample shape {list(shape)}")
    hint = name_hint(node.name)
    src, cols = imp.fc_input(Val(v.base, imp.index(v).reshape(-1), v.hint), hint)
    weights = np.zeros((w.shape[0], imp.nodes[src].numel))
    np.add.at(weights, (slice(None), cols), w)
    nid = imp.add(imp.make(FullyConnectedLayer, int(w.shape[0])), [src], hint, {"Weights": weights, "Bias": bias})
    imp.set(node.output[0], imp.out_val(nid, out, hint))


@handler("Gather")
def gather(imp: Importer, node: Any) -> None:
    if node.input[0] in imp.vals:  # elements of an activation picked by constant indices
        layout.gather(imp, node)
        return
    table = imp.const(node.input[0], "embedding table")
    idx = imp.vals.get(node.input[1])
    if not isinstance(idx, Index) or table.ndim != 2 or imp.attrs(node)["axis"] != 0:
        raise imp.fail("only Gather of rows of a constant matrix by class indices (an embedding) has a "
                       "layergraph layer")
    # 0-based (nn.Embedding) or other offsets: embeddingLayer takes index + 1, so the input layer adds
    # offset + 1 to what it is given (its normalization); the imported network reads the file's indices
    if idx.offset != -1 and not (imp.nodes[idx.val.base].layer.is_input and
                                 fold_normalization(imp, idx.val, np.asarray(float(idx.offset + 1)), "Add")):
        raise imp.fail(f"embeddingLayer takes 1-based class indices; this Gather uses index {idx.offset:+d}, "
                       "which only an input layer's normalization can shift")
    per = imp.shape(idx.val)
    base = imp.nodes[idx.val.base]
    if base.numel != 1 or math.prod(per) != 1:
        raise imp.fail("embeddingLayer takes one class index per observation")
    hint = name_hint(node.name)
    layer = imp.make(EmbeddingLayer, int(table.shape[1]), int(table.shape[0]))
    nid = imp.add(layer, [idx.val.base], hint, {"Weights": table})
    imp.set(node.output[0], imp.out_val(nid, (*per, int(table.shape[1])), hint))


@handler("Concat")
def concat(imp: Importer, node: Any) -> None:
    """Concatenation of activations (constants become layers: see `constant_like`)."""
    first = next((i for i in node.input if i in imp.vals), None)
    if first is None:
        raise imp.fail("it concatenates constants only")
    ref = imp.val(first)
    rank = len(imp.shape(ref))
    # Concat before opset 4: axis optional, 1 by its specification (its schema records no default)
    axis = imp.attrs(node).get("axis", 1)
    axis = axis + rank + 1 if axis < 0 else axis
    vals = [constant_like(imp, ref, imp.consts[i], i) if i in imp.consts else imp.val(i) for i in node.input]
    hint = name_hint(node.name)
    if rank == 3 and axis in (1, 2, 3):
        ids = [imp.image(v) for v in vals]
    elif rank == 1 and axis == 1:
        _concat_features(imp, node, vals, hint)
        return
    else:
        raise imp.fail(f"concatenation along axis {axis} of rank-{rank + 1} tensors has no layergraph layer")
    dim = matlab_dim(imp.nodes[ids[0]].act.batch_fmt, axis)
    nid = imp.add(imp.make(ConcatenationLayer, dim, len(ids)), ids, hint)
    imp.set(node.output[0], Val(nid, None, hint))


def _concat_features(imp: Importer, node: Any, vals: list[Val], hint: tuple[int, str] | None) -> None:
    """Features concatenated; one whose order no layer gives is taken in its layer's order, and the result
    is a rearrangement that a following fully connected layer takes up in its weight columns."""
    ids, positions = [], []
    for v in vals:
        try:
            nid, pos = imp.features(v), np.arange(math.prod(imp.shape(v)))
        except ONNXImportError:
            nid, pos = imp.flat_features(v)
        ids.append(nid)
        positions.append(pos)
    offsets = np.cumsum([0] + [imp.nodes[i].numel for i in ids])
    idx = np.concatenate([p + o for p, o in zip(positions, offsets)])
    nid = imp.add(imp.make(ConcatenationLayer, 1, len(ids)), ids, hint)
    in_order = np.array_equal(idx, np.arange(imp.nodes[nid].numel))
    imp.set(node.output[0], Val(nid, None if in_order else idx, hint))


def constant_like(imp: Importer, ref: Val, c: np.ndarray, name: str) -> Val:
    """A constant to concatenate with activation `ref`, as a layer: a fully connected (features) or 1×1
    convolution (images, one value per channel) layer with zero weights whose bias is the constant, reading
    `ref`'s layer. The constant's batch dimension must be 1: it is repeated for every observation."""
    if c.ndim != len(imp.shape(ref)) + 1 or c.shape[0] != 1:
        raise imp.fail(f"constant '{name}' of shape {list(c.shape)} cannot be concatenated per observation")
    per = c.shape[1:]
    if len(per) == 1:
        nid, _ = imp.flat_features(ref)
        layer: Layer = imp.make(FullyConnectedLayer, int(per[0]))
        weights = np.zeros((per[0], imp.nodes[nid].numel))
        params = {"Weights": weights, "Bias": c.reshape(-1)}
    else:
        nid = imp.image(ref)
        flat = c.reshape(per[0], -1)
        if not np.all(flat == flat[:, :1]) or tuple(per[1:]) != imp.nodes[nid].act.spatial:
            raise imp.fail(f"constant '{name}' varies over H and W; only one value per channel has a layer")
        layer = imp.make(Convolution2DLayer, [1, 1], int(per[0]))
        params = {"Weights": np.zeros((per[0], imp.nodes[nid].act.channels, 1, 1)), "Bias": flat[:, 0]}
    hint = (2, sanitize(name) or "constant")
    return Val(imp.add(layer, [nid], hint, params), None, hint)
