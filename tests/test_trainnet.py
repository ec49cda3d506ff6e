"""trainnet against hand-written loops of MATLAB's documented training equations.

The reference loops below are written from MATLAB's documentation (trainingOptions "Algorithms"; the solver
updates as in adamupdate/sgdmupdate/rmspropupdate; the toolbox trainer's order regularize → threshold → update):

  g ← g + λ·L2Factor·W                                   (L2Regularization with each learnable's L2 factor)
  "l2norm":        g ← g·τ/‖g‖ for each learnable whose ‖g‖ > τ
  "global-l2norm": all g ← g·τ/G when G = sqrt(Σ‖g‖²) > τ
  "absolute-value": g ← min(max(g, −τ), τ) elementwise
  sgdm:    v ← μ·v − α·f·g;  W ← W + v
  adam:    m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  W ← W − α·f·sqrt(1−β2ᵗ)/(1−β1ᵗ)·m/(sqrt(v)+ε)
  rmsprop: v ← ρ·v + (1−ρ)·g²;  W ← W − α·f·g/(sqrt(v)+ε)
  piecewise: α = α0·dropFactor^floor((epoch−1)/dropPeriod)

(α the learning rate, f the learnable's learn-rate factor.) The network itself is written again with plain
torch (F.linear / conv), so only the data, the initial weights and the options are shared with trainnet.
"""
from __future__ import annotations

import math
import signal

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import layergraph as lg
from layergraph.errors import OptionError
from layergraph.train.training_options import trainingOptions
from layergraph.train.trainnet import trainnet

RTOL = 1e-5


def _mlp(n_in: int = 4, hidden: int = 5, n_out: int = 3, softmax: bool = True) -> list:
    layers = [lg.featureInputLayer(n_in, Name="in"),
              lg.fullyConnectedLayer(hidden, Name="fc1", WeightL2Factor=2.0, BiasL2Factor=0.5),
              lg.reluLayer(Name="relu"),
              lg.fullyConnectedLayer(n_out, Name="fc2", WeightLearnRateFactor=0.5, BiasLearnRateFactor=2.0)]
    return layers + ([lg.softmaxLayer(Name="sm")] if softmax else [])


# (layer, parameter, L2 factor, learn-rate factor) of _mlp's learnables
FACTORS = {("fc1", "Weights"): (2.0, 1.0), ("fc1", "Bias"): (0.5, 1.0),
           ("fc2", "Weights"): (1.0, 0.5), ("fc2", "Bias"): (0.0, 2.0)}


def _weights(net: lg.dlnetwork) -> dict[tuple[str, str], torch.Tensor]:
    """The learnables in MATLAB layout (Weights out×in, Bias out×1), float64 for the reference."""
    return {key: torch.tensor(net.getLearnable(*key), dtype=torch.float32) for key in FACTORS}


def _mlp_forward(w: dict, x: torch.Tensor, softmax: bool = True) -> torch.Tensor:
    h = F.relu(x @ w["fc1", "Weights"].T + w["fc1", "Bias"].reshape(-1))
    z = h @ w["fc2", "Weights"].T + w["fc2", "Bias"].reshape(-1)
    return torch.softmax(z, 1) if softmax else z


def _clip(grads: dict, tau: float, method: str) -> None:
    if method == "absolute-value":
        for k in grads:
            grads[k] = grads[k].clamp(-tau, tau)
    elif method == "global-l2norm":
        total = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads.values()))
        if total > tau:
            for k in grads:
                grads[k] = grads[k] * (tau / total)
    else:
        for k, g in grads.items():
            norm = float((g.double() ** 2).sum()) ** 0.5
            if norm > tau:
                grads[k] = g * (tau / norm)


