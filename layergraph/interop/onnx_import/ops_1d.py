"""ONNX operators of 1-D networks: convolution, transposed convolution and pooling over time ("CBT" sequences,
"SCB" signals), global pooling and ReduceMax over T."""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import Val, name_hint, per_axis
from layergraph.layers.base import same_total
from layergraph.layers.conv1d import Convolution1DLayer, TransposedConv1DLayer
from layergraph.layers.pooling1d import (
    AveragePooling1DLayer,
    GlobalAveragePooling1DLayer,
    GlobalMaxPooling1DLayer,
    MaxPooling1DLayer,
)


def is_sequence(imp: Importer, v: Val) -> bool:
    return "T" in imp.nodes[v.base].act.fmt or imp.nodes[v.base].act.fmt == "SC"


def sequence(imp: Importer, v: Val) -> int:
    """The node whose output is exactly this N×C×T value (1-D data: "CBT" sequences or "SCB" signals)."""
    shape = imp.shape(v)
    base = imp.nodes[v.base]
    if len(shape) != 2 or not is_sequence(imp, v):
        raise imp.fail(f"expects N×C×T sequences but gets per-sample shape {list(shape)}")
    if v.idx is not None and not np.array_equal(v.idx.reshape(-1), np.arange(base.numel)):
        raise imp.fail("the elements of its sequence input are rearranged; layergraph layers take sequences whole")
    return v.base


def _pads_1d(imp: Importer, node: Any, n: int, k: int, s: int, d: int, before: tuple[int, int]) -> tuple[int, int]:
    a = imp.attrs(node)
    auto = a["auto_pad"]
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if any(before):
            raise imp.fail("auto_pad after a Pad node has no layergraph form")
        total = same_total(n, (k - 1) * d + 1, s)
        lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
        return lo, total - lo
    p = [0, 0] if auto == "VALID" else per_axis(a, "pads", 2, 0)
    return p[0] + before[0], p[1] + before[1]


def _same_1d(n: int, k: int, s: int, explicit: tuple[int, int]) -> Any:
    total = same_total(n, k, s)
    return "same" if explicit == (total // 2, total - total // 2) and any(explicit) else list(explicit)


def conv1d(imp: Importer, node: Any, w: np.ndarray) -> None:
    """Conv with one spatial axis: convolution1dLayer (a reflect/edge Pad before it: its PaddingValue)."""
    a = imp.attrs(node)
    if a["group"] != 1:
        raise imp.fail("grouped 1-D convolution has no layergraph layer")
    v, before = imp.padded_val(node.input[0])
    mode = imp.pad_modes.get(node.input[0], 0.0)
    src = sequence(imp, v)
    n = imp.nodes[src].tshape[-1]
    k, s, d = int(w.shape[2]), per_axis(a, "strides", 1, 1)[0], per_axis(a, "dilations", 1, 1)[0]
    if mode and any(per_axis(a, "pads", 2, 0)):
        raise imp.fail("a convolution's own zero padding after a reflection Pad has no layergraph form")
    explicit = _pads_1d(imp, node, n, k, s, d, (before[2], before[3]))
    padding = _same_1d(n, (k - 1) * d + 1, s, explicit)
    layer = imp.make(Convolution1DLayer, k, int(w.shape[0]), Stride=s, DilationFactor=d, Padding=padding,
                     PaddingValue=mode)
    bias = imp.const(node.input[2], "bias") if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint, {"Weights": w, "Bias": bias}), None, hint))


