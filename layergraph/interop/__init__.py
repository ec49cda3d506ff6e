"""Interoperability: ONNX export/import under MATLAB's names.

onnx is an optional dependency: these functions import it when called.
"""
from layergraph.interop.onnx_export import ONNXExportError, exportONNXNetwork, onnx_model
from layergraph.interop.onnx_import import ONNXImportError, importNetworkFromONNX, importONNXNetwork

__all__ = [
    "ONNXExportError", "ONNXImportError", "exportONNXNetwork", "importNetworkFromONNX", "importONNXNetwork",
    "onnx_model",
]
