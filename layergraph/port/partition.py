"""Statistics Toolbox's cvpartition for translated programs: hold-out, k-fold and leave-one-out partitions,
stratified by a grouping variable as MATLAB does by default, with training(c, i) and test(c, i)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from layergraph.data.categorical import Categorical
from layergraph.namevalue import matlab_keywords

_TYPES = {"holdout": "holdout", "kfold": "kfold", "leaveout": "leaveout", "resubstitution": "resubstitution"}


def _groups(group: Any) -> np.ndarray | None:
    """Class codes of a grouping variable (categorical, strings, numbers); None for a count n."""
    if isinstance(group, (int, float)) or (isinstance(group, torch.Tensor) and group.numel() == 1):
        return None
    if isinstance(group, Categorical):
        return np.asarray(group.codes).reshape(-1)
    values = group.reshape(-1).tolist() if isinstance(group, (torch.Tensor, np.ndarray)) else list(group)
    _, codes = np.unique(np.asarray([str(v) for v in values]), return_inverse=True)
    return codes


def _round(x: float) -> int:
    return math.floor(x + 0.5)  # MATLAB's round: halves away from zero (x ≥ 0 here)


class CVPartition:
    """MATLAB's cvpartition object: Type, NumObservations, NumTestSets, TrainSize, TestSize."""

    def __init__(self, n: int, folds: np.ndarray, kind: str) -> None:
        self.NumObservations = n
        self.Type = kind
        self._folds = folds  # fold number (1-based) of each observation; 0 = always training (hold-out)
        self.NumTestSets = 1 if kind in ("holdout", "resubstitution") else int(folds.max())
        tests = [int((folds == i).sum()) for i in range(1, self.NumTestSets + 1)]
        if kind == "resubstitution":
            tests = [n]
        self.TestSize = tests[0] if self.NumTestSets == 1 else tests
        self.TrainSize = n if kind == "resubstitution" else (
            n - tests[0] if self.NumTestSets == 1 else [n - t for t in tests])

    def _mask(self, i: Any, want_test: bool) -> torch.Tensor:
        k = 1 if i is None else int(i)
        if not 1 <= k <= self.NumTestSets:
            raise ValueError(f"cvpartition: the test set index must be 1..{self.NumTestSets}; got {k}")
        if self.Type == "resubstitution":
            return torch.ones(self.NumObservations, 1, dtype=torch.bool)
        m = torch.as_tensor(self._folds == k).reshape(-1, 1)
        return m if want_test else ~m

    def __repr__(self) -> str:
        return (f"cvpartition ({self.Type}): NumObservations {self.NumObservations}, NumTestSets "
                f"{self.NumTestSets}, TrainSize {self.TrainSize}, TestSize {self.TestSize}")


def _holdout(members: list[np.ndarray], p: float, n: int) -> np.ndarray:
    """Fold 1 (the test set) for p·n_c of each class (p < 1), or p observations in all (a count), the rest 0."""
    fraction = p if p < 1 else p / n  # a count p holds out p/n of each class
    folds = np.zeros(n, dtype=np.int64)
    for idx in members:
        m = _round(fraction * len(idx))
        pick = idx[torch.randperm(len(idx)).numpy()[:m]]
        folds[pick] = 1
    return folds


def _kfold(members: list[np.ndarray], k: int, n: int) -> np.ndarray:
    folds = np.zeros(n, dtype=np.int64)
    start = 0
    for idx in members:  # dealt in turn so that every fold gets about n/k, and each class about n_c/k
        order = idx[torch.randperm(len(idx)).numpy()]
        folds[order] = (start + np.arange(len(order))) % k + 1
        start += len(order)
    return folds


@matlab_keywords
def cvpartition(group: Any, kind: Any = None, value: Any = None, *, Stratify: Any = None,
                **options: Any) -> CVPartition:
    """cvpartition(n or group, "HoldOut", p | "KFold", k | "Leaveout" | "Resubstitution"[, Stratify=tf]):
    a random partition (stratified by `group`'s classes unless Stratify=false), drawn from the seeded rng."""
    for key, val in options.items():  # HoldOut=0.2 / KFold=5 written as name=value
        kind, value = key, val
    if kind is None:
        raise ValueError("cvpartition: give a partition type: 'HoldOut', 'KFold', 'Leaveout' or 'Resubstitution'")
    kind = _TYPES.get(str(kind).lower())
    if kind is None:
        raise ValueError(f"cvpartition: unknown partition type '{kind}'")
    codes = _groups(group)
    n = int(group) if codes is None else len(codes)
    stratify = codes is not None and (Stratify is None or bool(Stratify)) and kind != "leaveout"
    members = [np.flatnonzero(codes == c) for c in np.unique(codes)] if stratify else [np.arange(n)]
    if kind == "holdout":
        p = 0.1 if value is None else float(value)
        if not (0 < p < 1 or (p >= 1 and p == int(p) and p < n)):
            raise ValueError(f"cvpartition: HoldOut must be a fraction in (0, 1) or a count below {n}; got {p:g}")
        folds = _holdout(members, p, n)
    elif kind == "kfold":
        k = 10 if value is None else int(value)
        if not 1 < k <= n:
            raise ValueError(f"cvpartition: KFold must be an integer from 2 to {n}; got {value}")
        folds = _kfold(members, k, n)
    else:
        folds = np.arange(1, n + 1) if kind == "leaveout" else np.zeros(n, dtype=np.int64)
    return CVPartition(n, folds, kind)


def training(c: CVPartition, i: Any = None) -> torch.Tensor:
    """MATLAB's training(c[, i]): the logical n×1 mask of training observations of test set i (default 1)."""
    return c._mask(i, want_test=False)


def test(c: CVPartition, i: Any = None) -> torch.Tensor:
    """MATLAB's test(c[, i]): the logical n×1 mask of test observations of test set i (default 1)."""
    return c._mask(i, want_test=True)


test.__test__ = False  # type: ignore[attr-defined]  # a MATLAB name, not a pytest test
