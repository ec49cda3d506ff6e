"""exportONNXNetwork: write a compiled network as an ONNX model with explicit pads and a dynamic batch.

The ONNX graph is written layer by layer from the LayerGraph (not traced), so every layer keeps its MATLAB
name: graph inputs and outputs are the input/output layer names, a layer's main node and its output value
carry the layer's name, helper nodes are named 'layer/role' and initializers 'layer/Parameter' (the keys
of `net.tensors()`). Each layer is written by its emitter, called with one `EmitContext` (onnx_builder.py):
the table EMITTERS gathers them from onnx_emit_conv.py, onnx_emit_layers.py, onnx_emit_recurrent.py and
onnx_sequence.py; a layer declared as one ONNX node on its class (`onnx_op`) needs none.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.graph.layergraph import LayerGraph
from layergraph.interop import onnx_emit_conv, onnx_emit_layers, onnx_emit_recurrent, onnx_sequence
from layergraph.interop.onnx_builder import Builder, Emit, EmitContext, ONNXExportError, require_onnx
from layergraph.layers.base import Layer
from layergraph.namevalue import name_value
from layergraph.safety.outputs import write_bytes_atomic
from layergraph.sizes import Act

__all__ = ["DEFAULT_OPSET", "EMITTERS", "MIN_OPSET", "ONNXExportError", "as_network", "emitter", "exportONNXNetwork",
           "onnx_model", "require_onnx"]

DEFAULT_OPSET = 13  # widely read (onnxruntime, MATLAB's importers); 13 is the first with one-axis Softmax
MIN_OPSET = 13
BATCH_DIM = "N"

# layers whose ONNX form takes more than one node or attributes computed from options (`onnx_emitter()` on the
# class); one module per concern
EMITTERS: dict[type[Layer], Emit] = {**onnx_emit_layers.EMITTERS, **onnx_emit_conv.EMITTERS,
                                     **onnx_emit_recurrent.EMITTERS, **onnx_sequence.EMITTERS}


def _one_node(ctx: EmitContext) -> str:
    """A layer declared as one ONNX node (`onnx = onnx_op(...)` on its class)."""
    g, layer, name, xs = ctx.g, ctx.layer, ctx.name, ctx.xs
    form = layer.onnx
    attrs = {k: (float(v) if isinstance(v, float) else v) for k, v in form.attributes(layer).items()}
    return g.node(form.op, xs, name, name=name, **attrs)


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
    g = Builder(onnx, opset)
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
        ctx = EmitContext(g, layer, name, xs, analysis.inputs.get(name, []), out, net.layer_module(name))
        value_of[name] = emit(ctx)
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
