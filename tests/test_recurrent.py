"""lstmLayer, gruLayer and bilstmLayer: numbers against numpy written from MATLAB's documented equations and
against torch.nn.LSTM/GRU with the same weights; options, learnable and state sizes, the state flow through
forward / net.State / resetState, and state ports."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.cli.main import main
from layergraph.errors import NetworkError, OptionError


# ----- numpy from MATLAB's equations (lstmLayer / gruLayer "Algorithms") ----------------------------------------
def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


GATE = {"sigmoid": _sig, "hard-sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)}
STATE = {"tanh": np.tanh, "softsign": lambda x: x / (1 + np.abs(x)), "relu": lambda x: np.maximum(x, 0)}


def np_lstm(X: np.ndarray, W: np.ndarray, R: np.ndarray, b: np.ndarray, h: np.ndarray, c: np.ndarray,
            sf: str = "tanh", gf: str = "sigmoid", reverse: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X: C×N×T (MATLAB CBT); W 4H×C, R 4H×H, b 4H rows in MATLAB's order input, forget, candidate, output."""
    H = R.shape[1]
    Y = np.zeros((H, X.shape[1], X.shape[2]))
    steps = range(X.shape[2] - 1, -1, -1) if reverse else range(X.shape[2])
    for t in steps:
        z = W @ X[:, :, t] + R @ h + b[:, None]
        i, f, g, o = GATE[gf](z[:H]), GATE[gf](z[H:2 * H]), STATE[sf](z[2 * H:3 * H]), GATE[gf](z[3 * H:])
        c = f * c + i * g
        h = o * STATE[sf](c)
        Y[:, :, t] = h
    return Y, h, c


def np_gru(X: np.ndarray, W: np.ndarray, R: np.ndarray, b: np.ndarray, h: np.ndarray, mode: str,
           sf: str = "tanh", gf: str = "sigmoid") -> tuple[np.ndarray, np.ndarray]:
    """Rows: reset, update, candidate. b is 3H (6H: input then recurrent biases for the recurrent-bias mode)."""
    H = R.shape[1]
    bw, br = (b[:3 * H], b[3 * H:]) if b.shape[0] == 6 * H else (b, np.zeros(3 * H))
    Y = np.zeros((H, X.shape[1], X.shape[2]))
    for t in range(X.shape[2]):
        x = X[:, :, t]
        r = GATE[gf](W[:H] @ x + bw[:H, None] + R[:H] @ h + br[:H, None])
        z = GATE[gf](W[H:2 * H] @ x + bw[H:2 * H, None] + R[H:2 * H] @ h + br[H:2 * H, None])
        if mode == "before-multiplication":
            cand = STATE[sf](W[2 * H:] @ x + bw[2 * H:, None] + R[2 * H:] @ (r * h))
        else:  # after-multiplication has no recurrent bias (br = 0)
            cand = STATE[sf](W[2 * H:] @ x + bw[2 * H:, None] + r * (R[2 * H:] @ h + br[2 * H:, None]))
        h = (1 - z) * cand + z * h
        Y[:, :, t] = h
    return Y, h


def _net(layer: lg.Layer, c: int) -> lg.dlnetwork:
    return lg.dlnetwork([lg.sequenceInputLayer(c, Name="in"), layer])


