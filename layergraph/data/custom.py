"""A datastore a program defines itself (a MATLAB classdef `< matlab.io.Datastore`, translated: any object with
read, hasdata and reset), as a minibatchqueue reads it: one read after another, in order, until hasdata is false.

Each read is a table (one row per observation: a MiniBatchable datastore's read gives MiniBatchSize rows), a cell
column or one value; the queue gathers rows until it has its MiniBatchSize, keeping what is left for the next
mini-batch. The queue reads its own copy (MATLAB's datastores are handle objects and the queue holds one), reset
when the queue starts an epoch, so a program that changes the datastore afterwards (`ds.MiniBatchSize = 1` to
preview one row) does not change the queue's batches.
"""
from __future__ import annotations

import copy as _copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from layergraph.data.cells import parse
from layergraph.data.source import Source
from layergraph.errors import DataError

__all__ = ["CustomDatastore", "is_custom_datastore"]


def is_custom_datastore(ds: Any) -> bool:
    """An object with MATLAB's datastore methods read, hasdata and reset (not one of layergraph's datastores)."""
    return not isinstance(ds, Source) and all(callable(getattr(ds, m, None)) for m in ("read", "hasdata", "reset"))


def first_output(result: Any) -> Any:
    """`data` of a translated `[data, info] = read(ds)` (a method with two outputs returns both)."""
    return result[0] if isinstance(result, tuple) and len(result) == 2 else result


class CustomDatastore(Source):
    """A program's datastore read in order by a minibatchqueue (see the module's description)."""

    sequential = True  # read in order, not by position: the queue neither shuffles nor prefetches it

    def __init__(self, ds: Any) -> None:
        self.ds = ds.copy() if callable(getattr(ds, "copy", None)) else _copy.copy(ds)

    def _num_obs(self) -> int:
        return 0  # unknown until read to the end: the queue asks hasdata instead

    def _columns(self) -> list[str]:
        probe = self.ds.copy() if callable(getattr(self.ds, "copy", None)) else _copy.copy(self.ds)
        probe.reset()
        block = parse(first_output(probe.read()), False)
        return block.names or [f"Var{j + 1}" for j in range(len(block.columns))]

    def start(self) -> None:
        """A new epoch: MATLAB's reset(mbq) resets the datastore."""
        self.ds.reset()

    def read_next(self) -> list[list[Any]] | None:
        """The next read as one list of observations per column; None when the datastore has no more data."""
        if not self.ds.hasdata():
            return None
        block = parse(first_output(self.ds.read()), False)
        if not block.rows:
            raise DataError(f"minibatchqueue: a read of the {type(self.ds).__name__} datastore returned no rows "
                            "while hasdata was true")
        return block.columns

    def shuffled(self) -> CustomDatastore:
        """The queue's datastore shuffled by its own shuffle method (Shuffleable's: a shuffled copy)."""
        if not callable(getattr(self.ds, "shuffle", None)):
            raise DataError(f"minibatchqueue: shuffle needs a shuffleable datastore; {type(self.ds).__name__} has no "
                            "shuffle method (derive it from matlab.io.datastore.Shuffleable)")
        out = object.__new__(CustomDatastore)
        shuffled = self.ds.shuffle()
        out.ds = shuffled if shuffled is not None else self.ds
        return out

    def _read_positions(self, positions: Sequence[int], rng: np.random.Generator) -> list[list[Any]]:
        raise DataError(f"the {type(self.ds).__name__} datastore is read in order; it cannot be read by position")
