"""ONNX emitters of the layers that slide a window or move pixels: convolutions (2-D, 1-D, transposed, grouped),
pooling, resizing, cropping and depth/space rearrangement. Padding and cropping are always explicit `pads`, so
MATLAB's uneven 'same' rule (the extra row/column at the bottom/right) survives in every runtime."""
from __future__ import annotations

from layergraph.interop.onnx_builder import Builder, Emit, EmitContext, ONNXExportError
from layergraph.layers.conv import Convolution2DLayer, TransposedConv2DLayer, conv_padding, tconv_cropping
from layergraph.layers.conv1d import Convolution1DLayer, TransposedConv1DLayer
from layergraph.layers.depthspace import DepthToSpace2DLayer, SpaceToDepthLayer
from layergraph.layers.grouped import GroupedConvolution2DLayer
from layergraph.layers.pooling import AveragePooling2DLayer, MaxPooling2DLayer
from layergraph.layers.pooling1d import (
    AveragePooling1DLayer,
    GlobalAveragePooling1DLayer,
    GlobalMaxPooling1DLayer,
    MaxPooling1DLayer,
)
from layergraph.layers.reshape import Crop2DLayer, Resize2DLayer


def _pad_value(g: Builder, name: str, x: str, value: float | str, begin: list[int], end: list[int]) -> str:
    """A Pad node for MATLAB's PaddingValue (a number, 'replicate' or 'symmetric-exclude-edge') on the
    spatial axes; the pads of the following node are then zero."""
    modes = {"replicate": "edge", "symmetric-exclude-edge": "reflect"}
    if value == "symmetric-include-edge":
        raise ONNXExportError(f"layer '{name}': PaddingValue 'symmetric-include-edge' has no ONNX Pad mode")
    pads = g.ints(f"{name}/pads", [0, 0, *begin, 0, 0, *end])
    if isinstance(value, str):
        return g.node("Pad", [x, pads], f"{name}/padded", name=f"{name}/pad", mode=modes[value])
    return g.node("Pad", [x, pads, g.const(f"{name}/padvalue", value)], f"{name}/padded", name=f"{name}/pad",
                  mode="constant")


def _conv(ctx: EmitContext) -> str:
    g, layer, name, xs, ins, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins, ctx.m
    t, b, left, r = conv_padding(ins[0].spatial, layer.FilterSize, layer.Stride, layer.DilationFactor,
                                 layer.Padding)
    x = xs[0]
    if layer.PaddingValue != 0 and any((t, b, left, r)):
        x, (t, b, left, r) = _pad_value(g, name, x, layer.PaddingValue, [t, left], [b, r]), (0, 0, 0, 0)
    return g.node("Conv", [x, g.param(name, m, "Weights"), g.param(name, m, "Bias")], name, name=name,
                  kernel_shape=list(layer.FilterSize), strides=list(layer.Stride),
                  dilations=list(layer.DilationFactor), pads=[t, left, b, r])


def _tconv(ctx: EmitContext) -> str:
    g, layer, name, xs, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.m
    t, b, left, r = tconv_cropping(layer.FilterSize, layer.Stride, layer.Cropping)
    crop = [max(v, 0) for v in (t, left, b, r)]  # ONNX ConvTranspose pads crop the output, unevenly if asked
    grow = [max(-v, 0) for v in (t, left, b, r)]  # 'same' with F < S: MATLAB pads the end up to S·in
    y = name if not any(grow) else f"{name}/convtranspose"
    y = g.node("ConvTranspose", [xs[0], g.param(name, m, "Weights"), g.param(name, m, "Bias")], y,
               name=name if y == name else f"{name}/convtranspose", kernel_shape=list(layer.FilterSize),
               strides=list(layer.Stride), pads=crop)
    if any(grow):
        pads = g.ints(f"{name}/pads", [0, 0, grow[0], grow[1], 0, 0, grow[2], grow[3]])
        y = g.node("Pad", [y, pads], name, name=name, mode="constant")
    return y


