"""The state of one ONNX import (`Importer`): the ONNX values followed so far, the layer nodes made, and how to
make more: a value asked for as an image (feature2image where the elements moved), as features (flattenLayer,
or the rows of the fully connected layer that made them permuted), or as any selection a fully connected
layer takes in its weight columns.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from layergraph.errors import LayergraphError
from layergraph.interop.onnx_import.values import (
    AXES_INPUT_SINCE,
    Index,
    LayerNode,
    ONNXImportError,
    Seq,
    Val,
    colmajor,
    is_perm,
)
from layergraph.layers.base import Layer
from layergraph.layers.dense import FullyConnectedLayer
from layergraph.layers.norm import BatchNormalizationLayer
from layergraph.layers.reshape import FlattenLayer, FunctionLayer


class Importer:
    """The state of one import: ONNX values, the layer nodes made so far, and how to make more."""

    def __init__(self, model: Any, where: str, fold_crop: Callable[[Importer, Val], bool]) -> None:
        """`fold_crop` (folding.fold_crop) crops a value by changing the layer that makes it; it is handed in
        because folding imports this module."""
        import onnx

        self.onnx, self.model, self.where = onnx, model, where
        self.graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.consts: dict[str, np.ndarray] = {
            t.name: onnx.numpy_helper.to_array(t) for t in self.graph.initializer}
        self.vals: dict[str, Val | Index | Seq] = {}
        self.nodes: list[LayerNode] = []
        self.out_degree: Counter[int] = Counter()
        self.shared: set[int] = set()  # nodes whose output reaches more than one ONNX consumer
        self.consumers: Counter[str] = Counter(i for n in self.graph.node for i in n.input if i)
        self.consumers.update(o.name for o in self.graph.output)
        self.static_batch: int | None = None
        # Pad outputs: the activation and the zero padding [t b l r] a following Conv or pooling takes over
        self.padded: dict[str, tuple[Val, tuple[int, int, int, int]]] = {}
        self.pad_modes: dict[str, str] = {}  # Pad outputs in reflect/edge mode: the PaddingValue that pads so
        self.matlab = model.producer_name.startswith("MATLAB")  # MATLAB's exporter writes some layers its own way
        self.onnx_node: Any = None  # the node being converted, named in errors
        self.outputs: list[int] = []
        self.fold_crop = fold_crop
        self.default_length = 1  # MinLength of sequence inputs of free length that the file does not record
        self._defaults: dict[tuple[str, str], dict[str, Any]] = {}  # (domain, op) → ONNX's attribute defaults

    # ----- errors and attributes ---------------------------------------------------------------------------------
    def fail(self, msg: str) -> ONNXImportError:
        n = self.onnx_node
        if isinstance(n, str):  # a graph output being finished
            return ONNXImportError(f"{self.where}: {n}: {msg}")
        if n is None:
            return ONNXImportError(f"{self.where}: {msg}")
        label = n.name or (n.output[0] if n.output else "?")
        return ONNXImportError(f"{self.where}: node '{label}' ({n.op_type}): {msg}")

    def attrs(self, node: Any) -> dict[str, Any]:
        """The node's attributes, with ONNX's defaults (its operator schema at the model's opset) for those it
        leaves out; an attribute whose schema gives no default (strides, pads, perm, …) stays absent."""
        given = {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}
        return {**self.defaults(node.op_type, node.domain), **given}

    def defaults(self, op: str, domain: str = "") -> dict[str, Any]:
        """ONNX's attribute defaults of operator `op` at the model's opset (none for an operator onnx has no
        schema of: experimental ones such as ImageScaler, other domains)."""
        key = (domain, op)
        if key not in self._defaults:
            try:
                schema = self.onnx.defs.get_schema(op, self.opset, domain)
            except self.onnx.defs.SchemaError:
                schema = None
            attributes = schema.attributes.items() if schema is not None else ()
            self._defaults[key] = {name: self.onnx.helper.get_attribute_value(a.default_value)
                                   for name, a in attributes if a.default_value.name}
        return self._defaults[key]

    def unused(self, node: Any, *positions: int) -> None:
        """Refuse a node whose extra outputs (mask, mean, …) something reads: layers have one output."""
        for p in positions:
            if len(node.output) > p and node.output[p] and self.consumers[node.output[p]]:
                raise self.fail(f"its output #{p + 1} ('{node.output[p]}') is used; layergraph layers have one output")

    def given_axes(self, node: Any) -> list[int] | None:
        """The node's `axes` as given: an attribute, or from the opset in AXES_INPUT_SINCE on, a constant second
        input; None when absent."""
        if self.opset < AXES_INPUT_SINCE.get(node.op_type, 1 << 30):
            a = self.attrs(node).get("axes")
            return None if a is None else [int(x) for x in a]
        if len(node.input) > 1 and node.input[1]:
            return [int(x) for x in self.const(node.input[1], "axes").reshape(-1)]
        return None

    def axes(self, node: Any, rank: int) -> list[int] | None:
        """The node's `axes` (given_axes), non-negative and sorted; the batch axis is refused."""
        a = self.given_axes(node)
        if a is None:
            return None
        out = sorted(int(x) + rank if int(x) < 0 else int(x) for x in a)
        if 0 in out:
            raise self.fail("it changes the batch dimension")
        return out

    # ----- values ------------------------------------------------------------------------------------------------
    def set(self, name: str, value: Val | Index | Seq | np.ndarray) -> None:
        if isinstance(value, np.ndarray):
            self.consts[name] = value
            return
        if self.consumers[name] > 1:
            self.shared.add(value.val.base if isinstance(value, Index) else value.base)
        self.vals[name] = value

    def val(self, name: str) -> Val:
        v = self.vals.get(name)
        if name in self.padded:
            raise self.fail(f"input '{name}' is zero-padded by a Pad node; layergraph takes that padding only into "
                            "a following convolution or average pooling")
        if isinstance(v, Val):
            return v
        if isinstance(v, Seq):
            raise self.fail(f"input '{name}' is a whole sequence (axes {''.join(v.axes)}); layergraph reads it here "
                            "only after a recurrent layer's last time step")
        if name in self.consts:
            raise self.fail(f"input '{name}' is a constant; layergraph layers take activations here")
        raise self.fail(f"input '{name}' is not an activation this importer can follow")

    def padded_val(self, name: str) -> tuple[Val, tuple[int, int, int, int]]:
        """An activation and the zero padding [t b l r] a Pad node put around it (zeros when none)."""
        return self.padded[name] if name in self.padded else (self.val(name), (0, 0, 0, 0))

    def const(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise self.fail(f"{what} '{name}' must be a constant (an initializer)")
        return self.consts[name]

    def shape(self, v: Val) -> tuple[int, ...]:
        return self.nodes[v.base].tshape if v.idx is None else tuple(v.idx.shape)

    def index(self, v: Val) -> np.ndarray:
        return np.arange(self.nodes[v.base].numel).reshape(self.nodes[v.base].tshape) if v.idx is None else v.idx

    def out_val(self, nid: int, onnx_shape: tuple[int, ...], hint: tuple[int, str] | None) -> Val:
        """The ONNX value a new layer gives, when ONNX's shape of it differs from layergraph's (1×1×C vs C)."""
        node = self.nodes[nid]
        same = tuple(onnx_shape) == node.tshape
        return Val(nid, None if same else np.arange(node.numel).reshape(onnx_shape), hint)

    # ----- layers ------------------------------------------------------------------------------------------------
    def add(self, layer: Layer, inputs: list[int], hint: tuple[int, str] | None,
            params: dict[str, np.ndarray] | None = None) -> int:
        """A new layer node reading `inputs`; its size is checked now, so errors name the ONNX node."""
        try:
            act = layer.output_size([self.nodes[i].act for i in inputs])
        except (LayergraphError, ValueError, KeyError) as err:
            raise self.fail(f"{layer.type}: {err}") from None
        self.nodes.append(LayerNode(layer, inputs, hint, act, {k: np.asarray(v, np.float32) for k, v in
                                                                (params or {}).items()}))
        for i in inputs:
            self.out_degree[i] += 1
        return len(self.nodes) - 1

    def make(self, cls: type[Layer], *args: Any, **kwargs: Any) -> Layer:
        """`cls` built from MATLAB-style arguments; an invalid option is an error naming the ONNX node."""
        try:
            return cls.create(*args, **kwargs)
        except LayergraphError as err:
            raise self.fail(str(err)) from None

    def image(self, v: Val) -> int:
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
            if self.fold_crop(self, v):
                v.idx = None  # the layer's output is now this value (for its other readers too)
                return v.base
            raise self.fail(f"cannot express the selection of {want.size} of {base.numel} elements as "
                            f"{list(shape)} (only a crop of H and W right after a convolution, transposed "
                            "convolution or pooling layer has a layergraph form)")
        order = np.arange(want.size).reshape(c, w, h).transpose(0, 2, 1)  # where feature2image reads from
        if base.act.is_image and base.tshape == shape and np.array_equal(want, np.arange(want.size).reshape(shape)):
            return v.base
        if not np.array_equal(want, order):
            # features in row-major order: reorder the rows of the fully connected layer that made them
            if not is_perm(want, base.numel) or not self.permutable(v.base):
                raise self.fail("the elements of its input are rearranged (Reshape/Transpose) in a way no "
                                "layergraph layer reproduces")
            perm = np.empty(want.size, dtype=np.int64)
            perm[order.reshape(-1)] = want.reshape(-1)
            self.permute(v.base, perm)
        layer = self.make(FunctionLayer, "feature2image", Arguments=[[h, w, c]])
        return self.add(layer, [v.base], v.hint)

    def features(self, v: Val, strict: bool = True) -> int:
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
        if base.act.is_image and np.array_equal(idx, colmajor(base.tshape)):
            return self.add(self.make(FlattenLayer), [v.base], v.hint)
        if not base.act.is_image and is_perm(idx, base.numel) and self.permutable(v.base):
            self.permute(v.base, idx)
            return v.base
        raise self.fail("the elements of its input are flattened in an order no layergraph layer reproduces")

    def channel_pick(self, v: Val) -> tuple[int, np.ndarray] | None:
        """(image node, channels) when `v` is some of that node's channels, whole (Slice/Gather on axis 1)."""
        base = self.nodes[v.base]
        if v.idx is None or v.idx.ndim != 3 or not base.act.is_image or v.idx.shape[1:] != base.tshape[1:]:
            return None
        full = np.arange(base.numel).reshape(base.tshape)
        chans = v.idx[:, 0, 0] // (base.numel // base.tshape[0])
        return (v.base, chans) if np.array_equal(v.idx, full[chans]) else None

    def image_or_features(self, v: Val) -> int:
        """image() for an N×C×H×W value, features() (1×1×C images accepted) for an N×C one."""
        return self.image(v) if len(self.shape(v)) == 3 else self.features(v, strict=False)

    def fc_input(self, v: Val, hint: tuple[int, str] | None = None) -> tuple[int, np.ndarray]:
        """(node, columns): fullyConnectedLayer on node with weights W' where W'[:, columns[j]] += W[:, j] equals
        ONNX's x·Wᵀ. The ONNX value may be any selection of the node's elements (Slice, Gather, a permutation):
        an element it leaves out gets a zero column, one it repeats the sum of its columns. An image flattened
        by the fully connected layer's own nodes (`hint` names it) needs no flattenLayer: the layer flattens."""
        shape = self.shape(v)
        if len(shape) != 1:
            raise self.fail(f"expects N×K input but gets per-sample shape {list(shape)}")
        return self.flat_features(v, hint)

    def flat_features(self, v: Val, hint: tuple[int, str] | None = None) -> tuple[int, np.ndarray]:
        """(node giving features, positions): ONNX element j of `v` is feature positions[j] of node's output.
        An image is flattened column-major (flattenLayer), as MATLAB's fully connected layer reads it."""
        base = self.nodes[v.base]
        idx = self.index(v).reshape(-1)
        if not base.act.is_image or base.act.spatial == (1, 1):  # a 1×1×C image needs no flattenLayer
            return v.base, idx
        where = np.empty(base.numel, dtype=np.int64)
        where[colmajor(base.tshape)] = np.arange(base.numel)  # where[e]: e's position after MATLAB's flatten
        own = hint is not None and v.hint is not None and v.hint[1] == hint[1]
        flat = v.base if own else self.add(self.make(FlattenLayer), [v.base], v.hint)
        return flat, where[idx]

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
            if isinstance(node.layer, FullyConnectedLayer):
                return chain
            # element-wise layers and per-channel batch normalization commute with a reordering of features
            if not (node.layer.elementwise or isinstance(node.layer, BatchNormalizationLayer)):
                return None
            cur, degree = node.inputs[0], 1

    def permute(self, nid: int, perm: np.ndarray) -> None:
        """Reorder the outputs of nid (and of the layers back to its fully connected layer): out'[j] = out[perm[j]]."""
        for cur in self._chain(nid) or []:
            node = self.nodes[cur]
            node.params = {k: p[perm] for k, p in node.params.items()}
