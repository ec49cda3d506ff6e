"""MATLAB layer constructors (`convolution2dLayer(5, 64, Stride=2)`) and the layer-class registry.

Every layer class registers itself when it is defined (layers/base.py). This package imports the modules
holding layergraph's own layers and exports, for every registered class, its MATLAB-named constructor and
the class itself (`ELULayer`, `Convolution2DLayer`, …); nothing here lists the layers by hand.
"""
from __future__ import annotations

import importlib
from typing import Any

from layergraph.layers.base import LAYERS, Layer, constructors, register
from layergraph.layers.calls import networkDataLayout
from layergraph.layers.custom import CustomLayer, isempty, register_layer
from layergraph.layers.functions import feature2image, register_function, registered

# the modules defining layergraph's layers, in the order the registry lists them
for _module in ("inputs", "dense", "conv", "conv1d", "norm", "activation", "merge", "reshape", "pooling",
                "pooling1d", "grouped", "prelu", "depthspace", "output", "recurrent", "attention", "position"):
    importlib.import_module(f"layergraph.layers.{_module}")

BY_TYPE = LAYERS  # MATLAB name → layer class: the live registry, layers registered later included

globals().update(constructors())  # imageInputLayer, convolution2dLayer, …
globals().update({cls.__name__: cls for cls in LAYERS.values()})  # ImageInputLayer, Convolution2DLayer, …

__all__ = ["BY_TYPE", "CustomLayer", "LAYER_CLASSES", "Layer", "feature2image", "isempty", "networkDataLayout",
           "register", "register_function", "register_layer", "registered", *constructors()]


def __getattr__(name: str) -> Any:
    """LAYER_CLASSES: every registered layer class in registration order, computed when asked."""
    if name == "LAYER_CLASSES":
        return tuple(LAYERS.values())
    raise AttributeError(f"module 'layergraph.layers' has no attribute '{name}'")
