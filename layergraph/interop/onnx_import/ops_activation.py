"""ONNX operators read as activation and per-element layers: Dropout, Softmax, LogSoftmax, Clip, Gelu,
PRelu, Log, Pow by 2 (element-wise layers declared as one ONNX node on their class need no handler here:
elementwise.py reads them)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.elementwise import unary
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.ops_1d import is_sequence, sequence
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import Seq, Val, f32, name_hint
from layergraph.layers.activation import (
    ClippedReLULayer,
    DropoutLayer,
    GELULayer,
    ReLULayer,
    SoftmaxLayer,
)
from layergraph.layers.base import Layer
from layergraph.layers.merge import MultiplicationLayer
from layergraph.layers.prelu import PReLULayer
from layergraph.layers.reshape import FunctionLayer


@handler("Dropout")
def dropout_1(imp: Importer, node: Any) -> None:
    """Dropout before opset 12: the ratio is an attribute (ONNX's default 0.5 filled in by imp.attrs)."""
    imp.unused(node, 1)
    unary(imp, node, imp.make(DropoutLayer, f32(imp.attrs(node)["ratio"])))


@handler("Dropout", since=12)
def dropout_12(imp: Importer, node: Any) -> None:
    """Dropout from opset 12: ratio and training_mode are inputs; an absent ratio is 0.5 (the operator's
    specification: an input has no schema default)."""
    imp.unused(node, 1)
    ins = [*list(node.input), "", ""]
    ratio = imp.const(ins[1], "ratio") if ins[1] else 0.5
    if ins[2] and bool(imp.const(ins[2], "training_mode")):
        raise imp.fail("Dropout in training mode has no inference-time layer")
    unary(imp, node, imp.make(DropoutLayer, f32(ratio)))


def _softmax(imp: Importer, node: Any, flattens: bool) -> None:
    """softmaxLayer for a Softmax over channels; `flattens`: the node works on its input flattened from `axis` on
    (before opset 13), so over channels only when nothing follows them."""
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    rank = len(shape) + 1
    axis = imp.attrs(node)["axis"]  # ONNX's default: 1 before opset 13, -1 from it
    axis = axis + rank if axis < 0 else axis
    channel = axis == 1 and (not flattens or math.prod(shape[1:]) == 1)
    sequence = "T" in imp.nodes[v.base].act.fmt
    if channel and len(shape) == 2 and shape[0] == 1 and not sequence:
        raise imp.fail(f"softmax over axis 1 of size 1 of an N×{'×'.join(map(str, shape))} input (every output is 1); "
                       "softmaxLayer works over channels")
    if not channel and axis == rank - 1 and len(shape) > 1 and math.prod(shape[:-1]) == 1 and not sequence:
        # N×1×K (PyTorch's x.view(N, 1, -1) or an N×1×K input): over the K features
        v = Val(v.base, imp.index(v).reshape(shape[-1]), v.hint)
        channel = True
    if not channel:
        raise imp.fail(f"softmax over axis {axis} of an N×{'×'.join(map(str, shape))} input; "
                       "softmaxLayer works over channels (axis 1)")
    nid = imp.image_or_features(v)
    hint = name_hint(node.name)
    imp.set(node.output[0], imp.out_val(imp.add(imp.make(SoftmaxLayer), [nid], hint), shape, hint))


@handler("Softmax")
def softmax_1(imp: Importer, node: Any) -> None:
    """Softmax before opset 13: over the input flattened from `axis` (default 1) on."""
    _softmax(imp, node, flattens=True)


@handler("Softmax", since=13)
def softmax_13(imp: Importer, node: Any) -> None:
    """Softmax from opset 13: over the one axis `axis` (default -1)."""
    _softmax(imp, node, flattens=False)


def _log_softmax(imp: Importer, node: Any, flattens: bool) -> None:
    """LogSoftmax over channels: softmaxLayer then functionLayer('log'); `flattens` as for Softmax."""
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    axis = imp.attrs(node)["axis"]  # ONNX's default: 1 before opset 13, -1 from it
    axis = axis + len(shape) + 1 if axis < 0 else axis
    if axis != 1 or (flattens and math.prod(shape[1:]) != 1):
        raise imp.fail(f"LogSoftmax over axis {axis}; softmaxLayer works over channels (axis 1)")
    nid = imp.image_or_features(v) if len(shape) != 2 else sequence(imp, v)
    hint = name_hint(node.name)
    soft = imp.add(imp.make(SoftmaxLayer), [nid], hint)
    out = imp.add(imp.make(FunctionLayer, "log"), [soft], hint)
    imp.set(node.output[0], imp.out_val(out, shape, hint))


@handler("LogSoftmax")
def log_softmax_1(imp: Importer, node: Any) -> None:
    _log_softmax(imp, node, flattens=True)


@handler("LogSoftmax", since=13)
def log_softmax_13(imp: Importer, node: Any) -> None:
    _log_softmax(imp, node, flattens=False)


def _clip(imp: Importer, node: Any, lo: float, hi: float) -> None:
    """Clip to [0, c]: clippedReluLayer(c); to [0, ∞): reluLayer."""
    if lo != 0:
        raise imp.fail(f"Clip to [{lo:g}, {hi:g}]: only clipping from 0 (clippedReluLayer, reluLayer) has a layer")
    layer = imp.make(ReLULayer) if np.isinf(hi) else imp.make(ClippedReLULayer, f32(hi))
    v = imp.val(node.input[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(layer, [v.base], hint), v.idx, hint))


@handler("Clip")
def clip_6(imp: Importer, node: Any) -> None:
    """Clip before opset 11: min and max are attributes; ONNX's defaults are ±(largest float32), read as no
    bound (what an absent max means: reluLayer)."""
    a = imp.attrs(node)
    big = float(np.finfo(np.float32).max)
    lo, hi = float(a["min"]), float(a["max"])
    _clip(imp, node, -np.inf if lo <= -big else lo, np.inf if hi >= big else hi)


@handler("Clip", since=11)
def clip_11(imp: Importer, node: Any) -> None:
    """Clip from opset 11: min and max are optional inputs; an absent one is no bound."""
    ins = [*list(node.input), "", ""]
    lo = float(np.asarray(imp.const(ins[1], "min")).reshape(-1)[0]) if ins[1] else -np.inf
    hi = float(np.asarray(imp.const(ins[2], "max")).reshape(-1)[0]) if ins[2] else np.inf
    _clip(imp, node, lo, hi)


@handler("Gelu")
def gelu(imp: Importer, node: Any) -> None:
    """Gelu (opset 20+), or the node the Erf/Tanh decomposition was fused into (fuse_gelu)."""
    approx = imp.attrs(node)["approximate"]
    approx = approx.decode() if isinstance(approx, bytes) else approx
    layer = imp.make(GELULayer, Approximation=approx)
    if isinstance(imp.vals.get(node.input[0]), Seq):  # a whole sequence (a transformer's feed-forward)
        unary(imp, node, layer)
        return
    v = imp.val(node.input[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(layer, [v.base], hint), v.idx, hint))


def _unary(imp: Importer, node: Any, layer: Layer, params: dict[str, np.ndarray] | None = None) -> None:
    """A layer that keeps its input's shape, on a whole layer output (images made where a reshape was)."""
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    src = (imp.image(v) if len(shape) == 3 else sequence(imp, v) if len(shape) == 2 and is_sequence(imp, v)
           else imp.features(v, strict=False))
    hint = name_hint(node.name)
    imp.set(node.output[0], imp.out_val(imp.add(layer, [src], hint, params), shape, hint))


@handler("PRelu")
def prelu(imp: Importer, node: Any) -> None:
    """PRelu(x, slope): preluLayer with a scalar Alpha or one per channel."""
    slope = np.asarray(imp.const(node.input[1], "slope"), np.float64)
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    c = shape[0] if shape else 1
    flat = slope.reshape(-1)
    if flat.size == 1:
        alpha: Any = f32(flat[0])
        value = flat.reshape(1)
    else:
        try:
            full = np.broadcast_to(slope, shape)
        except ValueError:
            raise imp.fail(f"slope of shape {list(slope.shape)} does not broadcast over {list(shape)}") from None
        per = full.reshape(c, -1)
        if not np.all(per == per[:, :1]):
            raise imp.fail("preluLayer takes one slope per channel; this slope varies within a channel")
        value = per[:, 0]
        alpha = [float(x) for x in value]
    layer = imp.make(PReLULayer, Alpha=alpha)
    view = (-1, *[1] * (len(shape) - 1)) if flat.size > 1 else (1,) * max(len(shape), 1)  # as _PReLU holds it
    _unary(imp, node, layer, {"Alpha": value.reshape(view)})


@handler("Log")
def log(imp: Importer, node: Any) -> None:
    v = imp.val(node.input[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(imp.make(FunctionLayer, "log"), [v.base], hint), v.idx, hint))


@handler("Pow")
def power(imp: Importer, node: Any) -> None:
    """Pow(x, 2): multiplicationLayer with x at both inputs."""
    e = np.asarray(imp.const(node.input[1], "exponent")).reshape(-1)
    if e.size != 1 or float(e[0]) != 2.0:
        raise imp.fail(f"only Pow by 2 has a layergraph layer (multiplicationLayer of x with itself); exponent {e}")
    v = imp.val(node.input[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(imp.make(MultiplicationLayer, 2), [v.base, v.base], hint), v.idx, hint))
