"""The ONNX operator table: every handler module registers its handlers (`@handler(op, since=opset)`,
registry.py) when imported here; the layout handlers are then made to follow sequences too (sequences.py).

A handler `handler(imp, node)` reads its inputs with `imp.val`/`imp.const`, asks for them in a form a layer takes
(`imp.image`, `imp.features`, `imp.fc_input`), makes the layer (`imp.add(imp.make(LayerClass, …), inputs, hint,
params)`) and records its output value (`imp.set`); `imp.attrs(node)` gives the node's attributes with ONNX's
defaults at the model's opset filled in.
"""
from __future__ import annotations

from layergraph.interop.onnx_import import (  # noqa: F401 - imported to register their handlers
    attention,
    groupnorm,
    layout,
    ops_1d,
    ops_activation,
    ops_arith,
    ops_conv,
    ops_dense,
    ops_norm,
    ops_spatial,
    recurrent,
    sequence_ops,
    sequences,
    torch_attention,
)
from layergraph.interop.onnx_import.registry import HANDLERS, Handler, convert, handler_for

__all__ = ["OPS", "Handler", "convert", "handler_for"]

for _op, _seq in sequences.SEQUENCE_LAYOUT.items():  # Transpose, Squeeze, … of sequences: recurrent.py
    HANDLERS[_op] = {since: sequences.sequence_aware(plain, _seq) for since, plain in HANDLERS[_op].items()}
for _op, _seq in sequence_ops.SEQUENCE_OPS.items():  # MatMul, Add, LayerNormalization of N×T×C sequences
    HANDLERS[_op] = {since: sequence_ops.any_sequence(plain, _seq) for since, plain in HANDLERS[_op].items()}

OPS = HANDLERS  # ONNX operator → {first opset: handler}
