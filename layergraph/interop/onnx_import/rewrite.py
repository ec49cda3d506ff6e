"""After the walk over the ONNX nodes: merge helper layers, order and name the layers, build the LayerGraph."""
from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from layergraph.graph.layergraph import LayerGraph
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.values import LayerNode, f32
from layergraph.layers.base import Layer
from layergraph.layers.dense import FullyConnectedLayer, ProjectAndReshapeLayer
from layergraph.layers.reshape import FlattenLayer, FunctionLayer
from layergraph.names import unique_name


def merge_dense_reshapes(nodes: list[LayerNode], out_degree: Counter[int]) -> set[int]:
    """(flatten →) FC → feature2image from one exported layer (same name hint) back into that one layer,
    projectAndReshapeLayer. Returns removed node ids."""
    removed: set[int] = set()
    for r in nodes:
        if not isinstance(r.layer, FunctionLayer) or r.layer.PredictFcn != "feature2image":
            continue
        fid = r.inputs[0]
        f = nodes[fid]
        if not isinstance(f.layer, FullyConnectedLayer) or out_degree[fid] != 1 or not _same_origin(f.hint, r.hint):
            continue
        src = f.inputs[0]
        flat = (isinstance(nodes[src].layer, FlattenLayer) and out_degree[src] == 1
                and _same_origin(nodes[src].hint, f.hint))
        h, w, c = r.layer.Arguments[0]
        if flat:
            removed.add(src)
            src = nodes[src].inputs[0]
        layer: Layer = ProjectAndReshapeLayer.create([int(h), int(w), int(c)])
        r.layer, r.inputs, r.params = layer, [src], f.params
        r.act = layer.output_size([nodes[src].act])
        r.hint = min(f.hint, r.hint) if r.hint and f.hint else f.hint
        removed.add(fid)
    return removed


def _same_origin(a: tuple[int, str] | None, b: tuple[int, str] | None) -> bool:
    return a is not None and b is not None and a[1] == b[1]


def chain_order(nodes: list[LayerNode], keep: list[int]) -> list[int]:
    """A topological order that follows chains, as MATLAB layer arrays are written: after each layer comes
    its first consumer when that one is ready, else the earliest-made ready layer (inputs, in ONNX order,
    are made first). Specs then need `inputs:` only where branches join."""
    rank = {nid: i for i, nid in enumerate(keep)}
    succ: dict[int, list[int]] = {nid: [] for nid in keep}
    missing = {nid: len(set(nodes[nid].inputs)) for nid in keep}
    for nid in keep:
        for src in dict.fromkeys(nodes[nid].inputs):
            succ[src].append(nid)
    done: set[int] = set()
    order: list[int] = []
    last: int | None = None
    while len(order) < len(keep):
        ready = [n for n in (succ[last] if last is not None else []) if not missing[n] and n not in done]
        nxt = min(ready, key=rank.__getitem__) if ready else min(
            (n for n in keep if not missing[n] and n not in done), key=rank.__getitem__)
        order.append(nxt)
        done.add(nxt)
        for n in succ[nxt]:
            missing[n] -= 1
        last = nxt
    return order


def layer_names(nodes: list[LayerNode], keep: list[int]) -> dict[int, str]:
    """Unique layer names: graph outputs first, then node names, then scopes; the rest MATLAB's defaults."""
    taken: set[str] = set()
    hinted = sorted((i for i in keep if nodes[i].hint), key=lambda i: (nodes[i].hint[0], i))
    return {nid: unique_name(nodes[nid].hint[1], taken) for nid in hinted}


def build(imp: Importer) -> tuple[LayerGraph, dict[str, torch.Tensor]]:
    """The LayerGraph of the imported layers and their weights keyed 'layer/Parameter' (torch layout)."""
    nodes = imp.nodes
    removed = merge_dense_reshapes(nodes, imp.out_degree)
    keep = chain_order(nodes, [i for i in range(len(nodes)) if i not in removed])
    names = layer_names(nodes, keep)
    layers = []
    for nid in keep:
        node = nodes[nid]
        layer = node.layer if node.norm is None else normalized(node.layer, *node.norm)
        layers.append(layer.model_copy(update={"Name": names.get(nid, "")}))
    lg = LayerGraph()
    final = dict(zip(keep, lg._add(layers, chain=False)))
    tensors: dict[str, torch.Tensor] = {}
    for nid in keep:
        node = nodes[nid]
        for port, src in zip(node.layer.input_names, node.inputs):
            lg._connect(final[src], f"{final[nid]}/{port}")
        ins = [nodes[src].act for src in node.inputs]
        # the layer's learnables and states, in the order the compiled network lists them
        for pname in [*node.layer.learnables(ins), *node.layer.states(ins)]:
            tensors[f"{final[nid]}/{pname}"] = torch.from_numpy(np.array(node.params[pname], np.float32))
    return lg, tensors


def normalized(layer: Layer, shift: np.ndarray, scale: np.ndarray) -> Layer:
    """The input layer with MATLAB normalization equal to (x − shift)·scale."""
    def vec(a: np.ndarray) -> float | list[float]:
        values = [f32(x) for x in a]  # the model's constants are float32: 1.5, not 1.4999999552965178
        return values[0] if len(set(values)) == 1 else values

    if np.all(scale == 1):
        return layer.model_copy(update={"Normalization": "zerocenter", "Mean": vec(shift)})
    return layer.model_copy(update={"Normalization": "zscore", "Mean": vec(shift), "StandardDeviation": vec(1 / scale)})
