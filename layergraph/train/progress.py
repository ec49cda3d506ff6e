"""What trainnet records and shows while it trains: the history tables, the verbose progress table (trainnet's,
or trainNetwork's boxed one) and the Training Progress monitor."""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from layergraph.data.tables import table
from layergraph.monitor.terminal import elapsed_text
from layergraph.train.losses import column_title

__all__ = ["BoxedProgressTable", "History", "ProgressTable", "Shown"]

# ----- progress: MATLAB's verbose table --------------------------------------------------------------------

class ProgressTable:
    """The progress lines trainnet prints (Iteration, Epoch, TimeElapsed, LearnRate, losses and metrics)."""

    def __init__(self, metric_names: list[str], validating: bool, enabled: bool) -> None:
        self.enabled = enabled
        cols = ["Iteration", "Epoch", "TimeElapsed", "LearnRate", "TrainingLoss"]
        if validating:
            cols.append("ValidationLoss")
        for m in metric_names:
            cols.append("Training" + column_title(m))
            if validating:
                cols.append("Validation" + column_title(m))
        self.cols = cols
        self.widths = [max(len(c), 9) for c in cols]
        if enabled:
            print("    " + "    ".join(c.rjust(w) for c, w in zip(cols, self.widths)))
            print("    " + "    ".join("_" * w for w in self.widths))

    def row(self, values: dict[str, Any]) -> None:
        if not self.enabled:
            return
        cells = []
        for c, w in zip(self.cols, self.widths):
            v = values.get(c)
            cells.append(("" if v is None else v if isinstance(v, str) else f"{v:.5g}" if isinstance(v, float)
                          else str(v)).rjust(w))
        print("    " + "    ".join(cells), flush=True)


class BoxedProgressTable(ProgressTable):
    """trainNetwork's progress table (releases before R2023b): boxed columns, accuracies in percent."""

    def __init__(self, metric_names: list[str], validating: bool, enabled: bool) -> None:
        self.enabled = enabled
        m = metric_names[0] if metric_names else "Accuracy"
        cols = [("Epoch", "Epoch", ""), ("Iteration", "Iteration", ""), ("TimeElapsed", "Time Elapsed",
                                                                         "(hh:mm:ss)"),
                ("Training" + m, "Mini-batch", m)]
        if validating:
            cols.append(("Validation" + m, "Validation", m))
        cols.append(("TrainingLoss", "Mini-batch", "Loss"))
        if validating:
            cols.append(("ValidationLoss", "Validation", "Loss"))
        cols.append(("LearnRate", "Base Learning", "Rate"))
        self.cols = [c[0] for c in cols]
        self.percent = "Training" + m if m == "Accuracy" else None
        self.widths = [max(len(c[1]), len(c[2]), 9) + 2 for c in cols]
        rule = "|" + "=" * (sum(self.widths) + len(self.widths) - 1) + "|"
        if enabled:
            print(rule)
            for k in (1, 2):
                print("|" + "|".join(c[k].center(w) for c, w in zip(cols, self.widths)) + "|")
            print(rule, flush=True)
        self.rule = rule

    def row(self, values: dict[str, Any]) -> None:
        if not self.enabled:
            return
        cells = []
        for c, w in zip(self.cols, self.widths):
            v = values.get(c)
            if v is None:
                text = ""
            elif "Accuracy" in c:
                text = f"{v:.2f}%"
            elif isinstance(v, float):
                text = f"{v:.4f}"
            else:
                text = str(v)
            cells.append(text.rjust(w - 1) + " ")
        print("|" + "|".join(cells) + "|", flush=True)

    def close(self) -> None:
        if self.enabled:
            print(self.rule, flush=True)


class History:
    """What info.TrainingHistory and info.ValidationHistory hold, and the best validation so far."""

    def __init__(self, metric_names: list[str]) -> None:
        self.metric_names = metric_names
        self.train: dict[str, list[Any]] = {"Iteration": [], "Epoch": [], "LearnRate": [], "Loss": [],
                                            **{n: [] for n in metric_names}}
        self.val: dict[str, list[Any]] = {"Iteration": [], "Loss": [], **{n: [] for n in metric_names}}
        self.best_loss, self.best_iteration, self.bad = math.inf, 0, 0

    def iteration(self, iteration: int, epoch: int, lr: float, loss: torch.Tensor, metrics: dict[str, float],
                  ) -> None:
        for k, v in (("Iteration", iteration), ("Epoch", epoch), ("LearnRate", lr), ("Loss", loss), *metrics.items()):
            self.train[k].append(v)  # the loss stays a tensor: no device sync per iteration

    def validation(self, iteration: int, values: dict[str, float]) -> bool:
        """Record a validation; True when it is the best so far (ValidationPatience counts the others)."""
        self.val["Iteration"].append(iteration)
        for k in ["Loss", *self.metric_names]:
            self.val[k].append(values[k])
        if values["Loss"] < self.best_loss:
            self.best_loss, self.best_iteration, self.bad = values["Loss"], iteration, 0
            return True
        if iteration > 0:
            self.bad += 1
        return False

    def latest(self) -> dict[str, float]:
        return {"TrainingLoss": float(self.train["Loss"][-1]),
                **{"Training" + column_title(k): self.train[k][-1] for k in self.metric_names}}

    def tables(self) -> tuple[Any, Any]:
        train = table(*(np.asarray([float(v) for v in col]) if k == "Loss" else np.asarray(col)
                        for k, col in self.train.items()), VariableNames=list(self.train))
        val = table(*(np.asarray(col) for col in self.val.values()), VariableNames=list(self.val))
        return train, val


class Shown:
    """The progress table rows and the Training Progress monitor."""

    def __init__(self, progress: ProgressTable, monitor: Any, epochs: int) -> None:
        self.progress, self.monitor, self.epochs = progress, monitor, epochs
        self.row: dict[str, Any] = {}
        self.last = -1
        self.start = time.perf_counter()

    def training(self, iteration: int, epoch: int, lr: float, hist: History) -> None:
        if self.monitor is not None:
            self.monitor.recordMetrics(iteration, **hist.latest())
            self.monitor.updateInfo(Epoch=epoch, LearnRate=lr)
            self.monitor.Progress = 100.0 * (epoch - 1) / self.epochs  # epochs done; 100 when training ends

    def training_row(self, hist: History) -> None:
        self.row.update(hist.latest())

    def validation(self, iteration: int, values: dict[str, float], metric_names: list[str]) -> None:
        shown = {"Validation" + column_title(k): values[k] for k in ["Loss", *metric_names]}
        self.row.update(shown)
        if self.monitor is not None:
            self.monitor.recordMetrics(iteration, **shown)

    def flush(self, iteration: int, epoch: int, lr: float) -> None:
        """Print the pending row (if any) for this iteration."""
        if self.row:
            self.last = iteration
            self.progress.row({"Iteration": iteration, "Epoch": epoch, "LearnRate": lr,
                               "TimeElapsed": elapsed_text(time.perf_counter() - self.start), **self.row})
            self.row.clear()

    def stop_requested(self) -> bool:
        return self.monitor is not None and bool(self.monitor.Stop)

    def close(self, reason: str, verbose: bool) -> None:
        if self.monitor is not None:
            self.monitor.Progress = 100
        if isinstance(self.progress, BoxedProgressTable):
            self.progress.close()
        if verbose:
            print(f"Training stopped: {reason}", flush=True)
