"""ONNX's GroupNormalization read back as groupNormalizationLayer, and the form written before it existed.

GroupNormalization holds one scale and bias per group at opsets 18–20 and one per channel from opset 21 (the
operator's meaning changed; `@handler(..., since=21)`). Before opset 21 PyTorch (both exporters) and layergraph
write group normalization as Reshape of N×C×… to N×G×(rest), InstanceNormalization with unit scale and zero bias,
Reshape back to the input's shape, then Mul and Add of per-channel constants. `fuse_group_norm` replaces each
such region, before the walk, by one node `GroupNormChannels` (the importer's own, not an ONNX operator) whose
handler checks the shapes against the input and makes the layer.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.node_graph import NodeGraph, fuse_regions
from layergraph.interop.onnx_import.ops_1d import sequence
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import f32, name_hint
from layergraph.layers.norm import GroupNormalizationLayer

FUSED = "GroupNormChannels"  # the importer's own node: x, scale, bias, shape back ("" where absent)


def _add_layer(imp: Importer, node: Any, scale: np.ndarray | None, bias: np.ndarray | None,
               per_group: bool) -> None:
    """groupNormalizationLayer(num_groups) on the node's input; `scale`/`bias` per group or per channel (None:
    ones and zeros)."""
    # the fused node takes the defaults of the operators it stands for (GroupNormalization has none before 18)
    a = {**imp.defaults("InstanceNormalization"), **imp.defaults("GroupNormalization"), **imp.attrs(node)}
    groups = int(a["num_groups"])
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    src = sequence(imp, v) if len(shape) == 2 else imp.image(v)
    c = imp.nodes[src].act.channels
    if groups < 1 or c % groups:
        raise imp.fail(f"{c} channels do not divide into num_groups = {groups} groups")
    want = groups if per_group else c
    params = {}
    for key, x, empty in (("Scale", scale, np.ones), ("Offset", bias, np.zeros)):
        x = empty(want) if x is None else np.asarray(x, np.float32).reshape(-1)
        if x.size != want:
            raise imp.fail(f"{key.lower()} must have one value per {'group' if per_group else 'channel'} ({want}), "
                           f"not {x.size}")
        params[key] = np.repeat(x, c // groups) if per_group else x
    layer = imp.make(GroupNormalizationLayer, groups, Epsilon=f32(a["epsilon"]))
    hint = name_hint(node.name)
    imp.set(node.output[0], imp.out_val(imp.add(layer, [src], hint, params), shape, hint))


@handler("GroupNormalization", since=18)
def group_normalization_18(imp: Importer, node: Any) -> None:
    """GroupNormalization at opsets 18–20: scale and bias hold one value per group (each spread over its
    channels: groupNormalizationLayer's Scale and Offset are per channel)."""
    _add_layer(imp, node, imp.const(node.input[1], "scale"), imp.const(node.input[2], "bias"), per_group=True)


@handler("GroupNormalization", since=21)
def group_normalization(imp: Importer, node: Any) -> None:
    """GroupNormalization from opset 21: scale and bias one value per channel. stash_type only sets the precision
    of the statistics; layergraph computes them in float32 (stash_type 1, the default)."""
    _add_layer(imp, node, imp.const(node.input[1], "scale"), imp.const(node.input[2], "bias"), per_group=False)


@handler(FUSED)
def group_norm_channels(imp: Importer, node: Any) -> None:
    """The fused pre-opset-21 region (`fuse_group_norm`): the Reshape back must restore the input's shape, and the
    Mul/Add constants must be one value per channel."""
    x, scale, bias, back = node.input
    v = imp.val(x)
    shape = imp.shape(v)
    if back:
        target = [int(d) for d in imp.const(back, "shape")]
        if len(target) != len(shape) + 1 or target[0] < 0 or target[1:] != list(shape):
            raise imp.fail(f"the Reshape after InstanceNormalization gives {target}, not the input's shape "
                           f"[N, {', '.join(map(str, shape))}]: not group normalization")
    per = {}
    for key, name in (("scale", scale), ("bias", bias)):
        per[key] = _channels(imp.const(name, key), shape) if name else None
        if name and per[key] is None:
            raise imp.fail(f"the {'Mul' if key == 'scale' else 'Add'} after group normalization is not one "
                           "constant per channel")
    _add_layer(imp, node, per["scale"], per["bias"], per_group=False)


def _channels(c: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """The per-channel values of constant `c` broadcast over one N×C×… sample of per-sample `shape`, or None
    when it varies over the positions or the batch."""
    c = np.asarray(c, np.float32)
    if c.ndim > len(shape):
        if c.ndim > len(shape) + 1 or c.shape[0] != 1:
            return None
        c = c[0]
    try:
        flat = np.broadcast_to(c, shape).reshape(shape[0], -1)
    except ValueError:
        return None
    return flat[:, 0].copy() if np.all(flat == flat[:, :1]) else None


def _grouping(g: NodeGraph, at: int) -> tuple[int, int] | None:
    """(the first Reshape's position, G) when the InstanceNormalization at `at` normalizes the input reshaped to
    N×G×(rest) ([0 or the fixed batch, G, -1]) with unit scale and zero bias, else None."""
    node = g.nodes[at]
    r1 = g.made_by(node.input[0], "Reshape")
    scale, bias = (g.const(x) for x in node.input[1:3])
    if r1 is None or scale is None or bias is None or scale.shape != bias.shape or scale.ndim != 1:
        return None
    target = g.const(g.nodes[r1].input[1])
    groups = scale.size
    if any(a.name == "allowzero" and a.i for a in g.nodes[r1].attribute):  # 0 would be a size, not "copy"
        return None
    if target is None or [int(d) for d in target.reshape(-1)[1:]] != [groups, -1] or target.reshape(-1)[0] < 0:
        return None
    return (r1, groups) if np.all(scale == 1) and np.all(bias == 0) else None


def _affine(g: NodeGraph, y: str, op: str) -> tuple[str, str, list[int]]:
    """(output, constant, nodes) of a Mul/Add (`op`) of `y` by a constant as its only reader; (y, "", [])
    when there is none."""
    i = g.only_reader(y, op)
    if i is None:
        return y, "", []
    other = [x for x in g.nodes[i].input if x != y]
    if len(other) != 1 or g.const(other[0]) is None:
        return y, "", []
    return g.nodes[i].output[0], other[0], [i]


def _match(g: NodeGraph, at: int) -> tuple[Any, list[int]] | None:
    """(the fused node, the region's node positions) for the InstanceNormalization at `at`, or None."""
    found = _grouping(g, at)
    r2 = g.only_reader(g.nodes[at].output[0], "Reshape")
    if found is None or r2 is None:
        return None
    r1, groups = found
    x, back = g.nodes[r1].input[0], g.nodes[r2].input[1]
    region = [r1, at, r2]
    shape_node = g.made_by(back, "Shape")
    if shape_node is not None and g.nodes[shape_node].input[0] == x and not g.nodes[shape_node].attribute:
        region.append(shape_node)
        back = ""  # Shape of the input itself: the same shape by construction
    elif g.const(back) is None:
        return None
    y, scale, mul = _affine(g, g.nodes[r2].output[0], "Mul")
    y, bias, add = _affine(g, y, "Add")
    region += mul + add
    import onnx

    eps = next((a for a in g.nodes[at].attribute if a.name == "epsilon"), None)
    fused = onnx.helper.make_node(FUSED, [x, scale, bias, back], [y], name=g.nodes[max(region)].name,
                                  num_groups=groups)
    if eps is not None:
        fused.attribute.append(eps)
    return fused, region


def fuse_group_norm(imp: Importer, nodes: list[Any]) -> list[Any]:
    """`nodes` with each pre-opset-21 group normalization region as one GroupNormChannels node, at the place of
    the region's last node."""
    return fuse_regions(imp, nodes, ("InstanceNormalization",), _match)
