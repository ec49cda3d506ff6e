"""The ONNX operator table: one handler per operator, `handler(imp, node)`, found in `OPS` by op_type.

A handler reads its inputs with `imp.val`/`imp.const`, asks for them in a form a layer takes (`imp.image`,
`imp.features`, `imp.fc_input`), makes the layer (`imp.add(imp.make(LayerClass, …), inputs, hint, params)`)
and records its output value (`imp.set`). Element-wise layers declared as one ONNX node on their class
(`onnx = onnx_op("Elu", alpha="Alpha")`) need no handler here: `handler_for` makes one from the declaration.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from layergraph.formats import matlab_dim
from layergraph.interop.onnx_import import layout, ops_extra, recurrent
from layergraph.interop.onnx_import.folding import (
    fold,
    fold_bias,
    fold_normalization,
    fold_scale,
    per_channel,
    shape_of,
)
from layergraph.interop.onnx_import.values import Importer, Index, ONNXImportError, Val, f32, name_hint, sanitize
from layergraph.layers.activation import DropoutLayer, SoftmaxLayer
from layergraph.layers.base import LAYERS, Layer, same_total
from layergraph.layers.conv import Convolution2DLayer, TransposedConv2DLayer, conv_padding, tconv_cropping
from layergraph.layers.dense import EmbeddingLayer, FullyConnectedLayer
from layergraph.layers.grouped import GroupedConvolution2DLayer
from layergraph.layers.merge import AdditionLayer, ConcatenationLayer, MultiplicationLayer
from layergraph.layers.norm import BatchNormalizationLayer, InstanceNormalizationLayer, LayerNormalizationLayer
from layergraph.layers.pooling import AveragePooling2DLayer, GlobalAveragePooling2DLayer, MaxPooling2DLayer
from layergraph.layers.reshape import Resize2DLayer

Handler = Callable[[Importer, Any], None]


def convert(imp: Importer, node: Any) -> None:
    """Convert one ONNX node: fold it when its inputs are constants, else call its operator's handler."""
    op = node.op_type
    if node.domain not in ("", "ai.onnx"):
        raise imp.fail(f"operator {node.domain}::{op} is not a standard ONNX operator")
    ins = [i for i in node.input if i]
    if op == "Shape":
        shape_of(imp, node)
    elif all(i in imp.consts for i in ins) and not any(i in imp.vals for i in ins):
        fold(imp, node)
    else:
        handler = handler_for(op)
        if handler is None:
            raise imp.fail(f"no layergraph layer for ONNX operator {op}")
        handler(imp, node)


# ----- element-wise layers -----------------------------------------------------------------------------------
def unary(imp: Importer, node: Any, layer: Layer) -> None:
    """An element-wise layer on the node's input; it follows any rearrangement of the elements."""
    v = imp.val(node.input[0])
    hint = name_hint(node.name)
    if v.idx is not None and len(v.idx.shape) == 3:
        # an image made by reshaping features: make it here (feature2image), where the reshape was,
        # rather than after this layer; element-wise layers otherwise just follow the rearrangement
        with contextlib.suppress(ONNXImportError):  # not expressible there: stay lazy
            v = Val(imp.image(v), None, v.hint)
    imp.set(node.output[0], Val(imp.add(layer, [v.base], hint), v.idx, hint))


def _attribute_default(imp: Importer, op: str, name: str) -> Any:
    """ONNX's default for attribute `name` of operator `op` (at the model's opset)."""
    schema = imp.onnx.defs.get_schema(op, imp.opset)
    attr = schema.attributes.get(name)
    if attr is None or not attr.default_value.name:
        raise imp.fail(f"attribute '{name}' is missing and has no default")
    return imp.onnx.helper.get_attribute_value(attr.default_value)


def _declared(cls: type[Layer]) -> Handler:
    """The handler of an element-wise layer declared as one ONNX node: options from the node's attributes."""
    form = cls.onnx

    def handle(imp: Importer, node: Any) -> None:
        given = imp.attrs(node)
        options = {}
        for attr, option in form.attrs:
            if isinstance(option, str):
                value = given[attr] if attr in given else _attribute_default(imp, form.op, attr)
                options[option] = f32(value) if isinstance(value, float) else value
        unary(imp, node, imp.make(cls, **options))

    return handle


def dropout(imp: Importer, node: Any) -> None:
    imp.unused(node, 1)
    ratio = imp.attrs(node).get("ratio", 0.5)
    if len(node.input) > 1 and node.input[1]:
        ratio = imp.const(node.input[1], "ratio")
    if len(node.input) > 2 and node.input[2] and bool(imp.const(node.input[2], "training_mode")):
        raise imp.fail("Dropout in training mode has no inference-time layer")
    unary(imp, node, imp.make(DropoutLayer, f32(ratio)))


