"""The Layer base class and the layer registry.

A layer is a pydantic model of its MATLAB options plus the rules that make it part of a network (output size,
learnables, build). Defining a subclass that declares its own `type` registers it: the registry gives the
class by MATLAB name (`LAYERS`, used by specs), and the MATLAB-named constructor (`constructors()`, exported by
`layergraph.layers`). What other parts need to know about a layer is declared on its class (`family` for
plot colours, `elementwise`, `onnx` for ONNX export and import); tests/test_registry.py checks that every
built-in layer declares all of it.
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from torch import nn

from layergraph.errors import NetworkError, OptionError
from layergraph.layers.options import BiasInit, LayerName, NonNegative, WeightsInit, numbers_rule, plain
from layergraph.namevalue import match_name, name_value
from layergraph.safety.numbers import brief
from layergraph.sizes import Act


@dataclass(frozen=True)
class OnnxForm:
    """How a layer is written to and read from ONNX; made by `onnx_op`, `onnx_emitter` or `no_onnx`.

    layers/ never imports the ONNX code: interop reads this declaration (and tests/test_registry.py checks it).
    """

    op: str = ""  # the one ONNX node the layer is exported as ("" when an emitter or nothing writes it)
    attrs: tuple[tuple[str, Any], ...] = ()  # ONNX attribute → option name (str) or constant
    imports: tuple[str, ...] = ()  # ONNX operators the importer turns into this layer
    missing: str = ""  # why the layer has no ONNX form
    not_back: str = ""  # why its export does not import back to this layer (tests/test_onnx_roundtrip.py)
    back_from: int = 0  # the first opset whose export does import back (not_back: why earlier ones do not)

    def attributes(self, layer: Layer) -> dict[str, Any]:
        """The ONNX attributes of `layer`'s node: option values read from the layer, constants as given."""
        return {a: (getattr(layer, v) if isinstance(v, str) else v) for a, v in self.attrs}


def onnx_op(op: str, imports: tuple[str, ...] | None = None, **attrs: Any) -> OnnxForm:
    """The layer is one ONNX node `op` with attributes taken from its options (`alpha="Scale"`) or constants.

    An `elementwise` layer declared this way needs no other ONNX code: the importer reads `op` back with
    the options from the node's attributes (ONNX's defaults where absent). `imports` defaults to (op,).
    """
    return OnnxForm(op=op, attrs=tuple(attrs.items()), imports=(op,) if imports is None else tuple(imports))


def onnx_emitter(imports: tuple[str, ...] = (), not_back: str = "", back_from: int = 0) -> OnnxForm:
    """The layer is written by its emitter (EMITTERS of interop/onnx_export.py) and read from `imports`
    (handlers in interop/onnx_import/); `not_back` says why its export does not import back to this layer,
    where it does not, and `back_from` from which opset on it does."""
    return OnnxForm(imports=tuple(imports), not_back=not_back, back_from=back_from)


def no_onnx(reason: str) -> OnnxForm:
    """The layer has no ONNX form; `reason` is what exportONNXNetwork says."""
    return OnnxForm(missing=reason)


