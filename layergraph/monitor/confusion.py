"""MATLAB's confusionchart: the confusion matrix (true classes in rows, predicted in columns), drawn to a PNG file."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from layergraph.data.categorical import Categorical
from layergraph.data.options import MatlabProperties, choice, parse_options
from layergraph.monitor.figures import new_figure, save_png

_NORMALIZATIONS = ("absolute", "column-normalized", "row-normalized", "total-normalized")


def _labels(func: str, x: Any) -> tuple[list[str] | np.ndarray, list[str] | None]:
    """Labels as a flat array of names (categorical, text) or numbers, and the categories of a categorical."""
    if isinstance(x, Categorical):
        names = np.asarray(["", *x.categories], dtype=object)[x.codes.ravel()]
        return names, list(x.categories)
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim > 1 and sum(s > 1 for s in arr.shape) > 1:
        raise ValueError(f"{func}: labels must be a vector; got an array of size {'×'.join(map(str, arr.shape))}")
    arr = arr.ravel()
    if arr.dtype.kind in "US":
        return arr.astype(object), None
    if arr.dtype.kind not in "biuf" and not all(isinstance(v, str) for v in arr):
        raise TypeError(f"{func}: labels must be categorical, text or numbers; got {arr.dtype}")
    return arr, None


def _counts(true: Any, pred: Any) -> tuple[np.ndarray, Any]:
    """Count matrix and class labels, as MATLAB's confusionmat orders them (missing labels left out)."""
    t, tcats = _labels("confusionchart", true)
    p, pcats = _labels("confusionchart", pred)
    if len(t) != len(p):
        raise ValueError(f"confusionchart: {len(t)} true labels but {len(p)} predicted labels")
    numeric = t.dtype.kind in "biuf" and p.dtype.kind in "biuf"
    if (t.dtype.kind in "biuf") != (p.dtype.kind in "biuf"):
        raise TypeError("confusionchart: true and predicted labels must be of the same kind (categorical or text, or "
                        "numbers)")
    if numeric:
        keep = ~(np.isnan(t.astype(np.float64)) | np.isnan(p.astype(np.float64)))
        classes: Any = np.unique(np.concatenate([t[keep], p[keep]]))
    else:
        keep = np.asarray([a != "" and b != "" for a, b in zip(t, p)], dtype=bool)
        if tcats is not None or pcats is not None:
            # categoricals keep their category order (all categories, used or not), true labels' first
            classes = list(dict.fromkeys([*(tcats or []), *(pcats or [])]))
            classes += sorted((set(t[keep]) | set(p[keep])) - set(classes))
        else:
            classes = sorted(set(t[keep]) | set(p[keep]))
    index = {c: i for i, c in enumerate(classes.tolist() if numeric else classes)}
    counts = np.zeros((len(index), len(index)), dtype=np.float64)
    np.add.at(counts, ([index[v] for v in (t[keep].tolist() if numeric else t[keep])],
                       [index[v] for v in (p[keep].tolist() if numeric else p[keep])]), 1)
    if numeric:
        return counts, classes
    if tcats is not None or pcats is not None:
        return counts, Categorical(categories=classes, codes=np.arange(1, len(classes) + 1))
    return counts, list(classes)


