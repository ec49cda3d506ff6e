"""Calling Python code the way MATLAB calls a custom layer or a functionLayer's function.

MATLAB passes a Formattable layer formatted dlarrays (labels, data behind them) and any other layer
unformatted dlarrays in MATLAB layout (H×W×C×B for "SSCB" data); an unformatted result takes the format of the
layer's first input. Sizes are found by running the code once on a probe batch of ones, with the random-number state
saved and restored, so analysing a network changes nothing.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from layergraph.dlarray import DLArray, matlab_shape, to_matlab_layout, wrap
from layergraph.errors import NetworkError
from layergraph.formats import canonical_format, torch_perm
from layergraph.layers.base import LayerModule
from layergraph.sizes import Act

PROBE_BATCH = 2  # a batch of two shows which dimension holds the observations


class networkDataLayout:  # noqa: N801 - MATLAB name
    """MATLAB's networkDataLayout: the size (MATLAB order, NaN for the batch) and format of a layer input,
    as a custom layer's `initialize(layer, layout)` receives it. `finddim(layout, "C")` works on it."""

    def __init__(self, act: Act) -> None:
        self.Format = act.batch_fmt
        sizes = iter(act.size)
        self.Size = tuple(math.nan if f == "B" else next(sizes) for f in self.Format)

    @property
    def fmt(self) -> str:
        return self.Format

    def __repr__(self) -> str:
        dims = " × ".join(f"{'?' if math.isnan(s) else int(s)}({f})" for s, f in zip(self.Size, self.Format))
        return f"networkDataLayout {dims}"


def to_layer(x: torch.Tensor, fmt: str, formattable: bool) -> DLArray:
    """A torch-layout activation as the layer code receives it (formatted, or unformatted in MATLAB layout)."""
    if formattable:
        return wrap(x, fmt)
    return wrap(to_matlab_layout(x, fmt), "")


def from_layer(y: Any, fmt: str, who: str) -> torch.Tensor:
    """A result of layer code as a torch-layout tensor with labels `fmt` (those found by the probe)."""
    yfmt = getattr(y, "fmt", "")
    if not isinstance(y, torch.Tensor):
        y = torch.as_tensor(np.asarray(y), dtype=torch.float32)
    y = y.as_subclass(torch.Tensor)
    if yfmt:
        if yfmt != fmt:
            raise NetworkError(f"{who} returned '{yfmt}' data but was analysed as returning '{fmt}'")
        return y
    if y.dim() > len(fmt):
        raise NetworkError(f"{who} returned an unformatted {y.dim()}-D array; its input is '{fmt}' data, so it may "
                           f"have at most {len(fmt)} dimensions (make the layer Formattable to change formats)")
    while y.dim() < len(fmt):  # MATLAB drops trailing singleton dimensions
        y = y.unsqueeze(-1)
    return y.permute(torch_perm(fmt))


def result_format(y: Any, in_fmt: str, who: str) -> tuple[str, tuple[int, ...]]:
    """The batch format and MATLAB-layout size of one probe result."""
    fmt = getattr(y, "fmt", "")
    if fmt:
        return fmt, matlab_shape(y)
    shape = tuple(np.shape(y))
    if len(shape) > len(in_fmt):
        raise NetworkError(f"{who} returned an unformatted {len(shape)}-D array for '{in_fmt}' input; an "
                           "unformatted result takes its input's format (make the layer Formattable to change it)")
    return in_fmt, shape + (1,) * (len(in_fmt) - len(shape))


def act_of(fmt: str, shape: Sequence[int], who: str) -> Act:
    """The per-observation size of a probe result (its B dimension must hold the probe's observations)."""
    fmt = canonical_format(fmt)
    if "B" not in fmt:
        raise NetworkError(f"{who} returned '{fmt}' data without a batch (B) dimension")
    b = shape[fmt.index("B")]
    if b != PROBE_BATCH:
        raise NetworkError(f"{who} changed the number of observations ({PROBE_BATCH} in, {b} out)")
    keep = [(int(s), f) for s, f in zip(shape, fmt) if f != "B"]
    return Act(tuple(s for s, _ in keep), "".join(f for _, f in keep))


def probe(call: Callable[..., Any], inputs: list[Act], formattable: bool, who: str,
          n_out: int) -> list[Act]:
    """Run `call` on a random batch of `inputs` (no gradients, random state restored); the output sizes."""
    # ones, not random values: code that indexes with its input (an embedding's weights(:, X), X = class
    # numbers from 1) must get valid indices, as in MATLAB, where such layers analyse and initialise
    xs = [to_layer(torch.ones(a.torch_shape(PROBE_BATCH)), a.batch_fmt, formattable) for a in inputs]
    state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            ys = call(*xs)
    except NetworkError:
        raise
    except Exception as err:  # the layer's own code failed on data of the analysed size: say where
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        sizes = ", ".join(f"{a} ({a.fmt})" for a in inputs)
        raise NetworkError(f"{who} fails on input of size {sizes}: {type(err).__name__}: {text}") from None
    finally:
        np.random.set_state(state)
    ys = ys if isinstance(ys, tuple) else (ys,)
    if len(ys) != n_out:
        raise NetworkError(f"{who} returned {len(ys)} output(s) but has {n_out} (NumOutputs/OutputNames)")
    in_fmt = inputs[0].batch_fmt if inputs else "CB"
    return [act_of(*result_format(y, in_fmt, who), who) for y in ys]


class LayerCall(LayerModule):
    """A compiled custom layer or functionLayer function: converts activations the MATLAB way around `call`.

    `params` (MATLAB-layout tensors) become Parameters named as the layer's learnables (layout: identity).
    """

    def __init__(self, call: Callable[..., Any], in_fmts: list[str], out_fmts: list[str], formattable: bool,
                 who: str, train_call: Callable[..., Any] | None = None) -> None:
        super().__init__()
        self.call, self.train_call = call, train_call
        self.in_fmts, self.out_fmts, self.formattable, self.who = in_fmts, out_fmts, formattable, who

    def forward(self, *xs: torch.Tensor) -> Any:
        args = [to_layer(x, f, self.formattable) for x, f in zip(xs, self.in_fmts)]
        fn = self.train_call if self.training and self.train_call is not None else self.call
        ys = fn(*args)
        ys = ys if isinstance(ys, tuple) else (ys,)
        if len(ys) != len(self.out_fmts):
            raise NetworkError(f"{self.who} returned {len(ys)} output(s) but has {len(self.out_fmts)}")
        outs = tuple(from_layer(y, f, self.who) for y, f in zip(ys, self.out_fmts))
        return outs[0] if len(outs) == 1 else outs


def matlab_tensor(value: Any, who: str) -> torch.Tensor:
    """A learnable value given by layer code (numpy, tensor, dlarray; MATLAB layout) as a float tensor."""
    if isinstance(value, DLArray) and value.fmt:
        value = to_matlab_layout(value.as_subclass(torch.Tensor), value.fmt)
    t = value.detach().as_subclass(torch.Tensor) if isinstance(value, torch.Tensor) else \
        torch.as_tensor(np.asarray(value))
    if not (t.is_floating_point() or t.is_complex()):
        raise NetworkError(f"{who} is {t.dtype} data; learnables must be floating point")
    return (t.float() if t.dtype == torch.float64 else t).clone().contiguous()


def fresh_copy(obj: Any) -> Any:
    """A deep copy to probe or initialize, leaving the user's layer object as it is."""
    return copy.deepcopy(obj)
