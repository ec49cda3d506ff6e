"""Option types of the layers, declared once: `Stride: Pair = (1, 1)` instead of a validator per layer.

Each type is an `Annotated` pydantic type whose validator turns MATLAB's spellings into one form (a scalar
size into [a a], 'SAME' into 'same', a numpy array into a tuple) and words its error with the option name;
`Layer.from_options` prefixes the constructor and the value given:
`convolution2dLayer: option 'Stride' = 0 is invalid: Stride must be a positive integer or …`.
"""
from __future__ import annotations

import math
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
import torch
from pydantic import AfterValidator, BeforeValidator, ValidationInfo

from layergraph.safety.limits import MAX_INTEGER, MAX_NAME_CHARS, MAX_PORTS

WEIGHT_INITS = ("glorot", "he", "narrow-normal", "zeros", "ones", "orthogonal")
BIAS_INITS = ("zeros", "ones", "narrow-normal")


def plain(value: Any) -> Any:
    """numpy arrays, numpy scalars and tensors as lists/scalars, so pydantic and YAML see plain data."""
    if isinstance(value, (np.ndarray, torch.Tensor)):
        value = np.asarray(value).tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_count(v: Any, least: int) -> bool:
    """An integral number ≥ least (3.0 counts, True does not), at most MATLAB's flintmax (2^53)."""
    return _is_number(v) and math.isfinite(v) and float(v).is_integer() and least <= v <= MAX_INTEGER


def _too_big(values: Any, name: str) -> None:
    """Say so when an integer option is above flintmax (the largest integer a double holds exactly)."""
    for v in values if isinstance(values, (list, tuple)) else [values]:
        if _is_number(v) and math.isfinite(v) and v > MAX_INTEGER:
            raise ValueError(f"{name} values must be at most 2^53 = {MAX_INTEGER:,} (MATLAB's flintmax)")


def _pair(value: Any, info: ValidationInfo) -> tuple[int, int]:
    value = plain(value)
    if _is_number(value):
        value = [value, value]
    _too_big(value, info.field_name)
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(_is_count(v, 1) for v in value):
        raise ValueError(f"{info.field_name} must be a positive integer or a vector of two positive integers")
    return int(value[0]), int(value[1])


def four_sides(value: Any, name: str) -> str | tuple[int, int, int, int]:
    """MATLAB padding/cropping: 'same', p, [a b] (top&bottom, left&right) or [t b l r] → 'same' or (t, b, l, r)."""
    value = plain(value)
    if isinstance(value, str):
        if value.lower() == "same":
            return "same"
        raise ValueError(f"{name} must be 'same', a non-negative integer, [a b] or [t b l r]")
    if _is_number(value):
        value = [value]
    if not isinstance(value, (list, tuple)) or len(value) not in (1, 2, 4):
        raise ValueError(f"{name} must be 'same', a non-negative integer, [a b] or [t b l r]")
    _too_big(value, name)
    if not all(_is_count(v, 0) for v in value):
        raise ValueError(f"{name} values must be non-negative integers")
    v = [int(x) for x in value]
    if len(v) == 1:
        return (v[0],) * 4
    if len(v) == 2:
        return (v[0], v[0], v[1], v[1])
    return (v[0], v[1], v[2], v[3])


def _positive_int(value: Any, info: ValidationInfo) -> int:
    value = plain(value)
    if isinstance(value, (list, tuple)) and len(value) == 1:  # a 1-element MATLAB vector
        value = value[0]
    _too_big(value, info.field_name)
    if not _is_count(value, 1):
        raise ValueError(f"{info.field_name} must be a positive integer")
    return int(value)


def _port_count(value: Any, info: ValidationInfo) -> int:
    n = _positive_int(value, info)
    if n > MAX_PORTS:  # every input is a named port and an edge: a million of them never finish
        raise ValueError(f"{info.field_name} must be at most {MAX_PORTS:,}")
    return n


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _finite(value: float, info: ValidationInfo) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{info.field_name} must be a finite real number")
    return value


def positive_ints(n: int, what: str, fill_channels: bool = False) -> Any:
    """A vector of `n` positive integers (a size such as [h w c]); with fill_channels, [h w] means [h w 1]."""
    def check(value: Any, info: ValidationInfo) -> tuple[int, ...]:
        value = plain(value)
        if fill_channels and isinstance(value, (list, tuple)) and len(value) == n - 1:
            value = [*value, 1]  # MATLAB: [h w] means one channel
        _too_big(value, info.field_name)
        if not isinstance(value, (list, tuple)) or len(value) != n or not all(_is_count(v, 1) for v in value):
            raise ValueError(f"{info.field_name} must be {what} positive integers")
        return tuple(int(v) for v in value)

    return BeforeValidator(check)


def initializer(allowed: tuple[str, ...]) -> Any:
    """An initializer name from `allowed`, matched case-insensitively, or a Python callable (MATLAB's function
    handle `@(sz) …`): it gets MATLAB's size vector and returns the array in MATLAB layout."""
    def check(value: Any) -> Any:
        if callable(value) and not isinstance(value, str):
            return value
        if not isinstance(value, str) or value.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, or a function of the size vector")
        return value.lower()

    return BeforeValidator(check)