def _conv1d(ctx: EmitContext) -> str:
    g, layer, name, xs, ins, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins, ctx.m
    left, right = layer.pads(ins[0])  # 'same' with a stride > 1 follows the analysed length
    x = xs[0]
    if layer.PaddingValue != 0 and (left or right):
        x, left, right = _pad_value(g, name, x, layer.PaddingValue, [left], [right]), 0, 0
    return g.node("Conv", [x, g.param(name, m, "Weights"), g.param(name, m, "Bias")], name, name=name,
                  kernel_shape=[layer.FilterSize], strides=[layer.Stride], dilations=[layer.DilationFactor],
                  pads=[left, right])


def _tconv1d(ctx: EmitContext) -> str:
    g, layer, name, xs, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.m
    left, right = layer.crops()
    grow = max(-right, 0)  # 'same' with FilterSize < Stride: MATLAB pads the end up to Stride·length
    y = name if not grow else f"{name}/convtranspose"
    y = g.node("ConvTranspose", [xs[0], g.param(name, m, "Weights"), g.param(name, m, "Bias")], y,
               name=name if y == name else f"{name}/convtranspose", kernel_shape=[layer.FilterSize],
               strides=[layer.Stride], pads=[max(left, 0), max(right, 0)])
    if grow:
        y = g.node("Pad", [y, g.ints(f"{name}/pads", [0, 0, 0, 0, 0, grow])], name, name=name, mode="constant")
    return y


def _grouped_conv(ctx: EmitContext) -> str:
    g, layer, name, xs, ins, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins, ctx.m
    t, b, left, r = layer.pads(ins[0])
    x = xs[0]
    if layer.PaddingValue != 0 and any((t, b, left, r)):
        x, (t, b, left, r) = _pad_value(g, name, x, layer.PaddingValue, [t, left], [b, r]), (0, 0, 0, 0)
    w = g.const(f"{name}/Weights", m.Weights.detach().reshape(-1, *m.Weights.shape[2:]))
    bias = g.const(f"{name}/Bias", m.Bias.detach().reshape(-1))
    return g.node("Conv", [x, w, bias], name, name=name, kernel_shape=list(layer.FilterSize),
                  strides=list(layer.Stride), dilations=list(layer.DilationFactor), pads=[t, left, b, r],
                  group=layer.groups(ins[0]))


def _pool(op: str) -> Emit:
    def emit(ctx: EmitContext) -> str:
        g, layer, name, xs, ins = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins
        t, b, left, r = conv_padding(ins[0].spatial, layer.PoolSize, layer.Stride, (1, 1), layer.Padding)
        extra = {"count_include_pad": 1} if op == "AveragePool" else {}  # MATLAB averages padded zeros too
        return g.node(op, xs, name, name=name, kernel_shape=list(layer.PoolSize), strides=list(layer.Stride),
                      pads=[t, left, b, r], **extra)

    return emit


def _pool1d(op: str) -> Emit:
    def emit(ctx: EmitContext) -> str:
        g, layer, name, xs, ins = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins
        left, right = layer.pads(ins[0])  # 'same' follows the analysed length, as convolution1dLayer
        extra = {}
        if op == "AveragePool":  # PaddingValue 0 averages padded zeros; 'mean' leaves them out
            extra = {"count_include_pad": int(layer.PaddingValue != "mean")}
        return g.node(op, xs, name, name=name, kernel_shape=[layer.PoolSize], strides=[layer.Stride],
                      pads=[left, right], **extra)

    return emit


def _global_pool1d(op: str) -> Emit:
    def emit(ctx: EmitContext) -> str:
        g, name, xs, ins = ctx.g, ctx.name, ctx.xs, ctx.ins
        if ins[0].fmt == "SC":  # "SCB" keeps its S dimension (of size 1)
            return g.node(op, xs, name, name=name)
        y = g.node(op, xs, f"{name}/pooled", name=f"{name}/pool")  # N×C×1: "CBT" loses T, giving "CB"
        return g.node("Flatten", [y], name, name=name, axis=1)

    return emit


