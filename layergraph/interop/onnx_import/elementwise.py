"""Element-wise layers on an ONNX value: `unary` adds one where the value is, following any rearrangement of
its elements; `declared` is the import handler of a layer class declared as one ONNX node
(`onnx = onnx_op("Elu", alpha="Alpha")`), its options read from the node's attributes or ONNX's defaults."""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.values import ONNXImportError, Seq, Val, f32, name_hint
from layergraph.layers.base import Layer


def unary(imp: Importer, node: Any, layer: Layer) -> None:
    """An element-wise layer on the node's input; it follows any rearrangement of the elements (and sequences)."""
    hint = name_hint(node.name)
    s = imp.vals.get(node.input[0])
    if isinstance(s, Seq):  # a whole sequence: the layer on it, the axes unchanged
        imp.set(node.output[0], replace(s, base=imp.add(layer, [s.base], hint), hint=hint))
        return
    v = imp.val(node.input[0])
    if v.idx is not None and len(v.idx.shape) == 3:
        # an image made by reshaping features: make it here (feature2image), where the reshape was,
        # rather than after this layer; element-wise layers otherwise just follow the rearrangement
        with contextlib.suppress(ONNXImportError):  # not expressible there: stay lazy
            v = Val(imp.image(v), None, v.hint)
    imp.set(node.output[0], Val(imp.add(layer, [v.base], hint), v.idx, hint))


def declared(cls: type[Layer]) -> Callable[[Importer, Any], None]:
    """The handler of an element-wise layer declared as one ONNX node: options from the node's attributes
    (`imp.attrs` fills in ONNX's defaults at the model's opset)."""
    form = cls.onnx

    def handle(imp: Importer, node: Any) -> None:
        given = imp.attrs(node)
        options = {}
        for attr, option in form.attrs:
            if isinstance(option, str):
                if attr not in given:
                    raise imp.fail(f"attribute '{attr}' is missing and has no default")
                value = given[attr]
                options[option] = f32(value) if isinstance(value, float) else value
        unary(imp, node, imp.make(cls, **options))

    return handle