class Layer(BaseModel):
    """One MATLAB layer: its options (fields, MATLAB names) and the rules that make it a network part.

    Subclasses set `type` (the MATLAB constructor name, used as the YAML `type`; declaring it registers the
    class), `type_label` (analyzeNetwork's Type column), `default_name` (MATLAB's automatic name) and
    `positional` (the option names MATLAB takes positionally, in order). Built-in layers also declare
    `family`, `onnx` and, for layers that act on each element alone, `elementwise`.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, arbitrary_types_allowed=True,
                              allow_inf_nan=False)

    type: str
    Name: LayerName = ""

    type_label: ClassVar[str] = ""
    default_name: ClassVar[str] = "layer"
    positional: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[int] = 0
    is_input: ClassVar[bool] = False
    family: ClassVar[str] = ""  # plot colour: input, conv, norm, act, merge, dense, pool or other
    elementwise: ClassVar[bool] = False  # y[i] depends on x[i] alone (the ONNX importer may reorder around it)
    onnx: ClassVar[OnnxForm | None] = None
    size_rule: ClassVar[str] = ""  # output-size rule in words: docs/layers.md (tests/test_docs_size_table.py)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "type" in inspect.get_annotations(cls):  # the class declares its own MATLAB name
            register(cls)

    @model_validator(mode="before")
    @classmethod
    def _numbers(cls, data: Any) -> Any:
        return numbers_rule(cls.model_fields, data)  # no bool as a number, no NaN/Inf (layers/options.py)

    @classmethod
    def matlab_name(cls) -> str:
        """The MATLAB constructor name (the `type` of the class)."""
        return cls.model_fields["type"].default

    # ----- MATLAB construction ------------------------------------------------------------------
    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> Layer:
        """Build from MATLAB-style arguments: positionals, then 'Name', value pairs and/or keywords."""
        ctor = cls.matlab_name()
        if len(args) < cls.required:
            need = ", ".join(cls.positional[: cls.required])
            raise OptionError(f"{ctor}: expected {cls.required} positional argument(s) ({need}), got {len(args)}")
        values: dict[str, Any] = {}
        i = 0
        while i < len(args) and i < len(cls.positional) and not _is_option_name(cls, args[i]):
            values[cls.positional[i]] = args[i]
            i += 1
        return cls.from_options(name_value(ctor, args[i:], kwargs, cls.options(), given=values))

    @classmethod
    def options(cls) -> list[str]:
        """The option names this constructor accepts (MATLAB spelling)."""
        return [f for f in cls.model_fields if f != "type"]

    @classmethod
    def option_field(cls, key: Any) -> str:
        """Match an option name case-insensitively, as MATLAB does; unknown names raise OptionError."""
        return match_name(cls.matlab_name(), key, cls.options())

    @classmethod
    def from_options(cls, values: dict[str, Any], where: str = "") -> Layer:
        """Validate options (already keyed by field name) into a layer; errors name the option."""
        ctor = cls.matlab_name()
        try:
            return cls(type=ctor, **{k: plain(v) for k, v in values.items()})
        except ValidationError as err:
            first = err.errors()[0]
            msg = first["msg"].removeprefix("Value error, ")
            if not first["loc"]:  # a rule across several options
                raise OptionError(f"{where}{ctor}: {msg}") from None
            field = str(first["loc"][0])
            if first["type"] == "missing":
                raise OptionError(f"{where}{ctor}: missing required option '{field}'") from None
            got = values.get(field, first.get("input"))
            raise OptionError(f"{where}{ctor}: option '{field}' = {brief(got)} is invalid: {msg}") from None

    # ----- rules each layer provides ----------------------------------------------------------
    @property
    def input_names(self) -> list[str]:
        """MATLAB's InputNames: 'in' for one input, 'in1'…'inN' for several, none for input layers."""
        return [] if self.is_input else ["in"]

    @property
    def output_names(self) -> list[str]:
        """MATLAB's OutputNames: 'out' for one output; layers with several name each one."""
        return ["out"]

    def output_size(self, inputs: list[Act]) -> Act:
        """The activation size this layer produces for `inputs` (MATLAB order)."""
        return inputs[0]

    def output_sizes(self, inputs: list[Act]) -> list[Act]:
        """The size of each output, in `output_names` order (layers with several outputs override this)."""
        return [self.output_size(inputs)]

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        """MATLAB shapes of the learnable parameters, in MATLAB's order."""
        return {}

    def states(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        """MATLAB shapes of the state parameters (batch-norm statistics)."""
        return {}

    def description(self) -> str:
        """analyzeNetwork's description line."""
        return self.type_label

    def spec_options(self) -> dict[str, Any]:
        """The options a spec writes for this layer (those that differ from MATLAB's defaults), as plain data;
        an option holding a Python function cannot be written (OptionError naming it)."""
        for field in type(self).model_fields:
            value = getattr(self, field)
            if callable(value) and not isinstance(value, (str, type)):
                fname = getattr(value, "__name__", "a function")
                raise OptionError(f"option '{field}' is a Python function ({fname}), which a spec cannot hold; "
                                  "a spec names a built-in value (e.g. 'glorot'); set the weights after loading")
        return self.model_dump(mode="json", exclude_defaults=True, exclude={"type", "Name"})

    # ----- learn-rate and L2 factors (MATLAB's getLearnRateFactor/setLearnRateFactor, getL2Factor/…) -------
    def factor(self, kind: str, param: str) -> float:
        """The 'LearnRate' or 'L2' factor of learnable `param` (1 where the layer has no such option)."""
        option = factor_option(kind, param)
        if option in type(self).model_fields:
            return float(getattr(self, option))
        return float(self._factors().get((kind, param), 1.0))

    def with_factor(self, kind: str, param: str, value: float) -> Layer:
        """A copy with the factor set (MATLAB's setLearnRateFactor/setL2Factor return a new layer)."""
        option = factor_option(kind, param)
        if option in type(self).model_fields:
            return type(self).from_options({**self.model_dump(exclude={"type"}), option: value})
        names = self.learnable_names()
        if param not in names:
            raise NetworkError(f"layer '{self.Name}' ({self.type}) has no learnable parameter '{param}' "
                               f"(learnables: {', '.join(names) or 'none'})")
        if not isinstance(value, (int, float)) or value < 0:
            raise NetworkError(f"set{kind}Factor: the factor must be a number ≥ 0, got {value!r}")
        new = self.model_copy()
        object.__setattr__(new, "__pydantic_private__", {**(new.__pydantic_private__ or {}),
                                                         "factors": {**self._factors(), (kind, param): value}})
        return new

    def _factors(self) -> dict[tuple[str, str], float]:
        return (self.__pydantic_private__ or {}).get("factors", {})

    def learnable_names(self) -> list[str]:
        """Names of the learnable parameters this layer class has (without building it)."""
        return []

    def build(self, inputs: list[Act]) -> nn.Module:
        """A torch module computing this layer on torch-layout batches (NCHW or NC)."""
        raise NotImplementedError(f"{self.type} cannot be compiled")


def _is_option_name(cls: type[Layer], value: Any) -> bool:
    """True when a positional string is really the start of the name-value pairs.

    MATLAB resolves the same ambiguity: 'Name' in `dropoutLayer('Name','d')` is an option, while
    "same" in a position that takes a string value is a value.
    """
    if not isinstance(value, str):
        return False
    return any(f.lower() == value.lower() for f in cls.options())


# ----- the registry -------------------------------------------------------------------------------------------
LAYERS: dict[str, type[Layer]] = {}  # MATLAB name → class, in registration order
_CONSTRUCTORS: dict[str, Callable[..., Layer]] = {}


def register(cls: type[Layer]) -> type[Layer]:
    """Add a layer class under its MATLAB name (done for every subclass that declares `type`).

    A second class with a name already taken is refused, unless it is the same class defined again
    (a reloaded module).
    """
    name = cls.matlab_name()
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__qualname__}: a registered layer needs a default `type` (its MATLAB name)")
    old = LAYERS.get(name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise TypeError(f"layer type '{name}' of {cls.__module__}.{cls.__qualname__} is already registered by "
                        f"{old.__module__}.{old.__qualname__}")
    LAYERS[name] = cls
    _CONSTRUCTORS[name] = _constructor(cls)
    return cls


def _constructor(cls: type[Layer]) -> Callable[..., Layer]:
    """The MATLAB-named function that builds `cls` from MATLAB-style arguments."""
    def make(*args: Any, **kwargs: Any) -> Layer:
        return cls.create(*args, **kwargs)

    make.__name__ = make.__qualname__ = cls.matlab_name()
    make.__doc__ = cls.__doc__
    make.__module__ = "layergraph.layers"
    return make


def constructors() -> dict[str, Callable[..., Layer]]:
    """MATLAB name → constructor function of every registered layer."""
    return dict(_CONSTRUCTORS)


def is_builtin(cls: type[Layer]) -> bool:
    """True for layergraph's own layers (which must declare everything tests/test_registry.py checks)."""
    return cls.__module__.startswith("layergraph.layers.")


def fmt_vec(values: Sequence[Any]) -> str:
    """A vector written MATLAB's way: [2 2]."""
    return "[" + " ".join(str(v) for v in values) + "]"


def need_image(layer: Layer, act: Act) -> None:
    """Raise a size error naming the layer when it needs image (SSC) input."""
    if act.fmt != "SSC":
        raise NetworkError(f"{layer.type} expects image input (H×W×C) but got {act.fmt}-format size {act}")


def same_total(n: int, k: int, s: int) -> int:
    """Total 'same' padding so that the output has ceil(n/s) elements (MATLAB's and TF's rule)."""
    return max((math.ceil(n / s) - 1) * s + k - n, 0)


# ----- initializers (MATLAB defaults: glorot weights, zero biases) ----------------------------------
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


def factor_option(kind: str, param: str) -> str:
    """MATLAB's option holding a parameter's factor: ('LearnRate', 'Weights') → 'WeightLearnRateFactor'."""
    return f"{'Weight' if param == 'Weights' else param}{kind}Factor"


def fill(module: LayerModule, name: str, method: Any, num_in: int, num_out: int) -> None:
    """Initialize parameter `name` of a compiled layer: a MATLAB initializer name, or a function that gets
    MATLAB's size vector and returns the values in MATLAB layout (`@(sz) 0.02*randn(sz)` in MATLAB)."""
    if not callable(method):
        initialize(getattr(module, name), method, num_in, num_out)
        return
    shape = list(module.layout[name][1])
    value = method(shape)
    fmt = getattr(value, "fmt", "")
    if isinstance(value, torch.Tensor):
        from layergraph.dlarray import matlab_data

        value = matlab_data(value) if fmt else value.as_subclass(torch.Tensor)
        value = value.detach().cpu()
    got = [int(n) for n in np.shape(value)]
    while len(got) > len(shape) and got[-1] == 1:
        got.pop()
    if got + [1] * (len(shape) - len(got)) != shape:
        raise NetworkError(f"{name} initializer returned size {'×'.join(map(str, got)) or '1×1'}; "
                           f"expected {'×'.join(map(str, shape))} (the size vector it was given)")
    module.from_matlab(name, value)


class WithInitializers(Layer):
    """The initializer and learn-rate/L2 factor options of layers with weights and biases (MATLAB defaults:
    learn-rate factors 1, WeightL2Factor 1, BiasL2Factor 0)."""

    WeightsInitializer: WeightsInit = "glorot"
    BiasInitializer: BiasInit = "zeros"
    WeightLearnRateFactor: NonNegative = 1.0
    BiasLearnRateFactor: NonNegative = 1.0
    WeightL2Factor: NonNegative = 1.0
    BiasL2Factor: NonNegative = 0.0

    def learnable_names(self) -> list[str]:
        return ["Weights", "Bias"]


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
