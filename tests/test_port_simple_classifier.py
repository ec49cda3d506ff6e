"""The port of MathWorks' "Create Simple Deep Learning Neural Network for Classification" runs on the built-in
digits (trainnet and the legacy trainNetwork form) and its accuracy is the share of labels it gets right."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.data import write_digits
from tests.test_ports import load


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("simple") / "digits"
    write_digits(folder, size=28)
    return folder


@pytest.mark.parametrize("legacy", [False, True])
def test_simple_classifier_port(digits: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, legacy: bool) -> None:
    monkeypatch.chdir(tmp_path)
    m = load("simple_classifier", "create_simple_classifier.py")
    torch.manual_seed(0)
    epochs = 1 if legacy else 2  # (the legacy form trains the same way: one epoch keeps the file fast)
    res = m.main([str(digits), "--max-epochs", str(epochs), *(["--legacy"] if legacy else [])])
    T, Y = res["TValidation"], res["YValidation"]
    assert len(T) == 1797 - 10 * 135 and res["imdsTrain"].countEachLabel() == {str(d): 135 for d in range(10)}
    truth, pred = np.array(T.tolist()).ravel(), np.array(Y.tolist()).ravel()
    assert res["accuracy"] == pytest.approx(np.mean(truth == pred))
    assert res["accuracy"] > 0.5  # 1–2 epochs on 1,350 images (4 epochs: 0.96, in docs/porting-from-matlab.md)
    assert (tmp_path / "training-progress.png").exists()
    if legacy:
        assert isinstance(res["net"], lg.SeriesNetwork) and res["net"].Layers[-1].Classes == res["classNames"]
    else:
        th = res["info"].TrainingHistory
        assert list(th.Iteration) == list(range(1, epochs * (1350 // 128) + 1))  # partial mini-batches dropped
        assert res["info"].ValidationHistory.Iteration[0] == 0
