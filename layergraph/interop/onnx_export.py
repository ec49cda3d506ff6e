"""exportONNXNetwork: write a compiled network as an ONNX model with explicit pads and a dynamic batch.

The ONNX graph is written layer by layer from the LayerGraph (not traced), so every layer keeps its MATLAB
name: graph inputs and outputs are the input/output layer names, a layer's main node and its output value
carry the layer's name, helper nodes are named 'layer/role' and initializers 'layer/Parameter' (the keys
of `net.tensors()`). Padding and cropping are always explicit `pads` (never `auto_pad`), so MATLAB's
uneven 'same' rule (extra row/column at the bottom/right) survives in every runtime.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.errors import SpecError
from layergraph.formats import torch_axis
from layergraph.graph.layergraph import LayerGraph
from layergraph.interop.onnx_sequence import sequence_emitters
from layergraph.layers.activation import ClippedReLULayer, DropoutLayer, GELULayer, SwishLayer
from layergraph.layers.base import Layer
from layergraph.layers.conv import Convolution2DLayer, TransposedConv2DLayer, conv_padding, tconv_cropping
from layergraph.layers.conv1d import Convolution1DLayer, TransposedConv1DLayer
from layergraph.layers.dense import EmbeddingLayer, FullyConnectedLayer, ProjectAndReshapeLayer
from layergraph.layers.depthspace import DepthToSpace2DLayer, SpaceToDepthLayer
from layergraph.layers.grouped import GroupedConvolution2DLayer
from layergraph.layers.inputs import FeatureInputLayer, ImageInputLayer, SequenceInputLayer
from layergraph.layers.merge import AdditionLayer, ConcatenationLayer, DepthConcatenationLayer, MultiplicationLayer
from layergraph.layers.norm import (
    BatchNormalizationLayer,
    GroupNormalizationLayer,
    InstanceNormalizationLayer,
    LayerNormalizationLayer,
)
from layergraph.layers.pooling import AveragePooling2DLayer, MaxPooling2DLayer
from layergraph.layers.pooling1d import (
    AveragePooling1DLayer,
    GlobalAveragePooling1DLayer,
    GlobalMaxPooling1DLayer,
    MaxPooling1DLayer,
)
from layergraph.layers.prelu import PReLULayer
from layergraph.layers.recurrent import ONNX_GATE_ORDER, BiLSTMLayer, GRULayer, LSTMLayer
from layergraph.layers.reshape import Crop2DLayer, FlattenLayer, FunctionLayer, Resize2DLayer
from layergraph.namevalue import name_value
from layergraph.safety.outputs import write_bytes_atomic
from layergraph.sizes import Act

DEFAULT_OPSET = 13  # widely read (onnxruntime, MATLAB's importers); 13 is the first with one-axis Softmax
MIN_OPSET = 13
BATCH_DIM = "N"


class ONNXExportError(SpecError):
    """The network has a layer or option that cannot be written as ONNX (exit code 2)."""


def require_onnx() -> Any:
    """The `onnx` module, or a one-line error saying how to install it."""
    try:
        import onnx
    except ImportError:  # pragma: no cover - onnx is an optional dependency
        raise ONNXExportError("ONNX support needs the 'onnx' package: pip install 'layergraph[onnx]'") from None
    return onnx


class _Builder:
    """Collects nodes and initializers; every name it hands out is unique in the graph."""

    def __init__(self, onnx: Any, opset: int) -> None:
        self.onnx, self.opset = onnx, opset
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, value: Any, dtype: Any = np.float32) -> str:
        """Add an initializer (float32 unless told) and return its name."""
        if isinstance(value, torch.Tensor):
            value = value.detach().to("cpu", torch.float32).numpy()  # bf16/fp16/GPU networks too
        arr = np.array(value, dtype=dtype, order="C")  # (ascontiguousarray would make scalars 1-D)
        self.inits.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def param(self, name: str, module: nn.Module, pname: str) -> str:
        """A learnable/state tensor of a compiled layer, in torch layout, as initializer 'layer/Param'."""
        return self.const(f"{name}/{pname}", getattr(module, pname))

    def node(self, op: str, inputs: list[str], output: str, name: str, **attrs: Any) -> str:
        """Add one node with one output and return the output's name."""
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=name, **attrs))
        return output

    def ints(self, name: str, values: list[int]) -> str:
        return self.const(name, values, np.int64)