def _reference(w: dict, X: np.ndarray, T: np.ndarray, opts: dict, loss_of) -> tuple[list[float], dict]:
    """MATLAB's training loop, written out: Shuffle 'never', last partial mini-batch dropped."""
    w = {k: v.clone() for k, v in w.items()}
    state: dict = {k: [torch.zeros_like(v), torch.zeros_like(v)] for k, v in w.items()}
    n, mbs = X.shape[0], opts["MiniBatchSize"]
    losses, t = [], 0
    for epoch in range(1, opts["MaxEpochs"] + 1):
        lr = opts["InitialLearnRate"] * opts.get("LearnRateDropFactor", 1.0) ** (
            (epoch - 1) // opts.get("LearnRateDropPeriod", 10**9))
        for start in range(0, n - n % mbs, mbs):
            t += 1
            xb = torch.tensor(X[start:start + mbs])
            tb = torch.tensor(T[start:start + mbs])
            leaves = {k: v.clone().requires_grad_(True) for k, v in w.items()}
            loss = loss_of(leaves, xb, tb)
            grads = dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values()))))
            losses.append(float(loss.detach()))
            for k in grads:
                grads[k] = grads[k] + opts["L2Regularization"] * FACTORS[k][0] * w[k]
            _clip(grads, opts.get("GradientThreshold", math.inf), opts.get("GradientThresholdMethod", "l2norm"))
            for k, g in grads.items():
                a = lr * FACTORS[k][1]
                s = state[k]
                if opts["solver"] == "sgdm":
                    s[0] = opts.get("Momentum", 0.9) * s[0] - a * g
                    w[k] = w[k] + s[0]
                elif opts["solver"] == "adam":
                    b1, b2, eps = opts.get("GradientDecayFactor", 0.9), opts.get("SquaredGradientDecayFactor",
                                                                                   0.999), 1e-8
                    s[0] = b1 * s[0] + (1 - b1) * g
                    s[1] = b2 * s[1] + (1 - b2) * g * g
                    w[k] = w[k] - a * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * s[0] / (s[1].sqrt() + eps)
                else:
                    rho, eps = opts.get("SquaredGradientDecayFactor", 0.9), 1e-8
                    s[1] = rho * s[1] + (1 - rho) * g * g
                    w[k] = w[k] - a * g / (s[1].sqrt() + eps)
    return losses, w


