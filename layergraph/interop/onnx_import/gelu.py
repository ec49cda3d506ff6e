"""GELU written as elementary operators (PyTorch's Div→Erf→Add→Mul→Mul, layergraph's own opset < 20 export, the
tanh form), found numerically and fused into one Gelu node before the walk."""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer

_ELEMENTARY = {"Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Tanh"}


_PROBE = np.linspace(-4.0, 4.0, 81)


_GELU = {"none": 0.5 * _PROBE * (1 + np.vectorize(math.erf)(_PROBE / math.sqrt(2))),
         "tanh": 0.5 * _PROBE * (1 + np.tanh(math.sqrt(2 / math.pi) * (_PROBE + 0.044715 * _PROBE ** 3)))}


def _evaluate(node: Any, args: list[np.ndarray]) -> np.ndarray:
    op = node.op_type
    if op == "Erf":
        return np.vectorize(math.erf)(args[0])
    if op in ("Tanh", "Sqrt"):
        return np.tanh(args[0]) if op == "Tanh" else np.sqrt(np.abs(args[0]))
    a, b = args
    return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power}[op](a, b)


def _try_gelu(consts: dict[str, np.ndarray], nodes: list[Any], at: int, root: str, readers: dict[str, list[int]],
              back: list[int], outputs: set[str]) -> Any:
    """(first..last node positions, approximation) when the element-wise nodes from `root` through the
    Erf/Tanh node at `at` compute GELU of `root` (checked numerically on −4…4), else None."""
    values: dict[str, np.ndarray] = {root: _PROBE}
    region: list[int] = []
    for i in back:  # the nodes between root and the Erf/Tanh node
        node = nodes[i]
        ins = [x for x in node.input if x]
        if node.op_type in _ELEMENTARY and any(x in values for x in ins) and all(
                x in values or (x in consts and consts[x].size == 1) for x in ins):
            values[node.output[0]] = _evaluate(node, [values.get(x, np.asarray(consts.get(x), np.float64))
                                                      for x in ins])
            region.append(i)
    if at not in region:
        return None
    cur = nodes[at].output[0]
    for _ in range(4):  # then the Add 1 and the multiplications by x and ½, in whichever order
        nxt = readers.get(cur, [])
        if len(nxt) != 1 or nodes[nxt[0]].op_type not in _ELEMENTARY:
            return None
        node = nodes[nxt[0]]
        ins = [x for x in node.input if x]
        if not all(x in values or (x in consts and consts[x].size == 1) for x in ins):
            return None
        cur = node.output[0]
        values[cur] = _evaluate(node, [values.get(x, np.asarray(consts.get(x), np.float64)) for x in ins])
        region.append(nxt[0])
        for approx, want in _GELU.items():
            if np.allclose(values[cur], want, rtol=1e-5, atol=1e-6):
                inside = {o for i in region for o in nodes[i].output}
                private = all(all(r in region for r in readers.get(o, [])) for i in region[:-1]
                              for o in nodes[i].output if o in inside)
                return (region, approx) if private and not inside.intersection(outputs) - {cur} else None
    return None


def _upstream(nodes: list[Any], at: int, depth: int = 6) -> list[int]:
    """Positions of the element-wise nodes feeding node `at` within `depth` steps, and `at`, in graph order."""
    made = {o: i for i, n in enumerate(nodes[:at]) for o in n.output}
    found, frontier = {at}, [at]
    for _ in range(depth):
        frontier = [made[x] for i in frontier for x in nodes[i].input
                    if x in made and nodes[made[x]].op_type in _ELEMENTARY and made[x] not in found]
        found.update(frontier)
    return sorted(found)


def _fuse_one(imp: Importer, nodes: list[Any], consts: dict[str, np.ndarray], outputs: set[str]) -> list[Any] | None:
    """`nodes` with the first GELU decomposition found replaced by one Gelu node; None when there is none."""
    readers: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        for x in node.input:
            readers.setdefault(x, []).append(i)
    for at, node in enumerate(nodes):
        if node.op_type not in ("Erf", "Tanh"):
            continue
        back = _upstream(nodes, at)
        roots = {x for i in back for x in nodes[i].input if x and x not in consts}
        for root in sorted(roots):
            found = _try_gelu(consts, nodes, at, root, readers, back, outputs)
            if found is not None:
                region, approx = found
                last = nodes[region[-1]]
                fused = imp.onnx.helper.make_node("Gelu", [root], [last.output[0]], name=last.name,
                                                  approximate=approx)
                return [fused if i == region[-1] else n for i, n in enumerate(nodes) if i not in region[:-1]]
    return None


def fuse_gelu(imp: Importer) -> list[Any]:
    """The graph's nodes with each element-wise GELU decomposition (PyTorch's Div→Erf→Add→Mul→Mul, layergraph's
    own opset < 20 export, the tanh form) replaced by one Gelu node reading the same input."""
    nodes = list(imp.graph.node)
    outputs = {o.name for o in imp.graph.output}
    consts = dict(imp.consts)  # initializers and the values of Constant nodes (PyTorch writes those)
    for n in nodes:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = imp.onnx.numpy_helper.to_array(n.attribute[0].t)
    fused = _fuse_one(imp, nodes, consts, outputs)
    while fused is not None:
        nodes = fused
        fused = _fuse_one(imp, nodes, consts, outputs)
    imp.consumers = Counter(i for n in nodes for i in n.input if i)
    imp.consumers.update(o.name for o in imp.graph.output)
    return nodes