def _randomize(net: lg.dlnetwork, name: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Random learnables (so the bias and every gate count), written in MATLAB layout; returns them."""
    rng = np.random.default_rng(seed)
    out = {}
    for lay, par, _, shape in net._learn_rows:
        if lay == name:
            out[par] = rng.normal(0, 0.6, shape).astype(np.float32)
            net.setLearnable(lay, par, out[par])
    return out


def _x(c: int = 3, n: int = 2, t: int = 5, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, (c, n, t)).astype(np.float32)


# ----- numbers ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sf,gf", [("tanh", "sigmoid"), ("softsign", "hard-sigmoid"), ("relu", "sigmoid"),
                                   ("tanh", "hard-sigmoid")])
def test_lstm_sequence_output_is_matlabs_equations(sf: str, gf: str) -> None:
    net = _net(lg.lstmLayer(4, StateActivationFunction=sf, GateActivationFunction=gf, Name="lstm"), 3)
    p = _randomize(net, "lstm")
    X = _x()
    Y = lg.predict(net, lg.dlarray(X, "CBT"))
    assert Y.fmt == "CBT"
    want, _, _ = np_lstm(X.astype(np.float64), p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0],
                         np.zeros((4, 2)), np.zeros((4, 2)), sf, gf)
    np.testing.assert_allclose(lg.extractdata(Y).numpy(), want, atol=2e-5)


@pytest.mark.parametrize("mode", ["after-multiplication", "before-multiplication",
                                  "recurrent-bias-after-multiplication"])
@pytest.mark.parametrize("sf,gf", [("tanh", "sigmoid"), ("softsign", "hard-sigmoid")])
def test_gru_reset_gate_modes_are_matlabs_equations(mode: str, sf: str, gf: str) -> None:
    net = _net(lg.gruLayer(4, ResetGateMode=mode, StateActivationFunction=sf, GateActivationFunction=gf,
                           Name="gru"), 3)
    p = _randomize(net, "gru")
    assert p["Bias"].shape == ((24, 1) if mode.startswith("recurrent") else (12, 1))
    X = _x()
    Y = lg.predict(net, lg.dlarray(X, "CBT"))
    want, _ = np_gru(X.astype(np.float64), p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0],
                     np.zeros((4, 2)), mode, sf, gf)
    np.testing.assert_allclose(lg.extractdata(Y).numpy(), want, atol=2e-5)


def test_gru_modes_differ() -> None:
    """The three reset modes are three different functions (a mode silently ignored would pass the test above
    only by accident, so check they are told apart)."""
    X = _x()
    outs = []
    for mode in ("after-multiplication", "before-multiplication"):
        net = _net(lg.gruLayer(4, ResetGateMode=mode, Name="gru"), 3)
        _randomize(net, "gru")
        outs.append(lg.extractdata(lg.predict(net, lg.dlarray(X, "CBT"))).numpy())
    assert np.abs(outs[0] - outs[1]).max() > 1e-3


@pytest.mark.parametrize("mode,sf", [("sequence", "tanh"), ("last", "tanh"), ("sequence", "softsign")])
def test_bilstm_is_forward_over_backward(mode: str, sf: str) -> None:
    net = _net(lg.bilstmLayer(3, OutputMode=mode, StateActivationFunction=sf, Name="bi"), 2)
    p = _randomize(net, "bi")
    assert p["InputWeights"].shape == (24, 2) and p["RecurrentWeights"].shape == (24, 3)
    X = _x(2, 3, 6)
    W, R, b = p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0]
    z = np.zeros((3, 3))
    fw, fh, fc = np_lstm(X, W[:12], R[:12], b[:12], z, z, sf)
    bw, bh, bc = np_lstm(X, W[12:], R[12:], b[12:], z, z, sf, reverse=True)
    _, state = lg.forward(net, lg.dlarray(X, "CBT"))  # each direction's state after its last step: [fwd; bwd]
    np.testing.assert_allclose(state.Value[0].numpy(), np.concatenate([fh, bh]), atol=2e-5)
    np.testing.assert_allclose(state.Value[1].numpy(), np.concatenate([fc, bc]), atol=2e-5)
    want = np.concatenate([fw, bw], 0)
    if mode == "last":  # MATLAB: the last time step of the output sequence (the backward half has seen x_T)
        want = want[:, :, -1]
    Y = lg.predict(net, lg.dlarray(X, "CBT"))
    assert Y.fmt == ("CBT" if mode == "sequence" else "CB")
    np.testing.assert_allclose(lg.extractdata(Y).numpy(), want, atol=2e-5)


def test_lstm_and_gru_equal_torch_nn_with_the_same_weights() -> None:
    """MATLAB's gate orders are torch's (i f g o; r z n): the arrays load unchanged, torch's b_hh = 0."""
    X = _x(3, 4, 7)
    xt = torch.from_numpy(X).permute(1, 2, 0)  # N×T×C
    net = _net(lg.lstmLayer(5, Name="l"), 3)
    p = _randomize(net, "l")
    ref = torch.nn.LSTM(3, 5, batch_first=True)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(p["InputWeights"]))
        ref.weight_hh_l0.copy_(torch.from_numpy(p["RecurrentWeights"]))
        ref.bias_ih_l0.copy_(torch.from_numpy(p["Bias"][:, 0]))
        ref.bias_hh_l0.zero_()
        want = ref(xt)[0].permute(2, 0, 1).numpy()
    np.testing.assert_allclose(lg.extractdata(lg.predict(net, lg.dlarray(X, "CBT"))).numpy(), want, atol=1e-5)

    net = _net(lg.gruLayer(5, ResetGateMode="recurrent-bias-after-multiplication", Name="g"), 3)
    p = _randomize(net, "g")
    ref = torch.nn.GRU(3, 5, batch_first=True)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(p["InputWeights"]))
        ref.weight_hh_l0.copy_(torch.from_numpy(p["RecurrentWeights"]))
        ref.bias_ih_l0.copy_(torch.from_numpy(p["Bias"][:15, 0]))
        ref.bias_hh_l0.copy_(torch.from_numpy(p["Bias"][15:, 0]))
        want = ref(xt)[0].permute(2, 0, 1).numpy()
    np.testing.assert_allclose(lg.extractdata(lg.predict(net, lg.dlarray(X, "CBT"))).numpy(), want, atol=1e-5)