def _data(n: int = 23, seed: int = 0) -> tuple[np.ndarray, lg.Categorical, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    codes = rng.integers(0, 3, n)
    labels = lg.categorical([str(c) for c in codes])
    return X, labels, np.eye(3, dtype=np.float32)[codes]


def _crossentropy(w: dict, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    y = _mlp_forward(w, x)
    return -(t * torch.log(y)).sum() / x.shape[0]  # trainnet's "crossentropy" for "CB" output: Σ/N


CASES = [("sgdm", "l2norm", 0.3), ("sgdm", "global-l2norm", 0.5), ("sgdm", "absolute-value", 0.05),
         ("adam", "l2norm", 0.3), ("adam", "global-l2norm", 0.5), ("adam", "absolute-value", 0.05),
         ("rmsprop", "l2norm", 0.3), ("rmsprop", "global-l2norm", 0.5), ("rmsprop", "absolute-value", 0.05),
         ("sgdm", "l2norm", math.inf)]


@pytest.mark.parametrize("solver,method,tau", CASES)
def test_trainnet_follows_matlabs_update_equations(solver: str, method: str, tau: float) -> None:
    X, labels, onehot = _data()
    torch.manual_seed(1)
    net0 = lg.dlnetwork(_mlp())
    options = {"MaxEpochs": 3, "MiniBatchSize": 5, "InitialLearnRate": 0.05 if solver == "sgdm" else 0.01,
               "L2Regularization": 0.01, "GradientThreshold": tau, "GradientThresholdMethod": method,
               "LearnRateSchedule": "piecewise", "LearnRateDropFactor": 0.5, "LearnRateDropPeriod": 1}
    opts = trainingOptions(solver, Shuffle="never", Verbose=False, Precision="fp32", **options)
    net, info = trainnet(X, labels, net0, "crossentropy", opts)

    losses, w = _reference(_weights(net0), X, onehot, {**options, "solver": solver}, _crossentropy)
    assert len(info.TrainingHistory.Loss) == 3 * (23 // 5)  # the last partial mini-batch is dropped
    np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=RTOL)
    for key, value in w.items():
        np.testing.assert_allclose(net.getLearnable(*key), value.numpy(), rtol=RTOL, atol=1e-7)
    np.testing.assert_allclose(info.TrainingHistory.LearnRate, [options["InitialLearnRate"] * 0.5 ** e
                                                                for e in range(3) for _ in range(4)])
    # the network passed in is a value: trainnet leaves it as it was
    np.testing.assert_array_equal(net0.getLearnable("fc1", "Weights"), _weights(net0)["fc1", "Weights"].numpy())


def test_trainnet_regression_losses_are_normalized_by_all_elements() -> None:
    """'mse' = Σ(Y − T)²/numel, 'huber', 'l1loss' likewise; no final softmax; T an N×R matrix."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((12, 4)).astype(np.float32)
    Tn = rng.standard_normal((12, 3)).astype(np.float32)
    torch.manual_seed(2)
    net0 = lg.dlnetwork(_mlp(softmax=False))
    formulas = {
        "mse": lambda d: (d ** 2).sum() / d.numel(),
        "l1loss": lambda d: d.abs().sum() / d.numel(),
        "huber": lambda d: torch.where(d.abs() <= 1, 0.5 * d ** 2, d.abs() - 0.5).sum() / d.numel(),
    }
    for name, formula in formulas.items():
        options = {"MaxEpochs": 2, "MiniBatchSize": 4, "InitialLearnRate": 0.02, "L2Regularization": 0.0}
        opts = trainingOptions("sgdm", Shuffle="never", Verbose=False, Precision="fp32", **options)
        net, info = trainnet(X, Tn, net0, name, opts)
        losses, w = _reference(_weights(net0), X, Tn, {**options, "solver": "sgdm"},
                               lambda w, x, t, f=formula: f(_mlp_forward(w, x, softmax=False) - t))
        np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=RTOL, err_msg=name)
        np.testing.assert_allclose(net.getLearnable("fc2", "Weights"), w["fc2", "Weights"].numpy(), rtol=RTOL)


def test_trainnet_on_images_flattens_like_matlab() -> None:
    """H×W×C×N images, a convolution and a fully connected layer (MATLAB flattens column-major). The image input
    layer keeps MATLAB's default 'zerocenter' normalization: trainnet subtracts the training data's mean."""
    rng = np.random.default_rng(4)
    X = rng.random((6, 6, 1, 10)).astype(np.float32)
    codes = rng.integers(0, 2, 10)
    labels = lg.categorical(["ab"[c] for c in codes])
    torch.manual_seed(3)
    net0 = lg.dlnetwork([lg.imageInputLayer([6, 6, 1], Name="in"), lg.convolution2dLayer(3, 2, Name="conv"),
                         lg.reluLayer(), lg.fullyConnectedLayer(2, Name="fc"), lg.softmaxLayer()])
    opts = trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=4, InitialLearnRate=0.1, Shuffle="never",
                           Verbose=False, Precision="fp32")
    net, info = trainnet(X, labels, net0, "crossentropy", opts)

    W = {k: torch.tensor(net0.getLearnable(*k)) for k in [("conv", "Weights"), ("conv", "Bias"),
                                                           ("fc", "Weights"), ("fc", "Bias")]}
    vel = {k: torch.zeros_like(v) for k, v in W.items()}
    xt = torch.tensor((X - X.mean(dtype=np.float64)).astype(np.float32)).permute(3, 2, 0, 1)  # N×C×H×W, centred
    onehot = torch.eye(2)[torch.tensor(codes)]
    losses = []
    for _ in range(2):
        for s in range(0, 8, 4):
            leaves = {k: v.clone().requires_grad_(True) for k, v in W.items()}
            conv = F.conv2d(xt[s:s + 4], leaves["conv", "Weights"].reshape(3, 3, 1, 2).permute(3, 2, 0, 1),
                            leaves["conv", "Bias"].reshape(-1))
            flat = F.relu(conv).permute(0, 1, 3, 2).reshape(4, -1)  # MATLAB order: h fastest, then w, then c
            y = torch.softmax(flat @ leaves["fc", "Weights"].T + leaves["fc", "Bias"].reshape(-1), 1)
            loss = -(onehot[s:s + 4] * torch.log(y)).sum() / 4
            losses.append(float(loss.detach()))
            grads = torch.autograd.grad(loss, list(leaves.values()))
            for (k, g), l2 in zip(zip(leaves, grads), [1.0, 0.0, 1.0, 0.0]):
                vel[k] = 0.9 * vel[k] - 0.1 * (g + 1e-4 * l2 * W[k])
                W[k] = W[k] + vel[k]
    np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=RTOL)
    np.testing.assert_allclose(net.getLearnable("conv", "Weights"), W["conv", "Weights"].numpy(), rtol=RTOL,
                               atol=1e-7)


def test_trainnet_on_sequences_cbt() -> None:
    """Sequence-to-sequence regression over "CBT" data: a cell array of T×C sequences and T×R targets (trainnet's
    layout since R2023b: numTimeSteps-by-numChannels); the reference below works in C×T."""
    rng = np.random.default_rng(5)
    X = [rng.standard_normal((3, 7)).astype(np.float32) for _ in range(6)]
    T = [rng.standard_normal((2, 7)).astype(np.float32) for _ in range(6)]
    torch.manual_seed(4)
    net0 = lg.dlnetwork([lg.sequenceInputLayer(3, Name="in"), lg.convolution1dLayer(3, 2, Padding="same",
                                                                                     Name="conv")])
    opts = trainingOptions("adam", MaxEpochs=2, MiniBatchSize=3, Shuffle="never", Verbose=False,
                           L2Regularization=0, Precision="fp32")
    net, info = trainnet([x.T for x in X], [t.T for t in T], net0, "mse", opts)

    W = torch.tensor(net0.getLearnable("conv", "Weights"))  # k×C×F
    b = torch.tensor(net0.getLearnable("conv", "Bias"))
    m = [torch.zeros_like(W), torch.zeros_like(b)]
    v = [torch.zeros_like(W), torch.zeros_like(b)]
    xs = torch.tensor(np.stack(X))  # B×C×T (torch layout)
    ts = torch.tensor(np.stack(T))
    losses, it = [], 0
    for _ in range(2):
        for s in range(0, 6, 3):
            it += 1
            Wl, bl = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
            y = F.conv1d(xs[s:s + 3], Wl.permute(2, 1, 0), bl.reshape(-1), padding=1)
            loss = ((y - ts[s:s + 3]) ** 2).sum() / y.numel()
            losses.append(float(loss.detach()))
            for i, g in enumerate(torch.autograd.grad(loss, [Wl, bl])):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                step = 0.001 * math.sqrt(1 - 0.999 ** it) / (1 - 0.9 ** it) * m[i] / (v[i].sqrt() + 1e-8)
                if i == 0:
                    W = W - step
                else:
                    b = b - step
    np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=RTOL)
    np.testing.assert_allclose(net.getLearnable("conv", "Weights"), W.numpy(), rtol=RTOL, atol=1e-7)


def test_validation_patience_best_network_and_history() -> None:
    X, labels, _ = _data(30, seed=6)
    torch.manual_seed(5)
    opts = trainingOptions("sgdm", MaxEpochs=20, MiniBatchSize=10, InitialLearnRate=0.5, Verbose=False,
                           ValidationData=(X[:10], labels[:10]), ValidationFrequency=1, ValidationPatience=2,
                           Metrics="accuracy", OutputNetwork="best-validation", Precision="fp32")
    net, info = trainnet(X, labels, _mlp(), "crossentropy", opts)
    vh = info.ValidationHistory
    losses = np.asarray(vh.Loss)
    assert vh.Iteration[0] == 0  # validated before the first iteration
    best = int(np.argmin(losses))
    assert info.OutputNetworkIteration == vh.Iteration[best]
    if info.StopReason == "Stopped by ValidationPatience":
        assert len(losses) - 1 - best == 2  # two validations no better than the best, then stop
    # the returned network is the best one: its validation loss is the smallest recorded
    Y = lg.extractdata(lg.predict(net, lg.dlarray(torch.tensor(X[:10]), "BC"))).numpy()
    onehot = np.eye(3)[labels[:10].codes - 1]
    assert -(onehot * np.log(Y.T)).sum() / 10 == pytest.approx(losses[best], rel=1e-5)
    acc = np.mean(np.argmax(Y, 0) == labels[:10].codes - 1) * 100
    assert vh.Accuracy[best] == pytest.approx(acc)


def test_stop_signal_returns_network_trained_so_far(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM during training: the iteration finishes, training stops, the network is returned."""
    X, labels, _ = _data(40)
    calls = []
    real = lg.train.trainnet._Trainer.step

    def step(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            signal.raise_signal(signal.SIGTERM)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(lg.train.trainnet._Trainer, "step", step)
    before = signal.getsignal(signal.SIGTERM)
    opts = trainingOptions("adam", MaxEpochs=50, MiniBatchSize=4, Verbose=False, Precision="fp32")
    _, info = trainnet(X, labels, _mlp(), "crossentropy", opts)
    assert info.StopReason == "Stopped manually" and len(info.TrainingHistory.Loss) == 3
    assert signal.getsignal(signal.SIGTERM) == before


def test_training_options_defaults_names_and_errors() -> None:
    o = trainingOptions("sgdm")
    assert (o.InitialLearnRate, o.MaxEpochs, o.MiniBatchSize, o.Shuffle, o.Momentum) == (0.01, 30, 128, "once", 0.9)
    assert (o.L2Regularization, o.GradientThreshold, o.GradientThresholdMethod) == (1e-4, math.inf, "l2norm")
    assert (o.ValidationFrequency, o.ValidationPatience, o.Verbose, o.VerboseFrequency, o.Plots) == (
        50, math.inf, True, 50, "none")
    a = trainingOptions("adam")
    assert (a.InitialLearnRate, a.GradientDecayFactor, a.SquaredGradientDecayFactor, a.Epsilon) == (
        0.001, 0.9, 0.999, 1e-8)
    r = trainingOptions("RMSProp", "maxepochs", 3, miniBatchSize=7)
    assert (r.SquaredGradientDecayFactor, r.MaxEpochs, r.MiniBatchSize) == (0.9, 3, 7)
    with pytest.raises(OptionError, match="'Momentum' is not an option for solver 'adam'"):
        trainingOptions("adam", Momentum=0.5)
    with pytest.raises(OptionError, match="'Bogus' is not an option"):
        trainingOptions("sgdm", Bogus=1)
    with pytest.raises(OptionError, match="option 'OutputFcn' is not supported"):
        trainingOptions("sgdm", OutputFcn=print)
    with pytest.raises(OptionError, match="Shuffle must be one of"):
        trainingOptions("sgdm", Shuffle="sometimes")
    with pytest.raises(OptionError, match="SequenceLength must be an integer in"):
        trainingOptions("adam", SequenceLength=2.5)
    with pytest.raises(OptionError, match="BatchNormalizationStatistics must be one of"):
        trainingOptions("adam", BatchNormalizationStatistics="global")
    with pytest.raises(OptionError, match="solver 'lbfgs' is not supported"):
        trainingOptions("lbfgs")
    with pytest.raises(OptionError, match="unknown loss function"):
        trainnet(np.zeros((4, 4), np.float32), np.zeros((4, 3), np.float32), _mlp(), "hinge",
                 trainingOptions("sgdm", Verbose=False))


def test_verbose_table_is_printed(capsys: pytest.CaptureFixture) -> None:
    X, labels, _ = _data(12)
    opts = trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=4, VerboseFrequency=2, Precision="fp32",
                           ValidationData=(X, labels), ValidationFrequency=3, Metrics="accuracy")
    trainnet(X, labels, _mlp(), "crossentropy", opts)
    out = capsys.readouterr().out
    head = out.splitlines()[0].split()
    assert head[:6] == ["Iteration", "Epoch", "TimeElapsed", "LearnRate", "TrainingLoss", "ValidationLoss"]
    rows = [line.split()[0] for line in out.splitlines()[2:] if line.strip()[:1].isdigit()]
    assert rows == ["0", "1", "2", "3", "4", "6"]
    assert "Training stopped: Max epochs completed" in out


def test_other_losses_index_binary_and_function_handle() -> None:
    """'index-crossentropy' equals 'crossentropy' on the same labels; 'binary-crossentropy' and a function
    handle give the losses their formulas give on the first mini-batch."""
    X, labels, onehot = _data(12, seed=7)
    torch.manual_seed(6)
    net0 = lg.dlnetwork(_mlp())
    opts = trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=6, Shuffle="never", Verbose=False, Precision="fp32")
    _, a = trainnet(X, labels, net0, "crossentropy", opts)
    _, b = trainnet(X, labels, net0, "index-crossentropy", opts)
    np.testing.assert_allclose(b.TrainingHistory.Loss, a.TrainingHistory.Loss, rtol=1e-6)
    _, c = trainnet(X, (labels.codes).astype(np.float64), net0, "index-crossentropy", opts)  # class numbers
    np.testing.assert_allclose(c.TrainingHistory.Loss, a.TrainingHistory.Loss, rtol=1e-6)

    w = _weights(net0)
    y = _mlp_forward(w, torch.tensor(X[:6]))
    t = torch.tensor(onehot[:6])
    _, d = trainnet(X, onehot, net0, "binary-crossentropy", opts)
    bce = -(t * torch.log(y) + (1 - t) * torch.log(1 - y)).sum() / y.numel()
    assert d.TrainingHistory.Loss[0] == pytest.approx(float(bce), rel=1e-5)
    seen = []

    def my_loss(Y, T):
        seen.append((Y.fmt, T.fmt))
        return lg.sum((Y - T) ** 2, "all") * 3

    _, e = trainnet(X, onehot, net0, my_loss, opts)
    assert seen[0] == ("CB", "CB")
    assert e.TrainingHistory.Loss[0] == pytest.approx(float(((y - t) ** 2).sum() * 3), rel=1e-5)


def test_checkpoints_plots_last_iteration_and_rmse(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(8)
    X = rng.standard_normal((16, 4)).astype(np.float32)
    T = rng.standard_normal((16, 3)).astype(np.float32)
    torch.manual_seed(7)
    (tmp_path / "ck").mkdir()
    opts = trainingOptions("rmsprop", MaxEpochs=2, MiniBatchSize=8, Shuffle="never", Verbose=False, Precision="fp32",
                           CheckpointPath=str(tmp_path / "ck"), Plots="training-progress", Metrics="rmse",
                           ValidationData=(X, T), ValidationFrequency=1, OutputNetwork="last-iteration")
    net, info = trainnet(X, T, _mlp(softmax=False), "mse", opts)
    assert len(list((tmp_path / "ck").glob("net_checkpoint__*__*.safetensors"))) == 2  # one per epoch
    assert (tmp_path / "training-progress.png").exists()
    assert info.OutputNetworkIteration == 4
    Y = lg.extractdata(lg.predict(net, lg.dlarray(torch.tensor(X), "BC"))).numpy().T
    assert info.ValidationHistory.RMSE[-1] == pytest.approx(np.sqrt(((Y - T) ** 2).mean()), rel=1e-5)
    assert info.ValidationHistory.Loss[-1] == pytest.approx(((Y - T) ** 2).mean(), rel=1e-5)


def test_bad_input_gives_one_line_errors() -> None:
    X, labels, _ = _data(8)
    opts = trainingOptions("sgdm", Verbose=False, Precision="fp32")
    with pytest.raises(lg.errors.DataError, match="targets: 7 labels for 8 observations"):
        trainnet(X, labels[:7], _mlp(), "crossentropy", opts)
    with pytest.raises(OptionError, match="the last argument must be trainingOptions"):
        trainnet(X, labels, _mlp(), "crossentropy", {"MaxEpochs": 1})
    with pytest.raises(OptionError, match="OutputNetwork 'best-validation' needs ValidationData"):
        trainingOptions("adam", OutputNetwork="best-validation")
    with pytest.raises(OptionError, match="output layer 'out' \\(classificationLayer\\)"):
        trainnet(X, labels, [*_mlp(), lg.classificationLayer(Name="out")], "crossentropy", opts)
    if not torch.cuda.is_available():
        with pytest.raises(lg.errors.DeviceError, match="'gpu' was requested"):
            trainnet(X, labels, _mlp(), "crossentropy", trainingOptions("sgdm", ExecutionEnvironment="gpu"))


def test_sequence_to_one_classification_with_a_function_layer() -> None:
    """"CBT" sequences pooled over time by a Formattable functionLayer, then classified; rmsprop, Shuffle never."""
    rng = np.random.default_rng(9)
    X = [rng.standard_normal((3, 6)).astype(np.float32) for _ in range(8)]
    codes = rng.integers(0, 2, 8)
    labels = lg.categorical(["ab"[c] for c in codes])
    pool = lg.functionLayer(lambda Z: lg.dlarray(lg.reshape(lg.stripdims(lg.mean(Z, 3)), [lg.size(Z, 1),
                                                                                          lg.size(Z, 2)]), "CB"),
                            Formattable=True, Name="pool")
    torch.manual_seed(8)
    net0 = lg.dlnetwork([lg.sequenceInputLayer(3), lg.convolution1dLayer(3, 4, Padding="causal", Name="conv"),
                         lg.reluLayer(), pool, lg.fullyConnectedLayer(2, Name="fc"), lg.softmaxLayer()])
    opts = trainingOptions("rmsprop", MaxEpochs=2, MiniBatchSize=4, Shuffle="never", Verbose=False,
                           InitialLearnRate=0.01, Precision="fp32")
    net, info = trainnet([x.T for x in X], labels, net0, "crossentropy", opts)  # T×C sequences

    keys = [("conv", "Weights"), ("conv", "Bias"), ("fc", "Weights"), ("fc", "Bias")]
    W = {k: torch.tensor(net0.getLearnable(*k)) for k in keys}
    avg = {k: torch.zeros_like(v) for k, v in W.items()}
    xs, onehot = torch.tensor(np.stack(X)), torch.eye(2)[torch.tensor(codes)]
    losses = []
    for _ in range(2):
        for s in range(0, 8, 4):
            p = {k: v.clone().requires_grad_(True) for k, v in W.items()}
            h = F.relu(F.conv1d(F.pad(xs[s:s + 4], (2, 0)), p["conv", "Weights"].permute(2, 1, 0),
                                p["conv", "Bias"].reshape(-1)))
            y = torch.softmax(h.mean(2) @ p["fc", "Weights"].T + p["fc", "Bias"].reshape(-1), 1)
            loss = -(onehot[s:s + 4] * torch.log(y)).sum() / 4
            losses.append(float(loss.detach()))
            for (k, g), l2 in zip(zip(p, torch.autograd.grad(loss, list(p.values()))), [1.0, 0.0, 1.0, 0.0]):
                g = g + 1e-4 * l2 * W[k]
                avg[k] = 0.9 * avg[k] + 0.1 * g * g
                W[k] = W[k] - 0.01 * g / (avg[k].sqrt() + 1e-8)
    np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=RTOL)
    np.testing.assert_allclose(net.getLearnable("fc", "Weights"), W["fc", "Weights"].numpy(), rtol=RTOL, atol=1e-7)
    assert lg.minibatchpredict(net, [x.T for x in X]).shape == (8, 2)


def test_sequence_to_sequence_classification() -> None:
    """A list of 1×T categorical label sequences; softmax over C of "CBT" output; crossentropy Σ/(B·T)."""
    rng = np.random.default_rng(10)
    X = [rng.standard_normal((2, 5)).astype(np.float32) for _ in range(4)]
    codes = [rng.integers(0, 3, 5) for _ in range(4)]
    T = [lg.categorical([["x", "y", "z"][i] for i in c], ["x", "y", "z"]) for c in codes]
    torch.manual_seed(9)
    net0 = lg.dlnetwork([lg.sequenceInputLayer(2), lg.convolution1dLayer(1, 3, Name="conv"), lg.softmaxLayer()])
    opts = trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=2, Shuffle="never", Verbose=False,
                           L2Regularization=0, Precision="fp32")
    _, info = trainnet([x.T for x in X], T, net0, "crossentropy", opts)  # T×C sequences
    W = torch.tensor(net0.getLearnable("conv", "Weights"))[0]  # 1×C×F → C×F
    b = torch.tensor(net0.getLearnable("conv", "Bias")).reshape(-1)
    xs = torch.tensor(np.stack(X[:2]))  # B×C×T
    y = torch.softmax(torch.einsum("bct,cf->bft", xs, W) + b[None, :, None], 1)
    onehot = torch.eye(3)[torch.tensor(np.stack(codes[:2]))].permute(0, 2, 1)  # B×K×T
    expect = -(onehot * torch.log(y)).sum() / (2 * 5)
    assert info.TrainingHistory.Loss[0] == pytest.approx(float(expect), rel=1e-5)


