"""trainingOptions SequenceLength as a positive integer: each padded mini-batch split along time into chunks of
that many steps (the last one shorter when the length does not divide), trained in consecutive iterations."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from layergraph.dlarray import DLArray, wrap
from layergraph.errors import DataError

__all__ = ["chunks"]


def chunks(X: Any, t: Any, length: str | int, fname: str) -> Iterator[tuple[DLArray, Any]]:
    """The mini-batch (X, t) as it is, or its chunks of `length` time steps when SequenceLength is a number.

    Targets are split with the predictors, so they must be sequences of the same length (sequence-to-sequence).
    """
    if isinstance(X, tuple) and not isinstance(length, str):
        raise DataError(f"{fname}: a numeric SequenceLength is not supported for networks with several inputs")
    fmt = getattr(X, "fmt", "") or ""
    if isinstance(length, str) or "T" not in fmt:
        yield X, t
        return
    axis = fmt.index("T")
    steps = X.shape[axis]
    if not isinstance(t, torch.Tensor) or t.dim() < 2 or t.shape[-1] != steps:
        raise DataError(f"{fname}: SequenceLength as a number splits the sequences into chunks, so the targets "
                        f"must be sequences as long as the predictors (sequence-to-sequence); use 'longest' or "
                        f"'shortest' for one target per sequence")
    x = X.as_subclass(torch.Tensor)
    for start in range(0, steps, int(length)):
        n = min(int(length), steps - start)
        yield wrap(x.narrow(axis, start, n), fmt), t.narrow(-1, start, n)
