"""`forward` leaves the network as it was (MATLAB's dlnetwork is a value): the updated batch-norm statistics come
back as its last output and reach the network only through `net.State = state`."""
from __future__ import annotations

import numpy as np
import torch

from layergraph import (
    batchNormalizationLayer,
    convolution2dLayer,
    dlarray,
    dlnetwork,
    forward,
    imageInputLayer,
    predict,
)


def _net() -> dlnetwork:
    torch.manual_seed(0)
    return dlnetwork([imageInputLayer([6, 6, 2], Normalization="none", Name="in"),
                      convolution2dLayer(3, 4, Padding="same", Name="conv"),
                      batchNormalizationLayer(Name="bn")])


def _values(table) -> list[np.ndarray]:
    return [np.array(v.detach().cpu()) for v in table.Value]


def test_forward_returns_the_new_statistics_and_leaves_the_network_unchanged() -> None:
    net = _net()
    X = dlarray(torch.randn(6, 6, 2, 5) * 3 + 1, "SSCB")
    before, y_before = _values(net.State), predict(net, X)
    conv_out, _, state = forward(net, X, Outputs=["conv", "bn"])
    after = _values(net.State)
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b)  # nothing written into the network
    np.testing.assert_array_equal(np.array(predict(net, X).detach()), np.array(y_before.detach()))
    # MATLAB: TrainedMean = MeanDecay·(batch mean) + (1 − MeanDecay)·TrainedMean, MeanDecay 0.1, start 0
    batch_mean = np.array(conv_out.detach()).reshape(5, 4, -1).transpose(1, 0, 2).reshape(4, -1).mean(1)
    mean_row = next(i for i, p in enumerate(state.Parameter) if p == "TrainedMean")
    np.testing.assert_allclose(_values(state)[mean_row].reshape(-1), 0.1 * batch_mean, rtol=1e-5, atol=1e-6)


def test_assigning_the_state_is_what_updates_the_network() -> None:
    net = _net()
    X = dlarray(torch.randn(6, 6, 2, 5) * 3 + 1, "SSCB")
    _, state = forward(net, X)
    net.State = state
    for have, want in zip(_values(net.State), _values(state)):
        np.testing.assert_array_equal(have, want)
    _, state2 = forward(net, X)  # a second pass starts from the assigned statistics
    mean_row = state.Parameter.index("TrainedMean")
    assert not np.allclose(_values(state2)[mean_row], _values(state)[mean_row])
