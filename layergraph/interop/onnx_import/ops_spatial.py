"""ONNX operators over H and W: 2-D pooling (MaxPool, AveragePool, global average pooling, ReduceMean over H and
W), Resize and Upsample (resize2dLayer), DepthToSpace and SpaceToDepth."""
from __future__ import annotations

import math
from typing import Any

from layergraph.interop.onnx_import.folding import (
    crop_of,
)
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.ops_1d import global_pool1d, pool1d
from layergraph.interop.onnx_import.ops_conv import pads, plus, same_or
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import Val, name_hint, per_axis
from layergraph.layers.conv import conv_padding
from layergraph.layers.depthspace import DepthToSpace2DLayer, SpaceToDepthLayer
from layergraph.layers.pooling import AveragePooling2DLayer, GlobalAveragePooling2DLayer, MaxPooling2DLayer
from layergraph.layers.reshape import Resize2DLayer


@handler("MaxPool", "AveragePool")
def pool(imp: Importer, node: Any) -> None:
    """MaxPool / AveragePool with MATLAB's padding rules; ceil_mode=1 is extra bottom/right −inf padding for
    max pooling; a Pad node's zeros before an AveragePool are its padding (MATLAB counts padded zeros)."""
    imp.unused(node, 1)
    a = imp.attrs(node)
    k = tuple(a["kernel_shape"])
    if len(k) == 1:
        pool1d(imp, node)
        return
    if node.input[0] in imp.pad_modes:
        raise imp.fail("pooling after a reflection Pad has no layergraph form")
    if len(k) != 2 or any(x != 1 for x in per_axis(a, "dilations", 2, 1)):
        raise imp.fail("only undilated 2-D pooling has a layergraph layer")
    maxpool = node.op_type == "MaxPool"
    v, before = imp.padded_val(node.input[0]) if not maxpool else (imp.val(node.input[0]), (0, 0, 0, 0))
    src = imp.image(v)
    spatial = imp.nodes[src].act.spatial
    s = per_axis(a, "strides", 2, 1)
    own = pads(imp, node, spatial, k, s, [1, 1], a["auto_pad"], any(before))
    if not maxpool and any(own) and not a["count_include_pad"]:
        raise imp.fail("averagePooling2dLayer counts padded zeros (count_include_pad=1), this node does not")
    explicit = plus(own, before)
    if a.get("ceil_mode"):  # absent before opset 10
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


@handler("GlobalAveragePool")
def global_average_pool(imp: Importer, node: Any) -> None:
    _global_pool(imp, node, keep=True)


@handler("ReduceMean")
def reduce_mean(imp: Importer, node: Any) -> None:
    v = imp.val(node.input[0])
    axes = imp.axes(node, len(imp.shape(v)) + 1)
    if axes == [2] and len(imp.shape(v)) == 2:  # over T of sequences
        global_pool1d(imp, node, "average", keep=bool(imp.attrs(node)["keepdims"]))
        return
    if axes != [2, 3] or len(imp.shape(v)) != 3:
        raise imp.fail("only ReduceMean over H and W (global average pooling) has a layergraph layer")
    _global_pool(imp, node, keep=bool(imp.attrs(node)["keepdims"]))


def _global_pool(imp: Importer, node: Any, keep: bool) -> None:
    if len(imp.shape(imp.val(node.input[0]))) == 2:  # N×C×T: over T
        global_pool1d(imp, node, "average", keep)
        return
    src = imp.image(imp.val(node.input[0]))
    hint = name_hint(node.name)
    nid = imp.add(imp.make(GlobalAveragePooling2DLayer), [src], hint)
    c = imp.nodes[nid].act.channels
    imp.set(node.output[0], imp.out_val(nid, (c, 1, 1) if keep else (c,), hint))


@handler("Resize", since=11)
def resize(imp: Importer, node: Any) -> None:
    """Resize from opset 11 (roi, scales, sizes inputs; coordinate transformation and nearest modes)."""
    a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in imp.attrs(node).items()}
    src = imp.image(imp.val(node.input[0]))
    c, h, w = imp.nodes[src].tshape
    out = _resize_size(imp, node, (c, h, w), a.get("axes"))
    mode, ctm = a["mode"], a["coordinate_transformation_mode"]
    nearest = a["nearest_mode"]
    integer_up = out[0] % h == 0 and out[1] % w == 0
    if a.get("antialias") and (out[0] < h or out[1] < w):
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


def _integer_upsample(imp: Importer, node: Any, scales: list[float]) -> None:
    """Nearest-neighbour upsampling by integer factors of H and W with asymmetric coordinates (Upsample, and
    Resize in opset 10): each pixel repeated, which is resize2dLayer 'nearest' with Scale."""
    mode = imp.attrs(node)["mode"]
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if len(scales) != 4 or scales[:2] != [1.0, 1.0] or any(x != int(x) or x < 1 for x in scales[2:]):
        raise imp.fail(f"{node.op_type} scales {scales}: resize2dLayer takes integer factors of H and W")
    if mode != "nearest":
        raise imp.fail(f"{node.op_type} mode '{mode}' (asymmetric coordinates) has no layergraph layer")
    src = imp.image(imp.val(node.input[0]))
    hint = name_hint(node.name)
    layer = imp.make(Resize2DLayer, Method="nearest", Scale=[int(scales[2]), int(scales[3])])
    imp.set(node.output[0], Val(imp.add(layer, [src], hint), None, hint))


@handler("Upsample")
def upsample_7(imp: Importer, node: Any) -> None:
    """Upsample in opsets 7 and 8: the scales are an attribute."""
    _integer_upsample(imp, node, [float(x) for x in imp.attrs(node)["scales"]])


@handler("Upsample", since=9)
@handler("Resize", since=10)
def upsample_9(imp: Importer, node: Any) -> None:
    """Upsample from opset 9 and Resize in opset 10: the scales are the second input."""
    _integer_upsample(imp, node, [float(x) for x in imp.const(node.input[1], "scales").reshape(-1)])


@handler("DepthToSpace")
def depth_to_space(imp: Importer, node: Any) -> None:
    a = imp.attrs(node)
    mode = a.get("mode", b"DCR")  # DepthToSpace before opset 11 has no mode: DCR
    mode = (mode.decode() if isinstance(mode, bytes) else mode).lower()
    src = imp.image(imp.val(node.input[0]))
    hint = name_hint(node.name)
    layer = imp.make(DepthToSpace2DLayer, int(a["blocksize"]), Mode=mode)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint), None, hint))


@handler("SpaceToDepth")
def space_to_depth(imp: Importer, node: Any) -> None:
    block = int(imp.attrs(node)["blocksize"])
    v = imp.val(node.input[0])
    crop = crop_of(imp, v)
    if crop is not None and crop[0] == crop[2] == 0 and crop[1] < block and crop[3] < block:
        src = v.base  # the bottom rows and right columns that fill no block: spaceToDepthLayer drops them itself
    else:
        src = imp.image(v)
    hint = name_hint(node.name)
    layer = imp.make(SpaceToDepthLayer, block)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint), None, hint))
