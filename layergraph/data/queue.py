"""MATLAB's minibatchqueue: mini-batches from a datastore, preprocessed and prefetched in a background thread.

Each output is cast (OutputCast), labelled with `dlarray(x, fmt)` (MATLAB layout in, torch layout out) and moved to
the OutputEnvironment device. Batches are prepared a few ahead on a worker thread; any error there is re-raised by
the `hasdata`/`next` call that reaches it, so a failing worker never leaves the training loop waiting.
"""
from __future__ import annotations

import queue as stdqueue
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from layergraph.data.arrays import cat
from layergraph.data.categorical import Categorical
from layergraph.data.cells import present
from layergraph.data.datastore import Source, split_positions
from layergraph.data.options import MatlabProperties, as_list, choice, flag, parse_options
from layergraph.devices import default_device
from layergraph.dlarray import DLArray, dlarray, wrap
from layergraph.errors import DataError, OptionError
from layergraph.formats import canonical_format
from layergraph.nargout import nargin
from layergraph.workers import start_worker

# How many prepared batches may wait in the queue: enough to hide decoding jitter, few enough to bound memory.
PREFETCH = 2

# MATLAB class names → torch dtypes; unsigned types wider than 8 bits go to the next signed type torch supports
_CASTS: dict[str, torch.dtype | None] = {
    "single": torch.float32, "double": torch.float64, "half": torch.float16, "logical": torch.bool,
    "int8": torch.int8, "uint8": torch.uint8, "int16": torch.int16, "int32": torch.int32, "int64": torch.int64,
    "uint16": torch.int32, "uint32": torch.int64, "uint64": torch.int64, "": None,
}

_END = object()


class _Failure:
    """An exception raised on the worker thread, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


@dataclass
class _Output:
    """How one output is converted: cast, dimension labels, device."""

    fmt: str
    cast: torch.dtype | None
    as_dlarray: bool
    device: torch.device


def _collate(column: list[Any]) -> Any:
    """MATLAB's default mini-batch function: images along dim 4; labels, scalars and 1×N rows (the reads of an
    arrayDatastore over a matrix's rows) along dim 1, so that N×C data with MiniBatchFormat "BC" is B×C."""
    if not column:
        return np.zeros((0, 0))
    first = column[0]
    if isinstance(first, Categorical):
        return cat(1, *column)
    arr = first if isinstance(first, torch.Tensor) else np.asarray(first)
    size = arr.numel() if isinstance(arr, torch.Tensor) else arr.size
    if arr.ndim <= 1 or size == 1 or (arr.ndim == 2 and arr.shape[0] == 1):
        return cat(1, *column)
    return cat(4, *column)


def _torch_order(fmt: str) -> tuple[list[int], str]:
    """The permutation dlarray(x, fmt) applies to MATLAB-layout data, and the stored labels.

    Same rule as layergraph.dlarray (labels sorted into MATLAB's S, C, B, T, U order, then arranged as torch's B, C,
    S…, T, U); done here in numpy because a single-threaded numpy copy stays fast on a busy machine where torch's
    multi-threaded copies slow down badly.
    """
    fmt = fmt.upper()
    canon = canonical_format(fmt)
    to_canon = sorted(range(len(fmt)), key=lambda i: ("SCBTU".index(fmt[i]), i))
    to_torch = sorted(range(len(canon)), key=lambda i: ("BCSTU".index(canon[i]), i))
    return [to_canon[j] for j in to_torch], canon


def _numpy_to_torch_layout(arr: np.ndarray, fmt: str, dtype: np.dtype) -> tuple[torch.Tensor, str]:
    """Reorder MATLAB-layout numpy data to torch layout (one copy, cast on the way) and label it."""
    if arr.ndim > len(fmt):
        raise ValueError(f"dlarray: data has {arr.ndim} dimensions but format '{fmt}' labels {len(fmt)}")
    while arr.ndim < len(fmt):  # MATLAB drops trailing singleton dimensions
        arr = arr[..., None]
    perm, canon = _torch_order(fmt)
    out = np.empty([arr.shape[p] for p in perm], dtype=dtype)
    np.copyto(out, arr.transpose(perm), casting="unsafe")
    return torch.from_numpy(out), canon


