"""What a GAN training run writes and reads back: the progress figure of the held-out batch, the evaluation
scores, and the checkpoint (weights, optimizer state, RNG states, precision), the generator's moving average
standing in for the generator in all of them.

GANRecords is mixed into GANTrainer (layergraph/gan/trainer.py), which sets up what it reads below.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.data import rescale
from layergraph.gan.checkpoint import CHECKPOINT, RunInfo, rank_checksums, restore_training, save_training
from layergraph.gan.config import TrainConfig
from layergraph.gan.evaluator import Evaluator
from layergraph.gan.feed import DataFeed
from layergraph.gan.progress import save_figure, tile, write_csv
from layergraph.gan.stabilizers import DiffAugment
from layergraph.gan.state import TrainingState
from layergraph.monitor.terminal import elapsed_text
from layergraph.precision import Precision

__all__ = ["GANRecords"]


class GANRecords:
    """The progress figure, evaluations and checkpoints of a GAN training run (a mixin of GANTrainer)."""

    cfg: TrainConfig
    console: Console
    device: torch.device
    dist: Any
    main: bool
    precision: Precision
    out: Path
    spec_text: dict[str, str]
    netG: dlnetwork
    netD: dlnetwork
    conditional: bool
    channels: int
    num_latent: int
    feed: DataFeed
    state: TrainingState
    augment: DiffAugment | None
    evaluator: Evaluator | None
    Zval: torch.Tensor
    Tval: torch.Tensor | None

    def _fresh_average(self) -> list[torch.Tensor] | None:
        """Copies of the generator's learnables that follow them as a moving average (None when off)."""
        if self.cfg.generatorAverageDecay == 0:
            return None
        return [p.detach().clone() for p in self.netG.Learnables.Value]

    @contextlib.contextmanager
    def _averaged_generator(self) -> Iterator[None]:
        """Run the generator with its averaged weights inside the block (a no-op when averaging is off)."""
        if self.state.averageG is None:
            yield
            return
        live = [p.detach().clone() for p in self.netG.Learnables.Value]
        with torch.no_grad():
            for p, avg in zip(self.netG.Learnables.Value, self.state.averageG):
                p.copy_(avg)
        try:
            yield
        finally:
            with torch.no_grad():
                for p, saved in zip(self.netG.Learnables.Value, live):
                    p.copy_(saved)

    def generate_validation(self) -> np.ndarray:
        """Tile of the held-out batch: one row per class for a CGAN, 5×5 otherwise (values in [0, 1])."""
        with torch.no_grad(), self._averaged_generator():
            args = (self.Zval, self.Tval) if self.conditional else (self.Zval,)
            x = self.netG.predict(*args).as_subclass(torch.Tensor)
        imgs = rescale(x.permute(0, 2, 3, 1).float().cpu().numpy())  # MATLAB's rescale(I): own range → [0, 1]
        if self.conditional:
            return tile(imgs, len(self.feed.classes), self.cfg.numValidationImagesPerClass)
        return tile(imgs, 5, 5)

    def write_progress(self, elapsed: float) -> Path:
        path = self.out / "progress.png"
        if not self.main:
            return path
        st, h = self.state, self.state.history
        epoch = min(st.epoch, self.cfg.numEpochs)
        title = f"Epoch: {epoch}, Iteration: {st.iteration}, Elapsed: {elapsed_text(elapsed)}"
        curves = {m: ([e["iteration"] for e in st.evaluations], [e[m] for e in st.evaluations])
                  for m in ("recognised", "precision", "recall", "coverage") if st.evaluations}
        save_figure(path, self.generate_validation(), h.iteration, h.score_g, h.score_d, title,
                    self.feed.classes if self.conditional else None, curves)
        return path

    def record_evaluation(self) -> None:
        """Score the image-making generator as `layergraph evaluate` does; rewrite OUTPUT/evaluation.csv."""
        st = self.state
        if self.evaluator is None or (st.evaluations and st.evaluations[-1]["iteration"] == st.iteration):
            return
        with self._averaged_generator():
            scores = self.evaluator.score_generator(self.netG, self.conditional, seed=0)  # as `evaluate` does
        st.evaluations.append({"iteration": st.iteration, **{k: v for k, v in scores.items() if k != "classes"}})
        write_csv(self.out / "evaluation.csv", st.evaluations)
        self.console.print(f"Evaluation at iteration {st.iteration}: " + "  ".join(
            f"{k} {v:.3f}" for k, v in st.evaluations[-1].items() if k not in ("iteration", "n") and v is not None))

    def checkpoint_path(self) -> Path:
        return self.out / CHECKPOINT

    def nets(self) -> dict[str, dlnetwork]:
        return {"generator": self.netG, "discriminator": self.netD}

    def info(self) -> RunInfo:
        """What this run is, as its checkpoint records it."""
        return RunInfo(self.cfg.model_dump(mode="json"), dict(self.spec_text), list(self.feed.classes),
                       self.conditional, self.num_latent, self.channels, self.dist.world if self.dist else 1,
                       self.precision.name)

    def _rng_states(self) -> dict[str, torch.Tensor]:
        rng = {"torch": torch.get_rng_state()}
        if self.augment is not None:
            rng["diffAugment"] = self.augment.rng.get_state()
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        return rng

    def save(self, elapsed: float) -> Path:
        """Write the checkpoint (gan/checkpoint.py); every rank calls this (for the checksums), the main rank
        writes."""
        checksums = rank_checksums(self.nets(), self.dist)
        path = self.checkpoint_path()
        if self.main:
            save_training(path, self.info(), self.state, self.nets(), self._rng_states(), elapsed, checksums)
        return path

    def restore(self, path: Path) -> None:
        """Continue from a checkpoint written by `save`: weights, optimizer state, RNG, position."""
        restored = restore_training(path, self.info(), self.nets(), self.feed.batches_per_epoch, self.device)
        self.state = restored.state
        torch.set_rng_state(restored.rng["torch"])
        if self.augment is not None and "diffAugment" in restored.rng:
            self.augment.rng.set_state(restored.rng["diffAugment"])
        if "cuda" in restored.rng and self.device.type == "cuda":
            torch.cuda.set_rng_state(restored.rng["cuda"], self.device)
        self._resume_precision(restored.precision)

    def _resume_precision(self, saved: Any) -> None:
        """Keep the checkpoint's precision when `auto` resolves differently here, so the resumed run equals an
        uninterrupted one; an explicit fp32/bf16 in the config wins, with a note."""
        current = self.precision
        if saved not in ("fp32", "bf16") or saved == current.name:
            return
        if self.cfg.precision == "auto":
            self.precision = Precision(saved, current.device_type, f"as the checkpoint was trained; here {current}")
            self.console.print(f"resuming in {self.precision}")
        else:
            self.console.print(f"note: the checkpoint was trained in {saved}; continuing in {current.name} as the "
                               "config asks, so the result will differ from an uninterrupted run")