def softmax(imp: Importer, node: Any) -> None:
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    rank = len(shape) + 1
    axis = imp.attrs(node).get("axis", -1 if imp.opset >= 13 else 1)
    axis = axis + rank if axis < 0 else axis
    # before opset 13 Softmax flattens from `axis` on: over channels only when nothing follows them
    channel = axis == 1 and (imp.opset >= 13 or math.prod(shape[1:]) == 1)
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


# ----- arithmetic: biases, input normalization, class indices, addition ---------------------------------------
def arith(imp: Importer, node: Any) -> None:
    """Add/Sub/Mul/Div: two activations added, or a constant folded into a bias, a normalization or indices."""
    op = node.op_type
    a, b = node.input[0], node.input[1]
    if a in imp.vals and b in imp.vals:
        if op not in ("Add", "Mul"):
            raise imp.fail(f"{op} of two activations has no layergraph layer")
        if op == "Mul" and ops_extra.swish(imp, node, imp.val(a), imp.val(b)):
            return
        addition(imp, node, [imp.val(a), imp.val(b)], AdditionLayer if op == "Add" else MultiplicationLayer)
        return
    act_first = a in imp.vals
    if not act_first and b not in imp.vals:
        raise imp.fail(f"inputs '{a}' and '{b}' are not activations this importer can follow")
    src, c = (imp.vals[a], imp.const(b, "operand")) if act_first else (imp.vals[b], imp.const(a, "operand"))
    if isinstance(src, Index):
        if op not in ("Add", "Sub") or c.size != 1 or (op == "Sub" and not act_first):
            raise imp.fail("only adding or subtracting a constant from class indices is supported")
        step = int(c.reshape(-1)[0])
        imp.set(node.output[0], Index(src.val, src.offset + (step if op == "Add" else -step)))
        return
    if op in ("Sub", "Div") and not act_first:
        what = "minus" if op == "Sub" else "divided by"
        raise imp.fail(f"constant {what} activation has no layergraph layer")
    if imp.nodes[src.base].layer.is_input and fold_normalization(imp, src, c, op):
        imp.set(node.output[0], Val(src.base, src.idx, src.hint))
    elif _fold_into_layer(imp, src, c, op):
        imp.set(node.output[0], Val(src.base, src.idx, name_hint(node.name) or src.hint))
    elif ops_extra.scalar_function(imp, node, src, c, op, act_first):
        pass  # one constant number: functionLayer('plus') / functionLayer('times')
    else:
        raise imp.fail(f"{op} with a constant has no layergraph layer here (it folds only into the weights and "
                       "bias of a fully connected or convolution layer, or into an input layer's normalization)")


def _fold_into_layer(imp: Importer, src: Val, c: np.ndarray, op: str) -> bool:
    """Add/Sub/Mul/Div by per-channel constant `c` folded into the bias (and weights) of the layer before."""
    if op in ("Add", "Sub"):
        return fold_bias(imp, src, c if op == "Add" else -c)
    if op == "Div" and not np.all(c != 0):
        return False
    return fold_scale(imp, src, c if op == "Mul" else 1 / c.astype(np.float64))


def image_scaler(imp: Importer, node: Any) -> None:
    """ImageScaler (opsets ≤ 9): scale·x + bias per channel, folded into the input layer's normalization or the
    weights and bias of the layer before."""
    a = imp.attrs(node)
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    if len(shape) != 3:
        raise imp.fail(f"ImageScaler expects N×C×H×W input but gets per-sample shape {list(shape)}")
    scale = np.float32(a.get("scale", 1.0))
    bias = np.asarray(a.get("bias", [0.0] * shape[0]), np.float32).reshape(-1, 1, 1)
    if imp.nodes[v.base].layer.is_input:
        done = fold_normalization(imp, v, np.asarray(scale), "Mul") and fold_normalization(imp, v, bias, "Add")
    else:
        done = fold_scale(imp, v, np.asarray(scale)) and fold_bias(imp, v, bias)
    if not done:
        raise imp.fail("ImageScaler folds only into an input layer's normalization or the weights and bias of "
                       "a convolution or fully connected layer that nothing else reads")
    imp.set(node.output[0], Val(v.base, v.idx, name_hint(node.name) or v.hint))


def add_all(imp: Importer, node: Any) -> None:
    addition(imp, node, [imp.val(i) for i in node.input])


def addition(imp: Importer, node: Any, vals: list[Val], cls: type[Layer] = AdditionLayer) -> None:
    """Add (additionLayer) or Mul (multiplicationLayer) of activations of one shape."""
    shapes = {imp.shape(v) for v in vals}
    if len(shapes) != 1:
        raise imp.fail(f"{node.op_type} of activations of different shapes {sorted(shapes)}; {cls.__name__} "
                       "here needs equal ones")
    shape = shapes.pop()
    hint = name_hint(node.name)
    if all(v.idx is None for v in vals) and len({imp.nodes[v.base].tshape for v in vals}) == 1:
        ids = [v.base for v in vals]  # the layers' outputs themselves
    else:
        ids = [imp.image(v) if len(shape) == 3 else imp.features(v) for v in vals]
    nid = imp.add(imp.make(cls, len(ids)), ids, hint)
    imp.set(node.output[0], imp.out_val(nid, shape, hint))


