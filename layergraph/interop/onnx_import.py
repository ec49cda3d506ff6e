"""importONNXNetwork: turn an ONNX graph of layer-like operators into a LayerGraph plus weights.

ONNX tensors are row-major NCHW; layergraph flattens and reshapes column-major like MATLAB. Rather than
matching fixed node patterns, the importer follows each ONNX value as *elements of a layer's output*: a
`_Val` is (layer, idx) where `idx` has the ONNX per-sample shape and holds flat (torch-layout) element
numbers of the layer's output. Transpose/Reshape/Flatten/Squeeze/Unsqueeze only rearrange `idx`; no layer
is made until an operator needs its input in a form a layer can give:

* a fully connected layer takes any element order: its weight columns are permuted instead;
* an image input is made with MATLAB's feature2image (column-major) when the order fits, otherwise the
  rows of the fully connected layer that produced the features are permuted so that it does;
* features from an image are made with flattenLayer (column-major).

Shape arithmetic (Shape → Gather → Concat → Reshape) is folded to constants with onnx's reference
evaluator; the batch size is carried through it as the stand-in `_BATCH`.
"""
from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from layergraph.errors import LayergraphError, SpecError
from layergraph.graph.layergraph import LayerGraph
from layergraph.layers import (
    additionLayer,
    averagePooling2dLayer,
    batchNormalizationLayer,
    concatenationLayer,
    convolution2dLayer,
    dropoutLayer,
    embeddingLayer,
    featureInputLayer,
    flattenLayer,
    fullyConnectedLayer,
    functionLayer,
    globalAveragePooling2dLayer,
    imageInputLayer,
    layerNormalizationLayer,
    leakyReluLayer,
    maxPooling2dLayer,
    projectAndReshapeLayer,
    reluLayer,
    resize2dLayer,
    sigmoidLayer,
    softmaxLayer,
    tanhLayer,
    transposedConv2dLayer,
)
from layergraph.layers.base import Layer, same_total
from layergraph.layers.conv import conv_padding, tconv_cropping
from layergraph.sizes import Act

_BATCH = 1_000_000_007  # the batch size inside folded shape computations
_ELEMENTWISE = ("reluLayer", "leakyReluLayer", "tanhLayer", "sigmoidLayer", "dropoutLayer")
_PARAMS = {  # torch-layout parameters each imported layer type carries, as in net.tensors()
    "convolution2dLayer": ("Weights", "Bias"), "transposedConv2dLayer": ("Weights", "Bias"),
    "fullyConnectedLayer": ("Weights", "Bias"), "projectAndReshapeLayer": ("Weights", "Bias"),
    "embeddingLayer": ("Weights",), "layerNormalizationLayer": ("Offset", "Scale"),
    "batchNormalizationLayer": ("Offset", "Scale", "TrainedMean", "TrainedVariance"),
}


class ONNXImportError(SpecError):
    """The file is not a readable ONNX model, or an operator has no layergraph layer (exit code 2)."""


@dataclass
class _Node:
    """One layer of the result: unnamed layer, input node ids (port order), name hint, size, parameters."""

    layer: Layer
    inputs: list[int]
    hint: tuple[int, str] | None  # (priority: 0 graph output, 1 node name, 2 scope; the name)
    act: Act
    params: dict[str, np.ndarray] = field(default_factory=dict)
    norm: tuple[np.ndarray, np.ndarray] | None = None  # input layers: (shift, scale) folded from Sub/Mul/Div

    @property
    def tshape(self) -> tuple[int, ...]:
        return self.act.torch_shape(1)[1:]

    @property
    def numel(self) -> int:
        return self.act.numel


@dataclass
class _Val:
    """An ONNX activation: elements of node `base`'s output; `idx` None means exactly that output."""

    base: int
    idx: np.ndarray | None
    hint: tuple[int, str] | None


@dataclass
class _Index:
    """Integer class indices: the values of activation `val` plus `offset` (from Cast and Sub/Add)."""

    val: _Val
    offset: int


def _colmajor(shape: tuple[int, ...]) -> np.ndarray:
    """Flat element numbers of a (C,H,W) output in MATLAB's flatten order (h fastest, then w, then c)."""
    n = math.prod(shape)
    if len(shape) != 3:
        return np.arange(n)
    c, h, w = shape
    return np.arange(n).reshape(c, h, w).transpose(0, 2, 1).reshape(-1)


def _is_perm(idx: np.ndarray, n: int) -> bool:
    flat = idx.reshape(-1)
    return flat.size == n and np.array_equal(np.sort(flat), np.arange(n))


def _f32(value: Any) -> float:
    """A float attribute stored as float32, read back as the decimal it was written from (1e-05, not 9.99e-06)."""
    return float(str(np.float32(np.asarray(value).reshape(-1)[0])))


def _sanitize(name: str) -> str:
    return re.sub(r"[^\w.\-]", "_", name).strip("_")


def _hint(name: str) -> tuple[int, str] | None:
    """A layer name from an ONNX node name: 'conv1' (layergraph's own), 'conv1/role' (its helpers) or
    PyTorch's '/scope/Op' (the scope); the dynamo exporter's generated 'node_…' names give none."""
    if not name or name.startswith("node_"):
        return None
    if name.startswith("/"):
        scope = _sanitize("_".join(name.split("/")[1:-1]))
        return (2, scope) if scope else None
    base = _sanitize(name.split("/")[0])
    return ((1 if "/" not in name else 2), base) if base else None


