"""The layer registry and its completeness: every built-in layer declares what the rest of layergraph needs.

For each registered built-in layer: its MATLAB constructor is exported; its plot family, ONNX export form
(one node, an emitter, or a stated reason for having none) and ONNX import operators are declared and
served by the exporter and importer; docs/layers.md has its section; tests/layer_records.py has a record
(probe) for it; and on the probe, build() agrees with output_size(), learnables() and states() (MATLAB
layout). A layer added without any of these fails here. Layers defined outside layergraph (user code)
register too and work without these declarations.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import ClassVar, Literal

import pytest
import torch
from torch import nn

import layergraph
import layergraph as lg
from layergraph.analyze.plot import COLORS
from layergraph.layers import LAYERS
from layergraph.layers.base import Layer, LayerModule, constructors, is_builtin
from layergraph.sizes import Act
from layergraph.spec import dump_spec, graph_from_data
from tests.layer_records import PROBES, batch, probe_network

onnx = pytest.importorskip("onnx")

from layergraph.interop.onnx_export import EMITTERS, ONNXExportError, onnx_model  # noqa: E402
from layergraph.interop.onnx_import import handler_for, importONNXNetwork  # noqa: E402

DOCS = (Path(__file__).resolve().parents[1] / "docs" / "layers.md").read_text(encoding="utf-8")
BUILTIN = [name for name, cls in LAYERS.items() if is_builtin(cls)]


# ----- the completeness test ------------------------------------------------------------------------------
def test_every_layer_class_is_registered_once() -> None:
    assert len(BUILTIN) == len(set(BUILTIN)) >= 25
    assert set(PROBES) >= set(BUILTIN), f"no record in tests/layer_records.py for {sorted(set(BUILTIN) - set(PROBES))}"
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
    assert name in PROBES, f"tests/layer_records.py: add a record (probe) for {name}"


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
