"""Value tracking for the ONNX importer: which layer output (and which of its elements) each ONNX value is.

A `Val` is (layer node, idx) where `idx` has the ONNX per-sample shape and holds flat (torch-layout) element
numbers of the layer's output; Transpose/Reshape/Flatten/Squeeze/Unsqueeze only rearrange `idx`. No layer
is made until an operator needs its input in a form a layer can give (`image`, `features`, `fc_input`).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layergraph.errors import LayergraphError, SpecError
from layergraph.layers.base import Layer
from layergraph.layers.dense import FullyConnectedLayer
from layergraph.layers.inputs import FeatureInputLayer, ImageInputLayer, SequenceInputLayer
from layergraph.layers.norm import BatchNormalizationLayer
from layergraph.layers.reshape import FlattenLayer, FunctionLayer
from layergraph.sizes import Act

BATCH = 1_000_000_007  # the batch size inside folded shape computations
# operators whose `axes` attribute became an (optional) input, and the opset where it did
AXES_INPUT_SINCE = {"Squeeze": 13, "Unsqueeze": 13, "ReduceMean": 18, "ReduceMax": 18}


class ONNXImportError(SpecError):
    """The file is not a readable ONNX model, or an operator has no layergraph layer (exit code 2)."""


@dataclass
class LayerNode:
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
class Val:
    """An ONNX activation: elements of node `base`'s output; `idx` None means exactly that output."""

    base: int
    idx: np.ndarray | None
    hint: tuple[int, str] | None


@dataclass
class Seq:
    """A sequence activation (time steps of any number): the output of layer node `base` (torch layout N×C×T)
    with its ONNX axes labelled: N batch, T time, C channels, D and H the directions × hidden units C splits
    into (recurrent outputs), 1 a unit axis. onnx_import/recurrent.py follows it through the recurrent nodes."""

    base: int
    axes: tuple[str, ...]
    hint: tuple[int, str] | None
    split: tuple[int, int] = (1, 0)  # (D, H) of the base's channels
    static: tuple[int, int] = (0, 0)  # the (N, T) the graph input fixes, 0 where dynamic (a Reshape may name them)

    def normal(self) -> tuple[str, ...]:
        """The axes without unit axes, D×H merged into C (H alone is C with one direction)."""
        out: list[str] = []
        for a in self.axes:
            if a in ("1", "L") or (a == "D" and self.split[0] == 1):
                continue
            if a == "H" and (self.split[0] == 1 or (out and out[-1] == "D")):
                if out and out[-1] == "D":
                    out.pop()
                out.append("C")
                continue
            out.append(a)
        return tuple(out)

    def unit_shape(self, channels: int) -> list[int]:
        """The value's shape with 1 for N and T, for `Shape` in constant folding (PyTorch's zero initial states
        are Expand(0, [1, N, H]): a batch of one keeps them small; a reshape by it is refused, not misread)."""
        d, h = self.split
        size = {"C": channels, "D": d, "H": h, "1": 1, "L": 1, "N": 1, "T": 1}
        return [size[a] for a in self.axes]


@dataclass
class Index:
    """Integer class indices: the values of activation `val` plus `offset` (from Cast and Sub/Add)."""

    val: Val
    offset: int


def colmajor(shape: tuple[int, ...]) -> np.ndarray:
    """Flat element numbers of a (C,H,W) output in MATLAB's flatten order (h fastest, then w, then c)."""
    n = math.prod(shape)
    if len(shape) != 3:
        return np.arange(n)
    c, h, w = shape
    return np.arange(n).reshape(c, h, w).transpose(0, 2, 1).reshape(-1)


def is_perm(idx: np.ndarray, n: int) -> bool:
    flat = idx.reshape(-1)
    return flat.size == n and np.array_equal(np.sort(flat), np.arange(n))


def f32(value: Any) -> float:
    """A float attribute stored as float32, read back as the decimal it was written from (1e-05, not 9.99e-06)."""
    return float(str(np.float32(np.asarray(value).reshape(-1)[0])))


