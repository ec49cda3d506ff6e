"""MATLAB's time, random-number and error functions for translated programs: tic/toc, duration, rng,
error/warning/assert, MException."""
from __future__ import annotations

import builtins
import random
import sys
import time
from typing import Any

import numpy as np
import torch

from layergraph.port.cells import struct
from layergraph.port.text import _values, sprintf

_TIC: dict[str, float] = {}


def tic() -> float:
    """MATLAB's tic: starts the stopwatch and returns its start time (for toc(t))."""
    _TIC["t"] = time.perf_counter()
    return _TIC["t"]


def toc(start: Any = None, nargout: int = 1) -> float | None:
    """MATLAB's toc / toc(t): seconds since tic; as a statement (nargout=0) it prints them as MATLAB does."""
    t0 = float(start) if start is not None else _TIC.get("t")
    if t0 is None:
        raise RuntimeError("You must call TIC without an output argument before calling TOC without an input.")
    elapsed = time.perf_counter() - t0
    if nargout == 0:
        print(f"Elapsed time is {elapsed:.6f} seconds.")
        return None
    return elapsed


class duration:  # noqa: N801 - MATLAB's name
    """MATLAB's duration(h, m, s, Format=...): shown as the format says ('hh:mm:ss' by default)."""

    def __init__(self, h: Any = 0, m: Any = 0, s: Any = 0, *args: Any, Format: str = "hh:mm:ss") -> None:
        if len(args) >= 2 and str(args[0]).lower() == "format":
            Format = args[1]
        self.seconds = float(h) * 3600 + float(m) * 60 + float(s)
        self.Format = str(Format)

    def __str__(self) -> str:
        total = self.seconds
        h, rest = divmod(builtins.abs(total), 3600)
        m, s = divmod(rest, 60)
        sign = "-" if total < 0 else ""
        if self.Format == "hh:mm:ss":
            return f"{sign}{int(h):02d}:{int(m):02d}:{int(s):02d}"
        if self.Format == "mm:ss":
            return f"{sign}{int(h * 60 + m):02d}:{int(s):02d}"
        if self.Format == "s":
            return f"{total:g} sec"
        return f"{sign}{int(h):02d}:{int(m):02d}:{s:05.2f}"

    def __format__(self, spec: str) -> str:
        return str(self)


def seconds(x: Any) -> Any:
    return x.seconds if isinstance(x, duration) else duration(0, 0, x, Format="s")


def pause(t: Any = 0) -> None:
    time.sleep(float(t))


def rng(seed: Any = 0, *args: Any) -> None:
    """MATLAB's rng(seed) / rng('default') / rng('shuffle'): seeds torch, numpy and Python's random.
    (The numbers drawn are torch's, not MATLAB's Mersenne Twister stream.)"""
    if isinstance(seed, str):
        seed = 0 if seed.lower() == "default" else int(time.time() * 1000) % (2 ** 31)
    elif isinstance(seed, struct):
        seed = getattr(seed, "Seed", 0)
    torch.manual_seed(int(seed))
    np.random.seed(int(seed) % (2 ** 32))
    random.seed(int(seed))


class MException(Exception):  # noqa: N818 - MATLAB's name
    """MATLAB's MException: `message` and `identifier`."""

    def __init__(self, identifier: str = "", message: str = "", *args: Any) -> None:
        if message and args:
            message = sprintf(message, *args)
        super().__init__(message or identifier)
        self.identifier = identifier if message else ""
        self.message = message or identifier


def mexception(err: BaseException) -> Any:
    """The caught Python exception as MATLAB's MException (`ME.message`, `ME.identifier`)."""
    if isinstance(err, MException):
        return err
    out = MException("layergraph:python", str(err))
    out.__cause__ = err
    return out


def error(*args: Any) -> None:
    """MATLAB's error(msg), error(fmt, ...), error(id, fmt, ...)."""
    if len(args) >= 2 and isinstance(args[0], str) and ":" in args[0] and " " not in args[0]:
        raise MException(args[0], sprintf(args[1], *args[2:]))
    raise MException("", sprintf(*args) if len(args) > 1 else str(args[0]))


def warning(*args: Any) -> None:
    if args and str(args[0]).lower() in ("off", "on"):
        return
    text = sprintf(*args[1:]) if len(args) >= 2 and ":" in str(args[0]) and " " not in str(args[0]) \
        else sprintf(*args)
    print(f"Warning: {text}", file=sys.stderr)


def assert_(cond: Any, *args: Any) -> None:
    """MATLAB's assert(cond, msg, ...)."""
    ok = builtins.all(bool(v) for v in _values(cond)) if not isinstance(cond, bool) else cond
    if not ok:
        error(*args) if args else error("Assertion failed.")


def clc() -> None:
    pass  # nothing to clear: the port writes to a terminal log


def clear(*args: Any) -> None:
    pass  # Python frees variables when they go out of scope; a translated program never reads a cleared one


def format(*args: Any) -> None:
    pass
