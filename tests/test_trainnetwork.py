"""trainNetwork (output layers), classify/predict on its result, minibatchpredict, scores2label, testnet, and
trainnet fed by datastores and minibatchqueues, each against hand-written numpy/torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import layergraph as lg
from layergraph.errors import NetworkError

RTOL = 1e-5


def _mlp_layers(n_out: int, head: list) -> list:
    return [lg.featureInputLayer(4, Name="in"), lg.fullyConnectedLayer(5, Name="fc1"), lg.reluLayer(),
            lg.fullyConnectedLayer(n_out, Name="fc2"), *head]


def _forward(net: lg.dlnetwork, x: np.ndarray, softmax: bool) -> np.ndarray:
    """The MLP written with torch from the network's MATLAB-layout learnables."""
    w = {k: torch.tensor(net.getLearnable(*k)) for k in [("fc1", "Weights"), ("fc1", "Bias"), ("fc2", "Weights"),
                                                         ("fc2", "Bias")]}
    h = F.relu(torch.tensor(x) @ w["fc1", "Weights"].T + w["fc1", "Bias"].reshape(-1))
    z = h @ w["fc2", "Weights"].T + w["fc2", "Bias"].reshape(-1)
    return (torch.softmax(z, 1) if softmax else z).numpy()


def test_trainnetwork_regression_uses_half_mse_over_observations() -> None:
    """regressionLayer: loss = Σ(Y − T)²/(2N) (trainNetwork's), SGDM MATLAB-style, L2 on weights only."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 4)).astype(np.float32)
    T = rng.standard_normal((12, 2)).astype(np.float32)
    torch.manual_seed(0)
    layers = _mlp_layers(2, [lg.regressionLayer(Name="out")])
    lgraph = lg.layerGraph(layers).removeLayers("out")
    init = lg.dlnetwork(lgraph)
    layers_init = [*init.Layers, lg.regressionLayer(Name="out")]
    # the same initial weights go in through the layers' values: train the dlnetwork's graph
    opts = lg.trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=4, Shuffle="never", Verbose=False,
                              InitialLearnRate=0.05, Precision="fp32")
    W = {k: torch.tensor(init.getLearnable(*k)) for k in [("fc1", "Weights"), ("fc1", "Bias"), ("fc2", "Weights"),
                                                          ("fc2", "Bias")]}
    net, info = lg.trainNetwork(X, T, _with_values(layers_init, init), opts)
    assert isinstance(net, lg.SeriesNetwork) and info.TrainingRMSE is not None and info.TrainingAccuracy is None

    vel = {k: torch.zeros_like(v) for k, v in W.items()}
    losses, rmses = [], []
    for _ in range(2):
        for s in range(0, 12, 4):
            leaves = {k: v.clone().requires_grad_(True) for k, v in W.items()}
            h = F.relu(torch.tensor(X[s:s + 4]) @ leaves["fc1", "Weights"].T + leaves["fc1", "Bias"].reshape(-1))
            y = h @ leaves["fc2", "Weights"].T + leaves["fc2", "Bias"].reshape(-1)
            d = y - torch.tensor(T[s:s + 4])
            loss = (d ** 2).sum() / (2 * 4)
            losses.append(float(loss.detach()))
            rmses.append(float((d ** 2).mean().sqrt().detach()))
            grads = torch.autograd.grad(loss, list(leaves.values()))
            for (k, g), l2 in zip(zip(leaves, grads), [1.0, 0.0, 1.0, 0.0]):
                vel[k] = 0.9 * vel[k] - 0.05 * (g + 1e-4 * l2 * W[k])
                W[k] = W[k] + vel[k]
    np.testing.assert_allclose(info.TrainingLoss, losses, rtol=RTOL)
    np.testing.assert_allclose(info.TrainingRMSE, rmses, rtol=RTOL)
    np.testing.assert_allclose(net.dlnet.getLearnable("fc2", "Weights"), W["fc2", "Weights"].numpy(), rtol=RTOL)
    # predict on the result: N×R responses, as the hand-written forward gives them
    np.testing.assert_allclose(lg.predict(net, X), _forward(net.dlnet, X, False), rtol=1e-5, atol=1e-6)


def _with_values(layers: list, net: lg.dlnetwork) -> lg.LayerGraph:
    """A layer graph whose fully connected layers start from `net`'s weights (so both sides start alike)."""
    out = []
    for layer in layers:
        if layer.type == "fullyConnectedLayer":
            w, b = net.getLearnable(layer.Name, "Weights"), net.getLearnable(layer.Name, "Bias")
            layer = layer.model_copy(update={"WeightsInitializer": (lambda sz, w=w: w),
                                             "BiasInitializer": (lambda sz, b=b: b)})
        out.append(layer)
    return lg.layerGraph(out)


