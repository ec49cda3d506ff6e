"""MATLAB's built-in training: `[net, info] = trainnet(data, net, lossFcn, options)`.

Each iteration is MATLAB's: forward pass in training mode (batch-norm statistics updated), the loss, gradients,
L2 regularization added to the gradients (λ·L2Factor·W per learnable), gradient thresholding by
GradientThresholdMethod, then the solver step (the same sgdmupdate / adamupdate / rmspropupdate as custom loops,
with each layer's learn-rate factors). The learning rate follows LearnRateSchedule per epoch; the last partial
mini-batch of an epoch is discarded, as MATLAB does. The first Ctrl-C (or SIGTERM) finishes the iteration and
returns the network trained so far (MATLAB's Stop button); a second one interrupts at once.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.data.categorical import Categorical
from layergraph.data.datastore import Source
from layergraph.data.queue import MiniBatchQueue
from layergraph.data.tables import table
from layergraph.devices import default_device
from layergraph.dlarray import DLArray, wrap
from layergraph.dlfun.losses import crossentropy, huber, l1loss, l2loss, mse
from layergraph.errors import DataError, OptionError
from layergraph.graph.layergraph import LayerGraph
from layergraph.monitor.terminal import elapsed_text
from layergraph.precision import resolve_precision
from layergraph.train.batches import Encoding, QueueBatches, input_format, make_batches
from layergraph.train.checkpoint import save_checkpoint
from layergraph.train.input_statistics import fit_input_statistics
from layergraph.train.interrupt import StopRequest
from layergraph.train.optimizers import adamupdate, rmspropupdate, sgdmupdate
from layergraph.train.training_options import TrainingOptions

__all__ = ["TrainingInfo", "trainnet"]

# MATLAB's lossFcn names → the loss and how targets are encoded
_LOSS_NAMES = {
    "crossentropy": "crossentropy", "index-crossentropy": "index-crossentropy",
    "binary-crossentropy": "binary-crossentropy", "mse": "mse", "mean-squared-error": "mse", "l2loss": "mse",
    "mae": "mae", "mean-absolute-error": "mae", "l1loss": "mae", "huber": "huber",
}


@dataclass
class TrainingInfo:
    """MATLAB's TrainingInfo: TrainingHistory and ValidationHistory tables, the returned network's iteration and
    why training stopped."""

    TrainingHistory: Any
    ValidationHistory: Any
    OutputNetworkIteration: int
    StopReason: str
    classes: list[str] | None = field(default=None, repr=False)


# ----- losses ---------------------------------------------------------------------------------------------

def _non_channel(y: torch.Tensor) -> int:
    """How many elements of the output are not along the channel axis (torch axis 1): B, B·T, H·W·B, …."""
    return y.numel() // y.shape[1] if y.dim() > 1 else y.numel()


def _index_crossentropy(Y: DLArray, t: torch.Tensor) -> torch.Tensor:
    """−Σ log Y[target class] / (number of non-channel elements); targets are class numbers from 0."""
    y = Y.as_subclass(torch.Tensor).float()
    picked = y.gather(1, t.long().unsqueeze(1))
    return -torch.log(picked.clamp_min(torch.finfo(y.dtype).eps)).sum() / _non_channel(y)


def loss_function(lossFcn: Any) -> tuple[Callable[[DLArray, torch.Tensor], torch.Tensor], str]:
    """The loss to minimise and how targets are encoded ('onehot', 'index' or 'numeric').

    Normalization as trainnet documents it: "crossentropy" divides by the number of non-channel elements of the
    output (the batch size for "CB" output), the others by the number of elements. The legacy output layers
    ("classification-layer", "regression-layer") keep trainNetwork's: Σ/N and half the squared error over N.
    """
    if callable(lossFcn):
        return (lambda Y, t: lossFcn(Y, wrap(t, Y.fmt))), "onehot-or-numeric"
    name = _LOSS_NAMES.get(str(lossFcn).lower()) if isinstance(lossFcn, str) else None
    legacy = {"classification-layer", "regression-layer"}
    if name is None and str(lossFcn).lower() in legacy:
        name = str(lossFcn).lower()
    if name is None:
        raise OptionError(f"trainnet: unknown loss function {lossFcn!r}; use one of "
                          f"{', '.join(repr(n) for n in _LOSS_NAMES)} or a function handle")
    if name == "crossentropy":
        return (lambda Y, t: crossentropy(Y, wrap(t, Y.fmt), NormalizationFactor="all-elements")
                * Y.shape[1]), "onehot"
    if name == "index-crossentropy":
        return _index_crossentropy, "index"
    if name == "binary-crossentropy":
        return (lambda Y, t: crossentropy(Y, wrap(t, Y.fmt), ClassificationMode="multilabel",
                                          NormalizationFactor="all-elements")), "numeric"
    if name == "classification-layer":
        return (lambda Y, t: crossentropy(Y, wrap(t, Y.fmt))), "onehot"
    if name == "regression-layer":
        return (lambda Y, t: mse(Y, wrap(t, Y.fmt))), "numeric"
    fn = {"mse": l2loss, "mae": l1loss, "huber": huber}[name]
    return (lambda Y, t: fn(Y, wrap(t, Y.fmt), NormalizationFactor="all-elements")), "numeric"


def _metric(name: Any, Y: torch.Tensor, t: torch.Tensor, index_targets: bool) -> torch.Tensor:
    """A training/validation metric: accuracy in percent, or the root mean squared error over all elements."""
    if callable(name):
        return name(Y, t)
    if name == "accuracy":
        pred = Y.argmax(1)
        truth = t.long() if index_targets else t.argmax(1)
        return (pred == truth).float().mean() * 100
    return (Y.float() - t.float()).square().mean().sqrt()  # rmse


def _metric_name(m: Any) -> str:
    """A metric's column name, as MATLAB's history tables write it (Accuracy, RMSE)."""
    if not isinstance(m, str):
        return getattr(m, "__name__", "metric")
    return {"accuracy": "Accuracy", "rmse": "RMSE"}.get(m, m)


def _title(name: str) -> str:
    return name[:1].upper() + name[1:]


# ----- gradient treatment (MATLAB: regularize, then threshold, then the solver) ------------------------------

def regularize(grads: list[torch.Tensor], params: list[torch.Tensor], factors: list[float]) -> None:
    """g += λ·L2Factor·W for each learnable (the gradient of ½·λ·factor·‖W‖²), in place."""
    pick = [i for i, f in enumerate(factors) if f]
    if pick:
        scaled = torch._foreach_mul([params[i].detach() for i in pick], [factors[i] for i in pick])
        torch._foreach_add_([grads[i] for i in pick], scaled)


def threshold(grads: list[torch.Tensor], limit: float, method: str) -> None:
    """MATLAB's gradient clipping, in place: each learnable's L2 norm ('l2norm'), all of them together
    ('global-l2norm'), or each element ('absolute-value')."""
    if math.isinf(limit):
        return
    if method == "absolute-value":
        for g in grads:
            g.clamp_(-limit, limit)
        return
    if method == "global-l2norm":
        norm = torch.sqrt(sum(g.double().square().sum() for g in grads))
        if norm > limit:
            torch._foreach_mul_(grads, float(limit / norm))
        return
    for g in grads:
        norm = g.double().square().sum().sqrt()
        if norm > limit:
            g.mul_(float(limit / norm))


# ----- the network and the data ----------------------------------------------------------------------------

def _network(net: Any) -> dlnetwork:
    """A trainable copy (MATLAB networks are values: the caller's network is not changed)."""
    if isinstance(net, dlnetwork):
        if not net.Initialized:
            return net.initialize()
        return dlnetwork(net)
    if isinstance(net, (list, tuple, LayerGraph)) or hasattr(net, "build"):
        return dlnetwork(net)
    raise OptionError(f"trainnet: expected a dlnetwork or a layer array, got {type(net).__name__}")


def _check_no_output_layer(net: dlnetwork, fname: str) -> None:
    """trainnet takes the loss as an argument: an output layer (trainNetwork's) in the network is an error."""
    for layer in net.Layers:
        if layer.type in ("classificationLayer", "regressionLayer"):
            raise OptionError(f"{fname}: the network has an output layer '{layer.Name}' ({layer.type}); trainnet "
                              "takes the loss as its lossFcn argument: remove the layer, or use trainNetwork")


def _formats(net: dlnetwork, opts: TrainingOptions) -> tuple[str, str]:
    if len(net.InputNames) != 1 or len(net.OutputNames) != 1:
        raise OptionError("trainnet: networks with several inputs or outputs are not supported yet")
    in_fmt = input_format(opts.InputDataFormats, net._act(net.InputNames[0]).batch_fmt)
    out_fmt = input_format(opts.TargetDataFormats, net._out_fmt[0])
    return in_fmt, out_fmt


def _classes(data: Any, T: Any) -> list[str] | None:
    """The class names of categorical targets (in array data, a datastore's labels, or None)."""
    if isinstance(T, Categorical):
        return list(T.categories)
    if isinstance(T, (list, tuple)) and T and all(isinstance(c, Categorical) for c in T):
        return sorted({k for c in T for k in c.categories})  # label sequences: all their classes
    labels = getattr(data, "Labels", None)
    if isinstance(labels, Categorical) and len(labels):
        return list(labels.categories)
    if isinstance(data, Source) and not isinstance(data, MiniBatchQueue):
        cols, _ = data._gather(np.arange(min(1, data._num_obs())), 0, 1, np.random.default_rng(0))
        if len(cols) > 1 and cols[1] and isinstance(cols[1][0], Categorical):
            return list(cols[1][0].categories)
    return None


def _pair(vd: Any) -> tuple[Any, Any]:
    """ValidationData: {X, T} (a tuple, or a two-element list holding predictors and targets), or a datastore."""
    if isinstance(vd, tuple) and len(vd) == 2:
        return vd
    if isinstance(vd, list) and len(vd) == 2 and isinstance(vd[1], (Categorical, np.ndarray, torch.Tensor, list)):
        return vd[0], vd[1]
    return vd, None


def _split_args(args: tuple[Any, ...], fname: str) -> tuple[Any, Any, Any, Any, TrainingOptions]:
    """(X, T, net, lossFcn, options) or (data, net, lossFcn, options)."""
    if len(args) == 5:
        X, T, net, loss, opts = args
    elif len(args) == 4:
        X, net, loss, opts = args
        T = None
        if isinstance(X, tuple) and len(X) == 2:
            X, T = X
    else:
        raise OptionError(f"{fname}: expected {fname}(X, T, net, lossFcn, options) or {fname}(data, net, lossFcn, "
                          f"options); got {len(args)} arguments")
    if not isinstance(opts, TrainingOptions):
        raise OptionError(f"{fname}: the last argument must be trainingOptions(...), got {type(opts).__name__}")
    return X, T, net, loss, opts


# ----- progress: MATLAB's verbose table --------------------------------------------------------------------

class _Table:
    """The progress lines trainnet prints (Iteration, Epoch, TimeElapsed, LearnRate, losses and metrics)."""

    def __init__(self, metric_names: list[str], validating: bool, enabled: bool) -> None:
        self.enabled = enabled
        cols = ["Iteration", "Epoch", "TimeElapsed", "LearnRate", "TrainingLoss"]
        if validating:
            cols.append("ValidationLoss")
        for m in metric_names:
            cols.append("Training" + _title(m))
            if validating:
                cols.append("Validation" + _title(m))
        self.cols = cols
        self.widths = [max(len(c), 9) for c in cols]
        if enabled:
            print("    " + "    ".join(c.rjust(w) for c, w in zip(cols, self.widths)))
            print("    " + "    ".join("_" * w for w in self.widths))

    def row(self, values: dict[str, Any]) -> None:
        if not self.enabled:
            return
        cells = []
        for c, w in zip(self.cols, self.widths):
            v = values.get(c)
            cells.append(("" if v is None else v if isinstance(v, str) else f"{v:.5g}" if isinstance(v, float)
                          else str(v)).rjust(w))
        print("    " + "    ".join(cells), flush=True)


class _BoxedTable(_Table):
    """trainNetwork's progress table (releases before R2023b): boxed columns, accuracies in percent."""

    def __init__(self, metric_names: list[str], validating: bool, enabled: bool) -> None:
        self.enabled = enabled
        m = metric_names[0] if metric_names else "Accuracy"
        cols = [("Epoch", "Epoch", ""), ("Iteration", "Iteration", ""), ("TimeElapsed", "Time Elapsed",
                                                                         "(hh:mm:ss)"),
                ("Training" + m, "Mini-batch", m)]
        if validating:
            cols.append(("Validation" + m, "Validation", m))
        cols.append(("TrainingLoss", "Mini-batch", "Loss"))
        if validating:
            cols.append(("ValidationLoss", "Validation", "Loss"))
        cols.append(("LearnRate", "Base Learning", "Rate"))
        self.cols = [c[0] for c in cols]
        self.percent = "Training" + m if m == "Accuracy" else None
        self.widths = [max(len(c[1]), len(c[2]), 9) + 2 for c in cols]
        rule = "|" + "=" * (sum(self.widths) + len(self.widths) - 1) + "|"
        if enabled:
            print(rule)
            for k in (1, 2):
                print("|" + "|".join(c[k].center(w) for c, w in zip(cols, self.widths)) + "|")
            print(rule, flush=True)
        self.rule = rule

    def row(self, values: dict[str, Any]) -> None:
        if not self.enabled:
            return
        cells = []
        for c, w in zip(self.cols, self.widths):
            v = values.get(c)
            if v is None:
                text = ""
            elif "Accuracy" in c:
                text = f"{v:.2f}%"
            elif isinstance(v, float):
                text = f"{v:.4f}"
            else:
                text = str(v)
            cells.append(text.rjust(w - 1) + " ")
        print("|" + "|".join(cells) + "|", flush=True)

    def close(self) -> None:
        if self.enabled:
            print(self.rule, flush=True)


# ----- the training loop -----------------------------------------------------------------------------------

class _History:
    """What info.TrainingHistory and info.ValidationHistory hold, and the best validation so far."""

    def __init__(self, metric_names: list[str]) -> None:
        self.metric_names = metric_names
        self.train: dict[str, list[Any]] = {"Iteration": [], "Epoch": [], "LearnRate": [], "Loss": [],
                                            **{n: [] for n in metric_names}}
        self.val: dict[str, list[Any]] = {"Iteration": [], "Loss": [], **{n: [] for n in metric_names}}
        self.best_loss, self.best_iteration, self.bad = math.inf, 0, 0

    def iteration(self, iteration: int, epoch: int, lr: float, loss: torch.Tensor, metrics: dict[str, float],
                  ) -> None:
        for k, v in (("Iteration", iteration), ("Epoch", epoch), ("LearnRate", lr), ("Loss", loss), *metrics.items()):
            self.train[k].append(v)  # the loss stays a tensor: no device sync per iteration

    def validation(self, iteration: int, values: dict[str, float]) -> bool:
        """Record a validation; True when it is the best so far (ValidationPatience counts the others)."""
        self.val["Iteration"].append(iteration)
        for k in ["Loss", *self.metric_names]:
            self.val[k].append(values[k])
        if values["Loss"] < self.best_loss:
            self.best_loss, self.best_iteration, self.bad = values["Loss"], iteration, 0
            return True
        if iteration > 0:
            self.bad += 1
        return False

    def latest(self) -> dict[str, float]:
        return {"TrainingLoss": float(self.train["Loss"][-1]),
                **{"Training" + _title(k): self.train[k][-1] for k in self.metric_names}}

    def tables(self) -> tuple[Any, Any]:
        train = table(*(np.asarray([float(v) for v in col]) if k == "Loss" else np.asarray(col)
                        for k, col in self.train.items()), VariableNames=list(self.train))
        val = table(*(np.asarray(col) for col in self.val.values()), VariableNames=list(self.val))
        return train, val


class _Shown:
    """The progress table rows and the Training Progress monitor."""

    def __init__(self, progress: _Table, monitor: Any, epochs: int) -> None:
        self.progress, self.monitor, self.epochs = progress, monitor, epochs
        self.row: dict[str, Any] = {}
        self.last = -1
        self.start = time.perf_counter()

    def training(self, iteration: int, epoch: int, lr: float, hist: _History) -> None:
        if self.monitor is not None:
            self.monitor.recordMetrics(iteration, **hist.latest())
            self.monitor.updateInfo(Epoch=epoch, LearnRate=lr)
            self.monitor.Progress = 100.0 * epoch / self.epochs

    def training_row(self, hist: _History) -> None:
        self.row.update(hist.latest())

    def validation(self, iteration: int, values: dict[str, float], metric_names: list[str]) -> None:
        shown = {"Validation" + _title(k): values[k] for k in ["Loss", *metric_names]}
        self.row.update(shown)
        if self.monitor is not None:
            self.monitor.recordMetrics(iteration, **shown)

    def flush(self, iteration: int, epoch: int, lr: float) -> None:
        """Print the pending row (if any) for this iteration."""
        if self.row:
            self.last = iteration
            self.progress.row({"Iteration": iteration, "Epoch": epoch, "LearnRate": lr,
                               "TimeElapsed": elapsed_text(time.perf_counter() - self.start), **self.row})
            self.row.clear()

    def stop_requested(self) -> bool:
        return self.monitor is not None and bool(self.monitor.Stop)

    def close(self, reason: str, verbose: bool) -> None:
        if self.monitor is not None:
            self.monitor.Progress = 100
        if isinstance(self.progress, _BoxedTable):
            self.progress.close()
        if verbose:
            print(f"Training stopped: {reason}", flush=True)



def _single_state(net: dlnetwork) -> dlnetwork:
    """The network with its recurrent states reset (resetState) if a forward pass left them one column per
    observation of an earlier mini-batch (H×N); otherwise as given."""
    if any(getattr(m, name).shape[1] != 1 for m in net._recurrent for name in m.state_names):
        return net.resetState()
    return net


def _start_states(net: dlnetwork) -> list[tuple[torch.nn.Module, str, torch.Tensor]]:
    """The recurrent layers' HiddenState/CellState every training mini-batch starts from.

    MATLAB's trainnet and trainNetwork do not carry the recurrent state from one mini-batch to the next (it moves
    on only between the chunks of sequences split by a numeric SequenceLength, which layergraph refuses): each
    mini-batch starts from the network's state as given, the layers' initial state for a new network.
    """
    return [(m, name, getattr(m, name).detach().clone()) for m in net._recurrent for name in m.state_names]


def _restore_states(saved: list[tuple[torch.nn.Module, str, torch.Tensor]]) -> None:
    """Put the recurrent states back where the mini-batch started (a training pass moves them on)."""
    for m, name, value in saved:
        m._buffers[name] = value


class _Trainer:
    """One trainnet run: network, data, solver state, histories."""

    def __init__(self, X: Any, T: Any, net: Any, lossFcn: Any, opts: TrainingOptions, fname: str,
                 legacy: bool = False) -> None:
        self.opts, self.fname, self.legacy = opts, fname, legacy
        self.device = default_device(opts.ExecutionEnvironment)
        self.net = _single_state(_network(net))
        _check_no_output_layer(self.net, fname)
        self.precision = resolve_precision(opts.Precision, self.device)
        self.loss_fn, kind = loss_function(lossFcn)
        self.in_fmt, self.out_fmt = _formats(self.net, opts)
        self.classes = _classes(X, T)
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
        self.data = make_batches(X, T, self.in_fmt, self.out_fmt, enc, opts, input_size, time_first=not legacy)
        self.net = fit_input_statistics(self.net, self.data, opts.ResetInputNormalization).to(self.device)
        self.recurrent = _start_states(self.net)
        if not isinstance(self.data, QueueBatches):
            self.data.to(self.device)  # in-memory data small enough for the GPU stays there
        self.val = None
        if opts.ValidationData is not None:
            vx, vt = _pair(opts.ValidationData)
            self.val = make_batches(vx, vt, self.in_fmt, self.out_fmt, enc, opts, input_size, time_first=not legacy)
        rows = self.net._learn_rows
        self.params = [p for _, _, p, _ in rows]
        lam = opts.L2Regularization
        self.l2 = [lam * self.net.getL2Factor(lay, par) for lay, par, _, _ in rows]
        self.metric_names = [_metric_name(m) for m in opts.Metrics]

    # --- one pass of the network and its loss -------------------------------------------------------------
    def _forward(self, X: DLArray, training: bool) -> DLArray:
        with self.precision.autocast():
            return self.net._call((X,), {}, training, self.fname)[0]

    def _metrics(self, Y: torch.Tensor, t: torch.Tensor) -> dict[str, float]:
        with torch.no_grad():
            return {n: float(_metric(m, Y.as_subclass(torch.Tensor), t, self.index_targets))
                    for n, m in zip(self.metric_names, self.opts.Metrics)}

    def validate(self) -> dict[str, float]:
        """Loss and metrics over all validation data (each mini-batch weighted by its size)."""
        total: dict[str, float] = {}
        count = 0
        batches = (self.val.epoch(False) if isinstance(self.val, QueueBatches) else
                   self.val.epoch(np.arange(self.val.n), self.opts.MiniBatchSize, self.device, False))
        with torch.no_grad():
            for X, t in batches:
                Y = self._forward(X, False)
                n = Y.shape[0]
                values = {"Loss": float(self.loss_fn(Y, t)), **self._metrics(Y, t)}
                for k, v in values.items():
                    v = v * v if k == "RMSE" else v  # the RMSE of all the data: mean squares, root at the end
                    total[k] = total.get(k, 0.0) + v * n
                count += n
        return {k: math.sqrt(v / max(count, 1)) if k == "RMSE" else v / max(count, 1) for k, v in total.items()}

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
        _restore_states(self.recurrent)  # the next mini-batch starts from the same state, as in MATLAB
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
        return loss.detach(), Y.detach()

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
        validating = self.val is not None
        hist = _History(self.metric_names)
        shown = _Shown((_BoxedTable if self.legacy else _Table)(self.metric_names, validating, o.Verbose),
                       self._monitor() if o.Plots == "training-progress" else None, o.MaxEpochs)
        keep_best = self._output_choice() == "best-validation"
        best: dict[str, torch.Tensor] | None = None
        iteration, reason, stop = 0, "Max epochs completed", False

        def validate(epoch: int) -> bool:
            """Validate, record, keep the best network; True when ValidationPatience says stop."""
            nonlocal best
            v = self.validate()
            if hist.validation(iteration, v) and keep_best:
                best = {k: t.detach().clone() for k, t in self.net.tensors().items()}
            shown.validation(iteration, v, self.metric_names)
            return hist.bad >= o.ValidationPatience

        with StopRequest(lambda text: print(text, flush=True)) as signals:
            if validating and not self.legacy:  # trainnet validates before the first iteration
                stop = validate(0)
                shown.flush(0, 0, self.learn_rate(1))
            for epoch in range(1, o.MaxEpochs + 1):
                if stop:
                    break
                lr = self.learn_rate(epoch)
                if o.Shuffle == "every-epoch" and not queue:
                    order = torch.randperm(self.data.n).numpy()
                batches = (self.data.epoch(o.Shuffle != "never") if queue else
                           self.data.epoch(order, o.MiniBatchSize, self.device, True))
                for X, t in batches:
                    iteration += 1
                    loss, Y = self.step(X, t, lr, iteration)
                    hist.iteration(iteration, epoch, lr, loss, self._metrics(Y, t))
                    shown.training(iteration, epoch, lr, hist)
                    # trainNetwork validated first at iteration 1, trainnet before training (iteration 0)
                    due = iteration % o.ValidationFrequency == 0 or (self.legacy and iteration == 1)
                    if validating and due and validate(epoch):
                        stop, reason = True, "Stopped by ValidationPatience"
                    if o.Verbose and (shown.row or iteration == 1 or iteration % o.VerboseFrequency == 0):
                        shown.training_row(hist)
                    shown.flush(iteration, epoch, lr)
                    if signals.requested or shown.stop_requested():
                        stop, reason = True, "Stopped manually"
                    if stop:
                        break
                if o.CheckpointPath and epoch % o.CheckpointFrequency == 0:
                    self._checkpoint(iteration, epoch)
            if validating and (not hist.val["Iteration"] or hist.val["Iteration"][-1] != iteration):
                validate(hist.train["Epoch"][-1] if hist.train["Epoch"] else 0)
            if hist.train["Epoch"] and shown.last != iteration and o.Verbose:
                shown.training_row(hist)
                shown.flush(iteration, hist.train["Epoch"][-1], hist.train["LearnRate"][-1])
        shown.close(reason, o.Verbose)
        out_iter = iteration
        if keep_best and best is not None:
            self.net.load_tensors(best)
            out_iter = hist.best_iteration
        train_table, val_table = hist.tables()
        return self.net, TrainingInfo(train_table, val_table, out_iter, reason, self.classes)

    def _monitor(self) -> Any:
        """MATLAB's Training Progress window: loss panel (training and validation together), one per metric."""
        from layergraph.monitor.training import groupSubPlot, trainingProgressMonitor  # matplotlib on use

        names = ["Loss", *self.metric_names]
        monitor = trainingProgressMonitor(Metrics=[f"{w}{_title(n)}" for n in names for w in ("Training",
                                                                                              "Validation")],
                                          Info=["Epoch", "LearnRate"], XLabel="Iteration")
        for n in names:
            groupSubPlot(monitor, n, [f"Training{_title(n)}", f"Validation{_title(n)}"])
        return monitor


def trainnet(*args: Any) -> tuple[dlnetwork, TrainingInfo]:
    """MATLAB's `[net, info] = trainnet(X, T, net, lossFcn, options)` or `trainnet(data, net, lossFcn, options)`.

    `data`: a datastore giving (predictors, targets), a minibatchqueue with two outputs, or a tuple (X, T).
    `net`: a dlnetwork or a layer array (no output layer). `lossFcn`: "crossentropy", "index-crossentropy",
    "binary-crossentropy", "mse" ("mean-squared-error", "l2loss"), "mae" ("mean-absolute-error", "l1loss"),
    "huber", or a function `loss = f(Y, T)`. Returns the trained network (a copy: `net` is unchanged) and info
    with TrainingHistory and ValidationHistory tables.
    """
    X, T, net, loss, opts = _split_args(args, "trainnet")
    return _Trainer(X, T, net, loss, opts, "trainnet").run()
