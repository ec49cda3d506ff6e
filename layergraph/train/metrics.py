"""trainnet's built-in metrics (trainingOptions `Metrics`) and MATLAB's metric objects that set their options.

The names MATLAB documents for `Metrics` are "accuracy", "auc", "fscore", "precision", "recall", "rmse" (R2023b)
and "mape" (R2024b); each equals its object with no options (`fScoreMetric()` is "fscore"). A built-in metric
of the validation data is computed over all of it (MATLAB's metric objects accumulate over the mini-batches);
a metric function `f(Y, T)` is averaged over the mini-batches, weighted by their sizes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from layergraph.errors import OptionError
from layergraph.namevalue import matlab_keywords

__all__ = ["BuiltinMetric", "Gathered", "accuracyMetric", "aucMetric", "builtin_metric", "fScoreMetric",
           "mapeMetric", "precisionMetric", "recallMetric", "rmseMetric"]

# the Metrics names MATLAB documents → the history column name (the metric object's default Name)
NAMES = {"accuracy": "Accuracy", "auc": "AUC", "fscore": "FScore", "precision": "Precision", "recall": "Recall",
         "rmse": "RMSE", "mape": "MAPE"}
CLASSIFICATION = ("accuracy", "auc", "fscore", "precision", "recall")
AVERAGES = ("micro", "macro", "weighted")


@dataclass(frozen=True)
class BuiltinMetric:
    """One of MATLAB's built-in metric objects (AccuracyMetric, FScoreMetric, …): its kind, Name, AverageType."""

    kind: str
    Name: str
    AverageType: str = "micro"

    def of(self, Y: torch.Tensor, t: torch.Tensor, index_targets: bool) -> float:
        """The metric of one mini-batch (network output Y with channels on axis 1, targets t)."""
        g = Gathered(self, index_targets)
        g.add(Y, t)
        return g.value()


def _average(name: str, value: Any) -> str:
    text = str(value).lower() if isinstance(value, str) else None
    if text not in AVERAGES:
        raise OptionError(f"{name}: AverageType must be one of {', '.join(AVERAGES)}; got {value!r}")
    return text


@matlab_keywords
def accuracyMetric(*, Name: str = "Accuracy") -> BuiltinMetric:
    """MATLAB's `accuracyMetric`: percentage of observations whose largest score is the true class."""
    return BuiltinMetric("accuracy", str(Name))


@matlab_keywords
def fScoreMetric(*, Name: str = "FScore", AverageType: str = "micro") -> BuiltinMetric:
    """MATLAB's `fScoreMetric`: F1 = 2·TP/(2·TP + FP + FN), averaged over classes by AverageType."""
    return BuiltinMetric("fscore", str(Name), _average("fScoreMetric", AverageType))


@matlab_keywords
def precisionMetric(*, Name: str = "Precision", AverageType: str = "micro") -> BuiltinMetric:
    """MATLAB's `precisionMetric`: TP/(TP + FP), averaged over classes by AverageType."""
    return BuiltinMetric("precision", str(Name), _average("precisionMetric", AverageType))


@matlab_keywords
def recallMetric(*, Name: str = "Recall", AverageType: str = "micro") -> BuiltinMetric:
    """MATLAB's `recallMetric`: TP/(TP + FN), averaged over classes by AverageType."""
    return BuiltinMetric("recall", str(Name), _average("recallMetric", AverageType))


@matlab_keywords
def aucMetric(*, Name: str = "AUC", AverageType: str = "micro") -> BuiltinMetric:
    """MATLAB's `aucMetric`: area under the one-vs-rest ROC curve of the scores, averaged by AverageType."""
    return BuiltinMetric("auc", str(Name), _average("aucMetric", AverageType))


@matlab_keywords
def rmseMetric(*, Name: str = "RMSE") -> BuiltinMetric:
    """MATLAB's `rmseMetric`: root mean squared error over all elements."""
    return BuiltinMetric("rmse", str(Name))


