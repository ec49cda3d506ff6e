"""PNG files for monitors and charts: matplotlib figures without pyplot (no window, no global state)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from layergraph.safety.outputs import atomic_output

# MATLAB's default line colours (the "gem" colour order)
COLORS = [(0, 0.447, 0.741), (0.85, 0.325, 0.098), (0.929, 0.694, 0.125), (0.494, 0.184, 0.556),
          (0.466, 0.674, 0.188), (0.301, 0.745, 0.933), (0.635, 0.078, 0.184)]


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure drawn by the Agg renderer (works on machines without a display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Any, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write `fig` to `path` atomically (a viewer reloading the file never sees half a PNG); returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"{path}: figures are written as PNG; give a file name ending in .png")
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return path
