"""The registry of functions a functionLayer may call, by name; specs never carry code."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from layergraph.errors import NetworkError
from layergraph.sizes import Act

SizeRule = Callable[..., Act]


@dataclass(frozen=True)
class RegisteredFunction:
    """A named function on torch-layout tensors plus its static output-size rule."""

    name: str
    fn: Callable[..., torch.Tensor]
    output_size: SizeRule | None  # None: called the way MATLAB calls a functionLayer function, sized by a probe

    def __call__(self, *args: Any) -> torch.Tensor:
        return self.fn(*args)


_REGISTRY: dict[str, RegisteredFunction] = {}


def register_function(name: str, output_size: SizeRule | None = None) -> Callable[[Callable], RegisteredFunction]:
    """Decorator: make `fn(X, *arguments)` callable from functionLayer("name", Arguments=[...]) and from specs.

    With `output_size(input_acts, *arguments)` (returning the output size) the function works on torch-layout
    tensors and is never run to find sizes. Without it the function is called as MATLAB calls a functionLayer's
    function (unformatted MATLAB-layout dlarrays, or formatted ones with Formattable=True) and its sizes come
    from one probe run: the form for a ported `@(X) …` lambda, `register_function("halve")(lambda X: X / 2)`.
    """

    def wrap(fn: Callable[..., torch.Tensor]) -> RegisteredFunction:
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ValueError(f"a function named '{name}' is already registered")
        entry = RegisteredFunction(name, fn, output_size)
        _REGISTRY[name] = entry
        return entry

    return wrap


def lookup(name: str) -> RegisteredFunction:
    """The registered function `name`; the error lists what is registered."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"no registered function '{name}' (registered: {known}; register yours with "
                       "@register_function, and on the command line load it with --import MODULE)") from None


def registered() -> list[str]:
    return sorted(_REGISTRY)


def _feature2image_size(inputs: list[Act], output_size: list[int]) -> Act:
    size = tuple(int(v) for v in output_size)
    if len(size) == 2:
        size = (*size, 1)
    if len(size) != 3:
        raise NetworkError(f"feature2image: outputSize must be [h w c], got {list(output_size)}")
    if inputs[0].numel != size[0] * size[1] * size[2]:
        raise NetworkError(f"feature2image: cannot reshape {inputs[0]} features to {'×'.join(map(str, size))}")
    return Act(size, "SSC")


@register_function("feature2image", output_size=_feature2image_size)
def feature2image(X: torch.Tensor, output_size: list[int]) -> torch.Tensor:
    """Reshape N×(h·w·c) features to an N×C×H×W image batch column-major, as MATLAB's reshape does."""
    h, w, *c = (int(v) for v in output_size)
    channels = c[0] if c else 1
    return X.reshape(X.shape[0], channels, w, h).transpose(-1, -2)
