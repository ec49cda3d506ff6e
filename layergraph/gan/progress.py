"""Training progress: MATLAB's two-panel figure (generated images | score curves) as PNG, and a console line."""
from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

from layergraph.data import imtile
from layergraph.safety.outputs import atomic_output


def tile(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Tile B×H×W×C images row by row into one (rows·H)×(cols·W)×C image (MATLAB's imtile)."""
    return imtile(np.ascontiguousarray(images.transpose(1, 2, 3, 0)), GridSize=[rows, cols])


def save_figure(path: Path, grid: np.ndarray, iterations: list[int], score_g: list[float],
                score_d: list[float], title: str, row_labels: list[str] | None = None,
                curves: dict[str, tuple[list[int], list[float]]] | None = None) -> None:
    """Write the progress figure (tile on the left, scores on the right) atomically to `path`; `curves` are
    evaluation figures in [0, 1] drawn dashed over the scores (the config's evaluationFrequency)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_img, ax_score) = plt.subplots(1, 2, figsize=(11, 4.8), gridspec_kw={"width_ratios": [1, 1.2]})
    ax_img.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray" if grid.shape[-1] == 1 else None,
                  vmin=0, vmax=1, interpolation="nearest")
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    if row_labels:
        h = grid.shape[0] / len(row_labels)
        ax_img.set_yticks([h * (i + 0.5) for i in range(len(row_labels))], row_labels)
    ax_img.set_title("Generated Images")
    # MATLAB's colours for the two animated lines
    ax_score.plot(iterations, score_g, color=(0, 0.447, 0.741), label="Generator")
    ax_score.plot(iterations, score_d, color=(0.85, 0.325, 0.098), label="Discriminator")
    for name, (its, values) in (curves or {}).items():
        ax_score.plot(its, values, "--o", markersize=3, linewidth=1, label=name)
    ax_score.set_ylim(0, 1)
    ax_score.set_xlabel("Iteration")
    ax_score.set_ylabel("Score")
    ax_score.grid(True)
    ax_score.legend()
    ax_score.set_title(title)
    fig.tight_layout()
    try:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, dpi=90, format="png")
    finally:
        plt.close(fig)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """Rows of figures (the first row's keys as the header) as CSV; None becomes an empty cell."""

    with atomic_output(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)


class Rate:
    """Images per second over a sliding window of recent iterations."""

    def __init__(self, window: int = 20) -> None:
        self.window = window
        self.marks: list[tuple[float, int]] = []

    def add(self, images: int) -> float:
        now = time.perf_counter()
        total = (self.marks[-1][1] if self.marks else 0) + images
        self.marks.append((now, total))
        self.marks = self.marks[-self.window:]
        if len(self.marks) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self.marks[0], self.marks[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0
