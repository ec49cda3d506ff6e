"""The graph's inputs and outputs for the ONNX importer: an input layer for every graph input (images, also
tf2onnx's N×H×W×C, features, sequences of any length), and each graph output checked to be a layer's whole
output that nothing else reads, which it names."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.values import Index, Seq, Val, sanitize
from layergraph.layers.inputs import FeatureInputLayer, ImageInputLayer, SequenceInputLayer


def graph_inputs(imp: Importer) -> None:
    """An input layer for every graph input: N×C×H×W (or N×H×W×C) images, N×K or N×A×B features."""
    elem = imp.onnx.TensorProto
    for inp in imp.graph.input:
        if inp.name in imp.consts or inp.name in imp.vals:  # initializers (old IR versions); sequences
            continue
        tt = inp.type.tensor_type
        if not inp.type.HasField("tensor_type") or tt.elem_type not in (
                elem.FLOAT, elem.DOUBLE, elem.FLOAT16, elem.BFLOAT16, elem.INT64, elem.INT32):
            raise imp.fail(f"input '{inp.name}' is not a numeric tensor")
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        if _sequence_input(imp, inp.name, dims):  # N×C×T: sequences of any length (1-D networks)
            layer = imp.make(SequenceInputLayer, dims[1], MinLength=min_length(imp, inp.name, dims[2]))
            imp.set(inp.name, Val(imp.add(layer, [], (0, sanitize(inp.name) or "input")), None, None))
            continue
        if not dims or any(d is None or d < 1 for d in dims[1:]):
            shown = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tt.shape.dim]
            raise imp.fail(f"input '{inp.name}' has shape {shown}; layergraph needs fixed sizes apart from "
                           "the batch: N×C×H×W images or N×K features")
        if dims[0] is not None:
            imp.static_batch = dims[0]
        _fixed_input(imp, inp.name, dims)


def _fixed_input(imp: Importer, name: str, dims: list[Any]) -> None:
    """imageInputLayer (N×C×H×W, or tf2onnx's N×H×W×C) or featureInputLayer for a graph input of fixed sizes."""
    per = dims[1:]
    hint = (0, sanitize(name) or "input")
    nhwc = len(per) == 3 and _nhwc(imp, name)
    if nhwc:  # tf2onnx's Keras CNNs: an N×H×W×C input transposed to N×C×H×W before the first layer
        layer = imp.make(ImageInputLayer, list(per), Normalization="none")
    elif len(per) == 3:
        layer = imp.make(ImageInputLayer, [per[1], per[2], per[0]], Normalization="none")
    elif len(per) <= 2:  # N×A×B (PyTorch's [1, 784, 1], [1, 6, 8]) as A·B features in ONNX's order
        layer = imp.make(FeatureInputLayer, math.prod(per))
    else:
        raise imp.fail(f"input '{name}' has rank {len(dims)}; layergraph takes N×C×H×W images, "
                       "N×K features or N×A×B arrays (read as A·B features)")
    nid = imp.add(layer, [], hint)
    if nhwc:
        h, w, c = per
        imp.set(name, Val(nid, np.arange(h * w * c).reshape(c, h, w).transpose(1, 2, 0), hint))
    else:
        imp.set(name, imp.out_val(nid, tuple(per), hint))


def _sequence_input(imp: Importer, name: str, dims: list[int | None]) -> bool:
    """True for an N×C×T input with C fixed whose time axis is free or read by 1-D convolution or pooling."""
    if len(dims) != 3 or dims[1] is None or dims[1] < 1:
        return False
    if dims[2] is None:
        return True
    for n in imp.graph.node:
        if name not in n.input:
            continue
        w = imp.consts.get(n.input[1]) if n.op_type == "Conv" and len(n.input) > 1 else None
        if (w is not None and w.ndim == 3) or len(imp.attrs(n).get("kernel_shape") or ()) == 1:
            return True
    return False


def min_length(imp: Importer, name: str, fixed: int | None) -> int:
    """MinLength of a sequence input: layergraph's export records it; else the fixed length, else
    `default_length` (import_model tries lengths until the layers accept one)."""
    for prop in imp.model.metadata_props:
        if prop.key == f"layergraph.MinLength.{name}" and prop.value.isdigit():
            return int(prop.value)
    return fixed or imp.default_length


def _nhwc(imp: Importer, name: str) -> bool:
    """True when every reader of graph input `name` is a Transpose from N×H×W×C to N×C×H×W."""
    readers = [n for n in imp.graph.node if name in n.input]
    dims = next(i for i in imp.graph.input if i.name == name).type.tensor_type.shape.dim
    per = [d.dim_value for d in dims[1:]]
    return bool(readers) and all(
        (n.op_type == "Transpose" and list(imp.attrs(n).get("perm") or ()) == [0, 3, 1, 2])
        or _channel_reshape(imp, n, per) for n in readers)


def _channel_reshape(imp: Importer, node: Any, per: list[int]) -> bool:
    """tf2onnx's NHWC → NCHW move of a one-channel input: a Reshape of N×H×W×1 to N×1×H×W."""
    if node.op_type != "Reshape" or len(per) != 3 or per[2] != 1 or node.input[1] not in imp.consts:
        return False
    target = [int(d) for d in imp.consts[node.input[1]].reshape(-1)]
    return len(target) == 4 and target[1:] == [1, per[0], per[1]] and target[0] in (-1, 0, imp.static_batch or 0)


def _nhwc_of_layer(imp: Importer, v: Val) -> bool:
    base = imp.nodes[v.base]
    return (v.idx is not None and base.act.is_image and v.idx.shape == (*base.tshape[1:], base.tshape[0])
            and np.array_equal(v.idx, np.arange(base.numel).reshape(base.tshape).transpose(1, 2, 0)))


def graph_outputs(imp: Importer) -> None:
    """Each graph output must be a layer's output that nothing else reads; it names that layer."""
    seen: dict[int, str] = {}
    for out in imp.graph.output:
        if out.name not in imp.vals:
            imp.val(out.name)  # a Pad's output or a constant: says which
            raise imp.fail(f"output '{out.name}' is not an activation (a constant or an unsupported value)")
        imp.onnx_node = f"output '{out.name}'"
        nid = _output_node(imp, imp.vals[out.name])
        if imp.out_degree[nid] or nid in seen:
            other = f"output '{seen[nid]}'" if nid in seen else "another layer"
            raise imp.fail(f"it is also used by {other}; layergraph's outputs are the layers nothing "
                           "else consumes")
        seen[nid] = out.name
        imp.nodes[nid].hint = (0, sanitize(out.name) or "output")
        imp.outputs.append(nid)
    imp.onnx_node = None


def _output_node(imp: Importer, v: Val | Index | Seq) -> int:
    """The layer node whose whole output graph output `v` is (made where ONNX reshaped it)."""
    if isinstance(v, Index):
        raise imp.fail("it holds class indices, not an activation")
    if isinstance(v, Seq):  # a whole sequence (N×T×C from PyTorch too): the layer's "CBT" output
        if sorted(v.normal()) != ["C", "N", "T"] or imp.nodes[v.base].act.time is None:
            raise imp.fail(f"its axes {''.join(v.axes)} are not a sequence layer's whole output")
        return v.base
    shape = imp.shape(v)
    sequence = "T" in imp.nodes[v.base].act.fmt
    if len(shape) == 3:  # transposed back to N×H×W×C (tf2onnx): the network gives the layer's N×C×H×W
        return v.base if _nhwc_of_layer(imp, v) else imp.image(v)
    if len(shape) == 2 and v.idx is None and sequence:
        return v.base  # sequences, whole
    if len(shape) == 1 or (len(shape) == 2 and min(shape) == 1 and not sequence):
        return imp.features(Val(v.base, imp.index(v).reshape(-1), v.hint))  # N×1×K as K features
    raise imp.fail(f"it has per-sample shape {list(shape)}; layergraph gives N×C×H×W or N×K")
