"""ONNX LSTM/GRU: lstmLayer, bilstmLayer and gruLayer exported and run by onnxruntime, imported back, and
PyTorch's own exports of nn.LSTM/nn.GRU imported and compared with the PyTorch module."""
from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.interop.onnx_export import ONNXExportError, onnx_model

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from layergraph.interop.onnx_import import ONNXImportError  # noqa: E402

VARIANTS: list[tuple[str, Callable[[], lg.Layer]]] = [
    ("lstm", lambda: lg.lstmLayer(4, Name="r")),
    ("lstm-last-softsign-hard", lambda: lg.lstmLayer(4, OutputMode="last", StateActivationFunction="softsign",
                                                     GateActivationFunction="hard-sigmoid", Name="r")),
    ("bilstm", lambda: lg.bilstmLayer(3, Name="r")),
    ("bilstm-last", lambda: lg.bilstmLayer(3, OutputMode="last", Name="r")),
    ("gru", lambda: lg.gruLayer(4, Name="r")),
    ("gru-before", lambda: lg.gruLayer(4, ResetGateMode="before-multiplication", Name="r")),
    ("gru-recurrent-bias-relu", lambda: lg.gruLayer(4, ResetGateMode="recurrent-bias-after-multiplication",
                                                    StateActivationFunction="relu", Name="r")),
]


def _random_net(layer: lg.Layer, c: int = 3, seed: int = 0) -> lg.dlnetwork:
    net = lg.dlnetwork([lg.sequenceInputLayer(c, Name="x"), layer])
    rng = np.random.default_rng(seed)
    for lay, par, _, shape in net._learn_rows:
        net.setLearnable(lay, par, rng.normal(0, 0.6, shape))
    return net


