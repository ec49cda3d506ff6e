"""Layers that change layout: flattenLayer, resize2dLayer, crop2dLayer, functionLayer."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import BeforeValidator, field_validator, model_validator
from torch import nn

from layergraph.errors import NetworkError, OptionError
from layergraph.layers.base import Layer, fmt_vec, need_image, onnx_emitter
from layergraph.layers.calls import LayerCall, probe
from layergraph.layers.dense import flatten_matlab
from layergraph.layers.functions import RegisteredFunction, lookup
from layergraph.layers.options import Lower, PortCount, plain
from layergraph.nargout import nargin
from layergraph.sizes import Act


def _scalar_pair(value: Any) -> Any:
    """A scalar scale means the same for height and width."""
    value = plain(value)
    return [value, value] if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class _Flatten(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return flatten_matlab(x)


class FlattenLayer(Layer):
    """flattenLayer(): H×W×C images become h·w·c features (column-major, as MATLAB); a sequence ("CBT") keeps its
    time dimension (MATLAB folds only S into C, and "CBT" has no S)."""

    type: Literal["flattenLayer"] = "flattenLayer"
    type_label: ClassVar[str] = "Flatten"
    size_rule: ClassVar[str] = "`h·w·c`; sequences (c×T) unchanged"
    default_name: ClassVar[str] = "flatten"
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter()  # made on import wherever ONNX flattens an image column-major

    def output_size(self, inputs: list[Act]) -> Act:
        if inputs[0].time is not None:
            return inputs[0]
        return Act((inputs[0].numel,), "C")

    def description(self) -> str:
        return "Flatten"

    def build(self, inputs: list[Act]) -> nn.Module:
        return nn.Identity() if inputs[0].time is not None else _Flatten()


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
    size_rule: ClassVar[str] = "`OutputSize`, or `floor(in·Scale)`"
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


def _port_names(given: list[str] | None, prefix: str, n: int) -> list[str]:
    if given:
        return list(given)
    return [prefix] if n == 1 else [f"{prefix}{i + 1}" for i in range(n)]


class FunctionLayer(Layer):
    """functionLayer(fun): a function applied to the layer's inputs.

    `fun` is a Python callable (MATLAB's `@(X) …` is `lambda X: …`), called as MATLAB calls it: with
    unformatted MATLAB-layout dlarrays, or with formatted ones when Formattable=True; sizes come from one
    probe run. Or `fun` is the name of a registered function (specs can only name those): MATLAB's
    `functionLayer(@(X) feature2image(X,[4 4 1024]))` is `functionLayer("feature2image", Arguments=[[4, 4, 1024]])`.
    """

    type: Literal["functionLayer"] = "functionLayer"
    PredictFcn: str | Callable[..., Any]
    Arguments: list[Any] = []
    NumInputs: PortCount = 1  # at most 1,024, as for every layer with several inputs
    NumOutputs: PortCount = 1
    InputNames: list[str] | None = None
    OutputNames: list[str] | None = None
    Formattable: bool = False
    Acceleratable: bool = False
    Description: str = ""
    type_label: ClassVar[str] = "Function"
    size_rule: ClassVar[str] = "what the registered function's size rule returns (`feature2image`: its `outputSize`)"
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
            return v  # a Python function: runs and analyses in memory; a spec needs it registered by name
        if isinstance(v, str):
            try:
                lookup(v)
            except KeyError as err:
                raise ValueError(str(err.args[0])) from None
        return v

    @model_validator(mode="before")
    @classmethod
    def _arity(cls, data: Any) -> Any:
        """MATLAB's NumInputs default is nargin of the function handle: the Python callable's positional
        parameters (1 when it takes *args, MATLAB's varargin)."""
        if isinstance(data, dict) and "NumInputs" not in data and callable(data.get("PredictFcn")) \
                and not isinstance(data["PredictFcn"], RegisteredFunction):
            n = nargin(data["PredictFcn"])
            if n is not None and n > 1:
                data = {**data, "NumInputs": n}
        return data

    @model_validator(mode="after")
    def _ports(self) -> FunctionLayer:
        for names, n, what in ((self.InputNames, self.NumInputs, "InputNames"),
                               (self.OutputNames, self.NumOutputs, "OutputNames")):
            if names is not None and len(names) != n:
                raise ValueError(f"{what} has {len(names)} names but the layer has {n}")
        entry = self._static()
        if entry is not None:  # the Arguments fit the function's size rule (a spec error, found here)
            try:
                inspect.signature(entry.output_size).bind([], *self.Arguments)  # type: ignore[arg-type]
            except TypeError as err:
                raise ValueError(f"Arguments {self.Arguments!r} do not fit {self.PredictFcn} ({err})") from None
        return self

    @property
    def input_names(self) -> list[str]:
        return _port_names(self.InputNames, "in", self.NumInputs)

    @property
    def output_names(self) -> list[str]:
        return _port_names(self.OutputNames, "out", self.NumOutputs)

    def _static(self) -> RegisteredFunction | None:
        """The registered function with a size rule (torch-layout calls), or None (MATLAB-style calls)."""
        if callable(self.PredictFcn):
            return None
        entry = lookup(self.PredictFcn)
        return entry if entry.output_size is not None else None

    def _callable(self) -> Callable[..., Any]:
        fn = self.PredictFcn if callable(self.PredictFcn) else lookup(self.PredictFcn).fn
        args = tuple(self.Arguments)
        return (lambda *xs: fn(*xs, *args)) if args else fn

    def output_sizes(self, inputs: list[Act]) -> list[Act]:
        entry = self._static()
        if entry is not None:
            try:
                size = entry.output_size(inputs, *self.Arguments)  # type: ignore[misc]
            except (TypeError, ValueError, OverflowError) as err:  # wrong number or kind of Arguments
                raise NetworkError(f"{self.PredictFcn}: Arguments {self.Arguments!r} do not fit the function "
                                   f"({' '.join(str(err).split())})") from None
            except Exception as err:  # the user's size rule itself failed: name it and where it lives
                raise NetworkError(f"{self._rule_name(entry)} failed: {type(err).__name__}: "
                                   f"{' '.join(str(err).split())[:200]}") from None
            if not isinstance(size, Act):
                raise NetworkError(f"{self._rule_name(entry)} returned {type(size).__name__}, not a size (Act)")
            return [size]
        return probe(self._callable(), inputs, self.Formattable, f"functionLayer {self._fname()}",
                     self.NumOutputs)

    def output_size(self, inputs: list[Act]) -> Act:
        return self.output_sizes(inputs)[0]

    @staticmethod
    def _rule_name(entry: RegisteredFunction) -> str:
        """'the output_size rule of registered function NAME (module M)' for errors in a user's size rule."""
        module = getattr(entry.output_size, "__module__", None) or getattr(entry.fn, "__module__", "?")
        return f"the output_size rule of registered function '{entry.name}' (module {module})"

    def _fname(self) -> str:
        fn = self.PredictFcn
        return fn if isinstance(fn, str) else getattr(fn, "__qualname__", getattr(fn, "__name__", "function"))

    def description(self) -> str:
        if self.Description:
            return self.Description
        xs = ",".join("X" if self.NumInputs == 1 else f"X{i + 1}" for i in range(self.NumInputs))
        args = "".join("," + _matlab_value(a) for a in self.Arguments)
        return f"@({xs}){self._fname()}({xs}{args})"

    def spec_options(self) -> dict[str, Any]:
        if callable(self.PredictFcn):
            raise OptionError(f"functionLayer's PredictFcn is a Python function ({self._fname()}), which a spec "
                              "cannot hold; register it by name, register_function('myfn')(fn) or "
                              "@register_function('myfn') on a def, use functionLayer('myfn', …), and load that "
                              "module with --import MODULE")
        return super().spec_options()

    def build(self, inputs: list[Act]) -> nn.Module:
        entry = self._static()
        if entry is not None:
            return _Function(entry, self.Arguments)
        outs = [a.batch_fmt for a in self.output_sizes(inputs)]
        return LayerCall(self._callable(), [a.batch_fmt for a in inputs], outs, self.Formattable,
                         f"functionLayer {self._fname()}")


def _crop_mode(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, str):
        return value.lower()
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 1 and float(v).is_integer()
                    for v in value)):
        return int(value[0]), int(value[1])
    raise ValueError("must be 'centercrop' or a location [x y] of positive integers")


