"""Layers on whole sequences (`Seq`: N×T×C values such as PyTorch's batch-first N×L×E, around a fused
self-attention): MatMul by a constant (fullyConnectedLayer, applied at each time step, as MATLAB's on "CBT"), Add
of a per-channel constant (its bias), Add of two sequences (additionLayer), LayerNormalization over the channels
(layerNormalizationLayer, OperationDimension 'auto': channel-only for sequences), Softmax over the channels
(softmaxLayer) and element-wise layers (elementwise.unary). ops.py puts these in front of the plain handlers of
those operators (`SEQUENCE_OPS`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.values import Seq, f32, name_hint
from layergraph.layers.activation import SoftmaxLayer
from layergraph.layers.dense import FullyConnectedLayer
from layergraph.layers.merge import AdditionLayer
from layergraph.layers.norm import LayerNormalizationLayer
from layergraph.layers.position import PositionEmbeddingLayer

Handler = Any


def _channels_last(imp: Importer, s: Seq) -> None:
    """Refuse a sequence whose channels are not its last axis (constants broadcast from the right)."""
    if s.normal() not in (("N", "T", "C"), ("T", "N", "C")) or s.axes[-1] != "C" or s.split[0] != 1:
        raise imp.fail(f"it reads a sequence with axes {''.join(s.axes)}; layergraph takes it here with the "
                       "channels last (N×T×C or T×N×C)")


def _const(imp: Importer, name: str, what: str) -> np.ndarray:
    """imp.const, refusing a constant computed from the Shape of a sequence: folding counts a sequence's length as
    1 (values.Seq.unit_shape), so such a value (PyTorch's `pos[:, :x.size(1)]`) would hold for length 1 only."""
    makers = {o: n for n in imp.graph.node for o in n.output}
    todo, seen = [name], {name}
    while todo:
        node = makers.get(todo.pop())
        if node is None:
            continue
        if node.op_type == "Shape" and isinstance(imp.vals.get(node.input[0]), Seq):
            raise imp.fail(f"{what} '{name}' is computed from the length of a sequence; layergraph's sequences "
                           "have any length")
        todo += [x for x in node.input if x and x not in seen]
        seen.update(node.input)
    return imp.const(name, what)


def _per_channel(imp: Importer, s: Seq, c: np.ndarray, channels: int) -> np.ndarray:
    """Constant `c` as one value per channel of `s` (it may have unit axes in front, never another size)."""
    c = np.asarray(c, np.float32)
    if c.ndim > len(s.axes) or any(d != 1 for d in c.shape[:-1]) or c.size not in (1, channels):
        raise imp.fail(f"a constant of shape {list(c.shape)} is not one value per channel ({channels}) of the "
                       "sequence")
    return np.broadcast_to(c.reshape(-1), (channels,)).copy()


def matmul(imp: Importer, node: Any) -> None:
    """Sequence × constant C×F: fullyConnectedLayer(F) at each time step (weights F×C: MATLAB's)."""
    s = imp.vals.get(node.input[0])
    if not isinstance(s, Seq):
        raise imp.fail("MatMul of a constant by a sequence has no layergraph layer (only sequence × constant)")
    _channels_last(imp, s)
    w = np.asarray(_const(imp, node.input[1], "weights"), np.float32)
    c = imp.nodes[s.base].act.channels
    if w.ndim != 2 or w.shape[0] != c:
        raise imp.fail(f"MatMul of a sequence of {c} channels by a constant of shape {list(w.shape)}")
    layer = imp.make(FullyConnectedLayer, int(w.shape[1]))
    hint = name_hint(node.name)
    nid = imp.add(layer, [s.base], hint, {"Weights": w.T, "Bias": np.zeros(w.shape[1], np.float32)})
    imp.set(node.output[0], replace(s, base=nid, hint=hint))


def add(imp: Importer, node: Any) -> None:
    """Add of two sequences (additionLayer), or of a per-channel constant to a fully connected layer's output
    that nothing else reads (its bias)."""
    a, b = (imp.vals.get(x) for x in node.input[:2])
    hint = name_hint(node.name)
    if isinstance(a, Seq) and isinstance(b, Seq):
        if a.normal() != b.normal() or a.axes != b.axes:
            raise imp.fail(f"it adds sequences with axes {''.join(a.axes)} and {''.join(b.axes)}")
        nid = imp.add(imp.make(AdditionLayer, 2), [a.base, b.base], hint)
        imp.set(node.output[0], replace(a, base=nid, hint=hint))
        return
    s, const = (a, node.input[1]) if isinstance(a, Seq) else (b, node.input[0])
    _channels_last(imp, s)
    c = np.asarray(_const(imp, const, "bias"), np.float32)
    if c.ndim >= 2 and c.shape[-2] > 1:  # one vector per position: learned positions of a fixed length
        _positions(imp, node, s, c)
        return
    made = imp.nodes[s.base]
    if not isinstance(made.layer, FullyConnectedLayer) or imp.out_degree[s.base] or s.base in imp.shared:
        raise imp.fail("Add of a constant to a sequence has a layergraph form only as the bias of a fully "
                       "connected layer before it")
    bias = _per_channel(imp, s, c, made.act.channels)
    made.params["Bias"] = made.params["Bias"] + bias
    imp.set(node.output[0], replace(s, hint=hint or s.hint))


def _positions(imp: Importer, node: Any, s: Seq, pos: np.ndarray) -> None:
    """A constant L×C added to an N×L×C sequence: positionEmbeddingLayer(C, L) with those vectors as its Weights
    (C×L), and additionLayer. The same numbers at length L, the only one ONNX's broadcast takes (shorter
    sequences use the first positions, as PyTorch's `pos[:, :T]`)."""
    c = imp.nodes[s.base].act.channels
    if s.normal() != ("N", "T", "C") or pos.ndim > 3 or any(d != 1 for d in pos.shape[:-2]) or pos.shape[-1] != c:
        raise imp.fail(f"a constant of shape {list(pos.shape)} added to a sequence is neither one value per "
                       f"channel ({c}) nor one vector per position (L×{c})")
    hint = name_hint(node.name)
    weights = pos.reshape(pos.shape[-2], c).T
    emb = imp.add(imp.make(PositionEmbeddingLayer, c, int(pos.shape[-2])), [s.base], hint, {"Weights": weights})
    nid = imp.add(imp.make(AdditionLayer, 2), [s.base, emb], hint)
    imp.set(node.output[0], replace(s, base=nid, hint=hint))


def layer_normalization(imp: Importer, node: Any) -> None:
    """LayerNormalization of a sequence over its channels (the last axis): layerNormalizationLayer, which MATLAB
    applies to "CBT" data over the channels of each time step."""
    s = imp.vals[node.input[0]]
    _channels_last(imp, s)
    imp.unused(node, 1, 2)
    a = imp.attrs(node)
    if a["axis"] not in (-1, len(s.axes) - 1):
        raise imp.fail(f"LayerNormalization of a sequence over axis {a['axis']}: layerNormalizationLayer "
                       "normalizes each time step over its channels (the last axis)")
    c = imp.nodes[s.base].act.channels
    scale = _per_channel(imp, s, _const(imp, node.input[1], "scale"), c)
    has_bias = len(node.input) > 2 and node.input[2]
    bias = _per_channel(imp, s, _const(imp, node.input[2], "bias"), c) if has_bias else np.zeros(c, np.float32)
    hint = name_hint(node.name)
    layer = imp.make(LayerNormalizationLayer, Epsilon=f32(a["epsilon"]))
    nid = imp.add(layer, [s.base], hint, {"Scale": scale, "Offset": bias})
    imp.set(node.output[0], replace(s, base=nid, hint=hint))


def softmax(imp: Importer, node: Any) -> None:
    """Softmax of a sequence over its channels (the last axis): softmaxLayer, over the channels of each time step.
    Before opset 13 Softmax flattens from `axis` on; from the last axis that is the same."""
    s = imp.vals[node.input[0]]
    _channels_last(imp, s)
    axis = imp.attrs(node)["axis"]
    if axis not in (-1, len(s.axes) - 1):
        raise imp.fail(f"Softmax of a sequence over axis {axis}: softmaxLayer works over the channels (the last "
                       "axis)")
    hint = name_hint(node.name)
    imp.set(node.output[0], replace(s, base=imp.add(imp.make(SoftmaxLayer), [s.base], hint), hint=hint))


def any_sequence(plain: Handler, seq: Handler) -> Handler:
    """`seq` where one of the node's inputs is a sequence, else `plain`."""

    def handle(imp: Importer, node: Any) -> None:
        on_seq = any(isinstance(imp.vals.get(x), Seq) for x in node.input if x)
        (seq if on_seq else plain)(imp, node)

    return handle


SEQUENCE_OPS: dict[str, Handler] = {"MatMul": matmul, "Add": add, "LayerNormalization": layer_normalization,
                                    "Softmax": softmax}
