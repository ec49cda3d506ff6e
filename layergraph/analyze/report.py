"""The data behind analyzeNetwork: one row per layer (sizes in MATLAB's notation) and the issues."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from layergraph.analyze.html import in_notebook, ipython_display, notebook_html, show, write_report_html
from layergraph.analyze.order import layer_order
from layergraph.graph.infer import infer
from layergraph.graph.layergraph import LayerGraph
from layergraph.namevalue import matlab_keywords
from layergraph.table import matlab_size


def _graph_and_order(net: Any) -> tuple[LayerGraph, list[str] | None]:
    """A LayerGraph shows in Layers order (as MATLAB's analyzeNetwork(lgraph)); a dlnetwork in its own."""
    if isinstance(net, LayerGraph):
        return net, None
    if hasattr(net, "layer_graph"):
        return net.layer_graph, list(net.analysis.order)
    from layergraph.graph.layergraph import layerGraph

    return layerGraph(net), None


class NetworkReport(dict):
    """analyzeNetwork's data (a plain JSON-ready dict) that also shows itself as the interactive page."""

    graph: LayerGraph

    def _repr_html_(self) -> str:
        return notebook_html(self)

    def _ipython_display_(self) -> None:
        ipython_display(self)


def network_report(net: Any, order: str | None = None) -> NetworkReport:
    """Analyse a layer array, LayerGraph or dlnetwork without running it; JSON-ready data.

    `order` "execution" or "matlab" lists the layers in that order (layergraph.analyze.order); by default a
    LayerGraph keeps its Layers order and a dlnetwork its own.
    """
    lgraph, order_names = _graph_and_order(net)
    if order is not None:
        order_names = layer_order(lgraph, order)
    # an initialized dlnetwork without input layers knows its inputs' sizes from the example data it was given
    analysis = net.analysis if getattr(net, "Initialized", False) else infer(lgraph)
    rows = []
    total = 0
    for i, name in enumerate(order_names or list(lgraph.graph.nodes)):
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
    report = NetworkReport(layers=rows, total_learnables=total, issues=issues)
    report.graph = lgraph
    return report


def _activations(names: list[str], acts: list[Any]) -> str:
    """The output size ('8×8×3'); for a layer with several outputs one line each, 'mean 512'."""
    if len(names) == 1:
        return str(acts[0])
    return "\n".join(f"{n} {a}" for n, a in zip(names, acts))


@matlab_keywords
def analyzeNetwork(net: Any, Plots: str = "table", console: Any = None, *, html: str | Path | None = None,
                   order: str | None = None) -> NetworkReport:
    """MATLAB's analyzeNetwork: print the layer table and issues (in a notebook: show the interactive page);
    return the same data.

    Plots="none" returns the data without showing anything, like `info = analyzeNetwork(net, Plots="none")`.
    html="report.html" also writes the interactive page as one self-contained file. order: see network_report.
    """
    report = network_report(net, order)
    if html is not None:
        write_report_html(report, html)
    if str(Plots).lower() != "none":
        if in_notebook():
            show(report)
        else:
            from layergraph.analyze.render import print_report

            print_report(report, console=console)
    return report
