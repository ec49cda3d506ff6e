"""Using a trained network the built-in way: minibatchpredict, scores2label and testnet.

Outputs come back in MATLAB layout as numpy arrays: N×K scores for "CB" outputs (one observation per row),
H×W×C×N for images, and a list of K×T sequences for "CBT" outputs (each cut back to its own length when the
mini-batch was padded on the right).
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.data.categorical import Categorical
from layergraph.devices import default_device
from layergraph.dlarray import DLArray
from layergraph.errors import OptionError
from layergraph.formats import torch_perm
from layergraph.namevalue import matlab_keywords, name_value
from layergraph.train.batches import Encoding, QueueBatches, input_format, make_batches
from layergraph.train.losses import loss_function  # the same formulas trainnet records
from layergraph.train.metrics import NAMES, BuiltinMetric, Gathered, builtin_metric

__all__ = ["minibatchpredict", "scores2label", "testnet"]

_PREDICT_OPTIONS = {"MiniBatchSize": 128, "InputDataFormats": "auto", "OutputDataFormats": "auto",
                    "ExecutionEnvironment": "auto", "SequenceLength": "longest", "SequencePaddingValue": 0,
                    "SequencePaddingDirection": "right", "UniformOutput": True, "Acceleration": "auto"}


def _dlnet(net: Any, fname: str) -> dlnetwork:
    inner = getattr(net, "dlnet", net)  # trainNetwork's SeriesNetwork/DAGNetwork wraps a dlnetwork
    if not isinstance(inner, dlnetwork):
        raise OptionError(f"{fname}: expected a network (dlnetwork or trainNetwork's result), got {type(net).__name__}")
    return inner


def _to_matlab(y: torch.Tensor, fmt: str) -> np.ndarray:
    """A torch-layout batch labelled `fmt` (MATLAB order) as a MATLAB-layout numpy array; "CB" → N×K."""
    arr = y.detach().float().cpu().numpy()
    if fmt == "CB":
        return arr
    return arr.transpose(np.argsort(torch_perm(fmt)))


def _time_first(net: Any) -> bool:
    """Sequences as T×C (trainnet's dlnetwork) or C×T (a trainNetwork result, as MATLAB's older functions)."""
    return getattr(net, "dlnet", None) is None


def _predict_all(net: dlnetwork, data: Any, opts: dict[str, Any], fname: str,
                 time_first: bool = True) -> tuple[list[torch.Tensor], Any]:
    """The network's output for every observation, batch by batch, with the batch source used."""
    device = default_device(opts["ExecutionEnvironment"])
    in_fmt = input_format(opts["InputDataFormats"], net._act(net.InputNames[0]).batch_fmt)
    out_fmt = net._out_fmt[0]
    seq = SimpleNamespace(SequenceLength=opts["SequenceLength"], SequencePaddingValue=opts["SequencePaddingValue"],
                          SequencePaddingDirection=str(opts["SequencePaddingDirection"]).lower())
    batches = make_batches(data, False, in_fmt, out_fmt, None, seq, net._act(net.InputNames[0]).size, time_first)
    net.to(device)
    outs = []
    with torch.no_grad():
        source = (batches.epoch(False) if isinstance(batches, QueueBatches) else
                  batches.epoch(np.arange(batches.n), int(opts["MiniBatchSize"]), device, False))
        for X, _ in source:
            Y = net._call((X,), {}, False, fname)[0]
            outs.append(Y.as_subclass(torch.Tensor))
    return outs, batches


