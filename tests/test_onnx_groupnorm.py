"""ONNX import of group normalization as groupNormalizationLayer: torch.nn.GroupNorm exported by torch.onnx (the
TorchScript exporter and dynamo, opsets 17/18/21: Reshape → InstanceNormalization → Reshape → Mul → Add before
opset 21, GroupNormalization from 21), and hand-built GroupNormalization nodes at opset 18 (scale and bias per
group) and 21 (per channel). Each is checked against onnxruntime and, for torch's files, against the torch module
itself: atol 1e-5."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import torch
from torch import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from layergraph.interop import ONNXImportError, importNetworkFromONNX  # noqa: E402

h = onnx.helper
ATOL = 1e-5


def _module(conv: type, groups: int = 3) -> nn.Module:
    """Conv → GroupNorm(groups, 6) → ReLU with random weights, GroupNorm's scale and bias included."""
    torch.manual_seed(0)
    m = nn.Sequential(conv(3, 6, 3), nn.GroupNorm(groups, 6, eps=1e-4), nn.ReLU())
    with torch.no_grad():
        m[1].weight.copy_(torch.randn(6))
        m[1].bias.copy_(torch.randn(6))
    return m.eval()


def _export(m: nn.Module, x: torch.Tensor, opset: int, dynamo: bool, free: tuple[int, ...] = (0,)) -> object:
    """torch.onnx.export of `m` at `opset`; the TorchScript exporter leaves axes `free` (0: the batch) free."""
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            pytest.importorskip("onnxscript")
            prog = torch.onnx.export(m, (x,), input_names=["x"], output_names=["y"], dynamo=True,
                                     opset_version=opset, verbose=False)
            return prog.model_proto
        torch.onnx.export(m, (x,), f, input_names=["x"], output_names=["y"], dynamo=False, opset_version=opset,
                          dynamic_axes={v: {i: f"d{i}" for i in free} for v in ("x", "y")})
    return onnx.load_from_string(f.getvalue())


def _ort(m: object, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def _imported(m: object, x: np.ndarray) -> tuple[object, np.ndarray]:
    net = importNetworkFromONNX(m)
    with torch.no_grad():
        return net, net.predict(torch.from_numpy(x)).as_subclass(torch.Tensor).numpy()


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize("opset", [17, 18, 21])
def test_torch_groupnorm_imports_as_group_normalization_layer(opset: int, dynamo: bool) -> None:
    m = _module(nn.Conv2d)
    x = torch.randn(2, 3, 7, 6)
    model = _export(m, x, opset, dynamo)
    ops = [n.op_type for n in model.graph.node]
    assert ("GroupNormalization" in ops) == (opset >= 21 and dynamo) or "InstanceNormalization" in ops
    xs = x if dynamo else torch.randn(4, 3, 7, 6)  # the dynamo file fixes the batch in its Reshape
    net, got = _imported(model, xs.numpy())
    assert [layer.type for layer in net.Layers] == ["imageInputLayer", "convolution2dLayer",
                                                    "groupNormalizationLayer", "reluLayer"]
    gn = net.Layers[2]
    assert gn.NumGroups == 3 and np.isclose(gn.Epsilon, 1e-4)
    with torch.no_grad():
        want = m(xs).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)
    np.testing.assert_allclose(got, _ort(model, xs.numpy()), rtol=0, atol=ATOL)


def test_torch_groupnorm_on_sequences_imports_as_group_normalization_layer() -> None:
    m = _module(nn.Conv1d, groups=2)
    model = _export(m, torch.randn(2, 3, 9), 17, dynamo=False, free=(0, 2))
    x = torch.randn(3, 3, 11)  # another batch size and length
    net, got = _imported(model, x.numpy())
    assert [layer.type for layer in net.Layers][:3] == ["sequenceInputLayer", "convolution1dLayer",
                                                        "groupNormalizationLayer"]
    with torch.no_grad():
        np.testing.assert_allclose(got, m(x).numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(got, _ort(model, x.numpy()), rtol=0, atol=ATOL)


def _group_norm_graph(opset: int, scale: np.ndarray, bias: np.ndarray, groups: int, c: int = 6) -> object:
    """x (N×c×5×4) → GroupNormalization(num_groups, epsilon 1e-3) → y, at `opset`."""
    inits = [onnx.numpy_helper.from_array(scale.astype(np.float32), "scale"),
             onnx.numpy_helper.from_array(bias.astype(np.float32), "bias")]
    node = h.make_node("GroupNormalization", ["x", "scale", "bias"], ["y"], name="gn", num_groups=groups,
                       epsilon=1e-3)
    graph = h.make_graph([node], "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", c, 5, 4])],
                         [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", c, 5, 4])], inits)
    return h.make_model(graph, opset_imports=[h.make_opsetid("", opset)], ir_version=10)


def _numpy_group_norm(x: np.ndarray, groups: int, scale: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """The group normalization formula, scale and bias per channel."""
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1).astype(np.float64)
    xhat = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps)).reshape(x.shape)
    view = (1, c) + (1,) * (x.ndim - 2)
    return xhat * scale.reshape(view) + bias.reshape(view)


@pytest.mark.parametrize("opset", [18, 21])
def test_group_normalization_operator_per_group_at_18_per_channel_at_21(opset: int) -> None:
    rng = np.random.default_rng(opset)
    groups = 2
    size = groups if opset < 21 else 6
    scale, bias = rng.standard_normal(size), rng.standard_normal(size)
    model = _group_norm_graph(opset, scale, bias, groups)
    x = rng.standard_normal((3, 6, 5, 4)).astype(np.float32)
    net, got = _imported(model, x)
    assert [layer.type for layer in net.Layers] == ["imageInputLayer", "groupNormalizationLayer"]
    per_channel = (np.repeat(scale, 3), np.repeat(bias, 3)) if opset < 21 else (scale, bias)
    np.testing.assert_allclose(got, _numpy_group_norm(x, groups, *per_channel, 1e-3), rtol=0, atol=ATOL)
    np.testing.assert_allclose(got, _ort(model, x), rtol=0, atol=ATOL)


def test_group_normalization_with_channels_not_divisible_is_refused() -> None:
    model = _group_norm_graph(21, np.ones(6), np.zeros(6), groups=4)
    with pytest.raises(ONNXImportError, match=r"node 'gn' \(GroupNormalization\): 6 channels do not divide"):
        importNetworkFromONNX(model)


def test_decomposition_with_a_mul_varying_over_positions_is_refused() -> None:
    """torch's opset-17 form whose Mul constant is not per channel is not groupNormalizationLayer."""
    model = _export(_module(nn.Conv2d), torch.randn(2, 3, 7, 6), 17, dynamo=False)
    mul = next(n for n in model.graph.node if n.op_type == "Mul")
    init = next(i for i in model.graph.initializer if i.name in mul.input)
    init.CopyFrom(onnx.numpy_helper.from_array(np.random.default_rng(0).standard_normal((6, 5, 4))
                                               .astype(np.float32), init.name))
    with pytest.raises(ONNXImportError, match="not one constant per channel"):
        importNetworkFromONNX(model)