def test_bilstm_equals_torch_bidirectional_lstm() -> None:
    X = _x(3, 2, 6)
    net = _net(lg.bilstmLayer(4, Name="b"), 3)
    p = _randomize(net, "b")
    ref = torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for k, sfx in enumerate(("", "_reverse")):
            part = slice(16 * k, 16 * (k + 1))
            getattr(ref, f"weight_ih_l0{sfx}").copy_(torch.from_numpy(p["InputWeights"][part]))
            getattr(ref, f"weight_hh_l0{sfx}").copy_(torch.from_numpy(p["RecurrentWeights"][part]))
            getattr(ref, f"bias_ih_l0{sfx}").copy_(torch.from_numpy(p["Bias"][part, 0]))
            getattr(ref, f"bias_hh_l0{sfx}").zero_()
        want = ref(torch.from_numpy(X).permute(1, 2, 0))[0].permute(2, 0, 1).numpy()
    np.testing.assert_allclose(lg.extractdata(lg.predict(net, lg.dlarray(X, "CBT"))).numpy(), want, atol=1e-5)


def test_gradients_of_the_step_loop_equal_the_fused_kernel() -> None:
    """softsign is not torch's kernel: the step loop must also give torch's gradients where both apply —
    compare the loop (forced) and the fused kernel on tanh/sigmoid."""
    X = torch.from_numpy(_x(3, 2, 4))
    net = _net(lg.lstmLayer(4, Name="l"), 3)
    _randomize(net, "l")
    module = net.layer_module("l").train(False)  # eval: a training-mode call would move its state on
    grads = []
    for fused in (True, False):
        module.fused = fused
        for p in module.parameters():
            p.grad = None
        module(X.permute(1, 0, 2)).sum().backward()
        grads.append([p.grad.clone() for p in module.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_feature_input_is_one_time_step() -> None:
    layers = [lg.featureInputLayer(3), lg.lstmLayer(4, Name="l")]
    net = lg.dlnetwork(layers)
    p = _randomize(net, "l")
    X = _x(3, 2, 1)
    Y = lg.predict(net, lg.dlarray(X[:, :, 0], "CB"))
    assert Y.fmt == "CB"
    want, _, _ = np_lstm(X, p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0], np.zeros((4, 2)),
                         np.zeros((4, 2)))
    np.testing.assert_allclose(lg.extractdata(Y).numpy(), want[:, :, 0], atol=1e-5)


# ----- options, sizes, initializers -------------------------------------------------------------------------
def test_learnable_and_state_sizes_and_defaults() -> None:
    net = _net(lg.lstmLayer(6, Name="l"), 3)
    sizes = {(r[0], r[1]): r[3] for r in net._learn_rows + net._state_rows}
    assert sizes == {("l", "InputWeights"): (24, 3), ("l", "RecurrentWeights"): (24, 6), ("l", "Bias"): (24, 1),
                     ("l", "HiddenState"): (6, 1), ("l", "CellState"): (6, 1)}
    b = net.getLearnable("l", "Bias")[:, 0]
    assert (b[6:12] == 1).all() and (b[:6] == 0).all() and (b[12:] == 0).all()  # unit-forget-gate
    R = net.getLearnable("l", "RecurrentWeights")
    np.testing.assert_allclose(R.T @ R, np.eye(6), atol=1e-5)  # orthogonal: Q of a QR decomposition
    W = net.getLearnable("l", "InputWeights")
    assert np.abs(W).max() <= np.sqrt(6 / (3 + 24)) + 1e-7  # glorot, fan-out 4H
    gru = _net(lg.gruLayer(6, Name="g"), 3)
    assert (gru.getLearnable("g", "Bias") == 0).all()
    assert [r[1] for r in gru._state_rows] == ["HiddenState"]
    layer = lg.lstmLayer(5)
    assert (layer.OutputMode, layer.StateActivationFunction, layer.GateActivationFunction, layer.Name) == \
        ("sequence", "tanh", "sigmoid", "")
    assert lg.gruLayer(3).ResetGateMode == "after-multiplication"
    assert lg.lstmLayer(4, "OutputMode", "LAST").OutputMode == "last"


def test_bad_options_and_inputs_name_the_problem() -> None:
    with pytest.raises(OptionError, match="OutputMode"):
        lg.lstmLayer(4, OutputMode="all")
    with pytest.raises(OptionError, match="StateActivationFunction"):
        lg.gruLayer(4, StateActivationFunction="sigmoid")
    with pytest.raises(OptionError, match=r"HiddenState must have 6 values \(one per hidden unit, both directions"):
        lg.bilstmLayer(3, HiddenState=[0, 0, 0])
    with pytest.raises(OptionError, match="CellState must be empty when HasStateInputs"):
        lg.lstmLayer(2, HasStateInputs=True, CellState=[0, 0])
    with pytest.raises(NetworkError, match=r"sequence \(CBT\) or feature"):
        lg.dlnetwork([lg.imageInputLayer([4, 4, 1]), lg.lstmLayer(3)])
    with pytest.raises(NetworkError, match="input size 5"):
        lg.dlnetwork([lg.sequenceInputLayer(3), lg.lstmLayer(3, InputSize=5)])


def test_analyzer_sizes_and_descriptions() -> None:
    net = lg.dlnetwork([lg.sequenceInputLayer(12), lg.bilstmLayer(100, OutputMode="last"),
                        lg.fullyConnectedLayer(9), lg.softmaxLayer()])
    assert net.num_learnables() == 800 * 12 + 800 * 100 + 800 + 9 * 200 + 9
    assert lg.bilstmLayer(100).description() == "BiLSTM with 100 hidden units"


# ----- state: forward returns it, net.State = state keeps it, predict leaves it, resetState clears it --------
def test_state_flows_through_forward_as_in_matlab() -> None:
    net = _net(lg.lstmLayer(4, Name="l"), 3)
    p = _randomize(net, "l")
    X = _x(3, 2, 5)
    x1, x2 = X[:, :, :3], X[:, :, 3:]
    Y1, state = lg.forward(net, lg.dlarray(x1, "CBT"))
    assert (net.getLearnable("l", "HiddenState") == 0).all()  # forward leaves the network alone
    assert [tuple(v.shape) for v in state.Value] == [(4, 2), (4, 2)]
    net.State = state
    Y2, _ = lg.forward(net, lg.dlarray(x2, "CBT"))
    # two calls carrying the state = one call over the whole sequence
    want, _, _ = np_lstm(X, p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0], np.zeros((4, 2)),
                         np.zeros((4, 2)))
    got = np.concatenate([lg.extractdata(Y1).numpy(), lg.extractdata(Y2).numpy()], 2)
    np.testing.assert_allclose(got, want, atol=2e-5)
    np.testing.assert_allclose(net.getLearnable("l", "HiddenState"), want[:, :, 2], atol=2e-5)
    before = net.getLearnable("l", "CellState").copy()
    lg.predict(net, lg.dlarray(x2, "CBT"))
    assert (net.getLearnable("l", "CellState") == before).all()  # predict does not update
    with pytest.raises(NetworkError, match="resetState"):
        lg.predict(net, lg.dlarray(_x(3, 3, 2), "CBT"))  # state of 2 observations, batch of 3
    fresh = lg.resetState(net)
    assert fresh.getLearnable("l", "HiddenState").shape == (4, 1)
    assert (fresh.getLearnable("l", "HiddenState") == 0).all()
    np.testing.assert_array_equal(fresh.getLearnable("l", "InputWeights"), p["InputWeights"])
    np.testing.assert_allclose(lg.extractdata(lg.predict(fresh, lg.dlarray(x1, "CBT"))).numpy(),
                               want[:, :, :3], atol=2e-5)


