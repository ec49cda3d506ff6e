"""Layer graphs on networkx: layerGraph, addLayers, connectLayers, … and static shape inference."""
from layergraph.graph.infer import Analysis, Issue, infer
from layergraph.graph.layergraph import (
    LayerGraph,
    addLayers,
    connectLayers,
    disconnectLayers,
    layerGraph,
    removeLayers,
    replaceLayer,
)

__all__ = [
    "Analysis", "Issue", "LayerGraph", "addLayers", "connectLayers", "disconnectLayers", "infer",
    "layerGraph", "removeLayers", "replaceLayer",
]
