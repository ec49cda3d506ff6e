"""ONNX LSTM and GRU nodes as lstmLayer, bilstmLayer and gruLayer, and the sequences around them.

A sequence has a time axis of any length, which the element tracking of values.py (fixed per-sample shapes)
cannot follow; so a sequence value is a `Seq`: a layer's N×C×T output with the ONNX value's axes labelled
(N, T, C; D×H for a recurrent node's Y, which is T×D×N×H). Transpose, Squeeze, Unsqueeze and Reshape relabel
the axes; Gather or Slice of the last time step switches the recurrent layer to OutputMode 'last' and gives
ordinary features (a Val) again. Graph inputs that reach a recurrent node's X through Transposes become
sequenceInputLayers. Gate orders: ONNX's LSTM i o f c and GRU z r h become MATLAB's i f g o and r z h.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.values import Importer, Seq, Val, f32, name_hint, sanitize
from layergraph.layers.inputs import SequenceInputLayer
from layergraph.layers.recurrent import ONNX_GATE_ORDER, BiLSTMLayer, GRULayer, LSTMLayer

_FROM_ONNX = {"Sigmoid": "sigmoid", "HardSigmoid": "hard-sigmoid", "Tanh": "tanh", "Softsign": "softsign",
              "Relu": "relu"}
Handler = Callable[[Importer, Any], None]
_USES_ALPHA = {"Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu", "Softplus"}


# ----- sequence inputs ------------------------------------------------------------------------------------------
def sequence_inputs(imp: Importer) -> None:
    """A sequenceInputLayer for each graph input that reaches a recurrent node's X through Transposes alone."""
    for inp in imp.graph.input:
        if inp.name in imp.consts:
            continue
        labels = _labels_at_x(imp, inp.name)
        if labels is None:
            continue
        dims = inp.type.tensor_type.shape.dim
        c = dims[labels.index("C")].dim_value if len(dims) == 3 else 0
        if c < 1:
            imp.onnx_node = None
            raise imp.fail(f"input '{inp.name}' feeds a recurrent node but its channel axis has no fixed size")
        hint = (0, sanitize(inp.name) or "input")
        static = tuple(dims[labels.index(a)].dim_value for a in ("N", "T"))  # 0 for a dynamic axis
        layer = imp.make(SequenceInputLayer, c, Normalization="none", MinLength=imp.min_length(inp.name, None))
        nid = imp.add(layer, [], hint)
        imp.set(inp.name, Seq(nid, labels, hint, static=static))


def _labels_at_x(imp: Importer, name: str) -> tuple[str, ...] | None:
    """The N/T/C labels of value `name` when it reaches a recurrent node's X (time-major T×N×C) through
    Transposes, else None."""
    perms: list[list[int]] = []
    cur = name
    for _ in range(8):
        readers = [n for n in imp.graph.node if cur in n.input and n.op_type != "Shape"]
        if len(readers) != 1:
            return None
        node = readers[0]
        if node.op_type in ("LSTM", "GRU") and node.input[0] == cur:
            labels = ["T", "N", "C"]
            for perm in reversed(perms):  # out[i] = in[perm[i]]  →  in[perm[i]] = out[i]
                before = [""] * len(perm)
                for i, p in enumerate(perm):
                    before[p] = labels[i]
                labels = before
            return tuple(labels)
        if node.op_type != "Transpose":
            return None
        perms.append(list(imp.attrs(node).get("perm", [2, 1, 0])))
        cur = node.output[0]
    return None


# ----- labels ---------------------------------------------------------------------------------------------------
def _sizes(s: Seq) -> dict[str, int]:
    d, h = s.split
    return {"D": d, "H": h, "C": d * h if h else 0, "1": 1, "L": 1}


def _emit(imp: Importer, name: str, s: Seq) -> None:
    """Record `s`; without a time axis and with N first, it is features again (a Val of the layer's N×C)."""
    if "T" in s.axes or not s.axes or s.axes[0] != "N" or s.normal() != ("N", "C"):
        imp.set(name, s)
        return
    size = _sizes(s)
    shape = tuple(size[a] for a in s.axes[1:])
    imp.set(name, Val(s.base, np.arange(int(np.prod(shape))).reshape(shape), s.hint))


def _seq(imp: Importer, node: Any) -> Seq:
    s = imp.vals.get(node.input[0])
    assert isinstance(s, Seq)
    return s


