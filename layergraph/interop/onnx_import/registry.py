"""The table of ONNX operator handlers, keyed by operator and by the opset from which each one applies.

A handler module registers its functions with `@handler("Conv")`, or `@handler("Clip", since=11)` where an
operator's inputs or meaning changed at opset 11; `handler_for(op, opset)` gives the newest handler whose
`since` is at most the model's opset. Element-wise layers declared as one ONNX node on their class need no
handler: `handler_for` makes one from the declaration (elementwise.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layergraph.interop.onnx_import.elementwise import declared
from layergraph.interop.onnx_import.folding import fold, shape_of
from layergraph.interop.onnx_import.importer import Importer
from layergraph.layers.base import LAYERS

Handler = Callable[[Importer, Any], None]
HANDLERS: dict[str, dict[int, Handler]] = {}  # op → {first opset it applies to: handler}


def handler(*ops: str, since: int = 1) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ONNX operators `ops` from opset `since` on."""

    def register(fn: Handler) -> Handler:
        for op in ops:
            HANDLERS.setdefault(op, {})[since] = fn
        return fn

    return register


def handler_for(op: str, opset: int | None = None) -> Handler | None:
    """The handler of ONNX operator `op` at `opset` (the newest when None): the newest registered one from an
    opset at most `opset`, else the element-wise layer class declaring `op`."""
    versions = HANDLERS.get(op, {})
    fitting = [v for v in versions if opset is None or v <= opset]
    if fitting:
        return versions[max(fitting)]
    for cls in LAYERS.values():
        form = cls.onnx
        if cls.elementwise and form is not None and form.op == op and op in form.imports:
            return declared(cls)
    return None


def convert(imp: Importer, node: Any) -> None:
    """Convert one ONNX node: fold it when its inputs are constants, else call its operator's handler."""
    op = node.op_type
    if node.domain not in ("", "ai.onnx"):
        raise imp.fail(f"operator {node.domain}::{op} is not a standard ONNX operator")
    ins = [i for i in node.input if i]
    if op == "Shape":
        shape_of(imp, node)
    elif all(i in imp.consts for i in ins) and not any(i in imp.vals for i in ins):
        fold(imp, node)
    else:
        found = handler_for(op, imp.opset)
        if found is None:
            raise imp.fail(f"no layergraph layer for ONNX operator {op}")
        found(imp, node)