def test_trainnetwork_classification_classify_and_info() -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 4)).astype(np.float32)
    labels = lg.categorical([["cat", "dog", "emu"][i] for i in rng.integers(0, 3, 30)])
    torch.manual_seed(1)
    opts = lg.trainingOptions("adam", MaxEpochs=3, MiniBatchSize=10, Verbose=False, Precision="fp32",
                              ValidationData=(X[:9], labels[:9]), ValidationFrequency=2)
    net, info = lg.trainNetwork(X, labels, _mlp_layers(3, [lg.softmaxLayer(), lg.classificationLayer()]), opts)
    assert net.Layers[-1].Classes == ["cat", "dog", "emu"] and net.Classes == ["cat", "dog", "emu"]
    assert info.OutputNetworkIteration == 9  # trainNetwork returns the last iteration
    # trainNetwork validates at iteration 1, every ValidationFrequency iterations and at the end
    assert info.ValidationLoss.shape == (9,)
    assert list(np.flatnonzero(~np.isnan(info.ValidationLoss)) + 1) == [1, 2, 4, 6, 8, 9]
    assert info.FinalValidationLoss == pytest.approx(info.ValidationLoss[-1])
    scores = lg.predict(net, X)
    expect = _forward(net.dlnet, X, True)
    np.testing.assert_allclose(scores, expect, rtol=1e-5, atol=1e-6)
    predicted = lg.classify(net, X)
    assert predicted.tolist() == [["cat", "dog", "emu"][i] for i in expect.argmax(1)]
    # the training accuracy column is the percentage of each mini-batch classified right
    assert ((info.TrainingAccuracy >= 0) & (info.TrainingAccuracy <= 100)).all()
    with pytest.raises(NetworkError, match="must end in one classificationLayer or regressionLayer"):
        lg.trainNetwork(X, labels, _mlp_layers(3, [lg.softmaxLayer()]), opts)


def test_minibatchpredict_scores2label_and_testnet() -> None:
    rng = np.random.default_rng(2)
    X = rng.standard_normal((11, 4)).astype(np.float32)
    labels = lg.categorical([str(i) for i in rng.integers(0, 3, 11)])
    torch.manual_seed(2)
    net = lg.dlnetwork(_mlp_layers(3, [lg.softmaxLayer()]))
    scores = lg.minibatchpredict(net, X, MiniBatchSize=4)
    expect = _forward(net, X, True)
    assert scores.shape == (11, 3)
    np.testing.assert_allclose(scores, expect, rtol=1e-5, atol=1e-6)
    classes = ["0", "1", "2"]
    assert lg.scores2label(scores, classes).tolist() == [classes[i] for i in expect.argmax(1)]
    assert lg.scores2label(scores.T, classes, 1).tolist() == [classes[i] for i in expect.argmax(1)]
    acc = np.mean(expect.argmax(1) == labels.codes - 1) * 100
    onehot = np.eye(3)[labels.codes - 1]
    ce = -(onehot * np.log(expect)).sum() / 11
    got = lg.testnet(net, X, labels, ["accuracy", "crossentropy"], MiniBatchSize=5)
    assert got[0] == pytest.approx(acc) and got[1] == pytest.approx(ce, rel=1e-5)
    T = rng.standard_normal((11, 3)).astype(np.float32)
    assert lg.testnet(net, X, T, "rmse") == pytest.approx(np.sqrt(((expect - T) ** 2).mean()), rel=1e-5)