def in_range(low: float, high: float, text: str, high_open: bool = False) -> Callable[[float, ValidationInfo], float]:
    """A number in [low, high] ([low, high) with high_open); `text` says the interval in the error."""
    def check(value: float, info: ValidationInfo) -> float:
        if not (low <= value < high if high_open else low <= value <= high):
            raise ValueError(f"{info.field_name} must be {text}")
        return value

    return check


def at_least(low: float, text: str) -> Callable[[float, ValidationInfo], float]:
    """A number ≥ low; `text` says the bound in the error ("1e-5 (MATLAB's lower bound)")."""
    def check(value: float, info: ValidationInfo) -> float:
        if value < low:
            raise ValueError(f"{info.field_name} must be at least {text}")
        return value

    return check


# ----- the types ---------------------------------------------------------------------------------------------
Pair = Annotated[tuple[int, int], BeforeValidator(_pair)]
"""FilterSize, Stride, PoolSize, DilationFactor: a positive integer or [a b]."""

FourSides = Annotated[Literal["same"] | tuple[int, int, int, int],
                      BeforeValidator(lambda v, info: four_sides(v, info.field_name))]
"""Padding, Cropping: 'same' (any case), p, [a b] or [t b l r]."""

PositiveInt = Annotated[int, BeforeValidator(_positive_int)]
"""NumFilters, OutputSize, NumInputs, numFeatures: a positive integer (3.0 and [3] count)."""

def _layer_name(value: str, info: ValidationInfo) -> str:
    if len(value) > MAX_NAME_CHARS:  # every name is copied into ports, edges and messages: keep it bounded
        raise ValueError(f"Name is {len(value):,} characters long; the limit is {MAX_NAME_CHARS:,}")
    if "/" in value:  # 'layer/port' addresses a layer's input or output (connectLayers): a name cannot hold one
        raise ValueError("Name may not contain '/' (it separates a layer name from a port name, as in 'cat/in2')")
    if any(not ch.isprintable() for ch in value):
        raise ValueError("Name may not contain control characters or line breaks")
    return value


LayerName = Annotated[str, AfterValidator(_layer_name)]
"""A layer's Name: any text without '/' (MATLAB's port separator) or control characters."""

PortCount = Annotated[int, BeforeValidator(_port_count)]
"""NumInputs: a positive integer up to MAX_PORTS (1,024)."""

Real = Annotated[float, AfterValidator(_finite)]
"""A finite real scalar (eluLayer's Alpha)."""

Prob = Annotated[float, AfterValidator(in_range(0, 1, "in [0, 1)", high_open=True))]
"""dropoutLayer's Probability: 0 ≤ p < 1."""

Decay = Annotated[float, AfterValidator(in_range(0, 1, "between 0 and 1"))]
"""A decay factor: 0 ≤ d ≤ 1."""

WeightsInit = Annotated[str | Callable[..., Any], initializer(WEIGHT_INITS)]
BiasInit = Annotated[str | Callable[..., Any], initializer(BIAS_INITS)]

NonNegative = Annotated[float, AfterValidator(_finite), AfterValidator(at_least(0, "0"))]
"""Learn-rate and L2 factors: a finite number ≥ 0."""

Lower = BeforeValidator(_lower)
"""Put on a Literal of lower-case words to match them case-insensitively (MATLAB compares these so)."""


# ----- rules for every option of every layer ------------------------------------------------------------------
def _accepts_bool(annotation: Any) -> bool:
    """True when a field's type takes true/false (bool itself, inside a union, or Any)."""
    if annotation is bool or annotation is Any:
        return True
    return any(_accepts_bool(a) for a in typing.get_args(annotation))


def _any(value: Any, test: Callable[[Any], bool], depth: int = 0) -> bool:
    """True when `test` holds for the value or for an element of its (nested) lists."""
    if isinstance(value, (list, tuple)) and depth < 8:
        return any(_any(v, test, depth + 1) for v in value)
    return test(value)


def _non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def numbers_rule(fields: dict[str, Any], data: Any) -> Any:
    """Every layer's options, before their own validators: true/false is no number (Python's bool is an int,
    but MATLAB's logical is no size or count), and NaN or Inf is no option value anywhere (a NaN Epsilon or
    Scale would silently poison every result)."""
    if not isinstance(data, dict):
        return data
    for name, value in data.items():
        field = fields.get(name)
        if field is None:
            continue
        value = plain(value)
        if _any(value, lambda v: isinstance(v, bool)) and not _accepts_bool(field.annotation):
            raise ValueError(f"option '{name}' = {value} is invalid: {name} must be a number, not true/false")
        if _any(value, _non_finite):
            raise ValueError(f"option '{name}' = {value!r} is invalid: {name} must be finite (no NaN or Inf)")
    return data
