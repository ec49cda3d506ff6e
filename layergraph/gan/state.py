"""Where a GAN training run stands: what changes as it trains, and what its checkpoint saves and restores
besides the networks' weights (the trainer holds it as one value; gan/checkpoint.py writes and reads it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class History:
    """Scores per iteration, as MATLAB's animated lines hold them."""

    iteration: list[int] = field(default_factory=list)
    score_g: list[float] = field(default_factory=list)
    score_d: list[float] = field(default_factory=list)


@dataclass
class TrainingState:
    """Position, Adam states, averaged generator, scores and evaluations of a run."""

    iteration: int = 0
    epoch: int = 1
    batch: int = 0  # mini-batches of the current epoch done
    elapsed_before: float = 0.0  # seconds trained before this process started (a resumed run)
    history: History = field(default_factory=History)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    # adamupdate's averageGrad / averageSqGrad per network (None before the first update)
    avgG: Any = None
    avgSqG: Any = None
    avgD: Any = None
    avgSqD: Any = None
    averageG: list[torch.Tensor] | None = None  # moving average of the generator's learnables (None when off)
