"""MATLAB's combine and transform: datastores read side by side, and datastores whose reads pass through a function."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from layergraph.data.cells import Block, horzcat, merge, parse, present
from layergraph.data.options import flag, parse_options
from layergraph.data.source import BlockDatastore, Source
from layergraph.errors import DataError, OptionError


def _check_stores(func: str, stores: Sequence[Any]) -> list[Source]:
    if not stores:
        raise TypeError(f"{func}: give at least one datastore")
    for ds in stores:
        if not isinstance(ds, Source):
            raise TypeError(f"{func}: expected datastores (imageDatastore, augmentedImageDatastore, arrayDatastore, "
                            f"combine(...), transform(...)); got {type(ds).__name__}")
    return list(stores)


def _common_read_size(func: str, stores: Sequence[Source]) -> int:
    """The number of observations one read of every underlying datastore takes; they must agree."""
    sizes = [ds._read_size() for ds in stores]
    if len(set(sizes)) > 1:
        raise DataError(f"{func}: the underlying datastores read different numbers of observations at a time "
                        f"({', '.join(map(str, sizes))}); give them the same ReadSize / MiniBatchSize")
    return sizes[0]


class CombinedDatastore(BlockDatastore):
    """Reads every underlying datastore once per read and puts the results side by side (one row per observation)."""

    _func = "combine"

    def __init__(self, stores: Sequence[Source]) -> None:
        self._stores = _check_stores("combine", stores)
        self._cursor = 0

    @property
    def UnderlyingDatastores(self) -> list[Source]:
        return list(self._stores)

    def __repr__(self) -> str:
        return f"CombinedDatastore of {len(self._stores)} datastores ({self._num_obs()} observations)"

    def _num_obs(self) -> int:
        return min(ds._num_obs() for ds in self._stores)  # reading stops when the first one runs out

    def _read_size(self) -> int:
        return _common_read_size("combine", self._stores)

    def _align(self) -> int:
        return max(ds._align() for ds in self._stores)

    def _columns(self) -> list[str]:
        return [name for ds in self._stores for name in ds._columns()]  # no read needed to count them

    def _read_block(self, positions: Sequence[int], rng: np.random.Generator) -> Block:
        positions = list(positions)
        return horzcat([ds._read_block(positions, rng) for ds in self._stores])

    def _subset(self, positions: np.ndarray) -> CombinedDatastore:
        return CombinedDatastore([ds._subset(positions) for ds in self._stores])


class TransformedDatastore(BlockDatastore):
    """Reads the underlying datastores and passes each read through a function (MATLAB's transform)."""

    _func = "transform"

    def __init__(self, stores: Sequence[Source], fcn: Callable[..., Any], include_info: bool = False) -> None:
        self._stores = _check_stores("transform", stores)
        if not callable(fcn):
            raise TypeError("transform: the transform function must be callable (MATLAB's @fcn)")
        self._fcn = fcn
        self._include_info = include_info
        self._cursor = 0

    @property
    def UnderlyingDatastores(self) -> list[Source]:
        return list(self._stores)

    @property
    def Transforms(self) -> list[Callable[..., Any]]:
        return [self._fcn]

    @property
    def IncludeInfo(self) -> bool:
        return self._include_info

    def __repr__(self) -> str:
        name = getattr(self._fcn, "__name__", type(self._fcn).__name__)
        return f"TransformedDatastore: {name} over {len(self._stores)} datastore(s) ({self._num_obs()} observations)"

    def _num_obs(self) -> int:
        return min(ds._num_obs() for ds in self._stores)

    def _read_size(self) -> int:
        return _common_read_size("transform", self._stores)

    def _align(self) -> int:
        return self._read_size()  # the function sees whole reads: a queue must not split them

    def _apply(self, positions: list[int], rng: np.random.Generator) -> Block | None:
        """One underlying read of `positions` through the function."""
        blocks = [ds._read_block(positions, rng) for ds in self._stores]
        if any(b.rows == 0 for b in blocks):
            return None  # nothing readable left in this read (ReadFailureRule 'skip')
        args = [present(b) for b in blocks]
        if self._include_info:
            result = self._fcn(*args, *(b.info for b in blocks))
            if not isinstance(result, tuple) or len(result) != 2:
                raise DataError("transform: with IncludeInfo=true the function must return (dataOut, infoOut)")
            result, info = result
        else:
            result, info = self._fcn(*args), blocks[0].info
        if len(blocks) == 1 and result is args[0]:
            return Block(blocks[0].columns, blocks[0].kind, blocks[0].names, info)  # returned unchanged
        # a flat list answers one observation given as a value or a row ({img, label}), and a column otherwise
        one_row = all(b.kind == "bare" or (b.rows == 1 and len(b.columns) > 1) for b in blocks)
        block = parse(result, one_row)
        block.info = info if isinstance(info, dict) else {"info": info}
        return block

    def _read_block(self, positions: Sequence[int], rng: np.random.Generator) -> Block:
        positions = list(positions)
        step = self._read_size()
        out = [b for s in range(0, len(positions), step) if (b := self._apply(positions[s: s + step], rng))]
        return out[0] if len(out) == 1 else merge(out)

    def _subset(self, positions: np.ndarray) -> TransformedDatastore:
        return TransformedDatastore([ds._subset(positions) for ds in self._stores], self._fcn, self._include_info)


def combine(*args: Any, **kwargs: Any) -> CombinedDatastore:
    """MATLAB's combine(ds1, ds2, ...): each read returns one row with every datastore's columns side by side."""
    stores = [a for a in args if not isinstance(a, str)]
    names = list(args[len(stores):])
    opts = parse_options("combine", names, kwargs, {"ReadOrder": "associated"})
    if str(opts["ReadOrder"]).lower() != "associated":
        raise OptionError("combine: only ReadOrder 'associated' (side by side) is supported")
    return CombinedDatastore(stores)


def transform(*args: Any, **kwargs: Any) -> TransformedDatastore:
    """MATLAB's transform(ds1, ..., dsN, @fcn[, IncludeInfo=true]): fcn(read(ds1), ..., read(dsN)) on every read."""
    fcns = [i for i, a in enumerate(args) if callable(a) and not isinstance(a, Source)]
    if len(fcns) != 1:
        raise TypeError("transform: give the datastore(s) and then one function, e.g. transform(ds, fcn)")
    at = fcns[0]
    stores = [*args[:at], *(a for a in args[at + 1:] if isinstance(a, Source))]
    rest = [a for a in args[at + 1:] if not isinstance(a, Source)]
    opts = parse_options("transform", rest, kwargs, {"IncludeInfo": False})
    return TransformedDatastore(stores, args[at], flag("transform", "IncludeInfo", opts["IncludeInfo"]))
