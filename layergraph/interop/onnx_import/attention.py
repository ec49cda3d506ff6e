"""ONNX's Attention operator (opset 23) read back as selfAttentionLayer.

An Attention node alone has no layergraph layer: its query, key and value are activations. It is a
selfAttentionLayer when one value is projected to all three by MatMul with a constant and Add of a constant,
and the node's output is projected once more: the pattern exportONNXNetwork writes (interop/onnx_sequence.py),
with the positions as a sequence (N×C×T or N×C×S: a Transpose to N×L×C) or the H·W positions of an image
(Transpose of H and W, Reshape, Transpose). Before the walk, `fuse_attention` replaces each such region by one
node `SelfAttention` (not an ONNX operator: it exists only inside the importer) holding the projections as
its inputs; its handler makes the layer.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.attention_check import matching_heads, region_between
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.node_graph import NodeGraph, fuse_regions
from layergraph.interop.onnx_import.ops_1d import sequence
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import Val, name_hint
from layergraph.layers.attention import SelfAttentionLayer

FUSED = "SelfAttention"  # the importer's own node type for a matched region


def _projection(g: NodeGraph, value: str) -> tuple[str, str, str, list[int]] | None:
    """(input, weightᵀ, bias, nodes) when `value` = Add(MatMul(input, constant), constant)."""
    add = g.made_by(value, "Add")
    if add is None:
        return None
    a, b = g.nodes[add].input
    mm, bias = (g.maker.get(a), b) if b in g.consts else (g.maker.get(b), a)
    if bias not in g.consts or mm is None or g.nodes[mm].op_type != "MatMul":
        return None
    x, w = g.nodes[mm].input
    if w not in g.consts or g.consts[w].ndim != 2 or len(g.readers.get(g.nodes[mm].output[0], [])) != 1:
        return None
    return x, w, bias, [mm, add]


def _positions_in(g: NodeGraph, t: str) -> tuple[str, list[int]] | None:
    """(the layer input, nodes) when `t` is N×L×C made from it as exportONNXNetwork does: Transpose [0 2 1] of
    an N×C×T sequence, or of an image's positions (Transpose [0 1 3 2] and Reshape [0 0 -1] before it)."""
    i = g.maker.get(t)
    if i is None or g.nodes[i].op_type != "Transpose" or g.perm(i) != [0, 2, 1]:
        return None
    x = g.nodes[i].input[0]
    r = g.made_by(x, "Reshape")
    if r is not None and g.perm(g.made_by(g.nodes[r].input[0], "Transpose")) == [0, 1, 3, 2]:
        j = g.maker[g.nodes[r].input[0]]
        return g.nodes[j].input[0], [j, r, i]
    return x, [i]


def _positions_out(g: NodeGraph, y: str) -> tuple[str, list[int]] | None:
    """(the layer output, nodes) from N×L×C′ `y` back to the input's layout (the reverse of `_positions_in`)."""
    i = g.only_reader(y, "Transpose")
    if i is None or g.perm(i) != [0, 2, 1]:
        return None
    out = g.nodes[i].output[0]
    r = g.only_reader(out, "Reshape")
    j = g.only_reader(g.nodes[r].output[0], "Transpose") if r is not None else None
    if j is not None and g.perm(j) == [0, 1, 3, 2]:
        return g.nodes[j].output[0], [i, r, j]
    return out, [i]


def _match(g: NodeGraph, at: int) -> tuple[Any, list[int]] | None:
    """(the fused node, the region's node positions) for the Attention node at `at`, or None."""
    node = g.nodes[at]
    if len(node.input) < 3 or len([o for o in node.output if o and g.readers.get(o)]) != 1:
        return None
    if len(node.input) > 3 and node.input[3] and node.input[3] not in g.consts:
        return None  # a computed mask (padding): not this pattern
    proj = [_projection(g, v) for v in node.input[:3]]
    out = _projection_out(g, node.output[0])
    if any(p is None for p in proj) or out is None or len({p[0] for p in proj}) != 1:
        return None
    start = _positions_in(g, proj[0][0])
    end = _positions_out(g, out[0])
    if start is None or end is None or len(g.readers.get(proj[0][0], [])) != 3:
        return None
    region = [*start[1], *(i for p in proj for i in p[3]), at, *out[3], *end[1]]
    weights = [x for p in (*proj, out) for x in p[1:3]]
    mask = [node.input[3]] if len(node.input) > 3 and node.input[3] else []
    fused = _fused_node(node, [start[0], *weights, *mask], end[0], g.nodes[region[-1]].name)
    return fused, region


