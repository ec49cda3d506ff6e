"""YAML network specs: safe loading with line numbers, validation into layers, saving back."""
from layergraph.spec.io import dump_spec, graph_from_data, load_spec, save_spec, spec_data

__all__ = ["dump_spec", "graph_from_data", "load_spec", "save_spec", "spec_data"]