def minibatchpredict(net: Any, X: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's `scores = minibatchpredict(net, X, MiniBatchSize=128, ...)`: predictions over all of X.

    X as trainnet takes it (H×W×C×N images, N×C features, a list of T×C sequences — C×T for a trainNetwork
    result — a datastore or a minibatchqueue). Returns N×K scores for feature outputs, H×W×C×N for image
    outputs, a list of T×K sequences (K×T for a trainNetwork result) for sequence outputs.
    """
    opts = {**_PREDICT_OPTIONS, **name_value("minibatchpredict", args, kwargs, _PREDICT_OPTIONS)}
    dl = _dlnet(net, "minibatchpredict")
    time_first = _time_first(net)
    outs, batches = _predict_all(dl, X, opts, "minibatchpredict", time_first)
    out_fmt = dl._out_fmt[0]
    if "T" in out_fmt:
        seqs = [s for y in outs for s in y.detach().float().cpu().numpy()]  # each K×T
        lengths = [s.shape[-1] for s in getattr(batches, "seqs", None) or []]
        if lengths and opts["SequencePaddingDirection"] == "right":
            seqs = [s[:, :n] for s, n in zip(seqs, lengths)]
        return [np.ascontiguousarray(s.T) for s in seqs] if time_first else seqs  # trainnet's T×K
    return _to_matlab(torch.cat(outs, 0), out_fmt)


@matlab_keywords
def scores2label(scores: Any, classNames: Any, dim: int | None = None) -> Categorical:
    """MATLAB's `labels = scores2label(scores, classNames[, dim])`: the class of the largest score.

    `dim` (1-based) is where the classes run; without it, a formatted dlarray uses its C dimension and a
    numeric N×K array (what minibatchpredict returns) its second dimension.
    """
    classes = [str(c) for c in (classNames.categories if isinstance(classNames, Categorical) else classNames)]
    if isinstance(scores, DLArray) and scores.fmt and dim is None:
        arr = scores.detach().float().cpu().numpy()
        axis = 1 if "C" in scores.fmt else 0
    else:
        arr = scores.detach().float().cpu().numpy() if isinstance(scores, torch.Tensor) else np.asarray(scores)
        if dim is None:
            dim = 2 if arr.ndim == 2 and arr.shape[1] == len(classes) else (
                next((d + 1 for d, s in enumerate(arr.shape) if s == len(classes)), arr.ndim))
        axis = int(dim) - 1
    if arr.shape[axis] != len(classes):
        raise OptionError(f"scores2label: the scores have {arr.shape[axis]} classes along dimension {axis + 1} but "
                          f"{len(classes)} class names were given")
    codes = arr.argmax(axis) + 1  # the categories keep the order of classNames, as MATLAB's do
    return Categorical(categories=classes, codes=codes)


_TEST_LOSSES = ("crossentropy", "index-crossentropy", "binary-crossentropy", "mse", "mean-squared-error", "l2loss",
                "mae", "mean-absolute-error", "l1loss", "huber")
_TEST_METRICS = (*NAMES, *_TEST_LOSSES)


def _test_metric(m: Any) -> Any:
    """A testnet metric: a built-in metric object, or a loss name (lower case); one-line error otherwise."""
    if isinstance(m, BuiltinMetric):
        return m
    if isinstance(m, str) and m.lower() in NAMES:
        return builtin_metric(m)
    if isinstance(m, str) and m.lower() in _TEST_LOSSES:
        return m.lower()
    raise OptionError(f"testnet: unknown metric {m!r}; use one of {', '.join(_TEST_METRICS)} or a metric object")


def _test_values(dl: Any, source: Any, metrics: list[Any], index: bool) -> list[float]:
    """The metrics over all the data: built-in metrics of all of it, losses averaged over the mini-batches."""
    gathered = [Gathered(m, index) if isinstance(m, BuiltinMetric) else None for m in metrics]
    totals = [0.0] * len(metrics)
    count = 0
    with torch.no_grad():
        for Xb, t in source:
            Y = dl._call((Xb,), {}, False, "testnet")[0]
            for i, m in enumerate(metrics):
                if gathered[i] is not None:
                    gathered[i].add(Y.as_subclass(torch.Tensor), t)
                else:
                    totals[i] += float(loss_function(m)[0](Y, t)) * Y.shape[0]
            count += Y.shape[0]
    return [g.value() if g is not None else v / max(count, 1) for g, v in zip(gathered, totals)]


def testnet(net: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's `metricValues = testnet(net, X, T, metrics)` or `testnet(net, data, metrics)`.

    metrics: "accuracy" (percent), "auc", "fscore", "precision", "recall", "rmse", "mape", a metric object
    (fScoreMetric(AverageType="macro"), …) or a loss name as trainnet takes it; one gives a number, a list gives a
    list. Classification targets are categorical; the network's k-th output is the k-th category.
    """
    if len(args) == 3:
        X, T, metrics = args
    elif len(args) == 2:
        X, metrics = args
        T = None
    else:
        raise OptionError("testnet: expected testnet(net, X, T, metrics) or testnet(net, data, metrics)")
    opts = {**_PREDICT_OPTIONS, **name_value("testnet", (), kwargs, _PREDICT_OPTIONS)}
    single = isinstance(metrics, (str, BuiltinMetric))
    chosen = [_test_metric(m) for m in ([metrics] if single else list(metrics))]
    dl = _dlnet(net, "testnet")
    classes = list(T.categories) if isinstance(T, Categorical) else getattr(net, "Classes", None)
    index = any(m == "index-crossentropy" for m in chosen)
    enc = Encoding("index" if index else "onehot", classes) if classes is not None else Encoding("numeric")
    device = default_device(opts["ExecutionEnvironment"])
    in_fmt = input_format(opts["InputDataFormats"], dl._act(dl.InputNames[0]).batch_fmt)
    seq = SimpleNamespace(SequenceLength=opts["SequenceLength"], SequencePaddingValue=opts["SequencePaddingValue"],
                          SequencePaddingDirection=str(opts["SequencePaddingDirection"]).lower())
    batches = make_batches(X, T, in_fmt, dl._out_fmt[0], enc, seq, dl._act(dl.InputNames[0]).size, _time_first(net))
    dl.to(device)
    source = (batches.epoch(False) if isinstance(batches, QueueBatches) else
              batches.epoch(np.arange(batches.n), int(opts["MiniBatchSize"]), device, False))
    values = _test_values(dl, source, chosen, index)
    return values[0] if single else values
