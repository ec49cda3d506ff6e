"""ONNX emitters of the input, fully connected, embedding, normalization, activation, merge and reshape layers.
MATLAB flattens and reshapes column-major: images become features through `flatten_matlab` (onnx_builder.py)."""
from __future__ import annotations

import numpy as np
from torch import nn

from layergraph.formats import torch_axis
from layergraph.interop.onnx_builder import (
    Builder,
    Emit,
    EmitContext,
    ONNXExportError,
    flatten_matlab,
    unflatten_matlab,
)
from layergraph.layers.activation import ClippedReLULayer, DropoutLayer, GELULayer, SwishLayer
from layergraph.layers.dense import EmbeddingLayer, FullyConnectedLayer, ProjectAndReshapeLayer
from layergraph.layers.inputs import FeatureInputLayer, ImageInputLayer, SequenceInputLayer
from layergraph.layers.merge import AdditionLayer, ConcatenationLayer, DepthConcatenationLayer, MultiplicationLayer
from layergraph.layers.norm import (
    BatchNormalizationLayer,
    GroupNormalizationLayer,
    InstanceNormalizationLayer,
    LayerNormalizationLayer,
)
from layergraph.layers.prelu import PReLULayer
from layergraph.layers.reshape import FlattenLayer, FunctionLayer


def _input(ctx: EmitContext) -> str:
    g, name, xs, m = ctx.g, ctx.name, ctx.xs, ctx.m
    if isinstance(m, nn.Identity):
        return xs[0]
    # MATLAB's input normalization: (x − shift)·scale with per-channel constants
    y = g.node("Sub", [xs[0], g.const(f"{name}/Shift", m.shift.cpu())], f"{name}/centered", name=f"{name}/sub")
    return g.node("Mul", [y, g.const(f"{name}/ScaleFactor", m.scale.cpu())], f"{name}/normalized", name=name)


def _gemm(g: Builder, name: str, x: str, m: nn.Module, out: str) -> str:
    return g.node("Gemm", [x, g.param(name, m, "Weights"), g.param(name, m, "Bias")], out,
                  name=name if out == name else f"{name}/gemm", transB=1)


def _fc(ctx: EmitContext) -> str:
    g, name, xs, ins, m = ctx.g, ctx.name, ctx.xs, ctx.ins, ctx.m
    if "T" in ins[0].fmt:  # sequences: the same W·x + b at every time step (B×C×T → B×T×C → MatMul)
        x = g.node("Transpose", [xs[0]], f"{name}/ntc", name=f"{name}/transpose_in", perm=[0, 2, 1])
        w = g.const(f"{name}/WeightsT", m.Weights.detach().t())
        y = g.node("MatMul", [x, w], f"{name}/matmul", name=f"{name}/matmul")
        y = g.node("Add", [y, g.param(name, m, "Bias")], f"{name}/add", name=f"{name}/add")
        return g.node("Transpose", [y], name, name=name, perm=[0, 2, 1])
    # image input is flattened column-major; MATLAB's dlnetwork gives "CB" output
    return _gemm(g, name, flatten_matlab(g, name, xs[0], ins[0]), m, name)


def _project(ctx: EmitContext) -> str:
    g, layer, name, xs, ins, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins, ctx.m
    x = flatten_matlab(g, name, xs[0], ins[0])
    return unflatten_matlab(g, name, _gemm(g, name, x, m, f"{name}/gemm"), tuple(layer.OutputSize))


def _embedding(ctx: EmitContext) -> str:
    # the input holds a 1-based class index as a float; Cast truncates towards zero like torch's .long()
    g, name, xs, m = ctx.g, ctx.name, ctx.xs, ctx.m
    v = g.node("Reshape", [xs[0], g.ints(f"{name}/shape", [-1])], f"{name}/flat", name=f"{name}/reshape")
    v = g.node("Cast", [v], f"{name}/index", name=f"{name}/cast", to=g.onnx.TensorProto.INT64)
    v = g.node("Sub", [v, g.const(f"{name}/one", 1, np.int64)], f"{name}/index0", name=f"{name}/sub")
    return g.node("Gather", [g.param(name, m, "Weights"), v], name, name=name, axis=0)


def _batchnorm(ctx: EmitContext) -> str:
    g, layer, name, xs, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.m
    args = [g.param(name, m, p) for p in ("Scale", "Offset", "TrainedMean", "TrainedVariance")]
    return g.node("BatchNormalization", [xs[0], *args], name, name=name, epsilon=float(layer.Epsilon))