# ----- fully connected and embedding layers ---------------------------------------------------------------------
def gemm(imp: Importer, node: Any) -> None:
    a = imp.attrs(node)
    if a.get("transA", 0):
        raise imp.fail("Gemm with transA=1 has no layergraph layer")
    b = imp.const(node.input[1], "weight matrix B").astype(np.float64)
    w = (b if a.get("transB", 0) else b.T) * a.get("alpha", 1.0)
    bias = np.zeros(w.shape[0])
    if len(node.input) > 2 and node.input[2]:
        c = imp.const(node.input[2], "bias C").astype(np.float64) * a.get("beta", 1.0)
        try:
            bias = np.broadcast_to(c, (1, w.shape[0]))[0]
        except ValueError:
            raise imp.fail(f"bias of shape {list(c.shape)} is not one value per output") from None
    dense(imp, node, w, bias)


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


def gather(imp: Importer, node: Any) -> None:
    if node.input[0] in imp.vals:  # elements of an activation picked by constant indices
        layout.gather(imp, node)
        return
    table = imp.const(node.input[0], "embedding table")
    idx = imp.vals.get(node.input[1])
    if not isinstance(idx, Index) or table.ndim != 2 or imp.attrs(node).get("axis", 0) != 0:
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


# ----- convolutions ------------------------------------------------------------------------------------------
def conv_attrs(imp: Importer, node: Any, k: tuple[int, int]) -> tuple[list[int], list[int], str]:
    a = imp.attrs(node)
    if a.get("group", 1) != 1:
        raise imp.fail("grouped convolution has no layergraph layer")
    if "kernel_shape" in a and tuple(a["kernel_shape"]) != k:
        raise imp.fail("kernel_shape disagrees with the weights")
    return list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1])), a.get("auto_pad", b"NOTSET")


