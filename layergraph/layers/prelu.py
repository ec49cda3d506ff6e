"""preluLayer: x for x > 0, α·x otherwise, with α learned (one value, or one per channel)."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import torch
from pydantic import BeforeValidator
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, LayerModule, onnx_emitter
from layergraph.layers.options import plain
from layergraph.sizes import Act


def _alpha(value: Any) -> Any:
    """A number, or one number per channel (any vector or 1×1×C array: MATLAB expands it over the channels)."""
    value = plain(value)
    if isinstance(value, (list, tuple)):
        flat: list[Any] = []

        def walk(v: Any) -> None:
            if isinstance(v, (list, tuple)):
                for x in v:
                    walk(x)
            else:
                flat.append(v)

        walk(value)
        value = flat[0] if len(flat) == 1 else flat
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                 for v in value):
        return [float(v) for v in value]
    raise ValueError("Alpha must be a number or one number per channel")


AlphaValue = Annotated[float | list[float], BeforeValidator(_alpha)]


class _PReLU(LayerModule):
    def __init__(self, alpha: torch.Tensor, shape: tuple[int, ...], view: tuple[int, ...]) -> None:
        super().__init__()
        self.Alpha = nn.Parameter(alpha.reshape(view).clone())
        self.layout = {"Alpha": (tuple(range(len(view))), shape)}
        self.view = view

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.where(x > 0, x, self.Alpha * x)


class PReLULayer(Layer):
    """preluLayer(Alpha=0.25): x for x > 0, Alpha·x otherwise; Alpha is learnable, a scalar or one value per
    channel (MATLAB size 1×1×C for images, C×1 for features and sequences)."""

    type: Literal["preluLayer"] = "preluLayer"
    Alpha: AlphaValue = 0.25
    type_label: ClassVar[str] = "PReLU"
    size_rule: ClassVar[str] = "same as the input"
    default_name: ClassVar[str] = "prelu"
    family: ClassVar[str] = "act"
    elementwise: ClassVar[bool] = True
    onnx: ClassVar = onnx_emitter(imports=("PRelu",))

    def _shape(self, act: Act) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(MATLAB size, torch view) of Alpha for input `act`."""
        if isinstance(self.Alpha, float):
            return (1, 1), (1,) * max(len(act.size), 1)
        c = act.channels
        if len(self.Alpha) != c:
            raise NetworkError(f"{self.type}: Alpha has {len(self.Alpha)} values but the input has {c} channels")
        rest = (1,) * (len(act.size) - 1)  # torch: channels first, then the other per-sample axes
        return ((1, 1, c) if act.fmt == "SSC" else (1, c) if act.fmt == "SC" else (c, 1)), (c, *rest)

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        return {"Alpha": self._shape(inputs[0])[0]}

    def learnable_names(self) -> list[str]:
        return ["Alpha"]

    def description(self) -> str:
        return "PReLU"

    def build(self, inputs: list[Act]) -> nn.Module:
        shape, view = self._shape(inputs[0])
        values = torch.tensor(self.Alpha if isinstance(self.Alpha, list) else [self.Alpha], dtype=torch.float32)
        return _PReLU(values, shape, view)
