"""ONNX emitters of the attention and position layers: attention as ONNX's Attention operator from opset 23,
before it as the operator pattern exporters write (MatMul, Softmax, Transpose, Reshape, Where for masks);
position layers as Slice/Range and Sin/Cos.

exportONNXNetwork (interop/onnx_export.py) adds this module's EMITTERS to its table. The importer reads ONNX's
Attention operator back as selfAttentionLayer (onnx_import/attention.py); the opset < 23 pattern's MatMul of two
activations has no single layergraph layer (docs/layers.md says so for each layer).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from layergraph.interop.onnx_builder import Emit, EmitContext, ONNXExportError
from layergraph.layers.attention import AttentionLayer, Indexing1DLayer, SelfAttentionLayer
from layergraph.layers.position import PositionEmbeddingLayer, SinusoidalPositionEncodingLayer, frequencies
from layergraph.sizes import Act

NEG_INF = np.float32(-np.inf)


def _to_sequence(g: Any, name: str, x: str, act: Act, role: str) -> str:
    """B×C×T, B×C×S or B×C×H×W (positions column-major, as MATLAB's reshape) → B×L×C."""
    if act.fmt == "SSC":
        x = g.node("Transpose", [x], f"{name}/{role}_wh", name=f"{name}/{role}_transpose_hw", perm=[0, 1, 3, 2])
        x = g.node("Reshape", [x, g.ints(f"{name}/{role}_flat_shape", [0, 0, -1])], f"{name}/{role}_flat",
                   name=f"{name}/{role}_flatten")
    return g.node("Transpose", [x], f"{name}/{role}_seq", name=f"{name}/{role}_to_sequence", perm=[0, 2, 1])


def _from_sequence(g: Any, name: str, y: str, act: Act, channels: int) -> str:
    """B×L×C′ back to the layout of `act` with C′ channels; the last node carries the layer's name."""
    if act.fmt != "SSC":
        return g.node("Transpose", [y], name, name=name, perm=[0, 2, 1])
    h, w = act.spatial
    y = g.node("Transpose", [y], f"{name}/bcl", name=f"{name}/from_sequence", perm=[0, 2, 1])
    y = g.node("Reshape", [y, g.ints(f"{name}/image_shape", [0, channels, w, h])], f"{name}/bcwh",
               name=f"{name}/unflatten")
    return g.node("Transpose", [y], name, name=name, perm=[0, 1, 3, 2])


def _project(g: Any, name: str, x: str, m: nn.Module, which: str) -> str:
    w = g.const(f"{name}/{which}WeightsT", getattr(m, f"{which}Weights").detach().t())
    y = g.node("MatMul", [x, w], f"{name}/{which.lower()}_matmul", name=f"{name}/{which.lower()}_matmul")
    return g.node("Add", [y, g.param(name, m, f"{which}Bias")], f"{name}/{which.lower()}",
                  name=f"{name}/{which.lower()}_bias")


def _heads(g: Any, name: str, x: str, heads: int, role: str, keys: bool) -> str:
    """B×L×D → B×heads×L×(D/heads) (contiguous channel groups); keys come out as B×heads×d×L."""
    x = g.node("Reshape", [x, g.ints(f"{name}/{role}_heads_shape", [0, 0, heads, -1])], f"{name}/{role}_split",
               name=f"{name}/{role}_split")
    return g.node("Transpose", [x], f"{name}/{role}_heads", name=f"{name}/{role}_heads",
                  perm=[0, 2, 3, 1] if keys else [0, 2, 1, 3])


def _attend(g: Any, layer: Any, name: str, q: str, k: str, v: str, heads: int, scale: float, pad: str | None,
            key_act: Act) -> str:
    """softmax(scale·QKᵀ) V per head with the layer's AttentionMask and padding mask: B×Lq×Dv (ONNX's Attention
    operator from opset 23, the MatMul/Softmax pattern before it)."""
    if g.opset >= 23:
        return _attention_op(g, layer, name, q, k, v, heads, scale, pad, key_act)
    qh, kh, vh = (_heads(g, name, t, heads, r, r == "k") for t, r in ((q, "q"), (k, "k"), (v, "v")))
    s = g.node("MatMul", [qh, kh], f"{name}/dots", name=f"{name}/dots")
    s = g.node("Mul", [s, g.const(f"{name}/scale", np.float32(scale))], f"{name}/scores_raw", name=f"{name}/scale")
    inf = g.const(f"{name}/neg_inf", NEG_INF)
    if isinstance(layer.AttentionMask, tuple):  # numKeys×numQueries, 1 = attend: blocked as Lq×Lk
        blocked = np.asarray(layer.AttentionMask, dtype=bool).T == 0
        s = g.node("Where", [g.const(f"{name}/blocked", blocked, np.bool_), inf, s], f"{name}/masked",
                   name=f"{name}/mask")
    elif layer.AttentionMask == "causal":
        if g.opset < 14:
            raise ONNXExportError(f"layer '{name}': a causal AttentionMask needs OpsetVersion 14 or later (Trilu); "
                        f"got {g.opset}")
        shape = g.node("Shape", [s], f"{name}/scores_shape", name=f"{name}/scores_shape")
        lq_lk = g.node("Slice", [shape, g.ints(f"{name}/two", [2]), g.ints(f"{name}/four", [4])], f"{name}/lq_lk",
                       name=f"{name}/lq_lk")
        ones = g.node("ConstantOfShape", [lq_lk], f"{name}/ones", name=f"{name}/ones",
                      value=g.onnx.numpy_helper.from_array(np.ones(1, np.float32)))
        tril = g.node("Trilu", [ones], f"{name}/tril", name=f"{name}/tril", upper=0)
        blocked = g.node("Equal", [tril, g.const(f"{name}/zero", np.float32(0))], f"{name}/future",
                         name=f"{name}/future")
        s = g.node("Where", [blocked, inf, s], f"{name}/causal", name=f"{name}/causal")
    if pad is not None:  # the mask's first channel, B×1×1×Lk; 0 = padding
        m = _to_sequence(g, name, pad, key_act, "pad")
        m = g.node("Gather", [m, g.ints(f"{name}/channel1", 0)], f"{name}/pad_keys", name=f"{name}/pad_keys", axis=2)
        m = g.node("Equal", [m, g.const(f"{name}/pad_zero", np.float32(0))], f"{name}/padding", name=f"{name}/padding")
        m = g.node("Unsqueeze", [m, g.ints(f"{name}/pad_axes", [1, 2])], f"{name}/padding4", name=f"{name}/pad_axes")
        s = g.node("Where", [m, inf, s], f"{name}/pad_masked", name=f"{name}/pad_mask")
    a = g.node("Softmax", [s], f"{name}/weights", name=f"{name}/softmax", axis=-1)
    y = g.node("MatMul", [a, vh], f"{name}/context", name=f"{name}/context")
    y = g.node("Transpose", [y], f"{name}/merged_t", name=f"{name}/merge_transpose", perm=[0, 2, 1, 3])
    return g.node("Reshape", [y, g.ints(f"{name}/merged_shape", [0, 0, -1])], f"{name}/merged", name=f"{name}/merge")


def _attention_op(g: Any, layer: Any, name: str, q: str, k: str, v: str, heads: int, scale: float, pad: str | None,
                  key_act: Act) -> str:
    """One Attention node on B×L×D inputs; its boolean attn_mask is true where a query may attend a key."""
    masks = []
    if isinstance(layer.AttentionMask, tuple):  # numKeys×numQueries → Lq×Lk
        masks.append(g.const(f"{name}/allowed", np.asarray(layer.AttentionMask, dtype=bool).T, np.bool_))
    if pad is not None:  # the mask's first channel, B×1×1×Lk
        m = _to_sequence(g, name, pad, key_act, "pad")
        m = g.node("Gather", [m, g.ints(f"{name}/channel1", 0)], f"{name}/pad_keys", name=f"{name}/pad_keys", axis=2)
        m = g.node("Not", [g.node("Equal", [m, g.const(f"{name}/pad_zero", np.float32(0))], f"{name}/padding",
                                  name=f"{name}/padding")], f"{name}/data", name=f"{name}/data")
        m = g.node("Unsqueeze", [m, g.ints(f"{name}/pad_axes", [1, 2])], f"{name}/data4", name=f"{name}/pad_axes")
        # B×1×1×Lk → B×1×Lq×Lk: onnxruntime wants the queries' axis spelled out
        q_shape = g.node("Shape", [q], f"{name}/q_shape", name=f"{name}/q_shape")
        lq = g.node("Slice", [q_shape, g.ints(f"{name}/one_s", [1]), g.ints(f"{name}/two_s", [2])], f"{name}/lq",
                    name=f"{name}/lq")
        shape = g.node("Concat", [g.ints(f"{name}/ones2", [1, 1]), lq, g.ints(f"{name}/one1", [1])],
                       f"{name}/mask_shape", name=f"{name}/mask_shape", axis=0)
        masks.append(g.node("Expand", [m, shape], f"{name}/data_q", name=f"{name}/pad_expand"))
    mask = masks[0] if len(masks) == 1 else (
        g.node("And", masks, f"{name}/allowed_all", name=f"{name}/masks") if masks else "")
    return g.node("Attention", [q, k, v, mask] if mask else [q, k, v], f"{name}/merged", name=f"{name}/attention",
                  q_num_heads=heads, kv_num_heads=heads, scale=float(scale),
                  is_causal=int(layer.AttentionMask == "causal"))


def _no_scores(layer: Any, name: str) -> None:
    if getattr(layer, "HasScoresOutput", False):
        raise ONNXExportError(f"layer '{name}': {layer.type} with HasScoresOutput has no ONNX form in layergraph "
                    "(one output per layer); export the network without the scores output")


def _self_attention(ctx: EmitContext) -> str:
    g, layer, name, xs, ins, out, m = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins, ctx.out, ctx.m
    _no_scores(layer, name)
    x = _to_sequence(g, name, xs[0], ins[0], "in")
    q, k, v = (_project(g, name, x, m, w) for w in ("Query", "Key", "Value"))
    pad = xs[1] if layer.HasPaddingMaskInput else None
    y = _attend(g, layer, name, q, k, v, layer.NumHeads, float(m.scale), pad, ins[0])
    return _from_sequence(g, name, _project(g, name, y, m, "Output"), ins[0], out.channels)


def _attention(ctx: EmitContext) -> str:
    g, layer, name, xs, ins, out = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins, ctx.out
    _no_scores(layer, name)
    q, k, v = (_to_sequence(g, name, x, a, r) for x, a, r in zip(xs, ins, ("query", "key", "value")))
    pad = xs[3] if layer.HasPaddingMaskInput else None
    y = _attend(g, layer, name, q, k, v, layer.NumHeads, layer.scale_for(ins[1]), pad, ins[1])
    return _from_sequence(g, name, y, ins[0], out.channels)


def _indexing(ctx: EmitContext) -> str:
    g, layer, name, xs = ctx.g, ctx.layer, ctx.name, ctx.xs
    if layer.HasPaddingMaskInput:
        raise ONNXExportError(f"layer '{name}': indexing1dLayer with HasPaddingMaskInput has no ONNX form in "
                              "layergraph")
    index = g.ints(f"{name}/index", -1 if layer.Index == "last" else 0)
    return g.node("Gather", [xs[0], index], name, name=name, axis=-1)


def _broadcast(g: Any, name: str, x: str, table: str) -> str:
    """1×C×L `table` repeated over the batch of `x`."""
    shape = g.node("Shape", [x], f"{name}/in_shape", name=f"{name}/in_shape")
    batch = g.node("Slice", [shape, g.ints(f"{name}/zero_i", [0]), g.ints(f"{name}/one_i", [1])], f"{name}/batch",
                   name=f"{name}/batch")
    target = g.node("Concat", [batch, g.ints(f"{name}/ones_i", [1, 1])], f"{name}/target", name=f"{name}/target",
                    axis=0)
    return g.node("Expand", [table, target], name, name=name)


def _length(g: Any, name: str, x: str) -> str:
    shape = g.node("Shape", [x], f"{name}/len_shape", name=f"{name}/len_shape")
    return g.node("Slice", [shape, g.ints(f"{name}/minus1", [-1]), g.ints(f"{name}/end", [2 ** 62])],
                  f"{name}/length", name=f"{name}/length")


def _position_embedding(ctx: EmitContext) -> str:
    g, name, xs, m = ctx.g, ctx.name, ctx.xs, ctx.m
    n = _length(g, name, xs[0])
    w = g.node("Slice", [g.param(name, m, "Weights"), g.ints(f"{name}/start", [0]), n, g.ints(f"{name}/axis",
                                                                                                [1])],
               f"{name}/columns", name=f"{name}/columns")
    w = g.node("Unsqueeze", [w, g.ints(f"{name}/batch_axis", [0])], f"{name}/table", name=f"{name}/table")
    return _broadcast(g, name, xs[0], w)


def _sinusoid(g: Any, name: str, p: str, d: int) -> str:
    """…×1 positions → …×d: interleaved sin and cos of p·ω_k."""
    angle = g.node("Mul", [p, g.const(f"{name}/frequencies", frequencies(d).float())], f"{name}/angle",
                   name=f"{name}/angle")
    pair = []
    for op in ("Sin", "Cos"):
        t = g.node(op, [angle], f"{name}/{op.lower()}", name=f"{name}/{op.lower()}")
        pair.append(g.node("Unsqueeze", [t, g.ints(f"{name}/{op.lower()}_axis", [-1])], f"{name}/{op.lower()}_u",
                           name=f"{name}/{op.lower()}_unsqueeze"))
    both = g.node("Concat", pair, f"{name}/pairs", name=f"{name}/pairs", axis=-1)
    return both


def _sinusoidal(ctx: EmitContext) -> str:
    g, layer, name, xs, ins = ctx.g, ctx.layer, ctx.name, ctx.xs, ctx.ins
    d, act = layer.OutputSize, ins[0]
    if layer.mode(act) == "data-values":  # B×1(×L): the values are the positions
        p = g.node("Transpose", [xs[0]], f"{name}/values", name=f"{name}/values",
                   perm=[0, *range(2, len(act.size) + 1), 1])
        y = g.node("Reshape", [_sinusoid(g, name, p, d), g.ints(f"{name}/shape", [0, -1, d])], f"{name}/enc",
                   name=f"{name}/reshape")
        if act.fmt == "C":
            return g.node("Reshape", [y, g.ints(f"{name}/features", [0, d])], name, name=name)
        return g.node("Transpose", [y], name, name=name, perm=[0, 2, 1])
    n = _length(g, name, xs[0])
    stop = g.node("Add", [n, g.ints(f"{name}/first", [1])], f"{name}/stop", name=f"{name}/stop")
    index = g.node("Range", [g.ints(f"{name}/start", 1), g.node("Squeeze", [stop], f"{name}/stop_s",
                                                                 name=f"{name}/stop_scalar"),
                             g.ints(f"{name}/step", 1)], f"{name}/index", name=f"{name}/range")
    p = g.node("Cast", [index], f"{name}/positions", name=f"{name}/cast", to=g.onnx.TensorProto.FLOAT)
    p = g.node("Unsqueeze", [p, g.ints(f"{name}/p_axis", [-1])], f"{name}/p_col", name=f"{name}/p_column")
    y = g.node("Reshape", [_sinusoid(g, name, p, d), g.ints(f"{name}/shape", [-1, d])], f"{name}/enc",
               name=f"{name}/reshape")
    y = g.node("Transpose", [y], f"{name}/enc_t", name=f"{name}/transpose", perm=[1, 0])
    y = g.node("Unsqueeze", [y, g.ints(f"{name}/batch_axis", [0])], f"{name}/table", name=f"{name}/table")
    return _broadcast(g, name, xs[0], y)


EMITTERS: dict[type, Emit] = {
    SelfAttentionLayer: _self_attention, AttentionLayer: _attention, Indexing1DLayer: _indexing,
    PositionEmbeddingLayer: _position_embedding, SinusoidalPositionEncodingLayer: _sinusoidal,
}
