"""Signal Processing Toolbox waveforms for translated programs: square and sawtooth, with MATLAB's documented
period 2π, duty cycle and peak position."""
from __future__ import annotations

import math
from typing import Any

import torch

from layergraph.port.subscripts import _out, tensor


def _phase(t: Any) -> torch.Tensor:
    """t modulo 2π, in [0, 2π), as float64 (MATLAB's waveforms are double)."""
    return torch.remainder(tensor(t).double(), 2 * math.pi)


def square(t: Any, duty: Any = 50) -> Any:
    """MATLAB's square(t[, duty]): period 2π, 1 for the first `duty` percent of each period, −1 for the rest."""
    d = float(duty)
    if not 0 <= d <= 100:
        raise ValueError(f"square: the duty cycle must be between 0 and 100; got {d:g}")
    return _out(torch.where(_phase(t) < 2 * math.pi * d / 100, 1.0, -1.0).double())


def sawtooth(t: Any, xmax: Any = 1) -> Any:
    """MATLAB's sawtooth(t[, xmax]): period 2π, −1 at multiples of 2π, rising linearly to 1 at 2π·xmax, then
    falling linearly back to −1 at 2π (xmax = 1: a rising ramp of slope 1/π; 0.5: a triangle)."""
    w = float(xmax)
    if not 0 <= w <= 1:
        raise ValueError(f"sawtooth: xmax must be between 0 and 1; got {w:g}")
    p = _phase(t)
    peak = 2 * math.pi * w
    rise = -1 + 2 * p / peak if w > 0 else torch.full_like(p, math.inf)
    fall = 1 - 2 * (p - peak) / (2 * math.pi - peak) if w < 1 else torch.full_like(p, -math.inf)
    return _out(torch.where(p < peak, rise, fall))
