"""lstmProjectedLayer: numbers against numpy written from MATLAB's documented projection (W·x becomes
W'·(Qᵀ·x) with W' = W·Q stored) and against torch.nn.LSTM(proj_size=…) with the same weights; learnable and
state sizes, defaults, the state flow through forward, and the refused ONNX export."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import LayergraphError
from tests.test_recurrent import _randomize, _x

H, PO, PI, C = 5, 2, 3, 4  # hidden units, output projector size, input projector size, input channels


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def np_lstm_projected(X: np.ndarray, p: dict[str, np.ndarray], h: np.ndarray,
                      c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X: C×N×T. Each step projects first (Qᵢᵀx, Qₒᵀh), then multiplies by the stored 4H-row weights; the
    gates come in MATLAB's order input, forget, cell candidate, output; the output is the full hidden state."""
    W, R, b = p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0]
    Qi, Qo = p["InputProjector"], p["OutputProjector"]
    Y = np.zeros((H, X.shape[1], X.shape[2]))
    for t in range(X.shape[2]):
        z = W @ (Qi.T @ X[:, :, t]) + R @ (Qo.T @ h) + b[:, None]
        i, f, g, o = _sig(z[:H]), _sig(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), _sig(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        Y[:, :, t] = h
    return Y, h, c


def _net(**opts: object) -> lg.dlnetwork:
    return lg.dlnetwork([lg.sequenceInputLayer(C, Name="in"), lg.lstmProjectedLayer(H, PO, PI, Name="p", **opts)])


def test_lstm_projected_is_matlabs_projected_equations() -> None:
    net = lg.dlnetwork([lg.sequenceInputLayer(C, Name="in"), lg.lstmProjectedLayer(H, PO, PI, Name="p")])
    p = _randomize(net, "p")
    X = _x(C, 2, 6).astype(np.float64)
    Y = lg.predict(net, lg.dlarray(X.astype(np.float32), "CBT"))
    want, _, _ = np_lstm_projected(X, p, np.zeros((H, 2)), np.zeros((H, 2)))
    assert Y.fmt == "CBT" and tuple(lg.extractdata(Y).shape) == (H, 2, 6)  # the output keeps NumHiddenUnits channels
    np.testing.assert_allclose(lg.extractdata(Y).numpy(), want, atol=2e-5)
    last = lg.dlnetwork([lg.sequenceInputLayer(C), lg.lstmProjectedLayer(H, PO, PI, OutputMode="last", Name="p")])
    for name, value in p.items():
        last.setLearnable("p", name, value)
    Y = lg.predict(last, lg.dlarray(X.astype(np.float32), "CBT"))
    assert Y.fmt == "CB"
    np.testing.assert_allclose(lg.extractdata(Y).numpy(), want[:, :, -1], atol=2e-5)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_lstm_projected_equals_torch_lstm_with_proj_size() -> None:
    """torch's proj_size LSTM feeds W_hr·h back and outputs it: with W_hr = Qₒᵀ, weight_hh = RecurrentWeights
    and weight_ih = InputWeights·Qᵢᵀ its recurrence is MATLAB's, and its output is Qₒᵀ times MATLAB's."""
    net = _net()
    p = _randomize(net, "p", seed=3)
    X = _x(C, 3, 7)
    ref = torch.nn.LSTM(C, H, batch_first=True, proj_size=PO)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(p["InputWeights"] @ p["InputProjector"].T))
        ref.weight_hh_l0.copy_(torch.from_numpy(p["RecurrentWeights"]))
        ref.weight_hr_l0.copy_(torch.from_numpy(p["OutputProjector"].T.copy()))
        ref.bias_ih_l0.copy_(torch.from_numpy(p["Bias"][:, 0]))
        ref.bias_hh_l0.zero_()
        y_ref, (_, c_ref) = ref(torch.from_numpy(X).permute(1, 2, 0))
    Y, state = lg.forward(net, lg.dlarray(X, "CBT"))
    got = np.einsum("hp,hnt->pnt", p["OutputProjector"], lg.extractdata(Y).numpy())
    np.testing.assert_allclose(got, y_ref.permute(2, 0, 1).numpy(), atol=1e-5)
    cell = dict(zip(state.Parameter, state.Value))["CellState"]
    np.testing.assert_allclose(np.asarray(cell), c_ref[0].T.numpy(), atol=1e-5)


