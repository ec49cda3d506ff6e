"""padsequences (MATLAB's Length, Direction, PaddingValue, UniformOutput and mask), and what padding does to
the recurrent layers: MATLAB does not mask, so 'last' output of left-padded sequences is the recurrence run
over the padding and then the data."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import OptionError
from tests.test_recurrent import np_lstm


def _seqs() -> list[np.ndarray]:
    # three 2-channel sequences of lengths 3, 1, 2 (C×T), values that say where they came from
    return [np.array([[1, 2, 3], [10, 20, 30]], np.float32), np.array([[4], [40]], np.float32),
            np.array([[5, 6], [50, 60]], np.float32)]


def test_right_padding_to_the_longest_concatenates_along_dimension_three() -> None:
    X, mask = lg.padsequences(_seqs(), 2)
    assert X.shape == (2, 3, 3) and mask.shape == (2, 3, 3)  # C×T×N, MATLAB's "CTB"
    np.testing.assert_array_equal(X[:, :, 1], [[4, 0, 0], [40, 0, 0]])
    np.testing.assert_array_equal(X[:, :, 2], [[5, 6, 0], [50, 60, 0]])
    np.testing.assert_array_equal(mask[0], [[1, 1, 1], [1, 0, 1], [1, 0, 0]])  # time × observation


def test_left_padding_value_and_truncation() -> None:
    X, mask = lg.padsequences(_seqs(), 2, "Direction", "left", "PaddingValue", -1)
    np.testing.assert_array_equal(X[0, :, 1], [-1, -1, 4])
    np.testing.assert_array_equal(X[0, :, 2], [-1, 5, 6])
    np.testing.assert_array_equal(mask[0, :, 2], [False, True, True])
    X, mask = lg.padsequences(_seqs(), 2, Length="shortest")
    assert X.shape == (2, 1, 3) and mask.all()
    np.testing.assert_array_equal(X[0, 0], [1, 4, 5])  # right: the start is kept
    X, _ = lg.padsequences(_seqs(), 2, Length="shortest", Direction="left")
    np.testing.assert_array_equal(X[0, 0], [3, 4, 6])  # left: the end is kept
    X, mask = lg.padsequences(_seqs(), 2, Length=2)
    np.testing.assert_array_equal(X[0], [[1, 4, 5], [2, 0, 6]])
    np.testing.assert_array_equal(mask[0], [[1, 1, 1], [1, 0, 1]])


def test_non_uniform_output_and_torch_input() -> None:
    cells, masks = lg.padsequences(_seqs(), 2, UniformOutput=False)
    assert [c.shape for c in cells] == [(2, 3)] * 3 and masks[1].tolist() == [[True, False, False]] * 2
    X, _ = lg.padsequences([torch.ones(3, 2), torch.ones(3, 4)], 2)
    assert isinstance(X, torch.Tensor) and tuple(X.shape) == (3, 4, 2)
    row, _ = lg.padsequences([np.arange(3.0), np.arange(1.0)], 1)  # column vectors padded along dimension 1
    assert row.shape == (3, 1, 2)


def test_bad_arguments_name_the_option() -> None:
    with pytest.raises(OptionError, match="Direction"):
        lg.padsequences(_seqs(), 2, Direction="up")
    with pytest.raises(OptionError, match="Length"):
        lg.padsequences(_seqs(), 2, Length=0)
    with pytest.raises(OptionError, match="same size"):
        lg.padsequences([np.ones((2, 3)), np.ones((3, 3))], 2)
    with pytest.raises(OptionError, match="unknown option"):
        lg.padsequences(_seqs(), 2, Padding=0)


def test_left_padded_last_output_is_the_recurrence_over_padding_then_data() -> None:
    """No masking (MATLAB's layers have none): each observation's 'last' output equals numpy's LSTM run over its
    left-padded sequence; with left padding the last step is real data, so padding by zeros changes the result
    only through the state the zeros leave behind."""
    net = lg.dlnetwork([lg.sequenceInputLayer(2), lg.lstmLayer(3, OutputMode="last", Name="l")])
    rng = np.random.default_rng(0)
    p = {}
    for lay, par, _, shape in net._learn_rows:
        p[par] = rng.normal(0, 0.7, shape).astype(np.float32)
        net.setLearnable(lay, par, p[par])
    seqs = [rng.normal(0, 1, (2, n)).astype(np.float32) for n in (5, 2, 4)]
    X, _ = lg.padsequences(seqs, 2, Direction="left")
    Y = lg.extractdata(lg.predict(net, lg.dlarray(X, "CTB"))).numpy()
    z = np.zeros((3, 1))
    for j, s in enumerate(seqs):
        padded = X[:, :, j:j + 1].transpose(0, 2, 1)  # C×1×T
        _, h, _ = np_lstm(padded, p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0], z, z)
        np.testing.assert_allclose(Y[:, j], h[:, 0], atol=2e-5)
        _, alone, _ = np_lstm(s[:, None, :], p["InputWeights"], p["RecurrentWeights"], p["Bias"][:, 0], z, z)
        if s.shape[1] < 5:  # the padding is not skipped: the state it leaves differs from a fresh one
            assert np.abs(h - alone).max() > 1e-4


def test_sequence_classification_example_learns_the_digits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture) -> None:
    """examples/sequence_classification.py as it stands (run in this process: no second torch import): digits read
    row by row, left-padded mini-batches, an LSTM trained with dlfeval/dlgradient/adamupdate; the held-out fifth
    is classified far above chance (0.1)."""
    root = Path(__file__).resolve().parents[1]
    script = root / "examples/sequence_classification.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--out", str(tmp_path)])
    torch_threads = torch.get_num_threads()
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        torch.set_num_threads(torch_threads)
    out = capsys.readouterr().out
    assert "6 to 8 time steps" in out  # sequences of different lengths, padded per mini-batch
    assert float((tmp_path / "accuracy.txt").read_text()) >= 0.85
