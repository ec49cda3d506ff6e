"""The numeric check behind the fused attention regions: the nodes between a value and an output, run by onnx's
reference evaluator on a random input, compared with multi-head attention (numpy, float64) for some number of heads
(and with or without a causal mask). A region of operators is taken for a layer only where it computes the same
numbers, whatever the exporter's way of splitting heads."""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.interop.onnx_import.node_graph import NodeGraph


def region_between(g: NodeGraph, x: str, last: int) -> list[int] | None:
    """Every node between value `x` and node `last` (the ancestors of `last` up to `x` and constants); None when
    something else feeds it or something outside reads a value inside."""
    region, todo = set(), [last]
    while todo:
        i = todo.pop()
        if i in region:
            continue
        region.add(i)
        for v in g.nodes[i].input:
            if not v or v == x or v in g.consts:  # Constant nodes stay outside (exporters share them)
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


def attention(x: np.ndarray, w: list[np.ndarray], heads: int, causal: bool = False) -> np.ndarray:
    """Multi-head self-attention of N×L×C `x` (float64) with ONNX-layout projections w = [Wq, bq, Wk, bk, Wv, bv,
    Wo, bo] (x·W + b; W is C×d): softmax(q kᵀ/√(dk/heads)) v per head (the channels split contiguously into
    heads), the heads merged, then the output projection."""
    wq, bq, wk, bk, wv, bv, wo, bo = w
    n, length, _ = x.shape

    def split(m: np.ndarray) -> np.ndarray:
        return np.moveaxis(m.reshape(n, length, heads, -1), 2, 1)

    q, k, v = split(x @ wq + bq), split(x @ wk + bk), split(x @ wv + bv)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(wq.shape[1] / heads)
    if causal:  # a query attends to keys at or before its position
        s = np.where(np.tril(np.ones((length, length), bool)), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    y = (p / p.sum(-1, keepdims=True)) @ v
    return np.moveaxis(y, 1, 2).reshape(n, length, -1) @ wo + bo


def evaluator(g: NodeGraph, region: list[int], x: str, y: str, e: int) -> Any:
    """onnx's reference evaluator of the region alone (input `x`: N×L×`e`, output `y`)."""
    from onnx.reference import ReferenceEvaluator

    onnx = g.imp.onnx
    h = onnx.helper
    nodes = [g.nodes[i] for i in region]
    names = {v for n in nodes for v in n.input if v in g.consts}  # initializers and Constant nodes' values
    inits = [onnx.numpy_helper.from_array(np.asarray(g.consts[v]), v) for v in sorted(names)]
    graph = h.make_graph(nodes, "region", [h.make_tensor_value_info(x, onnx.TensorProto.FLOAT, ["N", "L", e])],
                         [h.make_tensor_value_info(y, onnx.TensorProto.FLOAT, None)], inits)
    return ReferenceEvaluator(h.make_model(graph, opset_imports=list(g.imp.model.opset_import)))


def probe_shapes(g: NodeGraph, x: str, e: int) -> list[tuple[int, int, int]]:
    """N×L×E shapes to run the region on: the file's, where it fixes N and L; else 2×L×E for L = 4, 3, 5, …, 32, 2
    (the TorchScript exporter bakes the export's length into Reshapes even where it calls L free). Never L = 1:
    one key makes every softmax 1, so any number of heads would match."""
    info = next((v for v in [*g.imp.graph.input, *g.imp.graph.value_info] if v.name == x), None)
    dims = [d.dim_value for d in info.type.tensor_type.shape.dim] if info is not None else []
    if len(dims) == 3 and dims[0] and dims[1]:
        return [(dims[0], dims[1], e)] if dims[1] > 1 else []
    n = dims[0] if len(dims) == 3 and dims[0] else 2
    return [(n, length, e) for length in (4, 3, *range(5, 33), 2)]


def run_region(g: NodeGraph, region: list[int], x: str, y: str, e: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(probe input, the region's output) for the first probe shape the region runs on; None if none."""
    rng = np.random.default_rng(0)
    try:
        run = evaluator(g, region, x, y, e).run
    except Exception:  # an operator onnx's reference evaluator lacks: not fused (the walk says what stops it)
        return None
    for shape in probe_shapes(g, x, e):
        probe = rng.standard_normal(shape).astype(np.float32)
        try:
            return probe, np.asarray(run(None, {x: probe})[0], np.float64)
        except Exception:  # a shape the region does not take (a length baked into its Reshapes)
            continue
    return None


def matching_heads(g: NodeGraph, region: list[int], x: str, y: str, w: list[np.ndarray],
                   masks: tuple[bool, ...] = (False,)) -> tuple[int, bool] | None:
    """(heads, causal) for which attention with projections `w` equals the region's output on a random input; None
    when the region does not run; an error naming the region's last node when it runs but matches none."""
    ran = run_region(g, region, x, y, w[0].shape[0])
    if ran is None:
        return None
    probe, got = ran
    dk, dv = w[0].shape[1], w[4].shape[1]
    for heads in (h for h in range(1, dk + 1) if dk % h == 0 and dv % h == 0):
        for causal in masks:
            want = attention(probe.astype(np.float64), w, heads, causal)
            if got.shape == want.shape and np.allclose(got, want, rtol=1e-4,
                                                       atol=1e-5 * max(1.0, np.abs(want).max())):
                return heads, causal
    g.imp.onnx_node = g.nodes[region[-1]]
    raise g.imp.fail("the nodes from the query/key/value projections to the output projection do not compute "
                     "plain multi-head self-attention for any number of heads (an attention mask or another "
                     "change): it has no selfAttentionLayer form")
