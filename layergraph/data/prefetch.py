"""The background reader of a minibatchqueue: a worker thread reads, preprocesses and converts mini-batches in
order, a few ahead of the training loop, and hands failures to the consumer instead of dying silently. A datastore
the program defines itself is read in order on the caller's thread instead (InOrderEpoch)."""
from __future__ import annotations

import builtins
import queue as stdqueue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from layergraph.data.minibatch import Output, collate, convert, minibatch_arguments
from layergraph.data.source import Source
from layergraph.errors import DataError
from layergraph.workers import start_worker

__all__ = ["END", "PREFETCH", "Epoch", "Failure", "InOrderEpoch"]

# How many prepared batches may wait in the queue: enough to hide decoding jitter, few enough to bound memory.
PREFETCH = 2

END = object()


class Failure:
    """An exception raised on the worker thread, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Peeked:
    """What both epochs share: `take` hands over the peeked item (the end and a failure stay for the next look)."""

    peeked: Any = None

    def peek(self) -> Any:
        raise NotImplementedError

    def take(self) -> Any:
        item = self.peek()
        if item is not END and not isinstance(item, Failure):
            self.peeked = None
        return item


class Epoch(_Peeked):
    """One pass over the data: its order, its random seed, and the worker thread that fills the buffer."""

    def __init__(self, source: Source, order: np.ndarray, seed: int, batch: int, discard: bool,
                 fcn: Callable[..., Any] | None, outputs: list[Output], num_outputs: int) -> None:
        self.buffer: stdqueue.Queue = stdqueue.Queue(maxsize=PREFETCH)
        self.stop = threading.Event()
        self.peeked: Any = None
        # the worker only sees these arguments, never the minibatchqueue, so a dropped queue can be collected
        self.thread = start_worker(
            _produce, (self.buffer, self.stop, source, order, seed, batch, discard, fcn, outputs, num_outputs),
            self.stop, "layergraph-minibatchqueue")

    def peek(self) -> Any:
        """The next item (batch, END or Failure), waiting for the worker; never blocks on a dead worker."""
        if self.peeked is None:
            while True:
                try:
                    self.peeked = self.buffer.get(timeout=0.2)
                    break
                except stdqueue.Empty:
                    if not self.thread.is_alive() and self.buffer.empty():
                        self.peeked = Failure(RuntimeError("minibatchqueue: the background reader stopped "
                                                            "without delivering data"))
                        break
        return self.peeked

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

    def _read_in_order(self, count: int) -> None:
        """A datastore read in order (a program's own): whole reads until `count` rows wait or it has no more."""
        while self.pending is None or len(self.pending[0]) < count:
            cols = self.source.read_next()  # type: ignore[attr-defined]
            if cols is None:
                return
            self._add(cols)

    def _add(self, cols: list[list[Any]]) -> None:
        if self.pending is None:
            self.pending = [list(c) for c in cols]
        elif len(cols) != len(self.pending):
            raise DataError(f"minibatchqueue: one read of the datastore gave {len(self.pending)} column(s) and a "
                            f"later one {len(cols)}; every read must have the same columns")
        else:
            for have, got in zip(self.pending, cols):
                have.extend(got)

    def take(self, count: int) -> list[list[Any]]:
        if getattr(self.source, "sequential", False):
            self._read_in_order(count)
        while (self.pending is None or len(self.pending[0]) < count) and self.pos < len(self.order):
            need = count - (len(self.pending[0]) if self.pending else 0)
            chunk = self.order[self.pos: self.pos + -(-need // self.align) * self.align]
            self.pos += len(chunk)
            # one generator per read: the augmentation of read r depends only on (seed, r), not on thread timing
            cols = self.source._read_positions([int(i) for i in chunk], np.random.default_rng([self.seed, self.reads]))
            self.reads += 1
            self._add(cols)
        if self.pending is None:
            return []
        out = [c[:count] for c in self.pending]
        self.pending = [c[count:] for c in self.pending]
        return out


def _batches(source: Source, order: np.ndarray, seed: int, batch: int, discard: bool,
             fcn: Callable[..., Any] | None, outputs: list[Output], num_outputs: int) -> Iterator[tuple[Any, ...]]:
    """The epoch's mini-batches in order: read, preprocessed (MiniBatchFcn or the default collation), converted."""
    reader = _Reader(source, order, seed)
    while True:
        cols = reader.take(batch)
        n = len(cols[0]) if cols else 0
        if n == 0 or (discard and n < batch):
            return
        if fcn is not None:
            result = fcn(*minibatch_arguments(fcn, cols))
            result = tuple(result) if isinstance(result, tuple | list) else (result,)
            if len(result) < num_outputs:
                raise DataError(f"minibatchqueue: MiniBatchFcn returned {len(result)} output(s) but the queue "
                                f"has {num_outputs}; set numOutputs to match the function")
            result = result[:num_outputs]
        else:
            if len(cols) < num_outputs:
                raise DataError(f"minibatchqueue: the datastore gives {len(cols)} variable(s) but numOutputs is "
                                f"{num_outputs}; a MiniBatchFcn is needed to produce more")
            result = tuple(collate(c) for c in cols[:num_outputs])
        yield tuple(convert(x, out) for x, out in zip(result, outputs))


def _produce(buffer: stdqueue.Queue, stop: threading.Event, *args: Any) -> None:
    """Worker: read, preprocess and convert batches in order until the epoch ends, an error occurs or stop."""
    try:
        for converted in _batches(*args):
            if stop.is_set() or not _put(buffer, stop, converted):
                return
        _put(buffer, stop, END)
    except BaseException as err:  # hand every failure to the consumer instead of dying silently
        _put(buffer, stop, Failure(err))


class InOrderEpoch(_Peeked):
    """One pass over a datastore the program defines, prepared on the caller's thread when asked for: its reads
    draw from the program's random generator in program order (as MATLAB's serial queue does), so a seeded run
    repeats, and nothing else reads the datastore at the same time."""

    def __init__(self, source: Source, order: np.ndarray, seed: int, batch: int, discard: bool,
                 fcn: Callable[..., Any] | None, outputs: list[Output], num_outputs: int) -> None:
        self.batches = _batches(source, order, seed, batch, discard, fcn, outputs, num_outputs)
        self.peeked: Any = None

    def peek(self) -> Any:
        if self.peeked is None:
            try:
                self.peeked = builtins.next(self.batches)
            except StopIteration:
                self.peeked = END
            except Exception as err:
                self.peeked = Failure(err)
        return self.peeked

    def close(self) -> None:
        self.batches.close()