class ConfusionMatrixChart(MatlabProperties):
    """The object confusionchart returns: NormalizedValues (per Normalization), ClassLabels, summaries; save(path)."""

    _PROPERTIES = ("NormalizedValues", "ClassLabels", "Normalization", "RowSummary", "ColumnSummary", "Title",
                   "XLabel", "YLabel", "DiagonalColor", "OffDiagonalColor", "FontSize")

    def __init__(self, counts: np.ndarray, labels: Any, opts: dict[str, Any]) -> None:
        self._counts = np.asarray(counts, dtype=np.float64)
        self._labels = labels
        for name, value in opts.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        canon = self._canonical(name) if not name.startswith("_") else None
        if canon in ("NormalizedValues", "ClassLabels"):
            raise AttributeError(f"confusionchart: {canon} is read-only; use sortClasses to reorder")
        if canon == "Normalization":
            value = choice("confusionchart", "Normalization", value, _NORMALIZATIONS)
        elif canon == "RowSummary":
            value = choice("confusionchart", "RowSummary", value, ("off", "absolute", "row-normalized"))
        elif canon == "ColumnSummary":
            value = choice("confusionchart", "ColumnSummary", value, ("off", "absolute", "column-normalized"))
        super().__setattr__(name, value)

    @property
    def NormalizedValues(self) -> np.ndarray:
        """The displayed matrix: counts, or counts divided by column, row or total sums (Normalization)."""
        c = self._counts
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.Normalization == "column-normalized":
                return c / c.sum(axis=0, keepdims=True)
            if self.Normalization == "row-normalized":
                return c / c.sum(axis=1, keepdims=True)
            if self.Normalization == "total-normalized":
                return c / c.sum()
        return c.copy()

    @property
    def ClassLabels(self) -> Any:
        return self._labels

    def _names(self) -> list[str]:
        labels = self._labels
        if isinstance(labels, Categorical):
            return list(labels.tolist())
        return [f"{v:g}" if isinstance(v, float) else str(v) for v in np.asarray(labels, dtype=object).tolist()]

    def __repr__(self) -> str:
        names = self._names()
        width = max(len(n) for n in [*names, "true\\pred"]) + 1
        rows = ["".join(f"{n:>{width}}" for n in ["true\\pred", *names])]
        rows += ["".join([f"{n:>{width}}", *(f"{v:>{width}.4g}" for v in row)])
                 for n, row in zip(names, self.NormalizedValues)]
        return f"ConfusionMatrixChart ({self.Normalization}):\n" + "\n".join(rows)

    def sortClasses(self, order: Any) -> None:
        """Reorder the classes: 'ascending-diagonal', 'descending-diagonal', 'auto' (label order) or a label list."""
        names = self._names()
        if isinstance(order, str) and order in ("ascending-diagonal", "descending-diagonal"):
            diag = np.diag(self.NormalizedValues)
            perm = np.argsort(diag if order.startswith("asc") else -diag, kind="stable")
        elif isinstance(order, str) and order == "auto":
            perm = np.asarray(sorted(range(len(names)), key=lambda i: names[i]))
        else:
            wanted = [str(v) for v in (order.tolist() if isinstance(order, Categorical) else list(order))]
            if sorted(wanted) != sorted(names):
                raise ValueError(f"sortClasses: the order must list every class once ({', '.join(names)})")
            perm = np.asarray([names.index(w) for w in wanted])
        self._counts = self._counts[np.ix_(perm, perm)]
        if isinstance(self._labels, Categorical):
            cats = [self._labels.categories[i] for i in perm]
            self._labels = Categorical(categories=cats, codes=np.arange(1, len(cats) + 1))
        elif isinstance(self._labels, np.ndarray):
            self._labels = self._labels[perm]
        else:
            self._labels = [self._labels[i] for i in perm]

    def save(self, path: str | Path = "confusion.png") -> Path:
        """Draw the chart as MATLAB lays it out and write it to a PNG file; returns its path."""
        return save_png(draw_confusion(self), path)


