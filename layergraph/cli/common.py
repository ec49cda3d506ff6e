"""Helpers shared by the sub-commands: loading a spec or checkpoint into a graph."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from layergraph.graph.layergraph import LayerGraph
from layergraph.spec import graph_from_data
from layergraph.spec.yamlsafe import read_yaml_file


def load_graph(path: str, params: Mapping[str, Any] | None = None) -> LayerGraph:
    """A LayerGraph from a YAML spec, `params` overriding its template parameters (--set); errors are
    one-line SpecErrors naming file:line."""
    return graph_from_data(read_yaml_file(path), str(path), params, "--set")