class _Crop(nn.Module):
    def __init__(self, top: int, left: int, h: int, w: int) -> None:
        super().__init__()
        self.top, self.left, self.h, self.w = top, left, h, w

    def forward(self, x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        return x[:, :, self.top: self.top + self.h, self.left: self.left + self.w]


class Crop2DLayer(Layer):
    """crop2dLayer(mode): crop input 'in' to the height and width of input 'ref'; 'centercrop' centres the
    window, a location [x y] puts its upper-left corner at column x, row y of 'in' (1-based)."""

    type: Literal["crop2dLayer"] = "crop2dLayer"
    Location: Annotated[Literal["centercrop"] | tuple[int, int], BeforeValidator(_crop_mode)] = "centercrop"
    type_label: ClassVar[str] = "Crop 2D"
    size_rule: ClassVar[str] = "the height and width of its second input (`ref`), the channels of its first"
    default_name: ClassVar[str] = "crop"
    positional: ClassVar[tuple[str, ...]] = ("Location",)
    required: ClassVar[int] = 1
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter(not_back="its Slice of H and W imports only as the cropping of a convolution or "
                                  "pooling layer before it; crop2dLayer itself is not made")

    @property
    def input_names(self) -> list[str]:
        return ["in", "ref"]

    @property
    def Mode(self) -> str:
        return "centercrop" if self.Location == "centercrop" else "custom"

    def window(self, inputs: list[Act]) -> tuple[int, int, int, int]:
        """(top, left, height, width) of the window, 0-based; an error naming both sizes if it does not fit."""
        need_image(self, inputs[0])
        need_image(self, inputs[1])
        (h, w), (rh, rw) = inputs[0].spatial, inputs[1].spatial
        if self.Location == "centercrop":
            top, left = (h - rh) // 2, (w - rw) // 2
        else:
            left, top = self.Location[0] - 1, self.Location[1] - 1
        if top < 0 or left < 0 or top + rh > h or left + rw > w:
            raise NetworkError(f"{self.type}: a {rh}×{rw} window at {self._where(top, left)} does not fit in the "
                               f"{h}×{w} input 'in'")
        return top, left, rh, rw

    def _where(self, top: int, left: int) -> str:
        return "the centre" if self.Location == "centercrop" else f"[x y] = [{left + 1} {top + 1}]"

    def output_size(self, inputs: list[Act]) -> Act:
        _, _, h, w = self.window(inputs)
        return inputs[0].with_size(S=(h, w))

    def description(self) -> str:
        return "center crop" if self.Location == "centercrop" else f"crop at [x y] = {fmt_vec(self.Location)}"

    def build(self, inputs: list[Act]) -> nn.Module:
        return _Crop(*self.window(inputs))