def _projection_out(g: NodeGraph, value: str) -> tuple[str, str, str, list[int]] | None:
    """(output, weightᵀ, bias, nodes) when the only reader of `value` is MatMul by a constant, then Add of one."""
    mm = g.only_reader(value, "MatMul")
    if mm is None or g.nodes[mm].input[1] not in g.consts:
        return None
    add = g.only_reader(g.nodes[mm].output[0], "Add")
    if add is None:
        return None
    bias = next((x for x in g.nodes[add].input if x != g.nodes[mm].output[0]), "")
    if bias not in g.consts:
        return None
    return g.nodes[add].output[0], g.nodes[mm].input[1], bias, [mm, add]


def _fused_node(attention: Any, inputs: list[str], output: str, name: str) -> Any:
    """One SelfAttention node: x, Wqᵀ, bq, Wkᵀ, bk, Wvᵀ, bv, Woᵀ, bo (and the constant mask) in, the Attention
    node's attributes kept."""
    import onnx

    fused = onnx.helper.make_node(FUSED, inputs, [output], name=name)
    fused.attribute.extend(attention.attribute)
    return fused


def _projections_above(g: NodeGraph, at: int) -> dict[str, tuple[str, str, int]]:
    """The three projections of one value within reach above node `at` (MatMul by a 2-D constant whose one reader
    is an Add of a constant), as {the Add's output: (weightᵀ, bias, MatMul position)}; {} when there are not."""
    found: dict[str, dict[str, tuple[str, str, int]]] = {}
    for i in g.near(at, up=True, steps=8):
        node = g.nodes[i]
        if node.op_type != "MatMul" or node.input[1] not in g.consts or g.consts[node.input[1]].ndim != 2:
            continue
        add = g.only_reader(node.output[0], "Add")
        bias = next((x for x in g.nodes[add].input if x != node.output[0]), "") if add is not None else ""
        if bias in g.consts:
            found.setdefault(node.input[0], {})[g.nodes[add].output[0]] = (node.input[1], bias, i)
    return next((p for p in found.values() if len(p) == 3), {})


def _role(g: NodeGraph, value: str, projections: dict[str, tuple[str, str, int]]) -> tuple[str, str, int] | None:
    """The one projection among the ancestors of `value` (within a few nodes)."""
    i = g.maker.get(value)
    if i is None:
        return None
    above = {o for j in [*g.near(i, up=True, steps=6), i] for o in g.nodes[j].output}
    hits = [p for out, p in projections.items() if out in above]
    return hits[0] if len(hits) == 1 else None


def _match_softmax(g: NodeGraph, at: int) -> tuple[Any, list[int]] | None:
    """(the fused node, the region) for the Softmax at `at` when it is the middle of exportONNXNetwork's attention
    pattern before opset 23 (three projections of one value, heads by Reshape/Transpose, MatMul, Softmax, MatMul,
    the output projection), checked by its numbers (attention_check.py); else None."""
    m2 = g.only_reader(g.nodes[at].output[0], "MatMul")  # the attention weights times the values
    m1 = next((i for i in g.near(at, up=True, steps=3) if g.nodes[i].op_type == "MatMul"), None)
    projections = _projections_above(g, m2) if m2 is not None else {}
    if not projections or m1 is None:
        return None
    roles = [_role(g, g.nodes[m1].input[0], projections), _role(g, g.nodes[m1].input[1], projections),
             _role(g, g.nodes[m2].input[1], projections)]
    out = next((_projection_out(g, g.nodes[i].input[0]) for i in g.near(m2, up=False, steps=4)
                if g.nodes[i].op_type == "MatMul" and g.nodes[i].input[1] in g.consts), None)
    if any(r is None for r in roles) or len({r[2] for r in roles}) != 3 or out is None:
        return None
    t = g.nodes[roles[0][2]].input[0]
    start, end = _positions_in(g, t), _positions_out(g, out[0])
    region = region_between(g, t, g.maker[out[0]])
    if start is None or end is None or region is None or any(r[2] not in region for r in roles):
        return None
    names = [x for r in (*roles, out[1:3]) for x in r[:2]]
    w = [np.asarray(g.consts[x], np.float64) for x in names]
    found = matching_heads(g, region, t, out[0], w, masks=(False, True))
    if found is None:
        return None
    import onnx

    fused = onnx.helper.make_node(FUSED, [start[0], *names], [end[0]], name=g.nodes[end[1][-1]].name,
                                  q_num_heads=found[0], kv_num_heads=found[0], is_causal=int(found[1]))
    return fused, sorted({*start[1], *region, *end[1]})