def _layernorm(ctx: EmitContext) -> str:
    g, layer, name, xs, ins, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins, ctx.m
    if g.opset < 17:
        raise ONNXExportError(f"layer '{name}': layerNormalizationLayer needs OpsetVersion 17 or later "
                              f"(LayerNormalization); got {g.opset}")
    if layer.norm_axes(ins[0]) == 1 and len(ins[0].size) > 1:  # each position on its own: channels last
        rank = len(ins[0].size) + 1
        perm = [0, *range(2, rank), 1]
        x = g.node("Transpose", [xs[0]], f"{name}/channels_last", name=f"{name}/transpose_in", perm=perm)
        y = g.node("LayerNormalization", [x, g.param(name, m, "Scale"), g.param(name, m, "Offset")],
                   f"{name}/normalized", name=f"{name}/layernorm", axis=-1, epsilon=float(layer.Epsilon))
        return g.node("Transpose", [y], name, name=name, perm=[0, rank - 1, *range(1, rank - 1)])
    if ins[0].time is not None:  # over all time steps: the scale would depend on the sequence length
        raise ONNXExportError(f"layer '{name}': layerNormalizationLayer with OperationDimension "
                              f"'{layer.OperationDimension}' on sequences has no ONNX form (any length)")
    shape = (ins[0].channels, *ins[0].spatial)
    view = (-1,) + (1,) * (len(shape) - 1)
    # ONNX wants scale/bias over all normalized axes; layergraph's are per channel: broadcast them
    scale = np.broadcast_to(m.Scale.detach().cpu().float().numpy().reshape(view), shape)
    bias = np.broadcast_to(m.Offset.detach().cpu().float().numpy().reshape(view), shape)
    return g.node("LayerNormalization", [xs[0], g.const(f"{name}/Scale", scale), g.const(f"{name}/Offset", bias)],
                  name, name=name, axis=1, epsilon=float(layer.Epsilon))


def _instancenorm(ctx: EmitContext) -> str:
    g, layer, name, xs, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.m
    return g.node("InstanceNormalization", [xs[0], g.param(name, m, "Scale"), g.param(name, m, "Offset")], name,
                  name=name, epsilon=float(layer.Epsilon))


def _groupnorm(ctx: EmitContext) -> str:
    g, layer, name, xs, ins, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins, ctx.m
    groups, c = layer.groups(ins[0]), ins[0].channels
    if g.opset >= 21:  # per-channel scale and bias
        return g.node("GroupNormalization", [xs[0], g.param(name, m, "Scale"), g.param(name, m, "Offset")], name,
                      name=name, num_groups=groups, epsilon=float(layer.Epsilon))
    # before opset 21: the groups as channels of an InstanceNormalization, then the per-channel Scale and Offset
    shape = g.node("Shape", [xs[0]], f"{name}/shape", name=f"{name}/shape")
    y = g.node("Reshape", [xs[0], g.ints(f"{name}/groups", [0, groups, -1])], f"{name}/grouped",
               name=f"{name}/reshape_in")
    y = g.node("InstanceNormalization", [y, g.const(f"{name}/ones", np.ones(groups)),
                                         g.const(f"{name}/zeros", np.zeros(groups))], f"{name}/normalized",
               name=f"{name}/instancenorm", epsilon=float(layer.Epsilon))
    y = g.node("Reshape", [y, shape], f"{name}/ungrouped", name=f"{name}/reshape_out")
    view = [c] + [1] * (len(ins[0].size) - 1)
    scale = g.const(f"{name}/Scale", m.Scale.detach().reshape(view))
    y = g.node("Mul", [y, scale], f"{name}/scaled", name=f"{name}/mul")
    return g.node("Add", [y, g.const(f"{name}/Offset", m.Offset.detach().reshape(view))], name, name=name)


def _clipped(ctx: EmitContext) -> str:
    g, layer, name, xs = ctx.g, ctx.layer, ctx.name, ctx.xs
    return g.node("Clip", [xs[0], g.const(f"{name}/min", np.float32(0)),
                           g.const(f"{name}/max", np.float32(layer.Ceiling))], name, name=name)


