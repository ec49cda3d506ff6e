"""BatchNormalizationStatistics="population": after training, one more pass over all the training observations
sets TrainedMean/TrainedVariance to the mean and variance of each batch normalization layer's input.

The reference below re-runs that pass in numpy from the returned network's learnables: mini-batches of
MiniBatchSize in data order (the last, partial one included), each batch normalization layer normalizing the
mini-batch by its own statistics (as in training) while its input is summed per channel.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import layergraph as lg

EPS = 1e-5


def _layers() -> list:
    return [lg.featureInputLayer(3, Name="in"), lg.fullyConnectedLayer(5, Name="fc1"),
            lg.batchNormalizationLayer(Name="bn1"), lg.reluLayer(), lg.fullyConnectedLayer(4, Name="fc2"),
            lg.batchNormalizationLayer(Name="bn2"), lg.reluLayer(), lg.fullyConnectedLayer(2, Name="fc3")]


def _reference(net: lg.dlnetwork, X: np.ndarray, size: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    def p(layer: str, name: str) -> np.ndarray:
        return np.asarray(net.getLearnable(layer, name), dtype=np.float64)

    sums = {"bn1": [0.0, 0.0, 0], "bn2": [0.0, 0.0, 0]}

    def bn(name: str, h: np.ndarray) -> np.ndarray:
        s = sums[name]
        s[0], s[1], s[2] = s[0] + h.sum(0), s[1] + (h ** 2).sum(0), s[2] + h.shape[0]
        mu, var = h.mean(0), h.var(0)
        return (h - mu) / np.sqrt(var + EPS) * p(name, "Scale").ravel() + p(name, "Offset").ravel()

    for start in range(0, len(X), size):
        x = X[start:start + size].astype(np.float64)
        h = np.maximum(bn("bn1", x @ p("fc1", "Weights").T + p("fc1", "Bias").ravel()), 0)
        bn("bn2", h @ p("fc2", "Weights").T + p("fc2", "Bias").ravel())
    return {k: (s[0] / s[2], s[1] / s[2] - (s[0] / s[2]) ** 2) for k, s in sums.items()}


@pytest.mark.parametrize("stats", ["population", "moving"])
def test_population_statistics_after_training(stats: str) -> None:
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((21, 3)) * [1, 2, 3] + [0.5, -1, 2]).astype(np.float32)
    T = rng.standard_normal((21, 2)).astype(np.float32)
    torch.manual_seed(0)
    opts = lg.trainingOptions("adam", MaxEpochs=3, MiniBatchSize=8, Shuffle="every-epoch", Verbose=False,
                              BatchNormalizationStatistics=stats, Precision="fp32")
    net, _ = lg.trainnet(X, T, _layers(), "mse", opts)
    expected = _reference(net, X, 8)  # 8 + 8 + 5: the observations training discarded count too
    for name, (mean, var) in expected.items():
        got_mean = np.asarray(net.getLearnable(name, "TrainedMean")).ravel()
        got_var = np.asarray(net.getLearnable(name, "TrainedVariance")).ravel()
        if stats == "population":
            np.testing.assert_allclose(got_mean, mean, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(got_var, var, rtol=1e-5, atol=1e-6)
        else:  # the moving estimate after 6 iterations is not the population's
            assert not np.allclose(got_var, var, rtol=1e-3)
