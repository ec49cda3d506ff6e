"""trainingProgressMonitor (recorded data, terminal output, Ctrl-C as Stop, PNG) and confusionchart (counts against
numpy, MATLAB's class order and normalizations, PNG)."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from layergraph import categorical
from layergraph.monitor import (
    confusionchart,
    exportgraphics,
    groupSubPlot,
    recordMetrics,
    trainingProgressMonitor,
    updateInfo,
)
from layergraph.monitor.terminal import LiveDisplay, Snapshot


def _blue_pixels(path: Path) -> int:
    """Pixels in the hue of MATLAB's first colour [0 0.447 0.741] (blue well above red), at any shade."""
    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return int((img[:, :, 2] - img[:, :, 0] > 80).sum())


def test_progress_sitting_at_100_redraws_once(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A loop setting Progress = 100·epoch/numEpochs sits at 100 for its whole last epoch: one forced line and
    one PNG, not one per iteration (the line printer is otherwise throttled to one every 10 s)."""
    out = tmp_path / "progress.png"
    monitor = trainingProgressMonitor(Metrics="Loss", OutputFile=str(out))
    for it in range(1, 41):
        recordMetrics(monitor, it, Loss=1.0 / it)
        monitor.Progress = 100 * ((it - 1) // 20 + 1) / 2  # epoch 2 of 2 from iteration 21 on
    printed = capsys.readouterr().out
    assert printed.count("[100.0%]") == 1, printed


def test_monitor_records_metrics_info_and_writes_png(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "progress.png"
    monitor = trainingProgressMonitor(Metrics=["TrainingLoss", "ValidationLoss"], Info=["Epoch", "LearnRate"],
                                      XLabel="Iteration", OutputFile=str(out))
    groupSubPlot(monitor, "Loss", ["TrainingLoss", "ValidationLoss"])
    losses = [1.0 / k for k in range(1, 11)]
    for it, loss in enumerate(losses, start=1):
        recordMetrics(monitor, it, TrainingLoss=torch.tensor(loss))  # a 0-d tensor, as a loss is
        if it % 5 == 0:
            monitor.recordMetrics(it, {"ValidationLoss": np.float32(2 * loss)})  # MATLAB's struct form
        updateInfo(monitor, Epoch=(it - 1) // 5 + 1, LearnRate=0.01)
        monitor.Progress = 100 * it / 10
    np.testing.assert_allclose(monitor.MetricData["TrainingLoss"], np.c_[np.arange(1, 11), losses])
    np.testing.assert_allclose(monitor.MetricData["ValidationLoss"], [[5, 0.4], [10, 0.2]], rtol=1e-6)
    assert monitor.InfoData["Epoch"] == [1] * 5 + [2] * 5 and monitor.InfoData["LearnRate"][-1] == 0.01
    assert out.exists() and _blue_pixels(out) > 200  # Progress reached 100: the curves were written
    printed = capsys.readouterr().out  # not a terminal: plain lines instead of the live panel
    assert "TrainingLoss" in printed and "[100.0%]" in printed and "Epoch 2" in printed
    with pytest.raises(ValueError, match=r"not in monitor\.Metrics"):
        recordMetrics(monitor, 11, Accuracy=0.5)
    with pytest.raises(ValueError, match="must be a scalar"):
        recordMetrics(monitor, 11, TrainingLoss=torch.ones(3))
    with pytest.raises(ValueError, match="from 0 to 100"):
        monitor.Progress = 120
    with pytest.raises(AttributeError, match="read-only"):
        monitor.Stop = True
    blank = tmp_path / "empty.png"
    exportgraphics(trainingProgressMonitor(Metrics="Loss", Visible=False, OutputFile=None), blank)
    assert _blue_pixels(blank) == 0  # nothing recorded, no curve: the pixel count above can fail
    monitor.close()


def test_ctrl_c_sets_stop_and_a_second_one_interrupts() -> None:
    before = signal.getsignal(signal.SIGINT)
    monitor = trainingProgressMonitor(Metrics="Loss", Visible=False, OutputFile=None)
    iterations = 0
    while not monitor.Stop and iterations < 100:  # MATLAB: while epoch < numEpochs && ~monitor.Stop
        iterations += 1
        recordMetrics(monitor, iterations, Loss=1.0)
        if iterations == 3:
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C (MATLAB's Stop button)
    assert monitor.Stop and iterations == 3
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    monitor.close()
    assert signal.getsignal(signal.SIGINT) is before
    other = trainingProgressMonitor(Metrics="Loss", Visible=False, OutputFile=None)
    other.close()  # closing gives Ctrl-C back to Python
    assert signal.getsignal(signal.SIGINT) is before


def test_live_panel_shows_progress_metrics_and_info() -> None:
    from rich.console import Console

    console = Console(record=True, width=100, color_system=None)
    console.print(LiveDisplay.render(Snapshot(42.0, "Training", 75.0, "Iteration", {"Loss": (120.0, 0.25),
                                                                                   "Accuracy": None},
                                              {"Epoch": 3}, stopping=True)))
    text = console.export_text()
    assert "42.0%" in text and "00:01:15" in text and "Training" in text
    assert "Loss" in text and "120" in text and "0.25" in text and "Epoch 3" in text and "Stop requested" in text


def test_confusionchart_counts_order_and_normalizations(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    classes = ["cat", "dog", "emu", "yak"]  # "yak" never occurs: a categorical still lists it
    t_idx, p_idx = rng.integers(0, 3, 60), rng.integers(0, 3, 60)
    true = categorical([classes[i] for i in t_idx], classes)
    pred = categorical([classes[i] for i in p_idx], classes)
    cm = confusionchart(true, pred)
    expected = np.zeros((4, 4))
    for i, j in zip(t_idx, p_idx):
        expected[i, j] += 1  # rows: true class, columns: predicted class
    np.testing.assert_array_equal(cm.NormalizedValues, expected)
    assert cm.ClassLabels.tolist() == classes
    cm.Normalization = "row-normalized"
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(cm.NormalizedValues[:3], (expected / expected.sum(1, keepdims=True))[:3])
    cm.Normalization = "column-normalized"
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(cm.NormalizedValues[:, :3], (expected / expected.sum(0))[:, :3])
    cm.Normalization = "total-normalized"
    np.testing.assert_allclose(cm.NormalizedValues, expected / 60)
    numeric = confusionchart(np.array([3, 1, 2, 2, 3]), np.array([3, 2, 2, 2, 1]))
    np.testing.assert_array_equal(numeric.ClassLabels, [1, 2, 3])  # numbers: sorted union of both
    np.testing.assert_array_equal(numeric.NormalizedValues, [[0, 1, 0], [0, 2, 0], [1, 0, 1]])
    text = confusionchart(["b", "a", "b"], ["b", "b", "c"])
    assert text.ClassLabels == ["a", "b", "c"]
    np.testing.assert_array_equal(text.NormalizedValues, [[0, 1, 0], [0, 1, 1], [0, 0, 0]])
    text.sortClasses(["c", "b", "a"])
    np.testing.assert_array_equal(text.NormalizedValues, [[0, 0, 0], [1, 1, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="3 true labels but 2"):
        confusionchart(["a", "b", "c"], ["a", "b"])
    cm.Normalization = "absolute"
    cm.RowSummary, cm.ColumnSummary = "row-normalized", "column-normalized"
    path = cm.save(tmp_path / "confusion.png")
    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert img.std() > 20 and _blue_pixels(path) > 100  # MATLAB-blue diagonal cells were drawn
