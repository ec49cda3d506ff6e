"""MATLAB's argument checking for translated programs: inputParser (addRequired, addOptional, addParameter,
parse, Results, Unmatched, KeepUnmatched, PartialMatching), validateattributes, convertStringsToChars."""
from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

import torch

from layergraph.port.cells import struct
from layergraph.port.sizes import numel


class inputParser:  # noqa: N801 - MATLAB's name
    """MATLAB's inputParser: required and optional positional inputs, then name-value parameters (names matched
    whatever their case, and by a unique prefix); each value checked by its validation function."""

    def __init__(self) -> None:
        self.KeepUnmatched = False
        self.PartialMatching = True
        self.FunctionName = ""
        self._required: list[tuple[str, Callable[..., Any] | None]] = []
        self._optional: list[tuple[str, Any, Callable[..., Any] | None]] = []
        self._parameters: dict[str, tuple[Any, Callable[..., Any] | None]] = {}
        self.Results, self.Unmatched, self.UsingDefaults = struct(), struct(), []

    def addRequired(self, name: str, validator: Callable[..., Any] | None = None) -> None:
        self._required.append((str(name), validator))

    def addOptional(self, name: str, default: Any, validator: Callable[..., Any] | None = None) -> None:
        self._optional.append((str(name), default, validator))

    def addParameter(self, name: str, default: Any, validator: Callable[..., Any] | None = None) -> None:
        self._parameters[str(name)] = (default, validator)

    addParamValue = addParameter

    def parse(self, *args: Any) -> None:
        """Fill Results (every input, defaults for those not given), Unmatched and UsingDefaults."""
        if len(args) < len(self._required):
            raise ValueError(f"{self.FunctionName or 'inputParser'}: not enough input arguments")
        values: dict[str, Any] = {}
        for (name, check), value in zip(self._required, args):
            values[name] = self._checked(name, value, check)
        rest = list(args[len(self._required):])
        for name, _default, check in self._optional:
            if rest and not (isinstance(rest[0], str) and self._match(rest[0]) is not None):
                values[name] = self._checked(name, rest.pop(0), check)
        self.Unmatched = struct()
        self._pairs(rest, values)
        given = set(values)
        defaults = {n: d for n, d, _ in self._optional} | {n: d for n, (d, _) in self._parameters.items()}
        self.UsingDefaults = [n for n in defaults if n not in given]
        everything = {n: defaults[n] for n in self.UsingDefaults} | values
        self.Results = struct(**{n: _cell(everything[n]) for n in sorted(everything, key=str.lower)})

    def _pairs(self, rest: list[Any], values: dict[str, Any]) -> None:
        if len(rest) % 2:
            raise ValueError(f"{self.FunctionName or 'inputParser'}: name-value arguments come in pairs")
        for key, value in zip(rest[::2], rest[1::2]):
            name = self._match(str(key))
            if name is not None:
                values[name] = self._checked(name, value, self._parameters[name][1])
            elif self.KeepUnmatched:
                setattr(self.Unmatched, str(key), value)
            else:
                raise ValueError(f"'{key}' is not a recognized parameter; expected one of "
                                 f"{', '.join(self._parameters)}")

    def _match(self, key: str) -> str | None:
        exact = [n for n in self._parameters if n.lower() == key.lower()]
        if exact or not self.PartialMatching:
            return exact[0] if exact else None
        hits = [n for n in self._parameters if n.lower().startswith(key.lower())]
        if len(hits) > 1:
            raise ValueError(f"'{key}' matches more than one parameter: {', '.join(hits)}")
        return hits[0] if hits else None

    def _checked(self, name: str, value: Any, check: Callable[..., Any] | None) -> Any:
        if check is not None:
            ok = check(value)
            if ok is not None and not bool(ok.all() if isinstance(ok, torch.Tensor) else ok):
                raise ValueError(f"The value of '{name}' is invalid. It must satisfy its validation function.")
        return value


def _cell(value: Any) -> Any:
    """struct() takes a list as a cell array: a cell value stays one value in Results."""
    return [value] if isinstance(value, list) else value


_CLASSES = {"numeric": lambda v: _is_numeric(v), "logical": lambda v: _is_logical(v),
            "char": lambda v: isinstance(v, str), "string": lambda v: isinstance(v, str),
            "cell": lambda v: isinstance(v, list), "struct": lambda v: isinstance(v, Mapping),
            "double": lambda v: _is_numeric(v), "single": lambda v: _is_numeric(v),
            "function_handle": callable}


def _is_numeric(v: Any) -> bool:
    return (isinstance(v, numbers.Number) and not isinstance(v, bool)) or \
        (isinstance(v, torch.Tensor) and v.dtype != torch.bool)


def _is_logical(v: Any) -> bool:
    return isinstance(v, bool) or (isinstance(v, torch.Tensor) and v.dtype == torch.bool)


def _values(v: Any) -> list[float]:
    return [float(x) for x in torch.as_tensor(v, dtype=torch.float64).reshape(-1).tolist()]


_ATTRIBUTES: dict[str, Callable[[Any], bool]] = {
    "scalar": lambda v: numel(v) == 1, "vector": lambda v: numel(v) >= 1, "nonempty": lambda v: numel(v) > 0,
    "integer": lambda v: all(x == int(x) for x in _values(v)), "positive": lambda v: all(x > 0 for x in _values(v)),
    "nonnegative": lambda v: all(x >= 0 for x in _values(v)),
    "finite": lambda v: all(abs(x) != float("inf") and x == x for x in _values(v)),
    "scalartext": lambda v: isinstance(v, str),
}


def validateattributes(value: Any, classes: Any, attributes: Any = (), *rest: Any) -> None:
    """MATLAB's validateattributes: an error unless `value` is of one of `classes` and has every attribute
    (scalar, vector, nonempty, integer, positive, nonnegative, finite, scalartext)."""
    classes = [classes] if isinstance(classes, str) else list(classes)
    attributes = [attributes] if isinstance(attributes, str) else list(attributes)
    if classes and not any(_CLASSES.get(c, lambda v: False)(value) for c in classes):
        raise ValueError(f"Expected input to be one of these types: {', '.join(classes)}")
    for attribute in attributes:
        check = _ATTRIBUTES.get(str(attribute))
        if check is None:
            raise ValueError(f"validateattributes: the attribute '{attribute}' is not supported by the port")
        if not check(value):
            raise ValueError(f"Expected input to be {attribute}.")


def convertStringsToChars(*args: Any) -> Any:
    """MATLAB's convertStringsToChars: text is one Python str whichever MATLAB class it had."""
    return args[0] if len(args) == 1 else args