@matlab_keywords
def mapeMetric(*, Name: str = "MAPE") -> BuiltinMetric:
    """MATLAB's `mapeMetric`: mean absolute percentage error 100·mean(|(T − Y)/T|) over all elements."""
    return BuiltinMetric("mape", str(Name))


def builtin_metric(name: Any) -> BuiltinMetric | None:
    """The metric object a Metrics name stands for (None for a name MATLAB does not have)."""
    key = name.lower() if isinstance(name, str) else None
    return BuiltinMetric(key, NAMES[key]) if key in NAMES else None


def _rows(x: torch.Tensor) -> torch.Tensor:
    """Channels last, one row per non-channel element (observation, time step, pixel)."""
    return x.movedim(1, -1).reshape(-1, x.shape[1]) if x.dim() > 1 else x.reshape(-1, 1)


class Gathered:
    """A built-in metric's data over several mini-batches (on the CPU), so its value is the one of all of it."""

    def __init__(self, metric: BuiltinMetric, index_targets: bool) -> None:
        self.metric, self.index_targets = metric, index_targets
        self.scores: list[torch.Tensor] = []
        self.targets: list[torch.Tensor] = []

    def add(self, Y: torch.Tensor, t: torch.Tensor) -> None:
        Y = Y.detach().float()
        scores = _rows(Y).cpu()
        if self.metric.kind in CLASSIFICATION:
            truth = t.reshape(-1).long() if self.index_targets else _rows(t.detach()).argmax(1)
            self.targets.append(truth.cpu())
        else:
            self.targets.append(_rows(t.detach().float()).cpu())
        self.scores.append(scores)

    def value(self) -> float:
        Y, T = torch.cat(self.scores), torch.cat(self.targets)
        kind = self.metric.kind
        if kind == "rmse":
            return float((Y - T).square().mean().sqrt())
        if kind == "mape":
            return float(((T - Y) / T).abs().mean() * 100)
        if kind == "accuracy":
            return float((Y.argmax(1) == T).float().mean() * 100)
        if kind == "auc":
            return _auc(Y.numpy().astype(np.float64), T.numpy(), self.metric.AverageType)
        return _counted(kind, Y.argmax(1).numpy(), T.numpy(), Y.shape[1], self.metric.AverageType)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den per class, 0 where den is 0 (a class never predicted or never present)."""
    return np.divide(num, den, out=np.zeros(num.shape, dtype=np.float64), where=den > 0)


def _counted(kind: str, pred: np.ndarray, truth: np.ndarray, classes: int, average: str) -> float:
    """Precision, recall or F1 from the per-class true positives, false positives and false negatives."""
    tp = np.bincount(truth[pred == truth], minlength=classes).astype(np.float64)
    fp = np.bincount(pred, minlength=classes) - tp
    fn = np.bincount(truth, minlength=classes) - tp
    num = {"precision": tp, "recall": tp, "fscore": 2 * tp}[kind]
    den = {"precision": tp + fp, "recall": tp + fn, "fscore": 2 * tp + fp + fn}[kind]
    if average == "micro":  # the counts of all classes together
        return float(_ratio(num.sum(keepdims=True), den.sum(keepdims=True))[0])
    per_class = _ratio(num, den)
    if average == "macro":
        return float(per_class.mean())
    support = tp + fn
    return float((per_class * support).sum() / support.sum())


def _binary_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve: the Mann–Whitney statistic, tied scores sharing their average rank."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")  # no ROC curve without both positives and negatives
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _auc(scores: np.ndarray, truth: np.ndarray, average: str) -> float:
    """One-vs-rest AUC: micro pools every (element, class) pair; macro/weighted average the per-class AUCs."""
    onehot = np.eye(scores.shape[1], dtype=bool)[truth]
    if average == "micro":
        return _binary_auc(scores.reshape(-1), onehot.reshape(-1))
    per_class = np.array([_binary_auc(scores[:, c], onehot[:, c]) for c in range(scores.shape[1])])
    if average == "macro":
        return float(per_class.mean())
    support = onehot.sum(0)
    return float(np.where(support > 0, per_class, 0.0) @ support / support.sum())