def fuse_attention(imp: Importer, nodes: list[Any]) -> list[Any]:
    """`nodes` with each region of exportONNXNetwork's self-attention pattern (the Attention operator from opset
    23, the MatMul/Softmax pattern before it) as one SelfAttention node, at the place of the region's last node."""
    return fuse_regions(imp, nodes, ("Attention", "Softmax"), _match_any)


def _match_any(g: NodeGraph, at: int) -> tuple[Any, list[int]] | None:
    node = g.nodes[at]
    if node.domain not in ("", "ai.onnx"):
        return None
    return _match(g, at) if node.op_type == "Attention" else _match_softmax(g, at)


def _mask(imp: Importer, node: Any, a: dict[str, Any]) -> Any:
    """The layer's AttentionMask: 'causal', a constant numKeys×numQueries matrix (ONNX's Lq×Lk transposed),
    or 'none'."""
    if len(node.input) > 9:
        if a["is_causal"]:
            raise imp.fail("a causal Attention with a mask as well has no selfAttentionLayer form")
        allowed = np.asarray(imp.const(node.input[9], "attn_mask"))
        if allowed.dtype != np.bool_ or allowed.ndim != 2:
            raise imp.fail("only a boolean Lq×Lk attn_mask is a selfAttentionLayer AttentionMask")
        return [[int(v) for v in row] for row in allowed.T]
    return "causal" if a["is_causal"] else "none"


@handler(FUSED)
def self_attention(imp: Importer, node: Any) -> None:
    """The fused region (`fuse_attention`): selfAttentionLayer with the projections' weights (ONNX's x·Wᵀ + b
    holds Wᵀ: torch's layout is W)."""
    a = {**imp.defaults("Attention"), **imp.attrs(node)}  # the importer's own node: Attention's defaults
    wq, bq, wk, bk, wv, bv, wo, bo = (np.asarray(imp.const(n, "projection"), np.float32) for n in node.input[1:9])
    heads = a.get("q_num_heads")  # no default in the schema: required for 3-D inputs
    if not heads or a.get("kv_num_heads") != heads or a.get("softcap") or a.get("qk_matmul_output_mode"):
        raise imp.fail("only Attention with q_num_heads = kv_num_heads, no softcap and the attention output alone "
                       "is a selfAttentionLayer")
    dk, dv, out = wq.shape[1], wv.shape[1], wo.shape[1]
    if dk % heads or dv % heads or wk.shape[1] != dk:
        raise imp.fail(f"key/value channels ({dk}, {dv}) do not split into {heads} heads")
    if "scale" in a and not math.isclose(a["scale"], 1 / math.sqrt(dk / heads), rel_tol=1e-6):
        raise imp.fail(f"scale {a['scale']:g} is not 1/√(key channels per head): selfAttentionLayer has no scale")
    v = imp.val(node.input[0])
    src = imp.image(v) if len(imp.shape(v)) == 3 else sequence(imp, v)
    c = imp.nodes[src].act.channels
    layer = imp.make(SelfAttentionLayer, heads, int(dk), NumValueChannels="auto" if dv == dk else int(dv),
                     OutputSize="auto" if out == c else int(out), AttentionMask=_mask(imp, node, a))
    params = {"QueryWeights": wq.T, "KeyWeights": wk.T, "ValueWeights": wv.T, "OutputWeights": wo.T,
              "QueryBias": bq, "KeyBias": bk, "ValueBias": bv, "OutputBias": bo}
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint, params), None, hint))


@handler("Attention", since=23)
def attention(imp: Importer, node: Any) -> None:
    """An Attention node outside the self-attention pattern: a one-line error saying what does import."""
    raise imp.fail("an Attention node imports only as selfAttentionLayer: one input projected to query, key and "
                   "value (MatMul and Add of constants), the output projected back, no padding mask (the pattern "
                   "exportONNXNetwork writes)")
