"""The Layer base class: a pydantic model of MATLAB options plus output-size, learnable and build rules."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from torch import nn

from layergraph.errors import NetworkError, OptionError
from layergraph.sizes import Act


class Layer(BaseModel):
    """One MATLAB layer: its options (fields, MATLAB names) and the rules that make it a network part.

    Subclasses set `type` (the MATLAB constructor name, used as the YAML `type`), `type_label`
    (analyzeNetwork's Type column), `default_name` (MATLAB's automatic name) and `positional`
    (the option names MATLAB takes positionally, in order).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, arbitrary_types_allowed=True)

    type: str
    Name: str = ""

    type_label: ClassVar[str] = ""
    default_name: ClassVar[str] = "layer"
    positional: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[int] = 0
    is_input: ClassVar[bool] = False

    # ----- MATLAB construction ------------------------------------------------------------------
    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> Layer:
        """Build from MATLAB-style arguments: positionals, then 'Name', value pairs and/or keywords."""
        ctor = cls.model_fields["type"].default
        if len(args) < cls.required:
            need = ", ".join(cls.positional[: cls.required])
            raise OptionError(f"{ctor}: expected {cls.required} positional argument(s) ({need}), got {len(args)}")
        values: dict[str, Any] = {}
        pos = list(args)
        i = 0
        while i < len(pos) and i < len(cls.positional) and not _is_option_name(cls, pos[i], i):
            values[cls.positional[i]] = pos[i]
            i += 1
        rest = pos[i:]
        if len(rest) % 2:
            raise OptionError(f"{ctor}: name-value arguments must come in pairs; '{rest[-1]}' has no value")
        pairs = list(zip(rest[::2], rest[1::2])) + list(kwargs.items())
        for key, value in pairs:
            field = cls.option_field(key)
            if field in values:
                raise OptionError(f"{ctor}: option '{field}' is given twice")
            values[field] = value
        return cls.from_options(values)

    @classmethod
    def options(cls) -> list[str]:
        """The option names this constructor accepts (MATLAB spelling)."""
        return [f for f in cls.model_fields if f != "type"]

    @classmethod
    def option_field(cls, key: Any) -> str:
        """Match an option name case-insensitively, as MATLAB does; unknown names raise OptionError."""
        ctor = cls.model_fields["type"].default
        if not isinstance(key, str):
            raise OptionError(f"{ctor}: expected an option name, got {key!r}")
        for field in cls.options():
            if field.lower() == key.lower():
                return field
        raise OptionError(f"{ctor}: unknown option '{key}'; accepted options: {', '.join(cls.options())}")

    @classmethod
    def from_options(cls, values: dict[str, Any], where: str = "") -> Layer:
        """Validate options (already keyed by field name) into a layer; errors name the option."""
        ctor = cls.model_fields["type"].default
        try:
            return cls(type=ctor, **{k: _plain(v) for k, v in values.items()})
        except ValidationError as err:
            first = err.errors()[0]
            msg = first["msg"].removeprefix("Value error, ")
            if not first["loc"]:  # a rule across several options
                raise OptionError(f"{where}{ctor}: {msg}") from None
            field = str(first["loc"][0])
            if first["type"] == "missing":
                raise OptionError(f"{where}{ctor}: missing required option '{field}'") from None
            got = values.get(field, first.get("input"))
            raise OptionError(f"{where}{ctor}: option '{field}' = {got!r} is invalid: {msg}") from None

    # ----- rules each layer provides ----------------------------------------------------------
    @property
    def input_names(self) -> list[str]:
        """MATLAB's InputNames: 'in' for one input, 'in1'…'inN' for several, none for input layers."""
        return [] if self.is_input else ["in"]

    def output_size(self, inputs: list[Act]) -> Act:
        """The activation size this layer produces for `inputs` (MATLAB order)."""
        return inputs[0]

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        """MATLAB shapes of the learnable parameters, in MATLAB's order."""
        return {}

    def states(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        """MATLAB shapes of the state parameters (batch-norm statistics)."""
        return {}

    def description(self) -> str:
        """analyzeNetwork's description line."""
        return self.type_label

    def build(self, inputs: list[Act]) -> nn.Module:
        """A torch module computing this layer on torch-layout batches (NCHW or NC)."""
        raise NotImplementedError(f"{self.type} cannot be compiled")


def _is_option_name(cls: type[Layer], value: Any, position: int) -> bool:
    """True when a positional string is really the start of the name-value pairs.

    MATLAB resolves the same ambiguity: 'Name' in `dropoutLayer('Name','d')` is an option, while
    "same" in a position that takes a string value is a value.
    """
    if not isinstance(value, str):
        return False
    return any(f.lower() == value.lower() for f in cls.options())


def _plain(value: Any) -> Any:
    """numpy arrays and tensors become lists/scalars so pydantic and YAML see plain data."""
    if isinstance(value, (np.ndarray, torch.Tensor)):
        value = np.asarray(value).tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    return value


def pair(value: Any, name: str = "value") -> tuple[int, int]:
    """MATLAB's scalar-or-[a b] convention for sizes such as FilterSize and Stride."""
    value = _plain(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value, value]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{name} must be a positive integer or a vector of two positive integers")
    out = []
    for v in value:
        if isinstance(v, bool) or not float(v).is_integer() or v < 1:
            raise ValueError(f"{name} must be a positive integer or a vector of two positive integers")
        out.append(int(v))
    return out[0], out[1]


def four_sides(value: Any, name: str, allowed: Sequence[str] = ("same",)) -> str | tuple[int, int, int, int]:
    """MATLAB padding/cropping: 'same', p, [a b] (top&bottom, left&right) or [t b l r]."""
    value = _plain(value)
    if isinstance(value, str):
        if value.lower() in allowed:
            return value.lower()
        raise ValueError(f"{name} must be {' or '.join(repr(a) for a in allowed)}, a non-negative integer, "
                         "[a b] or [t b l r]")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)) or len(value) not in (1, 2, 4):
        raise ValueError(f"{name} must be 'same', a non-negative integer, [a b] or [t b l r]")
    if any(isinstance(v, bool) or not float(v).is_integer() or v < 0 for v in value):
        raise ValueError(f"{name} values must be non-negative integers")
    v = [int(x) for x in value]
    if len(v) == 1:
        return (v[0],) * 4
    if len(v) == 2:
        return (v[0], v[0], v[1], v[1])
    return (v[0], v[1], v[2], v[3])


