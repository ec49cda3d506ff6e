"""ONNX LSTM and GRU nodes as lstmLayer, bilstmLayer and gruLayer. Gate orders: ONNX's LSTM i o f c and GRU z r h
become MATLAB's i f g o and r z h. The sequences around them are followed in sequences.py.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.sequences import emit, take_last
from layergraph.interop.onnx_import.values import Seq, f32, name_hint
from layergraph.layers.recurrent import ONNX_GATE_ORDER, BiLSTMLayer, GRULayer, LSTMLayer

_FROM_ONNX = {"Sigmoid": "sigmoid", "HardSigmoid": "hard-sigmoid", "Tanh": "tanh", "Softsign": "softsign",
              "Relu": "relu"}
_USES_ALPHA = {"Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu", "Softplus"}


# ----- LSTM and GRU ------------------------------------------------------------------------------------------------
def _activations(imp: Importer, node: Any, kind: str, d: int) -> tuple[str, str]:
    """(gate, state) activation names in MATLAB's words from the node's `activations` (ONNX's defaults)."""
    a = imp.attrs(node)
    per = 3 if kind == "lstm" else 2
    names = [x.decode() if isinstance(x, bytes) else str(x) for x in a.get("activations", [])]
    # the schema has no default: the operator's text gives these, one list per direction
    names = names or (["Sigmoid", "Tanh", "Tanh"] if kind == "lstm" else ["Sigmoid", "Tanh"]) * d
    alphas, betas = list(a.get("activation_alpha", [])), list(a.get("activation_beta", []))
    for n in names:
        if n in _USES_ALPHA:
            alpha = alphas.pop(0) if alphas else 0.2
            beta = betas.pop(0) if betas else 0.5
            if n != "HardSigmoid" or abs(alpha - 0.2) > 1e-6 or abs(beta - 0.5) > 1e-6:
                raise imp.fail(f"activation {n} (alpha {alpha}, beta {beta}) is not one of MATLAB's gate or state "
                               "activation functions")
    if len(names) != per * d or any(n not in _FROM_ONNX for n in names) or names[per:] not in ([], names[:per]):
        raise imp.fail(f"activations {names}: MATLAB's layers take one gate function (sigmoid, hard-sigmoid) and "
                       "one state function (tanh, softsign, relu), the same in both directions")
    gate, state = _FROM_ONNX[names[0]], _FROM_ONNX[names[1]]
    if gate not in ("sigmoid", "hard-sigmoid") or state not in ("tanh", "softsign", "relu") or \
            (kind == "lstm" and names[2] != names[1]):
        raise imp.fail(f"activations {names[:per]} have no MATLAB form (gate: sigmoid or hard-sigmoid; state: "
                       "tanh, softsign or relu, the same for the cell input and output)")
    return gate, state


def _initial_states(imp: Importer, node: Any, kind: str, d: int, h: int) -> dict[str, list[float]]:
    """initial_h/initial_c as the layer's HiddenState/CellState options: constants (D×N×H, N = 1 after folding
    the batch Expand) the same for every observation; zeros are MATLAB's default and give no option."""
    out: dict[str, list[float]] = {}
    inputs = ((5, "initial_h", "HiddenState"), (6, "initial_c", "CellState"))[:2 if kind == "lstm" else 1]
    for i, what, option in inputs:
        name = _optional(node, i)
        if not name:
            continue
        if name not in imp.consts:
            raise imp.fail(f"{what} is computed from the data; layergraph takes a constant initial state (a state "
                           "given per call is a state input port, which the importer does not make)")
        arr = np.asarray(imp.consts[name], np.float32)
        if arr.ndim != 3 or arr.shape[0] != d or arr.shape[2] != h or np.any(arr != arr[:, :1]):
            raise imp.fail(f"{what} of shape {list(arr.shape)} is not one state for every observation (D×N×H)")
        if np.any(arr != 0):
            out[option] = [f32(v) for v in arr[:, 0, :].reshape(-1)]  # forward direction, then backward
    return out


def _optional(node: Any, i: int) -> str:
    return node.input[i] if len(node.input) > i else ""


def _directions(imp: Importer, node: Any, kind: str) -> int:
    """1 or 2 (bidirectional); a one-line error for what MATLAB's layers do not have."""
    a = imp.attrs(node)
    x = imp.vals.get(node.input[0])
    if not isinstance(x, Seq) or x.normal() != ("T", "N", "C"):
        raise imp.fail("its input X must be a sequence, time-major (T×N×C), from a graph input or recurrent layer")
    if imp.nodes[x.base].act.time is None:
        raise imp.fail("its input is a recurrent output whose last time step alone is used elsewhere")
    direction = a["direction"]
    direction = direction.decode() if isinstance(direction, bytes) else str(direction)
    d = 2 if direction == "bidirectional" else 1
    if direction == "reverse" or (kind == "gru" and d == 2):
        raise imp.fail(f"a {direction} {node.op_type} has no MATLAB layer (lstmLayer, bilstmLayer, gruLayer)")
    if a.get("layout") or a.get("input_forget") or "clip" in a:  # layout: from opset 14; input_forget: LSTM
        raise imp.fail("layout, input_forget and clip have no MATLAB form")
    if _optional(node, 4):
        raise imp.fail("sequence_lens: MATLAB's recurrent layers do not mask padded time steps")
    peepholes = _optional(node, 7)
    if peepholes and (peepholes not in imp.consts or np.any(imp.consts[peepholes] != 0)):
        raise imp.fail("P (peepholes) must be absent or zero: MATLAB's LSTM has none")
    return d


def _weights(imp: Importer, node: Any, kind: str, d: int, h: int) -> tuple[np.ndarray, ...]:
    """W, R and the input and recurrent biases in MATLAB's gate order, rows (d·G·h)."""
    gates = 4 if kind == "lstm" else 3
    rows = gates * h
    inverse = list(np.argsort(ONNX_GATE_ORDER[kind]))  # MATLAB block j is ONNX block inverse[j]

    def matlab_rows(arr: np.ndarray) -> np.ndarray:
        arr = np.asarray(arr, np.float32).reshape(d, gates, h, -1)[:, inverse]
        return arr.reshape(d * rows, -1)

    w = matlab_rows(imp.const(node.input[1], "W"))
    r = matlab_rows(imp.const(node.input[2], "R"))
    b = imp.const(node.input[3], "B") if _optional(node, 3) else np.zeros((d, 2 * rows), np.float32)
    return w, r, matlab_rows(b[:, :rows])[:, 0], matlab_rows(b[:, rows:])[:, 0]


def _bias(imp: Importer, node: Any, kind: str, h: int, wb: np.ndarray, rb: np.ndarray,
          options: dict[str, Any]) -> np.ndarray:
    """The layer's Bias; for GRU also its ResetGateMode (in `options`): both biases enter every gate linearly,
    but GRU's recurrent candidate bias after the reset gate when linear_before_reset is 1."""
    if kind != "gru":
        return wb + rb
    after = bool(imp.attrs(node)["linear_before_reset"])
    if after and np.any(rb[2 * h:] != 0):
        options["ResetGateMode"] = "recurrent-bias-after-multiplication"
        return np.concatenate([wb, rb])
    options["ResetGateMode"] = "after-multiplication" if after else "before-multiplication"
    return wb + rb


def _state_outputs(imp: Importer, node: Any, y: Seq, d: int) -> None:
    """Y_h as the last time step of Y (one direction); Y_c and a bidirectional Y_h are refused when read."""
    if len(node.output) > 1 and node.output[1] and imp.consumers[node.output[1]]:
        if d == 2:
            raise imp.fail("its Y_h (the backward direction's state after the whole sequence) is used; MATLAB's "
                           "bilstmLayer gives the last time step of Y (take Y[-1] instead)")
        take_last(imp, y)  # one direction: Y_h is the last time step of Y
        emit(imp, node.output[1], replace(y, axes=("D", "N", "H")))
    if len(node.output) > 2 and node.output[2] and imp.consumers[node.output[2]]:
        raise imp.fail("its Y_c (the cell state) is used; layergraph imports the layer without state outputs")


@handler("LSTM", "GRU")
def recurrent(imp: Importer, node: Any) -> None:
    """ONNX LSTM → lstmLayer (bilstmLayer when bidirectional); GRU → gruLayer."""
    kind = "lstm" if node.op_type == "LSTM" else "gru"
    d = _directions(imp, node, kind)
    x = imp.vals[node.input[0]]
    h = int(imp.attrs(node)["hidden_size"])
    initial = _initial_states(imp, node, kind, d, h)
    w, r, wb, rb = _weights(imp, node, kind, d, h)
    gate, state = _activations(imp, node, kind, d)
    options: dict[str, Any] = {"StateActivationFunction": state, "GateActivationFunction": gate}
    bias = _bias(imp, node, kind, h, wb, rb, options)
    cls = GRULayer if kind == "gru" else BiLSTMLayer if d == 2 else LSTMLayer
    layer = imp.make(cls, h, **options, **initial)
    params = {"InputWeights": w, "RecurrentWeights": r, "Bias": bias}
    params.update({s: layer.initial_state(s).numpy() for s in layer.state_names})
    hint = name_hint(node.name)
    nid = imp.add(layer, [x.base], hint, params)
    y = Seq(nid, ("T", "D", "N", "H"), hint, (d, h), x.static)
    imp.set(node.output[0], y)
    _state_outputs(imp, node, y, d)
