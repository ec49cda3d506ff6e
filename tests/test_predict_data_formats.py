"""predict/forward with InputDataFormats and OutputDataFormats (numeric data in any dimension order, numeric
results laid out as asked), against numpy written from the fully connected layer's formula."""
from __future__ import annotations

import numpy as np
import pytest

import layergraph as lg
from layergraph.errors import NetworkError


@pytest.fixture(scope="module")
def net() -> lg.dlnetwork:
    return lg.dlnetwork([lg.sequenceInputLayer(3), lg.fullyConnectedLayer(4)])


def _reference(net: lg.dlnetwork, x_btc: np.ndarray) -> np.ndarray:
    """fullyConnectedLayer on sequences: W·x_t + b at every time step; K×B×T."""
    W = np.asarray(net.getLearnable("fc", "Weights"))
    b = np.asarray(net.getLearnable("fc", "Bias")).reshape(-1, 1, 1)
    return np.einsum("kc,btc->kbt", W, x_btc) + b


def test_numeric_data_in_any_order_and_results_laid_out_as_asked(net: lg.dlnetwork) -> None:
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)  # B×T×C
    want = _reference(net, x)
    y = lg.predict(net, x, InputDataFormats="BTC", OutputDataFormats="CBT")
    assert not y.fmt and tuple(y.shape) == (4, 2, 5)  # numeric, C×B×T
    np.testing.assert_allclose(np.asarray(y), want, atol=1e-5)
    y = net.predict(x.transpose(2, 1, 0), InputDataFormats="CTB", OutputDataFormats="TBC")  # C×T×B in, T×B×C out
    np.testing.assert_allclose(np.asarray(y), want.transpose(2, 1, 0), atol=1e-5)
    y = lg.forward(net, x, "InputDataFormats", "BTC", "OutputDataFormats", "BTC")  # MATLAB's pair form
    np.testing.assert_allclose(np.asarray(lg.extractdata(y)), want.transpose(1, 2, 0), atol=1e-5)
    formatted = lg.predict(net, lg.dlarray(x, "BTC"), OutputDataFormats="auto")
    assert formatted.fmt == "CBT"  # "auto": the network's own output


def test_bad_data_formats_are_one_line_errors(net: lg.dlnetwork) -> None:
    x = np.zeros((2, 5, 3), np.float32)
    with pytest.raises(NetworkError, match="OutputDataFormats: 'CB' must name the output's dimensions 'CBT'"):
        lg.predict(net, x, InputDataFormats="BTC", OutputDataFormats="CB")
    with pytest.raises(NetworkError, match="one format per input"):
        lg.predict(net, x, InputDataFormats=["BTC", "CB"])
