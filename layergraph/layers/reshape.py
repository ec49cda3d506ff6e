"""Layers that change layout: flattenLayer, resize2dLayer, functionLayer."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import BeforeValidator, field_validator, model_validator
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, fmt_vec, need_image, onnx_emitter
from layergraph.layers.dense import flatten_matlab
from layergraph.layers.functions import RegisteredFunction, lookup
from layergraph.layers.options import Lower, PositiveInt, plain
from layergraph.sizes import Act


def _scalar_pair(value: Any) -> Any:
    """A scalar scale means the same for height and width."""
    value = plain(value)
    return [value, value] if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class _Flatten(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return flatten_matlab(x)


class FlattenLayer(Layer):
    """flattenLayer(): H×W×C images become h·w·c features (column-major, as MATLAB)."""

    type: Literal["flattenLayer"] = "flattenLayer"
    type_label: ClassVar[str] = "Flatten"
    default_name: ClassVar[str] = "flatten"
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter()  # made on import wherever ONNX flattens an image column-major

    def output_size(self, inputs: list[Act]) -> Act:
        return Act((inputs[0].numel,), "C")

    def description(self) -> str:
        return "Flatten"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Flatten()


class _Resize(nn.Module):
    def __init__(self, size: tuple[int, int], mode: str) -> None:
        super().__init__()
        self.size, self.mode = size, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "bilinear":
            return F.interpolate(x, size=self.size, mode="bilinear", align_corners=False)
        # MATLAB's default half-pixel mapping with rounding is torch's 'nearest-exact'
        return F.interpolate(x, size=self.size, mode="nearest-exact")


class Resize2DLayer(Layer):
    """resize2dLayer(Scale=s) or resize2dLayer(OutputSize=[h w]): resize images (nearest by default)."""

    type: Literal["resize2dLayer"] = "resize2dLayer"
    Scale: Annotated[tuple[float, float] | None, BeforeValidator(_scalar_pair)] = None
    OutputSize: tuple[int, int] | None = None
    Method: Annotated[Literal["nearest", "bilinear"], Lower] = "nearest"
    type_label: ClassVar[str] = "Resize"
    default_name: ClassVar[str] = "resize"
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter(imports=("Resize",))

    @model_validator(mode="after")
    def _one_of(self) -> Resize2DLayer:
        if (self.Scale is None) == (self.OutputSize is None):
            raise ValueError("give exactly one of Scale and OutputSize")
        values = self.Scale if self.Scale is not None else self.OutputSize
        if any(v <= 0 for v in values):
            raise ValueError("Scale/OutputSize must be positive")
        return self

    def _out(self, act: Act) -> tuple[int, int]:
        need_image(self, act)
        if self.OutputSize is not None:
            return self.OutputSize
        return int(act.spatial[0] * self.Scale[0]), int(act.spatial[1] * self.Scale[1])

    def output_size(self, inputs: list[Act]) -> Act:
        h, w = self._out(inputs[0])
        if h < 1 or w < 1:
            raise NetworkError(f"{self.type}: output size {h}×{w} is empty")
        return Act((h, w, inputs[0].channels), "SSC")

    def description(self) -> str:
        what = f"scale {fmt_vec([f'{s:g}' for s in self.Scale])}" if self.Scale else \
            f"output size {fmt_vec(self.OutputSize)}"
        return f"Resize with {what} and method '{self.Method}'"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Resize(self._out(inputs[0]), self.Method)


class _Function(nn.Module):
    def __init__(self, fn: RegisteredFunction, args: list[Any]) -> None:
        super().__init__()
        self.fn, self.args = fn.fn, tuple(args)

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return self.fn(*xs, *self.args)


def _matlab_value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return fmt_vec(v)
    return repr(v) if isinstance(v, str) else str(v)


class FunctionLayer(Layer):
    """functionLayer(fun): call a registered function by name with fixed extra arguments.

    MATLAB's `functionLayer(@(X) feature2image(X,[4 4 1024]))` is
    `functionLayer("feature2image", Arguments=[[4, 4, 1024]])`.
    """

    type: Literal["functionLayer"] = "functionLayer"
    PredictFcn: str
    Arguments: list[Any] = []
    NumInputs: PositiveInt = 1
    Formattable: bool = False
    Acceleratable: bool = False
    Description: str = ""
    type_label: ClassVar[str] = "Function"
    default_name: ClassVar[str] = "layer"
    positional: ClassVar[tuple[str, ...]] = ("PredictFcn",)
    required: ClassVar[int] = 1
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter()  # feature2image only: made on import where ONNX reshapes features to images

    @field_validator("PredictFcn", mode="before")
    @classmethod
    def _registered(cls, v: Any) -> Any:
        if isinstance(v, RegisteredFunction):
            return v.name
        if callable(v):
            raise ValueError("must be the name of a function registered with layergraph.register_function "
                             f"(a Python callable such as {getattr(v, '__name__', 'a lambda')} cannot be saved "
                             "or analysed)")
        if isinstance(v, str):
            try:
                lookup(v)
            except KeyError as err:
                raise ValueError(str(err.args[0])) from None
        return v

    @property
    def input_names(self) -> list[str]:
        return ["in"] if self.NumInputs == 1 else [f"in{i + 1}" for i in range(self.NumInputs)]

    def output_size(self, inputs: list[Act]) -> Act:
        return lookup(self.PredictFcn).output_size(inputs, *self.Arguments)

    def description(self) -> str:
        if self.Description:
            return self.Description
        xs = ",".join("X" if self.NumInputs == 1 else f"X{i + 1}" for i in range(self.NumInputs))
        args = "".join("," + _matlab_value(a) for a in self.Arguments)
        return f"@({xs}){self.PredictFcn}({xs}{args})"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Function(lookup(self.PredictFcn), self.Arguments)
