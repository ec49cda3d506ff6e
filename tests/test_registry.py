"""The layer registry and its completeness: every built-in layer declares what the rest of layergraph needs.

For each registered built-in layer: its MATLAB constructor is exported; its plot family, ONNX export form
(one node, an emitter, or a stated reason for having none) and ONNX import operators are declared and
served by the exporter and importer; docs/layers.md has its section; this file has a probe for it; and on
the probe, build() agrees with output_size(), learnables() and states() (MATLAB layout). A layer added
without any of these fails here. Layers defined outside layergraph (user code) register too and work
without these declarations.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Literal

import pytest
import torch
from torch import nn

import layergraph
import layergraph as lg
from layergraph.analyze.plot import COLORS
from layergraph.graph.layergraph import LayerGraph
from layergraph.layers import LAYERS
from layergraph.layers.base import Layer, LayerModule, constructors, is_builtin
from layergraph.sizes import Act, features, image, sequence
from layergraph.spec import dump_spec, graph_from_data

onnx = pytest.importorskip("onnx")

from layergraph.interop.onnx_export import EMITTERS, ONNXExportError, onnx_model  # noqa: E402
from layergraph.interop.onnx_import import handler_for, importONNXNetwork  # noqa: E402

DOCS = (Path(__file__).resolve().parents[1] / "docs" / "layers.md").read_text(encoding="utf-8")
BUILTIN = [name for name, cls in LAYERS.items() if is_builtin(cls)]

# One probe per built-in layer: the layer (non-default options where it has any) and its input sizes.
Probe = tuple[Callable[[], Layer], list[Act]]
PROBES: dict[str, Probe] = {
    "imageInputLayer": (lambda: lg.imageInputLayer([5, 4, 3], Normalization="zscore", Mean=0.5,
                                                   StandardDeviation=2.0), []),
    "featureInputLayer": (lambda: lg.featureInputLayer(6, Normalization="zerocenter", Mean=1.0), []),
    "fullyConnectedLayer": (lambda: lg.fullyConnectedLayer(7), [image(3, 2, 4)]),
    "projectAndReshapeLayer": (lambda: lg.projectAndReshapeLayer([2, 3, 4]), [features(5)]),
    "embeddingLayer": (lambda: lg.embeddingLayer(6, 4), [features(1)]),
    "convolution2dLayer": (lambda: lg.convolution2dLayer([3, 2], 5, Stride=2, Padding="same",
                                                         DilationFactor=[1, 2]), [image(7, 6, 3)]),
    "transposedConv2dLayer": (lambda: lg.transposedConv2dLayer(4, 5, Stride=2, Cropping="same"), [image(3, 4, 3)]),
    "batchNormalizationLayer": (lambda: lg.batchNormalizationLayer(), [image(3, 3, 4)]),
    "layerNormalizationLayer": (lambda: lg.layerNormalizationLayer(), [features(5)]),
    "reluLayer": (lambda: lg.reluLayer(), [image(3, 2, 2)]),
    "leakyReluLayer": (lambda: lg.leakyReluLayer(0.2), [image(3, 2, 2)]),
    "eluLayer": (lambda: lg.eluLayer(0.5), [image(3, 2, 2)]),
    "tanhLayer": (lambda: lg.tanhLayer(), [features(4)]),
    "sigmoidLayer": (lambda: lg.sigmoidLayer(), [features(4)]),
    "softmaxLayer": (lambda: lg.softmaxLayer(), [features(4)]),
    "dropoutLayer": (lambda: lg.dropoutLayer(0.3), [image(3, 2, 2)]),
    "concatenationLayer": (lambda: lg.concatenationLayer(3, 2), [image(3, 2, 2), image(3, 2, 5)]),
    "depthConcatenationLayer": (lambda: lg.depthConcatenationLayer(3), [image(2, 2, 1), image(2, 2, 2),
                                                                         image(2, 2, 3)]),
    "additionLayer": (lambda: lg.additionLayer(2), [features(3), features(3)]),
    "flattenLayer": (lambda: lg.flattenLayer(), [image(3, 2, 4)]),
    "resize2dLayer": (lambda: lg.resize2dLayer(Scale=2), [image(3, 2, 2)]),
    "functionLayer": (lambda: lg.functionLayer("feature2image", Arguments=[[2, 3, 2]]), [features(12)]),
    "maxPooling2dLayer": (lambda: lg.maxPooling2dLayer(3, Stride=2, Padding="same"), [image(5, 4, 2)]),
    "averagePooling2dLayer": (lambda: lg.averagePooling2dLayer(2, Stride=2), [image(4, 4, 2)]),
    "globalAveragePooling2dLayer": (lambda: lg.globalAveragePooling2dLayer(), [image(3, 2, 4)]),
    "sequenceInputLayer": (lambda: lg.sequenceInputLayer(3, MinLength=4, Normalization="zscore", Mean=1.0,
                                                         StandardDeviation=2.0), []),
    "convolution1dLayer": (lambda: lg.convolution1dLayer(3, 5, Stride=2, Padding="same", PaddingValue="replicate"),
                           [sequence(3, 7)]),
    "transposedConv1dLayer": (lambda: lg.transposedConv1dLayer(4, 5, Stride=2, Cropping="same"), [sequence(3, 5)]),
    "instanceNormalizationLayer": (lambda: lg.instanceNormalizationLayer(), [image(3, 3, 4)]),
    "groupNormalizationLayer": (lambda: lg.groupNormalizationLayer(2), [image(3, 3, 4)]),
    "geluLayer": (lambda: lg.geluLayer(Approximation="tanh"), [image(3, 2, 2)]),
    "swishLayer": (lambda: lg.swishLayer(), [features(4)]),
    "clippedReluLayer": (lambda: lg.clippedReluLayer(0.5), [image(3, 2, 2)]),
    "multiplicationLayer": (lambda: lg.multiplicationLayer(2), [image(3, 2, 2), image(3, 2, 2)]),
    "crop2dLayer": (lambda: lg.crop2dLayer([2, 1]), [image(5, 6, 2), image(3, 4, 1)]),
    # issue 23
    "maxPooling1dLayer": (lambda: lg.maxPooling1dLayer(3, Stride=2, Padding="same"), [sequence(3, 7)]),
    "averagePooling1dLayer": (lambda: lg.averagePooling1dLayer(3, Stride=2, Padding=1, PaddingValue="mean"),
                              [sequence(2, 8)]),
    "globalAveragePooling1dLayer": (lambda: lg.globalAveragePooling1dLayer(), [sequence(3, 5)]),
    "globalMaxPooling1dLayer": (lambda: lg.globalMaxPooling1dLayer(), [sequence(3, 5)]),
    "groupedConvolution2dLayer": (lambda: lg.groupedConvolution2dLayer([3, 2], 2, 2, Stride=[2, 1], Padding="same"),
                                  [image(5, 4, 4)]),
    "preluLayer": (lambda: lg.preluLayer(Alpha=[0.1, 0.2, 0.3]), [image(3, 2, 3)]),
    "depthToSpace2dLayer": (lambda: lg.depthToSpace2dLayer(2, Mode="crd"), [image(2, 3, 8)]),
    "spaceToDepthLayer": (lambda: lg.spaceToDepthLayer(2), [image(5, 4, 2)]),
    "classificationLayer": (lambda: lg.classificationLayer(), [features(4)]),
    "regressionLayer": (lambda: lg.regressionLayer(), [features(3)]),
    "lstmLayer": (lambda: lg.lstmLayer(4, OutputMode="last"), [sequence(3, 5)]),
    "gruLayer": (lambda: lg.gruLayer(4, ResetGateMode="recurrent-bias-after-multiplication"), [sequence(3, 5)]),
    "bilstmLayer": (lambda: lg.bilstmLayer(3), [sequence(2, 4)]),
    # attention and position (layers/attention.py, layers/position.py)
    "selfAttentionLayer": (lambda: lg.selfAttentionLayer(2, 8, NumValueChannels=4, OutputSize=6), [sequence(5, 4)]),
    "attentionLayer": (lambda: lg.attentionLayer(2), [sequence(4, 3), sequence(4, 5), sequence(6, 5)]),
    "indexing1dLayer": (lambda: lg.indexing1dLayer("last"), [sequence(3, 4)]),
    "positionEmbeddingLayer": (lambda: lg.positionEmbeddingLayer(6, 10), [sequence(3, 4)]),
    "sinusoidalPositionEncodingLayer": (lambda: lg.sinusoidalPositionEncodingLayer(6), [sequence(3, 4)]),
}


def batch(act: Act, layer: Layer, n: int = 2) -> torch.Tensor:
    """A torch batch of size `act`; class indices 1…InputSize for an embedding."""
    if layer.type == "embeddingLayer":
        return torch.randint(1, layer.InputSize + 1, act.torch_shape(n)).float()
    return torch.randn(act.torch_shape(n))


def probe_network(name: str) -> LayerGraph:
    """The probe layer (named 'probe') fed by one input layer per input ('x1', 'x2', …)."""
    make, ins = PROBES[name]
    layer = make().model_copy(update={"Name": "probe"})
    graph = LayerGraph()
    for i, a in enumerate(ins):
        if a.fmt == "CT":
            source = lg.sequenceInputLayer(a.channels, MinLength=a.time, Name=f"x{i + 1}")
        else:
            size = list(a.size) if a.is_image else a.size[0]
            source = (lg.imageInputLayer if a.is_image else lg.featureInputLayer)(size, Name=f"x{i + 1}")
        graph = lg.addLayers(graph, source)
    graph = lg.addLayers(graph, layer)
    for i, port in enumerate(layer.input_names):
        graph = lg.connectLayers(graph, f"x{i + 1}", f"probe/{port}")
    return graph


# ----- the completeness test ------------------------------------------------------------------------------
def test_every_layer_class_is_registered_once() -> None:
    assert len(BUILTIN) == len(set(BUILTIN)) >= 25
    assert set(PROBES) >= set(BUILTIN), f"no probe in tests/test_registry.py for {set(BUILTIN) - set(PROBES)}"
    stated = re.search(r"layergraph has (\d+) layers", DOCS)
    assert stated and int(stated[1]) == len(BUILTIN), "docs/layers.md: update 'layergraph has N layers'"


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_layer_declares_everything(name: str) -> None:
    cls = LAYERS[name]
    where = f"{cls.__module__}.{cls.__qualname__}"
    # the MATLAB-named constructor, exported by `from layergraph import *`
    assert getattr(layergraph, name).__name__ == name and name in layergraph.__all__, name
    assert cls.type_label and cls.default_name, f"{where}: set type_label and default_name"
    assert cls.family in COLORS, f"{where}: declare `family` ({', '.join(COLORS)})"
    form = cls.onnx
    assert form is not None, f"{where}: declare `onnx` (onnx_op(...), onnx_emitter(...) or no_onnx(reason))"
    ways = [bool(form.op), cls in EMITTERS, bool(form.missing)]
    assert sum(ways) == 1, f"{where}: exactly one of onnx_op, an EMITTERS entry or no_onnx (got {ways})"
    if form.op:
        schema = onnx.defs.get_schema(form.op)
        for attr, option in form.attrs:
            assert attr in schema.attributes, f"{where}: ONNX {form.op} has no attribute '{attr}'"
            assert not isinstance(option, str) or option in cls.options(), f"{where}: no option '{option}'"
    for op in form.imports:
        assert handler_for(op) is not None, f"{where}: no import handler for ONNX {op} (interop/onnx_import/ops.py)"
    assert re.search(rf"^## {name}$", DOCS, re.M), f"docs/layers.md has no '## {name}' section"
    assert name in PROBES, f"tests/test_registry.py: add a probe for {name}"


@pytest.mark.parametrize("name", BUILTIN)
def test_build_agrees_with_output_size_and_learnables(name: str) -> None:
    """On the probe input the compiled module gives output_size's shape, and its parameters and states are
    exactly learnables() and states(), with those MATLAB shapes."""
    make, ins = PROBES[name]
    layer = make()
    out = layer.output_size(ins)
    module = layer.build(ins)
    xs = [batch(a, layer) for a in ins] if ins else [torch.randn(out.torch_shape(2))]
    module.train(False)
    assert tuple(module(*xs).shape) == out.torch_shape(2)
    learn, states = layer.learnables(ins), layer.states(ins)
    params = dict(module.named_parameters())
    assert set(params) == set(learn)
    if not learn and not states:
        return
    assert isinstance(module, LayerModule)
    buffers = {k for k, _ in module.named_buffers() if k in module.layout}
    assert buffers == set(states)
    for pname, shape in {**learn, **states}.items():
        assert module.layout[pname][1] == shape, (pname, module.layout[pname][1], shape)
        assert getattr(module, pname).numel() == math.prod(shape)
        assert tuple(module.to_matlab(pname).shape) == shape


@pytest.mark.parametrize("name", BUILTIN)
def test_onnx_export_form_is_valid(name: str) -> None:
    """The declared export form writes a model onnx.checker accepts (no_onnx: the error gives the reason)."""
    graph = probe_network(name)
    form = LAYERS[name].onnx
    assert form is not None, f"{name}: no `onnx` declaration"
    if form.missing:
        with pytest.raises(ONNXExportError, match=re.escape(form.missing)):
            onnx_model(graph, OpsetVersion=17)
        return
    model = onnx_model(graph, OpsetVersion=17)  # 17: LayerNormalization
    ops = {n.op_type for n in model.graph.node}
    if form.op:
        assert form.op in ops


@pytest.mark.parametrize("name", [n for n in BUILTIN if LAYERS[n].elementwise and getattr(LAYERS[n].onnx, "op", "")])
def test_layers_declared_as_one_onnx_node_come_back_from_onnx(name: str) -> None:
    """Export then import gives the same layer with the same options (the importer's handler comes from the
    class's declaration alone)."""
    graph = probe_network(name)
    back, _ = importONNXNetwork(onnx_model(graph, OpsetVersion=17))
    original = graph.layer("probe")
    layer = back.layer("probe")
    assert type(layer) is type(original)
    assert layer.model_dump(exclude={"Name"}) == original.model_dump(exclude={"Name"})


# ----- layers defined outside layergraph -------------------------------------------------------------------
class _Double(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * x


def test_a_user_layer_registers_itself_and_works_without_declarations() -> None:
    class DoubleLayer(Layer):
        """testDoubleLayer(): 2·x, a layer written in user code."""

        type: Literal["testDoubleLayer"] = "testDoubleLayer"
        type_label: ClassVar[str] = "Double"

        def build(self, inputs: list[Act]) -> nn.Module:
            return _Double()

    assert LAYERS["testDoubleLayer"] is DoubleLayer and not is_builtin(DoubleLayer)
    assert DoubleLayer in lg.layers.LAYER_CLASSES
    assert constructors()["testDoubleLayer"]().type == "testDoubleLayer"
    graph = graph_from_data({"layers": [{"type": "featureInputLayer", "InputSize": 3},
                                        {"type": "testDoubleLayer", "Name": "twice"}]})
    assert "type: testDoubleLayer" in dump_spec(graph)
    net = lg.dlnetwork(graph)
    y = net.predict(torch.arange(6.0).reshape(2, 3))
    torch.testing.assert_close(y.as_subclass(torch.Tensor), 2 * torch.arange(6.0).reshape(2, 3))
    assert "twice" in lg.analyze.mermaid(graph)
    with pytest.raises(ONNXExportError, match="testDoubleLayer has no ONNX form"):
        onnx_model(net)


def test_a_second_class_cannot_take_a_registered_name() -> None:
    with pytest.raises(TypeError, match=r"'reluLayer'.*already registered by .*activation\.ReLULayer"):
        class MyRelu(Layer):
            type: Literal["reluLayer"] = "reluLayer"
    assert LAYERS["reluLayer"].__module__ == "layergraph.layers.activation"


def test_subclassing_a_layer_without_a_new_type_does_not_register() -> None:
    class QuietRelu(LAYERS["reluLayer"]):
        pass

    assert LAYERS["reluLayer"] is not QuietRelu
