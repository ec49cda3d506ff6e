"""PyTorch's `nn.MultiheadAttention(E, h, batch_first=True)` called as self-attention (query = key = value),
as torch.onnx writes it, read back as selfAttentionLayer.

Both exporters write the same skeleton around a different middle: Transpose of the N×L×E input to L×N×E, the
packed input projection (MatMul by the E×3E constant, Add of the 3E bias), a split into query, key and value and
into heads (Shape arithmetic, Gather, Reshape, Transpose: the TorchScript exporter's differs from dynamo's),
MatMul → Softmax → MatMul (or ONNX's Attention at opset 23), the output projection (Gemm) and Transpose back to
N×L×E. `fuse_torch_attention` finds the two projections around a Softmax or Attention node, takes every node
between the input and the output as the region, and fuses it into one `SelfAttentionNTC` node (the importer's
own) only when the region, evaluated by onnx's reference evaluator, equals multi-head attention with those
weights for some number of heads on a random input: the middle is checked by its numbers, not by its shape.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.sequences import NTC_ATTENTION
from layergraph.interop.onnx_import.values import Seq, name_hint
from layergraph.layers.attention import SelfAttentionLayer

FUSED = NTC_ATTENTION  # x (N×L×E), Wq, bq, Wk, bk, Wv, bv, Wo, bo (MATLAB's sizes); attribute num_heads


class _Graph:
    """The node list with who makes and who reads each value, and the constants (Constant nodes included)."""

    def __init__(self, imp: Importer, nodes: list[Any]) -> None:
        self.imp, self.nodes = imp, nodes
        self.consts = dict(imp.consts)
        for n in nodes:
            if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
                self.consts[n.output[0]] = imp.onnx.numpy_helper.to_array(n.attribute[0].t)
        self.maker = {o: i for i, n in enumerate(nodes) for o in n.output}
        self.readers: dict[str, list[int]] = {}
        for i, n in enumerate(nodes):
            for x in n.input:
                self.readers.setdefault(x, []).append(i)

    def only_reader(self, value: str, op: str) -> int | None:
        r = self.readers.get(value, [])
        return r[0] if len(r) == 1 and self.nodes[r[0]].op_type == op else None

    def perm(self, i: int) -> list[int] | None:
        attr = next((a for a in self.nodes[i].attribute if a.name == "perm"), None)
        return list(attr.ints) if attr is not None else None

    def near(self, at: int, up: bool, steps: int = 40) -> list[int]:
        """Positions of the nodes within `steps` edges above (`up`) or below node `at`."""
        seen, frontier = set(), [at]
        for _ in range(steps):
            nxt = []
            for i in frontier:
                values = self.nodes[i].input if up else self.nodes[i].output
                nxt += [self.maker[v] for v in values if v in self.maker] if up else \
                    [r for v in values for r in self.readers.get(v, [])]
            frontier = [i for i in nxt if i not in seen]
            seen.update(frontier)
        return sorted(seen)


def _in_projection(g: _Graph, at: int) -> tuple[int, str, np.ndarray, np.ndarray] | None:
    """(MatMul position, the layer input, W (3E×E, torch's layout), b) of the packed input projection above
    node `at`: Transpose [1 0 2] of x, MatMul by an E×3E constant, Add of a 3E constant (zeros when absent)."""
    found = []
    for i in g.near(at, up=True):
        node = g.nodes[i]
        w = g.consts.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is not None and w.ndim == 2 and w.shape[1] == 3 * w.shape[0]:
            found.append(i)
    if len(found) != 1:
        return None
    mm = g.nodes[found[0]]
    t = g.maker.get(mm.input[0])
    if t is None or g.nodes[t].op_type != "Transpose" or g.perm(t) != [1, 0, 2]:
        return None
    w = g.consts[mm.input[1]]
    add = g.only_reader(mm.output[0], "Add")
    bias = next((g.consts.get(x) for x in g.nodes[add].input if x != mm.output[0]), None) if add is not None \
        else np.zeros(w.shape[1])
    if bias is None or bias.size != w.shape[1]:
        return None
    return t, g.nodes[t].input[0], w.T, bias.reshape(-1)


def _out_projection(g: _Graph, at: int, e: int) -> tuple[int, np.ndarray, np.ndarray] | None:
    """(the last node's position, W (E′×E), b) of the output projection below node `at`: Gemm by a constant,
    then Reshape/Transpose up to a Transpose [1 0 2] back to N×L×E′."""
    gemms = [i for i in g.near(at, up=False) if g.nodes[i].op_type == "Gemm" and g.nodes[i].input[1] in g.consts]
    if len(gemms) != 1:
        return None
    node = g.nodes[gemms[0]]
    attrs = g.imp.attrs(node)
    w = np.asarray(g.consts[node.input[1]], np.float64)
    w = w if attrs.get("transB") else w.T
    bias = g.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0])
    if w.ndim != 2 or w.shape[1] != e or bias is None or attrs.get("transA"):
        return None
    cur = node.output[0]
    for _ in range(4):
        r = [i for i in g.readers.get(cur, []) if g.nodes[i].op_type != "Shape"]  # Shapes: in the region
        if len(r) != 1 or g.nodes[r[0]].op_type not in ("Reshape", "Transpose"):
            return None
        cur = g.nodes[r[0]].output[0]
        if g.nodes[r[0]].op_type == "Transpose":
            return (r[0], w, np.broadcast_to(bias, (w.shape[0],)).copy()) if g.perm(r[0]) == [1, 0, 2] else None
    return None


def _region(g: _Graph, x: str, last: int) -> list[int] | None:
    """Every node between value `x` and node `last` (the ancestors of `last` up to `x` and constants); None when
    something else feeds it or something outside reads a value inside."""
    region, todo = set(), [last]
    while todo:
        i = todo.pop()
        if i in region:
            continue
        region.add(i)
        for v in g.nodes[i].input:
            if not v or v == x or (v in g.consts and v not in g.maker):
                continue
            if v not in g.maker:
                return None  # another activation (a graph input) feeds it
            todo.append(g.maker[v])
    outputs = {o.name for o in g.imp.graph.output}
    for i in region - {last}:
        for o in g.nodes[i].output:
            if o in outputs or any(r not in region for r in g.readers.get(o, [])):
                return None
    return sorted(region)


def _attention(x: np.ndarray, w_in: np.ndarray, b_in: np.ndarray, w_out: np.ndarray, b_out: np.ndarray,
               heads: int) -> np.ndarray:
    """Multi-head self-attention of N×L×E `x` (float64): softmax(q kᵀ/√d) v per head, then the output
    projection."""
    n, length, e = x.shape
    d = e // heads
    q, k, v = (np.moveaxis((x @ w_in[i * e:(i + 1) * e].T + b_in[i * e:(i + 1) * e]).reshape(n, length, heads, d),
                           2, 1) for i in range(3))
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(d)
    p = np.exp(s - s.max(-1, keepdims=True))
    y = (p / p.sum(-1, keepdims=True)) @ v
    return np.moveaxis(y, 1, 2).reshape(n, length, e) @ w_out.T + b_out


def _evaluator(g: _Graph, region: list[int], x: str, y: str, shape: tuple[int, ...]) -> Any:
    """onnx's reference evaluator of the region alone (input `x` of `shape`, output `y`)."""
    from onnx.reference import ReferenceEvaluator

    onnx = g.imp.onnx
    h = onnx.helper
    nodes = [g.nodes[i] for i in region]
    names = {v for n in nodes for v in n.input if v in g.imp.consts}
    inits = [onnx.numpy_helper.from_array(np.asarray(g.imp.consts[v]), v) for v in sorted(names)]
    graph = h.make_graph(nodes, "region", [h.make_tensor_value_info(x, onnx.TensorProto.FLOAT, shape)],
                         [h.make_tensor_value_info(y, onnx.TensorProto.FLOAT, None)], inits)
    return ReferenceEvaluator(h.make_model(graph, opset_imports=list(g.imp.model.opset_import)))


def _probe_shapes(g: _Graph, x: str, e: int) -> list[tuple[int, int, int]]:
    """N×L×E shapes to run the region on: the file's, where it fixes N and L; else 2×L×E for L = 1…32 (the
    TorchScript exporter bakes the export's length into Reshapes even where it calls L free)."""
    info = next((v for v in [*g.imp.graph.input, *g.imp.graph.value_info] if v.name == x), None)
    dims = [d.dim_value for d in info.type.tensor_type.shape.dim] if info is not None else []
    if len(dims) == 3 and dims[0] and dims[1]:
        return [(dims[0], dims[1], e)]
    return [(dims[0] if len(dims) == 3 and dims[0] else 2, length, e) for length in range(1, 33)]


def _run(g: _Graph, region: list[int], x: str, y: str, e: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(probe input, the region's output) for the first probe shape the region runs on; None if none."""
    rng = np.random.default_rng(0)
    for shape in _probe_shapes(g, x, e):
        probe = rng.standard_normal(shape).astype(np.float32)
        try:
            return probe, np.asarray(_evaluator(g, region, x, y, shape).run(None, {x: probe})[0], np.float64)
        except Exception:  # a shape the region does not take, or an operator onnx's reference evaluator
            continue  # lacks: not fused (the walk then says what stops it)
    return None


def _heads(g: _Graph, region: list[int], x: str, y: str, weights: tuple[np.ndarray, ...]) -> int | None:
    """The number of heads for which multi-head attention with `weights` equals the region's output."""
    e = weights[0].shape[1]
    ran = _run(g, region, x, y, e)
    if ran is None:
        return None
    probe, got = ran
    for heads in (h for h in range(1, e + 1) if e % h == 0):
        want = _attention(probe.astype(np.float64), *weights, heads)
        if got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(want).max())):
            return heads
    g.imp.onnx_node = g.nodes[region[-1]]
    raise g.imp.fail("the nodes from the packed input projection to the output projection (PyTorch's "
                     "nn.MultiheadAttention) do not compute plain multi-head self-attention for any number of "
                     "heads (an attention mask or another change): it has no selfAttentionLayer form")


def _match(g: _Graph, at: int) -> tuple[Any, list[int]] | None:
    """(the fused node, the region) for the Softmax or Attention node at `at`, or None."""
    inp = _in_projection(g, at)
    if inp is None:
        return None
    first, x, w_in, b_in = inp
    e = w_in.shape[1]
    out = _out_projection(g, at, e)
    if out is None:
        return None
    last, w_out, b_out = out
    region = _region(g, x, last)
    if region is None or first not in region:
        return None
    y = g.nodes[last].output[0]
    weights = (np.asarray(w_in, np.float64), np.asarray(b_in, np.float64), w_out, np.asarray(b_out, np.float64))
    heads = _heads(g, region, x, y, weights)
    if heads is None:
        return None
    name = g.nodes[last].name or y
    params = [w_in[:e], b_in[:e], w_in[e:2 * e], b_in[e:2 * e], w_in[2 * e:], b_in[2 * e:], w_out, b_out]
    keys = [f"{name}/{k}" for k in ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")]
    g.imp.consts.update({k: np.asarray(p, np.float32) for k, p in zip(keys, params)})
    return g.imp.onnx.helper.make_node(FUSED, [x, *keys], [y], name=name, num_heads=heads), region


def fuse_torch_attention(imp: Importer, nodes: list[Any]) -> list[Any]:
    """`nodes` with each region of PyTorch's batch-first multi-head self-attention as one SelfAttentionNTC node,
    at the place of the region's last node."""
    for at in [i for i, n in enumerate(nodes) if n.op_type in ("Softmax", "Attention")][::-1]:
        if at >= len(nodes) or nodes[at].op_type not in ("Softmax", "Attention"):
            continue  # taken into a region fused already
        found = _match(_Graph(imp, nodes), at)
        if found is not None:
            fused, region = found
            last = max(region)
            nodes = [fused if i == last else n for i, n in enumerate(nodes) if i == last or i not in region]
    imp.consumers = Counter(i for n in nodes for i in n.input if i)
    imp.consumers.update(o.name for o in imp.graph.output)
    return nodes


@handler(FUSED)
def self_attention_ntc(imp: Importer, node: Any) -> None:
    """The fused region: selfAttentionLayer on the N×L×E sequence (a sequenceInputLayer's, "CBT"), weights in
    MATLAB's sizes (QueryWeights NumKeyChannels×C, as torch's in_proj rows)."""
    s = imp.vals.get(node.input[0])
    if not isinstance(s, Seq) or s.normal() != ("N", "T", "C"):
        raise imp.fail("PyTorch's multi-head attention is imported on a batch-first N×L×E sequence input only")
    wq, bq, wk, bk, wv, bv, wo, bo = (np.asarray(imp.const(n, "projection"), np.float32) for n in node.input[1:])
    heads = int(imp.attrs(node)["num_heads"])
    c = imp.nodes[s.base].act.channels
    layer = imp.make(SelfAttentionLayer, heads, int(wq.shape[0]),
                     OutputSize="auto" if wo.shape[0] == c else int(wo.shape[0]))
    params = {"QueryWeights": wq, "KeyWeights": wk, "ValueWeights": wv, "OutputWeights": wo,
              "QueryBias": bq, "KeyBias": bk, "ValueBias": bv, "OutputBias": bo}
    hint = name_hint(node.name)
    imp.set(node.output[0], Seq(imp.add(layer, [s.base], hint, params), ("N", "T", "C"), hint, static=s.static))
