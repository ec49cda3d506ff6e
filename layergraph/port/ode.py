"""MATLAB's ode45 for translated programs: the Dormand–Prince 5(4) pair with local extrapolation, MATLAB's
documented defaults (RelTol 1e-3, AbsTol 1e-6, MaxStep a tenth of the interval, Refine 4) and its outputs.

`[t, y] = ode45(odefun, [t0 tf], y0)` gives every step's end and Refine-1 points inside each step; a tspan of
more than two times gives the solution at exactly those times (the steps are the same, the values come from
the continuous extension). t is a column, y one row per time. The step-size control follows the description
of ode45 in Shampine & Reichelt, "The MATLAB ODE Suite" (SIAM J. Sci. Comput. 18, 1997): the initial step from
the slope at t0, an error estimate in the infinity norm relative to max(|y|, AbsTol/RelTol), a step grown by at
most 5× after success and cut by at most 10× (then halved on repeated failure). The numbers agree with MATLAB's
to the tolerance, not to the last digit: the step control's details are MATLAB's own.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from layergraph.port.subscripts import tensor

__all__ = ["ode45", "odeset"]

# Dormand & Prince (1980): the nodes, the stages' coefficients, the 5th-order weights (the 7th stage is the
# first of the next step, "first same as last") and the difference from the 4th-order weights
_C = np.array([0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1])
_A = [[], [1 / 5], [3 / 40, 9 / 40], [44 / 45, -56 / 15, 32 / 9],
      [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
      [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
      [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]]
_E = np.array([71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])
# the continuous extension (Shampine 1986, as in "The MATLAB ODE Suite"): y(t + s h) = y + h F B [s s² s³ s⁴]
_B = np.array([[1, -183 / 64, 37 / 12, -145 / 128], [0, 0, 0, 0], [0, 1500 / 371, -1000 / 159, 1000 / 371],
               [0, -125 / 32, 125 / 12, -375 / 64], [0, 9477 / 3392, -729 / 106, 25515 / 6784],
               [0, -11 / 7, 11 / 3, -55 / 28], [0, 3 / 2, -4, 5 / 2]])
_OPTIONS = {"RelTol": 1e-3, "AbsTol": 1e-6, "MaxStep": None, "InitialStep": None, "Refine": 4}


def odeset(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """MATLAB's odeset for the options ode45 reads here: RelTol, AbsTol, MaxStep, InitialStep, Refine."""
    if len(args) % 2:
        raise ValueError("odeset: options come in name-value pairs")
    out: dict[str, Any] = {}
    for key, value in [*zip(args[::2], args[1::2]), *kwargs.items()]:
        name = next((k for k in _OPTIONS if k.lower() == str(key).lower()), None)
        if name is None:
            raise ValueError(f"odeset: option '{key}' is not supported here; supported: {', '.join(_OPTIONS)}")
        out[name] = value
    return out


def ode45(odefun: Callable[..., Any], tspan: Any, y0: Any, options: Any = None, nargout: int = 1) -> Any:
    """MATLAB's [t, y] = ode45(odefun, tspan, y0[, options]) (nargout=2): t a column of times, y one row per
    time."""
    if nargout != 2:
        raise ValueError("ode45: only [t, y] = ode45(...) is supported (nargout=2); the solution structure "
                         "sol = ode45(...) and the event outputs are not")
    opts = {**_OPTIONS, **(odeset(**options) if isinstance(options, dict) else {})}
    times = _times(tspan)
    y = tensor(y0).reshape(-1).double().numpy()
    single = tensor(y0).dtype == torch.float32
    f = _rhs(odefun, len(y), single)
    ts, ys = _integrate(f, times, y, opts)
    dtype = torch.float32 if single else torch.float64  # MATLAB: single y0 gives single results
    return torch.tensor(ts, dtype=torch.float64).reshape(-1, 1), torch.tensor(np.stack(ys)).to(dtype)


def _times(tspan: Any) -> np.ndarray:
    t = tensor(tspan).reshape(-1).double().numpy()
    if t.size < 2:
        raise ValueError("ode45: tspan must have at least two elements, [t0 tf] or [t0 t1 ... tf]")
    d = np.diff(t)
    if not (np.all(d > 0) or np.all(d < 0)):
        raise ValueError("ode45: the times in tspan must be strictly increasing or strictly decreasing")
    return t


def _rhs(odefun: Callable[..., Any], n: int, single: bool) -> Callable[[float, np.ndarray], np.ndarray]:
    """odefun(t, y) with y a column (MATLAB passes one), its result as a float64 vector of y's length."""
    def f(t: float, y: np.ndarray) -> np.ndarray:
        col = torch.tensor(y, dtype=torch.float32 if single else torch.float64).reshape(-1, 1)
        out = odefun(t, col)
        v = (out.detach() if isinstance(out, torch.Tensor) else tensor(out)).reshape(-1).double().numpy()
        if v.size != n:
            raise ValueError(f"ode45: odefun returned {v.size} values for a state of {n}; it must return a column "
                             "vector as long as y0")
        return v
    return f