def _fitted_input(net: lg.dlnetwork) -> lg.Layer:
    return next(layer for layer in net.Layers if layer.Name == net.InputNames[0])


def test_input_normalization_statistics_come_from_the_training_data() -> None:
    """MATLAB: with ResetInputNormalization (default true) trainnet computes the input layer's statistics from the
    training data, channel-wise (NormalizationDimension 'auto'), over all observations and pixels."""
    rng = np.random.default_rng(11)
    X = (rng.random((5, 5, 2, 12)) * [[[[3.0], [7.0]]]] + [[[[1.0], [-2.0]]]]).astype(np.float32)
    labels = lg.categorical(["ab"[c] for c in rng.integers(0, 2, 12)])
    opts = trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=4, Verbose=False, Precision="fp32")
    head = [lg.convolution2dLayer(3, 2), lg.fullyConnectedLayer(2), lg.softmaxLayer()]
    per_channel = X.transpose(2, 0, 1, 3).reshape(2, -1).astype(np.float64)
    for norm, expected in [
        ("zerocenter", {"Mean": per_channel.mean(1)}),
        ("zscore", {"Mean": per_channel.mean(1), "StandardDeviation": per_channel.std(1)}),
        ("rescale-zero-one", {"Min": per_channel.min(1), "Max": per_channel.max(1)}),
    ]:
        net, _ = trainnet(X, labels, [lg.imageInputLayer([5, 5, 2], Normalization=norm), *head], "crossentropy", opts)
        layer = _fitted_input(net)
        for stat, want in expected.items():
            np.testing.assert_allclose(getattr(layer, stat), want, rtol=1e-5)
        # the trained network normalizes with them (the first layer's output is the normalized input)
        Y = lg.predict(net, lg.dlarray(X[..., :3], "SSCB"), Outputs=net.Layers[0].Name)
        got = lg.extractdata(Y)
        if norm == "zerocenter":
            want_y = X[..., :3] - per_channel.mean(1)[None, None, :, None]
        elif norm == "zscore":
            want_y = (X[..., :3] - per_channel.mean(1)[None, None, :, None]) / per_channel.std(1)[None, None, :, None]
        else:
            lo, hi = per_channel.min(1)[None, None, :, None], per_channel.max(1)[None, None, :, None]
            want_y = (X[..., :3] - lo) / (hi - lo)
        np.testing.assert_allclose(got, want_y, rtol=1e-4, atol=1e-5)


