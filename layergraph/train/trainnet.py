"""MATLAB's built-in training: `[net, info] = trainnet(data, net, lossFcn, options)`.

Each iteration is MATLAB's: forward pass in training mode (batch-norm statistics updated), the loss, gradients,
L2 regularization added to the gradients (λ·L2Factor·W per learnable), gradient thresholding by
GradientThresholdMethod, then the solver step (the same sgdmupdate / adamupdate / rmspropupdate as custom loops,
with each layer's learn-rate factors). The learning rate follows LearnRateSchedule per epoch; the last partial
mini-batch of an epoch is discarded, as MATLAB does. The first Ctrl-C (or SIGTERM) finishes the iteration and
returns the network trained so far (MATLAB's Stop button); a second one interrupts at once.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.data.queue import MiniBatchQueue
from layergraph.devices import default_device
from layergraph.dlarray import DLArray
from layergraph.errors import DataError, OptionError
from layergraph.nargout import nargout
from layergraph.precision import resolve_precision
from layergraph.train.arguments import (
    check_no_output_layer,
    class_names,
    data_formats,
    split_args,
    trainable_network,
    validation_pair,
)
from layergraph.train.batches import Encoding, QueueBatches, make_batches
from layergraph.train.checkpoint import save_checkpoint
from layergraph.train.chunks import chunks
from layergraph.train.gradients import regularize, threshold
from layergraph.train.input_statistics import fit_input_statistics
from layergraph.train.interrupt import StopRequest
from layergraph.train.losses import column_title, loss_function, metric, metric_name
from layergraph.train.metrics import BuiltinMetric, Gathered, builtin_metric
from layergraph.train.multi_io import batch_size, detached, metric_of_outputs, outputs_loss
from layergraph.train.optimizers import adamupdate, rmspropupdate, sgdmupdate
from layergraph.train.population import population_statistics
from layergraph.train.progress import BoxedProgressTable, History, ProgressTable, Shown
from layergraph.train.training_options import TrainingOptions

# loss_function, regularize and threshold were defined here before the split and stay importable from here
__all__ = ["TrainingInfo", "loss_function", "regularize", "threshold", "trainnet"]


@dataclass
class TrainingInfo:
    """MATLAB's TrainingInfo: TrainingHistory and ValidationHistory tables, the returned network's iteration and
    why training stopped."""

    TrainingHistory: Any
    ValidationHistory: Any
    OutputNetworkIteration: int
    StopReason: str
    classes: list[str] | None = field(default=None, repr=False)


def _single_state(net: dlnetwork) -> dlnetwork:
    """The network with its recurrent states reset (resetState) if a forward pass left them one column per
    observation of an earlier mini-batch (H×N); otherwise as given."""
    if any(getattr(m, name).shape[1] != 1 for m in net._recurrent for name in m.state_names):
        return net.resetState()
    return net


def _start_states(net: dlnetwork) -> list[tuple[torch.nn.Module, str, torch.Tensor]]:
    """The recurrent layers' HiddenState/CellState every training mini-batch starts from.

    MATLAB's trainnet and trainNetwork do not carry the recurrent state from one mini-batch to the next (it moves
    on only between the chunks of sequences split by a numeric SequenceLength): each mini-batch starts from the
    network's state as given, the layers' initial state for a new network.
    """
    return [(m, name, getattr(m, name).detach().clone()) for m in net._recurrent for name in m.state_names]


def _restore_states(saved: list[tuple[torch.nn.Module, str, torch.Tensor]]) -> None:
    """Put the recurrent states back where the mini-batch started (a training pass moves them on)."""
    for m, name, value in saved:
        m._buffers[name] = value


@dataclass
class _Run:
    """Where one training run stands: history, what is shown, the best network so far, why it stops."""

    hist: History
    shown: Shown
    keep_best: bool
    best: dict[str, torch.Tensor] | None = None
    iteration: int = 0
    reason: str = "Max epochs completed"
    stop: bool = False


class _Trainer:
    """One trainnet run: network, data, solver state, histories."""

    def __init__(self, X: Any, T: Any, net: Any, lossFcn: Any, opts: TrainingOptions, fname: str,
                 legacy: bool = False) -> None:
        self.opts, self.fname, self.legacy = opts, fname, legacy
        self.device = default_device(opts.ExecutionEnvironment)
        self.net = _single_state(trainable_network(net))
        check_no_output_layer(self.net, fname)
        self.precision = resolve_precision(opts.Precision, self.device)
        self.loss_fn, kind = loss_function(lossFcn)
        self.in_fmt, self.out_fmt = data_formats(self.net, opts)
        self.classes = class_names(X, T)
        if kind == "onehot-or-numeric":
            kind = "onehot" if self.classes is not None else "numeric"
        if kind in ("onehot", "index") and self.classes is None and not isinstance(X, MiniBatchQueue):
            if kind == "onehot":
                kind = "numeric"  # one-hot targets given as numbers
            elif not isinstance(T, (np.ndarray, torch.Tensor)):
                raise DataError(f"{fname}: 'index-crossentropy' needs categorical targets or class numbers")
        self.index_targets = kind == "index"
        enc = Encoding(kind, self.classes)
        input_size = self.net._act(self.net.InputNames[0]).size
        # a numeric SequenceLength: mini-batches padded to their longest sequence, then split by the trainer
        seq = replace(opts, SequenceLength="longest") if isinstance(opts.SequenceLength, int) else opts
        io = (len(self.net.InputNames), len(self.net.OutputNames))
        if io[1] > 1:
            self.loss_fn = outputs_loss(lossFcn, opts.Metrics, opts.SequenceLength, fname)
        self.data = make_batches(X, T, self.in_fmt, self.out_fmt, enc, seq, input_size, not legacy, io)
        self.net = fit_input_statistics(self.net, self.data, opts.ResetInputNormalization).to(self.device)
        self.recurrent = _start_states(self.net)
        if not isinstance(self.data, QueueBatches):
            self.data.to(self.device)  # in-memory data small enough for the GPU stays there
        self.val = None
        if opts.ValidationData is not None:
            vx, vt = validation_pair(opts.ValidationData)
            self.val = make_batches(vx, vt, self.in_fmt, self.out_fmt, enc, seq, input_size, not legacy, io)
        rows = self.net._learn_rows
        self.params = [p for _, _, p, _ in rows]
        lam = opts.L2Regularization
        self.l2 = [lam * self.net.getL2Factor(lay, par) for lay, par, _, _ in rows]
        self.metric_names = [metric_name(m) for m in opts.Metrics]

    # --- one pass of the network and its loss -------------------------------------------------------------
    def _forward(self, X: Any, training: bool) -> Any:
        """The network's output for predictors X (a tuple of outputs for a network with several)."""
        with self.precision.autocast():
            ys = self.net._call(X if isinstance(X, tuple) else (X,), {}, training, self.fname)
        return ys[0] if len(ys) == 1 else tuple(ys)

    def _metrics(self, Y: torch.Tensor, t: torch.Tensor) -> dict[str, float]:
        with torch.no_grad():
            return {n: float(metric_of_outputs(m, Y, t) if callable(m) else
                             metric(m, Y.as_subclass(torch.Tensor), t, self.index_targets))
                    for n, m in zip(self.metric_names, self.opts.Metrics)}

    def validate(self) -> dict[str, float]:
        """Loss and metrics over all validation data: the loss and metric functions averaged over the mini-batches
        (weighted by their sizes), the built-in metrics computed over all of it (MATLAB accumulates them)."""
        gathered = {n: Gathered(m if isinstance(m, BuiltinMetric) else builtin_metric(m), self.index_targets)
                    for n, m in zip(self.metric_names, self.opts.Metrics) if not callable(m)}
        functions = {n: m for n, m in zip(self.metric_names, self.opts.Metrics) if callable(m)}
        total: dict[str, float] = {}
        count = 0
        batches = (self.val.epoch(False) if isinstance(self.val, QueueBatches) else
                   self.val.epoch(np.arange(self.val.n), self.opts.MiniBatchSize, self.device, False))
        with torch.no_grad():
            for X, t in batches:
                Y = self._forward(X, False)
                n = batch_size(Y)
                values = {"Loss": float(self.loss_fn(Y, t)),
                          **{k: float(metric_of_outputs(f, Y, t)) for k, f in functions.items()}}
                for k, v in values.items():
                    total[k] = total.get(k, 0.0) + v * n
                for g in gathered.values():
                    g.add(Y.as_subclass(torch.Tensor), t)
                count += n
        out = {k: v / max(count, 1) for k, v in total.items()}
        return {"Loss": out["Loss"], **{k: out[k] if k in out else gathered[k].value() for k in self.metric_names}}

    def learn_rate(self, epoch: int) -> float:
        o = self.opts
        if o.LearnRateSchedule == "piecewise":
            return o.InitialLearnRate * o.LearnRateDropFactor ** ((epoch - 1) // o.LearnRateDropPeriod)
        return o.InitialLearnRate

    def step(self, X: DLArray, t: torch.Tensor, lr: float, iteration: int) -> tuple[torch.Tensor, DLArray]:
        """One MATLAB iteration: loss, gradients, L2, clipping, solver update. Returns the loss and output."""
        o = self.opts
        with torch.enable_grad():
            Y = self._forward(X, True)
            loss = self.loss_fn(Y, t)
            grads = list(torch.autograd.grad(loss, self.params, allow_unused=True))
        grads = [torch.zeros_like(p) if g is None else g for g, p in zip(grads, self.params)]
        regularize(grads, self.params, self.l2)
        threshold(grads, o.GradientThreshold, o.GradientThresholdMethod)
        table_grads = self.net.Learnables.like(grads)
        if o.SolverName == "sgdm":
            _, self.state = sgdmupdate(self.net, table_grads, self.state, lr, o.Momentum)
        elif o.SolverName == "adam":
            _, m, v = adamupdate(self.net, table_grads, self.state[0], self.state[1], iteration, lr,
                                 o.GradientDecayFactor, o.SquaredGradientDecayFactor, o.Epsilon)
            self.state = (m, v)
        else:
            _, self.state = rmspropupdate(self.net, table_grads, self.state, lr, o.SquaredGradientDecayFactor,
                                          o.Epsilon)
        return loss.detach(), detached(Y)

    def _checkpoint(self, iteration: int, epoch: int) -> None:
        folder = Path(self.opts.CheckpointPath)
        if not folder.is_dir():
            raise OptionError(f"{self.fname}: CheckpointPath '{folder}' is not an existing folder")
        stamp = time.strftime("%Y_%m_%d__%H_%M_%S")
        save_checkpoint(folder / f"net_checkpoint__{iteration}__{stamp}.safetensors",
                        {k: v.detach().cpu() for k, v in self.net.tensors().items()},
                        {"iteration": iteration, "epoch": epoch})

    def _output_choice(self) -> str:
        """OutputNetwork: "auto" is the best validation in trainnet when validating, else the last iteration."""
        out = self.opts.OutputNetwork
        if out == "auto":
            return "best-validation" if self.val is not None and not self.legacy else "last-iteration"
        return out

    def run(self) -> tuple[dlnetwork, TrainingInfo]:
        o = self.opts
        self.state: Any = ([], []) if o.SolverName == "adam" else []
        queue = isinstance(self.data, QueueBatches)
        order = torch.randperm(self.data.n).numpy() if o.Shuffle == "once" and not queue else np.arange(self.data.n)
        progress = (BoxedProgressTable if self.legacy else ProgressTable)(self.metric_names, self.val is not None,
                                                                          o.Verbose)
        run = _Run(History(self.metric_names),
                   Shown(progress, self._monitor() if o.Plots == "training-progress" else None, o.MaxEpochs),
                   keep_best=self._output_choice() == "best-validation")
        with StopRequest(lambda text: print(text, flush=True)) as signals:
            if self.val is not None and not self.legacy:  # trainnet validates before the first iteration
                run.stop = self._validate_into(run)
                run.shown.flush(0, 0, self.learn_rate(1))
            for epoch in range(1, o.MaxEpochs + 1):
                if run.stop:
                    break
                order = self._epoch(run, epoch, order, signals)
                if o.CheckpointPath and epoch % o.CheckpointFrequency == 0:
                    self._checkpoint(run.iteration, epoch)
            self._finish(run)
        run.shown.close(run.reason, o.Verbose)
        return self._result(run)

    def _validate_into(self, run: _Run) -> bool:
        """Validate, record, keep the best network; True when ValidationPatience says stop."""
        carried = _start_states(self.net)
        _restore_states(self.recurrent)  # validation starts from the initial state
        v = self.validate()
        _restore_states(carried)  # and the chunks of a split mini-batch go on from where they were
        if run.hist.validation(run.iteration, v) and run.keep_best:
            run.best = {k: t.detach().clone() for k, t in self.net.tensors().items()}
        run.shown.validation(run.iteration, v, self.metric_names)
        return run.hist.bad >= self.opts.ValidationPatience

    def _epoch(self, run: _Run, epoch: int, order: np.ndarray, signals: StopRequest) -> np.ndarray:
        """One epoch's mini-batches, until the data ends or something asks to stop; returns the order used."""
        o = self.opts
        lr = self.learn_rate(epoch)
        queue = isinstance(self.data, QueueBatches)
        if o.Shuffle == "every-epoch" and not queue:
            order = torch.randperm(self.data.n).numpy()
        batches = (self.data.epoch(o.Shuffle != "never") if queue else
                   self.data.epoch(order, o.MiniBatchSize, self.device, True))
        for X, t in batches:
            self._batch(run, epoch, lr, X, t, signals)
            if run.stop:
                break
        return order

    def _batch(self, run: _Run, epoch: int, lr: float, X: DLArray, t: Any, signals: StopRequest) -> None:
        """One mini-batch: one iteration, or one per chunk of a numeric SequenceLength with the recurrent state
        carried from chunk to chunk; the next mini-batch starts again from the initial state, as in MATLAB."""
        try:
            for Xc, tc in chunks(X, t, self.opts.SequenceLength, self.fname):
                self._iteration(run, epoch, lr, Xc, tc)
                if signals.requested or run.shown.stop_requested():
                    run.stop, run.reason = True, "Stopped manually"
                if run.stop:
                    break
        finally:
            _restore_states(self.recurrent)

    def _iteration(self, run: _Run, epoch: int, lr: float, X: DLArray, t: torch.Tensor) -> None:
        """One iteration: the step, its history row, validation when due, the progress row."""
        o = self.opts
        run.iteration += 1
        iteration, hist, shown = run.iteration, run.hist, run.shown
        loss, Y = self.step(X, t, lr, iteration)
        hist.iteration(iteration, epoch, lr, loss, self._metrics(Y, t))
        shown.training(iteration, epoch, lr, hist)
        # trainNetwork validated first at iteration 1, trainnet before training (iteration 0)
        due = iteration % o.ValidationFrequency == 0 or (self.legacy and iteration == 1)
        if self.val is not None and due and self._validate_into(run):
            run.stop, run.reason = True, "Stopped by ValidationPatience"
        if o.Verbose and (shown.row or iteration == 1 or iteration % o.VerboseFrequency == 0):
            shown.training_row(hist)
        shown.flush(iteration, epoch, lr)

    def _finish(self, run: _Run) -> None:
        """The last validation and progress row, unless the last iteration already had them."""
        hist, shown, iteration = run.hist, run.shown, run.iteration
        if self.val is not None and (not hist.val["Iteration"] or hist.val["Iteration"][-1] != iteration):
            self._validate_into(run)
        if hist.train["Epoch"] and shown.last != iteration and self.opts.Verbose:
            shown.training_row(hist)
            shown.flush(iteration, hist.train["Epoch"][-1], hist.train["LearnRate"][-1])

    def _result(self, run: _Run) -> tuple[dlnetwork, TrainingInfo]:
        """The output network (OutputNetwork: the last iteration's or the best validation's) and the info."""
        out_iter = run.iteration
        if run.keep_best and run.best is not None:
            self.net.load_tensors(run.best)
            out_iter = run.hist.best_iteration
        if self.opts.BatchNormalizationStatistics == "population":
            self._population()
        train_table, val_table = run.hist.tables()
        return self.net, TrainingInfo(train_table, val_table, out_iter, run.reason, self.classes)

    def _population(self) -> None:
        """BatchNormalizationStatistics "population": batch-norm statistics from all the training observations."""
        batches = (self.data.epoch(False) if isinstance(self.data, QueueBatches) else
                   self.data.epoch(np.arange(self.data.n), self.opts.MiniBatchSize, self.device, False))
        population_statistics(self.net.module, batches, lambda X: self._forward(X, False))

    def _monitor(self) -> Any:
        """MATLAB's Training Progress window: loss panel (training and validation together), one per metric."""
        from layergraph.monitor.training import groupSubPlot, trainingProgressMonitor  # matplotlib on use

        names = ["Loss", *self.metric_names]
        monitor = trainingProgressMonitor(Metrics=[f"{w}{column_title(n)}" for n in names for w in ("Training",
                                                                                              "Validation")],
                                          Info=["Epoch", "LearnRate"], XLabel="Iteration")
        for n in names:
            groupSubPlot(monitor, n, [f"Training{column_title(n)}", f"Validation{column_title(n)}"])
        return monitor


def trainnet(*args: Any) -> dlnetwork | tuple[dlnetwork, TrainingInfo]:
    """MATLAB's `[net, info] = trainnet(X, T, net, lossFcn, options)` or `trainnet(data, net, lossFcn, options)`.

    `data`: a datastore giving (predictors, targets), a minibatchqueue with two outputs (or, for a network with
    several inputs or outputs, the predictors of each input then the targets of each output), or a tuple (X, T).
    `net`: a dlnetwork or a layer array (no output layer). `lossFcn`: "crossentropy", "index-crossentropy",
    "binary-crossentropy", "mse" ("mean-squared-error", "l2loss"), "mae" ("mean-absolute-error", "l1loss"),
    "huber", or a function `loss = f(Y, T)` (`f(Y1, …, YM, T1, …, TM)` for several outputs). Returns the
    trained network (a copy: `net` is unchanged) and info with TrainingHistory and ValidationHistory tables;
    `net = trainnet(...)` (nargout 1, as MATLAB) gives the network alone.
    """
    X, T, net, loss, opts = split_args(args, "trainnet")
    trained, info = _Trainer(X, T, net, loss, opts, "trainnet").run()
    return trained if nargout("trainnet") <= 1 else (trained, info)
