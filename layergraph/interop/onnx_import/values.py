"""Values of the ONNX importer: which layer output (and which of its elements) each ONNX value is, and the
small helpers every handler uses (float32 attributes, per-axis attributes, layer names from node names).

A `Val` is (layer node, idx) where `idx` has the ONNX per-sample shape and holds flat (torch-layout) element
numbers of the layer's output; Transpose/Reshape/Flatten/Squeeze/Unsqueeze only rearrange `idx`. No layer
is made until an operator needs its input in a form a layer can give (`image`, `features`, `fc_input`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layergraph.errors import SpecError
from layergraph.layers.base import Layer
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
