"""What every datastore the minibatchqueue reads is: a Source read by position (so that it can be shuffled,
sharded and prefetched), and BlockDatastore, MATLAB's read/hasdata/reset/shuffle/subset/partition on top of it."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from layergraph.data.augment import _torch_seeded_rng
from layergraph.data.cells import Block, merge, present
from layergraph.errors import DataError

__all__ = ["BlockDatastore", "Source", "split_positions"]


class Source:
    """A datastore the minibatchqueue can read by position, so that it can shuffle, shard and prefetch."""

    def _num_obs(self) -> int:
        raise NotImplementedError

    def _columns(self) -> list[str]:
        raise NotImplementedError

    def _read_positions(self, positions: Sequence[int], rng: np.random.Generator) -> list[list[Any]]:
        """One list per column holding the readable observations at `positions` (unreadable ones skipped)."""
        raise NotImplementedError

    def _read_size(self) -> int:
        """How many observations one read takes (what a transform function is given at a time)."""
        return 1

    def _align(self) -> int:
        """Positions a minibatchqueue must read together: 1, or the read size where a transform sees whole reads."""
        return 1

    def _read_block(self, positions: Sequence[int], rng: np.random.Generator) -> Block:
        """The observations at `positions` as one read returns them."""
        return Block(self._read_positions(positions, rng), "cell")

    def _gather(self, order: np.ndarray, start: int, count: int,
                rng: np.random.Generator) -> tuple[list[list[Any]], int]:
        """Up to `count` readable observations from order[start:]; returns them and the next start."""
        cols: list[list[Any]] = [[] for _ in self._columns()]
        pos = start
        while pos < len(order) and len(cols[0]) < count:
            chunk = order[pos: pos + count - len(cols[0])]
            for col, got in zip(cols, self._read_positions([int(i) for i in chunk], rng)):
                col.extend(got)
            pos += len(chunk)
        return cols, pos


def split_positions(n: int, parts: int, index: int, func: str) -> np.ndarray:
    """Positions of part `index` (1-based) of `parts` contiguous, nearly equal parts (the first ones larger)."""
    if isinstance(parts, bool) or int(parts) != parts or parts < 1:
        raise ValueError(f"{func}: number of partitions must be a positive integer; got {parts!r}")
    if isinstance(index, bool) or int(index) != index or not 1 <= index <= parts:
        raise ValueError(f"{func}: partition index must be an integer from 1 to {parts}; got {index!r}")
    return np.array_split(np.arange(n), int(parts))[int(index) - 1]


class BlockDatastore(Source):
    """A datastore read by position: read, hasdata, reset, preview, readall, shuffle, subset and partition.

    Subclasses give `_num_obs`, `_read_block` and `_subset`; `_cursor` counts the observations read so far.
    """

    _func = "datastore"
    _cursor = 0

    def _subset(self, positions: np.ndarray) -> BlockDatastore:
        raise NotImplementedError

    def _read_positions(self, positions: Sequence[int], rng: np.random.Generator) -> list[list[Any]]:
        return self._read_block(positions, rng).columns

    def _columns(self) -> list[str]:
        block = self._read_block(range(min(self._num_obs(), self._read_size())), _torch_seeded_rng())
        return block.names or [f"Var{j + 1}" for j in range(len(block.columns))]

    def hasdata(self) -> bool:
        """True while observations remain to be read."""
        return self._cursor < self._num_obs()

    def reset(self) -> None:
        """Start reading from the first observation again."""
        self._cursor = 0

    def read(self, info: bool = False) -> Any:
        """The next read (ReadSize observations); with info=True also a dict about it."""
        if not self.hasdata():
            raise DataError(f"{self._func}: no more data to read; call reset(ds)")
        stop = min(self._num_obs(), self._cursor + self._read_size())
        block = self._read_block(range(self._cursor, stop), _torch_seeded_rng())
        self._cursor = stop
        return (present(block), block.info) if info else present(block)

    def preview(self) -> Any:
        """The first read, without moving the read position."""
        return present(self._read_block(range(min(self._num_obs(), self._read_size())), _torch_seeded_rng()))

    def readall(self) -> Any:
        """Every observation, reads joined vertically (a cell column, a table or the array itself)."""
        return present(merge([self._read_block(range(self._num_obs()), _torch_seeded_rng())]))

    def shuffle(self) -> BlockDatastore:
        """A copy with the observations in random order; torch.manual_seed makes it repeatable."""
        return self._subset(torch.randperm(self._num_obs()).numpy())

    def subset(self, indices: Sequence[int]) -> BlockDatastore:
        """MATLAB's subset(ds, indices): the observations at these 1-based indices (or a logical mask)."""
        idx = np.asarray(indices)
        pos = np.flatnonzero(idx) if idx.dtype == np.bool_ else idx.astype(np.int64).ravel() - 1
        if pos.size and (pos.min() < 0 or pos.max() >= self._num_obs()):
            raise IndexError(f"{self._func}: subset indices must lie in 1..{self._num_obs()}")
        return self._subset(pos)

    def numpartitions(self, workers: int | None = None) -> int:
        """The default number of partitions: one per observation (at most `workers` when given)."""
        n = self._num_obs()
        return n if workers is None else max(1, min(n, int(workers)))

    def partition(self, n: int, index: int) -> BlockDatastore:
        """Part `index` (1-based) of `n` contiguous, nearly equal parts."""
        return self._subset(split_positions(self._num_obs(), n, index, "partition"))
