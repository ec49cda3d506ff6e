"""PyTorch's `nn.MultiheadAttention(E, h, batch_first=True)` called as self-attention (query = key = value),
as torch.onnx writes it, read back as selfAttentionLayer.

Both exporters write the same skeleton around a different middle: Transpose of the N×L×E input to L×N×E, the
packed input projection (MatMul by the E×3E constant, Add of the 3E bias), a split into query, key and value and
into heads (Shape arithmetic, Gather, Reshape, Transpose: the TorchScript exporter's differs from dynamo's),
MatMul → Softmax → MatMul (or ONNX's Attention at opset 23), the output projection (Gemm) and Transpose back to
N×L×E. `fuse_torch_attention` finds the two projections around a Softmax or Attention node, takes every node
between the input and the output as the region, and fuses it into one `SelfAttentionNTC` node (the importer's
own) only when the region, evaluated by onnx's reference evaluator, equals multi-head attention with those
weights for some number of heads (with or without a causal mask) on a random input (attention_check.py): the
middle is checked by its numbers, not by its shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.interop.onnx_import.attention_check import matching_heads, region_between
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.node_graph import NodeGraph, fuse_regions
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.sequences import NTC_ATTENTION
from layergraph.interop.onnx_import.values import Seq, name_hint
from layergraph.layers.attention import SelfAttentionLayer

FUSED = NTC_ATTENTION  # x (N×L×E), Wq, bq, Wk, bk, Wv, bv, Wo, bo (MATLAB's sizes); attribute num_heads


def _in_projection(g: NodeGraph, at: int) -> tuple[int, str, np.ndarray, np.ndarray] | None:
    """(MatMul position, the layer input, W (3E×E, torch's layout), b) of the packed input projection above
    node `at`: Transpose [1 0 2] of x, MatMul by an E×3E constant, Add of a 3E constant (zeros when absent)."""
    def packed(i: int) -> bool:
        w = g.consts.get(g.nodes[i].input[1]) if g.nodes[i].op_type == "MatMul" else None
        return w is not None and w.ndim == 2 and w.shape[1] == 3 * w.shape[0]

    # the nearest (an earlier attention layer's further up is not it)
    found = next(([i for i in level if packed(i)] for level in g.levels(at, up=True) if any(map(packed, level))), [])
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


def _out_linear(g: NodeGraph, at: int) -> tuple[str, np.ndarray, np.ndarray] | None:
    """(output, W (E′×E, torch's layout), b) of the nearest linear layer below node `at`: Gemm by a constant (with
    its bias), or MatMul by one (x·Wᵀ; PyTorch's F.linear without bias) and an optional Add of a constant."""
    def linear(i: int) -> bool:
        n = g.nodes[i]
        return n.op_type in ("Gemm", "MatMul") and n.input[1] in g.consts and g.consts[n.input[1]].ndim == 2

    found = next(([i for i in level if linear(i)] for level in g.levels(at, up=False) if any(map(linear, level))),
                 [])
    if len(found) != 1:  # the nearest (a feed-forward layer further on is not it)
        return None
    node = g.nodes[found[0]]
    w = np.asarray(g.consts[node.input[1]], np.float64)
    if node.op_type == "MatMul":
        add = g.only_reader(node.output[0], "Add")
        bias = next((g.consts.get(x) for x in g.nodes[add].input if x != node.output[0]), None) if add else None
        out = g.nodes[add].output[0] if bias is not None else node.output[0]
        return out, w.T, np.zeros(w.shape[1]) if bias is None else bias
    attrs = g.imp.attrs(node)
    bias = g.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0])
    if attrs.get("transA") or bias is None:
        return None
    return node.output[0], w if attrs.get("transB") else w.T, bias


def _out_projection(g: NodeGraph, at: int, e: int) -> tuple[int, np.ndarray, np.ndarray] | None:
    """(the last node's position, W (E′×E), b) of the output projection below node `at` (`_out_linear`), then
    Reshape/Transpose up to a Transpose [1 0 2] back to N×L×E′."""
    found = _out_linear(g, at)
    if found is None or found[1].shape[1] != e:
        return None
    cur, w, bias = found
    for _ in range(4):
        r = [i for i in g.readers.get(cur, []) if g.nodes[i].op_type != "Shape"]  # Shapes: in the region
        if len(r) != 1 or g.nodes[r[0]].op_type not in ("Reshape", "Transpose"):
            return None
        cur = g.nodes[r[0]].output[0]
        if g.nodes[r[0]].op_type == "Transpose":
            return (r[0], w, np.broadcast_to(bias, (w.shape[0],)).copy()) if g.perm(r[0]) == [1, 0, 2] else None
    return None


def _match(g: NodeGraph, at: int) -> tuple[Any, list[int]] | None:
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
    region = region_between(g, x, last)
    if region is None or first not in region:
        return None
    y = g.nodes[last].output[0]
    torch_form = [w_in[:e], b_in[:e], w_in[e:2 * e], b_in[e:2 * e], w_in[2 * e:], b_in[2 * e:], w_out, b_out]
    onnx_form = [np.asarray(m.T if m.ndim == 2 else m, np.float64) for m in torch_form]  # x·W + b
    found = matching_heads(g, region, x, y, onnx_form, masks=(False, True))
    if found is None:
        return None
    name = g.nodes[last].name or y
    keys = [f"{name}/{k}" for k in ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")]
    g.imp.consts.update({k: np.asarray(p, np.float32) for k, p in zip(keys, torch_form)})
    fused = g.imp.onnx.helper.make_node(FUSED, [x, *keys], [y], name=name, num_heads=found[0],
                                        is_causal=int(found[1]))
    return fused, region


def fuse_torch_attention(imp: Importer, nodes: list[Any]) -> list[Any]:
    """`nodes` with each region of PyTorch's batch-first multi-head self-attention as one SelfAttentionNTC node,
    at the place of the region's last node."""
    return fuse_regions(imp, nodes, ("Softmax", "Attention"), _match)


@handler(FUSED)
def self_attention_ntc(imp: Importer, node: Any) -> None:
    """The fused region: selfAttentionLayer on the N×L×E sequence (a sequenceInputLayer's, "CBT"), weights in
    MATLAB's sizes (QueryWeights NumKeyChannels×C, as torch's in_proj rows)."""
    s = imp.vals.get(node.input[0])
    if not isinstance(s, Seq) or s.normal() != ("N", "T", "C"):
        raise imp.fail("PyTorch's multi-head attention is imported on a batch-first N×L×E sequence input only")
    wq, bq, wk, bk, wv, bv, wo, bo = (np.asarray(imp.const(n, "projection"), np.float32) for n in node.input[1:])
    a = imp.attrs(node)
    c = imp.nodes[s.base].act.channels
    layer = imp.make(SelfAttentionLayer, int(a["num_heads"]), int(wq.shape[0]),
                     OutputSize="auto" if wo.shape[0] == c else int(wo.shape[0]),
                     AttentionMask="causal" if a["is_causal"] else "none")
    params = {"QueryWeights": wq, "KeyWeights": wk, "ValueWeights": wv, "OutputWeights": wo,
              "QueryBias": bq, "KeyBias": bk, "ValueBias": bv, "OutputBias": bo}
    hint = name_hint(node.name)
    imp.set(node.output[0], Seq(imp.add(layer, [s.base], hint, params), ("N", "T", "C"), hint, static=s.static))
