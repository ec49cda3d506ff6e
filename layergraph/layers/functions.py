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


def _stddev_size(inputs: list[Act], group_size: int = 4) -> Act:
    """One channel more than the input image."""
    act = inputs[0]
    if not act.is_image or int(group_size) < 1:
        raise NetworkError(f"minibatchStdDev: needs an image input and a group size ≥ 1, got {act} and "
                           f"{group_size}")
    return Act((*act.spatial, act.channels + 1), act.fmt)


@register_function("minibatchStdDev", output_size=_stddev_size)
def minibatch_stddev(x: torch.Tensor, group_size: Any = 4) -> torch.Tensor:
    """Append one channel: the standard deviation of each feature over a group of images, averaged over
    features and positions (Karras et al. 2018). Image i is in group i mod (N/G), G = the largest divisor of
    N not above group_size, as in the authors' code (which requires G to divide N)."""
    n, c, h, w = x.shape
    g = max(d for d in range(1, min(int(group_size), n) + 1) if n % d == 0)
    y = x.reshape(g, -1, c, h, w).float()
    y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt().mean(dim=(1, 2, 3))  # one figure per group
    y = y.to(x.dtype).reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
    return torch.cat([x, y], 1)


def _same_size(inputs: list[Act], *arguments: Any) -> Act:
    return inputs[0]


# element-wise functions MATLAB programs put in functionLayers, and the ONNX importer uses for operators no layer
# has (LogSoftmax as softmaxLayer then log; adding or scaling by a constant no weights or bias can take)
@register_function("log", output_size=_same_size)
def log(X: torch.Tensor) -> torch.Tensor:
    """MATLAB's log(X): the natural logarithm of each element."""
    return torch.log(X)


@register_function("plus", output_size=_same_size)
def plus(X: torch.Tensor, c: Any) -> torch.Tensor:
    """MATLAB's plus(X, c) with a scalar c: X + c."""
    return X + float(c)


@register_function("times", output_size=_same_size)
def times(X: torch.Tensor, c: Any) -> torch.Tensor:
    """MATLAB's times(X, c) with a scalar c: X .* c."""
    return X * float(c)