def per_axis(attrs: dict[str, Any], name: str, n: int, fill: int) -> list[int]:
    """An attribute with one value per spatial axis (strides, dilations, pads, output_padding) as ints: given, or
    `fill` for each of the `n` values, as the operator specifications say (the schemas record no default: its
    length depends on the input's rank)."""
    return [int(x) for x in attrs[name]] if name in attrs else [fill] * n


def sanitize(name: str) -> str:
    """A layer name from ONNX text: letters, digits, '_', '.', '-'; at most 1,000 characters, so that a
    uniqueness suffix still fits the 1,024 a layer name may have."""
    return re.sub(r"[^\w.\-]", "_", name).strip("_")[:1000].strip("_")


def name_hint(name: str) -> tuple[int, str] | None:
    """A layer name from an ONNX node name: 'conv1' (layergraph's own), 'conv1/role' (its helpers) or
    PyTorch's '/scope/Op' (the scope); the dynamo exporter's generated 'node_…' names give none."""
    if not name or name.startswith("node_"):
        return None
    if name.startswith("/"):
        scope = sanitize("_".join(name.split("/")[1:-1]))
        return (2, scope) if scope else None
    base = sanitize(name.split("/")[0])
    return ((1 if "/" not in name else 2), base) if base else None


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

    # ----- graph inputs and outputs ----------------------------------------------------------------------------
    def inputs(self) -> None:
        """An input layer for every graph input: N×C×H×W (or N×H×W×C) images, N×K or N×A×B features."""
        elem = self.onnx.TensorProto
        for inp in self.graph.input:
            if inp.name in self.consts or inp.name in self.vals:  # initializers (old IR versions); sequences
                continue
            tt = inp.type.tensor_type
            if not inp.type.HasField("tensor_type") or tt.elem_type not in (
                    elem.FLOAT, elem.DOUBLE, elem.FLOAT16, elem.BFLOAT16, elem.INT64, elem.INT32):
                raise self.fail(f"input '{inp.name}' is not a numeric tensor")
            dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
            if self._sequence_input(inp.name, dims):  # N×C×T: sequences of any length (1-D networks)
                layer = self.make(SequenceInputLayer, dims[1], MinLength=self.min_length(inp.name, dims[2]))
                self.set(inp.name, Val(self.add(layer, [], (0, sanitize(inp.name) or "input")), None, None))
                continue
            if not dims or any(d is None or d < 1 for d in dims[1:]):
                shown = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tt.shape.dim]
                raise self.fail(f"input '{inp.name}' has shape {shown}; layergraph needs fixed sizes apart from "
                                "the batch: N×C×H×W images or N×K features")
            if dims[0] is not None:
                self.static_batch = dims[0]
            per = dims[1:]
            name = (0, sanitize(inp.name) or "input")
            nhwc = len(per) == 3 and self._nhwc(inp.name)
            if nhwc:  # tf2onnx's Keras CNNs: an N×H×W×C input transposed to N×C×H×W before the first layer
                layer = self.make(ImageInputLayer, list(per), Normalization="none")
            elif len(per) == 3:
                layer = self.make(ImageInputLayer, [per[1], per[2], per[0]], Normalization="none")
            elif len(per) <= 2:  # N×A×B (PyTorch's [1, 784, 1], [1, 6, 8]) as A·B features in ONNX's order
                layer = self.make(FeatureInputLayer, math.prod(per))
            else:
                raise self.fail(f"input '{inp.name}' has rank {len(dims)}; layergraph takes N×C×H×W images, "
                                "N×K features or N×A×B arrays (read as A·B features)")
            nid = self.add(layer, [], name)
            if nhwc:
                h, w, c = per
                self.set(inp.name, Val(nid, np.arange(h * w * c).reshape(c, h, w).transpose(1, 2, 0), name))
            else:
                self.set(inp.name, self.out_val(nid, tuple(per), name))

    def _sequence_input(self, name: str, dims: list[int | None]) -> bool:
        """True for an N×C×T input with C fixed whose time axis is free or read by 1-D convolution or pooling."""
        if len(dims) != 3 or dims[1] is None or dims[1] < 1:
            return False
        if dims[2] is None:
            return True
        for n in self.graph.node:
            if name not in n.input:
                continue
            w = self.consts.get(n.input[1]) if n.op_type == "Conv" and len(n.input) > 1 else None
            if (w is not None and w.ndim == 3) or len(self.attrs(n).get("kernel_shape", [0, 0])) == 1:
                return True
        return False

    def min_length(self, name: str, fixed: int | None) -> int:
        """MinLength of a sequence input: layergraph's export records it; else the fixed length, else
        `default_length` (import_model tries lengths until the layers accept one)."""
        for prop in self.model.metadata_props:
            if prop.key == f"layergraph.MinLength.{name}" and prop.value.isdigit():
                return int(prop.value)
        return fixed or self.default_length

    def _nhwc(self, name: str) -> bool:
        """True when every reader of graph input `name` is a Transpose from N×H×W×C to N×C×H×W."""
        readers = [n for n in self.graph.node if name in n.input]
        dims = next(i for i in self.graph.input if i.name == name).type.tensor_type.shape.dim
        per = [d.dim_value for d in dims[1:]]
        return bool(readers) and all(
            (n.op_type == "Transpose" and list(self.attrs(n).get("perm", [])) == [0, 3, 1, 2])
            or self._channel_reshape(n, per) for n in readers)

    def _channel_reshape(self, node: Any, per: list[int]) -> bool:
        """tf2onnx's NHWC → NCHW move of a one-channel input: a Reshape of N×H×W×1 to N×1×H×W."""
        if node.op_type != "Reshape" or len(per) != 3 or per[2] != 1 or node.input[1] not in self.consts:
            return False
        target = [int(d) for d in self.consts[node.input[1]].reshape(-1)]
        return len(target) == 4 and target[1:] == [1, per[0], per[1]] and target[0] in (-1, 0, self.static_batch or 0)

    def _nhwc_of_layer(self, v: Val) -> bool:
        base = self.nodes[v.base]
        return (v.idx is not None and base.act.is_image and v.idx.shape == (*base.tshape[1:], base.tshape[0])
                and np.array_equal(v.idx, np.arange(base.numel).reshape(base.tshape).transpose(1, 2, 0)))

    def finish_outputs(self) -> None:
        """Each graph output must be a layer's output that nothing else reads; it names that layer."""
        seen: dict[int, str] = {}
        for out in self.graph.output:
            if out.name not in self.vals:
                self.val(out.name)  # a Pad's output or a constant: says which
                raise self.fail(f"output '{out.name}' is not an activation (a constant or an unsupported value)")
            v = self.vals[out.name]
            self.onnx_node = f"output '{out.name}'"
            if isinstance(v, Index):
                raise self.fail("it holds class indices, not an activation")
            shape = None if isinstance(v, Seq) else self.shape(v)
            if isinstance(v, Seq):  # a whole sequence (N×T×C from PyTorch too): the layer's "CBT" output
                if sorted(v.normal()) != ["C", "N", "T"] or self.nodes[v.base].act.time is None:
                    raise self.fail(f"its axes {''.join(v.axes)} are not a sequence layer's whole output")
                nid = v.base
            elif len(shape) == 3 and self._nhwc_of_layer(v):
                nid = v.base  # transposed back to N×H×W×C (tf2onnx): the network gives the layer's N×C×H×W
            elif len(shape) == 3:
                nid = self.image(v)
            elif len(shape) == 2 and v.idx is None and "T" in self.nodes[v.base].act.fmt:
                nid = v.base  # sequences, whole
            elif len(shape) == 1 or (len(shape) == 2 and min(shape) == 1 and "T" not in self.nodes[v.base].act.fmt):
                nid = self.features(Val(v.base, self.index(v).reshape(-1), v.hint))  # N×1×K as K features
            else:
                raise self.fail(f"it has per-sample shape {list(shape)}; layergraph gives N×C×H×W or N×K")
            if self.out_degree[nid] or nid in seen:
                other = f"output '{seen[nid]}'" if nid in seen else "another layer"
                raise self.fail(f"it is also used by {other}; layergraph's outputs are the layers nothing "
                                "else consumes")
            seen[nid] = out.name
            self.nodes[nid].hint = (0, sanitize(out.name) or "output")
            self.outputs.append(nid)
        self.onnx_node = None
