"""The LSTM and GRU equations as functions on MATLAB-layout weights: used by lstmLayer/gruLayer/bilstmLayer (and
the projected layers) and by the lstm and gru functions of custom training loops (layergraph.dlfun.recurrent).

MATLAB stacks the gate weights in one matrix per kind: LSTM [input; forget; cell candidate; output], GRU
[reset; update; candidate]; bilstmLayer puts the forward direction's rows above the backward one's. torch's
LSTM and GRU kernels use the same orders, so MATLAB's arrays feed them as they are; options torch's kernels
lack (softsign/relu state activation, hard-sigmoid gates, GRU's before-multiplication reset) run the
documented equations step by step.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F

STATE_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh, "softsign": F.softsign, "relu": torch.relu}
GATE_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "hard-sigmoid": lambda x: (0.2 * x + 0.5).clamp(0.0, 1.0),  # MATLAB: 0 below −2.5, 1 above 2.5
}
RESET_MODES = ("after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication")


class Cell(NamedTuple):
    """What one recurrent operation is: "lstm" or "gru", hidden units, directions and MATLAB's options."""

    kind: str
    h: int
    directions: int = 1
    state_fn: str = "tanh"
    gate_fn: str = "sigmoid"
    reset_mode: str = "after-multiplication"

    @property
    def gates(self) -> int:
        return 4 if self.kind == "lstm" else 3

    @property
    def recurrent_bias(self) -> bool:
        return self.reset_mode == "recurrent-bias-after-multiplication"

    @property
    def fusable(self) -> bool:
        """torch's fused kernels: every LSTM with tanh/sigmoid; GRU unless the reset gate acts before R."""
        return self.state_fn == "tanh" and self.gate_fn == "sigmoid" and self.reset_mode != "before-multiplication"


def run_recurrent(cell: Cell, x: torch.Tensor, states: list[torch.Tensor], W: torch.Tensor, R: torch.Tensor,
                  b: torch.Tensor, training: bool = False,
                  fused: bool | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """x B×T×C through the cell from `states` (B×(D·H) hidden [and cell] state), with W (D·G·H)×C, R (D·G·H)×H
    and the bias b as a vector (D·G·H, or 2·G·H for GRU's recurrent bias). Returns y B×T×(D·H) and the states
    after the last time step (B×(D·H) each). `fused` forces torch's kernel on or off (None: where it applies)."""
    if cell.fusable if fused is None else fused:
        return _fused(cell, x, states, _torch_params(cell, W, R, b), training)
    hs, cs, ys = [], [], []
    for k in range(cell.directions):
        part = slice(k * cell.h, (k + 1) * cell.h)
        c0 = states[1][:, part] if cell.kind == "lstm" else None
        y, h, c = _steps(cell, x, states[0][:, part], c0, _direction(cell, W, R, b, k), reverse=k == 1)
        ys.append(y)
        hs.append(h)
        cs.append(c)
    finals = [torch.cat(hs, 1)] + ([torch.cat(cs, 1)] if cell.kind == "lstm" else [])
    return torch.cat(ys, 2), finals


def _direction(cell: Cell, W: torch.Tensor, R: torch.Tensor, b: torch.Tensor,
               k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Direction k's input weights, recurrent weights, input bias and (GRU's recurrent-bias mode) recurrent bias."""
    rows = cell.gates * cell.h
    part = slice(k * rows, (k + 1) * rows)
    if cell.recurrent_bias:
        return W[part], R[part], b[:rows], b[rows:]
    return W[part], R[part], b[part], None


def _torch_params(cell: Cell, W: torch.Tensor, R: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
    """torch's flat weight list: per direction W_ih, W_hh, b_ih, b_hh (MATLAB has no b_hh but for GRU's
    recurrent-bias mode: zeros)."""
    out = []
    for k in range(cell.directions):
        w, r, b_ih, b_hh = _direction(cell, W, R, b, k)
        out += [w, r, b_ih, torch.zeros_like(b_ih) if b_hh is None else b_hh]
    return out


def _fused(cell: Cell, x: torch.Tensor, states: list[torch.Tensor], params: list[torch.Tensor],
           training: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
    n, d, h = x.shape[0], cell.directions, cell.h

    def to_torch(s: torch.Tensor) -> torch.Tensor:  # B×(D·H) → D×B×H
        return s.reshape(n, d, h).transpose(0, 1).contiguous()

    def from_torch(s: torch.Tensor) -> torch.Tensor:
        return s.transpose(0, 1).reshape(n, d * h)

    if cell.kind == "lstm":
        y, hn, cn = torch.lstm(x, (to_torch(states[0]), to_torch(states[1])), params, True, 1, 0.0, training,
                               d == 2, True)
        return y, [from_torch(hn), from_torch(cn)]
    y, hn = torch.gru(x, to_torch(states[0]), params, True, 1, 0.0, training, d == 2, True)
    return y, [from_torch(hn)]


def _steps(cell: Cell, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None,
           weights: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None],
           reverse: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """MATLAB's documented equations, one time step after another (one direction's weights)."""
    W, R, b, rb = weights
    H = cell.h
    act, gate = STATE_FUNCTIONS[cell.state_fn], GATE_FUNCTIONS[cell.gate_fn]
    xw = F.linear(x, W, b)  # the input part of every gate at every step, in one product
    steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    outs = []
    for t in steps:
        if cell.kind == "lstm":
            i, f, g, o = (xw[:, t] + h @ R.t()).chunk(4, 1)
            c = gate(f) * c + gate(i) * act(g)
            h = gate(o) * act(c)
        else:
            rz = xw[:, t, :2 * H] + h @ R[:2 * H].t()
            if rb is not None:
                rz = rz + rb[:2 * H]
            r, z = gate(rz).chunk(2, 1)
            if cell.reset_mode == "before-multiplication":
                cand = act(xw[:, t, 2 * H:] + (r * h) @ R[2 * H:].t())
            else:
                rh = h @ R[2 * H:].t()
                cand = act(xw[:, t, 2 * H:] + r * (rh + rb[2 * H:] if rb is not None else rh))
            h = (1 - z) * cand + z * h
        outs.append(h)
    if reverse:
        outs.reverse()
    return torch.stack(outs, 1), h, c
