"""Custom layers written in Python the way MATLAB's `classdef myLayer < nnet.layer.Layer` is written.

    class samplingLayer(CustomLayer):                 # classdef samplingLayer < nnet.layer.Layer
        def __init__(self, Name=""):                  #   function layer = samplingLayer(args)
            super().__init__(Name=Name)
            self.Type = "Sampling"                    #     layer.Type = "Sampling";
            self.OutputNames = ["out", "mean", "log-variance"]

        def predict(self, X):                         #   function [Z, mu, logSigmaSq] = predict(~, X)
            ...
            return Z, mu, logSigmaSq

`Learnable = ("Weights", "Bias")` declares MATLAB's `properties (Learnable)`; `Formattable = True` is
`nnet.layer.Formattable`; `initialize(self, layout)` fills empty learnables from the input's
networkDataLayout; an optional `forward` is used in training. The layer works in layer arrays, graphs, the
analyzer (sizes from one probe run), dlnetwork, dlgradient/adamupdate and checkpoints. A spec may name it only
after `@register_layer` (loaded with `--import MODULE` on the command line).
"""
from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import ConfigDict
from torch import nn

from layergraph.errors import NetworkError, OptionError
from layergraph.layers.base import LAYERS, Layer, no_onnx, register
from layergraph.layers.calls import LayerCall, fresh_copy, matlab_tensor, networkDataLayout, probe
from layergraph.layers.options import plain
from layergraph.nargout import results
from layergraph.sizes import Act

_PLAIN = (bool, int, float, str, list, tuple, dict, set, frozenset, type(None), np.ndarray, torch.Tensor)


def _names(prefix: str, n: int) -> list[str]:
    return [prefix] if n == 1 else [f"{prefix}{i + 1}" for i in range(n)]