def pads(imp: Importer, node: Any, spatial: tuple[int, ...], k: tuple[int, int], s: list[int], d: list[int],
         auto: Any, padded: bool = False) -> tuple[int, int, int, int]:
    """[t b l r] from ONNX pads [t l b r] or auto_pad (not after a Pad node, whose padding it would ignore)."""
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if padded:
            raise imp.fail("auto_pad after a Pad node has no layergraph form")
        tot = [same_total(spatial[i], (k[i] - 1) * d[i] + 1, s[i]) for i in range(2)]
        lo = [t // 2 if auto == "SAME_UPPER" else t - t // 2 for t in tot]
        return lo[0], tot[0] - lo[0], lo[1], tot[1] - lo[1]
    p = list(imp.attrs(node).get("pads", [0, 0, 0, 0])) if auto != "VALID" else [0, 0, 0, 0]
    if len(p) != 4:
        raise imp.fail("only 2-D operators have layergraph layers")
    return p[0], p[2], p[1], p[3]


def same_or(explicit: tuple[int, int, int, int], same: tuple[int, int, int, int]) -> Any:
    """'same' when the explicit pads are what MATLAB's 'same' gives (keeps specs readable)."""
    return "same" if explicit == same and any(explicit) else list(explicit)


def _bias(imp: Importer, node: Any, n: int) -> np.ndarray:
    """The optional third input (bias), zeros when absent."""
    return imp.const(node.input[2], "bias") if len(node.input) > 2 and node.input[2] else np.zeros(n)


def conv(imp: Importer, node: Any) -> None:
    w = imp.const(node.input[1], "weights")
    if w.ndim == 3:
        ops_extra.conv1d(imp, node, w)
        return
    if w.ndim != 4:
        raise imp.fail("only 1-D and 2-D convolution have layergraph layers")
    if imp.attrs(node).get("group", 1) != 1:
        grouped_conv(imp, node, w)
        return
    v, before = imp.padded_val(node.input[0])
    k = (int(w.shape[2]), int(w.shape[3]))
    s, d, auto = conv_attrs(imp, node, k)
    shape = imp.shape(v)
    if (imp.matlab and len(shape) == 3 and k == shape[1:] and d == [1, 1] and not any(before)
            and not any(pads(imp, node, k, k, s, d, auto))):
        # MATLAB's exporter writes a fully connected layer on an image as a convolution covering it
        _fully_connected_from_conv(imp, node, v, w)
        return
    pick = imp.channel_pick(v)
    if pick is not None:  # a convolution of some channels: one of all channels, zero weights for the others
        src, w = _spread_channels(imp, *pick, w)
    else:
        src = imp.image(v)
    spatial = imp.nodes[src].act.spatial
    mode = imp.pad_modes.get(node.input[0], 0.0)  # a reflect/edge Pad before: MATLAB's PaddingValue
    if mode and any(pads(imp, node, spatial, k, s, d, auto)):
        raise imp.fail("a convolution's own zero padding after a reflection Pad has no layergraph form")
    explicit = plus(pads(imp, node, spatial, k, s, d, auto, any(before)), before)
    hint = name_hint(node.name)
    layer = imp.make(Convolution2DLayer, list(k), int(w.shape[0]), Stride=s, DilationFactor=d, PaddingValue=mode,
                     Padding=same_or(explicit, conv_padding(spatial, k, tuple(s), tuple(d), "same")))
    params = {"Weights": w, "Bias": _bias(imp, node, w.shape[0])}
    imp.set(node.output[0], Val(imp.add(layer, [src], hint, params), None, hint))


def grouped_conv(imp: Importer, node: Any, w: np.ndarray) -> None:
    """Conv with group G > 1: groupedConvolution2dLayer (NumGroups 'channel-wise' when G is the channel count)."""
    groups = int(imp.attrs(node)["group"])
    v, before = imp.padded_val(node.input[0])
    mode = imp.pad_modes.get(node.input[0], 0.0)
    src = imp.image(v)
    c = imp.nodes[src].act.channels
    k = (int(w.shape[2]), int(w.shape[3]))
    a = imp.attrs(node)
    s, d = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
    if mode and any(a.get("pads", [0, 0, 0, 0])):
        raise imp.fail("a convolution's own zero padding after a reflection Pad has no layergraph form")
    spatial = imp.nodes[src].act.spatial
    explicit = plus(pads(imp, node, spatial, k, s, d, a.get("auto_pad", b"NOTSET"), any(before)), before)
    fpg = int(w.shape[0]) // groups
    layer = imp.make(GroupedConvolution2DLayer, list(k), fpg, "channel-wise" if groups == c else groups, Stride=s,
                     DilationFactor=d, PaddingValue=mode,
                     Padding=same_or(explicit, conv_padding(spatial, k, tuple(s), tuple(d), "same")))
    hint = name_hint(node.name)
    bias = _bias(imp, node, w.shape[0])
    params = {"Weights": w.reshape(groups, fpg, *w.shape[1:]), "Bias": np.asarray(bias).reshape(groups, fpg)}
    imp.set(node.output[0], Val(imp.add(layer, [src], hint, params), None, hint))


def _fully_connected_from_conv(imp: Importer, node: Any, v: Val, w: np.ndarray) -> None:
    """fullyConnectedLayer for a Conv whose kernel covers its unpadded input (output N×F×1×1)."""
    f = int(w.shape[0])
    pick = imp.channel_pick(v)
    if (v.idx is None and imp.nodes[v.base].act.is_image) or pick is not None:
        src, w = (v.base, w) if pick is None else _spread_channels(imp, *pick, w)
        weights = w.transpose(0, 1, 3, 2).reshape(f, -1)  # MATLAB's column-major flatten
    else:  # elements of a layer's output in some order: as a Gemm would take them
        src, cols = imp.fc_input(Val(v.base, imp.index(v).reshape(-1), v.hint))
        weights = np.zeros((f, imp.nodes[src].numel))
        np.add.at(weights, (slice(None), cols), w.reshape(f, -1))
    hint = name_hint(node.name)
    params = {"Weights": weights, "Bias": _bias(imp, node, f)}
    nid = imp.add(imp.make(FullyConnectedLayer, f), [src], hint, params)
    imp.set(node.output[0], imp.out_val(nid, (f, 1, 1), hint))


def _spread_channels(imp: Importer, src: int, chans: np.ndarray, w: np.ndarray) -> tuple[int, np.ndarray]:
    """(src, weights over all of src's channels): zero weights for the channels the Conv does not read."""
    spread = np.zeros((w.shape[0], imp.nodes[src].act.channels, *w.shape[2:]), np.float32)
    np.add.at(spread, (slice(None), chans), w)
    return src, spread


def plus(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, int, int, int]:
    t, bottom, left, r = (x + y for x, y in zip(a, b))
    return t, bottom, left, r


def conv_transpose(imp: Importer, node: Any) -> None:
    w = imp.const(node.input[1], "weights")
    if w.ndim == 3:
        ops_extra.conv_transpose1d(imp, node, w)
        return
    if w.ndim != 4:
        raise imp.fail("only 2-D transposed convolution has a layergraph layer")
    a = imp.attrs(node)
    k = (int(w.shape[2]), int(w.shape[3]))
    s, d, auto = conv_attrs(imp, node, k)
    if any(x != 1 for x in d):
        raise imp.fail("transposedConv2dLayer has no dilation")
    src = imp.image(imp.val(node.input[0]))
    op = list(a.get("output_padding", [0, 0]))
    auto = auto if isinstance(auto, str) else auto.decode()
    if "output_shape" in a or auto in ("SAME_UPPER", "SAME_LOWER"):
        t, b, left, r = _tconv_auto_pads(imp, a, auto, imp.nodes[src].act.spatial, k, s, op)
    else:
        t, b, left, r = pads(imp, node, (0, 0), k, s, d, auto)
    # output_padding adds rows/columns at the end, which the end padding crops again
    b, r = b - op[0], r - op[1]
    if b < 0 or r < 0:
        raise imp.fail("output_padding larger than the end padding has no layergraph layer")
    crop = (t, b, left, r)
    same = tconv_cropping(k, tuple(s), "same")
    cropping = "same" if crop == same and min(same) >= 0 and any(crop) else list(crop)
    layer = imp.make(TransposedConv2DLayer, list(k), int(w.shape[1]), Stride=s, Cropping=cropping)
    hint = name_hint(node.name)
    params = {"Weights": w, "Bias": _bias(imp, node, w.shape[1])}
    imp.set(node.output[0], Val(imp.add(layer, [src], hint, params), None, hint))


def _tconv_auto_pads(imp: Importer, a: dict[str, Any], auto: str, spatial: tuple[int, ...], k: tuple[int, int],
                     s: list[int], op: list[int]) -> tuple[int, int, int, int]:
    """[t b l r] for ConvTranspose auto_pad / output_shape, split as the ONNX specification says
    (SAME_UPPER: the odd one at the end, as MATLAB's 'same'; otherwise at the start)."""
    out = list(a.get("output_shape", []))[-2:] or [spatial[i] * s[i] for i in range(2)]
    sides = []
    for i in range(2):
        total = s[i] * (spatial[i] - 1) + op[i] + k[i] - out[i]
        if total < 0:
            raise imp.fail("an output larger than the transposed convolution gives has no layergraph layer")
        start = total // 2 if auto == "SAME_UPPER" else total - total // 2
        sides += [start, total - start + op[i]]  # output_padding is subtracted again below
    return sides[0], sides[1], sides[2], sides[3]


def pad(imp: Importer, node: Any) -> None:
    """Pad: none at all (an identity); zero padding of H and W, which the following Conv or AveragePool takes
    into its own padding (MATLAB R2024b writes Padding="same" so); or zero padding at the end after a transposed
    convolution, which is MATLAB's 'same' cropping when FilterSize < Stride."""
    v = imp.val(node.input[0])
    a = imp.attrs(node)
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    ins = list(node.input) + [""] * 3
    amounts = (imp.const(ins[1], "pads").reshape(-1).tolist() if ins[1] else list(a.get("pads", [])))
    value = imp.const(ins[2], "constant_value") if ins[2] else a.get("value", 0.0)
    rank = len(imp.shape(v)) + 1
    if ins[3]:  # opset 18: pads of the listed axes only
        axes = [int(x) % rank for x in imp.const(ins[3], "axes").reshape(-1)]
        full = [0] * (2 * rank)
        for i, ax in enumerate(axes):
            full[ax], full[rank + ax] = amounts[i], amounts[len(axes) + i]
        amounts = full
    if len(amounts) != 2 * rank:
        raise imp.fail(f"pads {amounts} do not fit a rank-{rank} input")
    if not any(amounts):
        imp.set(node.output[0], v)
        return
    zero = mode == "constant" and not np.any(value)
    if zero and _tconv_same_pad(imp, v, amounts):
        return _end_pad_into_cropping(imp, node, v)
    if rank == 3 and not any(amounts[i] for i in (0, 1, 3, 4)) and min(amounts) >= 0 and (
            zero or mode in ops_extra.PAD_MODES):  # 1-D: into the following convolution1dLayer
        imp.padded[node.output[0]] = (v, (0, 0, amounts[2], amounts[5]))
        if not zero:
            imp.pad_modes[node.output[0]] = ops_extra.PAD_MODES[mode]
        return None
    if mode in ops_extra.PAD_MODES and rank == 4 and not any(amounts[i] for i in (0, 1, 4, 5)) and min(amounts) >= 0:
        # reflection (CycleGAN) or edge padding: the following convolution's PaddingValue
        imp.padded[node.output[0]] = (v, (amounts[2], amounts[6], amounts[3], amounts[7]))
        imp.pad_modes[node.output[0]] = ops_extra.PAD_MODES[mode]
        return None
    if not zero or rank != 4 or any(amounts[i] for i in (0, 1, 4, 5)) or min(amounts) < 0:
        raise imp.fail(f"only zero padding of H and W has a layergraph form (in a following convolution or "
                       f"average pooling); this node pads {amounts} in '{mode}' mode")
    imp.padded[node.output[0]] = (v, (amounts[2], amounts[6], amounts[3], amounts[7]))


def _tconv_same_pad(imp: Importer, v: Val, amounts: list[int]) -> bool:
    """True for the end padding MATLAB's 'same' cropping adds after a transposed conv with FilterSize < Stride."""
    layer = imp.nodes[v.base].layer
    if (len(amounts) != 8 or any(amounts[:6]) or v.idx is not None or not isinstance(layer, TransposedConv2DLayer)
            or v.base in imp.shared or imp.out_degree[v.base]):
        return False
    same = tconv_cropping(layer.FilterSize, layer.Stride, "same")
    return (tuple(layer.Cropping) == tuple(max(c, 0) for c in same) and
            (0, amounts[6], 0, amounts[7]) == tuple(max(-c, 0) for c in same))


def _end_pad_into_cropping(imp: Importer, node: Any, v: Val) -> None:
    base = imp.nodes[v.base]
    base.layer = base.layer.model_copy(update={"Cropping": "same"})
    base.act = base.layer.output_size([imp.nodes[base.inputs[0]].act])
    imp.set(node.output[0], Val(v.base, None, v.hint))


# ----- normalization ------------------------------------------------------------------------------------------
def batch_normalization(imp: Importer, node: Any) -> None:
    imp.unused(node, 1, 2, 3, 4)
    a = imp.attrs(node)
    if a.get("training_mode", 0) or not a.get("spatial", 1):
        raise imp.fail("only inference-mode, per-channel batch normalization has a layergraph layer")
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    src = imp.image_or_features(v)
    names = ("Scale", "Offset", "TrainedMean", "TrainedVariance")
    params = {p: imp.const(node.input[i + 1], p).reshape(-1) for i, p in enumerate(names)}
    layer = imp.make(BatchNormalizationLayer, Epsilon=f32(a.get("epsilon", 1e-5)))
    hint = name_hint(node.name)
    imp.set(node.output[0], imp.out_val(imp.add(layer, [src], hint, params), shape, hint))


def layer_normalization(imp: Importer, node: Any) -> None:
    imp.unused(node, 1, 2)
    a = imp.attrs(node)
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    axis = a.get("axis", -1)
    if axis not in (1, -len(shape)):
        raise imp.fail("layerNormalizationLayer normalizes over all of a sample (axis 1)")
    src = imp.image_or_features(v)
    scale = per_channel(imp, Val(src, None, None), imp.const(node.input[1], "scale"))
    bias = (per_channel(imp, Val(src, None, None), imp.const(node.input[2], "bias"))
            if len(node.input) > 2 and node.input[2] else np.zeros(shape[0]))
    if scale is None or bias is None:
        raise imp.fail("scale and bias must be one value per channel for layerNormalizationLayer")
    layer = imp.make(LayerNormalizationLayer, Epsilon=f32(a.get("epsilon", 1e-5)))
    hint = name_hint(node.name)
    params = {"Scale": scale, "Offset": bias}
    imp.set(node.output[0], imp.out_val(imp.add(layer, [src], hint, params), shape, hint))


def instance_normalization(imp: Importer, node: Any) -> None:
    """InstanceNormalization(x, scale, B): each channel of each image over its positions (PyTorch's InstanceNorm2d
    with affine weights, MATLAB's instanceNormalizationLayer); scale and B one value per channel."""
    a = imp.attrs(node)
    v = imp.val(node.input[0])
    if len(imp.shape(v)) != 3:
        raise imp.fail("instanceNormalizationLayer is imported for N×C×H×W images only")
    src = imp.image(v)
    c = imp.nodes[src].act.channels
    params = {p: imp.const(node.input[i + 1], what).reshape(-1)
              for i, (p, what) in enumerate((("Scale", "scale"), ("Offset", "B")))}
    if any(len(x) != c for x in params.values()):
        raise imp.fail(f"scale and B must have one value per channel ({c})")
    layer = imp.make(InstanceNormalizationLayer, Epsilon=f32(a.get("epsilon", 1e-5)))
    hint = name_hint(node.name)
    imp.set(node.output[0], imp.out_val(imp.add(layer, [src], hint, params), imp.shape(v), hint))


# ----- pooling, resizing, concatenation ----------------------------------------------------------------------
def pool(imp: Importer, node: Any) -> None:
    """MaxPool / AveragePool with MATLAB's padding rules; ceil_mode=1 is extra bottom/right −inf padding for
    max pooling; a Pad node's zeros before an AveragePool are its padding (MATLAB counts padded zeros)."""
    imp.unused(node, 1)
    a = imp.attrs(node)
    k = tuple(a["kernel_shape"])
    if len(k) == 1:
        ops_extra.pool1d(imp, node)
        return
    if node.input[0] in imp.pad_modes:
        raise imp.fail("pooling after a reflection Pad has no layergraph form")
    if len(k) != 2 or any(x != 1 for x in a.get("dilations", [1, 1])):
        raise imp.fail("only undilated 2-D pooling has a layergraph layer")
    maxpool = node.op_type == "MaxPool"
    v, before = imp.padded_val(node.input[0]) if not maxpool else (imp.val(node.input[0]), (0, 0, 0, 0))
    src = imp.image(v)
    spatial = imp.nodes[src].act.spatial
    s = list(a.get("strides", [1, 1]))
    own = pads(imp, node, spatial, k, s, [1, 1], a.get("auto_pad", b"NOTSET"), any(before))
    if not maxpool and any(own) and not a.get("count_include_pad", 0):
        raise imp.fail("averagePooling2dLayer counts padded zeros (count_include_pad=1), this node does not")
    explicit = plus(own, before)
    if a.get("ceil_mode", 0):
        extra = _ceil_extra(spatial, k, s, explicit)
        if any(extra) and not maxpool:
            raise imp.fail("ceil_mode=1 gives a larger output than averagePooling2dLayer (its last windows "
                           "average fewer elements)")
        explicit = plus(explicit, (0, extra[0], 0, extra[1]))
    same = conv_padding(spatial, k, tuple(s), (1, 1), "same")
    cls = MaxPooling2DLayer if maxpool else AveragePooling2DLayer
    layer = imp.make(cls, list(k), Stride=s, Padding=same_or(explicit, same))
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint), None, hint))