@pytest.mark.parametrize("make", [v[1] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_export_runs_in_onnxruntime_and_imports_back(make: Callable[[], lg.Layer]) -> None:
    net = _random_net(make())
    X = np.random.default_rng(1).normal(0, 1, (3, 2, 6)).astype(np.float32)  # C×N×T
    want = lg.extractdata(lg.predict(net, lg.dlarray(X, "CBT"))).numpy()
    model = onnx_model(net)
    got = ort.InferenceSession(model.SerializeToString()).run(None, {"x": X.transpose(1, 0, 2)})[0]  # N×C(×T)
    np.testing.assert_allclose(got, want.transpose(1, 0, 2) if want.ndim == 3 else want.T, atol=1e-5)
    back = lg.importNetworkFromONNX(model)
    original, layer = net.Layers[1], back.Layers[1]
    assert type(layer) is type(original)
    assert layer.model_dump(exclude={"Name"}) == original.model_dump(exclude={"Name"})
    for par in ("InputWeights", "RecurrentWeights", "Bias"):  # MATLAB's gate order comes back
        np.testing.assert_allclose(back.getLearnable(back.Layers[1].Name, par), net.getLearnable("r", par),
                                   atol=1e-6)
    # a different length than the exported example: the time axis is free
    X2 = np.random.default_rng(2).normal(0, 1, (3, 4, 9)).astype(np.float32)
    np.testing.assert_allclose(lg.extractdata(lg.predict(back, lg.dlarray(X2, "CBT"))).numpy(),
                               lg.extractdata(lg.predict(net, lg.dlarray(X2, "CBT"))).numpy(), atol=1e-6)


class _Torch(torch.nn.Module):
    """An nn.LSTM/GRU (batch first) followed by a Linear on the last time step, or the whole output."""

    def __init__(self, kind: str, bidirectional: bool, last: bool) -> None:
        super().__init__()
        self.rnn = getattr(torch.nn, kind)(3, 5, batch_first=True, bidirectional=bidirectional)
        self.fc = torch.nn.Linear(5 * (2 if bidirectional else 1), 2)
        self.last = last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.rnn(x)
        return self.fc(y[:, -1, :]) if self.last else y


def _torch_onnx(m: torch.nn.Module, x: torch.Tensor, dynamo: bool) -> object:
    """torch.onnx.export's TorchScript exporter (dynamo=False) or its default torch.export one (static sizes)."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        if dynamo:
            return torch.onnx.export(m, (x,), dynamo=True).model_proto
        f = io.BytesIO()
        torch.onnx.export(m, (x,), f, dynamo=False, input_names=["x"], output_names=["y"])
    return onnx.load_from_string(f.getvalue())


# every case through the TorchScript exporter; two through the (slower, seconds each) dynamo exporter
@pytest.mark.parametrize("kind,bidirectional,last,dynamo", [
    ("LSTM", False, True, False), ("GRU", False, True, False), ("LSTM", True, True, False),
    ("LSTM", True, False, False), ("GRU", False, False, False), ("LSTM", False, True, True),
    ("LSTM", True, False, True)])
def test_pytorch_exports_import_and_match_pytorch(kind: str, bidirectional: bool, last: bool, dynamo: bool) -> None:
    torch.manual_seed(0)
    m = _Torch(kind, bidirectional, last).eval()
    x = torch.randn(2, 7, 3)
    net = lg.importNetworkFromONNX(_torch_onnx(m, x, dynamo))
    want_types = {"LSTM": "bilstmLayer" if bidirectional else "lstmLayer", "GRU": "gruLayer"}[kind]
    assert [layer.type for layer in net.Layers][:2] == ["sequenceInputLayer", want_types]
    if kind == "GRU":  # torch's GRU has a recurrent bias on the candidate: MATLAB's recurrent-bias mode
        assert net.Layers[1].ResetGateMode == "recurrent-bias-after-multiplication"
    x2 = torch.randn(3, 5, 3)  # another batch size and length
    got = lg.extractdata(lg.predict(net, lg.dlarray(x2.permute(2, 0, 1), "CBT"))).numpy()
    with torch.no_grad():
        want = m(x2).numpy()
    np.testing.assert_allclose(got, want.T if last else want.transpose(2, 0, 1), atol=1e-5)


def test_export_refuses_what_onnx_cannot_hold() -> None:
    ports = lg.layerGraph([lg.sequenceInputLayer(3, Name="x"), lg.lstmLayer(4, HasStateOutputs=True, Name="l")])
    with pytest.raises(ONNXExportError, match="state inputs or outputs"):
        onnx_model(lg.dlnetwork(ports))
    net = _random_net(lg.lstmLayer(4, Name="r"))
    _, state = lg.forward(net, lg.dlarray(np.ones((3, 2, 4), np.float32), "CBT"))
    net.State = state
    with pytest.raises(ONNXExportError, match=r"states of 2 observations.*resetState"):
        onnx_model(net)
    onnx_model(lg.resetState(net))


@pytest.mark.parametrize("make", [lambda: lg.lstmLayer(3, HiddenState=[0.5, -1, 0.2], CellState=[1, 0, -0.5],
                                                       Name="r"),
                                  lambda: lg.bilstmLayer(2, OutputMode="last", HiddenState=[0.3, -0.2, 0.1, 0.4],
                                                         Name="r"),
                                  lambda: lg.gruLayer(3, HiddenState=[0.2, 0.1, -0.3], Name="r")],
                         ids=["lstm", "bilstm", "gru"])
def test_initial_states_go_through_onnx(make: Callable[[], lg.Layer]) -> None:
    """Non-zero initial states (the HiddenState/CellState options) are ONNX's initial_h/initial_c, spread over
    the batch; onnxruntime gives our numbers and the import gives the options back."""
    net = _random_net(make())
    X = np.random.default_rng(1).normal(0, 1, (3, 4, 5)).astype(np.float32)
    want = lg.extractdata(lg.predict(net, lg.dlarray(X, "CBT"))).numpy()
    model = onnx_model(net)
    got = ort.InferenceSession(model.SerializeToString()).run(None, {"x": X.transpose(1, 0, 2)})[0]
    np.testing.assert_allclose(got, want.transpose(1, 0, 2) if want.ndim == 3 else want.T, atol=1e-5)
    back = lg.importNetworkFromONNX(model)
    assert back.Layers[1].model_dump(exclude={"Name"}) == net.Layers[1].model_dump(exclude={"Name"})
    np.testing.assert_allclose(lg.extractdata(lg.predict(back, lg.dlarray(X, "CBT"))).numpy(), want, atol=1e-6)


def test_import_refuses_what_matlab_has_no_layer_for() -> None:
    model = onnx_model(_random_net(lg.lstmLayer(4, Name="r")))
    node = next(n for n in model.graph.node if n.op_type == "LSTM")
    for a in node.attribute:
        if a.name == "direction":
            a.s = b"reverse"
    with pytest.raises(ONNXImportError, match="reverse LSTM has no MATLAB layer"):
        lg.importNetworkFromONNX(model)
    model = onnx_model(_random_net(lg.gruLayer(4, Name="r")))
    node = next(n for n in model.graph.node if n.op_type == "GRU")
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.array([6, 6], np.int32), "lens"))
    node.input.extend(["lens"])  # sequence_lens
    with pytest.raises(ONNXImportError, match="do not mask"):
        lg.importNetworkFromONNX(model)