def _same(a: Any, b: Any) -> bool:
    """Equality that treats arrays by value (layer properties may hold tensors)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and \
            bool(torch.equal(a.detach().cpu(), b.detach().cpu()))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return bool(a == b)


class CustomLayer(Layer):
    """Base of custom layers: MATLAB's nnet.layer.Layer (subclass it; see the module docstring)."""

    model_config = ConfigDict(extra="allow", ignored_types=_PLAIN)

    Learnable: ClassVar[tuple[str, ...]] = ()  # MATLAB's properties (Learnable)
    Formattable: ClassVar[bool] = False  # nnet.layer.Formattable: predict gets formatted dlarrays
    family: ClassVar[str] = "other"
    onnx: ClassVar = no_onnx("custom layers are Python code; they have no ONNX form")

    def __init__(self, **properties: Any) -> None:
        super().__init__(type=type(self).matlab_name(), **properties)
        for name in type(self).Learnable:
            if name not in (self.__pydantic_extra__ or {}):
                self.__pydantic_extra__[name] = None  # type: ignore[index] # MATLAB: an empty learnable

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_records", False):
            cls.__init__ = _recording(cls, init)  # type: ignore[method-assign]

    @classmethod
    def matlab_name(cls) -> str:
        """The name a spec uses (the class name, or the one given to register_layer)."""
        return cls.__dict__.get("spec_name") or cls.__name__

    # ----- MATLAB's layer properties, settable in the constructor ----------------------------------------
    def _prop(self, name: str, default: Any) -> Any:
        value = (self.__pydantic_extra__ or {}).get(name)
        return default if value is None else value

    def _set(self, name: str, value: Any) -> None:
        self.__pydantic_extra__[name] = value  # type: ignore[index]

    Type = property(lambda self: self._prop("Type", type(self).__name__), lambda self, v: self._set("Type", v))
    Description = property(lambda self: self._prop("Description", ""), lambda self, v: self._set("Description", v))
    NumInputs = property(lambda self: len(self.input_names), lambda self, v: self._set("NumInputs", int(v)))
    NumOutputs = property(lambda self: len(self.output_names), lambda self, v: self._set("NumOutputs", int(v)))
    InputNames = property(lambda self: self.input_names, lambda self, v: self._set("InputNames", _strings(v)))
    OutputNames = property(lambda self: self.output_names, lambda self, v: self._set("OutputNames", _strings(v)))

    @property
    def input_names(self) -> list[str]:
        return list(self._prop("InputNames", None) or _names("in", self._prop("NumInputs", 1)))

    @property
    def output_names(self) -> list[str]:
        return list(self._prop("OutputNames", None) or _names("out", self._prop("NumOutputs", 1)))

    @property
    def type_label(self) -> str:  # type: ignore[override]
        return str(self.Type)

    def description(self) -> str:
        return str(self.Description or self.Type)

    def learnable_names(self) -> list[str]:
        return list(type(self).Learnable)

    # ----- what the network needs ---------------------------------------------------------------------------
    def _initialized(self, inputs: list[Act]) -> CustomLayer:
        """A copy with its learnables filled by `initialize(layout, …)` (the user's object is left alone)."""
        cache = (self.__pydantic_private__ or {}).get("initialized")
        key = tuple(inputs)
        if cache is not None and cache[0] == key:
            return cache[1]
        layer = fresh_copy(self)
        _private(layer).pop("initialized", None)
        init = getattr(type(self), "initialize", None)
        if init is not None:
            with torch.random.fork_rng(devices=[]):
                state = np.random.get_state()
                try:
                    out = init(layer, *[networkDataLayout(a) for a in inputs])
                finally:
                    np.random.set_state(state)
            layer = out if isinstance(out, CustomLayer) else layer
        for name in type(self).Learnable:
            if layer._prop(name, None) is None:
                raise NetworkError(f"{self.Type} learnable '{name}' is empty: set it in the constructor or fill it "
                                   "in initialize(self, layout)")
        _private(self)["initialized"] = (key, layer)
        return layer

    def _call(self, layer: CustomLayer, training: bool) -> Callable[..., Any] | None:
        fn = getattr(type(self), "forward" if training else "predict", None)
        return None if fn is None else functools.partial(fn, layer)

    def output_sizes(self, inputs: list[Act]) -> list[Act]:
        layer = self._initialized(inputs)
        call = self._call(layer, False)
        if call is None:
            raise NetworkError(f"custom layer {type(self).__name__} has no predict(self, X…) method")
        return probe(call, inputs, type(self).Formattable, f"custom layer {type(self).__name__}",
                     len(self.output_names))

    def output_size(self, inputs: list[Act]) -> Act:
        return self.output_sizes(inputs)[0]

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        layer = self._initialized(inputs)
        return {n: tuple(matlab_tensor(layer._prop(n, None), n).shape) for n in type(self).Learnable}

    def build(self, inputs: list[Act]) -> nn.Module:
        layer = fresh_copy(self._initialized(inputs))
        outs = [a.batch_fmt for a in self.output_sizes(inputs)]
        module = LayerCall(self._call(layer, False), [a.batch_fmt for a in inputs], outs,  # type: ignore[arg-type]
                           type(self).Formattable, f"custom layer {type(self).__name__}", self._call(layer, True))
        for name in type(self).Learnable:
            param = nn.Parameter(matlab_tensor(layer._prop(name, None), f"learnable '{name}'"))
            module.register_parameter(name, param)
            module.layout[name] = (tuple(range(param.dim())), tuple(param.shape))
            layer._set(name, param)  # predict reads layer.Weights: the module's own Parameter
        return module

    # ----- specs: only registered classes, by their constructor arguments -----------------------------------
    def spec_options(self) -> dict[str, Any]:
        cls = type(self)
        if LAYERS.get(cls.matlab_name()) is not cls:
            raise OptionError(f"custom layer class {cls.__name__} is not registered, so a spec cannot name it; "
                              "decorate the class with @register_layer and load its module with --import MODULE")
        args, kwargs = (self.__pydantic_private__ or {}).get("ctor", ((), {}))
        data = {k: plain(v) for k, v in kwargs.items() if k != "Name"}
        if args:
            data["Arguments"] = [plain(a) for a in args]
        return data

    @classmethod
    def option_field(cls, key: Any) -> str:
        return str(key)  # the constructor checks its own arguments

    @classmethod
    def from_options(cls, values: dict[str, Any], where: str = "") -> Layer:
        values = dict(values)
        args = values.pop("Arguments", [])
        name = values.pop("Name", "")
        params = inspect.signature(cls.__init__).parameters
        takes_name = "Name" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        try:
            layer = cls(*args, **values, **({"Name": name} if takes_name and name else {}))
        except Exception as err:  # the user's constructor: report it in one line naming the class
            raise OptionError(f"{where}{cls.__name__}{tuple(args)}: {type(err).__name__}: {err}") from None
        if name and layer.Name != name:
            layer.Name = name
        return layer

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = self.__pydantic_extra__ or {}, other.__pydantic_extra__ or {}  # type: ignore[union-attr]
        return self.Name == other.Name and mine.keys() == theirs.keys() and all(  # type: ignore[attr-defined]
            _same(mine[k], theirs[k]) for k in mine)

    __hash__ = None  # type: ignore[assignment]