def test_minibatchpredict_on_image_and_sequence_outputs() -> None:
    torch.manual_seed(3)
    net = lg.dlnetwork([lg.imageInputLayer([5, 4, 2]), lg.convolution2dLayer(3, 3, Padding="same", Name="c")])
    X = np.random.default_rng(3).random((5, 4, 2, 7)).astype(np.float32)
    Y = lg.minibatchpredict(net, X, MiniBatchSize=3)
    assert Y.shape == (5, 4, 3, 7)  # MATLAB layout H×W×C×N
    one = lg.extractdata(lg.predict(net, lg.dlarray(torch.tensor(X[..., 2:3]), "SSCB"))).numpy()
    np.testing.assert_allclose(Y[..., 2], one[..., 0], rtol=1e-5, atol=1e-6)

    seqnet = lg.dlnetwork([lg.sequenceInputLayer(2), lg.convolution1dLayer(2, 3, Padding="causal", Name="c")])
    seqs = [np.random.default_rng(i).standard_normal((n, 2)).astype(np.float32) for i, n in enumerate([4, 6, 5])]
    out = lg.minibatchpredict(seqnet, seqs, MiniBatchSize=2)  # T×C sequences in, T×K out (trainnet's layout)
    assert [o.shape for o in out] == [(4, 3), (6, 3), (5, 3)]  # each cut back to its own length
    alone = lg.extractdata(lg.predict(seqnet, lg.dlarray(torch.tensor(seqs[0].T)[:, None, :], "CBT"))).numpy()
    np.testing.assert_allclose(out[0], alone[:, 0, :].T, rtol=1e-5, atol=1e-6)  # causal: right padding is harmless


def test_trainnet_from_datastore_and_minibatchqueue_matches_arrays() -> None:
    rng = np.random.default_rng(4)
    X = rng.random((6, 6, 1, 12)).astype(np.float32)
    labels = lg.categorical([str(i) for i in rng.integers(0, 2, 12)])
    layers = [lg.imageInputLayer([6, 6, 1]), lg.convolution2dLayer(3, 2), lg.reluLayer(),
              lg.fullyConnectedLayer(2), lg.softmaxLayer()]
    torch.manual_seed(4)
    net0 = lg.dlnetwork(layers)
    opts = lg.trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=4, Shuffle="never", Verbose=False,
                              Precision="fp32")
    _, from_arrays = lg.trainnet(X, labels, net0, "crossentropy", opts)
    ds = lg.combine(lg.arrayDatastore(X, IterationDimension=4), lg.arrayDatastore(labels))
    _, from_store = lg.trainnet(ds, net0, "crossentropy", opts)
    np.testing.assert_allclose(from_store.TrainingHistory.Loss, from_arrays.TrainingHistory.Loss, rtol=1e-6)

    def batch(xs, ts):
        return lg.cat(4, *xs), lg.onehotencode(lg.cat(2, *ts), 1)

    mbq = lg.minibatchqueue(ds, 2, MiniBatchSize=4, MiniBatchFcn=batch, MiniBatchFormat=["SSCB", "CB"])
    _, from_queue = lg.trainnet(mbq, net0, "crossentropy", opts)
    np.testing.assert_allclose(from_queue.TrainingHistory.Loss, from_arrays.TrainingHistory.Loss, rtol=1e-6)


