"""Helpers shared by the sub-commands: loading a spec or checkpoint into a graph."""
from __future__ import annotations

from pathlib import Path

from layergraph.graph.layergraph import LayerGraph
from layergraph.spec import load_spec


def load_graph(path: str) -> LayerGraph:
    """A LayerGraph from a YAML spec (errors are one-line SpecErrors naming file:line)."""
    return load_spec(Path(path))
