"""The data behind analyzeNetwork: one row per layer (sizes in MATLAB's notation) and the issues."""
from __future__ import annotations

import math
from typing import Any

from layergraph.graph.infer import infer
from layergraph.graph.layergraph import LayerGraph
from layergraph.table import matlab_size


def _graph_and_order(net: Any) -> tuple[LayerGraph, list[str] | None]:
    """A LayerGraph shows in Layers order (as MATLAB's analyzeNetwork(lgraph)); a dlnetwork in its own."""
    if isinstance(net, LayerGraph):
        return net, None
    if hasattr(net, "layer_graph"):
        return net.layer_graph, list(net.analysis.order)
    from layergraph.graph.layergraph import layerGraph

    return layerGraph(net), None


def network_report(net: Any) -> dict[str, Any]:
    """Analyse a layer array, LayerGraph or dlnetwork without running it; JSON-ready data."""
    lgraph, order = _graph_and_order(net)
    analysis = infer(lgraph)
    rows = []
    total = 0
    for i, name in enumerate(order or list(lgraph.graph.nodes)):
        layer = lgraph.layer(name)
        act = analysis.outputs.get(name)
        ins = analysis.inputs.get(name)
        ports = analysis.ports.get(name, [])
        known = act is not None and (ins is not None or layer.is_input)
        learn = layer.learnables(ins or []) if known else {}
        states = layer.states(ins or []) if known else {}
        total += sum(math.prod(s) for s in learn.values())
        rows.append({
            "index": i + 1,
            "name": name,
            "description": layer.description(),
            "type": layer.type_label,
            "activations": _activations(layer.output_names, ports) if act is not None else "?",
            "learnables": {k: matlab_size(v) for k, v in learn.items()},
            "states": {k: matlab_size(v) for k, v in states.items()},
        })
    issues = []
    for issue in analysis.issues:
        src = lgraph.source(issue.layer) if issue.layer in lgraph.graph else None
        item = {"severity": issue.severity, "layer": issue.layer, "message": issue.message}
        if src:
            item["location"] = f"{src[0]}:{src[1]}"
        issues.append(item)
    return {"layers": rows, "total_learnables": total, "issues": issues}


def _activations(names: list[str], acts: list[Any]) -> str:
    """The output size ('8×8×3'); for a layer with several outputs one line each, 'mean 512'."""
    if len(names) == 1:
        return str(acts[0])
    return "\n".join(f"{n} {a}" for n, a in zip(names, acts))


def analyzeNetwork(net: Any, Plots: str = "table", console: Any = None) -> dict[str, Any]:
    """MATLAB's analyzeNetwork: print the layer table and issues; return the same data.

    Plots="none" returns the data without printing, like `info = analyzeNetwork(net, Plots="none")`.
    """
    report = network_report(net)
    if str(Plots).lower() != "none":
        from layergraph.analyze.render import print_report

        print_report(report, console=console)
    return report