Emit = Callable[[_Builder, Layer, str, list[str], list[Act], Act, nn.Module], str]


# ----- layers that reorder elements: MATLAB flattens and reshapes column-major ------------------------------
def _flatten_matlab(g: _Builder, name: str, x: str, act: Act, out: str | None = None) -> str:
    """Image → features in MATLAB's order (h fastest, then w, then c): transpose H/W, then row-major Flatten."""
    if not act.is_image:
        return x if out is None else g.node("Identity", [x], out, name=name)
    h, w = (*act.spatial, 1)[:2]
    if h > 1 and w > 1:  # with a singleton H or W both orders agree: skip the transpose
        x = g.node("Transpose", [x], f"{name}/transpose", name=f"{name}/transpose", perm=[0, 1, 3, 2])
    out = out or f"{name}/flatten"
    return g.node("Flatten", [x], out, name=name if out == name else f"{name}/flatten", axis=1)


def _unflatten_matlab(g: _Builder, name: str, x: str, size: tuple[int, int, int]) -> str:
    """Features → H×W×C image column-major (MATLAB's reshape): Reshape to N×C×W×H, then swap W and H."""
    h, w, c = size
    if h == 1 or w == 1:  # the two orders agree
        return g.node("Reshape", [x, g.ints(f"{name}/shape", [0, c, h, w])], name, name=name)
    y = g.node("Reshape", [x, g.ints(f"{name}/shape", [0, c, w, h])], f"{name}/reshape", name=f"{name}/reshape")
    return g.node("Transpose", [y], name, name=name, perm=[0, 1, 3, 2])


