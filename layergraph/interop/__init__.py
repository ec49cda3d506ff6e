"""Interoperability: ONNX export/import under MATLAB's names, and pictures of layer graphs (plot, Mermaid).

onnx is an optional dependency: these functions import it when called.
"""
from layergraph.interop.onnx_export import ONNXExportError, exportONNXNetwork, onnx_model
from layergraph.interop.onnx_import import ONNXImportError, importNetworkFromONNX, importONNXNetwork
from layergraph.interop.plot import layout, mermaid, plot_graph

__all__ = [
    "ONNXExportError", "ONNXImportError", "exportONNXNetwork", "importNetworkFromONNX", "importONNXNetwork",
    "layout", "mermaid", "onnx_model", "plot_graph",
]
