"""ONNX normalization operators: BatchNormalization, LayerNormalization, InstanceNormalization."""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.interop.onnx_import.folding import (
    per_channel,
)
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import Val, f32, name_hint
from layergraph.layers.norm import BatchNormalizationLayer, InstanceNormalizationLayer, LayerNormalizationLayer


@handler("BatchNormalization")
def batch_normalization(imp: Importer, node: Any) -> None:
    imp.unused(node, 1, 2, 3, 4)
    a = imp.attrs(node)
    if a.get("training_mode") or a.get("spatial") == 0:  # each absent in some opsets
        raise imp.fail("only inference-mode, per-channel batch normalization has a layergraph layer")
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    src = imp.image_or_features(v)
    names = ("Scale", "Offset", "TrainedMean", "TrainedVariance")
    params = {p: imp.const(node.input[i + 1], p).reshape(-1) for i, p in enumerate(names)}
    layer = imp.make(BatchNormalizationLayer, Epsilon=f32(a["epsilon"]))
    hint = name_hint(node.name)
    imp.set(node.output[0], imp.out_val(imp.add(layer, [src], hint, params), shape, hint))


@handler("LayerNormalization")
def layer_normalization(imp: Importer, node: Any) -> None:
    imp.unused(node, 1, 2)
    a = imp.attrs(node)
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    axis = a["axis"]
    if axis not in (1, -len(shape)):
        raise imp.fail("layerNormalizationLayer normalizes over all of a sample (axis 1)")
    src = imp.image_or_features(v)
    scale = per_channel(imp, Val(src, None, None), imp.const(node.input[1], "scale"))
    bias = (per_channel(imp, Val(src, None, None), imp.const(node.input[2], "bias"))
            if len(node.input) > 2 and node.input[2] else np.zeros(shape[0]))
    if scale is None or bias is None:
        raise imp.fail("scale and bias must be one value per channel for layerNormalizationLayer")
    layer = imp.make(LayerNormalizationLayer, Epsilon=f32(a["epsilon"]))
    hint = name_hint(node.name)
    params = {"Scale": scale, "Offset": bias}
    imp.set(node.output[0], imp.out_val(imp.add(layer, [src], hint, params), shape, hint))


@handler("InstanceNormalization")
def instance_normalization(imp: Importer, node: Any) -> None:
    """InstanceNormalization(x, scale, B): each channel of each image over its positions (PyTorch's InstanceNorm2d
    with affine weights, MATLAB's instanceNormalizationLayer); scale and B one value per channel."""
    v = imp.val(node.input[0])  # the input activation (imp.const for an initializer)
    if len(imp.shape(v)) != 3:  # imp.fail: the one-line error naming the node
        raise imp.fail("instanceNormalizationLayer is imported for N×C×H×W images only")
    src = imp.image(v)  # the input in a form a layer takes (imp.image, imp.features)
    c = imp.nodes[src].act.channels
    params = {p: imp.const(node.input[i + 1], what).reshape(-1)
              for i, (p, what) in enumerate((("Scale", "scale"), ("Offset", "B")))}
    if any(len(x) != c for x in params.values()):
        raise imp.fail(f"scale and B must have one value per channel ({c})")
    epsilon = imp.attrs(node)["epsilon"]  # ONNX's default (1e-5) where the node leaves it out
    layer = imp.make(InstanceNormalizationLayer, Epsilon=f32(epsilon))
    hint = name_hint(node.name)  # the layer's name, from the node's
    imp.set(node.output[0], imp.out_val(imp.add(layer, [src], hint, params), imp.shape(v), hint))
