"""MATLAB's minibatchqueue: mini-batches from a datastore, preprocessed and prefetched in a background thread.

Each output is cast (OutputCast), labelled with `dlarray(x, fmt)` (MATLAB layout in, torch layout out) and moved to
the OutputEnvironment device. Batches are prepared a few ahead on a worker thread; any error there is re-raised by
the `hasdata`/`next` call that reaches it, so a failing worker never leaves the training loop waiting. A
datastore the program defines (a translated classdef with read/hasdata/reset) is read in order on the caller's
thread (layergraph/data/custom.py).
"""
from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from layergraph.data.cells import present
from layergraph.data.custom import CustomDatastore, is_custom_datastore
from layergraph.data.minibatch import output_specs
from layergraph.data.options import MatlabProperties, as_list, choice, parse_options
from layergraph.data.prefetch import END, PREFETCH, Epoch, Failure, InOrderEpoch
from layergraph.data.source import Source, split_positions
from layergraph.errors import DataError, OptionError

# PREFETCH lives with the background reader (layergraph/data/prefetch.py); importable from here as before
__all__ = ["PREFETCH", "MiniBatchQueue", "hasdata", "minibatchqueue", "numpartitions", "partition", "preview",
           "read", "readall", "reset", "shuffle"]


class MiniBatchQueue(MatlabProperties):
    """Mini-batches for a custom training loop: shuffle, hasdata, next, reset, partition."""

    _PROPERTIES = ("MiniBatchSize", "PartialMiniBatch", "MiniBatchFcn", "MiniBatchFormat", "OutputCast",
                   "OutputAsDlarray", "OutputEnvironment", "NumOutputs", "DispatchInBackground",
                   "PreprocessingEnvironment")

    def __init__(self, ds: Source, numOutputs: int | None = None, *args: Any, **kwargs: Any) -> None:
        func = "minibatchqueue"
        if is_custom_datastore(ds):
            ds = CustomDatastore(ds)
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
        self._outputs = output_specs(func, formats, casts, envs, as_dl)
        self._epoch: Epoch | InOrderEpoch | None = None
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
    def _start(self) -> Epoch | InOrderEpoch:
        if self._epoch is None:
            # the seed comes from torch's generator on the caller's thread: torch.manual_seed makes runs repeatable
            seed = int(torch.randint(0, 2**62, ()).item())
            in_order = isinstance(self._ds, CustomDatastore)
            if in_order:
                self._ds.start()
            self._epoch = (InOrderEpoch if in_order else Epoch)(
                self._ds, self._order.copy(), seed, self.MiniBatchSize, self.PartialMiniBatch == "discard",
                self.MiniBatchFcn, self._outputs, self.NumOutputs)
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
        """Reset and put this queue's observations in a new random order (MATLAB's shuffle(mbq)); a program's own
        datastore is shuffled by its shuffle method (matlab.io.datastore.Shuffleable), which it must have."""
        self._stop()
        if isinstance(self._ds, CustomDatastore):
            self._ds = self._ds.shuffled()
            return
        self._order = self._positions[torch.randperm(len(self._positions)).numpy()]

    def hasdata(self) -> bool:
        """True when another mini-batch is available (waits for the worker to decide)."""
        item = self._start().peek()
        return item is not END

    def next(self) -> Any:
        """The next mini-batch: one array per output (a tuple when there are several)."""
        item = self._start().take()
        if isinstance(item, Failure):
            raise item.error  # stays at the head of this epoch: the epoch failed, reset(mbq) starts a new one
        if item is END:
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

