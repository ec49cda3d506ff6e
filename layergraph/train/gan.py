"""GAN / CGAN training as MATLAB's examples do it (modelGradients, adamupdate), with checkpoints and resume."""
from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.data import rescale
from layergraph.devices import default_device
from layergraph.errors import LayergraphError, SpecError
from layergraph.layers import EmbeddingLayer, SigmoidLayer
from layergraph.spec.io import graph_from_data
from layergraph.spec.yamlsafe import load_yaml
from layergraph.train import distributed
from layergraph.train.autodiff import dlgradient
from layergraph.train.checkpoint import (
    AVERAGE,
    flatten_state,
    load_checkpoint,
    save_checkpoint,
    section,
    unflatten_state,
)
from layergraph.train.config import TrainConfig
from layergraph.train.feed import DataFeed
from layergraph.train.optimizers import adamupdate
from layergraph.train.progress import Rate, elapsed_text, save_figure, tile, write_csv
from layergraph.train.stabilizers import DiffAugment, hinge_losses, r1_penalty

CHECKPOINT = "checkpoint.safetensors"
FORMAT_VERSION = 1


class TrainingStoppedError(LayergraphError):
    """Training stopped on purpose (non-finite loss); the last good checkpoint is kept."""

    exit_code = 1


def network_from_text(text: str, where: str) -> dlnetwork:
    """Compile a spec given as YAML text (e.g. stored inside a checkpoint)."""
    return dlnetwork(graph_from_data(load_yaml(text, where), where))


