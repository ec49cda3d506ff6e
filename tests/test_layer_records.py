"""Generic checks over every layer record (tests/layer_records.py): each registered built-in layer has a
record; its numpy reference test exists and exercises it; its spec round trip, pickling and backward pass
work on the probe; the option values MATLAB refuses raise the stated one-line error; and its ONNX status is
the one its class declares (tests/test_onnx_roundtrip.py checks the round trip itself).
"""
from __future__ import annotations

import ast
import math
import pickle
import re
from functools import cache
from pathlib import Path

import pytest
import torch

import layergraph as lg
from layergraph.errors import OptionError
from layergraph.layers import LAYER_CLASSES
from layergraph.layers.base import is_builtin
from layergraph.spec import graph_from_data, load_spec, save_spec, spec_data
from tests.layer_records import BY_NAME, RECORDS, batch, probe_network

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = [cls.matlab_name() for cls in LAYER_CLASSES if is_builtin(cls)]
NAMES = [r.name for r in RECORDS]


def test_every_registered_layer_has_a_record() -> None:
    missing = [name for name in BUILTIN if name not in BY_NAME]
    assert not missing, f"tests/layer_records.py has no record for these registered layers: {missing}"
    assert len(NAMES) == len(set(NAMES)), "tests/layer_records.py: a layer has two records"
    assert not set(NAMES) - set(BUILTIN), f"records for unregistered layers: {sorted(set(NAMES) - set(BUILTIN))}"


@cache
def _test_functions(path: str) -> dict[str, str]:
    """test name → its source (decorators included) in tests file `path`."""
    text = (ROOT / path).read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.splitlines()
    return {n.name: "\n".join(lines[(n.decorator_list[0].lineno if n.decorator_list else n.lineno) - 1:n.end_lineno])
            for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


@pytest.mark.parametrize("name", NAMES)
def test_reference_test_exists_and_builds_the_layer(name: str) -> None:
    ref = BY_NAME[name].reference
    if ref is None:
        assert name in ("classificationLayer", "regressionLayer"), f"{name}: give its numpy reference test"
        return  # output layers: their losses are checked in tests/test_dlfun_losses.py / training tests
    path, _, test = ref.partition("::")
    functions = _test_functions(path)
    assert test in functions, f"{name}: reference {ref} does not exist"
    assert re.search(rf"\b{name}\b", functions[test]), f"{name}: {ref} does not use {name}"


@pytest.mark.parametrize("name", NAMES)
def test_spec_round_trip_gives_the_same_layer(name: str, tmp_path: Path) -> None:
    graph = probe_network(name)
    original = graph.layer("probe")
    back = graph_from_data(spec_data(graph)).layer("probe")
    assert type(back) is type(original) and back.model_dump() == original.model_dump()
    save_spec(graph, tmp_path / "probe.yaml")
    again = load_spec(tmp_path / "probe.yaml").layer("probe")
    assert type(again) is type(original) and again.model_dump() == original.model_dump()


@pytest.mark.parametrize("name", NAMES)
def test_pickling_gives_the_same_layer(name: str) -> None:
    layer = BY_NAME[name].make()
    back = pickle.loads(pickle.dumps(layer))
    assert type(back) is type(layer) and back == layer and back.model_dump() == layer.model_dump()


@pytest.mark.parametrize("name", NAMES)
def test_backward_gives_finite_gradients_for_every_learnable_and_input(name: str) -> None:
    record = BY_NAME[name]
    layer = record.make()
    if layer.is_input or name in ("classificationLayer", "regressionLayer"):
        return  # nothing learnable; output layers are not part of a dlnetwork (MATLAB refuses them too)
    torch.manual_seed(0)
    net = lg.dlnetwork(probe_network(name))
    # no gradient for class indices (embedding), crop2dLayer's size reference 'ref', or the inputs of the position
    # layers, whose outputs depend on the positions alone (MATLAB's positionEmbeddingLayer does not add its input)
    value_free = name in ("embeddingLayer", "wordEmbeddingLayer", "positionEmbeddingLayer",
                          "sinusoidalPositionEncodingLayer")
    xs = [batch(a, layer).requires_grad_(not value_free and port != "ref")
          for a, port in zip(record.inputs, layer.input_names, strict=True)]
    learn = [t for key, t in net.tensors().items() if key.startswith("probe/") and t.requires_grad]
    assert len(learn) == len(layer.learnables(record.inputs)), name
    if not learn and not any(x.requires_grad for x in xs):
        return  # sinusoidalPositionEncodingLayer: a fixed table of the positions, nothing to differentiate
    out = net.forward(*xs)
    out = out.as_subclass(torch.Tensor)
    loss = (out * torch.randn(out.shape)).sum()  # weighted: a plain sum is constant through softmax
    assert loss.requires_grad, f"{name}: the output does not depend on the inputs or learnables"
    loss.backward()
    for t in learn + [x for x in xs if x.requires_grad]:
        assert t.grad is not None and torch.isfinite(t.grad).all(), name
        assert t.grad.abs().sum() > 0, f"{name}: a learnable or input gets a zero gradient"


CASES = [(r.name, i) for r in RECORDS for i in range(len(r.errors))]


@pytest.mark.parametrize(("name", "i"), CASES)
def test_refused_options_raise_the_stated_error(name: str, i: int) -> None:
    call, text = BY_NAME[name].errors[i]
    with pytest.raises(OptionError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message and message.startswith(text), message


def test_every_record_has_an_error_case() -> None:
    assert [r.name for r in RECORDS if not r.errors] == []


@pytest.mark.parametrize("name", NAMES)
def test_onnx_status_is_declared(name: str) -> None:
    status = BY_NAME[name].onnx
    assert status == "back" or re.fullmatch(r"(none|not back|back from opset \d+; before): .{10,}", status), \
        f"{name}: {status}"


def test_onnx_status_counts() -> None:
    """Most layers come back from ONNX as themselves (the figure the issue tracks)."""
    back = [r.name for r in RECORDS if r.onnx == "back"]
    assert len(back) >= math.ceil(0.7 * len(RECORDS)), (len(back), len(RECORDS))