def _ceil_extra(spatial: tuple[int, ...], k: tuple[int, ...], s: list[int],
                explicit: tuple[int, int, int, int]) -> tuple[int, int]:
    """The bottom and right padding that makes floor-mode pooling give ceil_mode's output size: one more window
    when the last one starts inside the input or its top/left padding (PyTorch's and onnxruntime's rule)."""
    extra = []
    for n, (lo, hi), kk, ss in zip(spatial, ((explicit[0], explicit[1]), (explicit[2], explicit[3])), k, s):
        out = -(-(n + lo + hi - kk) // ss) + 1
        if (out - 1) * ss >= n + lo:
            out -= 1
        extra.append(max((out - 1) * ss + kk - (n + lo + hi), 0))
    return extra[0], extra[1]


def global_average_pool(imp: Importer, node: Any) -> None:
    _global_pool(imp, node, keep=True)


def reduce_mean(imp: Importer, node: Any) -> None:
    v = imp.val(node.input[0])
    axes = imp.axes(node, len(imp.shape(v)) + 1)
    if axes == [2] and len(imp.shape(v)) == 2:  # over T of sequences
        ops_extra.global_pool1d(imp, node, "average", keep=bool(imp.attrs(node).get("keepdims", 1)))
        return
    if axes != [2, 3] or len(imp.shape(v)) != 3:
        raise imp.fail("only ReduceMean over H and W (global average pooling) has a layergraph layer")
    _global_pool(imp, node, keep=bool(imp.attrs(node).get("keepdims", 1)))


def _global_pool(imp: Importer, node: Any, keep: bool) -> None:
    if len(imp.shape(imp.val(node.input[0]))) == 2:  # N×C×T: over T
        ops_extra.global_pool1d(imp, node, "average", keep)
        return
    src = imp.image(imp.val(node.input[0]))
    hint = name_hint(node.name)
    nid = imp.add(imp.make(GlobalAveragePooling2DLayer), [src], hint)
    c = imp.nodes[nid].act.channels
    imp.set(node.output[0], imp.out_val(nid, (c, 1, 1) if keep else (c,), hint))


def resize(imp: Importer, node: Any) -> None:
    a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in imp.attrs(node).items()}
    src = imp.image(imp.val(node.input[0]))
    c, h, w = imp.nodes[src].tshape
    out = _resize_size(imp, node, (c, h, w), a.get("axes"))
    mode, ctm = a.get("mode", "nearest"), a.get("coordinate_transformation_mode", "half_pixel")
    nearest = a.get("nearest_mode", "round_prefer_floor")
    integer_up = out[0] % h == 0 and out[1] % w == 0
    if a.get("antialias", 0) and (out[0] < h or out[1] < w):
        raise imp.fail("antialiased downsampling has no layergraph layer")
    # torch 'nearest-exact' (resize2dLayer 'nearest') = half-pixel centres rounded half up; for integer
    # upscaling the other common conventions pick the same pixels
    if mode == "nearest" and ((ctm in ("half_pixel", "pytorch_half_pixel") and
                               (nearest == "round_prefer_ceil" or (integer_up and nearest.startswith("round"))))
                              or (ctm == "asymmetric" and nearest == "floor" and integer_up)):
        method = "nearest"
    elif mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel"):
        method = "bilinear"
    else:
        raise imp.fail(f"Resize mode '{mode}' with '{ctm}' coordinates has no layergraph layer")
    size = {"Scale": [out[0] // h, out[1] // w]} if integer_up else {"OutputSize": list(out)}
    hint = name_hint(node.name)
    layer = imp.make(Resize2DLayer, Method=method, **size)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint), None, hint))


