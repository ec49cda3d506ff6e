"""Monitors and charts under MATLAB's names: trainingProgressMonitor (terminal panel + PNG) and confusionchart."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from layergraph.monitor.confusion import ConfusionMatrixChart, confusionchart
from layergraph.monitor.training import (
    TrainingProgressMonitor,
    groupSubPlot,
    recordMetrics,
    trainingProgressMonitor,
    updateInfo,
    yscale,
)


def exportgraphics(obj: Any, filename: str | Path, **kwargs: Any) -> Path:
    """MATLAB's exportgraphics(chart, filename): write a chart or a monitor's plot to a PNG file."""
    if not hasattr(obj, "save"):
        raise TypeError(f"exportgraphics: expected a chart (confusionchart) or a trainingProgressMonitor, got "
                        f"{type(obj).__name__}")
    return obj.save(filename)


__all__ = ["ConfusionMatrixChart", "TrainingProgressMonitor", "confusionchart", "exportgraphics", "groupSubPlot",
           "recordMetrics", "trainingProgressMonitor", "updateInfo", "yscale"]
