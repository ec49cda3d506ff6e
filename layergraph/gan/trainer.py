"""GAN / CGAN training as MATLAB's examples do it (modelGradients, adamupdate), with checkpoints and resume."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.devices import default_device
from layergraph.errors import LayergraphError, SpecError
from layergraph.gan.checkpoint import CHECKPOINT, prepare_output
from layergraph.gan.config import TrainConfig
from layergraph.gan.evaluator import Evaluator
from layergraph.gan.feed import DataFeed
from layergraph.gan.progress import Rate
from layergraph.gan.records import GANRecords
from layergraph.gan.stabilizers import DiffAugment, hinge_losses, r1_penalty
from layergraph.gan.state import TrainingState
from layergraph.layers.activation import SigmoidLayer
from layergraph.layers.dense import EmbeddingLayer
from layergraph.monitor.terminal import elapsed_text
from layergraph.precision import resolve_precision
from layergraph.spec.flat import flat_spec_text
from layergraph.spec.io import graph_from_text
from layergraph.train import distributed
from layergraph.train.autodiff import dlgradient
from layergraph.train.interrupt import StopRequest
from layergraph.train.optimizers import adamupdate

__all__ = ["CHECKPOINT", "GANTrainer", "TrainingStoppedError", "train"]


class TrainingStoppedError(LayergraphError):
    """Training stopped on purpose (non-finite loss); the last good checkpoint is kept."""

    exit_code = 1


class _StopAfterIteration(KeyboardInterrupt):
    """The first Ctrl-C, raised only between whole iterations: the one interrupt that writes a checkpoint."""


def _read_spec(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError(f"{path}: cannot read the spec ({err.__class__.__name__})") from None


class GANTrainer(GANRecords):
    """Trains a generator/discriminator pair from a TrainConfig; `run()` returns the final checkpoint path."""

    def __init__(self, cfg: TrainConfig, console: Console | None = None) -> None:
        self.cfg = cfg
        self.console = console or Console(stderr=True, highlight=False, markup=False)  # paths may hold '[/b]'
        self.device = default_device(cfg.executionEnvironment)
        self.dist = distributed.setup(self.device)
        if self.dist is not None:
            self.device = self.dist.device
        self.precision = resolve_precision(cfg.precision, self.device)
        self.main = self.dist is None or self.dist.is_main
        if not self.main:
            self.console = Console(quiet=True)
        self.stop = StopRequest(self.console.print)  # Ctrl-C / SIGTERM: stop after the current iteration
        self.out = prepare_output(cfg)  # before any work: an unwritable folder is found now, not after an epoch
        torch.manual_seed(cfg.seed)
        # a template is stored expanded: the checkpoint holds exactly the networks trained here
        self.spec_text = {net: flat_spec_text(_read_spec(getattr(cfg, net)), str(getattr(cfg, net)),
                                              getattr(cfg, f"{net}Params"), f"{net}Params / --set {net}.NAME")
                          for net in ("generator", "discriminator")}
        self.netG = dlnetwork(graph_from_text(self.spec_text["generator"], str(cfg.generator))).to(self.device)
        self.netD = dlnetwork(graph_from_text(self.spec_text["discriminator"], str(cfg.discriminator))).to(self.device)
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
        self.state = TrainingState(averageG=self._fresh_average())
        self._last_saved = -1  # the iteration of the last checkpoint written in this run (−1: none yet)
        self.Zval, self.Tval = self._validation_inputs()
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
        self.evaluator = None
        if cfg.evaluationFrequency is not None and self.main:
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

    def _noise_and_flips(self, b: int) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's noise and flipped-label mask for a local batch of b. Every rank draws the global batch's
        and keeps its slice, so N processes compute exactly what one process would on the whole batch."""
        world, rank = (self.dist.world, self.dist.rank) if self.dist else (1, 0)
        total = b * world
        Z = torch.randn(total, *self.latent_shape.torch_shape(1)[1:], device=self.device)[rank * b:(rank + 1) * b]
        flip = torch.zeros(total, 1, dtype=torch.bool, device=self.device)
        flip[torch.randperm(total, device=self.device)[: math.floor(self.cfg.flipFactor * total)]] = True
        return Z, flip[rank * b:(rank + 1) * b]

    def _losses(self, y_real: torch.Tensor, y_gen: torch.Tensor, flip: torch.Tensor, X_d: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(scoreG, scoreD, lossG, lossD) from the discriminator's outputs on real and generated images."""
        cfg = self.cfg
        log_p_real, log_q_real = self._scores(y_real)
        log_p_gen, log_q_gen = self._scores(y_gen)
        score_g = log_p_gen.exp().mean()
        score_d = (log_p_real.exp().mean() + log_q_gen.exp().mean()) / 2
        if cfg.lossFunction == "hinge":  # on the logits, log p − log(1 − p)
            loss_g, loss_d = hinge_losses(log_p_real - log_q_real, log_p_gen - log_q_gen, flip)
        else:
            # flip a fixed share of the real labels: −log p becomes −log(1 − p) for those
            loss_d = -torch.where(flip, log_q_real, log_p_real).mean() - log_q_gen.mean()
            loss_g = -log_p_gen.mean()
        if cfg.r1Gamma > 0:
            grad_x = dlgradient((log_p_real - log_q_real).sum(), X_d, EnableHigherDerivatives=True)
            loss_d = loss_d + r1_penalty(grad_x, cfg.r1Gamma)
        return score_g, score_d, loss_g, loss_d

    def _step(self, X: torch.Tensor, T: torch.Tensor | None) -> tuple[float, float, float, float]:
        """Gradients of both losses, then Adam on both networks; returns (scoreG, scoreD, lossG, lossD)."""
        cfg, g, d = self.cfg, self.netG, self.netD
        Z, flip = self._noise_and_flips(X.shape[0])
        if cfg.channelsLast:
            X = X.contiguous(memory_format=torch.channels_last)
        cond = (T,) if self.conditional else ()
        with torch.enable_grad(), self.precision.autocast():
            X_d = self._d_input(X, traced=True)
            # forward returns the updated batch-norm statistics; the trainer keeps them (d's after each pass)
            y_real, d.State = d.forward(X_d, *cond)
            x_gen, g.State = g.forward(Z, *cond)
            y_gen, d.State = d.forward(self._d_input(x_gen), *cond)
            score_g, score_d, loss_g, loss_d = self._losses(y_real, y_gen, flip, X_d)
            if self.dist is None:
                grad_g = dlgradient(loss_g, g.Learnables, RetainData=True)
                grad_d = dlgradient(loss_d, d.Learnables)
            else:  # the same gradients, averaged over the ranks by DistributedDataParallel
                grad_g = distributed.gradients(loss_g, g, retain_graph=True)
                grad_d = distributed.gradients(loss_d, d)
        vals = torch.stack([score_g.detach(), score_d.detach(), loss_g.detach(), loss_d.detach(),
                            torch.tensor(float(self.stop.requested), device=self.device)]).float()
        if self.dist is not None:
            distributed.average([vals], self.dist.world)  # the scores shown, and whether any rank was interrupted
            self.stop.requested = bool(vals[4] > 0)
        st = self.state
        it = st.iteration
        lr_d, lr_g = cfg.learnRateDiscriminator or cfg.learnRate, cfg.learnRateGenerator or cfg.learnRate
        b1, b2 = cfg.gradientDecayFactor, cfg.squaredGradientDecayFactor
        _, st.avgD, st.avgSqD = adamupdate(d, grad_d, st.avgD, st.avgSqD, it, lr_d, b1, b2)
        _, st.avgG, st.avgSqG = adamupdate(g, grad_g, st.avgG, st.avgSqG, it, lr_g, b1, b2)
        if st.averageG is not None:
            with torch.no_grad():
                for avg, p in zip(st.averageG, g.Learnables.Value):
                    avg.lerp_(p, 1 - cfg.generatorAverageDecay)
        return tuple(float(v) for v in vals[:4].cpu())  # type: ignore[return-value]

    # ----- the loop ------------------------------------------------------------------------------
    def run(self, resume: bool = False) -> Path:
        """Train until numEpochs (or maxIterations); Ctrl-C checkpoints and stops. Returns the checkpoint."""
        self.stop.requested = False
        if not self._start(resume):
            return self.checkpoint_path()
        start = time.perf_counter() - self.state.elapsed_before
        with self.stop:  # a first Ctrl-C or SIGTERM stops after the iteration, a second at once
            try:
                stopped = False
                try:
                    self._epochs(start)
                except _StopAfterIteration:  # raised only between whole iterations: the state is consistent
                    stopped = True
                elapsed = time.perf_counter() - start
                if not stopped and self.cfg.evaluationFrequency:
                    self.record_evaluation()  # the final scores, saved with the last checkpoint
                path = self.save(elapsed)  # a first Ctrl-C now only marks the stop: the run ends here anyway
            except KeyboardInterrupt:  # the second Ctrl-C, anywhere (mid-iteration, mid-save): nothing is written
                self.console.print(f"stopped at once; nothing written now (the checkpoint on disk is from iteration "
                                   f"{self._last_saved})" if self._last_saved >= 0 else
                                   "stopped at once; no checkpoint was written")
                raise
        if stopped:
            self.console.print(f"interrupted at iteration {self.state.iteration}; checkpoint written to {path}; "
                               "continue with --resume")
            raise KeyboardInterrupt
        self.write_progress(elapsed)
        self.console.print(f"done: {self.state.iteration} iterations in {elapsed_text(elapsed)}; checkpoint {path}; "
                           f"progress figure {self.out / 'progress.png'}")
        return path

    def _finished(self) -> bool:
        """True when the position is at the end: after the last epoch, or at maxIterations."""
        cfg, st = self.cfg, self.state
        return st.epoch > cfg.numEpochs or (cfg.maxIterations is not None and st.iteration >= cfg.maxIterations)

    def _start(self, resume: bool) -> bool:
        """Restore the checkpoint when resuming, check there is a mini-batch, say what will be trained; False
        when a resumed run is already finished (then nothing more is done or written)."""
        per_epoch = self.feed.batches_per_epoch
        if per_epoch == 0:
            raise SpecError(f"{self.cfg.data}: {self.feed.num_observations} images are fewer than one mini-batch "
                            f"of {self.cfg.miniBatchSize}")
        if resume:
            if not self.checkpoint_path().exists():
                raise SpecError(f"{self.checkpoint_path()}: no checkpoint to resume from")
            self.restore(self.checkpoint_path())
            if self._finished():
                self.console.print(f"{self.checkpoint_path()}: the run is already finished (iteration "
                                   f"{self.state.iteration}, epoch {min(self.state.epoch, self.cfg.numEpochs)} of "
                                   f"{self.cfg.numEpochs}); nothing to do")
                return False
            self.console.print(f"resumed from {self.checkpoint_path()} at iteration {self.state.iteration}")
        self._last_saved = self.state.iteration if resume else -1
        self.console.print(f"training on {self.device.type} in {self.precision}: {self.feed.num_observations} images, "
                           f"{len(self.feed.classes)} classes, {per_epoch} iterations per epoch")
        return True

    def _epochs(self, start: float) -> None:
        """Iterate over the epochs (from the saved position when resuming) until the end or maxIterations."""
        rate = Rate()
        while self.state.epoch <= self.cfg.numEpochs:
            for X, T in self.feed.epoch(self.state.epoch, self.state.batch):
                if self._iteration(X, T, start, rate):
                    return
            self.state.epoch += 1
            self.state.batch = 0

    def _iteration(self, X: torch.Tensor, T: torch.Tensor | None, start: float, rate: Rate) -> bool:
        """One training step plus its bookkeeping; True when maxIterations is reached."""
        cfg = self.cfg
        self.state.iteration += 1
        score_g, score_d, loss_g, loss_d = self._train_step(X, T if self.conditional else None)
        self.state.batch += 1
        elapsed = time.perf_counter() - start
        self._check_finite(loss_g, loss_d)
        self.state.history.iteration.append(self.state.iteration)
        self.state.history.score_g.append(score_g)
        self.state.history.score_d.append(score_d)
        ips = rate.add(X.shape[0])
        if cfg.evaluationFrequency and self.state.iteration % cfg.evaluationFrequency == 0:
            self.record_evaluation()
        if self.state.iteration % cfg.validationFrequency == 0 or self.state.iteration == 1:
            self.write_progress(elapsed)
            self.console.print(
                f"Epoch {self.state.epoch}/{cfg.numEpochs}  Iteration {self.state.iteration}  Elapsed "
                f"{elapsed_text(elapsed)}  {ips:7.0f} images/s  scoreG {score_g:.3f}  scoreD {score_d:.3f}")
        if self.state.iteration % cfg.checkpointFrequency == 0:
            self.save(elapsed)
            self._last_saved = self.state.iteration
        if self.stop.requested:
            raise _StopAfterIteration
        return cfg.maxIterations is not None and self.state.iteration >= cfg.maxIterations

    def _check_finite(self, loss_g: float, loss_d: float) -> None:
        """Stop on a non-finite loss, keeping the last good checkpoint (nothing is written now)."""
        if math.isfinite(loss_g) and math.isfinite(loss_d):
            return
        where = (f"the last good checkpoint is {self.checkpoint_path()} (iteration {self._last_saved})"
                 if self._last_saved >= 0 else "no checkpoint was written yet")
        raise TrainingStoppedError(f"non-finite loss at iteration {self.state.iteration} (generator {loss_g}, "
                                   f"discriminator {loss_d}); stopped, {where}")


def train(cfg: TrainConfig, resume: bool = False, console: Any = None) -> Path:
    """Train the configured GAN/CGAN (one process, or one rank under torchrun); returns the checkpoint path."""
    try:
        return GANTrainer(cfg, console).run(resume=resume)
    finally:
        distributed.shutdown()
