"""Every registered layer's ONNX export imports back: the same layer type and options, and the same numbers,
at each opset the exporter offers. A layer whose export cannot come back says why in its registry entry
(`no_onnx(reason)`), and the export error must give that reason.

Tolerance: the imported network against the original, atol 1e-5 (same torch kernels; float32 constants).
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

onnx = pytest.importorskip("onnx")

from layergraph.compile import dlnetwork  # noqa: E402
from layergraph.interop.onnx_export import MIN_OPSET, ONNXExportError, onnx_model  # noqa: E402
from layergraph.interop.onnx_import import importONNXNetwork  # noqa: E402
from layergraph.layers import LAYERS  # noqa: E402
from layergraph.layers.inputs import STATISTICS  # noqa: E402
from tests.layer_records import batch, probe_network  # noqa: E402
from tests.test_registry import BUILTIN  # noqa: E402

OPSETS = list(range(MIN_OPSET, onnx.defs.onnx_opset_version() + 1))


def _needs(name: str) -> int:
    """The first opset at which the probe layer has an ONNX form (layerNormalizationLayer: 17)."""
    return 17 if name == "layerNormalizationLayer" else MIN_OPSET


def _options(layer: object) -> dict:
    # options that hold a learnable's value (preluLayer's Alpha) are compared as numbers, by the outputs
    d = layer.model_dump(exclude={"Name", *layer.learnable_names()})
    if "NumChannels" in d:  # ONNX does not carry a fixed NumChannels (checked against the input when set)
        d["NumChannels"] = "auto"
    if layer.is_input and all(getattr(layer, s) is None for s in STATISTICS.get(d.get("Normalization"), ())):
        d["Normalization"] = "none"  # imageInputLayer's default 'zerocenter' without a Mean yet passes data through
    return d


def _inputs(net: dlnetwork, n: int = 3) -> list[torch.Tensor]:
    torch.manual_seed(5)
    xs = []
    for name in net.InputNames:
        act = net.analysis.outputs[name]
        consumers = [net.layer_graph.layer(d) for _, d in net.layer_graph.graph.out_edges(name)]
        emb = next((c for c in consumers if c.type == "embeddingLayer"), None)
        xs.append(batch(act, emb) if emb is not None else torch.randn(act.torch_shape(n)))
    return xs


@pytest.mark.parametrize("name", BUILTIN)
def test_every_layer_comes_back_from_its_onnx_export(name: str) -> None:
    form = LAYERS[name].onnx
    graph = probe_network(name)
    if form.not_back:  # exports, but not back to this layer: the entry says why, and it really does not
        assert len(form.not_back) > 10
        assert form.back_from == 0 or form.back_from > 17, f"{name}: back_from {form.back_from} but not back at 17"
        try:
            back, _ = importONNXNetwork(onnx_model(dlnetwork(graph), OpsetVersion=17))
        except Exception:
            back = None
        if back is not None:
            assert [type(x) for x in back.Layers] != [type(x) for x in graph.Layers], f"{name} comes back at 17"
        if not form.back_from:  # from back_from on (selfAttentionLayer: ONNX's Attention, 23) it does come back
            return
    if form.missing:  # no ONNX form: the registry entry says why, and export says the same
        assert len(form.missing) > 10
        with pytest.raises(ONNXExportError, match=re.escape(form.missing)):
            onnx_model(graph)
        return
    torch.manual_seed(0)
    net = dlnetwork(graph)
    with torch.no_grad():  # non-trivial values for every learnable and state (biases, offsets, statistics)
        for key, t in net.tensors().items():
            if key.endswith(("HiddenState", "CellState")):  # recurrent states stay the layer's own (zeros): nonzero
                continue  # ones come back as the HiddenState/CellState options (tests/test_onnx_recurrent.py)
            t.copy_(torch.rand(t.shape) + 0.5 if key.endswith(("Variance", "Alpha")) else torch.randn(t.shape))
    xs = _inputs(net)
    with torch.no_grad():
        want = net.predict(*xs).as_subclass(torch.Tensor).numpy()
    original = graph.layer("probe")
    for opset in [o for o in OPSETS if o >= max(_needs(name), form.back_from)]:
        back, tensors = importONNXNetwork(onnx_model(net, OpsetVersion=opset))
        # an input layer's graph output is its normalized value, whose name the import gives the layer
        layer = back.Layers[0] if original.is_input else back.layer("probe")
        assert type(layer) is type(original), (opset, type(layer).__name__)
        assert _options(layer) == _options(original), opset
        for x in [] if original.is_input else net.InputNames:  # the inputs come back too (sizes, MinLength)
            assert _options(back.layer(x)) == _options(graph.layer(x)), (opset, x)
        net2 = dlnetwork(back)
        net2.load_tensors(tensors)
        with torch.no_grad():
            got = net2.predict(*xs).as_subclass(torch.Tensor).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"opset {opset}")