def test_initial_state_options() -> None:
    h0, c0 = [0.5, -0.2, 0.1], [1.0, 0.0, -1.0]
    net = _net(lg.lstmLayer(3, HiddenState=h0, CellState=c0, Name="l"), 2)
    p = _randomize(net, "l")
    X = _x(2, 2, 3)
    H0 = np.tile(np.array(h0)[:, None], (1, 2))
    C0 = np.tile(np.array(c0)[:, None], (1, 2))
    want, _, _ = np_lstm(X, p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0], H0, C0)
    np.testing.assert_allclose(lg.extractdata(lg.predict(net, lg.dlarray(X, "CBT"))).numpy(), want, atol=2e-5)
    _, state = lg.forward(net, lg.dlarray(X, "CBT"))
    net.State = state
    np.testing.assert_allclose(lg.resetState(net).getLearnable("l", "CellState")[:, 0], c0, atol=1e-7)


def test_state_ports() -> None:
    """HasStateInputs/HasStateOutputs: ports in/hidden/cell and out/hidden/cell (MATLAB's names)."""
    layer = lg.lstmLayer(3, HasStateInputs=True, HasStateOutputs=True, OutputMode="last", Name="l")
    assert layer.input_names == ["in", "hidden", "cell"] and layer.output_names == ["out", "hidden", "cell"]
    assert lg.gruLayer(3, HasStateOutputs=True).output_names == ["out", "hidden"]
    lgraph = lg.layerGraph([lg.sequenceInputLayer(2, Name="x"), layer])
    lgraph = lg.addLayers(lgraph, lg.featureInputLayer(3, Name="h"))
    lgraph = lg.addLayers(lgraph, lg.featureInputLayer(3, Name="c"))
    lgraph = lg.connectLayers(lgraph, "h", "l/hidden")
    lgraph = lg.connectLayers(lgraph, "c", "l/cell")
    net = lg.dlnetwork(lgraph)
    assert len(net._state_rows) == 0  # the states come in through the ports
    p = _randomize(net, "l")
    X = _x(2, 2, 4)
    H0, C0 = np.random.default_rng(5).normal(0, 1, (2, 3, 2)).astype(np.float32)
    y, h, c = lg.predict(net, lg.dlarray(X, "CBT"), lg.dlarray(H0, "CB"), lg.dlarray(C0, "CB"))
    want, wh, wc = np_lstm(X, p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0], H0, C0)
    np.testing.assert_allclose(lg.extractdata(y).numpy(), want[:, :, -1], atol=2e-5)
    np.testing.assert_allclose(lg.extractdata(h).numpy(), wh, atol=2e-5)
    np.testing.assert_allclose(lg.extractdata(c).numpy(), wc, atol=2e-5)


