"""Keras 3 cross-check (torch backend): keras.layers.LSTM, GRU and Bidirectional(LSTM) with the same weights
give lstmLayer's, gruLayer's and bilstmLayer's numbers. Keras stores kernels transposed (C×4H) and orders
GRU gates z, r, h (MATLAB: r, z, h); its GRU with reset_after is MATLAB's recurrent-bias mode."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import layergraph as lg  # noqa: E402


def _net(layer: lg.Layer, c: int) -> tuple[lg.dlnetwork, dict[str, np.ndarray]]:
    net = lg.dlnetwork([lg.sequenceInputLayer(c), layer])
    rng = np.random.default_rng(3)
    p = {}
    for lay, par, _, shape in net._learn_rows:
        p[par] = rng.normal(0, 0.5, shape).astype(np.float32)
        net.setLearnable(lay, par, p[par])
    return net, p


def _ours(net: lg.dlnetwork, x: np.ndarray) -> np.ndarray:
    """x: N×T×C (Keras) → our output as N×T×H."""
    y = lg.extractdata(lg.predict(net, lg.dlarray(x.transpose(2, 0, 1), "CBT"))).numpy()
    return y.transpose(1, 2, 0)


def _keras(layer: object, x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    model = keras.Sequential([keras.Input(shape=x.shape[1:]), layer])
    model.layers[-1].set_weights(weights)
    return np.asarray(keras.ops.convert_to_numpy(model(x)))


X = np.random.default_rng(4).normal(0, 1, (2, 6, 3)).astype(np.float32)


@pytest.mark.parametrize("state", ["tanh", "softsign"])
def test_lstm_equals_keras(state: str) -> None:
    net, p = _net(lg.lstmLayer(4, StateActivationFunction=state, Name="l"), 3)
    want = _keras(keras.layers.LSTM(4, activation=state, return_sequences=True), X,
                  [p["InputWeights"].T, p["RecurrentWeights"].T, p["Bias"][:, 0]])
    np.testing.assert_allclose(_ours(net, X), want, atol=1e-5)


@pytest.mark.parametrize("mode", ["recurrent-bias-after-multiplication", "before-multiplication"])
def test_gru_equals_keras(mode: str) -> None:
    net, p = _net(lg.gruLayer(4, ResetGateMode=mode, Name="g"), 3)

    def zrh(a: np.ndarray) -> np.ndarray:  # MATLAB rows r, z, h → Keras columns z, r, h
        return np.concatenate([a[4:8], a[:4], a[8:]], 0)

    b = p["Bias"][:, 0]
    after = mode.startswith("recurrent")
    bias = np.stack([zrh(b[:12]), zrh(b[12:])]) if after else zrh(b)
    want = _keras(keras.layers.GRU(4, reset_after=after, return_sequences=True), X,
                  [zrh(p["InputWeights"]).T, zrh(p["RecurrentWeights"]).T, bias])
    np.testing.assert_allclose(_ours(net, X), want, atol=1e-5)


def test_bidirectional_lstm_equals_keras() -> None:
    net, p = _net(lg.bilstmLayer(4, Name="b"), 3)
    W, R, b = p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0]
    want = _keras(keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True)), X,
                  [W[:16].T, R[:16].T, b[:16], W[16:].T, R[16:].T, b[16:]])
    np.testing.assert_allclose(_ours(net, X), want, atol=1e-5)