def test_reset_input_normalization_false_keeps_given_statistics() -> None:
    """ResetInputNormalization false: statistics the layer has are kept; missing ones are still computed."""
    X, labels, _ = _data(8)
    opts = trainingOptions("sgdm", MaxEpochs=1, Verbose=False, Precision="fp32", ResetInputNormalization=False)
    given = [lg.featureInputLayer(4, Normalization="zscore", Mean=[1, 2, 3, 4], Name="in"), *_mlp()[1:]]
    net, _ = trainnet(X, labels, given, "crossentropy", opts)
    layer = _fitted_input(net)
    assert layer.Mean == [1, 2, 3, 4]
    np.testing.assert_allclose(layer.StandardDeviation, np.asarray(X, np.float64).std(0), rtol=1e-5)
    kept, _ = trainnet(X, labels, given, "crossentropy", trainingOptions("sgdm", MaxEpochs=1, Verbose=False,
                                                                         Precision="fp32"))
    np.testing.assert_allclose(_fitted_input(kept).Mean, np.asarray(X, np.float64).mean(0), rtol=1e-5)
    # custom loops: a 'zerocenter' layer without a Mean passes its input through unchanged
    x = np.random.default_rng(0).random((4, 4, 1, 2)).astype(np.float32)
    plain = lg.dlnetwork([lg.imageInputLayer([4, 4, 1], Name="in")])
    assert plain.Layers[0].Normalization == "zerocenter"
    np.testing.assert_array_equal(lg.extractdata(lg.predict(plain, lg.dlarray(x, "SSCB"))), x)


def test_no_training_observations_is_a_one_line_error() -> None:
    """An empty training set cannot give input statistics: a one-line DataError, not a numpy warning or NaN."""
    X, T = np.zeros((0, 4), np.float32), np.zeros((0, 2), np.float32)
    layers = [lg.featureInputLayer(4, Normalization="zscore"), lg.fullyConnectedLayer(2)]
    with pytest.raises(lg.errors.DataError, match=r"^trainnet: no training observations") as err:
        trainnet(X, T, layers, "mse", trainingOptions("adam", MaxEpochs=1, Verbose=False, Precision="fp32"))
    assert "\n" not in str(err.value)