def test_lstm_projected_state_flows_through_forward() -> None:
    net = _net()
    p = _randomize(net, "p", seed=5)
    X = _x(C, 2, 5).astype(np.float64)
    Y1, state = lg.forward(net, lg.dlarray(X[:, :, :2].astype(np.float32), "CBT"))
    assert [tuple(v.shape) for v in state.Value] == [(H, 2), (H, 2)]  # HiddenState, CellState: H×N
    net.State = state
    Y2, _ = lg.forward(net, lg.dlarray(X[:, :, 2:].astype(np.float32), "CBT"))
    want, _, _ = np_lstm_projected(X, p, np.zeros((H, 2)), np.zeros((H, 2)))
    got = np.concatenate([lg.extractdata(Y1).numpy(), lg.extractdata(Y2).numpy()], 2)
    np.testing.assert_allclose(got, want, atol=2e-5)
    _, h2, c2 = np_lstm_projected(X[:, :, :2], p, np.zeros((H, 2)), np.zeros((H, 2)))
    np.testing.assert_allclose(net.getLearnable("p", "HiddenState"), h2, atol=2e-5)  # net.State after call 1
    np.testing.assert_allclose(net.getLearnable("p", "CellState"), c2, atol=2e-5)
    assert (lg.resetState(net).getLearnable("p", "HiddenState") == 0).all()


def test_lstm_projected_sizes_defaults_and_description() -> None:
    layer = lg.lstmProjectedLayer(H, PO, PI)
    net = _net()
    sizes = {(r[1]): tuple(r[3]) for r in net._learn_rows if r[0] == "p"}
    assert sizes == {"InputWeights": (4 * H, PI), "RecurrentWeights": (4 * H, PO), "Bias": (4 * H, 1),
                     "InputProjector": (C, PI), "OutputProjector": (H, PO)}
    assert (layer.OutputMode, layer.StateActivationFunction, layer.GateActivationFunction) == \
        ("sequence", "tanh", "sigmoid")
    assert (layer.InputWeightsInitializer, layer.RecurrentWeightsInitializer, layer.BiasInitializer,
            layer.InputProjectorInitializer, layer.OutputProjectorInitializer) == \
        ("glorot", "orthogonal", "unit-forget-gate", "orthogonal", "orthogonal")
    bias = net.getLearnable("p", "Bias")[:, 0]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(H), np.ones(H), np.zeros(2 * H)])  # unit forget gate
    for name in ("InputProjector", "OutputProjector"):  # orthogonal: orthonormal columns (tall matrices)
        q = net.getLearnable("p", name).astype(np.float64)
        np.testing.assert_allclose(q.T @ q, np.eye(q.shape[1]), atol=1e-5)
    assert layer.description() == (f"Projected LSTM with {H} hidden units, output projector size {PO}, and input "
                                   f"projector size {PI}")
    assert (layer.BiasL2Factor, layer.InputProjectorL2Factor, layer.OutputProjectorLearnRateFactor) == (0, 1, 1)


def test_lstm_projected_bad_options_and_onnx_export_name_the_problem() -> None:
    with pytest.raises(LayergraphError, match="OutputProjectorSize"):
        lg.lstmProjectedLayer(4, 0, 2)
    with pytest.raises(LayergraphError, match="lstmProjectedLayer"):
        lg.lstmProjectedLayer(4, 2)  # all three sizes are required
    with pytest.raises(LayergraphError, match="expects input size 3 but got 4 channels"):
        lg.dlnetwork([lg.sequenceInputLayer(4), lg.lstmProjectedLayer(4, 2, 2, InputSize=3)])
    pytest.importorskip("onnx")
    from layergraph.interop.onnx_export import ONNXExportError, onnx_model

    graph = lg.layerGraph([lg.sequenceInputLayer(C, Name="in"), lg.lstmProjectedLayer(H, PO, PI, Name="p")])
    with pytest.raises(ONNXExportError, match="LSTM operator has no input or output projector"):
        onnx_model(graph)


def test_lstm_projected_state_ports_and_factors() -> None:
    """HasStateInputs/HasStateOutputs as lstmLayer (H values per observation); the projector factors."""
    layer = lg.lstmProjectedLayer(H, PO, PI, HasStateInputs=True, HasStateOutputs=True, Name="p",
                                  InputProjectorLearnRateFactor=2, OutputProjectorL2Factor=0.5)
    assert layer.factor("LearnRate", "InputProjector") == 2 and layer.factor("L2", "OutputProjector") == 0.5
    lgraph = lg.layerGraph([lg.sequenceInputLayer(C, Name="x"), layer])
    for name, port in (("h", "hidden"), ("c", "cell")):
        lgraph = lg.connectLayers(lg.addLayers(lgraph, lg.featureInputLayer(H, Name=name)), name, f"p/{port}")
    net = lg.dlnetwork(lgraph)
    p = _randomize(net, "p", seed=6)
    X = _x(C, 2, 4)
    H0, C0 = np.random.default_rng(7).normal(0, 1, (2, H, 2)).astype(np.float32)
    y, h, c = lg.predict(net, lg.dlarray(X, "CBT"), lg.dlarray(H0, "CB"), lg.dlarray(C0, "CB"))
    want, wh, wc = np_lstm_projected(X.astype(np.float64), p, H0.astype(np.float64), C0.astype(np.float64))
    np.testing.assert_allclose(lg.extractdata(y).numpy(), want, atol=2e-5)
    np.testing.assert_allclose(lg.extractdata(h).numpy(), wh, atol=2e-5)
    np.testing.assert_allclose(lg.extractdata(c).numpy(), wc, atol=2e-5)