def _resize_size(imp: Importer, node: Any, chw: tuple[int, int, int], axes: Any) -> tuple[int, int]:
    ins = list(node.input) + [""] * 4
    if ins[3]:
        sizes = [int(x) for x in imp.const(ins[3], "sizes").reshape(-1)]
        if axes is not None:
            sizes = dict(zip([x % 4 for x in axes], sizes))
            return sizes.get(2, chw[1]), sizes.get(3, chw[2])
        if len(sizes) != 4 or sizes[1] != chw[0]:
            raise imp.fail(f"Resize sizes {sizes} change the batch or channels")
        return sizes[2], sizes[3]
    if ins[2]:
        scales = [float(x) for x in imp.const(ins[2], "scales").reshape(-1)]
        if axes is not None:
            scales = [1.0, 1.0, *[dict(zip([x % 4 for x in axes], scales)).get(i, 1.0) for i in (2, 3)]]
        if len(scales) != 4 or scales[:2] != [1.0, 1.0]:
            raise imp.fail(f"Resize scales {scales} change the batch or channels")
        return math.floor(chw[1] * scales[2]), math.floor(chw[2] * scales[3])
    raise imp.fail("Resize needs constant scales or sizes")


def upsample(imp: Importer, node: Any) -> None:
    """Upsample (opsets 7–9) by integer factors, nearest neighbour: resize2dLayer with Scale."""
    a = imp.attrs(node)
    mode = a.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    scales = [float(x) for x in (a["scales"] if "scales" in a else imp.const(node.input[1], "scales").reshape(-1))]
    if len(scales) != 4 or scales[:2] != [1.0, 1.0] or any(x != int(x) or x < 1 for x in scales[2:]):
        raise imp.fail(f"Upsample scales {scales}: resize2dLayer takes integer factors of H and W")
    if mode != "nearest":
        raise imp.fail(f"Upsample mode '{mode}' (asymmetric coordinates) has no layergraph layer")
    src = imp.image(imp.val(node.input[0]))
    hint = name_hint(node.name)
    layer = imp.make(Resize2DLayer, Method="nearest", Scale=[int(scales[2]), int(scales[3])])
    imp.set(node.output[0], Val(imp.add(layer, [src], hint), None, hint))