def _gelu(ctx: EmitContext) -> str:
    g, layer, name, xs = ctx.g, ctx.layer, ctx.name, ctx.xs
    x = xs[0]
    if g.opset >= 20:
        return g.node("Gelu", [x], name, name=name, approximate=layer.Approximation)

    def c(role: str, v: float) -> str:
        return g.const(f"{name}/{role}", np.float32(v))

    if layer.Approximation == "none":  # x·½·(1 + erf(x/√2))
        t = g.node("Mul", [x, c("rsqrt2", 1 / np.sqrt(2))], f"{name}/scaled", name=f"{name}/scale")
        t = g.node("Erf", [t], f"{name}/erf", name=f"{name}/erf")
    else:  # x·½·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        x3 = g.node("Mul", [x, x], f"{name}/x2", name=f"{name}/square")
        x3 = g.node("Mul", [x3, x], f"{name}/x3", name=f"{name}/cube")
        t = g.node("Mul", [x3, c("k", 0.044715)], f"{name}/kx3", name=f"{name}/mulk")
        t = g.node("Add", [x, t], f"{name}/inner", name=f"{name}/addx")
        t = g.node("Mul", [t, c("s", np.sqrt(2 / np.pi))], f"{name}/scaled", name=f"{name}/scale")
        t = g.node("Tanh", [t], f"{name}/tanh", name=f"{name}/tanh")
    t = g.node("Add", [t, c("one", 1.0)], f"{name}/plus1", name=f"{name}/add1")
    t = g.node("Mul", [t, c("half", 0.5)], f"{name}/halved", name=f"{name}/mulhalf")
    return g.node("Mul", [x, t], name, name=name)


def _swish(ctx: EmitContext) -> str:
    g, name, xs = ctx.g, ctx.name, ctx.xs
    s = g.node("Sigmoid", [xs[0]], f"{name}/sigmoid", name=f"{name}/sigmoid")
    return g.node("Mul", [xs[0], s], name, name=name)


def _prelu(ctx: EmitContext) -> str:
    g, name, xs, m = ctx.g, ctx.name, ctx.xs, ctx.m
    return g.node("PRelu", [xs[0], g.param(name, m, "Alpha")], name, name=name)


def _dropout(ctx: EmitContext) -> str:
    # opset 12+: ratio is an input; without training_mode the node is the identity at inference
    g, layer, name, xs = ctx.g, ctx.layer, ctx.name, ctx.xs
    ratio = g.const(f"{name}/ratio", np.float32(layer.Probability))
    return g.node("Dropout", [xs[0], ratio], name, name=name)


def _multiply(ctx: EmitContext) -> str:
    g, name, xs = ctx.g, ctx.name, ctx.xs
    y = xs[0]
    for i, x in enumerate(xs[1:], start=2):
        y = g.node("Mul", [y, x], name if i == len(xs) else f"{name}/mul{i}",
                   name=name if i == len(xs) else f"{name}/mul{i}")
    return y


def _concat(ctx: EmitContext) -> str:
    g, layer, name, xs, ins = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins
    return g.node("Concat", xs, name, name=name, axis=torch_axis(ins[0].batch_fmt, layer.Dim))


def _depthcat(ctx: EmitContext) -> str:
    g, name, xs = ctx.g, ctx.name, ctx.xs
    return g.node("Concat", xs, name, name=name, axis=1)


def _add(ctx: EmitContext) -> str:
    g, name, xs = ctx.g, ctx.name, ctx.xs
    return g.node("Add" if len(xs) == 2 else "Sum", xs, name, name=name)


def _flatten(ctx: EmitContext) -> str:
    g, name, xs, ins = ctx.g, ctx.name, ctx.xs, ctx.ins
    return flatten_matlab(g, name, xs[0], ins[0], out=name)


def _function(ctx: EmitContext) -> str:
    g, layer, name, xs, out = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.out
    fcn = layer.PredictFcn if isinstance(layer.PredictFcn, str) else ""
    if fcn in ("log", "plus", "times") and len(xs) == 1:  # element-wise functions (layers/functions.py)
        if fcn == "log":
            return g.node("Log", xs, name, name=name)
        c = g.const(f"{name}/constant", np.float32(layer.Arguments[0]))
        return g.node("Add" if fcn == "plus" else "Mul", [xs[0], c], name, name=name)
    if fcn != "feature2image" or len(xs) != 1:
        raise ONNXExportError(f"layer '{name}': functionLayer calling '{layer.PredictFcn}' has no ONNX form "
                              "(only feature2image, log, plus and times are known)")
    return unflatten_matlab(g, name, xs[0], (out.size[0], out.size[1], out.size[2]))

EMITTERS: dict[type, Emit] = {
    ImageInputLayer: _input, FeatureInputLayer: _input, SequenceInputLayer: _input,
    FullyConnectedLayer: _fc, ProjectAndReshapeLayer: _project, EmbeddingLayer: _embedding,
    BatchNormalizationLayer: _batchnorm, LayerNormalizationLayer: _layernorm,
    InstanceNormalizationLayer: _instancenorm, GroupNormalizationLayer: _groupnorm,
    ClippedReLULayer: _clipped, GELULayer: _gelu, SwishLayer: _swish, PReLULayer: _prelu, DropoutLayer: _dropout,
    MultiplicationLayer: _multiply, ConcatenationLayer: _concat, DepthConcatenationLayer: _depthcat,
    AdditionLayer: _add, FlattenLayer: _flatten, FunctionLayer: _function,
}