# ----- gruProjectedLayer ---------------------------------------------------------------------------------------
def np_gru_projected(X: np.ndarray, p: dict[str, np.ndarray], mode: str) -> np.ndarray:
    """gruLayer's equations (rows reset, update, candidate) with every product projected first: Qᵢᵀ·x and
    Qₒᵀ·h (Qₒᵀ·(r⊙h) where the reset gate acts before the recurrent product)."""
    W, R, b = p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0]
    Qi, Qo = p["InputProjector"], p["OutputProjector"]
    bw, br = (b[:3 * H], b[3 * H:]) if b.shape[0] == 6 * H else (b, np.zeros(3 * H))
    h = np.zeros((H, X.shape[1]))
    Y = np.zeros((H, X.shape[1], X.shape[2]))
    for t in range(X.shape[2]):
        xi, ho = Qi.T @ X[:, :, t], Qo.T @ h
        r = _sig(W[:H] @ xi + bw[:H, None] + R[:H] @ ho + br[:H, None])
        z = _sig(W[H:2 * H] @ xi + bw[H:2 * H, None] + R[H:2 * H] @ ho + br[H:2 * H, None])
        if mode == "before-multiplication":
            cand = np.tanh(W[2 * H:] @ xi + bw[2 * H:, None] + R[2 * H:] @ (Qo.T @ (r * h)))
        else:
            cand = np.tanh(W[2 * H:] @ xi + bw[2 * H:, None] + r * (R[2 * H:] @ ho + br[2 * H:, None]))
        h = (1 - z) * cand + z * h
        Y[:, :, t] = h
    return Y


@pytest.mark.parametrize("mode", ["after-multiplication", "before-multiplication",
                                  "recurrent-bias-after-multiplication"])
def test_gru_projected_is_matlabs_projected_equations(mode: str) -> None:
    net = lg.dlnetwork([lg.sequenceInputLayer(C), lg.gruProjectedLayer(H, PO, PI, ResetGateMode=mode, Name="g")])
    p = _randomize(net, "g", seed=2)
    assert p["Bias"].shape == ((6 * H, 1) if mode.startswith("recurrent") else (3 * H, 1))
    X = _x(C, 2, 6)
    Y, state = lg.forward(net, lg.dlarray(X, "CBT"))
    want = np_gru_projected(X.astype(np.float64), p, mode)
    np.testing.assert_allclose(lg.extractdata(Y).numpy(), want, atol=2e-5)
    np.testing.assert_allclose(np.asarray(state.Value[0]), want[:, :, -1], atol=2e-5)  # HiddenState H×N


def test_gru_projected_equals_torch_gru_with_folded_weights() -> None:
    """torch's GRU is MATLAB's recurrent-bias mode; the projected products fold into its weights."""
    net = lg.dlnetwork([lg.sequenceInputLayer(C), lg.gruProjectedLayer(
        H, PO, PI, ResetGateMode="recurrent-bias-after-multiplication", Name="g")])
    p = _randomize(net, "g", seed=4)
    X = _x(C, 3, 5)
    ref = torch.nn.GRU(C, H, batch_first=True)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(p["InputWeights"] @ p["InputProjector"].T))
        ref.weight_hh_l0.copy_(torch.from_numpy(p["RecurrentWeights"] @ p["OutputProjector"].T))
        ref.bias_ih_l0.copy_(torch.from_numpy(p["Bias"][:3 * H, 0]))
        ref.bias_hh_l0.copy_(torch.from_numpy(p["Bias"][3 * H:, 0]))
        want = ref(torch.from_numpy(X).permute(1, 2, 0))[0].permute(2, 0, 1).numpy()
    np.testing.assert_allclose(lg.extractdata(lg.predict(net, lg.dlarray(X, "CBT"))).numpy(), want, atol=1e-5)


def test_gru_projected_sizes_defaults_and_onnx() -> None:
    layer = lg.gruProjectedLayer(H, PO, PI)
    net = lg.dlnetwork([lg.sequenceInputLayer(C), layer])
    sizes = {r[1]: tuple(r[3]) for r in net._learn_rows}
    assert sizes == {"InputWeights": (3 * H, PI), "RecurrentWeights": (3 * H, PO), "Bias": (3 * H, 1),
                     "InputProjector": (C, PI), "OutputProjector": (H, PO)}
    assert net.getLearnable("grup", "HiddenState").shape == (H, 1)
    assert (layer.ResetGateMode, layer.BiasInitializer, layer.InputProjectorInitializer) == \
        ("after-multiplication", "zeros", "orthogonal")
    assert layer.description() == (f"Projected GRU with {H} hidden units, output projector size {PO}, and input "
                                   f"projector size {PI}")
    pytest.importorskip("onnx")
    from layergraph.interop.onnx_export import ONNXExportError, onnx_model

    with pytest.raises(ONNXExportError, match="ONNX's GRU operator has no input or output projector"):
        onnx_model(lg.layerGraph([lg.sequenceInputLayer(C), lg.gruProjectedLayer(H, PO, PI)]))