def call_layer(fname: str, layer: Layer, X: tuple[Any, ...], n: int) -> Any:
    """MATLAB's `predict(layer, X)` / `forward(layer, X)` on a custom layer object: its own method, with the
    outputs nargout `n` asks for (forward falls back to predict, as nnet.layer.Layer's does)."""
    if not isinstance(layer, CustomLayer):
        raise NetworkError(f"{fname}: '{layer.Name}' is a built-in {layer.type}; MATLAB calls {fname} on a "
                           f"layer object only for custom layers: put it in a dlnetwork and call {fname}(net, X)")
    cls = type(layer)
    method = getattr(cls, fname, None) if fname == "forward" else None
    method = method or getattr(cls, "predict", None)
    if method is None:
        raise NetworkError(f"{fname}: custom layer {cls.__name__} has no predict(self, X…) method")
    empty = [name for name in cls.Learnable if layer._prop(name, None) is None]
    if empty:
        raise NetworkError(f"{fname}: learnable(s) {', '.join(empty)} of layer '{layer.Name}' are empty; MATLAB's "
                           "layer object holds them only after initialize(layer, layout) or training")
    out = method(layer, *X)
    outs = list(out) if isinstance(out, tuple) else [out]
    return results(fname, n, outs, f"layer '{layer.Name}' ({cls.__name__})")


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _private(layer: Layer) -> dict[str, Any]:
    if layer.__pydantic_private__ is None:
        object.__setattr__(layer, "__pydantic_private__", {})
    return layer.__pydantic_private__  # type: ignore[return-value]


def _recording(cls: type, init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a custom layer's constructor to remember its arguments (a spec writes them)."""
    @functools.wraps(init)
    def recording(self: CustomLayer, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if type(self) is cls:
            _private(self)["ctor"] = (args, kwargs)

    recording._records = True  # type: ignore[attr-defined]
    return recording


def register_layer(cls: type[CustomLayer] | None = None, *, name: str | None = None) -> Any:
    """Make a custom layer class nameable in specs (`type: samplingLayer`); `name` when the class name is taken.

    As a decorator: `@register_layer` or `@register_layer(name="eegProjectLayer")`. The command line loads the
    module that does this with `--import MODULE`; a spec never imports anything by itself.
    """
    def apply(c: type[CustomLayer]) -> type[CustomLayer]:
        if not (isinstance(c, type) and issubclass(c, CustomLayer)):
            raise TypeError("register_layer: expected a CustomLayer subclass")
        if name:
            c.spec_name = name  # type: ignore[attr-defined]
        return register(c)  # type: ignore[return-value]

    return apply(cls) if cls is not None else apply


def isempty(value: Any) -> bool:
    """MATLAB's isempty for layer properties: None (an unset learnable) or an array with no elements."""
    if value is None:
        return True
    try:
        return math.prod(np.shape(value)) == 0
    except TypeError:
        return False