def _axes_of(imp: Importer, node: Any, rank: int) -> list[int]:
    a = imp.attrs(node).get("axes")
    if a is None and len(node.input) > 1 and node.input[1]:
        a = imp.const(node.input[1], "axes").reshape(-1).tolist()
    return sorted(int(x) + rank if int(x) < 0 else int(x) for x in (a or []))


def _take_last(imp: Importer, s: Seq) -> None:
    """The reader wants the last time step only: the recurrent layer's OutputMode becomes 'last'."""
    node = imp.nodes[s.base]
    layer = node.layer
    if not isinstance(layer, (LSTMLayer, BiLSTMLayer, GRULayer)):
        raise imp.fail("it takes one time step of a sequence; layergraph takes only the last one, of a recurrent "
                       "layer's output (OutputMode 'last')")
    if layer.OutputMode == "last":
        return
    if imp.out_degree[s.base]:
        raise imp.fail("it takes the last time step of a recurrent output whose whole sequence is also used")
    node.layer = layer.model_copy(update={"OutputMode": "last"})
    node.act = node.layer.output_size([imp.nodes[i].act for i in node.inputs])


# ----- layout operators on sequences ------------------------------------------------------------------------------
def _transpose(imp: Importer, node: Any) -> None:
    s = _seq(imp, node)
    perm = imp.attrs(node).get("perm", list(range(len(s.axes)))[::-1])
    _emit(imp, node.output[0], replace(s, axes=tuple(s.axes[p] for p in perm)))


def _squeeze(imp: Importer, node: Any) -> None:
    s = _seq(imp, node)
    size = _sizes(s)
    axes = _axes_of(imp, node, len(s.axes)) or [i for i, a in enumerate(s.axes) if size.get(a) == 1]
    if any(size.get(s.axes[a]) != 1 for a in axes):
        raise imp.fail(f"Squeeze of a sequence axis that is not 1 (axes {''.join(s.axes)})")
    _emit(imp, node.output[0], replace(s, axes=tuple(a for i, a in enumerate(s.axes) if i not in axes)))


def _unsqueeze(imp: Importer, node: Any) -> None:
    s = _seq(imp, node)
    n = len(imp.attrs(node).get("axes") or []) or (imp.const(node.input[1], "axes").size if len(node.input) > 1
                                                   else 0)
    axes = list(s.axes)
    for a in _axes_of(imp, node, len(axes) + n):
        axes.insert(a, "1")
    _emit(imp, node.output[0], replace(s, axes=tuple(axes)))


def _merged(imp: Importer, group: list[str]) -> str:
    if group in (["C"], ["D", "H"]):
        return "C"
    if len(group) == 1:
        return group[0]
    if not group:
        return "1"
    raise imp.fail(f"a Reshape merges sequence axes {''.join(group)} in a way no layergraph layer reproduces")


def _reshape(imp: Importer, node: Any) -> None:
    """Reshape of a sequence: it may merge D×H into C (or split C), add or drop unit axes; N and T stay axes."""
    s = _seq(imp, node)
    target = [int(v) for v in imp.const(node.input[1], "shape").reshape(-1)]
    allow = bool(imp.attrs(node).get("allowzero", 0))
    size = _sizes(s)
    tokens = [a for a in s.axes if a not in ("1", "L")]
    out: list[str] = []
    p = 0
    for i, v in enumerate(target):
        if v == 0 and not allow:
            label = s.axes[i] if i < len(s.axes) else "?"
            if label in ("1", "L"):
                out.append("1")
                continue
            if p >= len(tokens) or tokens[p] != label:
                raise imp.fail(f"cannot follow Reshape {target} of sequence axes {''.join(s.axes)}")
            out.append(label)
            p += 1
        elif v == -1:
            if p < len(tokens) and tokens[p] in ("N", "T"):
                out.append(tokens[p])
                p += 1
                continue
            group = []
            while p < len(tokens) and tokens[p] not in ("N", "T"):
                group.append(tokens[p])
                p += 1
            out.append(_merged(imp, group))
        elif p < len(tokens) and tokens[p] in ("N", "T") and v == s.static["NT".index(tokens[p])]:
            out.append(tokens[p])  # the fixed batch or length of a static export (PyTorch's dynamo exporter)
            p += 1
        else:
            if p < len(tokens) and tokens[p] == "C" and v != size["C"] and s.split[0] > 1:
                tokens[p:p + 1] = ["D", "H"]  # C split back into directions × hidden units
            group, prod = [], 1
            while prod < v and p < len(tokens) and tokens[p] not in ("N", "T"):
                group.append(tokens[p])
                prod *= size[tokens[p]]
                p += 1
            if v == 1 and not group and p < len(tokens) and tokens[p] == "D" and size["D"] == 1:
                group, p = ["D"], p + 1
            if prod != v:
                raise imp.fail(f"cannot follow Reshape {target} of sequence axes {''.join(s.axes)}")
            out.append(_merged(imp, group))
    if p != len(tokens):
        raise imp.fail(f"cannot follow Reshape {target} of sequence axes {''.join(s.axes)}")
    _emit(imp, node.output[0], replace(s, axes=tuple(out)))


