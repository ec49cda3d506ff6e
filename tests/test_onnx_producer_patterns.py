"""ONNX import of the node patterns producers write (torch.onnx.export of a torch module, or a hand-built graph with
the producer's pattern: tf2onnx, CycleGAN's reflection padding, GELU decompositions, 1-D and grouped convolution),
each against onnxruntime: |got − want| ≤ 1e-4·max(1, max|want|)."""
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


def export(module: nn.Module, x: torch.Tensor, opset: int = 17, dynamic: dict | None = None) -> object:
    """torch.onnx.export (TorchScript exporter) of `module` in eval mode, batch dimension free."""
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (x,), f, input_names=["x"], output_names=["y"], dynamo=False,
                          opset_version=opset, dynamic_axes=dynamic or {"x": {0: "N"}, "y": {0: "N"}})
    return onnx.load_from_string(f.getvalue())


def ort_run(m: object, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def check(m: object, x: np.ndarray, to_net=lambda x: x, from_net=lambda y: y) -> object:
    """Import `m`, run it and onnxruntime on `x`; the network's output (mapped by `from_net`) must match."""
    want = ort_run(m, x)
    net = importNetworkFromONNX(m)
    with torch.no_grad():
        got = from_net(net.predict(torch.from_numpy(to_net(x)).float()).as_subclass(torch.Tensor).numpy())
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4 * max(1.0, float(np.abs(want).max()))
    return net


def types(net: object) -> list[str]:
    return [layer.type for layer in net.Layers]


def rand(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_pytorch_gelu_decomposition_opset17(approximate: str) -> None:
    torch.manual_seed(0)
    m = export(nn.Sequential(nn.Linear(6, 5), nn.GELU(approximate=approximate), nn.Linear(5, 2)), torch.randn(2, 6))
    assert "Erf" in {n.op_type for n in m.graph.node} or "Tanh" in {n.op_type for n in m.graph.node}
    net = check(m, rand(3, 6) * 3)
    gelu = [layer for layer in net.Layers if layer.type == "geluLayer"]
    assert len(gelu) == 1 and gelu[0].Approximation == approximate


def test_gelu_operator_opset20() -> None:
    torch.manual_seed(0)
    m = export(nn.Sequential(nn.Conv2d(2, 3, 3), nn.GELU()), torch.randn(1, 2, 5, 5), opset=20)
    assert "Gelu" in {n.op_type for n in m.graph.node}
    assert "geluLayer" in types(check(m, rand(2, 2, 5, 5)))


class _Signal(nn.Module):
    """A 1-D signal classifier: Conv1d, max pooling, squared activations plus a constant, global average pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(3, 8, 5, padding=2)
        self.pool = nn.MaxPool1d(2)
        self.conv2 = nn.Conv1d(8, 6, 3)
        self.fc = nn.Linear(6, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pool(torch.relu(self.conv(x)))
        y = self.conv2(y) ** 2 + 0.5
        return torch.log_softmax(self.fc(y.mean(-1)), dim=1)


def test_1d_convolution_pooling_pow_scalar_and_log_softmax_any_length() -> None:
    torch.manual_seed(0)
    m = export(_Signal(), torch.randn(2, 3, 32), dynamic={"x": {0: "N", 2: "T"}, "y": {0: "N"}})
    net = check(m, rand(3, 3, 32))
    assert types(net)[:4] == ["sequenceInputLayer", "convolution1dLayer", "reluLayer", "maxPooling1dLayer"]
    assert {"multiplicationLayer", "functionLayer", "globalAveragePooling1dLayer", "softmaxLayer"} <= set(types(net))
    for length in (11, 45):  # sequences of other lengths, as the file allows
        x = rand(2, 3, length)
        want = ort_run(m, x)
        with torch.no_grad():
            got = net.predict(torch.from_numpy(x)).as_subclass(torch.Tensor).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


class _LogOfSoftmax(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.softmax(self.fc(x), dim=1))


def test_log_after_softmax() -> None:
    torch.manual_seed(0)
    m = export(_LogOfSoftmax(), torch.randn(2, 6))
    assert [n.op_type for n in m.graph.node][-2:] == ["Softmax", "Log"]
    net = check(m, rand(3, 6))
    assert types(net)[-2:] == ["softmaxLayer", "functionLayer"] and net.Layers[-1].PredictFcn == "log"


def test_grouped_and_depthwise_convolution_prelu_and_pixel_shuffle() -> None:
    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1, groups=2), nn.PReLU(8),
                           nn.Conv2d(8, 8, 3, stride=2, groups=8), nn.PReLU(), nn.PixelShuffle(2))
    m = export(module, torch.randn(1, 4, 9, 9))
    net = check(m, rand(2, 4, 9, 9))
    assert types(net)[1:] == ["groupedConvolution2dLayer", "preluLayer", "groupedConvolution2dLayer", "preluLayer",
                              "depthToSpace2dLayer"]
    assert net.Layers[3].NumGroups == "channel-wise" and net.Layers[5].Mode == "crd"
    assert net.Layers[1].NumGroups == 2 and len(net.Layers[2].Alpha) == 8


def test_space_to_depth_and_split() -> None:
    """Hand-built as ONNX exporters write them: SpaceToDepth; Split of channels, each part convolved (a
    convolution of some channels: zero weights for the others), Concat."""
    w1, w2 = rand(2, 2, 1, 1), rand(3, 4, 3, 3)
    nodes = [h.make_node("SpaceToDepth", ["x"], ["s"], name="s2d", blocksize=2),
             h.make_node("Split", ["s", "sizes"], ["a", "b"], name="split", axis=1),
             h.make_node("Conv", ["a", "w1"], ["c"], name="conv1"),
             h.make_node("Conv", ["b", "w1"], ["d"], name="conv1b"),
             h.make_node("Concat", ["c", "d"], ["cat"], name="cat", axis=1),
             h.make_node("Conv", ["cat", "w2"], ["y"], name="conv2")]
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 1, 6, 8])],
                         [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 3, 1, 2])],
                         [onnx.numpy_helper.from_array(v, k) for k, v in
                          {"w1": w1, "w2": w2, "sizes": np.int64([2, 2])}.items()])
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)])
    net = check(m, rand(2, 1, 6, 8))
    assert "spaceToDepthLayer" in types(net)


def test_reflection_pad_folds_into_the_next_convolution_as_cyclegan() -> None:
    torch.manual_seed(0)
    module = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(3, 4, 7), nn.ReLU(), nn.ReflectionPad2d(1),
                           nn.Conv2d(4, 2, 3))
    net = check(export(module, torch.randn(1, 3, 10, 12)), rand(2, 3, 10, 12))
    convs = [layer for layer in net.Layers if layer.type == "convolution2dLayer"]
    assert [c.PaddingValue for c in convs] == ["symmetric-exclude-edge"] * 2
    assert [c.Padding for c in convs] == ["same", "same"]


def test_reflection_pad_1d_and_edge_pad() -> None:
    torch.manual_seed(0)
    module = nn.Sequential(nn.ReflectionPad1d(2), nn.Conv1d(2, 3, 5), nn.ReplicationPad1d((1, 0)),
                           nn.Conv1d(3, 3, 2))
    net = check(export(module, torch.randn(1, 2, 16), dynamic={"x": {0: "N", 2: "T"}}), rand(2, 2, 16))
    convs = [layer for layer in net.Layers if layer.type == "convolution1dLayer"]
    assert [c.PaddingValue for c in convs] == ["symmetric-exclude-edge", "replicate"]


def test_tf2onnx_one_channel_nhwc_input_as_reshape_and_nhwc_output() -> None:
    """tf2onnx writes the NHWC → NCHW move of a one-channel input as a Reshape, and transposes the result back."""
    w = rand(4, 1, 3, 3)
    nodes = [h.make_node("Reshape", ["x", "shape"], ["xc"], name="reshape"),
             h.make_node("Conv", ["xc", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             h.make_node("Relu", ["c"], ["r"], name="relu"),
             h.make_node("Transpose", ["r"], ["y"], name="to_nhwc", perm=[0, 2, 3, 1])]
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 6, 5, 1])],
                         [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 6, 5, 4])],
                         [onnx.numpy_helper.from_array(w, "w"),
                          onnx.numpy_helper.from_array(np.int64([-1, 1, 6, 5]), "shape")])
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)])
    net = check(m, rand(2, 6, 5, 1), to_net=lambda x: x.transpose(0, 3, 1, 2),
                from_net=lambda y: y.transpose(0, 2, 3, 1))
    assert net.Layers[0].InputSize == (6, 5, 1)


class _Gesture(nn.Module):
    """An MLP on an N×1×K input (PyTorch's usual unsqueezed features) with a softmax over the last axis."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc1, self.fc2, self.dim = nn.Linear(12, 8), nn.Linear(8, 5), dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=self.dim)


def test_n_by_1_by_k_features_with_softmax_over_the_last_axis() -> None:
    torch.manual_seed(0)
    net = check(export(_Gesture(-1), torch.randn(1, 1, 12)), rand(3, 1, 12), to_net=lambda x: x.reshape(3, -1),
                from_net=lambda y: y.reshape(3, 1, -1))
    assert types(net) == ["featureInputLayer", "fullyConnectedLayer", "reluLayer", "fullyConnectedLayer",
                          "softmaxLayer"]
    # over axis 1, of size 1, every output is 1: refused in one line that says so
    with pytest.raises(ONNXImportError, match="axis 1 of size 1") as err:
        importNetworkFromONNX(export(_Gesture(1), torch.randn(1, 1, 12)))
    assert "\n" not in str(err.value)


def test_unsupported_sequence_rearrangement_is_one_line() -> None:
    m = export(nn.Sequential(nn.Conv1d(2, 3, 3), nn.Flatten()), torch.randn(1, 2, 8),
               dynamic={"x": {0: "N", 2: "T"}})
    with pytest.raises(ONNXImportError, match=r"node .*: .*") as err:
        importNetworkFromONNX(m)
    assert "\n" not in str(err.value)
