"""The node list of an ONNX graph as a graph (who makes and who reads each value), and the one loop that fuses
matched regions of nodes into single nodes (attention, group normalization)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer

__all__ = ["NodeGraph", "fuse_regions"]


class NodeGraph:
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

    def made_by(self, value: str, op: str) -> int | None:
        """The node making `value` when it is an `op` node that nothing else reads from."""
        i = self.maker.get(value)
        ok = i is not None and self.nodes[i].op_type == op and len(self.readers.get(value, [])) == 1
        return i if ok else None

    def const(self, value: str) -> np.ndarray | None:
        return self.consts.get(value)

    def perm(self, i: int | None) -> list[int] | None:
        if i is None:
            return None
        attr = next((a for a in self.nodes[i].attribute if a.name == "perm"), None)
        return list(attr.ints) if attr is not None else None

    def levels(self, at: int, up: bool, steps: int = 40) -> list[list[int]]:
        """The nodes 1, 2, … `steps` edges above (`up`) or below node `at`, nearest first (each node once)."""
        seen, frontier, out = {at}, [at], []
        for _ in range(steps):
            nxt = []
            for i in frontier:
                values = self.nodes[i].input if up else self.nodes[i].output
                nxt += [self.maker[v] for v in values if v in self.maker] if up else \
                    [r for v in values for r in self.readers.get(v, [])]
            frontier = sorted({i for i in nxt if i not in seen})
            seen.update(frontier)
            out.append(frontier)
        return out

    def near(self, at: int, up: bool, steps: int = 40) -> list[int]:
        """Positions of the nodes within `steps` edges above (`up`) or below node `at`."""
        return sorted(i for level in self.levels(at, up, steps) for i in level)


Match = Callable[[NodeGraph, int], "tuple[Any, list[int]] | None"]


def fuse_regions(imp: Importer, nodes: list[Any], anchors: tuple[str, ...], match: Match) -> list[Any]:
    """`nodes` with every region `match` finds around an `anchors` node replaced by its one fused node, placed
    where the region's last node was (last anchor first, so earlier positions stay valid); the importer's reader
    counts are renewed."""
    for at in [i for i, n in enumerate(nodes) if n.op_type in anchors][::-1]:
        if at >= len(nodes) or nodes[at].op_type not in anchors:
            continue  # taken into a region fused already
        found = match(NodeGraph(imp, nodes), at)
        if found is not None:
            fused, region = found
            last = max(region)
            nodes = [fused if i == last else n for i, n in enumerate(nodes) if i == last or i not in region]
    imp.consumers = Counter(i for n in nodes for i in n.input if i)
    imp.consumers.update(o.name for o in imp.graph.output)
    return nodes
