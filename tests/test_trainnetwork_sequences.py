"""trainNetwork on sequence regression as MATLAB's forecasting examples use it: one numeric C×S sequence, fewer
observations than MiniBatchSize (one mini-batch per epoch), regressionLayer's sequence-to-sequence loss
1/(2S)·ΣΣ(t − y)² (MATLAB's formula, checked against the recorded RMSE), and predictAndUpdateState /
classifyAndUpdateState carrying the LSTM state from call to call."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import OptionError


def _series(n: int = 41) -> np.ndarray:
    x = np.sin(np.linspace(0, 6, n)).astype(np.float32)
    return (x - x.mean()) / x.std()


def _options(**kw: object) -> object:
    return lg.trainingOptions("adam", Verbose=False, InitialLearnRate=0.01, Precision="fp32", **kw)


def test_one_sequence_trains_one_iteration_per_epoch_with_mathworks_loss() -> None:
    torch.manual_seed(0)
    x = _series()
    layers = [lg.sequenceInputLayer(1), lg.lstmLayer(8), lg.fullyConnectedLayer(1), lg.regressionLayer()]
    net, info = lg.trainNetwork(x[None, :-1], x[None, 1:], layers, _options(MaxEpochs=4))
    assert len(info.TrainingLoss) == 4  # 1 observation < MiniBatchSize 128: one mini-batch per epoch
    # MATLAB: loss = 1/(2S) Σ_t Σ_j (t − y)² and RMSE = sqrt(mean over the S·R values): with R = 1, loss = RMSE²/2
    np.testing.assert_allclose(info.TrainingLoss, info.TrainingRMSE ** 2 / 2, rtol=1e-4)
    assert isinstance(net, lg.SeriesNetwork)


def test_sequence_loss_is_per_time_step_for_several_responses() -> None:
    torch.manual_seed(1)
    rng = np.random.default_rng(0)
    X = [rng.standard_normal((3, 9)).astype(np.float32) for _ in range(5)]  # C×S each (trainNetwork's layout)
    T = [rng.standard_normal((2, 9)).astype(np.float32) for _ in range(5)]  # R = 2 responses per step
    layers = [lg.sequenceInputLayer(3), lg.lstmLayer(6), lg.fullyConnectedLayer(2), lg.regressionLayer()]
    _, info = lg.trainNetwork(X, T, layers, _options(MaxEpochs=2, MiniBatchSize=5))
    # averaged over observations: loss = R/2 · (mean squared error over S·R values) = RMSE² for R = 2
    np.testing.assert_allclose(info.TrainingLoss, info.TrainingRMSE ** 2, rtol=1e-4)


@pytest.fixture(scope="module")
def forecaster() -> lg.SeriesNetwork:
    torch.manual_seed(2)
    x = _series()
    layers = [lg.sequenceInputLayer(1), lg.lstmLayer(8), lg.fullyConnectedLayer(1), lg.regressionLayer()]
    return lg.trainNetwork(x[None, :-1], x[None, 1:], layers, _options(MaxEpochs=3))


def test_predict_and_update_state_step_by_step_equals_the_whole_sequence(forecaster: lg.SeriesNetwork) -> None:
    x = _series()[None, :-1]
    whole = np.asarray(lg.predict(forecaster, x))
    assert whole.shape == (1, x.shape[1])  # one numeric C×S sequence in, one R×S array out
    net = forecaster
    steps = []
    for t in range(x.shape[1]):
        net, y = lg.predictAndUpdateState(net, x[:, t], ExecutionEnvironment="cpu")  # a 1×1 step each time
        steps.append(np.asarray(y).reshape(-1))
    np.testing.assert_allclose(np.concatenate(steps), whole.reshape(-1), atol=1e-5)
    # the input network is a value: its state is untouched, so predicting again starts from zeros
    np.testing.assert_allclose(np.asarray(lg.predict(forecaster, x)).reshape(1, -1), whole, atol=1e-6)
    warmed = lg.predictAndUpdateState(forecaster, x[:, :10])  # one output asked for: the network alone
    assert isinstance(warmed, lg.SeriesNetwork)
    _, y11 = lg.predictAndUpdateState(warmed, x[:, 10:11])
    np.testing.assert_allclose(np.asarray(y11).reshape(-1), whole[0, 10:11], atol=1e-5)
    _, cold = lg.predictAndUpdateState(lg.resetState(warmed), x[:, :1])
    np.testing.assert_allclose(np.asarray(cold).reshape(-1), whole[0, :1], atol=1e-5)


def test_classify_and_update_state_labels_each_step() -> None:
    torch.manual_seed(3)
    rng = np.random.default_rng(1)
    X = [rng.standard_normal((2, 6)).astype(np.float32) for _ in range(4)]
    Y = [lg.categorical(["a" if v > 0 else "b" for v in x[0]], ["a", "b"]) for x in X]
    layers = [lg.sequenceInputLayer(2), lg.lstmLayer(5), lg.fullyConnectedLayer(2), lg.softmaxLayer(),
              lg.classificationLayer()]
    net = lg.trainNetwork(X, Y, layers, _options(MaxEpochs=2, MiniBatchSize=4))
    scores = np.asarray(lg.predict(net, X[0]))  # K×S scores of the whole sequence
    assert scores.shape == (2, 6)
    state_net, labels = lg.classifyAndUpdateState(net, X[0][:, :3])
    _, rest = lg.classifyAndUpdateState(state_net, X[0][:, 3:])
    got = list(labels.tolist()) + list(rest.tolist())
    got = [g for row in got for g in (row if isinstance(row, list) else [row])]
    assert got == [["a", "b"][k] for k in scores.argmax(0)]
    with pytest.raises(OptionError, match="equal length"):
        lg.predictAndUpdateState(net, [X[0], X[1][:, :4]])
