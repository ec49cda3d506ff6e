"""trainnet with a network of several inputs or outputs (from a minibatchqueue: the predictors, then the targets).

As in MATLAB, the loss of a network with several outputs is a function of all of them and all the targets,
`loss = f(Y1, …, YM, T1, …, TM)`, and so is a metric function; the network's outputs come as a tuple."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from layergraph.dlarray import wrap
from layergraph.errors import OptionError

__all__ = ["batch_size", "detached", "metric_of_outputs", "outputs_loss"]


def outputs_loss(lossFcn: Any, metrics: list[Any], sequence_length: Any, fname: str) -> Callable[..., Any]:
    """The loss of a network with several outputs: lossFcn(Y1, …, YM, T1, …, TM), the targets formatted as the
    outputs; refuses what needs one output (a loss or metric by name, a numeric SequenceLength)."""
    if not callable(lossFcn):
        raise OptionError(f"{fname}: a network with several outputs needs lossFcn as a function "
                          f"loss = f(Y1, ..., YM, T1, ..., TM); got {lossFcn!r}")
    named = [m for m in metrics if not callable(m)]
    if named:
        raise OptionError(f"{fname}: with several outputs, Metrics must be functions f(Y1, ..., YM, T1, ..., TM) "
                          f"(metric objects' NetworkOutput is not supported yet); got {named[0]!r}")
    if not isinstance(sequence_length, str):
        raise OptionError(f"{fname}: a numeric SequenceLength is not supported for networks with several outputs")
    return lambda Ys, ts: lossFcn(*Ys, *(wrap(t, y.fmt) for y, t in zip(Ys, ts)))


def metric_of_outputs(f: Callable[..., Any], Y: Any, t: Any) -> Any:
    """A metric function of the outputs (plain tensors) and targets: f(Y, T), or f(Y1, …, YM, T1, …, TM)."""
    if isinstance(Y, tuple):
        return f(*(y.as_subclass(torch.Tensor) for y in Y), *t)
    return f(Y.as_subclass(torch.Tensor), t)


def detached(Y: Any) -> Any:
    return tuple(y.detach() for y in Y) if isinstance(Y, tuple) else Y.detach()


def batch_size(Y: Any) -> int:
    return int((Y[0] if isinstance(Y, tuple) else Y).shape[0])
