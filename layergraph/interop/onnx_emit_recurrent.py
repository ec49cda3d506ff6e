"""ONNX emitters of the recurrent layers: lstmLayer/bilstmLayer as ONNX LSTM (gates i o f c), gruLayer as GRU
(z r h), converted from MATLAB's gate orders (i f g o; r z h); "CBT" in, time-major for ONNX, and back."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.interop.onnx_builder import Emit, EmitContext, ONNXExportError
from layergraph.layers.recurrent import ONNX_GATE_ORDER, BiLSTMLayer, GRULayer, LSTMLayer

_ONNX_ACTIVATION = {"sigmoid": "Sigmoid", "hard-sigmoid": "HardSigmoid", "tanh": "Tanh", "softsign": "Softsign",
                    "relu": "Relu"}


def _states(ctx: EmitContext) -> list[torch.Tensor]:
    """The layer's initial states (HiddenState, CellState), each D×1×H; a one-line error where none can be written."""
    layer, name = ctx.layer, ctx.name
    if layer.HasStateInputs or layer.HasStateOutputs:
        raise ONNXExportError(f"layer '{name}': {layer.type} with state inputs or outputs has no ONNX form in "
                              "layergraph")
    states = [getattr(ctx.m, s).detach() for s in ctx.m.state_names]
    if any(s.shape[1] != 1 for s in states):
        raise ONNXExportError(f"layer '{name}': its HiddenState/CellState holds the states of {states[0].shape[1]} "
                              "observations (left by net.State = state); net = resetState(net) before exporting")
    return states


def _weights(ctx: EmitContext) -> list[str]:
    """W, R and B initializers in ONNX's gate order, from MATLAB's (d·G·h)×k rows."""
    g, layer, name, m = ctx.g, ctx.layer, ctx.name, ctx.m
    d, h, gates = layer.directions, layer.NumHiddenUnits, layer.gates
    order = ONNX_GATE_ORDER[layer.kind]

    def onnx_rows(a: torch.Tensor) -> np.ndarray:  # (d·G·h)×k MATLAB rows → d × (G·h) × k in ONNX's gate order
        arr = a.detach().cpu().float().numpy().reshape(d, gates, h, -1)[:, order]
        return arr.reshape(d, gates * h, -1)

    bias = m.Bias.detach().reshape(-1, 1)
    rows = d * gates * h
    wb = onnx_rows(bias[:rows])[..., 0]
    rb = onnx_rows(bias[rows:])[..., 0] if m.recurrent_bias else np.zeros_like(wb)
    return [g.const(f"{name}/W", onnx_rows(m.InputWeights)), g.const(f"{name}/R", onnx_rows(m.RecurrentWeights)),
            g.const(f"{name}/B", np.concatenate([wb, rb], 1))]


def _initial_states(ctx: EmitContext, states: list[torch.Tensor]) -> list[str]:
    """The optional inputs after B: none for zero states, else '' (no sequence_lens) and the states, D×1×H
    spread to D×N×H over the batch."""
    if not any(bool(s.abs().max() > 0) for s in states):
        return []
    g, name = ctx.g, ctx.name
    d, h = ctx.layer.directions, ctx.layer.NumHiddenUnits
    n = g.node("Gather", [g.node("Shape", [ctx.xs[0]], f"{name}/input_shape", name=f"{name}/shape"),
                          g.ints(f"{name}/batch_axis", [0])], f"{name}/batch", name=f"{name}/batch")
    size = g.node("Concat", [g.ints(f"{name}/d", [d]), n, g.ints(f"{name}/h", [h])], f"{name}/state_size",
                  name=f"{name}/state_size", axis=0)
    inputs = [""]
    for s, label in zip(states, ("initial_h", "initial_c")):
        one = g.const(f"{name}/{label}_one", s.cpu().float().numpy().reshape(d, 1, h))
        inputs.append(g.node("Expand", [one, size], f"{name}/{label}", name=f"{name}/{label}"))
    return inputs


def _attributes(layer: Any) -> dict[str, Any]:
    """hidden_size, direction, activations (where not ONNX's defaults) and GRU's linear_before_reset."""
    d = layer.directions
    fns = [layer.GateActivationFunction] + [layer.StateActivationFunction] * (2 if layer.kind == "lstm" else 1)
    attrs: dict[str, Any] = {"hidden_size": layer.NumHiddenUnits, "direction": "bidirectional" if d == 2 else "forward"}
    if fns[0] != "sigmoid" or fns[1] != "tanh":
        attrs["activations"] = [_ONNX_ACTIVATION[f] for f in fns] * d
        hard = [f for f in fns * d if f == "hard-sigmoid"]
        if hard:  # MATLAB's hard sigmoid is ONNX's: max(0, min(1, 0.2·x + 0.5))
            attrs["activation_alpha"], attrs["activation_beta"] = [0.2] * len(hard), [0.5] * len(hard)
    if layer.kind == "gru":
        attrs["linear_before_reset"] = int(layer.ResetGateMode != "before-multiplication")
    return attrs


def _recurrent(ctx: EmitContext) -> str:
    """lstmLayer/bilstmLayer as ONNX LSTM, gruLayer as GRU (linear_before_reset = 1 unless the reset gate acts
    before the multiplication); "CBT" in, time-major for ONNX, and back to N×C×T or the last step's N×C."""
    g, layer, name = ctx.g, ctx.layer, ctx.name
    states = _states(ctx)
    d, h = layer.directions, layer.NumHiddenUnits
    x = ctx.xs[0]
    if ctx.ins[0].time is None:  # "CB" data: one time step
        x = g.node("Unsqueeze", [x, g.ints(f"{name}/axes", [0])], f"{name}/tnc", name=f"{name}/unsqueeze")
    else:
        x = g.node("Transpose", [x], f"{name}/tnc", name=f"{name}/transpose_in", perm=[2, 0, 1])
    inputs = [x, *_weights(ctx), *_initial_states(ctx, states)]
    y = g.node("LSTM" if layer.kind == "lstm" else "GRU", inputs, f"{name}/Y", name=f"{name}/rnn",
               **_attributes(layer))
    if ctx.out.time is not None:  # Y: T×D×N×H → N×(D·H)×T
        y = g.node("Transpose", [y], f"{name}/ndht", name=f"{name}/transpose_out", perm=[2, 1, 3, 0])
        return g.node("Reshape", [y, g.ints(f"{name}/shape", [0, d * h, -1])], name, name=name)
    # the last time step of the output sequence (MATLAB's OutputMode "last"; for bilstm not ONNX's Y_h)
    y = g.node("Gather", [y, g.const(f"{name}/last", -1, np.int64)], f"{name}/last_step", name=f"{name}/gather",
               axis=0)
    y = g.node("Transpose", [y], f"{name}/ndh", name=f"{name}/transpose_out", perm=[1, 0, 2])
    return g.node("Reshape", [y, g.ints(f"{name}/shape", [0, d * h])], name, name=name)


EMITTERS: dict[type, Emit] = {LSTMLayer: _recurrent, BiLSTMLayer: _recurrent, GRULayer: _recurrent}