def _resize(ctx: EmitContext) -> str:
    g, layer, name, xs, out = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.out
    h, w = out.spatial
    if layer.Method == "bilinear":  # torch's align_corners=False
        attrs = {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}
    else:  # torch's 'nearest-exact' = half-pixel centres, halves rounded up
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "half_pixel",
                 "nearest_mode": "round_prefer_ceil"}
    if g.opset >= 18:
        sizes = g.ints(f"{name}/sizes", [h, w])
        return g.node("Resize", [xs[0], "", "", sizes], name, name=name, axes=[2, 3], **attrs)
    # before opset 18 `sizes` covers every axis: batch and channels come from the input's shape
    shape = g.node("Shape", [xs[0]], f"{name}/shape", name=f"{name}/shape")
    nc = g.node("Slice", [shape, g.ints(f"{name}/start", [0]), g.ints(f"{name}/end", [2])], f"{name}/nc",
                name=f"{name}/slice")
    sizes = g.node("Concat", [nc, g.ints(f"{name}/hw", [h, w])], f"{name}/sizes", name=f"{name}/concat", axis=0)
    return g.node("Resize", [xs[0], "", "", sizes], name, name=name, **attrs)


def _crop(ctx: EmitContext) -> str:
    g, layer, name, xs, ins = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins
    top, left, h, w = layer.window(ins)
    return g.node("Slice", [xs[0], g.ints(f"{name}/starts", [top, left]), g.ints(f"{name}/ends", [top + h, left + w]),
                            g.ints(f"{name}/axes", [2, 3])], name, name=name)


def _depth_to_space(ctx: EmitContext) -> str:
    g, layer, name, xs = ctx.g, ctx.layer, ctx.name, ctx.xs
    bh, bw = layer.BlockSize
    if bh != bw:
        raise ONNXExportError(f"layer '{name}': ONNX DepthToSpace has square blocks only; BlockSize is [{bh} {bw}]")
    return g.node("DepthToSpace", xs, name, name=name, blocksize=bh, mode=layer.Mode.upper())


def _space_to_depth(ctx: EmitContext) -> str:
    g, layer, name, xs, ins = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins
    bh, bw = layer.BlockSize
    if bh != bw:
        raise ONNXExportError(f"layer '{name}': ONNX SpaceToDepth has square blocks only; BlockSize is [{bh} {bw}]")
    x = xs[0]
    h, w = ins[0].spatial
    if h % bh or w % bw:  # MATLAB drops the rows and columns that fill no whole block; ONNX needs them gone
        x = g.node("Slice", [x, g.ints(f"{name}/starts", [0, 0]), g.ints(f"{name}/ends", [h - h % bh, w - w % bw]),
                             g.ints(f"{name}/axes", [2, 3])], f"{name}/cropped", name=f"{name}/slice")
    return g.node("SpaceToDepth", [x], name, name=name, blocksize=bh)

EMITTERS: dict[type, Emit] = {
    Convolution2DLayer: _conv, TransposedConv2DLayer: _tconv, Convolution1DLayer: _conv1d,
    TransposedConv1DLayer: _tconv1d, GroupedConvolution2DLayer: _grouped_conv,
    MaxPooling2DLayer: _pool("MaxPool"), AveragePooling2DLayer: _pool("AveragePool"),
    MaxPooling1DLayer: _pool1d("MaxPool"), AveragePooling1DLayer: _pool1d("AveragePool"),
    GlobalAveragePooling1DLayer: _global_pool1d("GlobalAveragePool"),
    GlobalMaxPooling1DLayer: _global_pool1d("GlobalMaxPool"),
    Resize2DLayer: _resize, Crop2DLayer: _crop, DepthToSpace2DLayer: _depth_to_space,
    SpaceToDepthLayer: _space_to_depth,
}