def test_trainnetwork_prints_the_boxed_progress_table(capsys: pytest.CaptureFixture) -> None:
    rng = np.random.default_rng(5)
    X = rng.standard_normal((20, 4)).astype(np.float32)
    labels = lg.categorical([str(i % 2) for i in range(20)])
    opts = lg.trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=5, VerboseFrequency=3, Precision="fp32",
                              ValidationData=(X, labels), ValidationFrequency=4)
    lg.trainNetwork(X, labels, _mlp_layers(2, [lg.softmaxLayer(), lg.classificationLayer()]), opts)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("|====") and "Mini-batch" in lines[1] and "Base Learning" in lines[1]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[4:] if line.startswith("|  ")]
    assert [r[1] for r in rows] == ["1", "3", "4", "6", "8"]  # 1, every 3rd, validations (4, 8), the last
    assert rows[0][3].endswith("%") and rows[0][4].endswith("%")  # accuracies in percent, validated at 1
    assert lines[-1] == "Training stopped: Max epochs completed"


def test_a_datastore_that_draws_at_random_is_read_every_epoch() -> None:
    """A transformed (or augmented) datastore is read again each epoch, as MATLAB reads it; the transform sees
    every observation once per epoch."""
    rng = np.random.default_rng(6)
    X = rng.random((6, 6, 1, 8)).astype(np.float32)
    labels = lg.categorical([str(i % 2) for i in range(8)])
    seen = []

    def jitter(data):
        seen.append(len(data) if isinstance(data, list) else 1)
        return data

    ds = lg.transform(lg.combine(lg.arrayDatastore(X, IterationDimension=4), lg.arrayDatastore(labels)), jitter)
    layers = [lg.imageInputLayer([6, 6, 1]), lg.fullyConnectedLayer(2), lg.softmaxLayer()]
    reads = []
    for epochs in (1, 2, 3):
        seen.clear()
        opts = lg.trainingOptions("sgdm", MaxEpochs=epochs, MiniBatchSize=4, Verbose=False, Precision="fp32")
        _, info = lg.trainnet(ds, layers, "crossentropy", opts)
        assert len(info.TrainingHistory.Loss) == 2 * epochs
        reads.append(sum(seen))
    per_epoch = reads[1] - reads[0]
    assert per_epoch >= 8 and reads[2] - reads[1] == per_epoch  # all 8 observations again each epoch


def test_trainnetwork_with_one_output_gives_the_network() -> None:
    """MATLAB: `net = trainNetwork(...)` is the network; `[net, info] = trainNetwork(...)` both."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((12, 4)).astype(np.float32)
    labels = lg.categorical([str(i % 2) for i in range(12)])
    opts = lg.trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=6, Verbose=False, Precision="fp32")
    net = lg.trainNetwork(X, labels, _mlp_layers(2, [lg.softmaxLayer(), lg.classificationLayer()]), opts)
    assert isinstance(net, lg.SeriesNetwork)
    net, info = lg.trainNetwork(X, labels, _mlp_layers(2, [lg.softmaxLayer(), lg.classificationLayer()]), opts)
    assert isinstance(net, lg.SeriesNetwork) and len(info.TrainingLoss) == 2


def test_resetstate_of_a_trained_recurrent_seriesnetwork() -> None:
    """MATLAB's resetState takes trainNetwork's SeriesNetwork: states back to the initial (zero) values, so a
    single sequence predicts like the same network's fresh dlnetwork."""
    rng = np.random.default_rng(7)
    X = [rng.random((1, 6)).astype(np.float32) for _ in range(8)]
    layers = [lg.sequenceInputLayer(1, Name="in"), lg.lstmLayer(3, Name="lstm"), lg.fullyConnectedLayer(1, Name="fc"),
              lg.regressionLayer(Name="out")]
    opts = lg.trainingOptions("adam", MaxEpochs=1, MiniBatchSize=4, Verbose=False, Precision="fp32")
    net = lg.resetState(lg.trainNetwork(X, X, layers, opts))
    assert isinstance(net, lg.SeriesNetwork)
    states = {par: np.asarray(value) for _, par, value in net.dlnet.State}
    for state in ("HiddenState", "CellState"):
        np.testing.assert_array_equal(states[state], np.zeros((3, 1)))
    assert np.shape(lg.predict(net, [X[0]])[0]) == (1, 6)
    with pytest.raises(TypeError, match="resetState: expected a dlnetwork"):
        lg.resetState([1, 2])
