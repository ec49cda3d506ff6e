"""Static shape inference over a LayerGraph, and the issues analyzeNetwork reports."""
from __future__ import annotations

from collections.abc import Mapping
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
    """Sizes of every layer's inputs and outputs (None where unknown) plus issues; nothing is run.

    `outputs[name]` is the size of a layer's (first) output; a layer with several outputs also has
    `outputs["name/port"]` for each, and `ports[name]` lists them in OutputNames order. `given` holds the
    sizes of the network inputs that are not input layers ('layer' or 'layer/in2'), from example data.
    """

    order: list[str]
    inputs: dict[str, list[Act]] = field(default_factory=dict)
    outputs: dict[str, Act | None] = field(default_factory=dict)
    ports: dict[str, list[Act]] = field(default_factory=dict)
    given: dict[str, Act] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def act(self, ref: str) -> Act | None:
        """The size of a network input or output named MATLAB's way ('layer' or 'layer/port')."""
        return self.given.get(ref) or self.outputs.get(ref)


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


def _record(res: Analysis, lgraph: LayerGraph, name: str, acts: list[Act]) -> None:
    """Store a layer's output sizes under its name (first output) and 'name/port' (several outputs)."""
    ports = lgraph.layer(name).output_names
    if len(acts) != len(ports):
        raise LayergraphError(f"the layer has {len(ports)} outputs ({', '.join(ports)}) but gave {len(acts)} sizes")
    res.outputs[name] = acts[0]
    res.ports[name] = acts
    if len(ports) > 1:
        res.outputs.update({f"{name}/{p}": a for p, a in zip(ports, acts)})


def _input_acts(res: Analysis, lgraph: LayerGraph, name: str, given: Mapping[str, Act]) -> list[Act | None] | None:
    """Sizes arriving at each input port of `name` (None when unknown); None when a port is unconnected and
    no example size is given for it (an issue is recorded)."""
    layer = lgraph.layer(name)
    wired = lgraph.sources_of(name)
    ports = layer.input_names
    acts: list[Act | None] = []
    for port in ports:
        if port in wired:
            src, sport = wired[port]
            got = res.ports.get(src)
            outs = lgraph.layer(src).output_names
            acts.append(got[outs.index(sport)] if got is not None and sport in outs else None)
            continue
        ref = name if len(ports) == 1 else f"{name}/{port}"
        if ref not in given:
            res.issues.append(Issue("error", name, f"input '{port}' is not connected"))
            return None
        res.given[ref] = given[ref]
        acts.append(given[ref])
    return acts


def infer(lgraph: LayerGraph, given: Mapping[str, Act] | None = None) -> Analysis:
    """Propagate sizes through the graph in topological order, collecting issues per layer.

    `given` maps unconnected inputs ('layer' or 'layer/in2') to sizes, as example inputs do for a network
    without input layers (MATLAB's `dlnetwork(layers, X1, …)`).
    """
    g = lgraph.graph
    given = dict(given or {})
    order = topological_order(lgraph)
    if order is None:
        cycle = [u for u, _, *_ in nx.find_cycle(g)]
        res = Analysis(order=list(g.nodes))
        res.issues.append(Issue("error", cycle[0], "the network has a cycle: " + " → ".join(cycle + cycle[:1])))
        return res
    res = Analysis(order=order)
    if not lgraph.InputNames and not given and order:
        res.issues.append(Issue("error", order[0], "the network has no input layer"))
    for name in order:
        layer = lgraph.layer(name)
        acts = _input_acts(res, lgraph, name, given)
        if acts is None or any(a is None for a in acts):
            res.outputs[name] = None
            continue
        res.inputs[name] = acts  # type: ignore[assignment]
        try:
            _record(res, lgraph, name, layer.output_sizes(acts))  # type: ignore[arg-type]
        except (LayergraphError, ValueError, KeyError) as err:
            res.outputs[name] = None
            res.issues.append(Issue("error", name, str(err.args[0] if err.args else err)))
    dangling = lgraph.OutputNames
    if len(dangling) > 1:
        for ref in dangling:
            name = ref.partition("/")[0]
            if len(lgraph.layer(name).output_names) > 1:
                continue  # several outputs of one layer are meant to be network outputs
            res.issues.append(Issue("warning", name, f"output of '{name}' is not connected; it is one of "
                                    f"{len(dangling)} network outputs"))
    return res