def _last_index(imp: Importer, node: Any, s: Seq, axis: int) -> None:
    if s.axes[axis] != "T":
        raise imp.fail(f"it selects along sequence axis '{s.axes[axis]}'; layergraph follows only the last time step")


def _gather(imp: Importer, node: Any) -> None:
    s = _seq(imp, node)
    axis = int(imp.attrs(node).get("axis", 0))
    axis = axis + len(s.axes) if axis < 0 else axis
    _last_index(imp, node, s, axis)
    idx = np.asarray(imp.const(node.input[1], "indices"))
    if idx.size != 1 or int(idx.reshape(-1)[0]) != -1:
        raise imp.fail("it gathers time steps other than the last (index -1); MATLAB's recurrent layers give the "
                       "whole sequence or its last step")
    _take_last(imp, s)
    keep = tuple(a for i, a in enumerate(s.axes) if i != axis) if idx.ndim == 0 else \
        tuple("L" if i == axis else a for i, a in enumerate(s.axes))
    _emit(imp, node.output[0], replace(s, axes=keep))


def _slice(imp: Importer, node: Any) -> None:
    s = _seq(imp, node)
    a = imp.attrs(node)
    if "starts" in a:
        starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
    else:
        ins = list(node.input) + [""] * 5
        starts, ends = (imp.const(ins[i], w).reshape(-1).tolist() for i, w in ((1, "starts"), (2, "ends")))
        axes = imp.const(ins[3], "axes").reshape(-1).tolist() if ins[3] else None
        steps = imp.const(ins[4], "steps").reshape(-1).tolist() if ins[4] else None
    axes = list(range(len(starts))) if axes is None else [int(x) + len(s.axes) if int(x) < 0 else int(x)
                                                           for x in axes]
    steps = steps or [1] * len(starts)
    new = list(s.axes)
    for ax, start, end, step in zip(axes, starts, ends, steps):
        if s.axes[ax] == "N" and int(start) == 0 and int(end) >= 2**31 - 1 and int(step) == 1:
            continue  # the whole batch
        _last_index(imp, node, s, ax)
        if int(start) != -1 or int(end) < 2**31 - 1 or int(step) != 1:
            raise imp.fail("it slices time steps other than the last; MATLAB's recurrent layers give the whole "
                           "sequence or its last step")
        _take_last(imp, s)
        new[ax] = "L"
    _emit(imp, node.output[0], replace(s, axes=tuple(new)))


def _pass(imp: Importer, node: Any) -> None:
    imp.set(node.output[0], _seq(imp, node))


def _sequence_aware(plain: Handler, seq: Handler) -> Handler:
    def handle(imp: Importer, node: Any) -> None:
        (seq if isinstance(imp.vals.get(node.input[0]), Seq) else plain)(imp, node)

    return handle


# ----- LSTM and GRU ------------------------------------------------------------------------------------------------
def _activations(imp: Importer, node: Any, kind: str, d: int) -> tuple[str, str]:
    """(gate, state) activation names in MATLAB's words from the node's `activations` (ONNX's defaults)."""
    a = imp.attrs(node)
    per = 3 if kind == "lstm" else 2
    names = [x.decode() if isinstance(x, bytes) else str(x) for x in a.get("activations", [])]
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