def _to_torch_layout(t: torch.Tensor, fmt: str) -> torch.Tensor:
    """MATLAB-layout tensor → torch layout labelled `fmt`, keeping the dtype (dlarray() makes double single)."""
    if t.dtype == torch.float64:
        # permute the same bytes as int64, then look at them as double again
        labelled = dlarray(t.view(torch.int64), fmt)
        return wrap(labelled.as_subclass(torch.Tensor).view(torch.float64), labelled.fmt)
    return dlarray(t, fmt)


def _convert(x: Any, out: _Output) -> torch.Tensor:
    """Cast, label and move one output of a mini-batch (data from a mini-batch function is in MATLAB layout)."""
    fmt = ""
    cuda = out.device.type == "cuda"
    if isinstance(x, DLArray):
        fmt, t = x.fmt, x.as_subclass(torch.Tensor)  # already labelled by the mini-batch function
    elif isinstance(x, torch.Tensor):
        t = x
        if out.as_dlarray and out.fmt:
            labelled = _to_torch_layout(t, out.fmt)
            fmt, t = labelled.fmt, labelled.as_subclass(torch.Tensor)
    else:
        arr = np.asarray(x)  # categoricals become their category indices, as MATLAB's minibatchqueue does
        dtype = arr.dtype
        if out.cast is not None and not (cuda and arr.dtype.kind in "biu" and out.cast.is_floating_point):
            dtype = torch.empty(0, dtype=out.cast).numpy().dtype  # cast during the copy below
        # (integer images bound for a GPU travel as bytes and are cast there: a quarter of float32's transfer)
        if out.as_dlarray and out.fmt:
            t, fmt = _numpy_to_torch_layout(arr, out.fmt, dtype)
        else:
            t = torch.from_numpy(np.array(arr, dtype=dtype, order="K"))
    if cuda and t.device.type == "cpu":
        t = t.pin_memory()  # page-locked memory lets the copy to the GPU run asynchronously
    t = t.to(out.device, non_blocking=cuda)
    if out.cast is not None and t.dtype != out.cast:
        t = t.to(out.cast)
    return wrap(t, fmt) if out.as_dlarray else t


class _Epoch:
    """One pass over the data: its order, its random seed, and the worker thread that fills the buffer."""

    def __init__(self, source: Source, order: np.ndarray, seed: int, batch: int, discard: bool,
                 fcn: Callable[..., Any] | None, outputs: list[_Output], num_outputs: int) -> None:
        self.buffer: stdqueue.Queue = stdqueue.Queue(maxsize=PREFETCH)
        self.stop = threading.Event()
        self.peeked: Any = None
        # the worker only sees these arguments, never the minibatchqueue, so a dropped queue can be collected
        self.thread = start_worker(
            _produce, (self.buffer, self.stop, source, order, seed, batch, discard, fcn, outputs, num_outputs),
            self.stop, "layergraph-minibatchqueue")

    def peek(self) -> Any:
        """The next item (batch, _END or _Failure), waiting for the worker; never blocks on a dead worker."""
        if self.peeked is None:
            while True:
                try:
                    self.peeked = self.buffer.get(timeout=0.2)
                    break
                except stdqueue.Empty:
                    if not self.thread.is_alive() and self.buffer.empty():
                        self.peeked = _Failure(RuntimeError("minibatchqueue: the background reader stopped "
                                                            "without delivering data"))
                        break
        return self.peeked

    def take(self) -> Any:
        item = self.peek()
        if item is not _END and not isinstance(item, _Failure):
            self.peeked = None
        return item

    def close(self) -> None:
        """Stop the worker (it notices within a fraction of a second) and release what it buffered."""
        self.stop.set()
        try:
            while True:
                self.buffer.get_nowait()
        except stdqueue.Empty:
            pass


def _put(buffer: stdqueue.Queue, stop: threading.Event, item: Any) -> bool:
    """Put unless asked to stop; False when stopped."""
    while not stop.is_set():
        try:
            buffer.put(item, timeout=0.1)
            return True
        except stdqueue.Full:
            continue
    return False


