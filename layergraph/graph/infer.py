"""Static shape inference over a LayerGraph, and the issues analyzeNetwork reports."""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from layergraph.errors import LayergraphError
from layergraph.graph.layergraph import LayerGraph
from layergraph.sizes import Act


@dataclass(frozen=True)
class Issue:
    """One finding: severity 'error' or 'warning', the layer it concerns, and a one-line message."""

    severity: str
    layer: str
    message: str


@dataclass
class Analysis:
    """Sizes of every layer's inputs and output (None where unknown) plus issues; nothing is run."""

    order: list[str]
    inputs: dict[str, list[Act]] = field(default_factory=dict)
    outputs: dict[str, Act | None] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


def topological_order(lgraph: LayerGraph) -> list[str] | None:
    """Layers order when it is already topological (MATLAB keeps it), else a stable sort; None on a cycle."""
    g = lgraph.graph
    if not nx.is_directed_acyclic_graph(g):
        return None
    order = list(g.nodes)
    rank = {n: i for i, n in enumerate(order)}
    if all(rank[u] < rank[v] for u, v in g.edges()):
        return order
    return list(nx.lexicographical_topological_sort(g, key=rank.__getitem__))


def infer(lgraph: LayerGraph) -> Analysis:
    """Propagate sizes through the graph in topological order, collecting issues per layer."""
    g = lgraph.graph
    order = topological_order(lgraph)
    if order is None:
        cycle = [u for u, _, *_ in nx.find_cycle(g)]
        res = Analysis(order=list(g.nodes))
        res.issues.append(Issue("error", cycle[0], "the network has a cycle: " + " → ".join(cycle + cycle[:1])))
        return res
    res = Analysis(order=order)
    if not lgraph.InputNames and order:
        res.issues.append(Issue("error", order[0], "the network has no input layer"))
    for name in order:
        layer = lgraph.layer(name)
        wired = lgraph.inputs_of(name)
        missing = [p for p in layer.input_names if p not in wired]
        for port in missing:
            res.issues.append(Issue("error", name, f"input '{port}' is not connected"))
        srcs = [wired.get(p) for p in layer.input_names]
        acts = [res.outputs.get(s) if s else None for s in srcs]
        if missing or any(a is None for a in acts):
            res.outputs[name] = None
            continue
        res.inputs[name] = acts
        try:
            res.outputs[name] = layer.output_size(acts)
        except (LayergraphError, ValueError, KeyError) as err:
            res.outputs[name] = None
            res.issues.append(Issue("error", name, str(err.args[0] if err.args else err)))
    dangling = lgraph.OutputNames
    if len(dangling) > 1:
        for name in dangling:
            res.issues.append(Issue("warning", name, f"output of '{name}' is not connected; it is one of "
                                    f"{len(dangling)} network outputs"))
    return res