def recurrent(imp: Importer, node: Any) -> None:
    """ONNX LSTM → lstmLayer (bilstmLayer when bidirectional); GRU → gruLayer."""
    kind = "lstm" if node.op_type == "LSTM" else "gru"
    a = imp.attrs(node)
    x = imp.vals.get(node.input[0])
    if not isinstance(x, Seq) or x.normal() != ("T", "N", "C"):
        raise imp.fail("its input X must be a sequence, time-major (T×N×C), from a graph input or recurrent layer")
    if imp.nodes[x.base].act.time is None:
        raise imp.fail("its input is a recurrent output whose last time step alone is used elsewhere")
    direction = a.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else str(direction)
    d = 2 if direction == "bidirectional" else 1
    if direction == "reverse" or (kind == "gru" and d == 2):
        raise imp.fail(f"a {direction} {node.op_type} has no MATLAB layer (lstmLayer, bilstmLayer, gruLayer)")
    if a.get("layout", 0) or a.get("input_forget", 0) or "clip" in a:
        raise imp.fail("layout, input_forget and clip have no MATLAB form")
    if _optional(node, 4):
        raise imp.fail("sequence_lens: MATLAB's recurrent layers do not mask padded time steps")
    h = int(a["hidden_size"])
    initial = _initial_states(imp, node, kind, d, h)
    peepholes = _optional(node, 7)
    if peepholes and (peepholes not in imp.consts or np.any(imp.consts[peepholes] != 0)):
        raise imp.fail("P (peepholes) must be absent or zero: MATLAB's LSTM has none")
    gates = 4 if kind == "lstm" else 3
    rows = gates * h
    inverse = list(np.argsort(ONNX_GATE_ORDER[kind]))  # MATLAB block j is ONNX block inverse[j]

    def matlab_rows(arr: np.ndarray) -> np.ndarray:
        arr = np.asarray(arr, np.float32).reshape(d, gates, h, -1)[:, inverse]
        return arr.reshape(d * rows, -1)

    W = matlab_rows(imp.const(node.input[1], "W"))
    R = matlab_rows(imp.const(node.input[2], "R"))
    B = imp.const(node.input[3], "B") if _optional(node, 3) else np.zeros((d, 2 * rows), np.float32)
    wb, rb = matlab_rows(B[:, :rows])[:, 0], matlab_rows(B[:, rows:])[:, 0]
    gate, state = _activations(imp, node, kind, d)
    options: dict[str, Any] = {"StateActivationFunction": state, "GateActivationFunction": gate}
    bias = wb + rb  # both biases enter every gate linearly, but GRU's recurrent candidate bias after reset
    if kind == "gru":
        after = bool(a.get("linear_before_reset", 0))
        if after and np.any(rb[2 * h:] != 0):
            options["ResetGateMode"], bias = "recurrent-bias-after-multiplication", np.concatenate([wb, rb])
        else:
            options["ResetGateMode"] = "after-multiplication" if after else "before-multiplication"
    cls = GRULayer if kind == "gru" else BiLSTMLayer if d == 2 else LSTMLayer
    layer = imp.make(cls, h, **options, **initial)
    params = {"InputWeights": W, "RecurrentWeights": R, "Bias": bias}
    params.update({s: layer.initial_state(s).numpy() for s in layer.state_names})
    hint = name_hint(node.name)
    nid = imp.add(layer, [x.base], hint, params)
    y = Seq(nid, ("T", "D", "N", "H"), hint, (d, h), x.static)
    imp.set(node.output[0], y)
    if len(node.output) > 1 and node.output[1] and imp.consumers[node.output[1]]:
        if d == 2:
            raise imp.fail("its Y_h (the backward direction's state after the whole sequence) is used; MATLAB's "
                           "bilstmLayer gives the last time step of Y (take Y[-1] instead)")
        _take_last(imp, y)  # one direction: Y_h is the last time step of Y
        _emit(imp, node.output[1], replace(y, axes=("D", "N", "H")))
    if len(node.output) > 2 and node.output[2] and imp.consumers[node.output[2]]:
        raise imp.fail("its Y_c (the cell state) is used; layergraph imports the layer without state outputs")


def handlers(ops: dict[str, Handler]) -> dict[str, Handler]:
    """LSTM and GRU, and the layout operators of `ops` made to follow sequences too."""
    seq = {"Transpose": _transpose, "Squeeze": _squeeze, "Unsqueeze": _unsqueeze, "Reshape": _reshape,
           "Gather": _gather, "Slice": _slice, "Identity": _pass, "Cast": _pass}
    return {"LSTM": recurrent, "GRU": recurrent, **{op: _sequence_aware(ops[op], fn) for op, fn in seq.items()}}