# ----- one function per layer type ---------------------------------------------------------------------------
def _input(g: _Builder, layer: Layer, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    if isinstance(m, nn.Identity):
        return xs[0]
    # MATLAB's input normalization: (x − shift)·scale with per-channel constants
    y = g.node("Sub", [xs[0], g.const(f"{name}/Shift", m.shift.cpu())], f"{name}/centered", name=f"{name}/sub")
    return g.node("Mul", [y, g.const(f"{name}/ScaleFactor", m.scale.cpu())], f"{name}/normalized", name=name)


def _pad_value(g: _Builder, name: str, x: str, value: float | str, begin: list[int], end: list[int]) -> str:
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


def _conv(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    t, b, left, r = conv_padding(ins[0].spatial, layer.FilterSize, layer.Stride, layer.DilationFactor,
                                 layer.Padding)
    x = xs[0]
    if layer.PaddingValue != 0 and any((t, b, left, r)):
        x, (t, b, left, r) = _pad_value(g, name, x, layer.PaddingValue, [t, left], [b, r]), (0, 0, 0, 0)
    return g.node("Conv", [x, g.param(name, m, "Weights"), g.param(name, m, "Bias")], name, name=name,
                  kernel_shape=list(layer.FilterSize), strides=list(layer.Stride),
                  dilations=list(layer.DilationFactor), pads=[t, left, b, r])


def _tconv(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
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


def _conv1d(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    left, right = layer.pads(ins[0])  # 'same' with a stride > 1 follows the analysed length
    x = xs[0]
    if layer.PaddingValue != 0 and (left or right):
        x, left, right = _pad_value(g, name, x, layer.PaddingValue, [left], [right]), 0, 0
    return g.node("Conv", [x, g.param(name, m, "Weights"), g.param(name, m, "Bias")], name, name=name,
                  kernel_shape=[layer.FilterSize], strides=[layer.Stride], dilations=[layer.DilationFactor],
                  pads=[left, right])


def _tconv1d(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    left, right = layer.crops()
    grow = max(-right, 0)  # 'same' with FilterSize < Stride: MATLAB pads the end up to Stride·length
    y = name if not grow else f"{name}/convtranspose"
    y = g.node("ConvTranspose", [xs[0], g.param(name, m, "Weights"), g.param(name, m, "Bias")], y,
               name=name if y == name else f"{name}/convtranspose", kernel_shape=[layer.FilterSize],
               strides=[layer.Stride], pads=[max(left, 0), max(right, 0)])
    if grow:
        y = g.node("Pad", [y, g.ints(f"{name}/pads", [0, 0, 0, 0, 0, grow])], name, name=name, mode="constant")
    return y


def _gemm(g: _Builder, name: str, x: str, m: nn.Module, out: str) -> str:
    return g.node("Gemm", [x, g.param(name, m, "Weights"), g.param(name, m, "Bias")], out,
                  name=name if out == name else f"{name}/gemm", transB=1)


def _fc(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    if "T" in ins[0].fmt:  # sequences: the same W·x + b at every time step (B×C×T → B×T×C → MatMul)
        x = g.node("Transpose", [xs[0]], f"{name}/ntc", name=f"{name}/transpose_in", perm=[0, 2, 1])
        w = g.const(f"{name}/WeightsT", m.Weights.detach().t())
        y = g.node("MatMul", [x, w], f"{name}/matmul", name=f"{name}/matmul")
        y = g.node("Add", [y, g.param(name, m, "Bias")], f"{name}/add", name=f"{name}/add")
        return g.node("Transpose", [y], name, name=name, perm=[0, 2, 1])
    # image input is flattened column-major; MATLAB's dlnetwork gives "CB" output
    return _gemm(g, name, _flatten_matlab(g, name, xs[0], ins[0]), m, name)


def _project(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    x = _flatten_matlab(g, name, xs[0], ins[0])
    return _unflatten_matlab(g, name, _gemm(g, name, x, m, f"{name}/gemm"), tuple(layer.OutputSize))


def _embedding(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    # the input holds a 1-based class index as a float; Cast truncates towards zero like torch's .long()
    v = g.node("Reshape", [xs[0], g.ints(f"{name}/shape", [-1])], f"{name}/flat", name=f"{name}/reshape")
    v = g.node("Cast", [v], f"{name}/index", name=f"{name}/cast", to=g.onnx.TensorProto.INT64)
    v = g.node("Sub", [v, g.const(f"{name}/one", 1, np.int64)], f"{name}/index0", name=f"{name}/sub")
    return g.node("Gather", [g.param(name, m, "Weights"), v], name, name=name, axis=0)


def _batchnorm(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    args = [g.param(name, m, p) for p in ("Scale", "Offset", "TrainedMean", "TrainedVariance")]
    return g.node("BatchNormalization", [xs[0], *args], name, name=name, epsilon=float(layer.Epsilon))


def _layernorm(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
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


def _instancenorm(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act,
                  m: nn.Module) -> str:
    return g.node("InstanceNormalization", [xs[0], g.param(name, m, "Scale"), g.param(name, m, "Offset")], name,
                  name=name, epsilon=float(layer.Epsilon))


def _groupnorm(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
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


def _clipped(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    return g.node("Clip", [xs[0], g.const(f"{name}/min", np.float32(0)),
                           g.const(f"{name}/max", np.float32(layer.Ceiling))], name, name=name)


def _gelu(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
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


def _swish(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    s = g.node("Sigmoid", [xs[0]], f"{name}/sigmoid", name=f"{name}/sigmoid")
    return g.node("Mul", [xs[0], s], name, name=name)


def _multiply(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    y = xs[0]
    for i, x in enumerate(xs[1:], start=2):
        y = g.node("Mul", [y, x], name if i == len(xs) else f"{name}/mul{i}",
                   name=name if i == len(xs) else f"{name}/mul{i}")
    return y


def _crop(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    top, left, h, w = layer.window(ins)
    return g.node("Slice", [xs[0], g.ints(f"{name}/starts", [top, left]), g.ints(f"{name}/ends", [top + h, left + w]),
                            g.ints(f"{name}/axes", [2, 3])], name, name=name)


def _one_node(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    """A layer declared as one ONNX node (`onnx = onnx_op(...)` on its class)."""
    form = layer.onnx
    attrs = {k: (float(v) if isinstance(v, float) else v) for k, v in form.attributes(layer).items()}
    return g.node(form.op, xs, name, name=name, **attrs)


def _dropout(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    # opset 12+: ratio is an input; without training_mode the node is the identity at inference
    ratio = g.const(f"{name}/ratio", np.float32(layer.Probability))
    return g.node("Dropout", [xs[0], ratio], name, name=name)


def _concat(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    return g.node("Concat", xs, name, name=name, axis=torch_axis(ins[0].batch_fmt, layer.Dim))


def _depthcat(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    return g.node("Concat", xs, name, name=name, axis=1)


def _add(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    return g.node("Add" if len(xs) == 2 else "Sum", xs, name, name=name)


def _flatten(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    return _flatten_matlab(g, name, xs[0], ins[0], out=name)


def _pool(op: str) -> Emit:
    def emit(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
        t, b, left, r = conv_padding(ins[0].spatial, layer.PoolSize, layer.Stride, (1, 1), layer.Padding)
        extra = {"count_include_pad": 1} if op == "AveragePool" else {}  # MATLAB averages padded zeros too
        return g.node(op, xs, name, name=name, kernel_shape=list(layer.PoolSize), strides=list(layer.Stride),
                      pads=[t, left, b, r], **extra)

    return emit


def _resize(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
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


def _function(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    fcn = layer.PredictFcn if isinstance(layer.PredictFcn, str) else ""
    if fcn in ("log", "plus", "times") and len(xs) == 1:  # element-wise functions (layers/functions.py)
        if fcn == "log":
            return g.node("Log", xs, name, name=name)
        c = g.const(f"{name}/constant", np.float32(layer.Arguments[0]))
        return g.node("Add" if fcn == "plus" else "Mul", [xs[0], c], name, name=name)
    if fcn != "feature2image" or len(xs) != 1:
        raise ONNXExportError(f"layer '{name}': functionLayer calling '{layer.PredictFcn}' has no ONNX form "
                              "(only feature2image, log, plus and times are known)")
    return _unflatten_matlab(g, name, xs[0], (out.size[0], out.size[1], out.size[2]))


# ----- 1-D pooling, grouped convolution, PReLU, depth/space (issue 23) -------------------------------------------
def _pool1d(op: str) -> Emit:
    def emit(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
        left, right = layer.pads(ins[0])  # 'same' follows the analysed length, as convolution1dLayer
        extra = {}
        if op == "AveragePool":  # PaddingValue 0 averages padded zeros; 'mean' leaves them out
            extra = {"count_include_pad": int(layer.PaddingValue != "mean")}
        return g.node(op, xs, name, name=name, kernel_shape=[layer.PoolSize], strides=[layer.Stride],
                      pads=[left, right], **extra)

    return emit


def _global_pool1d(op: str) -> Emit:
    def emit(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
        if ins[0].fmt == "SC":  # "SCB" keeps its S dimension (of size 1)
            return g.node(op, xs, name, name=name)
        y = g.node(op, xs, f"{name}/pooled", name=f"{name}/pool")  # N×C×1: "CBT" loses T, giving "CB"
        return g.node("Flatten", [y], name, name=name, axis=1)

    return emit


def _grouped_conv(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    t, b, left, r = layer.pads(ins[0])
    x = xs[0]
    if layer.PaddingValue != 0 and any((t, b, left, r)):
        x, (t, b, left, r) = _pad_value(g, name, x, layer.PaddingValue, [t, left], [b, r]), (0, 0, 0, 0)
    w = g.const(f"{name}/Weights", m.Weights.detach().reshape(-1, *m.Weights.shape[2:]))
    bias = g.const(f"{name}/Bias", m.Bias.detach().reshape(-1))
    return g.node("Conv", [x, w, bias], name, name=name, kernel_shape=list(layer.FilterSize),
                  strides=list(layer.Stride), dilations=list(layer.DilationFactor), pads=[t, left, b, r],
                  group=layer.groups(ins[0]))


def _prelu(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    return g.node("PRelu", [xs[0], g.param(name, m, "Alpha")], name, name=name)


def _depth_to_space(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act,
                    m: nn.Module) -> str:
    bh, bw = layer.BlockSize
    if bh != bw:
        raise ONNXExportError(f"layer '{name}': ONNX DepthToSpace has square blocks only; BlockSize is [{bh} {bw}]")
    return g.node("DepthToSpace", xs, name, name=name, blocksize=bh, mode=layer.Mode.upper())


def _space_to_depth(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act,
                    m: nn.Module) -> str:
    bh, bw = layer.BlockSize
    if bh != bw:
        raise ONNXExportError(f"layer '{name}': ONNX SpaceToDepth has square blocks only; BlockSize is [{bh} {bw}]")
    x = xs[0]
    h, w = ins[0].spatial
    if h % bh or w % bw:  # MATLAB drops the rows and columns that fill no whole block; ONNX needs them gone
        x = g.node("Slice", [x, g.ints(f"{name}/starts", [0, 0]), g.ints(f"{name}/ends", [h - h % bh, w - w % bw]),
                             g.ints(f"{name}/axes", [2, 3])], f"{name}/cropped", name=f"{name}/slice")
    return g.node("SpaceToDepth", [x], name, name=name, blocksize=bh)


# ----- recurrent layers: ONNX's LSTM (gates i o f c) and GRU (z r h) from MATLAB's orders (i f g o; r z h) ---------
_ONNX_ACTIVATION = {"sigmoid": "Sigmoid", "hard-sigmoid": "HardSigmoid", "tanh": "Tanh", "softsign": "Softsign",
                    "relu": "Relu"}


def _recurrent(g: _Builder, layer: Any, name: str, xs: list[str], ins: list[Act], out: Act, m: nn.Module) -> str:
    """lstmLayer/bilstmLayer as ONNX LSTM, gruLayer as GRU (linear_before_reset = 1 unless the reset gate acts
    before the multiplication); "CBT" in, time-major for ONNX, and back to N×C×T or the last step's N×C."""
    if layer.HasStateInputs or layer.HasStateOutputs:
        raise ONNXExportError(f"layer '{name}': {layer.type} with state inputs or outputs has no ONNX form in "
                              "layergraph")
    states = [getattr(m, s).detach() for s in m.state_names]
    if any(s.shape[1] != 1 for s in states):
        raise ONNXExportError(f"layer '{name}': its HiddenState/CellState holds the states of {states[0].shape[1]} "
                              "observations (left by net.State = state); net = resetState(net) before exporting")
    d, h, gates = layer.directions, layer.NumHiddenUnits, layer.gates
    order = ONNX_GATE_ORDER[layer.kind]

    def onnx_rows(a: torch.Tensor) -> np.ndarray:  # (d·G·h)×k MATLAB rows → d × (G·h) × k in ONNX's gate order
        arr = a.detach().cpu().float().numpy().reshape(d, gates, h, -1)[:, order]
        return arr.reshape(d, gates * h, -1)

    bias = m.Bias.detach().reshape(-1, 1)
    rows = d * gates * h
    wb = onnx_rows(bias[:rows])[..., 0]
    rb = onnx_rows(bias[rows:])[..., 0] if m.recurrent_bias else np.zeros_like(wb)
    x = xs[0]
    if ins[0].time is None:  # "CB" data: one time step
        x = g.node("Unsqueeze", [x, g.ints(f"{name}/axes", [0])], f"{name}/tnc", name=f"{name}/unsqueeze")
    else:
        x = g.node("Transpose", [x], f"{name}/tnc", name=f"{name}/transpose_in", perm=[2, 0, 1])
    weights = [g.const(f"{name}/W", onnx_rows(m.InputWeights)), g.const(f"{name}/R", onnx_rows(m.RecurrentWeights)),
               g.const(f"{name}/B", np.concatenate([wb, rb], 1))]
    if any(bool(s.abs().max() > 0) for s in states):  # initial states (the layer's options): D×1×H spread to D×N×H
        n = g.node("Gather", [g.node("Shape", [xs[0]], f"{name}/input_shape", name=f"{name}/shape"),
                              g.ints(f"{name}/batch_axis", [0])], f"{name}/batch", name=f"{name}/batch")
        size = g.node("Concat", [g.ints(f"{name}/d", [d]), n, g.ints(f"{name}/h", [h])], f"{name}/state_size",
                      name=f"{name}/state_size", axis=0)
        weights.append("")  # no sequence_lens
        for s, label in zip(states, ("initial_h", "initial_c")):
            one = g.const(f"{name}/{label}_one", s.cpu().float().numpy().reshape(d, 1, h))
            weights.append(g.node("Expand", [one, size], f"{name}/{label}", name=f"{name}/{label}"))
    fns = [layer.GateActivationFunction] + [layer.StateActivationFunction] * (2 if layer.kind == "lstm" else 1)
    attrs: dict[str, Any] = {"hidden_size": h, "direction": "bidirectional" if d == 2 else "forward"}
    if fns[0] != "sigmoid" or fns[1] != "tanh":
        attrs["activations"] = [_ONNX_ACTIVATION[f] for f in fns] * d
        hard = [f for f in fns * d if f == "hard-sigmoid"]
        if hard:  # MATLAB's hard sigmoid is ONNX's: max(0, min(1, 0.2·x + 0.5))
            attrs["activation_alpha"], attrs["activation_beta"] = [0.2] * len(hard), [0.5] * len(hard)
    if layer.kind == "gru":
        attrs["linear_before_reset"] = int(layer.ResetGateMode != "before-multiplication")
    y = g.node("LSTM" if layer.kind == "lstm" else "GRU", [x, *weights], f"{name}/Y", name=f"{name}/rnn", **attrs)
    if out.time is not None:  # Y: T×D×N×H → N×(D·H)×T
        y = g.node("Transpose", [y], f"{name}/ndht", name=f"{name}/transpose_out", perm=[2, 1, 3, 0])
        return g.node("Reshape", [y, g.ints(f"{name}/shape", [0, d * h, -1])], name, name=name)
    # the last time step of the output sequence (MATLAB's OutputMode "last"; for bilstm not ONNX's Y_h)
    y = g.node("Gather", [y, g.const(f"{name}/last", -1, np.int64)], f"{name}/last_step", name=f"{name}/gather",
               axis=0)
    y = g.node("Transpose", [y], f"{name}/ndh", name=f"{name}/transpose_out", perm=[1, 0, 2])
    return g.node("Reshape", [y, g.ints(f"{name}/shape", [0, d * h])], name, name=name)


# layers whose ONNX form takes more than one node with attributes from options (`onnx_emitter()` on the class)
EMITTERS: dict[type[Layer], Emit] = {
    ImageInputLayer: _input, FeatureInputLayer: _input,
    Convolution2DLayer: _conv, TransposedConv2DLayer: _tconv,
    FullyConnectedLayer: _fc, ProjectAndReshapeLayer: _project, EmbeddingLayer: _embedding,
    BatchNormalizationLayer: _batchnorm, LayerNormalizationLayer: _layernorm, DropoutLayer: _dropout,
    ConcatenationLayer: _concat, DepthConcatenationLayer: _depthcat, AdditionLayer: _add, FlattenLayer: _flatten,
    MaxPooling2DLayer: _pool("MaxPool"), AveragePooling2DLayer: _pool("AveragePool"), Resize2DLayer: _resize,
    FunctionLayer: _function, SequenceInputLayer: _input, Convolution1DLayer: _conv1d,
    TransposedConv1DLayer: _tconv1d, InstanceNormalizationLayer: _instancenorm, GroupNormalizationLayer: _groupnorm,
    ClippedReLULayer: _clipped, GELULayer: _gelu, SwishLayer: _swish, MultiplicationLayer: _multiply,
    Crop2DLayer: _crop,
}
EMITTERS.update({  # issue 23
    MaxPooling1DLayer: _pool1d("MaxPool"), AveragePooling1DLayer: _pool1d("AveragePool"),
    GlobalAveragePooling1DLayer: _global_pool1d("GlobalAveragePool"),
    GlobalMaxPooling1DLayer: _global_pool1d("GlobalMaxPool"), GroupedConvolution2DLayer: _grouped_conv,
    PReLULayer: _prelu, DepthToSpace2DLayer: _depth_to_space, SpaceToDepthLayer: _space_to_depth,
})
EMITTERS.update({LSTMLayer: _recurrent, BiLSTMLayer: _recurrent, GRULayer: _recurrent})
EMITTERS.update(sequence_emitters(ONNXExportError))  # attention and position layers (interop/onnx_sequence.py)


def emitter(layer: Layer, name: str) -> Emit:
    """How to write `layer`: its EMITTERS entry, else the one node its class declares; an error naming the
    layer when it has no ONNX form."""
    emit = EMITTERS.get(type(layer))
    if emit is not None:
        return emit
    form = type(layer).onnx
    if form is not None and form.op:
        return _one_node
    reason = f": {form.missing}" if form is not None and form.missing else ""
    raise ONNXExportError(f"layer '{name}': {layer.type} has no ONNX form in layergraph{reason}")


# ----- the model -----------------------------------------------------------------------------------------------
def as_network(net: Any) -> dlnetwork:
    """A dlnetwork from a dlnetwork, LayerGraph or layer array (new ones get MATLAB's default initialization)."""
    if isinstance(net, dlnetwork):
        return net
    if isinstance(net, (LayerGraph, Layer, list, tuple)):
        return dlnetwork(net)
    raise ONNXExportError(f"exportONNXNetwork: expected a dlnetwork or LayerGraph, got {type(net).__name__}")


def onnx_model(net: Any, NetworkName: str = "Network", OpsetVersion: int = DEFAULT_OPSET,
               BatchSize: int | None = None) -> Any:
    """The ONNX ModelProto of a network (see exportONNXNetwork for the options)."""
    onnx = require_onnx()
    net = as_network(net)
    opset = _check_opset(OpsetVersion)
    if BatchSize is not None and (isinstance(BatchSize, bool) or int(BatchSize) != BatchSize or BatchSize < 1):
        raise ONNXExportError(f"exportONNXNetwork: BatchSize must be a positive integer, got {BatchSize!r}")
    batch: int | str = BATCH_DIM if BatchSize is None else int(BatchSize)
    lgraph, analysis = net.layer_graph, net.analysis
    g = _Builder(onnx, opset)
    value_of: dict[str, str] = {}
    inputs = []
    for name in analysis.order:
        layer = lgraph.layer(name)
        out = analysis.outputs[name]
        if layer.is_input:
            xs = [name]
            inputs.append(_value_info(onnx, name, out, batch))
        else:
            wired = lgraph.inputs_of(name)
            xs = [value_of[wired[p]] for p in layer.input_names]
        emit = emitter(layer, name)
        value_of[name] = emit(g, layer, name, xs, analysis.inputs.get(name, []), out, net.layer_module(name))
    outputs = [_value_info(onnx, value_of[n], analysis.outputs[n], batch) for n in net.OutputNames]
    graph = onnx.helper.make_graph(g.nodes, str(NetworkName), inputs, outputs, initializer=g.inits)
    opsets = [onnx.helper.make_opsetid("", opset)]
    model = onnx.helper.make_model(graph, opset_imports=opsets, producer_name="layergraph",
                                   producer_version=_version(), doc_string=f"layergraph network {NetworkName}")
    # the oldest IR version that carries this opset, so older readers (MATLAB's included) accept the file
    model.ir_version = onnx.helper.find_min_ir_version_for(opsets)
    for name in net.InputNames:  # sequences: any length from MinLength on (the importer reads it back)
        layer = lgraph.layer(name)
        if getattr(layer, "MinLength", None) is not None:
            onnx.helper.set_model_props(model, {**{p.key: p.value for p in model.metadata_props},
                                                f"layergraph.MinLength.{name}": str(layer.MinLength)})
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as err:  # a bug here, not the user's: still one line
        raise ONNXExportError(f"the ONNX model fails onnx.checker: {str(err).splitlines()[0]}") from None
    return model


def exportONNXNetwork(net: Any, filename: str | os.PathLike[str], *args: Any, **kwargs: Any) -> Path:
    """MATLAB's exportONNXNetwork(net, filename, NetworkName=…, OpsetVersion=…, BatchSize=…): write an ONNX file.

    `net` is a dlnetwork (its current learnables and batch-norm statistics are written) or a LayerGraph
    (compiled with default initialization). Options may be 'Name', value pairs or keywords, any case.
    BatchSize=None (the default) leaves the batch dimension dynamic ('N').
    """
    options = name_value("exportONNXNetwork", args, kwargs, ("NetworkName", "OpsetVersion", "BatchSize"),
                         error=ONNXExportError)
    model = onnx_model(net, **options)
    path = Path(filename)
    try:
        data = model.SerializeToString()
    except ValueError as err:  # protobuf's 2 GB limit
        raise ONNXExportError(f"{path}: the model is too large for one ONNX file ({err})") from None
    try:
        write_bytes_atomic(path, data)  # never leave a half-written model behind
    except OSError as err:
        raise ONNXExportError(f"{path}: cannot write the ONNX file ({err.strerror or err})") from None
    return path


# ----- helpers ----------------------------------------------------------------------------------------------
def _check_opset(opset: Any) -> int:
    onnx = require_onnx()
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or not MIN_OPSET <= opset <= newest:
        raise ONNXExportError(f"exportONNXNetwork: OpsetVersion must be an integer from {MIN_OPSET} to {newest}, "
                              f"got {opset!r}")
    return int(opset)


def _value_info(onnx: Any, name: str, act: Act, batch: int | str) -> Any:
    shape: list[int | str] = [batch, *act.torch_shape(1)[1:]]
    if act.time is not None:  # sequences: any length (the last torch axis)
        shape[-1] = "T"
    return onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, shape)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("layergraph")
    except Exception:  # metadata missing in a source checkout: the name is enough
        return ""
