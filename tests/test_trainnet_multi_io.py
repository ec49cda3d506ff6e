"""trainnet on a network with two inputs and two outputs, from a minibatchqueue giving the predictors and then the
targets, with a loss function f(YA, YB, TA, TB), against a hand-written torch loop (the same two-branch network
with F.linear, sgdm v ← μ·v − α·g, W ← W + v, L2Regularization 0)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import layergraph as lg
from layergraph.errors import DataError, OptionError

NAMES = ["fc1", "fc2", "outA", "outB"]


def _net() -> lg.dlnetwork:
    g = lg.layerGraph([lg.featureInputLayer(3, Name="in1"), lg.fullyConnectedLayer(4, Name="fc1"),
                       lg.additionLayer(2, Name="add"), lg.reluLayer(Name="relu"),
                       lg.fullyConnectedLayer(2, Name="outA")])
    g = lg.addLayers(g, [lg.featureInputLayer(2, Name="in2"), lg.fullyConnectedLayer(4, Name="fc2")])
    g = lg.connectLayers(g, "fc2", "add/in2")
    g = lg.addLayers(g, lg.fullyConnectedLayer(1, Name="outB"))
    g = lg.connectLayers(g, "relu", "outB")
    torch.manual_seed(0)
    return lg.dlnetwork(g)


def _data(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, c)).astype(np.float32) for c in (3, 2, 2, 1)]  # X1, X2, TA, TB


def _queue(arrays: list[np.ndarray], size: int) -> lg.minibatchqueue:
    ds = lg.combine(*[lg.arrayDatastore(a) for a in arrays])

    def batch(*cols):
        return tuple(lg.cat(1, *c) for c in cols)  # B×C each

    return lg.minibatchqueue(ds, len(arrays), MiniBatchSize=size, MiniBatchFcn=batch,
                             MiniBatchFormat=["BC"] * len(arrays))


def _loss(YA, YB, TA, TB):
    return ((YA - TA) ** 2).mean() + 0.5 * ((YB - TB) ** 2).mean()


def _weights(net: lg.dlnetwork) -> dict[str, torch.Tensor]:
    return {f"{n}/{p}": torch.tensor(np.asarray(net.getLearnable(n, p))) for n in NAMES for p in ("Weights", "Bias")}


def _forward(W: dict, x1: torch.Tensor, x2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    def fc(name, x):
        return F.linear(x, W[f"{name}/Weights"], W[f"{name}/Bias"].reshape(-1))

    h = torch.relu(fc("fc1", x1) + fc("fc2", x2))
    return fc("outA", h), fc("outB", h)


def _reference(arrays: list[np.ndarray], W0: dict, epochs: int, size: int, lr: float) -> tuple[list, dict]:
    W = {k: v.clone() for k, v in W0.items()}
    vel = {k: torch.zeros_like(v) for k, v in W.items()}
    x1, x2, ta, tb = (torch.tensor(a) for a in arrays)
    losses = []
    for _ in range(epochs):
        for s in range(0, len(x1), size):
            p = {k: w.clone().requires_grad_(True) for k, w in W.items()}
            ya, yb = _forward(p, x1[s:s + size], x2[s:s + size])
            loss = _loss(ya, yb, ta[s:s + size], tb[s:s + size])
            losses.append(float(loss.detach()))
            for k, g in zip(p, torch.autograd.grad(loss, list(p.values()))):
                vel[k] = 0.9 * vel[k] - lr * g
                W[k] = W[k] + vel[k]
    return losses, W


def test_two_inputs_two_outputs_match_a_hand_written_loop() -> None:
    train, val = _data(20, seed=1), _data(7, seed=2)
    net0 = _net()

    def err_a(YA, YB, TA, TB):  # a metric function of all outputs and targets
        return ((YA - TA) ** 2).mean().sqrt()

    opts = lg.trainingOptions("sgdm", MaxEpochs=2, InitialLearnRate=0.05, L2Regularization=0, Shuffle="never",
                              Verbose=False, Precision="fp32", Metrics=err_a, ValidationData=_queue(val, 4),
                              ValidationFrequency=2, OutputNetwork="last-iteration")
    net, info = lg.trainnet(_queue(train, 5), net0, _loss, opts)
    losses, W = _reference(train, _weights(net0), epochs=2, size=5, lr=0.05)
    np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=1e-5)
    got = _weights(net)
    for k in W:
        np.testing.assert_allclose(got[k].numpy(), W[k].numpy(), rtol=1e-5, atol=1e-7, err_msg=k)
    # the last validation: the loss and the metric over the 7 validation observations (mini-batches of 4 and 3,
    # averaged weighted by their sizes, as MATLAB averages loss and metric functions)
    ya, yb = _forward(W, torch.tensor(val[0]), torch.tensor(val[1]))
    ta, tb = torch.tensor(val[2]), torch.tensor(val[3])
    per = [(_loss(ya[s:s + 4], yb[s:s + 4], ta[s:s + 4], tb[s:s + 4]), ((ya[s:s + 4] - ta[s:s + 4]) ** 2).mean().sqrt(),
            len(ya[s:s + 4])) for s in (0, 4)]
    assert info.ValidationHistory.Loss[-1] == pytest.approx(sum(float(l) * n for l, _, n in per) / 7, rel=1e-5)
    assert info.ValidationHistory.err_a[-1] == pytest.approx(sum(float(m) * n for _, m, n in per) / 7, rel=1e-5)


def test_several_outputs_refuse_what_needs_one() -> None:
    train = _data(10, seed=3)
    opts = lg.trainingOptions("sgdm", MaxEpochs=1, Verbose=False, Precision="fp32")
    with pytest.raises(OptionError, match="several outputs needs lossFcn as a function"):
        lg.trainnet(_queue(train, 5), _net(), "mse", opts)
    with pytest.raises(OptionError, match="Metrics must be functions"):
        lg.trainnet(_queue(train, 5), _net(), _loss, lg.trainingOptions("sgdm", Metrics="rmse", Verbose=False))
    with pytest.raises(DataError, match="trains from a minibatchqueue"):
        lg.trainnet((train[0], train[2]), _net(), _loss, opts)


def test_two_inputs_one_output_with_a_loss_name_and_input_statistics_per_input() -> None:
    """A loss name works with one output; each input layer's zscore statistics come from its own predictors."""
    X1, X2, TA, _ = _data(12, seed=4)
    X1, X2 = X1 * 3 + 1, X2 * 0.5 - 2
    g = lg.layerGraph([lg.featureInputLayer(3, Name="in1", Normalization="zscore"),
                       lg.fullyConnectedLayer(2, Name="fc1"), lg.additionLayer(2, Name="add")])
    g = lg.addLayers(g, [lg.featureInputLayer(2, Name="in2", Normalization="zscore"),
                         lg.fullyConnectedLayer(2, Name="fc2")])
    g = lg.connectLayers(g, "fc2", "add/in2")
    opts = lg.trainingOptions("sgdm", MaxEpochs=1, Verbose=False, Precision="fp32", Metrics="rmse")
    net, info = lg.trainnet(_queue([X1, X2, TA], 6), g, "mse", opts)
    layers = {layer.Name: layer for layer in net.Layers}
    np.testing.assert_allclose(np.ravel(layers["in1"].Mean), X1.astype(np.float64).mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.ravel(layers["in2"].StandardDeviation), X2.astype(np.float64).std(0), rtol=1e-5)
    assert len(info.TrainingHistory.RMSE) == 2
