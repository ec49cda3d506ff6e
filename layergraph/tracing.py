"""Whether code runs inside `dlfeval`: MATLAB traces operations for `dlgradient` there and nowhere else."""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("layergraph_dlfeval_depth", default=0)


def in_dlfeval() -> bool:
    """True while a `dlfeval` call is running (in this thread or task)."""
    return _DEPTH.get() > 0


@contextlib.contextmanager
def dlfeval_scope() -> Iterator[None]:
    """Mark the code inside as running under `dlfeval`."""
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        yield
    finally:
        _DEPTH.reset(token)
