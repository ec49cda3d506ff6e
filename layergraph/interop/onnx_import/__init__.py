"""importONNXNetwork: turn an ONNX graph of layer-like operators into a LayerGraph plus weights.

ONNX tensors are row-major NCHW; layergraph flattens and reshapes column-major like MATLAB. Rather than
matching fixed node patterns, the importer follows each ONNX value as *elements of a layer's output*
(values.py); Transpose/Reshape/Flatten/Squeeze/Unsqueeze only rearrange those elements (layout.py). No layer
is made until an operator (a handler per ONNX operator and opset, registry.py; ops.py gathers them) needs its
input in a form a layer can give:

* a fully connected layer takes any element order: its weight columns are permuted instead;
* an image input is made with MATLAB's feature2image (column-major) when the order fits, otherwise the
  rows of the fully connected layer that produced the features are permuted so that it does;
* features from an image are made with flattenLayer (column-major).

Constant expressions (Shape → Gather → Concat → Reshape) are folded with onnx's reference evaluator, and
constants are folded into biases and input normalization (folding.py). After the walk, helper layers are
merged back, and the layers are ordered and named (rewrite.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from layergraph.errors import LayergraphError
from layergraph.graph.layergraph import LayerGraph
from layergraph.interop.onnx_import.attention import fuse_attention
from layergraph.interop.onnx_import.folding import fold_crop
from layergraph.interop.onnx_import.gelu import fuse_gelu
from layergraph.interop.onnx_import.graph_io import graph_inputs, graph_outputs
from layergraph.interop.onnx_import.groupnorm import fuse_group_norm
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.ops import OPS, convert, handler_for
from layergraph.interop.onnx_import.rewrite import build
from layergraph.interop.onnx_import.sequences import sequence_inputs
from layergraph.interop.onnx_import.torch_attention import fuse_torch_attention
from layergraph.interop.onnx_import.values import ONNXImportError
from layergraph.safety.onnxfile import check_sizes, read_onnx

__all__ = ["OPS", "ONNXImportError", "handler_for", "importNetworkFromONNX", "importONNXNetwork", "import_model",
           "load_onnx"]


def load_onnx(source: str | Path | Any) -> tuple[Any, str]:
    """(ModelProto, label) from a path or a ModelProto; a truncated or non-ONNX file is a one-line error."""
    try:
        import onnx
    except ImportError:  # pragma: no cover - optional dependency
        raise ONNXImportError("ONNX support needs the 'onnx' package: pip install 'layergraph[onnx]'") from None
    if isinstance(source, onnx.ModelProto):
        model, where = source, "<model>"
    else:
        where = str(source)
        path = Path(source)
        # plain protobuf parsing (no code runs, no custom operators load) within the caps of safety/onnxfile.py
        model = read_onnx(path, ONNXImportError)
    check_sizes(model, where)
    if not model.HasField("graph") or not model.graph.node or not model.opset_import:
        raise ONNXImportError(f"{where}: not an ONNX model or the file is truncated (no graph or no opset)")
    if not model.graph.output:
        raise ONNXImportError(f"{where}: the ONNX graph has no outputs (truncated file?)")
    _check(onnx, model, where)
    return model, where


# Operator versions onnx's checker calls deprecated though their schemas still define them and onnxruntime runs
# them (GroupNormalization at opsets 18–20: scale and bias per group); their handlers check them instead.
DEPRECATED_READ = {"GroupNormalization"}


def _check(onnx: Any, model: Any, where: str) -> None:
    """onnx's checker on `model`; nodes of a deprecated version in DEPRECATED_READ are checked as Identity of
    their first input (the rest of the graph is still checked)."""
    try:
        onnx.checker.check_model(model)
        return
    except (onnx.checker.ValidationError, ValueError) as err:
        first = str(err).strip().splitlines()[0]
        if "is deprecated in domain_version" not in first or not any(
                n.op_type in DEPRECATED_READ for n in model.graph.node):
            raise ONNXImportError(f"{where}: invalid ONNX model: {first}") from None
    stand_in = onnx.ModelProto()
    stand_in.CopyFrom(model)
    for n in stand_in.graph.node:
        if n.op_type in DEPRECATED_READ and n.domain in ("", "ai.onnx"):
            n.CopyFrom(onnx.helper.make_node("Identity", n.input[:1], n.output[:1], name=n.name))
    try:
        onnx.checker.check_model(stand_in)
    except (onnx.checker.ValidationError, ValueError) as err:
        raise ONNXImportError(f"{where}: invalid ONNX model: {str(err).strip().splitlines()[0]}") from None


def importONNXNetwork(source: str | Path | Any) -> tuple[LayerGraph, dict[str, torch.Tensor]]:
    """MATLAB's importONNXNetwork: (LayerGraph, weights keyed 'layer/Parameter' in torch layout, as net.tensors()).

    Load them with `net = dlnetwork(lgraph); net.load_tensors(weights)`, or call importNetworkFromONNX.
    """
    return import_model(*load_onnx(source))


def import_model(model: Any, where: str) -> tuple[LayerGraph, dict[str, torch.Tensor]]:
    """importONNXNetwork for a loaded and checked ModelProto; errors begin with `where`.

    A sequence input of free length that the file gives no MinLength for is tried at lengths 1, 2, 4, …, 4096:
    the shortest the layers accept becomes its MinLength; when none does, the error at the longest is reported
    (at short lengths a convolution's size error would hide the node that really stops the import)."""
    last: ONNXImportError | None = None
    for length in [2 ** i for i in range(13)]:
        try:
            return _import(model, where, length)
        except ONNXImportError as err:
            last = err
            if not _free_length(model):
                raise
    assert last is not None
    raise last


def _free_length(model: Any) -> bool:
    """True when some rank-3 graph input has a free last axis and the file records no MinLength for it."""
    recorded = {p.key for p in model.metadata_props}
    return any(len(i.type.tensor_type.shape.dim) == 3 and not i.type.tensor_type.shape.dim[2].HasField("dim_value")
               and f"layergraph.MinLength.{i.name}" not in recorded for i in model.graph.input)


def _import(model: Any, where: str, length: int) -> tuple[LayerGraph, dict[str, torch.Tensor]]:
    imp = Importer(model, where, fold_crop)
    imp.default_length = length
    # fused regions: one node each (GELU, attention of layergraph's and of PyTorch's, group normalization)
    nodes = fuse_group_norm(imp, fuse_attention(imp, fuse_torch_attention(imp, fuse_gelu(imp))))
    sequence_inputs(imp, nodes)  # inputs read by LSTM/GRU or PyTorch's attention: sequenceInputLayer (first)
    graph_inputs(imp)
    for node in nodes:
        imp.onnx_node = node
        convert(imp, node)
    imp.onnx_node = None
    graph_outputs(imp)
    try:
        return build(imp)
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
