"""Folding for the ONNX importer: constant expressions evaluated once, constants merged into the layers.

* Nodes whose inputs are all constants (shape arithmetic, weight transposes) are evaluated with onnx's
  reference evaluator; `Shape` of an activation is known statically, with the batch size as `BATCH`.
* Adding a per-channel constant right after a fully connected or convolution layer goes into its bias.
* Sub/Add/Mul/Div by per-channel constants right after a graph input become MATLAB's input normalization.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.interop.onnx_import.values import BATCH, Importer, Index, Val
from layergraph.layers.conv import Convolution2DLayer, TransposedConv2DLayer
from layergraph.layers.dense import FullyConnectedLayer


def fold(imp: Importer, node: Any) -> None:
    """Evaluate a node whose inputs are all constants; its outputs become constants."""
    from onnx.reference import ReferenceEvaluator

    try:
        ev = ReferenceEvaluator(node, opsets={"": imp.opset})
        outs = ev.run(None, {i: imp.consts[i] for i in node.input if i})
    except Exception as err:  # the reference evaluator raises many types; report one line
        raise imp.fail(f"cannot evaluate this constant expression ({type(err).__name__})") from None
    for name, value in zip(node.output, outs):
        if name:
            imp.set(name, np.asarray(value))


def shape_of(imp: Importer, node: Any) -> None:
    """`Shape` of an activation: its static shape with BATCH for the batch (sliced by start/end)."""
    v = imp.vals.get(node.input[0])
    if v is None:
        fold(imp, node)
        return
    v = v.val if isinstance(v, Index) else v
    full = np.array([BATCH, *imp.shape(v)], dtype=np.int64)
    a = imp.attrs(node)
    imp.set(node.output[0], full[a.get("start", 0): a.get("end", len(full))])


def per_channel(imp: Importer, src: Val, c: np.ndarray) -> np.ndarray | None:
    """The per-channel values of constant `c` broadcast over activation `src`, or None if they vary."""
    shape = imp.shape(src)
    if src.idx is not None or not shape:
        return None
    try:
        full = np.broadcast_to(np.asarray(c, np.float64), (1, *shape))[0]
    except ValueError:
        return None
    flat = full.reshape(shape[0], -1)
    return flat[:, 0].copy() if np.all(flat == flat[:, :1]) else None


def _private(imp: Importer, nid: int) -> bool:
    """True when nothing but the node being converted reads layer `nid`'s output (so it may change)."""
    return nid not in imp.shared and not imp.out_degree[nid]


def fold_bias(imp: Importer, src: Val, c: np.ndarray) -> bool:
    """Add per-channel `c` to the bias of the layer making `src`; False when that is not possible."""
    node = imp.nodes[src.base]
    if not isinstance(node.layer, (FullyConnectedLayer, Convolution2DLayer, TransposedConv2DLayer)):
        return False
    values = per_channel(imp, src, c) if _private(imp, src.base) else None
    if values is None:
        return False
    node.params["Bias"] = (node.params["Bias"] + values).astype(np.float32)
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