class _Reader:
    """Observations in `order`, read in whole reads where a transform needs them, handed out `count` at a time.

    A read may give more or fewer observations than positions (a transform can add or drop some; unreadable images
    are skipped): what is left over waits for the next mini-batch, as MATLAB's queue keeps it.
    """

    def __init__(self, source: Source, order: np.ndarray, seed: int) -> None:
        self.source, self.order, self.seed = source, order, seed
        self.align = max(1, source._align())
        self.pos = 0
        self.reads = 0
        self.pending: list[list[Any]] | None = None

    def take(self, count: int) -> list[list[Any]]:
        while (self.pending is None or len(self.pending[0]) < count) and self.pos < len(self.order):
            need = count - (len(self.pending[0]) if self.pending else 0)
            chunk = self.order[self.pos: self.pos + -(-need // self.align) * self.align]
            self.pos += len(chunk)
            # one generator per read: the augmentation of read r depends only on (seed, r), not on thread timing
            cols = self.source._read_positions([int(i) for i in chunk], np.random.default_rng([self.seed, self.reads]))
            self.reads += 1
            if self.pending is None:
                self.pending = [list(c) for c in cols]
            elif len(cols) != len(self.pending):
                raise DataError(f"minibatchqueue: one read of the datastore gave {len(self.pending)} column(s) and a "
                                f"later one {len(cols)}; every read must have the same columns")
            else:
                for have, got in zip(self.pending, cols):
                    have.extend(got)
        if self.pending is None:
            return []
        out = [c[:count] for c in self.pending]
        self.pending = [c[count:] for c in self.pending]
        return out


def _produce(buffer: stdqueue.Queue, stop: threading.Event, source: Source, order: np.ndarray, seed: int,
             batch: int, discard: bool, fcn: Callable[..., Any] | None, outputs: list[_Output],
             num_outputs: int) -> None:
    """Worker: read, preprocess and convert batches in order until the epoch ends, an error occurs or stop."""
    try:
        reader = _Reader(source, order, seed)
        while not stop.is_set():
            cols = reader.take(batch)
            n = len(cols[0]) if cols else 0
            if n == 0 or (discard and n < batch):
                break
            if fcn is not None:
                result = fcn(*_arguments(fcn, cols))
                result = tuple(result) if isinstance(result, tuple | list) else (result,)
                if len(result) < num_outputs:
                    raise DataError(f"minibatchqueue: MiniBatchFcn returned {len(result)} output(s) but the queue "
                                    f"has {num_outputs}; set numOutputs to match the function")
                result = result[:num_outputs]
            else:
                if len(cols) < num_outputs:
                    raise DataError(f"minibatchqueue: the datastore gives {len(cols)} variable(s) but numOutputs is "
                                    f"{num_outputs}; a MiniBatchFcn is needed to produce more")
                result = tuple(_collate(c) for c in cols[:num_outputs])
            converted = tuple(_convert(x, out) for x, out in zip(result, outputs))
            if not _put(buffer, stop, converted):
                return
        _put(buffer, stop, _END)
    except BaseException as err:  # hand every failure to the consumer instead of dying silently
        _put(buffer, stop, _Failure(err))


def _arguments(fcn: Callable[..., Any], cols: list[Any]) -> list[Any]:
    """The datastore's columns a MiniBatchFcn takes: MATLAB passes the first nargin(fcn) of them, so a function of
    the predictors alone works on a datastore that also reads responses."""
    n = nargin(fcn)
    if n is None or n >= len(cols):
        if n is not None and n > len(cols):
            raise DataError(f"minibatchqueue: MiniBatchFcn takes {n} inputs but the datastore reads {len(cols)} "
                            "variable(s)")
        return cols
    return cols[:n]


def _outputs(func: str, formats: list[Any], casts: list[Any], envs: list[Any], as_dl: list[Any]) -> list[_Output]:
    """How each output is delivered (format, type, dlarray or not, device), the options checked."""
    outputs = []
    for fmt, cast_name, env, dl in zip(formats, casts, envs, as_dl):
        cast_name = choice(func, "OutputCast", cast_name, tuple(_CASTS))
        env = choice(func, "OutputEnvironment", env, ("auto", "cpu", "gpu"))
        outputs.append(_Output(str(fmt).upper(), _CASTS[cast_name], flag(func, "OutputAsDlarray", dl),
                               default_device(env)))
    return outputs


class MiniBatchQueue(MatlabProperties):
    """Mini-batches for a custom training loop: shuffle, hasdata, next, reset, partition."""

    _PROPERTIES = ("MiniBatchSize", "PartialMiniBatch", "MiniBatchFcn", "MiniBatchFormat", "OutputCast",
                   "OutputAsDlarray", "OutputEnvironment", "NumOutputs", "DispatchInBackground",
                   "PreprocessingEnvironment")

    def __init__(self, ds: Source, numOutputs: int | None = None, *args: Any, **kwargs: Any) -> None:
        func = "minibatchqueue"
        if not isinstance(ds, Source):
            raise TypeError(f"{func}: expected a datastore (imageDatastore, augmentedImageDatastore, arrayDatastore, "
                            f"combine(...), transform(...)), got {type(ds).__name__}")
        if isinstance(numOutputs, str):  # minibatchqueue(ds, 'MiniBatchSize', 64, ...) without numOutputs
            args, numOutputs = (numOutputs, *args), None
        opts = parse_options(func, args, kwargs, {
            "MiniBatchSize": 128, "PartialMiniBatch": "return", "MiniBatchFcn": None, "MiniBatchFormat": None,
            "OutputCast": "single", "OutputAsDlarray": True, "OutputEnvironment": "auto", "NumOutputs": None,
            "DispatchInBackground": False, "PreprocessingEnvironment": "serial"})
        if numOutputs is None:
            numOutputs = opts["NumOutputs"]
        size = opts["MiniBatchSize"]
        if isinstance(size, bool) or int(size) != size or size < 1:
            raise OptionError(f"{func}: MiniBatchSize must be a positive integer; got {size!r}")
        fcn = opts["MiniBatchFcn"]
        if isinstance(fcn, str) and fcn.lower() == "collate":
            fcn = None
        if fcn is not None and not callable(fcn):
            raise OptionError(f"{func}: MiniBatchFcn must be a function")
        n_out = int(numOutputs) if numOutputs is not None else len(ds._columns())
        if n_out < 1:
            raise OptionError(f"{func}: numOutputs must be a positive integer; got {numOutputs!r}")
        formats = self._per_output(func, "MiniBatchFormat", opts["MiniBatchFormat"] or "", n_out)
        casts = self._per_output(func, "OutputCast", opts["OutputCast"], n_out)
        envs = self._per_output(func, "OutputEnvironment", opts["OutputEnvironment"], n_out)
        as_dl = self._per_output(func, "OutputAsDlarray", opts["OutputAsDlarray"], n_out)
        self._ds = ds
        self._positions = np.arange(ds._num_obs(), dtype=np.int64)  # this queue's share of the datastore
        self._order = self._positions.copy()
        self._outputs = _outputs(func, formats, casts, envs, as_dl)
        self._epoch: _Epoch | None = None
        self._finalizer: Any = None
        object.__setattr__(self, "MiniBatchSize", int(size))
        object.__setattr__(self, "PartialMiniBatch",
                           choice(func, "PartialMiniBatch", opts["PartialMiniBatch"], ("return", "discard")))
        object.__setattr__(self, "MiniBatchFcn", fcn)
        object.__setattr__(self, "MiniBatchFormat", formats)
        object.__setattr__(self, "OutputCast", casts)
        object.__setattr__(self, "OutputAsDlarray", as_dl)
        object.__setattr__(self, "OutputEnvironment", envs)
        object.__setattr__(self, "NumOutputs", n_out)
        # accepted for MATLAB compatibility: batches are always prepared on a background thread
        object.__setattr__(self, "DispatchInBackground", opts["DispatchInBackground"])
        object.__setattr__(self, "PreprocessingEnvironment", opts["PreprocessingEnvironment"])

    def __getstate__(self) -> dict[str, Any]:
        # the worker thread stays behind: an unpickled queue starts a fresh epoch when first read
        return {**self.__dict__, "_epoch": None, "_finalizer": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @staticmethod
    def _per_output(func: str, name: str, value: Any, n: int) -> list[Any]:
        values = as_list(value)
        if len(values) == 1 and n > 1 and name != "MiniBatchFormat":
            values = values * n  # one cast / environment for every output
        if len(values) == 1 and n > 1 and values[0] == "":
            values = values * n
        if len(values) != n:
            raise OptionError(f"{func}: {name} has {len(values)} value(s) but the queue has {n} output(s); give one "
                              f"per output, e.g. MiniBatchFormat=[\"SSCB\", \"BC\"]")
        return values

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and self._canonical(name) is not None:
            raise AttributeError(f"minibatchqueue: {self._canonical(name)} is read-only; create a new minibatchqueue")
        super().__setattr__(name, value)

    def __repr__(self) -> str:
        return (f"minibatchqueue with {self.NumOutputs} output(s): MiniBatchSize {self.MiniBatchSize}, "
                f"PartialMiniBatch '{self.PartialMiniBatch}', MiniBatchFormat {self.MiniBatchFormat}, "
                f"OutputEnvironment {[str(o.device) for o in self._outputs]}")

    # --- epochs -----------------------------------------------------------------------------------------
    def _start(self) -> _Epoch:
        if self._epoch is None:
            # the seed comes from torch's generator on the caller's thread: torch.manual_seed makes runs repeatable
            seed = int(torch.randint(0, 2**62, ()).item())
            self._epoch = _Epoch(self._ds, self._order.copy(), seed, self.MiniBatchSize,
                                 self.PartialMiniBatch == "discard", self.MiniBatchFcn, self._outputs,
                                 self.NumOutputs)
            if self._finalizer is not None:
                self._finalizer.detach()
            self._finalizer = weakref.finalize(self, self._epoch.close)
        return self._epoch

    def _stop(self) -> None:
        if self._epoch is not None:
            self._epoch.close()
            self._epoch = None

    def reset(self) -> None:
        """Back to the start of the data, same order; augmentation is drawn afresh."""
        self._stop()

    def shuffle(self) -> None:
        """Reset and put this queue's observations in a new random order (MATLAB's shuffle(mbq))."""
        self._stop()
        self._order = self._positions[torch.randperm(len(self._positions)).numpy()]

    def hasdata(self) -> bool:
        """True when another mini-batch is available (waits for the worker to decide)."""
        item = self._start().peek()
        return item is not _END

    def next(self) -> Any:
        """The next mini-batch: one array per output (a tuple when there are several)."""
        item = self._start().take()
        if isinstance(item, _Failure):
            raise item.error  # stays at the head of this epoch: the epoch failed, reset(mbq) starts a new one
        if item is _END:
            raise DataError("minibatchqueue: no more data in this epoch; call reset(mbq) or shuffle(mbq)")
        return item[0] if len(item) == 1 else item

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        if not self.hasdata():
            raise StopIteration
        return self.next()

    def partition(self, numParts: int, index: int) -> MiniBatchQueue:
        """Part `index` (1-based) of `numParts` contiguous parts of the current order, with the same settings."""
        part = self._order[split_positions(len(self._order), numParts, index, "minibatchqueue.partition")]
        new = object.__new__(MiniBatchQueue)
        new.__dict__.update(self.__dict__)
        new._positions = part.copy()
        new._order = part.copy()
        new._epoch = None
        new._finalizer = None
        return new

    def numpartitions(self) -> int:
        """How many observations this queue holds (the most parts it can be split into)."""
        return len(self._positions)


def minibatchqueue(ds: Source, *args: Any, **kwargs: Any) -> MiniBatchQueue:
    """MATLAB's minibatchqueue(ds[, numOutputs], MiniBatchSize=128, MiniBatchFcn=fn, MiniBatchFormat=[...], ...)."""
    return MiniBatchQueue(ds, *args, **kwargs)


def hasdata(ds: Any) -> bool:
    """MATLAB's hasdata(ds or mbq)."""
    return ds.hasdata()


def shuffle(ds: Any) -> Any:
    """MATLAB's shuffle: a shuffled copy of a datastore, or an in-place shuffle of a minibatchqueue."""
    return ds.shuffle()


def reset(ds: Any) -> None:
    """MATLAB's reset(ds or mbq)."""
    ds.reset()


def partition(ds: Any, n: Any, index: Any) -> Any:
    """MATLAB's partition(ds or mbq, n, index)."""
    return ds.partition(n, index)


def numpartitions(ds: Any, *args: Any) -> int:
    """MATLAB's numpartitions(ds)."""
    return ds.numpartitions(*args)


def read(ds: Any) -> Any:
    """MATLAB's read(ds)."""
    return ds.read()


def readall(ds: Any) -> Any:
    """MATLAB's readall(ds)."""
    return ds.readall()


def preview(ds: Any) -> Any:
    """MATLAB's preview(ds): the first read, leaving the datastore where it was."""
    if hasattr(ds, "preview"):
        return ds.preview()
    if isinstance(ds, Source):
        return present(ds._read_block(range(min(ds._num_obs(), ds._read_size())), np.random.default_rng()))
    raise TypeError(f"preview: {type(ds).__name__} has no preview")

