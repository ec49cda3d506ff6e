"""MATLAB's lstm and gru functions: one recurrent pass over the T dimension of "CBT" (or "CB": one step) data.

Weights are MATLAB's: LSTM weights 4H×C, recurrentWeights 4H×H, bias 4H×1 (gates input, forget, cell candidate,
output); GRU 3H×C, 3H×H, 3H×1 (reset, update, candidate; bias 6H×1 with ResetGateMode
"recurrent-bias-after-multiplication"). H0 and C0 are H×N, or H×1 for the same state in every observation. The
equations are lstmLayer's and gruLayer's (layers/recurrent_cell.py).
"""
from __future__ import annotations

from typing import Any

import torch

from layergraph.data.options import choice
from layergraph.dlarray.array import DLArray, labelled, matlab_data, plain, wrap
from layergraph.dlfun.common import DLFunctionError, options, size_str
from layergraph.layers.recurrent_cell import GATE_FUNCTIONS, RESET_MODES, STATE_FUNCTIONS, Cell, run_recurrent
from layergraph.namevalue import matlab_keywords
from layergraph.nargout import nargout, results

__all__ = ["gru", "lstm"]


def _cell(fname: str, kind: str, opts: dict[str, Any], R: torch.Tensor) -> Cell:
    """The cell the options and the recurrentWeights (G·H×H) describe."""
    h = R.shape[1] if R.dim() == 2 else 0
    reset = choice(fname, "ResetGateMode", opts["ResetGateMode"], RESET_MODES) if kind == "gru" \
        else "after-multiplication"
    cell = Cell(kind, h, 1, choice(fname, "StateActivationFunction", opts["StateActivationFunction"],
                                   tuple(STATE_FUNCTIONS)),
                choice(fname, "GateActivationFunction", opts["GateActivationFunction"], tuple(GATE_FUNCTIONS)), reset)
    if R.dim() != 2 or R.shape[0] != cell.gates * h or h == 0:
        raise DLFunctionError(f"{fname}: recurrentWeights has size {size_str(R)}; expected "
                              f"{cell.gates}*numHiddenUnits-by-numHiddenUnits")
    return cell


def _sequence(fname: str, x: DLArray) -> torch.Tensor:
    """x's data as B×T×C (a B or T dimension x lacks added as a singleton)."""
    if "C" not in x.fmt or set(x.fmt) - set("CBT"):
        raise DLFunctionError(f"{fname}: '{x.fmt}' input is not supported; give data with a 'C' dimension and "
                              "optionally 'B' and 'T' (e.g. 'CBT')")
    t = plain(x)
    t = t if "B" in x.fmt else t.unsqueeze(0)
    t = t if "T" in x.fmt else t.unsqueeze(-1)
    return t.transpose(1, 2)  # torch layout B×C×T


def _parameters(fname: str, cell: Cell, weights: Any, R: torch.Tensor, bias: Any,
                ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """weights, recurrentWeights and bias in ref's dtype and device, their sizes checked against MATLAB's."""
    rows, c = cell.gates * cell.h, ref.shape[-1]
    W = matlab_data(weights).to(device=ref.device, dtype=ref.dtype)
    if tuple(W.shape) != (rows, c):
        raise DLFunctionError(f"{fname}: weights has size {size_str(weights)}; expected {rows}×{c} "
                              f"({cell.gates}*numHiddenUnits-by-inputSize)")
    b = matlab_data(bias).to(device=ref.device, dtype=ref.dtype).reshape(-1)
    want = 2 * rows if cell.recurrent_bias else rows
    if b.numel() != want:
        raise DLFunctionError(f"{fname}: bias has {b.numel()} elements; expected {want} ({want // cell.h}*"
                              "numHiddenUnits)")
    return W, R.to(device=ref.device, dtype=ref.dtype), b


def _state(fname: str, name: str, value: Any, h: int, n: int, ref: torch.Tensor) -> torch.Tensor:
    """H0 or C0 (H×N, or H×1 for every observation) as N×H."""
    s = matlab_data(value).to(device=ref.device, dtype=ref.dtype)
    if s.dim() > 2 or s.shape[0] != h or s.numel() not in (h, h * n):
        raise DLFunctionError(f"{fname}: {name} has size {size_str(value)}; expected {h}×1 or {h}×{n} "
                              "(numHiddenUnits-by-numObservations)")
    return s.reshape(h, -1).t().expand(n, h)


def _state_out(s: torch.Tensor, like: Any) -> DLArray:
    """A final state, H×N: labelled "CB" when the initial one was a formatted dlarray, unformatted otherwise."""
    return wrap(s, "CB") if isinstance(like, DLArray) and like.fmt else wrap(s.t(), "")


def _run(fname: str, kind: str, X: Any, given: list[Any], weights: Any, recurrentWeights: Any, bias: Any,
         opts: dict[str, Any]) -> list[Any]:
    """Y and the final states, as MATLAB returns them."""
    x, restore = labelled(X, opts["DataFormat"], fname)
    seq = _sequence(fname, x)
    cell = _cell(fname, kind, opts, matlab_data(recurrentWeights))
    W, R, b = _parameters(fname, cell, weights, matlab_data(recurrentWeights), bias, seq)
    names = ("H0", "C0")
    states = [_state(fname, names[i], s, cell.h, seq.shape[0], seq) for i, s in enumerate(given)]
    y, finals = run_recurrent(cell, seq, states, W, R, b, training=torch.is_grad_enabled())
    y = y.transpose(1, 2)  # B×H×T, "CBT"'s torch layout
    y = y if "T" in x.fmt else y.squeeze(-1)
    y = y if "B" in x.fmt else y.squeeze(0)
    return [restore(wrap(y, x.fmt))] + [_state_out(s, g) for s, g in zip(finals, given)]


@matlab_keywords
def lstm(X: Any, H0: Any, C0: Any, weights: Any, recurrentWeights: Any, bias: Any, *args: Any,
         **kwargs: Any) -> Any:
    """MATLAB's `[Y, hiddenState, cellState] = lstm(X, H0, C0, weights, recurrentWeights, bias)`.

    Y has X's format ("CBT": every time step); the states are H×N after the last step. Options: DataFormat,
    StateActivationFunction ("tanh", "softsign", "relu"), GateActivationFunction ("sigmoid", "hard-sigmoid").
    """
    n = nargout("lstm", kwargs.pop("nargout", None))
    opts = options("lstm", args, kwargs, {"DataFormat": None, "StateActivationFunction": "tanh",
                                          "GateActivationFunction": "sigmoid"})
    return results("lstm", n, _run("lstm", "lstm", X, [H0, C0], weights, recurrentWeights, bias, opts), "lstm")


@matlab_keywords
def gru(X: Any, H0: Any, weights: Any, recurrentWeights: Any, bias: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's `[Y, hiddenState] = gru(X, H0, weights, recurrentWeights, bias)`.

    Options: DataFormat, ResetGateMode ("after-multiplication" default, "before-multiplication",
    "recurrent-bias-after-multiplication" with a 6H×1 bias), StateActivationFunction, GateActivationFunction.
    """
    n = nargout("gru", kwargs.pop("nargout", None))
    opts = options("gru", args, kwargs, {"DataFormat": None, "ResetGateMode": "after-multiplication",
                                         "StateActivationFunction": "tanh", "GateActivationFunction": "sigmoid"})
    return results("gru", n, _run("gru", "gru", X, [H0], weights, recurrentWeights, bias, opts), "gru")
