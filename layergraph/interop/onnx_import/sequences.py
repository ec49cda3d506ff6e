"""Sequences around ONNX's recurrent nodes: a sequence has a time axis of any length, which the element tracking
of values.py (fixed per-sample shapes) cannot follow; so a sequence value is a `Seq`: a layer's N×C×T output with
the ONNX value's axes labelled (N, T, C; D×H for a recurrent node's Y, which is T×D×N×H). Transpose, Squeeze,
Unsqueeze and Reshape relabel the axes; Gather or Slice of the last time step switches the recurrent layer to
OutputMode 'last' and gives ordinary features (a Val) again. Graph inputs that reach a recurrent node's X through
Transposes become sequenceInputLayers. ops.py makes the layout handlers `sequence_aware` with SEQUENCE_LAYOUT.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.graph_io import min_length
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.values import Seq, Val, sanitize
from layergraph.layers.inputs import SequenceInputLayer
from layergraph.layers.recurrent import BiLSTMLayer, GRULayer, LSTMLayer

Handler = Callable[[Importer, Any], None]
NTC_ATTENTION = "SelfAttentionNTC"  # torch_attention.py's fused node: its input is batch-first N×L×E


# ----- sequence inputs ------------------------------------------------------------------------------------------
def sequence_inputs(imp: Importer, nodes: list[Any] | None = None) -> None:
    """A sequenceInputLayer for each graph input that reaches a recurrent node's X through Transposes alone, or
    a fused PyTorch multi-head attention's N×L×E input (`nodes`: the node list after the fusions)."""
    for inp in imp.graph.input:
        if inp.name in imp.consts:
            continue
        nodes = list(imp.graph.node) if nodes is None else nodes
        labels = _labels_at_x(imp, inp.name, nodes) or (("N", "T", "C") if _feeds_attention(inp.name, nodes) else None)
        if labels is None:
            continue
        dims = inp.type.tensor_type.shape.dim
        c = dims[labels.index("C")].dim_value if len(dims) == 3 else 0
        if c < 1:
            imp.onnx_node = None
            raise imp.fail(f"input '{inp.name}' feeds a recurrent node but its channel axis has no fixed size")
        hint = (0, sanitize(inp.name) or "input")
        static = tuple(dims[labels.index(a)].dim_value for a in ("N", "T"))  # 0 for a dynamic axis
        layer = imp.make(SequenceInputLayer, c, Normalization="none", MinLength=min_length(imp, inp.name, None))
        nid = imp.add(layer, [], hint)
        imp.set(inp.name, Seq(nid, labels, hint, static=static))


# operators that keep N×L×C's first two axes (sequence_ops.py reads them on sequences)
_CHANNEL_LAST = {"MatMul", "Add", "LayerNormalization", "Relu", "Gelu", "Sigmoid", "Tanh", "LeakyRelu", "Elu",
                 "Dropout", "Identity"}


def _feeds_attention(name: str, nodes: list[Any]) -> bool:
    """True when value `name` reaches a fused PyTorch attention's input through operators that work on the last
    axis alone (MatMul by a constant, Add, LayerNormalization, activations): it is N×L×C like that input."""
    seen, todo = {name}, [name]
    while todo:
        cur = todo.pop()
        for n in nodes:
            if not n.input or (n.input[0] != cur and not (n.op_type == "Add" and cur in n.input)):
                continue
            if n.op_type == NTC_ATTENTION:
                return True
            if n.op_type in _CHANNEL_LAST and n.output[0] not in seen:
                seen.add(n.output[0])
                todo.append(n.output[0])
    return False


def _labels_at_x(imp: Importer, name: str, nodes: list[Any]) -> tuple[str, ...] | None:
    """The N/T/C labels of value `name` when it reaches a recurrent node's X (time-major T×N×C) or a fused
    PyTorch attention's input (N×L×E) through Transposes, else None."""
    perms: list[list[int]] = []
    cur = name
    for _ in range(8):
        readers = [n for n in nodes if cur in n.input and n.op_type != "Shape"]
        attention = [n for n in readers if n.op_type == NTC_ATTENTION and n.input[0] == cur]
        if len(readers) != 1 and not attention:  # an attention's input may also feed others (a residual)
            return None
        node = attention[0] if attention else readers[0]
        if node.op_type in ("LSTM", "GRU", NTC_ATTENTION) and node.input[0] == cur:
            labels = ["N", "T", "C"] if node.op_type == NTC_ATTENTION else ["T", "N", "C"]
            for perm in reversed(perms):  # out[i] = in[perm[i]]  →  in[perm[i]] = out[i]
                before = [""] * len(perm)
                for i, p in enumerate(perm):
                    before[p] = labels[i]
                labels = before
            return tuple(labels)
        if node.op_type != "Transpose":
            return None
        perms.append(list(imp.attrs(node).get("perm", [2, 1, 0])))  # absent: reversed (no schema default)
        cur = node.output[0]
    return None


# ----- labels ---------------------------------------------------------------------------------------------------
def _sizes(s: Seq) -> dict[str, int]:
    d, h = s.split
    return {"D": d, "H": h, "C": d * h if h else 0, "1": 1, "L": 1}


def emit(imp: Importer, name: str, s: Seq) -> None:
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
    """The node's axes, non-negative and sorted (none given: [])."""
    return sorted(x + rank if x < 0 else x for x in (imp.given_axes(node) or []))


