"""What the ONNX emitters share: the graph builder, the context each emitter is called with, the export error,
and MATLAB's column-major flatten/unflatten as ONNX nodes.

Names follow exportONNXNetwork's rule (interop/onnx_export.py): a layer's main node and its output value carry
the layer's name, helper nodes are 'layer/role', initializers 'layer/Parameter'.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from layergraph.errors import SpecError
from layergraph.sizes import Act


class ONNXExportError(SpecError):
    """The network has a layer or option that cannot be written as ONNX (exit code 2)."""


def require_onnx() -> Any:
    """The `onnx` module, or a one-line error saying how to install it."""
    try:
        import onnx
    except ImportError:  # pragma: no cover - onnx is an optional dependency
        raise ONNXExportError("ONNX support needs the 'onnx' package: pip install 'layergraph[onnx]'") from None
    return onnx


class Builder:
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
        """An int64 initializer (shapes, axes, pads)."""
        return self.const(name, values, np.int64)


@dataclass(frozen=True)
class EmitContext:
    """One layer being written: the builder, the layer and its name, its inputs' ONNX value names and sizes
    (port order), its output size and its compiled module (learnables and state in torch layout)."""

    g: Builder
    layer: Any
    name: str
    xs: list[str]
    ins: list[Act]
    out: Act
    m: nn.Module

    @property
    def opset(self) -> int:
        return self.g.opset


Emit = Callable[[EmitContext], str]  # an emitter: the ONNX value name of the layer's output


def flatten_matlab(g: Builder, name: str, x: str, act: Act, out: str | None = None) -> str:
    """Image → features in MATLAB's order (h fastest, then w, then c): transpose H/W, then row-major Flatten."""
    if not act.is_image:
        return x if out is None else g.node("Identity", [x], out, name=name)
    h, w = (*act.spatial, 1)[:2]
    if h > 1 and w > 1:  # with a singleton H or W both orders agree: skip the transpose
        x = g.node("Transpose", [x], f"{name}/transpose", name=f"{name}/transpose", perm=[0, 1, 3, 2])
    out = out or f"{name}/flatten"
    return g.node("Flatten", [x], out, name=name if out == name else f"{name}/flatten", axis=1)


def unflatten_matlab(g: Builder, name: str, x: str, size: tuple[int, int, int]) -> str:
    """Features → H×W×C image column-major (MATLAB's reshape): Reshape to N×C×W×H, then swap W and H."""
    h, w, c = size
    if h == 1 or w == 1:  # the two orders agree
        return g.node("Reshape", [x, g.ints(f"{name}/shape", [0, c, h, w])], name, name=name)
    y = g.node("Reshape", [x, g.ints(f"{name}/shape", [0, c, w, h])], f"{name}/reshape", name=f"{name}/reshape")
    return g.node("Transpose", [y], name, name=name, perm=[0, 1, 3, 2])

