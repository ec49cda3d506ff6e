"""The ONNX importer across opsets: attribute defaults come from onnx's operator schemas, and operators whose
inputs or meaning changed between opsets (Softmax's axis, Clip/Pad/Dropout/Split/Squeeze/ReduceMean attributes
that became inputs, Resize in opset 10, Upsample) are read by the handler registered for the model's opset.

Each hand-made graph runs in onnxruntime and through the imported network (rtol 1e-4, atol 1e-5, float32).
"""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import torch

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from layergraph.interop import ONNXImportError, importNetworkFromONNX  # noqa: E402
from layergraph.interop.onnx_import import handler_for  # noqa: E402
from layergraph.interop.onnx_import.ops_norm import instance_normalization  # noqa: E402
from tests.helpers import predict, run_ort  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5
ROOT = Path(__file__).resolve().parents[1]


def model(nodes: list, x_shape: list, inits: dict[str, np.ndarray], opset: int) -> object:
    h = onnx.helper
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", *x_shape])],
                         [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
                         [onnx.numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 7 if opset <= 15 else 9
    return onnx.shape_inference.infer_shapes(m)


def rnd(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)


def node(op: str, ins: list[str], out: str, **attrs: object) -> object:
    return onnx.helper.make_node(op, ins, [out], name=out, **attrs)


def conv(x: str, out: str) -> object:
    return node("Conv", [x, "W"], out)


W = rnd(4, 3, 3, 3)
CASES = {  # name: (nodes, per-sample input shape, initializers, opset, the layer types the import must make)
    # Softmax's default axis: 1 (flattening) before opset 13, -1 from it; on N×C both are over channels
    "softmax-11-default-axis": ([node("Gemm", ["x", "G"], "g"), node("Softmax", ["g"], "y")], [6],
                                {"G": rnd(6, 5)}, 11, {"softmax"}),
    "softmax-13-default-axis": ([node("Gemm", ["x", "G"], "g"), node("Softmax", ["g"], "y")], [6],
                                {"G": rnd(6, 5)}, 13, {"softmax"}),
    "softmax-13-channels-of-images": ([conv("x", "c"), node("Softmax", ["c"], "y", axis=1)], [3, 5, 5],
                                      {"W": W}, 13, {"softmax"}),
    # Clip: min/max attributes before opset 11 (absent max: the largest float32, no bound), inputs after
    "clip-6-max-attribute": ([conv("x", "c"), node("Clip", ["c"], "y", min=0.0, max=0.5)], [3, 5, 5], {"W": W}, 6,
                             {"clippedRelu"}),
    "clip-6-no-max": ([conv("x", "c"), node("Clip", ["c"], "y", min=0.0)], [3, 5, 5], {"W": W}, 6, {"relu"}),
    "clip-11-inputs": ([conv("x", "c"), node("Clip", ["c", "lo", "hi"], "y")], [3, 5, 5],
                       {"W": W, "lo": np.float32(0), "hi": np.float32(0.5)}, 11, {"clippedRelu"}),
    # Pad: pads attribute before opset 11 (value's default 0), input after; taken into the convolution
    "pad-2-attribute": ([node("Pad", ["x"], "p", pads=[0, 0, 1, 2, 0, 0, 2, 1]), conv("p", "y")], [3, 5, 5],
                        {"W": W}, 10, {"convolution2d"}),
    "pad-11-input": ([node("Pad", ["x", "pads"], "p"), conv("p", "y")], [3, 5, 5],
                     {"W": W, "pads": np.int64([0, 0, 1, 2, 0, 0, 2, 1])}, 13, {"convolution2d"}),
    # Dropout: ratio attribute before opset 12 (default 0.5), input after; the identity at inference
    "dropout-10-attribute": ([conv("x", "c"), node("Dropout", ["c"], "y", ratio=0.3)], [3, 5, 5], {"W": W}, 10,
                             {"dropout"}),
    "dropout-13-input": ([conv("x", "c"), node("Dropout", ["c", "r"], "y")], [3, 5, 5],
                         {"W": W, "r": np.float32(0.3)}, 13, {"dropout"}),
    # nearest upsampling by integer factors: Upsample's scales attribute (7) or input (9), Resize in opset 10
    "upsample-7-attribute": ([conv("x", "c"), node("Upsample", ["c"], "y", scales=[1.0, 1.0, 2.0, 3.0])],
                             [3, 4, 4], {"W": W}, 7, {"resize2d"}),
    "upsample-9-input": ([conv("x", "c"), node("Upsample", ["c", "s"], "y")], [3, 4, 4],
                         {"W": W, "s": np.float32([1, 1, 2, 3])}, 9, {"resize2d"}),
    "resize-10": ([conv("x", "c"), node("Resize", ["c", "s"], "y")], [3, 4, 4],
                  {"W": W, "s": np.float32([1, 1, 3, 2])}, 10, {"resize2d"}),
    # Split: sizes as an attribute before opset 13, as an input after; the pieces feed fully connected layers
    "split-11-attribute": ([node("Split", ["x"], "a", axis=1, split=[2, 4]), node("MatMul", ["a", "A"], "ma"),
                            node("MatMul", ["b", "B"], "mb"), node("Add", ["ma", "mb"], "y")], [6],
                           {"A": rnd(2, 3), "B": rnd(4, 3)}, 11, {"fullyConnected", "addition"}),
    "split-13-input": ([node("Split", ["x", "sizes"], "a", axis=1), node("MatMul", ["a", "A"], "ma"),
                        node("MatMul", ["b", "B"], "mb"), node("Add", ["ma", "mb"], "y")], [6],
                       {"sizes": np.int64([2, 4]), "A": rnd(2, 3), "B": rnd(4, 3)}, 13, {"fullyConnected", "addition"}),
    # Unsqueeze/ReduceMean axes: attributes before opsets 13/18, inputs from them
    "unsqueeze-11-attribute": ([node("Gemm", ["x", "G"], "g"), node("Unsqueeze", ["g"], "u", axes=[2, 3]),
                                node("Conv", ["u", "K"], "y")], [6], {"G": rnd(6, 4), "K": rnd(2, 4, 1, 1)}, 11,
                               {"fullyConnected", "convolution2d"}),
    "unsqueeze-13-input": ([node("Gemm", ["x", "G"], "g"), node("Unsqueeze", ["g", "ax"], "u"),
                            node("Conv", ["u", "K"], "y")], [6],
                           {"G": rnd(6, 4), "K": rnd(2, 4, 1, 1), "ax": np.int64([2, 3])}, 13,
                           {"fullyConnected", "convolution2d"}),
    "reducemean-13-attribute": ([conv("x", "c"), node("ReduceMean", ["c"], "y", axes=[2, 3], keepdims=0)],
                                [3, 5, 5], {"W": W}, 13, {"globalAveragePooling2d"}),
    "reducemean-18-input": ([conv("x", "c"), node("ReduceMean", ["c", "ax"], "y", keepdims=0)], [3, 5, 5],
                            {"W": W, "ax": np.int64([2, 3])}, 18, {"globalAveragePooling2d"}),
    # attributes left out take the schema's defaults: LeakyRelu alpha 0.01, BatchNormalization epsilon 1e-5
    "defaults-leakyrelu-batchnorm": ([conv("x", "c"), node("BatchNormalization", ["c", "s", "b", "m", "v"], "n"),
                                      node("LeakyRelu", ["n"], "y")], [3, 5, 5],
                                     {"W": W, "s": rnd(4), "b": rnd(4), "m": rnd(4), "v": np.float32([0.5, 1, 2, 4])},
                                     13, {"batchNormalization", "leakyRelu"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_operator_imports_at_its_opset_like_onnxruntime(case: str) -> None:
    nodes, shape, inits, opset, kinds = CASES[case]
    if case.startswith("split"):  # two outputs
        nodes[0] = onnx.helper.make_node("Split", nodes[0].input, ["a", "b"], name="split",
                                         **{a.name: onnx.helper.get_attribute_value(a) for a in nodes[0].attribute})
    m = model(nodes, shape, inits, opset)
    net = importNetworkFromONNX(m)
    types = {type(layer).matlab_name().removesuffix("Layer") for layer in net.Layers}
    assert kinds <= types, f"{case}: made {sorted(types)}"
    x = torch.randn(3, *shape)
    want = run_ort(m, ["x"], [x])[0]
    got = predict(net, [x])[0]
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=RTOL, atol=ATOL)


def test_defaults_read_from_the_schema_reach_the_layers() -> None:
    """LeakyRelu without alpha is MATLAB's Scale 0.01 and BatchNormalization without epsilon Epsilon 1e-5, as
    onnx's schemas give them (not values typed into the importer)."""
    nodes, shape, inits, opset, _ = CASES["defaults-leakyrelu-batchnorm"]
    net = importNetworkFromONNX(model(nodes, shape, inits, opset))
    by_type = {type(layer).matlab_name(): layer for layer in net.Layers}
    schema = {op: onnx.defs.get_schema(op, opset).attributes for op in ("LeakyRelu", "BatchNormalization")}
    assert by_type["leakyReluLayer"].Scale == pytest.approx(schema["LeakyRelu"]["alpha"].default_value.f)
    assert by_type["batchNormalizationLayer"].Epsilon == pytest.approx(
        schema["BatchNormalization"]["epsilon"].default_value.f)


def test_softmax_before_opset_13_over_images_is_refused() -> None:
    """Before opset 13 Softmax(axis=1) of N×C×H×W works over C·H·W at once: no softmaxLayer does that."""
    m = model([conv("x", "c"), node("Softmax", ["c"], "y", axis=1)], [3, 5, 5], {"W": W}, 11)
    with pytest.raises(ONNXImportError, match="softmax over axis 1"):
        importNetworkFromONNX(m)


@pytest.mark.parametrize(("op", "old", "new"), [("Softmax", 11, 13), ("Clip", 10, 11), ("Pad", 10, 11),
                                               ("Dropout", 11, 12), ("Split", 12, 13), ("Upsample", 8, 9)])
def test_the_handler_is_chosen_by_the_models_opset(op: str, old: int, new: int) -> None:
    assert handler_for(op, old) is not handler_for(op, new)
    assert handler_for(op, new) is handler_for(op, new + 5) and handler_for(op, None) is handler_for(op, 99)


def test_contributing_shows_a_real_handler() -> None:
    """CONTRIBUTING.md's importer example is the code of ops_norm.instance_normalization, letter for letter."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text[text.index("## Add an ONNX operator to the importer"):]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert snippet.rstrip() == inspect.getsource(instance_normalization).rstrip()