def take_last(imp: Importer, s: Seq) -> None:
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
    perm = imp.attrs(node).get("perm", list(range(len(s.axes)))[::-1])  # absent: reversed (rank-dependent)
    emit(imp, node.output[0], replace(s, axes=tuple(s.axes[p] for p in perm)))


def _squeeze(imp: Importer, node: Any) -> None:
    s = _seq(imp, node)
    size = _sizes(s)
    axes = _axes_of(imp, node, len(s.axes)) or [i for i, a in enumerate(s.axes) if size.get(a) == 1]
    if any(size.get(s.axes[a]) != 1 for a in axes):
        raise imp.fail(f"Squeeze of a sequence axis that is not 1 (axes {''.join(s.axes)})")
    emit(imp, node.output[0], replace(s, axes=tuple(a for i, a in enumerate(s.axes) if i not in axes)))


def _unsqueeze(imp: Importer, node: Any) -> None:
    s = _seq(imp, node)
    n = len(imp.given_axes(node) or [])
    axes = list(s.axes)
    for a in _axes_of(imp, node, len(axes) + n):
        axes.insert(a, "1")
    emit(imp, node.output[0], replace(s, axes=tuple(axes)))


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
    allow = bool(imp.attrs(node).get("allowzero"))  # from opset 14
    tokens = [a for a in s.axes if a not in ("1", "L")]
    out: list[str] = []
    p = 0
    for i, v in enumerate(target):
        label, p = _reshape_entry(imp, s, tokens, p, i, v, allow)
        out.append(label)
    if p != len(tokens):
        raise imp.fail(f"cannot follow Reshape {target} of sequence axes {''.join(s.axes)}")
    emit(imp, node.output[0], replace(s, axes=tuple(out)))


def _reshape_entry(imp: Importer, s: Seq, tokens: list[str], p: int, i: int, v: int,
                   allow: bool) -> tuple[str, int]:
    """The label of output axis `i` (Reshape target entry `v`) and the next input axis (`p` into `tokens`)."""
    if v == 0 and not allow:  # the input's axis i, copied
        label = s.axes[i] if i < len(s.axes) else "?"
        if label in ("1", "L"):
            return "1", p
        if p >= len(tokens) or tokens[p] != label:
            raise imp.fail(f"cannot follow a Reshape of sequence axes {''.join(s.axes)} (entry {i})")
        return label, p + 1
    if p < len(tokens) and tokens[p] in ("N", "T") and (v == -1 or v == s.static["NT".index(tokens[p])]):
        return tokens[p], p + 1  # -1, or the fixed batch or length of a static export (PyTorch's dynamo exporter)
    if v == -1:
        group = []
        while p < len(tokens) and tokens[p] not in ("N", "T"):
            group.append(tokens[p])
            p += 1
        return _merged(imp, group), p
    return _sized_entry(imp, s, tokens, p, v)


def _sized_entry(imp: Importer, s: Seq, tokens: list[str], p: int, v: int) -> tuple[str, int]:
    """A Reshape target entry of size `v` > 0: the input axes it merges (C split back into D×H where needed)."""
    size = _sizes(s)
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
        raise imp.fail(f"cannot follow a Reshape to size {v} of sequence axes {''.join(s.axes)}")
    return _merged(imp, group), p


def _last_index(imp: Importer, node: Any, s: Seq, axis: int) -> None:
    if s.axes[axis] != "T":
        raise imp.fail(f"it selects along sequence axis '{s.axes[axis]}'; layergraph follows only the last time step")


def _gather(imp: Importer, node: Any) -> None:
    s = _seq(imp, node)
    axis = int(imp.attrs(node)["axis"])
    axis = axis + len(s.axes) if axis < 0 else axis
    _last_index(imp, node, s, axis)
    idx = np.asarray(imp.const(node.input[1], "indices"))
    if idx.size != 1 or int(idx.reshape(-1)[0]) != -1:
        raise imp.fail("it gathers time steps other than the last (index -1); MATLAB's recurrent layers give the "
                       "whole sequence or its last step")
    take_last(imp, s)
    keep = tuple(a for i, a in enumerate(s.axes) if i != axis) if idx.ndim == 0 else \
        tuple("L" if i == axis else a for i, a in enumerate(s.axes))
    emit(imp, node.output[0], replace(s, axes=keep))


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
        take_last(imp, s)
        new[ax] = "L"
    emit(imp, node.output[0], replace(s, axes=tuple(new)))


def _pass(imp: Importer, node: Any) -> None:
    imp.set(node.output[0], _seq(imp, node))


def sequence_aware(plain: Handler, seq: Handler) -> Handler:
    """`seq` for a sequence input, else `plain`."""

    def handle(imp: Importer, node: Any) -> None:
        (seq if isinstance(imp.vals.get(node.input[0]), Seq) else plain)(imp, node)

    return handle




# the layout operators that follow sequences (in front of the plain handlers of layout.py and ops_dense.py)
SEQUENCE_LAYOUT: dict[str, Handler] = {"Transpose": _transpose, "Squeeze": _squeeze, "Unsqueeze": _unsqueeze,
                                       "Reshape": _reshape, "Gather": _gather, "Slice": _slice, "Identity": _pass,
                                       "Cast": _pass}
