"""The data trainnet, minibatchpredict and testnet take, as mini-batches in torch layout.

MATLAB's layouts: images H×W×C×N, features N×C (one observation per row), sequences a cell array (list) of
C×T matrices; targets a categorical vector (classification), an N×R matrix, H×W×C×N images or a list of R×T
sequences (regression). Datastores give (predictors, targets) columns per observation; a minibatchqueue gives
its batches as they are. Each batch comes out as (X, T): X a dlarray in torch layout labelled like the network
input, T a plain tensor in the network output's torch layout (class indices for "index-crossentropy").
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from layergraph.data.categorical import Categorical
from layergraph.data.datastore import ImageDatastore, Source
from layergraph.data.queue import MiniBatchQueue
from layergraph.dlarray import DLArray, wrap
from layergraph.errors import DataError
from layergraph.formats import canonical_format, torch_perm

__all__ = ["Batches", "make_batches"]


def _numeric(x: Any, what: str) -> np.ndarray:
    if isinstance(x, DLArray):
        raise DataError(f"{what}: give the data as a numeric array in MATLAB layout, not a dlarray")
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise DataError(f"{what}: expected a numeric array, got {arr.dtype} data")
    return arr


def _to_torch_layout(arr: np.ndarray, fmt: str) -> torch.Tensor:
    """MATLAB-layout data labelled `fmt` (canonical, e.g. 'SSCB') to a float32 tensor in torch layout."""
    while arr.ndim < len(fmt):
        arr = arr[..., None]  # MATLAB drops trailing singleton dimensions (one image, one channel)
    if arr.ndim > len(fmt):
        raise DataError(f"data has {arr.ndim} dimensions but the network takes '{fmt}' data")
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(torch_perm(fmt)), dtype=np.float32))


@dataclass
class Encoding:
    """How targets become tensors: 'onehot' (over `classes`), 'index' (class numbers from 0) or 'numeric'."""

    kind: str
    classes: list[str] | None = None


def _pad(seqs: list[np.ndarray], length: str | int, value: float, direction: str) -> np.ndarray:
    """C×T_i sequences → one C×T×N array (MATLAB layout 'CTB' order below), padded or truncated."""
    lengths = [s.shape[-1] for s in seqs]
    t = max(lengths) if length == "longest" else min(lengths) if length == "shortest" else int(length)
    rows = seqs[0].shape[0]
    out = np.full((rows, len(seqs), t), value, dtype=np.float32)  # C×B×T: MATLAB's "CBT"
    for i, s in enumerate(seqs):
        s = s[:, :t] if direction == "right" else s[:, s.shape[-1] - min(t, s.shape[-1]):]
        n = s.shape[-1]
        if direction == "right":
            out[:, i, :n] = s
        else:
            out[:, i, t - n:] = s
    return out


def _sequence_list(x: Any, time_first: bool) -> list[np.ndarray] | None:
    """A cell array of sequences as a list of 2-D numeric arrays (C×T), or None if `x` is not one.

    `time_first`: each sequence is numTimeSteps×numChannels, as `trainnet`, `minibatchpredict` and `testnet` take
    vector sequences (R2023b+); otherwise numChannels×numTimeSteps, as `trainNetwork` took them. A vector is one
    channel either way.
    """
    if isinstance(x, (list, tuple)) and x and all(hasattr(s, "shape") or isinstance(s, list) for s in x):
        seqs = [np.asarray(s.detach().cpu() if isinstance(s, torch.Tensor) else s, dtype=np.float32) for s in x]
        return [s.reshape(1, -1) if s.ndim == 1 else np.ascontiguousarray(s.T) if time_first else s for s in seqs]
    if isinstance(x, (np.ndarray, torch.Tensor)) and not isinstance(x, DLArray) and x.ndim <= 2:
        # one sequence as a numeric matrix: C×S for trainNetwork, S×C for trainnet (a vector: one channel)
        arr = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float32)
        return [arr.reshape(1, -1) if arr.ndim == 1 else np.ascontiguousarray(arr.T) if time_first else arr]
    return None


class Batches:
    """In-memory observations (predictors and optional targets) served as mini-batches in torch layout."""

    def __init__(self, X: Any, T: Any, in_fmt: str, out_fmt: str, enc: Encoding | None, opts: Any,
                 time_first: bool = True) -> None:
        self.in_fmt, self.out_fmt, self.enc, self.opts = in_fmt, out_fmt, enc, opts
        self.time_first = time_first
        self.seqs = _sequence_list(X, time_first) if "T" in in_fmt else None
        if self.seqs is not None:
            self.n = len(self.seqs)
            self.X = None
        else:
            arr = _numeric(X, "predictors")
            if in_fmt == "CB":  # features: N×C, one observation per row
                if arr.ndim == 1:
                    arr = arr[:, None]
                self.X = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
            else:
                self.X = _to_torch_layout(arr, in_fmt)
            self.n = self.X.shape[0]
        self.T = None if T is None else self._targets(T)

    def _targets(self, T: Any) -> Any:
        """The targets as the loss takes them: class numbers or one-hot rows, sequences, or numbers."""
        enc = self.enc
        if isinstance(T, Categorical):
            return self._label_targets(T)
        if isinstance(T, (list, tuple)) and T and all(isinstance(c, Categorical) for c in T):
            return self._label_sequences(list(T))
        seqs = _sequence_list(T, self.time_first) if "T" in self.out_fmt else None
        if seqs is not None:
            if len(seqs) != self.n:
                raise DataError(f"targets: {len(seqs)} target sequences for {self.n} observations")
            return seqs
        arr = _numeric(T, "targets")
        if enc is not None and enc.kind == "index":
            return torch.from_numpy(arr.reshape(-1).astype(np.int64) - 1)  # MATLAB's 1-based class numbers
        if self.out_fmt == "CB":
            arr = arr[:, None] if arr.ndim == 1 else arr  # N×R responses
            out = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
        else:
            out = _to_torch_layout(arr, self.out_fmt)
        if out.shape[0] != self.n:
            raise DataError(f"targets: {out.shape[0]} observations of targets for {self.n} of predictors")
        return out

    def _label_targets(self, T: Categorical) -> torch.Tensor:
        """Categorical labels as class numbers from 0 ('index-crossentropy') or one-hot rows."""
        enc = self.enc
        if enc is None or enc.kind == "numeric":
            raise DataError("targets: categorical targets need a classification loss ('crossentropy', "
                            "'index-crossentropy')")
        codes = T.codes.reshape(-1)
        if len(codes) != self.n:
            raise DataError(f"targets: {len(codes)} labels for {self.n} observations")
        if (codes == 0).any():
            raise DataError("targets: some labels are <undefined>")
        lookup = np.array([enc.classes.index(c) if c in enc.classes else -1 for c in T.categories])
        idx = torch.from_numpy(lookup[codes - 1])
        if (idx < 0).any():
            raise DataError("targets: a label is not one of the classes the network was trained on")
        if enc.kind == "index":
            return idx
        return torch.nn.functional.one_hot(idx, len(enc.classes)).to(torch.float32)

    def _label_sequences(self, T: list[Categorical]) -> list[np.ndarray]:
        """Sequence-to-sequence classification: each 1×T categorical sequence as a K×T one-hot sequence."""
        enc = self.enc
        if enc is None or enc.kind != "onehot" or "T" not in self.out_fmt:
            raise DataError("targets: categorical sequences need a sequence output and the 'crossentropy' loss")
        if len(T) != self.n:
            raise DataError(f"targets: {len(T)} label sequences for {self.n} observations")
        out = []
        for c in T:
            lookup = np.array([enc.classes.index(k) if k in enc.classes else -1 for k in c.categories])
            codes = c.codes.reshape(-1)
            if (codes == 0).any() or (lookup[codes - 1] < 0).any():
                raise DataError("targets: a label sequence holds <undefined> or unknown classes")
            out.append(np.eye(len(enc.classes), dtype=np.float32)[lookup[codes - 1]].T)  # K×T
        return out

    def to(self, device: torch.device, limit: int = 1 << 30) -> Batches:
        """Keep the data on `device` when it is small enough (under `limit` bytes): one copy, not one per batch."""
        held = [t for t in (self.X, self.T) if isinstance(t, torch.Tensor)]
        if device.type != "cpu" and sum(t.numel() * t.element_size() for t in held) <= limit:
            self.X = self.X.to(device) if isinstance(self.X, torch.Tensor) else self.X
            self.T = self.T.to(device) if isinstance(self.T, torch.Tensor) else self.T
        return self

    def take(self, idx: np.ndarray, device: torch.device) -> tuple[DLArray, Any]:
        """The observations at `idx` as (X, T) on `device` (T None without targets)."""
        if self.seqs is not None:
            o = self.opts
            cbt = _pad([self.seqs[i] for i in idx], o.SequenceLength, o.SequencePaddingValue,
                       o.SequencePaddingDirection)
            x = torch.from_numpy(cbt).permute(1, 0, 2)  # torch layout B×C×T
        else:
            x = self.X[torch.from_numpy(idx).to(self.X.device)] if len(idx) != self.n else self.X
        t = None
        if self.T is not None:
            if isinstance(self.T, list):
                o = self.opts
                cbt = _pad([self.T[i] for i in idx], o.SequenceLength, o.SequencePaddingValue,
                           o.SequencePaddingDirection)
                t = torch.from_numpy(cbt).permute(1, 0, 2).to(device, non_blocking=True)
            else:
                t = (self.T[torch.from_numpy(idx).to(self.T.device)] if len(idx) != self.n else self.T).to(
                    device, non_blocking=True)
        return wrap(x.to(device, non_blocking=True), self.in_fmt), t

    def epoch(self, order: np.ndarray, size: int, device: torch.device, discard: bool,
              ) -> Iterator[tuple[DLArray, Any]]:
        """Mini-batches over `order`; the last, partial one is dropped when `discard` (MATLAB's training), except
        that fewer observations than one mini-batch make one mini-batch (MATLAB trains its one-sequence forecasting
        examples with the default MiniBatchSize 128: one iteration per epoch)."""
        size = min(size, len(order)) if discard and len(order) else size
        stop = len(order) - len(order) % size if discard else len(order)
        for start in range(0, stop, size):
            yield self.take(order[start:start + size], device)


class StoreBatches(Batches):
    """A datastore's observations (predictors, targets columns) read into memory, then served as arrays.

    A datastore that draws at random when read (augmentation, a transform) is read again for every epoch, as
    MATLAB reads it again; any other is read once.
    """

    def __init__(self, ds: Source, in_fmt: str, out_fmt: str, enc: Encoding | None, opts: Any,
                 with_targets: bool = True, time_first: bool = True) -> None:
        self.ds, self.with_targets = ds, with_targets
        self.fresh = _draws_at_random(ds)
        self.device: torch.device | None = None
        self.epochs_read = 0
        X, T = self._read(in_fmt, out_fmt)
        super().__init__(X, T, in_fmt, out_fmt, enc, opts, time_first)

    def _read(self, in_fmt: str, out_fmt: str) -> tuple[Any, Any]:
        rng = np.random.default_rng(int(torch.randint(0, 2**31, ()).item()))
        n = self.ds._num_obs()
        cols, _ = self.ds._gather(np.arange(n), 0, n, rng)
        T = _stack(cols[1], out_fmt) if self.with_targets and len(cols) > 1 else None
        return _stack(cols[0], in_fmt), T

    def epoch(self, order: np.ndarray, size: int, device: torch.device, discard: bool,
              ) -> Iterator[tuple[DLArray, Any]]:
        if self.fresh and self.epochs_read > 0:
            X, T = self._read(self.in_fmt, self.out_fmt)
            Batches.__init__(self, X, T, self.in_fmt, self.out_fmt, self.enc, self.opts, self.time_first)
            if self.device is not None:
                Batches.to(self, self.device)
        self.epochs_read += 1
        return super().epoch(order, size, device, discard)

    def to(self, device: torch.device, limit: int = 1 << 30) -> Batches:
        self.device = device
        return super().to(device, limit)


def _draws_at_random(ds: Any) -> bool:
    """True for datastores whose reads change from one pass to the next (augmentation, transforms)."""
    from layergraph.data.augmented import AugmentedImageDatastore
    from layergraph.data.composite import CombinedDatastore, TransformedDatastore

    if isinstance(ds, AugmentedImageDatastore):
        return str(getattr(ds, "DataAugmentation", "none")) != "none"
    if isinstance(ds, TransformedDatastore):
        return True
    if isinstance(ds, CombinedDatastore):
        return any(_draws_at_random(d) for d in ds.UnderlyingDatastores)
    return False


def _stack(items: list[Any], fmt: str) -> Any:
    """Per-observation items of one datastore column as one MATLAB-layout array (or categorical, or list)."""
    first = items[0]
    if isinstance(first, Categorical):
        return Categorical(categories=first.categories, codes=np.concatenate([c.codes.reshape(-1) for c in items]))
    if "T" in fmt and np.asarray(first).ndim == 2:
        return list(items)  # sequences stay a cell array
    arrs = [np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a) for a in items]
    if fmt == "CB":
        return np.stack([a.reshape(-1) for a in arrs], 0)  # N×C, one observation per row
    rank = len(fmt) - 1
    arrs = [a.reshape(*a.shape, *([1] * (rank - a.ndim))) for a in arrs]  # grey H×W images get their C
    return np.stack(arrs, -1)


class QueueBatches:
    """A minibatchqueue's batches, as the queue makes them (its own size, shuffling and formats): its first
    `n_in` outputs are the predictors, the next `n_out` the targets (a tuple of each for several)."""

    def __init__(self, mbq: MiniBatchQueue, enc: Encoding | None, n_in: int = 1, n_out: int = 1) -> None:
        self.mbq, self.enc, self.n = mbq, enc, mbq.numpartitions()
        self.n_in, self.n_out = n_in, n_out

    def _target(self, t: Any) -> Any:
        if isinstance(t, DLArray) and t.fmt:
            t = t.as_subclass(torch.Tensor)
        if self.enc is not None and self.enc.kind == "index":
            t = t.reshape(-1).long() - 1
        return t

    def _split(self, item: Any) -> tuple[Any, Any]:
        want = self.n_in + self.n_out
        if not isinstance(item, tuple) or len(item) < want:
            raise DataError(f"trainnet: the minibatchqueue must give {want} outputs ({self.n_in} predictor(s), then "
                            f"{self.n_out} target(s)); it gave {len(item) if isinstance(item, tuple) else 1}")
        xs, ts = item[:self.n_in], tuple(self._target(t) for t in item[self.n_in:want])
        return (xs[0] if self.n_in == 1 else tuple(xs)), (ts[0] if self.n_out == 1 else ts)

    def epoch(self, shuffle: bool) -> Iterator[tuple[DLArray, Any]]:
        if shuffle:
            self.mbq.shuffle()
        else:
            self.mbq.reset()
        while self.mbq.hasdata():
            yield self._split(self.mbq.next())


def input_format(fmts: Sequence[str] | str, net_fmt: str) -> str:
    """InputDataFormats/TargetDataFormats: 'auto' means the network's own format."""
    fmt = fmts[0] if isinstance(fmts, (list, tuple)) else fmts
    return net_fmt if str(fmt).lower() == "auto" else canonical_format(str(fmt))


def make_batches(data: Any, T: Any, in_fmt: str, out_fmt: str, enc: Encoding | None, opts: Any,
                 input_size: tuple[int, ...] | None = None, time_first: bool = True,
                 io: tuple[int, int] = (1, 1)) -> Batches | QueueBatches:
    """The right batch source for what the user passed: arrays, a datastore or a minibatchqueue; sequences are
    T×C (`time_first`, trainnet's layout) or C×T (trainNetwork's). `io`: the network's inputs and outputs
    (several only from a minibatchqueue)."""
    if isinstance(data, MiniBatchQueue):
        return QueueBatches(data, enc, *io)
    if io != (1, 1):
        raise DataError("trainnet: a network with several inputs or outputs trains from a minibatchqueue giving "
                        "the predictors and then the targets; arrays and other datastores are not supported yet")
    if isinstance(data, ImageDatastore):
        if input_size is None:
            raise DataError("an imageDatastore needs an image input layer")
        from layergraph.data.augmented import augmentedImageDatastore
        data = augmentedImageDatastore(list(input_size[:2]), data)  # images resized to the input, with Labels
    if isinstance(data, Source):
        return StoreBatches(data, in_fmt, out_fmt, enc, opts, with_targets=T is not False, time_first=time_first)
    if isinstance(data, tuple) and len(data) == 2 and T is None:
        data, T = data  # {X, T} (validation data): a tuple of predictors and targets
    return Batches(data, None if T is False else T, in_fmt, out_fmt, enc, opts, time_first)