def _read_spec(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError(f"{path}: cannot read the spec ({err.__class__.__name__})") from None


@dataclass
class History:
    """Scores per iteration, as MATLAB's animated lines hold them."""

    iteration: list[int] = field(default_factory=list)
    score_g: list[float] = field(default_factory=list)
    score_d: list[float] = field(default_factory=list)


class GANTrainer:
    """Trains a generator/discriminator pair from a TrainConfig; `run()` returns the final checkpoint path."""

    def __init__(self, cfg: TrainConfig, console: Console | None = None) -> None:
        self.cfg = cfg
        self.console = console or Console(stderr=True, highlight=False)
        self.device = default_device(cfg.executionEnvironment)
        self.dist = distributed.setup(self.device)
        if self.dist is not None:
            self.device = self.dist.device
        self.main = self.dist is None or self.dist.is_main
        if not self.main:
            self.console = Console(quiet=True)
        self._interrupted = False
        torch.manual_seed(cfg.seed)
        self.spec_text = {"generator": _read_spec(cfg.generator), "discriminator": _read_spec(cfg.discriminator)}
        self.netG = network_from_text(self.spec_text["generator"], str(cfg.generator)).to(self.device)
        self.netD = network_from_text(self.spec_text["discriminator"], str(cfg.discriminator)).to(self.device)
        self.conditional = cfg.conditional if cfg.conditional is not None else len(self.netG.InputNames) == 2
        self._check_networks()
        rank, world = (self.dist.rank, self.dist.world) if self.dist else (0, 1)
        if self.dist is not None:
            for net in (self.netG, self.netD):
                distributed.broadcast_tensors(list(net.tensors().values()))
        self.feed = DataFeed(cfg.data, cfg.imageSize, self.channels, cfg.miniBatchSize, cfg.seed,
                             cfg.augmentation.RandXReflection, cfg.augmentation.RandYReflection, self.device,
                             rank, world)
        if cfg.channelsLast:
            self.netG.channels_last()
            self.netD.channels_last()
        if self.dist is not None:
            for net in (self.netG, self.netD):
                net.distribute(**distributed.ddp_options(self.device))
        if cfg.compile:
            self.netG.compile()
            self.netD.compile()
        self._check_classes()
        self.iteration, self.epoch, self.batch = 0, 1, 0
        self.avgG = self.avgSqG = self.avgD = self.avgSqD = None
        self.history = History()
        self.elapsed_before = 0.0
        self.out = Path(cfg.output)
        self.out.mkdir(parents=True, exist_ok=True)
        self.Zval, self.Tval = self._validation_inputs()
        self.averageG = self._fresh_average()
        self._train_step = self._step
        self._stabilizers()

    # ----- set-up checks -------------------------------------------------------------------------
    def _check_networks(self) -> None:
        g, d, cfg = self.netG, self.netD, self.cfg
        want_inputs = 2 if self.conditional else 1
        for net, what in ((g, "generator"), (d, "discriminator")):
            if len(net.InputNames) != want_inputs:
                raise SpecError(f"{getattr(cfg, what)}: the {what} has inputs {net.InputNames}; a "
                                f"{'conditional' if self.conditional else 'plain'} GAN needs {want_inputs}")
        out = g.analysis.outputs[g.OutputNames[0]]
        if out.spatial != tuple(cfg.imageSize):
            raise SpecError(f"{cfg.generator}: the generator makes {out} images but imageSize is "
                            f"{cfg.imageSize[0]}×{cfg.imageSize[1]}")
        self.channels = out.channels
        img_in = d.analysis.outputs[d.InputNames[0]]
        if img_in.size != out.size:
            raise SpecError(f"{cfg.discriminator}: the discriminator takes {img_in} images but the generator "
                            f"makes {out}")
        z_in = g.analysis.outputs[g.InputNames[0]]
        self.latent_shape = z_in
        self.num_latent = z_in.numel
        if cfg.numLatentInputs is not None and cfg.numLatentInputs != self.num_latent:
            raise SpecError(f"{cfg.generator}: numLatentInputs is {cfg.numLatentInputs} but the generator's "
                            f"input '{g.InputNames[0]}' takes {z_in}")
        # a discriminator ending in sigmoidLayer gives probabilities; otherwise scores are logits
        self.d_outputs_probability = isinstance(d.Layers[-1], SigmoidLayer)

    def _check_classes(self) -> None:
        n = len(self.feed.classes)
        if not self.conditional:
            return
        if n < 2:
            raise SpecError(f"{self.cfg.data}: a conditional GAN needs labelled data in one folder per class")
        for net, what in ((self.netG, "generator"), (self.netD, "discriminator")):
            for layer in net.Layers:
                if isinstance(layer, EmbeddingLayer) and layer.InputSize < n:
                    raise SpecError(f"{getattr(self.cfg, what)}: layer '{layer.Name}' embeds {layer.InputSize} "
                                    f"classes but the data has {n} ({', '.join(self.feed.classes)})")

    def _stabilizers(self) -> None:
        """Set up the training-config stabilizers (all off by default) and the evaluation every N iterations."""
        cfg = self.cfg
        self.augment = DiffAugment(cfg.diffAugment, cfg.seed + 2) if cfg.diffAugment else None
        if cfg.r1Gamma > 0 and self.dist is not None:
            raise SpecError(f"r1Gamma: the R1 penalty is not supported in multi-process training yet "
                            f"({self.dist.world} processes); train in one process or set r1Gamma: 0")
        self.evaluations: list[dict[str, Any]] = []
        self.evaluator = None
        if cfg.evaluationFrequency is not None and self.main:
            from layergraph.evaluate import Evaluator

            self.evaluator = Evaluator(cfg.data, tuple(cfg.imageSize), self.channels)

    def _d_input(self, x: torch.Tensor, traced: bool = False) -> torch.Tensor:
        """What the discriminator sees of x: DiffAugment'ed when on; a traced leaf for the R1 gradient."""
        if self.augment is not None:
            x = self.augment(x, *((self.dist.rank, self.dist.world) if self.dist else (0, 1)))
        return x.detach().requires_grad_(True) if traced and self.cfg.r1Gamma > 0 else x

    def _validation_inputs(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A fixed held-out batch: numValidationImagesPerClass per class (one row each) or 25 images."""
        gen = torch.Generator().manual_seed(self.cfg.seed + 1)
        per = self.cfg.numValidationImagesPerClass
        if self.conditional:
            n = len(self.feed.classes)
            labels = torch.arange(1, n + 1, dtype=torch.float32).repeat_interleave(per).reshape(-1, 1)
            z = torch.randn(n * per, *self.latent_shape.torch_shape(1)[1:], generator=gen)
            return z.to(self.device), labels.to(self.device)
        return torch.randn(25, *self.latent_shape.torch_shape(1)[1:], generator=gen).to(self.device), None

    # ----- one iteration: the examples' modelGradients + adamupdate -----------------------------
    def _scores(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(log p, log(1 − p)) of 'real' from the discriminator output, stably for logits."""
        y = y.reshape(y.shape[0], -1).float()  # losses in float32 even under bf16 autocast
        if self.d_outputs_probability:
            p = y.clamp(1e-7, 1 - 1e-7)
            return torch.log(p), torch.log1p(-p)
        return torch.nn.functional.logsigmoid(y), torch.nn.functional.logsigmoid(-y)

    def _step(self, X: torch.Tensor, T: torch.Tensor | None) -> tuple[float, float, float, float]:
        """Gradients of both losses, then Adam on both networks; returns (scoreG, scoreD, lossG, lossD)."""
        cfg, g, d = self.cfg, self.netG, self.netD
        b = X.shape[0]
        # every rank draws the global batch's noise and flips and keeps its slice, so N processes
        # compute exactly what one process would on the whole batch
        world, rank = (self.dist.world, self.dist.rank) if self.dist else (1, 0)
        total = b * world
        Z = torch.randn(total, *self.latent_shape.torch_shape(1)[1:], device=self.device)[rank * b:(rank + 1) * b]
        flip = torch.zeros(total, 1, dtype=torch.bool, device=self.device)
        flip[torch.randperm(total, device=self.device)[: math.floor(cfg.flipFactor * total)]] = True
        flip = flip[rank * b:(rank + 1) * b]
        if cfg.channelsLast:
            X = X.contiguous(memory_format=torch.channels_last)
        cond = (T,) if self.conditional else ()
        autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=cfg.bf16 and self.device.type == "cuda")
        with torch.enable_grad(), autocast:
            X_d = self._d_input(X, traced=True)
            y_real, _ = d.forward(X_d, *cond)
            x_gen, _ = g.forward(Z, *cond)
            y_gen, _ = d.forward(self._d_input(x_gen), *cond)
            log_p_real, log_q_real = self._scores(y_real)
            log_p_gen, log_q_gen = self._scores(y_gen)
            score_g = log_p_gen.exp().mean()
            score_d = (log_p_real.exp().mean() + log_q_gen.exp().mean()) / 2
            if cfg.lossFunction == "hinge":  # on the logits, log p − log(1 − p)
                loss_g, loss_d = hinge_losses(log_p_real - log_q_real, log_p_gen - log_q_gen, flip)
            else:
                # flip a fixed share of the real labels: −log p becomes −log(1 − p) for those
                loss_real = -torch.where(flip, log_q_real, log_p_real).mean()
                loss_d = loss_real - log_q_gen.mean()
                loss_g = -log_p_gen.mean()
            if cfg.r1Gamma > 0:
                grad_x = dlgradient((log_p_real - log_q_real).sum(), X_d, EnableHigherDerivatives=True)
                loss_d = loss_d + r1_penalty(grad_x, cfg.r1Gamma)
            if self.dist is None:
                grad_g = dlgradient(loss_g, g.Learnables, RetainData=True)
                grad_d = dlgradient(loss_d, d.Learnables)
            else:  # the same gradients, averaged over the ranks by DistributedDataParallel
                grad_g = distributed.gradients(loss_g, g, retain_graph=True)
                grad_d = distributed.gradients(loss_d, d)
        vals = torch.stack([score_g.detach(), score_d.detach(), loss_g.detach(), loss_d.detach(),
                            torch.tensor(float(self._interrupted), device=self.device)]).float()
        if self.dist is not None:
            distributed.average([vals], world)  # the scores shown, and whether any rank was interrupted
            self._interrupted = bool(vals[4] > 0)
        it = self.iteration
        lr_d, lr_g = cfg.learnRateDiscriminator or cfg.learnRate, cfg.learnRateGenerator or cfg.learnRate
        b1, b2 = cfg.gradientDecayFactor, cfg.squaredGradientDecayFactor
        _, self.avgD, self.avgSqD = adamupdate(d, grad_d, self.avgD, self.avgSqD, it, lr_d, b1, b2)
        _, self.avgG, self.avgSqG = adamupdate(g, grad_g, self.avgG, self.avgSqG, it, lr_g, b1, b2)
        if self.averageG is not None:
            with torch.no_grad():
                for avg, p in zip(self.averageG, g.Learnables.Value):
                    avg.lerp_(p, 1 - cfg.generatorAverageDecay)
        return tuple(float(v) for v in vals[:4].cpu())  # type: ignore[return-value]

    # ----- the averaged generator --------------------------------------------------------------
    def _fresh_average(self) -> list[torch.Tensor] | None:
        """Copies of the generator's learnables that follow them as a moving average (None when off)."""
        if self.cfg.generatorAverageDecay == 0:
            return None
        return [p.detach().clone() for p in self.netG.Learnables.Value]

    @staticmethod
    def _learnable_keys(net: dlnetwork) -> list[str]:
        """'layer/Parameter' of each Learnables row, the keys `net.tensors()` uses."""
        return [f"{lay}/{par}" for lay, par in zip(net.Learnables.Layer, net.Learnables.Parameter)]

    @contextlib.contextmanager
    def _averaged_generator(self) -> Iterator[None]:
        """Run the generator with its averaged weights inside the block (a no-op when averaging is off)."""
        if self.averageG is None:
            yield
            return
        live = [p.detach().clone() for p in self.netG.Learnables.Value]
        with torch.no_grad():
            for p, avg in zip(self.netG.Learnables.Value, self.averageG):
                p.copy_(avg)
        try:
            yield
        finally:
            with torch.no_grad():
                for p, saved in zip(self.netG.Learnables.Value, live):
                    p.copy_(saved)

    # ----- images -------------------------------------------------------------------------------
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
        epoch = min(self.epoch, self.cfg.numEpochs)
        title = f"Epoch: {epoch}, Iteration: {self.iteration}, Elapsed: {elapsed_text(elapsed)}"
        curves = {m: ([e["iteration"] for e in self.evaluations], [e[m] for e in self.evaluations])
                  for m in ("recognised", "precision", "recall", "coverage") if self.evaluations}
        save_figure(path, self.generate_validation(), self.history.iteration, self.history.score_g,
                    self.history.score_d, title, self.feed.classes if self.conditional else None, curves)
        return path

    def record_evaluation(self) -> None:
        """Score the image-making generator as `layergraph evaluate` does; rewrite OUTPUT/evaluation.csv."""
        if self.evaluator is None or (self.evaluations and self.evaluations[-1]["iteration"] == self.iteration):
            return
        with self._averaged_generator():
            scores = self.evaluator.score_generator(self.netG, self.conditional, seed=0)  # as `evaluate` does
        self.evaluations.append({"iteration": self.iteration, **{k: v for k, v in scores.items() if k != "classes"}})
        write_csv(self.out / "evaluation.csv", self.evaluations)
        self.console.print(f"Evaluation at iteration {self.iteration}: " + "  ".join(
            f"{k} {v:.3f}" for k, v in self.evaluations[-1].items() if k not in ("iteration", "n") and v is not None))

    # ----- checkpoints --------------------------------------------------------------------------
    def checkpoint_path(self) -> Path:
        return self.out / CHECKPOINT

    def _rank_checksums(self) -> list[float]:
        """Sum of all learnables on every rank (all ranks must call this): equal sums show the ranks agree.
        Batch-norm statistics are left out: each rank keeps its own, as DDP without SyncBatchNorm does."""
        with torch.no_grad():
            local = torch.stack([torch.stack([t.double().sum() for t in net.Learnables.Value]).sum()
                                 for net in (self.netG, self.netD)]).sum().reshape(1)
        if self.dist is None:
            return [float(local)]
        every = [torch.zeros_like(local) for _ in range(self.dist.world)]
        torch.distributed.all_gather(every, local)
        return [float(t) for t in every]

    def save(self, elapsed: float) -> Path:
        checksums = self._rank_checksums()
        if not self.main:
            return self.checkpoint_path()
        tensors: dict[str, torch.Tensor] = {}
        for prefix, net in (("generator", self.netG), ("discriminator", self.netD)):
            tensors.update({f"{prefix}/{k}": v for k, v in net.tensors().items()})
        if self.averageG is not None:
            tensors.update({f"{AVERAGE}/{key}": avg for key, avg in zip(self._learnable_keys(self.netG),
                                                                        self.averageG)})
        for name, state in (("G.avg", self.avgG), ("G.avgSq", self.avgSqG), ("D.avg", self.avgD),
                            ("D.avgSq", self.avgSqD)):
            tensors.update(flatten_state(name, state))
        tensors["rng/torch"] = torch.get_rng_state()
        if self.augment is not None:
            tensors["rng/diffAugment"] = self.augment.rng.get_state()
        if self.device.type == "cuda":
            tensors["rng/cuda"] = torch.cuda.get_rng_state(self.device)
        meta = {
            "format": FORMAT_VERSION, "config": self.cfg.model_dump(mode="json"),
            "generator_spec": self.spec_text["generator"], "discriminator_spec": self.spec_text["discriminator"],
            "classes": self.feed.classes, "conditional": self.conditional, "numLatentInputs": self.num_latent,
            "imageSize": list(self.cfg.imageSize), "channels": self.channels,
            "iteration": self.iteration, "epoch": self.epoch, "batch": self.batch, "elapsed": elapsed,
            "world_size": self.dist.world if self.dist else 1, "rank_checksums": checksums,
            "history": {"iteration": self.history.iteration, "scoreG": self.history.score_g,
                        "scoreD": self.history.score_d},
            "evaluation": self.evaluations,
        }
        path = self.checkpoint_path()
        save_checkpoint(path, tensors, meta)
        return path

    def restore(self, path: Path) -> None:
        """Continue from a checkpoint written by `save`: weights, optimizer state, RNG, position."""
        tensors, meta = load_checkpoint(path)
        if meta.get("format") != FORMAT_VERSION:
            raise SpecError(f"{path}: not a layergraph training checkpoint (format {meta.get('format')!r})")
        for key in ("generator_spec", "discriminator_spec"):
            if meta.get(key) != self.spec_text[key.split("_")[0]]:
                raise SpecError(f"{path}: the checkpoint was trained with a different "
                                f"{key.split('_')[0]} spec than {getattr(self.cfg, key.split('_')[0])}")
        for prefix, net in (("generator", self.netG), ("discriminator", self.netD)):
            net.load_tensors(section(tensors, prefix))  # copies onto the network's device
        self.averageG = self._fresh_average()
        saved = section(tensors, AVERAGE)
        if self.averageG is not None and saved:
            for avg, key in zip(self.averageG, self._learnable_keys(self.netG)):
                avg.copy_(saved[key])
        dev = {k: v.to(self.device) for k, v in tensors.items() if k.startswith("opt/")}
        self.avgG = unflatten_state("G.avg", dev, self.netG)
        self.avgSqG = unflatten_state("G.avgSq", dev, self.netG)
        self.avgD = unflatten_state("D.avg", dev, self.netD)
        self.avgSqD = unflatten_state("D.avgSq", dev, self.netD)
        torch.set_rng_state(tensors["rng/torch"])
        if self.augment is not None and "rng/diffAugment" in tensors:
            self.augment.rng.set_state(tensors["rng/diffAugment"])
        self.evaluations = list(meta.get("evaluation", []))
        if "rng/cuda" in tensors and self.device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng/cuda"], self.device)
        self.iteration, self.epoch, self.batch = meta["iteration"], meta["epoch"], meta["batch"]
        self.elapsed_before = float(meta.get("elapsed", 0.0))
        h = meta.get("history", {})
        self.history = History(list(h.get("iteration", [])), list(h.get("scoreG", [])), list(h.get("scoreD", [])))

    def _catch_sigint(self) -> Any:
        """First Ctrl-C: finish the current iteration, then checkpoint and stop (a half-applied Adam
        update must never be saved); a second Ctrl-C stops at once."""
        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum: int, frame: Any) -> None:
            if self._interrupted:
                raise KeyboardInterrupt
            self._interrupted = True
            self.console.print("stopping after this iteration (Ctrl-C again to stop at once)")

        return signal.signal(signal.SIGINT, handler)

    # ----- the loop ------------------------------------------------------------------------------
    def run(self, resume: bool = False) -> Path:
        cfg = self.cfg
        if resume:
            if not self.checkpoint_path().exists():
                raise SpecError(f"{self.checkpoint_path()}: no checkpoint to resume from")
            self.restore(self.checkpoint_path())
            self.console.print(f"resumed from {self.checkpoint_path()} at iteration {self.iteration}")
        start = time.perf_counter() - self.elapsed_before
        rate = Rate()
        last_saved = self.iteration if resume else -1
        per_epoch = self.feed.batches_per_epoch
        if per_epoch == 0:
            raise SpecError(f"{cfg.data}: {self.feed.num_observations} images are fewer than one mini-batch "
                            f"of {cfg.miniBatchSize}")
        self.console.print(f"training on {self.device.type}: {self.feed.num_observations} images, "
                           f"{len(self.feed.classes)} classes, {per_epoch} iterations per epoch")
        done = False
        self._interrupted = False
        previous = self._catch_sigint()
        try:
            while self.epoch <= cfg.numEpochs and not done:
                for X, T in self.feed.epoch(self.epoch, self.batch):
                    self.iteration += 1
                    score_g, score_d, loss_g, loss_d = self._train_step(X, T if self.conditional else None)
                    self.batch += 1
                    elapsed = time.perf_counter() - start
                    if not (math.isfinite(loss_g) and math.isfinite(loss_d)):
                        kept = self.checkpoint_path() if last_saved >= 0 else None
                        where = f"the last good checkpoint is {kept} (iteration {last_saved})" if kept else \
                            "no checkpoint was written yet"
                        raise TrainingStoppedError(f"non-finite loss at iteration {self.iteration} (generator "
                                              f"{loss_g}, discriminator {loss_d}); stopped, {where}")
                    self.history.iteration.append(self.iteration)
                    self.history.score_g.append(score_g)
                    self.history.score_d.append(score_d)
                    ips = rate.add(X.shape[0])
                    if cfg.evaluationFrequency and self.iteration % cfg.evaluationFrequency == 0:
                        self.record_evaluation()
                    if self.iteration % cfg.validationFrequency == 0 or self.iteration == 1:
                        self.write_progress(elapsed)
                        self.console.print(
                            f"Epoch {self.epoch}/{cfg.numEpochs}  Iteration {self.iteration}  Elapsed "
                            f"{elapsed_text(elapsed)}  {ips:7.0f} images/s  scoreG {score_g:.3f}  "
                            f"scoreD {score_d:.3f}")
                    if self.iteration % cfg.checkpointFrequency == 0:
                        self.save(elapsed)
                        last_saved = self.iteration
                    if self._interrupted:
                        raise KeyboardInterrupt
                    if cfg.maxIterations is not None and self.iteration >= cfg.maxIterations:
                        done = True
                        break
                if not done:
                    self.epoch += 1
                    self.batch = 0
        except KeyboardInterrupt:
            path = self.save(time.perf_counter() - start)
            self.console.print(f"interrupted at iteration {self.iteration}; checkpoint written to {path}; "
                               "continue with --resume")
            raise
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        elapsed = time.perf_counter() - start
        if cfg.evaluationFrequency:
            self.record_evaluation()
        path = self.save(elapsed)
        self.write_progress(elapsed)
        self.console.print(f"done: {self.iteration} iterations in {elapsed_text(elapsed)}; checkpoint {path}; "
                           f"progress figure {self.out / 'progress.png'}")
        return path


def train(cfg: TrainConfig, resume: bool = False, console: Any = None) -> Path:
    """Train the configured GAN/CGAN (one process, or one rank under torchrun); returns the checkpoint path."""
    try:
        return GANTrainer(cfg, console).run(resume=resume)
    finally:
        distributed.shutdown()