def concat(imp: Importer, node: Any) -> None:
    """Concatenation of activations (constants become layers: see `constant_like`)."""
    first = next((i for i in node.input if i in imp.vals), None)
    if first is None:
        raise imp.fail("it concatenates constants only")
    ref = imp.val(first)
    rank = len(imp.shape(ref))
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


# ----- the table ---------------------------------------------------------------------------------------------
OPS: dict[str, Handler] = {
    # rearranging elements, passing values on
    "Reshape": layout.reshape, "Flatten": layout.flatten, "Squeeze": layout.squeeze,
    "Unsqueeze": layout.unsqueeze, "Transpose": layout.transpose, "Identity": layout.identity, "Cast": layout.cast,
    # element-wise and per-sample layers (Relu, LeakyRelu, Tanh, Sigmoid, … come from the layer classes)
    "Dropout": dropout, "Softmax": softmax,
    # arithmetic
    "Add": arith, "Sub": arith, "Mul": arith, "Div": arith, "Sum": add_all,
    # layers with weights
    "Gemm": gemm, "MatMul": matmul, "Gather": gather, "Conv": conv, "ConvTranspose": conv_transpose, "Pad": pad,
    "ImageScaler": image_scaler, "BatchNormalization": batch_normalization, "LayerNormalization": layer_normalization,
    "InstanceNormalization": instance_normalization,
    # pooling, resizing, concatenation
    "MaxPool": pool, "AveragePool": pool, "GlobalAveragePool": global_average_pool, "ReduceMean": reduce_mean,
    "Resize": resize, "Upsample": upsample, "Concat": concat, "Slice": layout.slice_, "Crop": layout.crop,
    "Clip": ops_extra.clip,
}
OPS.update(ops_extra.OPS)  # 1-D networks, PRelu, DepthToSpace/SpaceToDepth, Gelu, LogSoftmax, Log, Pow, Split
OPS.update(recurrent.handlers(OPS))  # LSTM, GRU, and the layout operators following sequences (recurrent.py)


def handler_for(op: str) -> Handler | None:
    """The handler of ONNX operator `op`: its OPS entry, else the element-wise layer class declaring it."""
    if op in OPS:
        return OPS[op]
    for cls in LAYERS.values():
        form = cls.onnx
        if cls.elementwise and form is not None and form.op == op and op in form.imports:
            return _declared(cls)
    return None