def test_sequence_classification_example_matches_matlabs_table(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    """`layergraph compare` of MathWorks' "Sequence Classification Using Deep Learning" network against its table
    (tests/data/sequence_classification/SOURCE.md); a table with an LSTM's sizes (4H rows) is told apart."""
    root = Path(__file__).resolve().parents[1]
    spec = root / "tests/specs/sequence_classification.yaml"
    table = root / "tests/data/sequence_classification/table.txt"
    assert main(["compare", str(spec), str(table)]) == 0
    assert "4 of 4 rows match" in capsys.readouterr().out
    wrong = tmp_path / "table.txt"
    wrong.write_text(table.read_text(encoding="utf-8").replace("800×", "400×"), encoding="utf-8")
    assert main(["compare", str(spec), str(wrong)]) == 1
    assert "3 of 4 rows match" in capsys.readouterr().out


def test_tensors_round_trip_keeps_a_mini_batch_state() -> None:
    """Checkpoint tensors hold HiddenState as the last mini-batch left it (H×N); loading them restores that."""
    net = _net(lg.lstmLayer(3, Name="l"), 2)
    _, state = lg.forward(net, lg.dlarray(_x(2, 4, 3), "CBT"))
    net.State = state
    saved = {k: v.clone() for k, v in net.tensors().items()}
    other = _net(lg.lstmLayer(3, Name="l"), 2)
    other.load_tensors(saved)
    np.testing.assert_array_equal(other.getLearnable("l", "CellState"), net.getLearnable("l", "CellState"))
    assert other.getLearnable("l", "CellState").shape == (3, 4)
    np.testing.assert_array_equal(lg.extractdata(lg.predict(other, lg.dlarray(_x(2, 4, 2), "CBT"))).numpy(),
                                  lg.extractdata(lg.predict(net, lg.dlarray(_x(2, 4, 2), "CBT"))).numpy())


def test_state_stays_float32_after_a_mixed_precision_pass() -> None:
    """Under bf16 autocast the kernel returns bf16 states; the stored state keeps the buffer's float32, so a
    later float32 call still runs (dtype check only: no numbers that depend on the CPU's bf16 support)."""
    net = lg.dlnetwork([lg.sequenceInputLayer(3), lg.fullyConnectedLayer(5), lg.lstmLayer(4),
                        lg.fullyConnectedLayer(2)])
    X = lg.dlarray(torch.randn(3, 2, 6), "CBT")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        _, state = lg.forward(net, X)
    assert [v.dtype for v in state.Value] == [torch.float32, torch.float32]
    net.State = state
    Y, _ = lg.forward(net, X)
    assert Y.dtype == torch.float32


def test_predict_with_state_steps_through_a_sequence_as_matlab_forecasting() -> None:
    """MATLAB's forecasting pattern `[Y, state] = predict(net, X(:,:,t)); net.State = state;` one step at a time
    gives the whole-sequence prediction; predict(…, nargout=2) leaves the network itself unchanged."""
    net = _net(lg.gruLayer(4, Name="g"), 3)
    _randomize(net, "g")
    X = _x(3, 2, 5)
    whole = lg.extractdata(lg.predict(net, lg.dlarray(X, "CBT"))).numpy()
    steps = []
    for t in range(5):
        Y, state = lg.predict(net, lg.dlarray(X[:, :, t:t + 1], "CBT"), nargout=2)  # one time step
        assert (t == 0) == bool((net.getLearnable("g", "HiddenState") == 0).all())  # unchanged until assigned
        net.State = state
        steps.append(lg.extractdata(Y).numpy())
    np.testing.assert_allclose(np.concatenate(steps, 2), whole, atol=1e-5)
    assert lg.predict(net, lg.dlarray(X, "CBT"), nargout=1).shape == (2, 4, 5)  # torch layout N×C×T
    with pytest.raises(ValueError, match="nargout=3"):
        lg.predict(net, lg.dlarray(X, "CBT"), nargout=3)


def test_gru_state_ports_and_reset_modes_take_the_given_state() -> None:
    """gruLayer with HasStateInputs/HasStateOutputs: in/hidden → out/hidden, the given state used as h0."""
    layer = lg.gruLayer(3, HasStateInputs=True, HasStateOutputs=True, ResetGateMode="before-multiplication",
                        Name="g")
    assert layer.input_names == ["in", "hidden"] and layer.output_names == ["out", "hidden"]
    lgraph = lg.layerGraph([lg.sequenceInputLayer(2, Name="x"), layer])
    lgraph = lg.connectLayers(lg.addLayers(lgraph, lg.featureInputLayer(3, Name="h")), "h", "g/hidden")
    net = lg.dlnetwork(lgraph)
    p = _randomize(net, "g")
    X = _x(2, 2, 4)
    H0 = np.random.default_rng(6).normal(0, 1, (3, 2)).astype(np.float32)
    y, h = lg.predict(net, lg.dlarray(X, "CBT"), lg.dlarray(H0, "CB"))
    want, wh = np_gru(X, p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0], H0, "before-multiplication")
    np.testing.assert_allclose(lg.extractdata(y).numpy(), want, atol=2e-5)
    np.testing.assert_allclose(lg.extractdata(h).numpy(), wh, atol=2e-5)