def _initial_step(f0: np.ndarray, y: np.ndarray, t0: float, span: float, opts: dict[str, Any]) -> float:
    """The first step: the largest allowed, shortened where the slope would move y too far."""
    rtol, threshold = float(opts["RelTol"]), float(opts["AbsTol"]) / float(opts["RelTol"])
    if opts["InitialStep"] is not None:
        return min(abs(float(opts["InitialStep"])), span)
    h = min(_max_step(opts, span), span)
    rh = np.max(np.abs(f0) / np.maximum(np.abs(y), threshold)) / (0.8 * rtol ** 0.2)
    if h * rh > 1:
        h = 1 / rh
    return max(h, 16 * np.spacing(abs(t0)))


def _max_step(opts: dict[str, Any], span: float) -> float:
    return abs(float(opts["MaxStep"])) if opts["MaxStep"] is not None else 0.1 * span


def _stages(f: Callable[[float, np.ndarray], np.ndarray], t: float, y: np.ndarray, h: float,
            f0: np.ndarray) -> np.ndarray:
    """The seven stage slopes of one Dormand–Prince step of size h (the last at the 5th-order result)."""
    F = np.empty((7, len(y)))
    F[0] = f0
    for i in range(1, 7):
        F[i] = f(t + _C[i] * h, y + h * (np.asarray(_A[i]) @ F[:i]))
    return F


def _integrate(f: Callable[[float, np.ndarray], np.ndarray], times: np.ndarray, y: np.ndarray,
               opts: dict[str, Any]) -> tuple[list[float], list[np.ndarray]]:
    """Steps from times[0] to times[-1]; the output times and values MATLAB returns for this tspan."""
    t, tf = float(times[0]), float(times[-1])
    span = abs(tf - t)
    rtol = float(opts["RelTol"])
    hmax = _max_step(opts, span)
    f0 = f(t, y)
    h = _initial_step(f0, y, t, span, opts)
    out_t, out_y = [t], [y.copy()]
    pending = list(times[1:]) if len(times) > 2 else None
    while math.copysign(1.0, tf - times[0]) * (tf - t) > 0:
        h = min(hmax, max(16 * np.spacing(abs(t)), h))
        if 1.1 * h >= abs(tf - t):  # stretch the last step to land on tf
            h = abs(tf - t)
        last = h == abs(tf - t)
        h, step, F, ynew, err, failed = _accepted_step(f, t, y, f0, math.copysign(h, tf - times[0]), opts)
        tnew = tf if last and h == abs(tf - t) else t + step
        _emit(out_t, out_y, t, y, step, F, tnew, ynew, pending, int(opts["Refine"]))
        if not failed:  # grow the next step (at most 5×), only after a step that did not fail
            grow = 1.25 * (err / rtol) ** 0.2
            h = h / grow if grow > 0.2 else 5 * h
        t, y, f0 = tnew, ynew, F[6]
    return out_t, out_y


def _accepted_step(f: Callable[[float, np.ndarray], np.ndarray], t: float, y: np.ndarray, f0: np.ndarray,
                   step: float, opts: dict[str, Any]) -> tuple[float, float, np.ndarray, np.ndarray, float, bool]:
    """Try steps from t, shrinking after each failure, until one meets the tolerances: its size, signed step,
    stage slopes, result, error estimate and whether any try failed."""
    rtol, threshold = float(opts["RelTol"]), float(opts["AbsTol"]) / float(opts["RelTol"])
    hmin, h, failed = 16 * np.spacing(abs(t)), abs(step), False
    while True:
        step = math.copysign(h, step)
        F = _stages(f, t, y, step, f0)
        ynew = y + step * (np.asarray(_A[6]) @ F[:6])
        err = h * np.max(np.abs(_E @ F) / np.maximum(np.maximum(np.abs(y), np.abs(ynew)), threshold))
        if err <= rtol:
            return h, step, F, ynew, err, failed
        if h <= hmin:
            raise ValueError(f"ode45: unable to meet the tolerances without reducing the step below {hmin:g} at "
                             f"t = {t:g}")
        h = max(hmin, 0.5 * h if failed else h * max(0.1, 0.8 * (rtol / err) ** 0.2))
        failed = True


def _emit(out_t: list[float], out_y: list[np.ndarray], t: float, y: np.ndarray, step: float, F: np.ndarray,
          tnew: float, ynew: np.ndarray, pending: list[float] | None, refine: int) -> None:
    """The outputs of one step: the requested times it passes (from the continuous extension), or Refine-1
    points inside it and its end."""
    if pending is None:
        for i in range(1, refine):
            out_t.append(t + step * i / refine)
            out_y.append(_interpolate(y, step, F, i / refine))
        out_t.append(tnew)
        out_y.append(ynew.copy())
        return
    while pending and (pending[0] - tnew) * math.copysign(1.0, step) <= 0:
        tout = pending.pop(0)
        out_t.append(tout)
        out_y.append(ynew.copy() if tout == tnew else _interpolate(y, step, F, (tout - t) / step))


def _interpolate(y: np.ndarray, step: float, F: np.ndarray, s: float) -> np.ndarray:
    return y + step * (F.T @ (_B @ np.array([s, s ** 2, s ** 3, s ** 4])))