def conv_transpose1d(imp: Importer, node: Any, w: np.ndarray) -> None:
    """ConvTranspose with one spatial axis: transposedConv1dLayer (pads crop; a Pad after it is not taken)."""
    a = imp.attrs(node)
    if a["group"] != 1 or per_axis(a, "dilations", 1, 1) != [1] or "output_shape" in a:
        raise imp.fail("1-D transposed convolution with groups, dilation or output_shape has no layergraph layer")
    auto = a["auto_pad"]
    if (auto.decode() if isinstance(auto, bytes) else auto) not in ("NOTSET", "VALID"):
        raise imp.fail("1-D transposed convolution with auto_pad has no layergraph layer here")
    src = sequence(imp, imp.val(node.input[0]))
    k, s = int(w.shape[2]), per_axis(a, "strides", 1, 1)[0]
    left, right = per_axis(a, "pads", 2, 0)[:2]
    right -= per_axis(a, "output_padding", 1, 0)[0]
    if right < 0:
        raise imp.fail("output_padding larger than the end padding has no layergraph layer")
    total = k - s
    same = (total // 2, total - total // 2) if total >= 0 else None
    cropping = "same" if (left, right) == same and total > 0 else [left, right]
    layer = imp.make(TransposedConv1DLayer, k, int(w.shape[1]), Stride=s, Cropping=cropping)
    bias = imp.const(node.input[2], "bias") if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[1])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint, {"Weights": w, "Bias": bias}), None, hint))


def pool1d(imp: Importer, node: Any) -> None:
    """MaxPool / AveragePool with one spatial axis: maxPooling1dLayer / averagePooling1dLayer."""
    imp.unused(node, 1)
    a = imp.attrs(node)
    k = int(a["kernel_shape"][0])
    if per_axis(a, "dilations", 1, 1) != [1] or a.get("ceil_mode"):  # ceil_mode: from opset 10
        raise imp.fail("1-D pooling with dilation or ceil_mode has no layergraph layer")
    maxpool = node.op_type == "MaxPool"
    v, before = imp.padded_val(node.input[0]) if not maxpool else (imp.val(node.input[0]), (0, 0, 0, 0))
    if imp.pad_modes.get(node.input[0]):
        raise imp.fail("pooling after a reflection Pad has no layergraph form")
    src = sequence(imp, v)
    n = imp.nodes[src].tshape[-1]
    s = per_axis(a, "strides", 1, 1)[0]
    explicit = _pads_1d(imp, node, n, k, s, 1, (before[2], before[3]))
    options: dict[str, Any] = {"Stride": s, "Padding": _same_1d(n, k, s, explicit)}
    if not maxpool and any(explicit):
        options["PaddingValue"] = 0 if a["count_include_pad"] or any(before) else "mean"
    cls = MaxPooling1DLayer if maxpool else AveragePooling1DLayer
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(imp.make(cls, k, **options), [src], hint), None, hint))


def global_pool1d(imp: Importer, node: Any, kind: str, keep: bool) -> None:
    """Global pooling over T: globalAveragePooling1dLayer / globalMaxPooling1dLayer ("CBT" → "CB")."""
    src = sequence(imp, imp.val(node.input[0]))
    cls = GlobalMaxPooling1DLayer if kind == "max" else GlobalAveragePooling1DLayer
    hint = name_hint(node.name)
    nid = imp.add(imp.make(cls), [src], hint)
    c = imp.nodes[nid].act.channels
    imp.set(node.output[0], imp.out_val(nid, (c, 1) if keep else (c,), hint))


@handler("GlobalMaxPool")
def global_max_pool(imp: Importer, node: Any) -> None:
    if len(imp.shape(imp.val(node.input[0]))) != 2:
        raise imp.fail("GlobalMaxPool of images has no layergraph layer (globalMaxPooling2dLayer is not built)")
    global_pool1d(imp, node, "max", keep=True)


@handler("ReduceMax")
def reduce_max(imp: Importer, node: Any) -> None:
    v = imp.val(node.input[0])
    axes = imp.axes(node, len(imp.shape(v)) + 1)
    if len(imp.shape(v)) != 2 or axes != [2]:
        raise imp.fail("only ReduceMax over the time axis of N×C×T sequences has a layergraph layer")
    global_pool1d(imp, node, "max", keep=bool(imp.attrs(node)["keepdims"]))
