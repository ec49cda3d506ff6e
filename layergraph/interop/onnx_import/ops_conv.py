"""ONNX Conv, ConvTranspose and Pad as 2-D convolution layers: MATLAB's padding from ONNX pads or auto_pad, a
Pad node's padding taken into the following convolution (PaddingValue for reflect/edge modes), grouped
convolution, and MATLAB's own export of a fully connected layer as a convolution covering its input."""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.ops_1d import conv1d, conv_transpose1d
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import Val, name_hint, per_axis
from layergraph.layers.base import same_total
from layergraph.layers.conv import Convolution2DLayer, TransposedConv2DLayer, conv_padding, tconv_cropping
from layergraph.layers.dense import FullyConnectedLayer
from layergraph.layers.grouped import GroupedConvolution2DLayer

PAD_MODES = {"reflect": "symmetric-exclude-edge", "edge": "replicate"}  # ONNX Pad mode → MATLAB's PaddingValue


def conv_attrs(imp: Importer, node: Any, k: tuple[int, int]) -> tuple[list[int], list[int], str]:
    a = imp.attrs(node)
    if a["group"] != 1:
        raise imp.fail("grouped convolution has no layergraph layer")
    if "kernel_shape" in a and tuple(a["kernel_shape"]) != k:
        raise imp.fail("kernel_shape disagrees with the weights")
    return per_axis(a, "strides", 2, 1), per_axis(a, "dilations", 2, 1), a["auto_pad"]


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
    p = per_axis(imp.attrs(node), "pads", 4, 0) if auto != "VALID" else [0, 0, 0, 0]
    if len(p) != 4:
        raise imp.fail("only 2-D operators have layergraph layers")
    return p[0], p[2], p[1], p[3]


def same_or(explicit: tuple[int, int, int, int], same: tuple[int, int, int, int]) -> Any:
    """'same' when the explicit pads are what MATLAB's 'same' gives (keeps specs readable)."""
    return "same" if explicit == same and any(explicit) else list(explicit)


def plus(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, int, int, int]:
    t, bottom, left, r = (x + y for x, y in zip(a, b))
    return t, bottom, left, r


def _bias(imp: Importer, node: Any, n: int) -> np.ndarray:
    """The optional third input (bias), zeros when absent."""
    return imp.const(node.input[2], "bias") if len(node.input) > 2 and node.input[2] else np.zeros(n)


@handler("Conv")
def conv(imp: Importer, node: Any) -> None:
    w = imp.const(node.input[1], "weights")
    if w.ndim == 3:
        conv1d(imp, node, w)
        return
    if w.ndim != 4:
        raise imp.fail("only 1-D and 2-D convolution have layergraph layers")
    if imp.attrs(node)["group"] != 1:
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
    s, d = per_axis(a, "strides", 2, 1), per_axis(a, "dilations", 2, 1)
    if mode and any(per_axis(a, "pads", 4, 0)):
        raise imp.fail("a convolution's own zero padding after a reflection Pad has no layergraph form")
    spatial = imp.nodes[src].act.spatial
    explicit = plus(pads(imp, node, spatial, k, s, d, a["auto_pad"], any(before)), before)
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


@handler("ConvTranspose")
def conv_transpose(imp: Importer, node: Any) -> None:
    w = imp.const(node.input[1], "weights")
    if w.ndim == 3:
        conv_transpose1d(imp, node, w)
        return
    if w.ndim != 4:
        raise imp.fail("only 2-D transposed convolution has a layergraph layer")
    a = imp.attrs(node)
    k = (int(w.shape[2]), int(w.shape[3]))
    s, d, auto = conv_attrs(imp, node, k)
    if any(x != 1 for x in d):
        raise imp.fail("transposedConv2dLayer has no dilation")
    src = imp.image(imp.val(node.input[0]))
    op = per_axis(a, "output_padding", 2, 0)
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
    out = list(a["output_shape"])[-2:] if "output_shape" in a else [spatial[i] * s[i] for i in range(2)]
    sides = []
    for i in range(2):
        total = s[i] * (spatial[i] - 1) + op[i] + k[i] - out[i]
        if total < 0:
            raise imp.fail("an output larger than the transposed convolution gives has no layergraph layer")
        start = total // 2 if auto == "SAME_UPPER" else total - total // 2
        sides += [start, total - start + op[i]]  # output_padding is subtracted again below
    return sides[0], sides[1], sides[2], sides[3]


@handler("Pad")
def pad_2(imp: Importer, node: Any) -> None:
    """Pad before opset 11: pads and value are attributes (value's default 0 from the schema)."""
    a = imp.attrs(node)
    _pad(imp, node, list(a["pads"]), a["value"])


@handler("Pad", since=11)
def pad_11(imp: Importer, node: Any) -> None:
    """Pad from opset 11: pads, constant_value (absent: 0, the operator's specification) and, from opset 18,
    axes are inputs."""
    v = imp.val(node.input[0])
    ins = list(node.input) + [""] * 3
    amounts = imp.const(ins[1], "pads").reshape(-1).tolist()
    value = imp.const(ins[2], "constant_value") if ins[2] else 0.0
    rank = len(imp.shape(v)) + 1
    if ins[3]:  # opset 18: pads of the listed axes only
        axes = [int(x) % rank for x in imp.const(ins[3], "axes").reshape(-1)]
        full = [0] * (2 * rank)
        for i, ax in enumerate(axes):
            full[ax], full[rank + ax] = amounts[i], amounts[len(axes) + i]
        amounts = full
    _pad(imp, node, amounts, value)


def _pad(imp: Importer, node: Any, amounts: list[int], value: Any) -> None:
    """Pad: none at all (an identity); zero padding of H and W, which the following Conv or AveragePool takes
    into its own padding (MATLAB R2024b writes Padding="same" so); or zero padding at the end after a transposed
    convolution, which is MATLAB's 'same' cropping when FilterSize < Stride."""
    v = imp.val(node.input[0])
    mode = imp.attrs(node)["mode"]
    mode = mode.decode() if isinstance(mode, bytes) else mode
    rank = len(imp.shape(v)) + 1
    if len(amounts) != 2 * rank:
        raise imp.fail(f"pads {amounts} do not fit a rank-{rank} input")
    if not any(amounts):
        imp.set(node.output[0], v)
        return
    zero = mode == "constant" and not np.any(value)
    if zero and _tconv_same_pad(imp, v, amounts):
        _end_pad_into_cropping(imp, node, v)
        return
    inner = (0, 1, 3, 4) if rank == 3 else (0, 1, 4, 5)  # batch and channels: never padded here
    if rank not in (3, 4) or any(amounts[i] for i in inner) or min(amounts) < 0 or not (zero or mode in PAD_MODES):
        raise imp.fail(f"only zero padding of H and W has a layergraph form (in a following convolution or "
                       f"average pooling); this node pads {amounts} in '{mode}' mode")
    # into the following convolution or pooling: [t b l r] (1-D: the time axis as l r); reflection (CycleGAN) or
    # edge padding becomes that convolution's PaddingValue
    sides = (0, 0, amounts[2], amounts[5]) if rank == 3 else (amounts[2], amounts[6], amounts[3], amounts[7])
    imp.padded[node.output[0]] = (v, sides)
    if not zero:
        imp.pad_modes[node.output[0]] = PAD_MODES[mode]


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