def draw_confusion(cm: ConfusionMatrixChart) -> Any:
    """True classes in rows, predicted in columns; blue diagonal, red off-diagonal, shaded by value; summaries."""
    values, counts, names = cm.NormalizedValues, cm._counts, cm._names()
    k = len(names)
    extra_c = 2 if cm.RowSummary != "off" else 0
    extra_r = 2 if cm.ColumnSummary != "off" else 0
    size = 0.6 * (k + extra_c) + 2.2
    fig = new_figure(size, 0.6 * (k + extra_r) + 2.0)
    ax = fig.add_subplot(1, 1, 1)
    top = np.nanmax(values) if values.size and np.isfinite(values).any() else 1.0

    def cell(x: float, y: float, shade: float, color: Any, text: str) -> None:
        shade = float(shade) if np.isfinite(shade) else 0.0
        rgb = 1 - shade * (1 - np.asarray(color, dtype=np.float64))
        ax.add_patch(_rect(x, y, rgb))
        ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=cm.FontSize,
                color="white" if shade > 0.6 else "black")

    for i in range(k):
        for j in range(k):
            v = values[i, j]
            text = "" if counts[i, j] == 0 else (f"{v:.4g}" if cm.Normalization == "absolute" else f"{100 * v:.1f}%")
            cell(j, i, v / top if top > 0 else 0.0, cm.DiagonalColor if i == j else cm.OffDiagonalColor, text)
    _summaries(cm, counts, k, cell)
    ax.set_xlim(0, k + extra_c)
    ax.set_ylim(k + extra_r, 0)
    ax.set_xticks(np.arange(k) + 0.5, names, rotation=90 if max(map(len, names)) > 3 else 0)
    ax.set_yticks(np.arange(k) + 0.5, names)
    ax.set_xlabel(cm.XLabel)
    ax.set_ylabel(cm.YLabel)
    ax.set_aspect("equal")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if cm.Title:
        ax.set_title(cm.Title)
    fig.tight_layout()
    return fig


def _summaries(cm: ConfusionMatrixChart, counts: np.ndarray, k: int, cell: Any) -> None:
    """Row summary (per true class: correct | incorrect) right of the matrix, column summary (per predicted class)
    below it: counts ('absolute') or percentages, shaded by the share."""
    diag = np.diag(counts)
    for kind, totals, right_side in ((cm.RowSummary, counts.sum(axis=1), True),
                                     (cm.ColumnSummary, counts.sum(axis=0), False)):
        if kind == "off":
            continue
        for i in range(k):
            parts = (diag[i], totals[i] - diag[i])
            for slot, (part, color) in enumerate(zip(parts, (cm.DiagonalColor, cm.OffDiagonalColor))):
                share = part / totals[i] if totals[i] else np.nan
                text = f"{part:g}" if kind == "absolute" else ("" if np.isnan(share) else f"{100 * share:.1f}%")
                x, y = (k + slot, i) if right_side else (i, k + slot)
                cell(x, y, share, color, text)


def _rect(x: float, y: float, rgb: np.ndarray) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), 1, 1, facecolor=tuple(np.clip(rgb, 0, 1)), edgecolor="white", linewidth=1)


def confusionchart(*args: Any, **kwargs: Any) -> ConfusionMatrixChart:
    """MATLAB's confusionchart(trueLabels, predictedLabels) or confusionchart(m[, classLabels]), with options
    Normalization, RowSummary, ColumnSummary, Title, XLabel, YLabel, DiagonalColor, OffDiagonalColor, FontSize."""
    positional = [a for a in args if not isinstance(a, str)]
    names = list(args[len(positional):])
    opts = parse_options("confusionchart", names, kwargs, {
        "Normalization": "absolute", "RowSummary": "off", "ColumnSummary": "off", "Title": "",
        "XLabel": "Predicted Class", "YLabel": "True Class", "DiagonalColor": (0, 0.447, 0.741),
        "OffDiagonalColor": (0.85, 0.325, 0.098), "FontSize": 10})
    if len(positional) not in (1, 2):
        raise TypeError("confusionchart: give trueLabels and predictedLabels, or a confusion matrix m "
                        "[and classLabels]")
    first = positional[0]
    as_matrix = not isinstance(first, Categorical) and np.ndim(first) == 2 and min(np.shape(first)) > 1
    if as_matrix or len(positional) == 1:
        m = np.asarray(first.detach().cpu().numpy() if hasattr(first, "detach") else first, dtype=np.float64)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ValueError(f"confusionchart: a confusion matrix must be square; got size {m.shape}")
        labels: Any = positional[1] if len(positional) == 2 else [str(i + 1) for i in range(m.shape[0])]
        if len(labels) != m.shape[0]:
            raise ValueError(f"confusionchart: {len(labels)} class labels for a {m.shape[0]}×{m.shape[0]} matrix")
        return ConfusionMatrixChart(m, labels if isinstance(labels, Categorical) else list(labels), opts)
    counts, labels = _counts(positional[0], positional[1])
    return ConfusionMatrixChart(counts, labels, opts)