def fmt_vec(values: Sequence[Any]) -> str:
    """A vector written MATLAB's way: [2 2]."""
    return "[" + " ".join(str(v) for v in values) + "]"


def need_image(layer: Layer, act: Act) -> None:
    """Raise a size error naming the layer when it needs image (SSC) input."""
    if not act.is_image:
        raise NetworkError(f"{layer.type} expects image input (H×W×C) but got {act.fmt}-format size {act}")


def same_total(n: int, k: int, s: int) -> int:
    """Total 'same' padding so that the output has ceil(n/s) elements (MATLAB's and TF's rule)."""
    return max((math.ceil(n / s) - 1) * s + k - n, 0)


# ----- initializers (MATLAB defaults: glorot weights, zero biases) ----------------------------------
WEIGHT_INITS = ("glorot", "he", "narrow-normal", "zeros", "ones", "orthogonal")
BIAS_INITS = ("zeros", "ones", "narrow-normal")


def initialize(t: torch.Tensor, method: str, num_in: int, num_out: int) -> None:
    """Fill `t` in place with MATLAB's initializer `method` (fan sizes as MATLAB defines them)."""
    with torch.no_grad():
        if method == "glorot":
            bound = math.sqrt(6.0 / (num_in + num_out))
            t.uniform_(-bound, bound)
        elif method == "he":
            t.normal_(0.0, math.sqrt(2.0 / num_in))
        elif method == "narrow-normal":
            t.normal_(0.0, 0.01)
        elif method == "zeros":
            t.zero_()
        elif method == "ones":
            t.fill_(1.0)
        elif method == "orthogonal":
            nn.init.orthogonal_(t.view(t.shape[0], -1))
        else:
            raise ValueError(f"unknown initializer '{method}'")


def check_initializer(value: str, allowed: Sequence[str]) -> str:
    """Validate a MATLAB initializer name (case-insensitive), listing the accepted names on error."""
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)}")
    return value.lower()


class WithInitializers(Layer):
    """The WeightsInitializer/BiasInitializer options of layers with weights and biases."""

    WeightsInitializer: str = "glorot"
    BiasInitializer: str = "zeros"

    @field_validator("WeightsInitializer")
    @classmethod
    def _winit(cls, v: str) -> str:
        return check_initializer(v, WEIGHT_INITS)

    @field_validator("BiasInitializer")
    @classmethod
    def _binit(cls, v: str) -> str:
        return check_initializer(v, BIAS_INITS)


class LayerModule(nn.Module):
    """A compiled layer: parameters carry MATLAB names; `layout` maps each to MATLAB's axes.

    `layout[name] = (perm, matlab_shape)`: the MATLAB array is `tensor.permute(perm).reshape(shape)`.
    """

    layout: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]

    def __init__(self) -> None:
        super().__init__()
        self.layout = {}

    def to_matlab(self, name: str) -> torch.Tensor:
        """The parameter or state `name` in MATLAB layout (a detached copy)."""
        perm, shape = self.layout[name]
        return getattr(self, name).detach().permute(perm).reshape(shape).clone()

    def from_matlab(self, name: str, value: Any) -> None:
        """Write a MATLAB-layout array into parameter/state `name`; shape errors name the parameter."""
        perm, shape = self.layout[name]
        target = getattr(self, name)
        arr = torch.as_tensor(np.asarray(value), dtype=target.dtype)
        if arr.numel() != int(np.prod(shape)):
            raise ValueError(f"{name}: expected MATLAB size {'×'.join(map(str, shape))}, "
                             f"got {'×'.join(map(str, arr.shape))}")
        permuted = [target.shape[i] for i in perm]  # the torch tensor seen in MATLAB axis order
        inverse = [perm.index(i) for i in range(len(perm))]
        with torch.no_grad():
            target.copy_(arr.reshape(permuted).permute(inverse))