class _Importer:
    """Walks the ONNX nodes in order, building `_Node`s; see the module docstring."""

    def __init__(self, model: Any, where: str) -> None:
        import onnx

        self.onnx, self.model, self.where = onnx, model, where
        self.graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.consts: dict[str, np.ndarray] = {
            t.name: onnx.numpy_helper.to_array(t) for t in self.graph.initializer}
        self.vals: dict[str, _Val | _Index] = {}
        self.nodes: list[_Node] = []
        self.out_degree: Counter[int] = Counter()
        self.shared: set[int] = set()  # nodes whose output reaches more than one ONNX consumer
        self.consumers: Counter[str] = Counter(i for n in self.graph.node for i in n.input if i)
        self.consumers.update(o.name for o in self.graph.output)
        self.static_batch: int | None = None
        self.onnx_node: Any = None
        self.outputs: list[int] = []

    # ----- errors --------------------------------------------------------------------------------------------
    def fail(self, msg: str) -> ONNXImportError:
        n = self.onnx_node
        if n is None:
            return ONNXImportError(f"{self.where}: {msg}")
        label = n.name or (n.output[0] if n.output else "?")
        return ONNXImportError(f"{self.where}: node '{label}' ({n.op_type}): {msg}")

    # ----- values ------------------------------------------------------------------------------------------------
    def set(self, name: str, value: _Val | _Index | np.ndarray) -> None:
        if isinstance(value, np.ndarray):
            self.consts[name] = value
            return
        if self.consumers[name] > 1:
            self.shared.add(value.base if isinstance(value, _Val) else value.val.base)
        self.vals[name] = value

    def val(self, name: str) -> _Val:
        v = self.vals.get(name)
        if isinstance(v, _Val):
            return v
        if name in self.consts:
            raise self.fail(f"input '{name}' is a constant; layergraph layers take activations here")
        raise self.fail(f"input '{name}' is not an activation this importer can follow")

    def const(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise self.fail(f"{what} '{name}' must be a constant (an initializer)")
        return self.consts[name]

    def shape(self, v: _Val) -> tuple[int, ...]:
        return self.nodes[v.base].tshape if v.idx is None else tuple(v.idx.shape)

    def index(self, v: _Val) -> np.ndarray:
        return np.arange(self.nodes[v.base].numel).reshape(self.nodes[v.base].tshape) if v.idx is None else v.idx

    def out_val(self, nid: int, onnx_shape: tuple[int, ...], hint: tuple[int, str] | None) -> _Val:
        """The ONNX value a new layer gives, when ONNX's shape of it differs from layergraph's (1×1×C vs C)."""
        node = self.nodes[nid]
        same = tuple(onnx_shape) == node.tshape
        return _Val(nid, None if same else np.arange(node.numel).reshape(onnx_shape), hint)

    # ----- layers ------------------------------------------------------------------------------------------------
    def add(self, layer: Layer, inputs: list[int], hint: tuple[int, str] | None,
            params: dict[str, np.ndarray] | None = None) -> int:
        try:
            act = layer.output_size([self.nodes[i].act for i in inputs])
        except (LayergraphError, ValueError, KeyError) as err:
            raise self.fail(f"{layer.type}: {err}") from None
        self.nodes.append(_Node(layer, inputs, hint, act, {k: np.asarray(v, np.float32) for k, v in
                                                            (params or {}).items()}))
        for i in inputs:
            self.out_degree[i] += 1
        return len(self.nodes) - 1

    def make(self, ctor: Any, *args: Any, **kwargs: Any) -> Layer:
        try:
            return ctor(*args, **kwargs)
        except LayergraphError as err:
            raise self.fail(str(err)) from None

    def image(self, v: _Val) -> int:
        """A node whose output is exactly this N×C×H×W ONNX value (feature2image when the elements move)."""
        shape = self.shape(v)
        if len(shape) != 3:
            raise self.fail(f"expects N×C×H×W input but gets per-sample shape {list(shape)}")
        base = self.nodes[v.base]
        if v.idx is None and base.act.is_image:
            return v.base
        want = self.index(v)
        c, h, w = shape
        if base.numel != want.size:
            raise self.fail(f"cannot express the reshape of {base.numel} elements to {list(shape)}")
        order = np.arange(want.size).reshape(c, w, h).transpose(0, 2, 1)  # where feature2image reads from
        if base.act.is_image and base.tshape == shape and np.array_equal(want, np.arange(want.size).reshape(shape)):
            return v.base
        if not np.array_equal(want, order):
            # features in row-major order: reorder the rows of the fully connected layer that made them
            if not _is_perm(want, base.numel) or not self.permutable(v.base):
                raise self.fail("the elements of its input are rearranged (Reshape/Transpose) in a way no "
                                "layergraph layer reproduces")
            perm = np.empty(want.size, dtype=np.int64)
            perm[order.reshape(-1)] = want.reshape(-1)
            self.permute(v.base, perm)
        layer = self.make(functionLayer, "feature2image", Arguments=[[h, w, c]])
        return self.add(layer, [v.base], v.hint)

    def features(self, v: _Val, strict: bool = True) -> int:
        """A node whose output is this N×K ONNX value; with strict=False a 1×1×K image also does."""
        shape = self.shape(v)
        if len(shape) != 1:
            raise self.fail(f"expects N×K input but gets per-sample shape {list(shape)}")
        base = self.nodes[v.base]
        idx = self.index(v).reshape(-1)
        if base.numel != idx.size:
            raise self.fail(f"cannot express the reshape of {base.numel} elements to {list(shape)}")
        in_order = np.array_equal(idx, np.arange(idx.size))
        if in_order and (not base.act.is_image or (not strict and base.act.spatial == (1, 1))):
            return v.base
        if base.act.is_image and np.array_equal(idx, _colmajor(base.tshape)):
            return self.add(self.make(flattenLayer), [v.base], v.hint)
        if not base.act.is_image and _is_perm(idx, base.numel) and self.permutable(v.base):
            self.permute(v.base, idx)
            return v.base
        raise self.fail("the elements of its input are flattened in an order no layergraph layer reproduces")

    def fc_input(self, v: _Val) -> tuple[int, np.ndarray]:
        """(node, columns) so that fullyConnectedLayer on node with W[:, columns] equals ONNX's x·Wᵀ."""
        shape = self.shape(v)
        if len(shape) != 1:
            raise self.fail(f"expects N×K input but gets per-sample shape {list(shape)}")
        base = self.nodes[v.base]
        idx = self.index(v).reshape(-1)
        if not _is_perm(idx, base.numel):
            raise self.fail("its input repeats or drops elements of the layer before it")
        where = np.argsort(idx)  # where[e]: the ONNX position holding the layer's element e
        if not base.act.is_image:
            return v.base, where
        # MATLAB flattens column-major: permute the weight columns rather than the data
        flat = self.add(self.make(flattenLayer), [v.base], v.hint)
        return flat, where[_colmajor(base.tshape)]

    def permutable(self, nid: int) -> bool:
        return self._chain(nid) is not None

    def _chain(self, nid: int) -> list[int] | None:
        """nid and the layers back to a fully connected layer whose output order can change with it."""
        chain, cur, degree = [], nid, 0
        while True:
            node = self.nodes[cur]
            if cur in self.shared or self.out_degree[cur] != degree or node.act.is_image:
                return None
            chain.append(cur)
            if node.layer.type == "fullyConnectedLayer":
                return chain
            if node.layer.type not in (*_ELEMENTWISE, "batchNormalizationLayer"):
                return None
            cur, degree = node.inputs[0], 1

    def permute(self, nid: int, perm: np.ndarray) -> None:
        """Reorder the outputs of nid (and of the layers back to its fully connected layer): out'[j] = out[perm[j]]."""
        for cur in self._chain(nid) or []:
            node = self.nodes[cur]
            node.params = {k: p[perm] for k, p in node.params.items()}

    # ----- the walk ----------------------------------------------------------------------------------------------
    def run(self) -> None:
        self.inputs()
        for node in self.graph.node:
            self.onnx_node = node
            self.convert(node)
        self.onnx_node = None
        self.finish_outputs()

    def inputs(self) -> None:
        elem = self.onnx.TensorProto
        for inp in self.graph.input:
            if inp.name in self.consts:  # old IR versions list initializers as inputs too
                continue
            tt = inp.type.tensor_type
            if not inp.type.HasField("tensor_type") or tt.elem_type not in (
                    elem.FLOAT, elem.DOUBLE, elem.FLOAT16, elem.BFLOAT16, elem.INT64, elem.INT32):
                raise self.fail(f"input '{inp.name}' is not a numeric tensor")
            dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
            if not dims or any(d is None or d < 1 for d in dims[1:]):
                shown = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tt.shape.dim]
                raise self.fail(f"input '{inp.name}' has shape {shown}; layergraph needs fixed sizes apart from "
                                "the batch: N×C×H×W images or N×K features")
            if dims[0] is not None:
                self.static_batch = dims[0]
            per = dims[1:]
            name = (0, _sanitize(inp.name) or "input")
            if len(per) == 3:
                layer = self.make(imageInputLayer, [per[1], per[2], per[0]], Normalization="none")
            elif len(per) in (0, 1):
                layer = self.make(featureInputLayer, per[0] if per else 1)
            else:
                raise self.fail(f"input '{inp.name}' has rank {len(dims)}; layergraph takes N×C×H×W or N×K")
            nid = self.add(layer, [], name)
            self.set(inp.name, self.out_val(nid, tuple(per), name))

    def convert(self, node: Any) -> None:
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            raise self.fail(f"operator {node.domain}::{op} is not a standard ONNX operator")
        ins = [i for i in node.input if i]
        if op == "Shape":
            return self.op_shape(node)
        if all(i in self.consts for i in ins) and not any(i in self.vals for i in ins):
            return self.fold(node)
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            raise self.fail(f"no layergraph layer for ONNX operator {op}")
        handler(node)
        return None

    def fold(self, node: Any) -> None:
        """Evaluate a node whose inputs are all constants (shape arithmetic, weight transposes)."""
        from onnx.reference import ReferenceEvaluator

        try:
            ev = ReferenceEvaluator(node, opsets={"": self.opset})
            outs = ev.run(None, {i: self.consts[i] for i in node.input if i})
        except Exception as err:  # the reference evaluator raises many types; report one line
            raise self.fail(f"cannot evaluate this constant expression ({type(err).__name__})") from None
        for name, value in zip(node.output, outs):
            if name:
                self.set(name, np.asarray(value))

    def attrs(self, node: Any) -> dict[str, Any]:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def unused(self, node: Any, *positions: int) -> None:
        for p in positions:
            if len(node.output) > p and node.output[p] and self.consumers[node.output[p]]:
                raise self.fail(f"its output #{p + 1} ('{node.output[p]}') is used; layergraph layers have one output")

    # ----- shape-only operators ------------------------------------------------------------------------------------
    def op_shape(self, node: Any) -> None:
        v = self.vals.get(node.input[0])
        if v is None:
            return self.fold(node)
        v = v.val if isinstance(v, _Index) else v
        full = np.array([_BATCH, *self.shape(v)], dtype=np.int64)
        a = self.attrs(node)
        self.set(node.output[0], full[a.get("start", 0): a.get("end", len(full))])
        return None

    def relayout(self, node: Any, fn: Any) -> None:
        """Apply an index rearrangement to an activation (or to the activation behind class indices)."""
        src = self.vals.get(node.input[0])
        if src is None:
            raise self.fail(f"input '{node.input[0]}' is not an activation this importer can follow")
        v = src.val if isinstance(src, _Index) else src
        try:
            idx = fn(self.index(v))
        except ValueError as err:
            raise self.fail(str(err)) from None
        hint = _hint(node.name) or v.hint
        new = _Val(v.base, idx, hint)
        self.set(node.output[0], _Index(new, src.offset) if isinstance(src, _Index) else new)

    def reshape_target(self, target: np.ndarray, per: tuple[int, ...], allowzero: bool) -> tuple[int, ...]:
        dims = [int(d) for d in np.asarray(target).reshape(-1)]
        full = [_BATCH, *per]
        dims = [full[i] if d == 0 and not allowzero and i < len(full) else d for i, d in enumerate(dims)]
        if not dims:
            raise ValueError("Reshape to a scalar drops the batch dimension")
        n = math.prod(per)
        first, rest = dims[0], dims[1:]
        if rest.count(-1) > 1 or any(d < -1 or d == _BATCH for d in rest):
            raise ValueError(f"cannot interpret Reshape target {dims}")
        known = math.prod(d for d in rest if d != -1)
        if first == -1:
            if -1 in rest or known != n:
                raise ValueError(f"Reshape target {dims} moves elements across the batch dimension")
        elif first != _BATCH and first != self.static_batch:
            raise ValueError(f"Reshape target {dims} changes the batch dimension")
        if -1 in rest:
            if known == 0 or n % known:
                raise ValueError(f"Reshape target {dims} does not fit {n} elements per sample")
            rest = [n // known if d == -1 else d for d in rest]
        if math.prod(rest) != n:
            raise ValueError(f"Reshape target {dims} does not fit {n} elements per sample")
        return tuple(rest)

    def op_Reshape(self, node: Any) -> None:
        target = self.const(node.input[1], "shape")
        allow = bool(self.attrs(node).get("allowzero", 0))
        self.relayout(node, lambda idx: idx.reshape(self.reshape_target(target, idx.shape, allow)))

    def op_Flatten(self, node: Any) -> None:
        if self.attrs(node).get("axis", 1) != 1:
            raise self.fail("only Flatten with axis=1 (keep the batch) has a layergraph layer")
        self.relayout(node, lambda idx: idx.reshape(-1))

    def axes(self, node: Any, rank: int) -> list[int] | None:
        a = self.attrs(node).get("axes")
        if a is None and len(node.input) > 1 and node.input[1]:
            a = self.const(node.input[1], "axes").reshape(-1).tolist()
        if a is None:
            return None
        out = sorted(int(x) + rank if int(x) < 0 else int(x) for x in a)
        if 0 in out:
            raise self.fail("it changes the batch dimension")
        return out

    def op_Squeeze(self, node: Any) -> None:
        v = self.vals.get(node.input[0])
        per = self.shape(v.val if isinstance(v, _Index) else v) if v is not None else ()
        axes = self.axes(node, len(per) + 1)
        if axes is None:
            axes = [i + 1 for i, d in enumerate(per) if d == 1]
        keep = tuple(d for i, d in enumerate(per) if i + 1 not in axes)
        if any(per[a - 1] != 1 for a in axes if a - 1 < len(per)):
            raise self.fail("Squeeze of a dimension that is not 1")
        self.relayout(node, lambda idx: idx.reshape(keep))

    def op_Unsqueeze(self, node: Any) -> None:
        v = self.vals.get(node.input[0])
        per = list(self.shape(v.val if isinstance(v, _Index) else v)) if v is not None else []
        n_axes = len(self.attrs(node).get("axes") or []) or (
            self.const(node.input[1], "axes").size if len(node.input) > 1 else 0)
        axes = self.axes(node, len(per) + 1 + n_axes) or []
        full = [_BATCH, *per]
        for a in axes:
            full.insert(a, 1)
        self.relayout(node, lambda idx: idx.reshape(full[1:]))

    def op_Transpose(self, node: Any) -> None:
        perm = self.attrs(node).get("perm")
        if perm is None or perm[0] != 0:
            raise self.fail("it moves the batch dimension")
        self.relayout(node, lambda idx: idx.transpose([p - 1 for p in perm[1:]]))

    def op_Identity(self, node: Any) -> None:
        self.set(node.output[0], self.vals[node.input[0]])

    def op_Cast(self, node: Any) -> None:
        src = self.vals[node.input[0]]
        to = self.attrs(node).get("to")
        elem = self.onnx.TensorProto
        if to in (elem.INT64, elem.INT32, elem.INT16, elem.INT8, elem.UINT8):
            self.set(node.output[0], src if isinstance(src, _Index) else _Index(src, 0))
        elif isinstance(src, _Index):
            raise self.fail("integer class indices turned back into numbers have no layergraph layer")
        else:
            self.set(node.output[0], src)

    # ----- element-wise layers -----------------------------------------------------------------------------------
    def unary(self, node: Any, layer: Layer) -> None:
        v = self.val(node.input[0])
        hint = _hint(node.name)
        if v.idx is not None and len(v.idx.shape) == 3:
            # an image made by reshaping features: make it here (feature2image), where the reshape was,
            # rather than after this layer; element-wise layers otherwise just follow the rearrangement
            with contextlib.suppress(ONNXImportError):  # not expressible there: stay lazy
                v = _Val(self.image(v), None, v.hint)
        self.set(node.output[0], _Val(self.add(layer, [v.base], hint), v.idx, hint))

    def op_Relu(self, node: Any) -> None:
        self.unary(node, self.make(reluLayer))

    def op_LeakyRelu(self, node: Any) -> None:
        self.unary(node, self.make(leakyReluLayer, _f32(self.attrs(node).get("alpha", 0.01))))

    def op_Tanh(self, node: Any) -> None:
        self.unary(node, self.make(tanhLayer))

    def op_Sigmoid(self, node: Any) -> None:
        self.unary(node, self.make(sigmoidLayer))

    def op_Dropout(self, node: Any) -> None:
        self.unused(node, 1)
        ratio = self.attrs(node).get("ratio", 0.5)
        if len(node.input) > 1 and node.input[1]:
            ratio = self.const(node.input[1], "ratio")
        if len(node.input) > 2 and node.input[2] and bool(self.const(node.input[2], "training_mode")):
            raise self.fail("Dropout in training mode has no inference-time layer")
        self.unary(node, self.make(dropoutLayer, _f32(ratio)))

    def op_Softmax(self, node: Any) -> None:
        v = self.val(node.input[0])
        shape = self.shape(v)
        rank = len(shape) + 1
        axis = self.attrs(node).get("axis", -1 if self.opset >= 13 else 1)
        axis = axis + rank if axis < 0 else axis
        # before opset 13 Softmax flattens from `axis` on: over channels only when nothing follows them
        channel = axis == 1 and (self.opset >= 13 or math.prod(shape[1:]) == 1)
        if not channel:
            raise self.fail(f"softmax over axis {axis} of an N×{'×'.join(map(str, shape))} input; "
                            "softmaxLayer works over channels (axis 1)")
        nid = self.image(v) if len(shape) == 3 else self.features(v, strict=False)
        hint = _hint(node.name)
        self.set(node.output[0], self.out_val(self.add(self.make(softmaxLayer), [nid], hint), shape, hint))

    # ----- arithmetic: biases, input normalization, class indices, addition ---------------------------------------
    def op_Add(self, node: Any) -> None:
        self.arith(node, "Add")

    def op_Sub(self, node: Any) -> None:
        self.arith(node, "Sub")

    def op_Mul(self, node: Any) -> None:
        self.arith(node, "Mul")

    def op_Div(self, node: Any) -> None:
        self.arith(node, "Div")

    def op_Sum(self, node: Any) -> None:
        self.addition(node, [self.val(i) for i in node.input])

    def arith(self, node: Any, op: str) -> None:
        a, b = node.input[0], node.input[1]
        if a in self.vals and b in self.vals:
            if op != "Add":
                raise self.fail(f"{op} of two activations has no layergraph layer")
            return self.addition(node, [self.val(a), self.val(b)])
        act_first = a in self.vals
        if not act_first and b not in self.vals:
            raise self.fail(f"inputs '{a}' and '{b}' are not activations this importer can follow")
        src, c = (self.vals[a], self.const(b, "operand")) if act_first else (self.vals[b], self.const(a, "operand"))
        if isinstance(src, _Index):
            if op not in ("Add", "Sub") or c.size != 1 or (op == "Sub" and not act_first):
                raise self.fail("only adding or subtracting a constant from class indices is supported")
            step = int(c.reshape(-1)[0])
            return self.set(node.output[0], _Index(src.val, src.offset + (step if op == "Add" else -step)))
        if op == "Sub" and not act_first:
            raise self.fail("constant minus activation has no layergraph layer")
        if op == "Div" and not act_first:
            raise self.fail("constant divided by activation has no layergraph layer")
        base = self.nodes[src.base]
        if base.layer.is_input and self.fold_normalization(src, c, op):
            return self.set(node.output[0], _Val(src.base, src.idx, src.hint))
        if op in ("Add", "Sub") and self.fold_bias(src, c if op == "Add" else -c):
            return self.set(node.output[0], _Val(src.base, src.idx, _hint(node.name) or src.hint))
        raise self.fail(f"{op} with a constant has no layergraph layer here (it folds only into the bias of a "
                        "fully connected or convolution layer, or into an input layer's normalization)")

    def per_channel(self, src: _Val, c: np.ndarray) -> np.ndarray | None:
        """The per-channel values of constant `c` broadcast over activation `src`, or None if they vary."""
        shape = self.shape(src)
        if src.idx is not None or not shape:
            return None
        try:
            full = np.broadcast_to(np.asarray(c, np.float64), (1, *shape))[0]
        except ValueError:
            return None
        flat = full.reshape(shape[0], -1)
        return flat[:, 0].copy() if np.all(flat == flat[:, :1]) else None

    def fold_bias(self, src: _Val, c: np.ndarray) -> bool:
        node = self.nodes[src.base]
        if node.layer.type not in ("fullyConnectedLayer", "convolution2dLayer", "transposedConv2dLayer"):
            return False
        if src.base in self.shared or self.out_degree[src.base]:
            return False
        values = self.per_channel(src, c)
        if values is None:
            return False
        node.params["Bias"] = (node.params["Bias"] + values).astype(np.float32)
        return True

    def fold_normalization(self, src: _Val, c: np.ndarray, op: str) -> bool:
        """Sub/Add/Mul/Div by per-channel constants right after a graph input: MATLAB's input normalization."""
        node = self.nodes[src.base]
        if src.base in self.shared or self.out_degree[src.base]:
            return False
        values = self.per_channel(src, c)
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

    def addition(self, node: Any, vals: list[_Val]) -> None:
        shapes = {self.shape(v) for v in vals}
        if len(shapes) != 1:
            raise self.fail(f"adds activations of different shapes {sorted(shapes)}; additionLayer needs equal ones")
        shape = shapes.pop()
        hint = _hint(node.name)
        if all(v.idx is None for v in vals) and len({self.nodes[v.base].tshape for v in vals}) == 1:
            ids = [v.base for v in vals]  # the layers' outputs themselves
        else:
            ids = [self.image(v) if len(shape) == 3 else self.features(v) for v in vals]
        nid = self.add(self.make(additionLayer, len(ids)), ids, hint)
        self.set(node.output[0], self.out_val(nid, shape, hint))

    # ----- layers with weights -----------------------------------------------------------------------------------
    def op_Gemm(self, node: Any) -> None:
        a = self.attrs(node)
        if a.get("transA", 0):
            raise self.fail("Gemm with transA=1 has no layergraph layer")
        b = self.const(node.input[1], "weight matrix B").astype(np.float64)
        w = (b if a.get("transB", 0) else b.T) * a.get("alpha", 1.0)
        bias = np.zeros(w.shape[0])
        if len(node.input) > 2 and node.input[2]:
            c = self.const(node.input[2], "bias C").astype(np.float64) * a.get("beta", 1.0)
            try:
                bias = np.broadcast_to(c, (1, w.shape[0]))[0]
            except ValueError:
                raise self.fail(f"bias of shape {list(c.shape)} is not one value per output") from None
        self.dense(node, w, bias)

    def op_MatMul(self, node: Any) -> None:
        b = self.const(node.input[1], "weight matrix")
        if b.ndim != 2:
            raise self.fail("only MatMul of N×K activations by a constant K×M matrix has a layergraph layer")
        self.dense(node, b.T.astype(np.float64), np.zeros(b.shape[1]))

    def dense(self, node: Any, w: np.ndarray, bias: np.ndarray) -> None:
        v = self.val(node.input[0])
        if self.shape(v) != (w.shape[1],):
            raise self.fail(f"expects N×{w.shape[1]} input, gets per-sample shape {list(self.shape(v))}")
        src, cols = self.fc_input(v)
        hint = _hint(node.name)
        nid = self.add(self.make(fullyConnectedLayer, int(w.shape[0])), [src], hint,
                       {"Weights": w[:, cols], "Bias": bias})
        self.set(node.output[0], _Val(nid, None, hint))

    def conv_attrs(self, node: Any, k: tuple[int, int]) -> tuple[list[int], list[int], str]:
        a = self.attrs(node)
        if a.get("group", 1) != 1:
            raise self.fail("grouped convolution has no layergraph layer")
        if "kernel_shape" in a and tuple(a["kernel_shape"]) != k:
            raise self.fail("kernel_shape disagrees with the weights")
        return list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1])), a.get("auto_pad", b"NOTSET")

    def pads(self, node: Any, spatial: tuple[int, ...], k: tuple[int, int], s: list[int], d: list[int],
             auto: Any) -> tuple[int, int, int, int]:
        """[t b l r] from ONNX pads [t l b r] or auto_pad."""
        auto = auto.decode() if isinstance(auto, bytes) else str(auto)
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            tot = [same_total(spatial[i], (k[i] - 1) * d[i] + 1, s[i]) for i in range(2)]
            lo = [t // 2 if auto == "SAME_UPPER" else t - t // 2 for t in tot]
            return lo[0], tot[0] - lo[0], lo[1], tot[1] - lo[1]
        p = list(self.attrs(node).get("pads", [0, 0, 0, 0])) if auto != "VALID" else [0, 0, 0, 0]
        if len(p) != 4:
            raise self.fail("only 2-D operators have layergraph layers")
        return p[0], p[2], p[1], p[3]

    @staticmethod
    def same_or(pads: tuple[int, int, int, int], same: tuple[int, int, int, int]) -> Any:
        """'same' when the explicit pads are what MATLAB's 'same' gives (keeps specs readable)."""
        return "same" if pads == same and any(pads) else list(pads)

    def op_Conv(self, node: Any) -> None:
        w = self.const(node.input[1], "weights")
        if w.ndim != 4:
            raise self.fail("only 2-D convolution has a layergraph layer")
        v = self.val(node.input[0])
        src = self.image(v)
        k = (int(w.shape[2]), int(w.shape[3]))
        s, d, auto = self.conv_attrs(node, k)
        spatial = self.nodes[src].act.spatial
        pads = self.pads(node, spatial, k, s, d, auto)
        bias = self.const(node.input[2], "bias") if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0])
        layer = self.make(convolution2dLayer, list(k), int(w.shape[0]), Stride=s, DilationFactor=d,
                          Padding=self.same_or(pads, conv_padding(spatial, k, tuple(s), tuple(d), "same")))
        hint = _hint(node.name)
        self.set(node.output[0], _Val(self.add(layer, [src], hint, {"Weights": w, "Bias": bias}), None, hint))

    def op_ConvTranspose(self, node: Any) -> None:
        w = self.const(node.input[1], "weights")
        if w.ndim != 4:
            raise self.fail("only 2-D transposed convolution has a layergraph layer")
        a = self.attrs(node)
        k = (int(w.shape[2]), int(w.shape[3]))
        s, d, auto = self.conv_attrs(node, k)
        if any(x != 1 for x in d):
            raise self.fail("transposedConv2dLayer has no dilation")
        src = self.image(self.val(node.input[0]))
        op = list(a.get("output_padding", [0, 0]))
        auto = auto if isinstance(auto, str) else auto.decode()
        if "output_shape" in a or auto in ("SAME_UPPER", "SAME_LOWER"):
            t, b, left, r = self.tconv_auto_pads(a, auto, self.nodes[src].act.spatial, k, s, op)
        else:
            t, b, left, r = self.pads(node, (0, 0), k, s, d, auto)
        # output_padding adds rows/columns at the end, which the end padding crops again
        b, r = b - op[0], r - op[1]
        if b < 0 or r < 0:
            raise self.fail("output_padding larger than the end padding has no layergraph layer")
        crop = (t, b, left, r)
        bias = self.const(node.input[2], "bias") if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[1])
        same = tconv_cropping(k, tuple(s), "same")
        cropping = "same" if crop == same and min(same) >= 0 and any(crop) else list(crop)
        layer = self.make(transposedConv2dLayer, list(k), int(w.shape[1]), Stride=s, Cropping=cropping)
        hint = _hint(node.name)
        self.set(node.output[0], _Val(self.add(layer, [src], hint, {"Weights": w, "Bias": bias}), None, hint))

    def op_Pad(self, node: Any) -> None:
        """Zero padding at the end after a transposed convolution: MATLAB's 'same' cropping when F < S."""
        v = self.val(node.input[0])
        mode = self.attrs(node).get("mode", b"constant")
        pads = (self.const(node.input[1], "pads").reshape(-1).tolist() if len(node.input) > 1
                else list(self.attrs(node).get("pads", [])))
        value = self.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        base = self.nodes[v.base]
        layer = base.layer
        ok = (mode in (b"constant", "constant") and len(pads) == 8 and not any(pads[:6]) and
              (value is None or not np.any(value)) and len(node.input) < 4 and v.idx is None and
              layer.type == "transposedConv2dLayer" and v.base not in self.shared and not self.out_degree[v.base])
        if ok:
            same = tconv_cropping(layer.FilterSize, layer.Stride, "same")
            ok = (tuple(layer.Cropping) == tuple(max(c, 0) for c in same) and
                  (0, pads[6], 0, pads[7]) == tuple(max(-c, 0) for c in same))
        if not ok:
            raise self.fail("only the zero padding MATLAB's 'same' cropping adds after a transposed convolution "
                            "with FilterSize < Stride has a layergraph form")
        base.layer = layer.model_copy(update={"Cropping": "same"})
        base.act = base.layer.output_size([self.nodes[base.inputs[0]].act])
        self.set(node.output[0], _Val(v.base, None, v.hint))

    def tconv_auto_pads(self, a: dict[str, Any], auto: str, spatial: tuple[int, ...], k: tuple[int, int],
                        s: list[int], op: list[int]) -> tuple[int, int, int, int]:
        """[t b l r] for ConvTranspose auto_pad / output_shape, split as the ONNX specification says
        (SAME_UPPER: the odd one at the end, as MATLAB's 'same'; otherwise at the start)."""
        out = list(a.get("output_shape", []))[-2:] or [spatial[i] * s[i] for i in range(2)]
        sides = []
        for i in range(2):
            total = s[i] * (spatial[i] - 1) + op[i] + k[i] - out[i]
            if total < 0:
                raise self.fail("an output larger than the transposed convolution gives has no layergraph layer")
            start = total // 2 if auto == "SAME_UPPER" else total - total // 2
            sides += [start, total - start + op[i]]  # output_padding is subtracted again below
        return sides[0], sides[1], sides[2], sides[3]

    def op_BatchNormalization(self, node: Any) -> None:
        self.unused(node, 1, 2, 3, 4)
        a = self.attrs(node)
        if a.get("training_mode", 0) or not a.get("spatial", 1):
            raise self.fail("only inference-mode, per-channel batch normalization has a layergraph layer")
        v = self.val(node.input[0])
        shape = self.shape(v)
        src = self.image(v) if len(shape) == 3 else self.features(v, strict=False)
        names = ("Scale", "Offset", "TrainedMean", "TrainedVariance")
        params = {p: self.const(node.input[i + 1], p).reshape(-1) for i, p in enumerate(names)}
        layer = self.make(batchNormalizationLayer, Epsilon=_f32(a.get("epsilon", 1e-5)))
        hint = _hint(node.name)
        self.set(node.output[0], self.out_val(self.add(layer, [src], hint, params), shape, hint))

    def op_LayerNormalization(self, node: Any) -> None:
        self.unused(node, 1, 2)
        a = self.attrs(node)
        v = self.val(node.input[0])
        shape = self.shape(v)
        axis = a.get("axis", -1)
        if axis not in (1, -len(shape)):
            raise self.fail("layerNormalizationLayer normalizes over all of a sample (axis 1)")
        src = self.image(v) if len(shape) == 3 else self.features(v, strict=False)
        scale = self.per_channel(_Val(src, None, None), self.const(node.input[1], "scale"))
        bias = (self.per_channel(_Val(src, None, None), self.const(node.input[2], "bias"))
                if len(node.input) > 2 and node.input[2] else np.zeros(shape[0]))
        if scale is None or bias is None:
            raise self.fail("scale and bias must be one value per channel for layerNormalizationLayer")
        layer = self.make(layerNormalizationLayer, Epsilon=_f32(a.get("epsilon", 1e-5)))
        hint = _hint(node.name)
        params = {"Scale": scale, "Offset": bias}
        self.set(node.output[0], self.out_val(self.add(layer, [src], hint, params), shape, hint))

    def op_Gather(self, node: Any) -> None:
        table = self.const(node.input[0], "embedding table")
        idx = self.vals.get(node.input[1])
        if not isinstance(idx, _Index) or table.ndim != 2 or self.attrs(node).get("axis", 0) != 0:
            raise self.fail("only Gather of rows of a constant matrix by class indices (an embedding) has a "
                            "layergraph layer")
        if idx.offset != -1:
            raise self.fail(f"embeddingLayer takes 1-based class indices (index − 1 into the table); this Gather "
                            f"uses index {idx.offset:+d}")
        per = self.shape(idx.val)
        base = self.nodes[idx.val.base]
        if base.numel != 1 or math.prod(per) != 1:
            raise self.fail("embeddingLayer takes one class index per observation")
        hint = _hint(node.name)
        layer = self.make(embeddingLayer, int(table.shape[1]), int(table.shape[0]))
        nid = self.add(layer, [idx.val.base], hint, {"Weights": table})
        self.set(node.output[0], self.out_val(nid, (*per, int(table.shape[1])), hint))

    # ----- pooling, resizing, concatenation ----------------------------------------------------------------------
    def pool(self, node: Any, ctor: Any) -> None:
        self.unused(node, 1)
        a = self.attrs(node)
        k = tuple(a["kernel_shape"])
        if len(k) != 2 or any(x != 1 for x in a.get("dilations", [1, 1])):
            raise self.fail("only undilated 2-D pooling has a layergraph layer")
        src = self.image(self.val(node.input[0]))
        spatial = self.nodes[src].act.spatial
        s = list(a.get("strides", [1, 1]))
        pads = self.pads(node, spatial, k, s, [1, 1], a.get("auto_pad", b"NOTSET"))
        if a.get("ceil_mode", 0):
            sides = ((pads[0], pads[1]), (pads[2], pads[3]))
            if any((n + p[0] + p[1] - kk) % ss for n, p, kk, ss in zip(spatial, sides, k, s)):
                raise self.fail("ceil_mode=1 gives a larger output than any layergraph pooling layer")
        if node.op_type == "AveragePool" and any(pads) and not a.get("count_include_pad", 0):
            raise self.fail("averagePooling2dLayer counts padded zeros (count_include_pad=1), this node does not")
        same = conv_padding(spatial, k, tuple(s), (1, 1), "same")
        layer = self.make(ctor, list(k), Stride=s, Padding=self.same_or(pads, same))
        hint = _hint(node.name)
        self.set(node.output[0], _Val(self.add(layer, [src], hint), None, hint))

    def op_MaxPool(self, node: Any) -> None:
        self.pool(node, maxPooling2dLayer)

    def op_AveragePool(self, node: Any) -> None:
        self.pool(node, averagePooling2dLayer)

    def op_GlobalAveragePool(self, node: Any) -> None:
        self.global_pool(node, keep=True)

    def op_ReduceMean(self, node: Any) -> None:
        v = self.val(node.input[0])
        axes = self.axes(node, len(self.shape(v)) + 1)
        if axes != [2, 3] or len(self.shape(v)) != 3:
            raise self.fail("only ReduceMean over H and W (global average pooling) has a layergraph layer")
        self.global_pool(node, keep=bool(self.attrs(node).get("keepdims", 1)))

    def global_pool(self, node: Any, keep: bool) -> None:
        src = self.image(self.val(node.input[0]))
        hint = _hint(node.name)
        nid = self.add(self.make(globalAveragePooling2dLayer), [src], hint)
        c = self.nodes[nid].act.channels
        self.set(node.output[0], self.out_val(nid, (c, 1, 1) if keep else (c,), hint))

    def op_Resize(self, node: Any) -> None:
        a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in self.attrs(node).items()}
        src = self.image(self.val(node.input[0]))
        c, h, w = self.nodes[src].tshape
        out = self.resize_size(node, (c, h, w), a.get("axes"))
        mode, ctm = a.get("mode", "nearest"), a.get("coordinate_transformation_mode", "half_pixel")
        nearest = a.get("nearest_mode", "round_prefer_floor")
        integer_up = out[0] % h == 0 and out[1] % w == 0
        if a.get("antialias", 0) and (out[0] < h or out[1] < w):
            raise self.fail("antialiased downsampling has no layergraph layer")
        # torch 'nearest-exact' (resize2dLayer 'nearest') = half-pixel centres rounded half up; for integer
        # upscaling the other common conventions pick the same pixels
        if mode == "nearest" and ((ctm in ("half_pixel", "pytorch_half_pixel") and
                                   (nearest == "round_prefer_ceil" or (integer_up and nearest.startswith("round"))))
                                  or (ctm == "asymmetric" and nearest == "floor" and integer_up)):
            method = "nearest"
        elif mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel"):
            method = "bilinear"
        else:
            raise self.fail(f"Resize mode '{mode}' with '{ctm}' coordinates has no layergraph layer")
        size = {"Scale": [out[0] // h, out[1] // w]} if integer_up else {"OutputSize": list(out)}
        hint = _hint(node.name)
        layer = self.make(resize2dLayer, Method=method, **size)
        self.set(node.output[0], _Val(self.add(layer, [src], hint), None, hint))

    def resize_size(self, node: Any, chw: tuple[int, int, int], axes: Any) -> tuple[int, int]:
        ins = list(node.input) + [""] * 4
        if ins[3]:
            sizes = [int(x) for x in self.const(ins[3], "sizes").reshape(-1)]
            if axes is not None:
                sizes = dict(zip([x % 4 for x in axes], sizes))
                return sizes.get(2, chw[1]), sizes.get(3, chw[2])
            if len(sizes) != 4 or sizes[1] != chw[0]:
                raise self.fail(f"Resize sizes {sizes} change the batch or channels")
            return sizes[2], sizes[3]
        if ins[2]:
            scales = [float(x) for x in self.const(ins[2], "scales").reshape(-1)]
            if axes is not None:
                scales = [1.0, 1.0, *[dict(zip([x % 4 for x in axes], scales)).get(i, 1.0) for i in (2, 3)]]
            if len(scales) != 4 or scales[:2] != [1.0, 1.0]:
                raise self.fail(f"Resize scales {scales} change the batch or channels")
            return math.floor(chw[1] * scales[2]), math.floor(chw[2] * scales[3])
        raise self.fail("Resize needs constant scales or sizes")

    def op_Concat(self, node: Any) -> None:
        vals = [self.val(i) for i in node.input]
        shapes = [self.shape(v) for v in vals]
        rank = len(shapes[0])
        axis = self.attrs(node).get("axis", 1)
        axis = axis + rank + 1 if axis < 0 else axis
        if rank == 3 and axis in (1, 2, 3):
            ids, dim = [self.image(v) for v in vals], {1: 3, 2: 1, 3: 2}[axis]
        elif rank == 1 and axis == 1:
            ids, dim = [self.features(v) for v in vals], 1
        else:
            raise self.fail(f"concatenation along axis {axis} of rank-{rank + 1} tensors has no layergraph layer")
        hint = _hint(node.name)
        nid = self.add(self.make(concatenationLayer, dim, len(ids)), ids, hint)
        self.set(node.output[0], _Val(nid, None, hint))

    # ----- graph outputs -------------------------------------------------------------------------------------------
    def finish_outputs(self) -> None:
        seen: dict[int, str] = {}
        for out in self.graph.output:
            if out.name not in self.vals:
                raise self.fail(f"output '{out.name}' is not an activation (a constant or an unsupported value)")
            v = self.vals[out.name]
            if isinstance(v, _Index):
                raise self.fail(f"output '{out.name}' holds class indices, not an activation")
            shape = self.shape(v)
            if len(shape) == 3:
                nid = self.image(v)
            elif len(shape) == 1:
                nid = self.features(v)
            else:
                raise self.fail(f"output '{out.name}' has per-sample shape {list(shape)}; layergraph gives "
                                "N×C×H×W or N×K")
            if self.out_degree[nid] or nid in seen:
                other = f"output '{seen[nid]}'" if nid in seen else "another layer"
                raise self.fail(f"output '{out.name}' is also used by {other}; layergraph's outputs are the "
                                "layers nothing else consumes")
            seen[nid] = out.name
            self.nodes[nid].hint = (0, _sanitize(out.name) or "output")
            self.outputs.append(nid)


# ----- after the walk: merge helper layers, name, build ------------------------------------------------------------
def _merge_dense_reshapes(nodes: list[_Node], out_degree: Counter[int]) -> set[int]:
    """flatten → FC → feature2image from one exported layer (same name hint) back into that one layer:
    fullyConnectedLayer on an image (output 1×1×C) or projectAndReshapeLayer. Returns removed node ids."""
    removed: set[int] = set()
    same = _same_origin
    for r in nodes:
        if r.layer.type != "functionLayer" or r.layer.PredictFcn != "feature2image":
            continue
        fid = r.inputs[0]
        f = nodes[fid]
        if f.layer.type != "fullyConnectedLayer" or out_degree[fid] != 1 or not same(f.hint, r.hint):
            continue
        src = f.inputs[0]
        flat = nodes[src].layer.type == "flattenLayer" and out_degree[src] == 1 and same(nodes[src].hint, f.hint)
        h, w, c = r.layer.Arguments[0]
        if flat:
            removed.add(src)
            src = nodes[src].inputs[0]
        if flat and (h, w) == (1, 1):  # MATLAB's fully connected layer on an image keeps 1×1 spatial size
            layer: Layer = fullyConnectedLayer(int(c))
        else:
            layer = projectAndReshapeLayer([int(h), int(w), int(c)])
        r.layer, r.inputs, r.params = layer, [src], f.params
        r.act = layer.output_size([nodes[src].act])
        r.hint = min(f.hint, r.hint) if r.hint and f.hint else f.hint
        removed.add(fid)
    return removed


def _same_origin(a: tuple[int, str] | None, b: tuple[int, str] | None) -> bool:
    return a is not None and b is not None and a[1] == b[1]


def _chain_order(nodes: list[_Node], keep: list[int]) -> list[int]:
    """A topological order that follows chains, as MATLAB layer arrays are written: after each layer comes
    its first consumer when that one is ready, else the earliest-made ready layer (inputs, in ONNX order,
    are made first). Specs then need `inputs:` only where branches join."""
    rank = {nid: i for i, nid in enumerate(keep)}
    succ: dict[int, list[int]] = {nid: [] for nid in keep}
    missing = {nid: len(set(nodes[nid].inputs)) for nid in keep}
    for nid in keep:
        for src in dict.fromkeys(nodes[nid].inputs):
            succ[src].append(nid)
    done: set[int] = set()
    order: list[int] = []
    last: int | None = None
    while len(order) < len(keep):
        ready = [n for n in (succ[last] if last is not None else []) if not missing[n] and n not in done]
        nxt = min(ready, key=rank.__getitem__) if ready else min(
            (n for n in keep if not missing[n] and n not in done), key=rank.__getitem__)
        order.append(nxt)
        done.add(nxt)
        for n in succ[nxt]:
            missing[n] -= 1
        last = nxt
    return order


def _names(nodes: list[_Node], keep: list[int]) -> dict[int, str]:
    """Unique layer names: graph outputs first, then node names, then scopes; the rest MATLAB's defaults."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for nid in sorted((i for i in keep if nodes[i].hint), key=lambda i: (nodes[i].hint[0], i)):
        base = nodes[nid].hint[1]
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        names[nid] = name
        taken.add(name)
    return names


def _build(imp: _Importer) -> tuple[LayerGraph, dict[str, torch.Tensor]]:
    nodes = imp.nodes
    removed = _merge_dense_reshapes(nodes, imp.out_degree)
    keep = _chain_order(nodes, [i for i in range(len(nodes)) if i not in removed])
    names = _names(nodes, keep)
    layers = []
    for nid in keep:
        node = nodes[nid]
        layer = node.layer
        if node.norm is not None:
            layer = _normalized(layer, *node.norm)
        layers.append(layer.model_copy(update={"Name": names.get(nid, "")}))
    lg = LayerGraph()
    final = dict(zip(keep, lg._add(layers, chain=False)))
    tensors: dict[str, torch.Tensor] = {}
    for nid in keep:
        node = nodes[nid]
        for port, src in zip(node.layer.input_names, node.inputs):
            lg._connect(final[src], f"{final[nid]}/{port}")
        for pname in _PARAMS.get(node.layer.type, ()):
            tensors[f"{final[nid]}/{pname}"] = torch.from_numpy(np.array(node.params[pname], np.float32))
    return lg, tensors


def _normalized(layer: Layer, shift: np.ndarray, scale: np.ndarray) -> Layer:
    """The input layer with MATLAB normalization equal to (x − shift)·scale."""
    def vec(a: np.ndarray) -> float | list[float]:
        values = [_f32(x) for x in a]  # the model's constants are float32: 1.5, not 1.4999999552965178
        return values[0] if len(set(values)) == 1 else values

    if np.all(scale == 1):
        return layer.model_copy(update={"Normalization": "zerocenter", "Mean": vec(shift)})
    return layer.model_copy(update={"Normalization": "zscore", "Mean": vec(shift), "StandardDeviation": vec(1 / scale)})


# ----- public API -------------------------------------------------------------------------------------------------
def load_onnx(source: str | Path | Any) -> tuple[Any, str]:
    """(ModelProto, label) from a path or a ModelProto; a truncated or non-ONNX file is a one-line error."""
    try:
        import onnx
        from google.protobuf.message import DecodeError
    except ImportError:  # pragma: no cover - optional dependency
        raise ONNXImportError("ONNX support needs the 'onnx' package: pip install 'layergraph[onnx]'") from None
    if isinstance(source, onnx.ModelProto):
        model, where = source, "<model>"
    else:
        where = str(source)
        path = Path(source)
        if not path.is_file():
            raise ONNXImportError(f"{where}: file not found")
        try:
            model = onnx.load(str(path))  # plain protobuf parsing: no code runs, no custom operators load
        except (DecodeError, ValueError, RuntimeError, OSError, UnicodeDecodeError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ONNXImportError(f"{where}: not an ONNX model or the file is truncated ({first})") from None
    if not model.HasField("graph") or not model.graph.node or not model.opset_import:
        raise ONNXImportError(f"{where}: not an ONNX model or the file is truncated (no graph or no opset)")
    if not model.graph.output:
        raise ONNXImportError(f"{where}: the ONNX graph has no outputs (truncated file?)")
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError) as err:
        raise ONNXImportError(f"{where}: invalid ONNX model: {str(err).strip().splitlines()[0]}") from None
    return model, where


def importONNXNetwork(source: str | Path | Any) -> tuple[LayerGraph, dict[str, torch.Tensor]]:
    """MATLAB's importONNXNetwork: (LayerGraph, weights keyed 'layer/Parameter' in torch layout, as net.tensors()).

    Load them with `net = dlnetwork(lgraph); net.load_tensors(weights)`, or call importNetworkFromONNX.
    """
    return import_model(*load_onnx(source))


def import_model(model: Any, where: str) -> tuple[LayerGraph, dict[str, torch.Tensor]]:
    """importONNXNetwork for a loaded and checked ModelProto; errors begin with `where`."""
    imp = _Importer(model, where)
    imp.run()
    try:
        return _build(imp)
    except LayergraphError as err:
        raise ONNXImportError(f"{where}: {err}") from None


def importNetworkFromONNX(source: str | Path | Any) -> Any:
    """MATLAB's importNetworkFromONNX: an initialized dlnetwork holding the ONNX model's weights."""
    from layergraph.compile.dlnetwork import dlnetwork

    lgraph, tensors = importONNXNetwork(source)
    try:
        net = dlnetwork(lgraph)
        net.load_tensors(tensors)
    except LayergraphError as err:
        raise ONNXImportError(f"{source}: the imported network does not compile: {err}") from None
    return net
