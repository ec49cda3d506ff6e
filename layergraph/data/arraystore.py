"""MATLAB's arrayDatastore: in-memory data (numeric arrays, categoricals, cell arrays) read slice by slice."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from layergraph.data.categorical import Categorical
from layergraph.data.cells import Block
from layergraph.data.images import _as_numpy
from layergraph.data.options import MatlabProperties, choice, parse_options
from layergraph.data.source import BlockDatastore
from layergraph.errors import OptionError


def _matlab_array(A: Any) -> tuple[np.ndarray, list[str] | None, bool]:
    """A as an array of at least two dimensions (vectors are columns), the categories of a categorical, and whether
    A was a one-dimensional (numpy or categorical) vector.

    A Python list (a cell array) becomes an N×1 object array, so that it is sliced like any other array.
    """
    categories = None
    if isinstance(A, Categorical):
        arr, categories = A.codes, A.categories
    elif isinstance(A, list | tuple):
        arr = np.empty(len(A), dtype=object)
        arr[:] = list(A) if A else []
    else:
        arr = _as_numpy(A)
    vector = arr.ndim == 1 and not isinstance(A, list | tuple)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    return arr, categories, vector


def _drop_trailing_ones(a: np.ndarray) -> np.ndarray:
    """MATLAB never shows trailing singleton dimensions beyond the second: X(:,:,:,i) of H×W×C×N is H×W×C."""
    while a.ndim > 2 and a.shape[-1] == 1:
        a = a[..., 0]
    return a


class ArrayDatastore(MatlabProperties, BlockDatastore):
    """Observations are the slices of the data along IterationDimension; read returns ReadSize of them."""

    _PROPERTIES = ("ReadSize", "IterationDimension", "OutputType")
    _func = "arrayDatastore"

    def __init__(self, A: Any, *args: Any, **kwargs: Any) -> None:
        opts = parse_options("arrayDatastore", args, kwargs,
                             {"ReadSize": 1, "IterationDimension": 1, "OutputType": "cell"})
        # a Python vector (1-D, MATLAB's column) read with OutputType 'same' comes back as a vector
        self._data, self._categories, self._vector = _matlab_array(A)
        self._is_cell = self._data.dtype == object and self._categories is None
        self._idx: np.ndarray | None = None  # a shuffled or partitioned copy reads these observations only
        self._cursor = 0
        self.ReadSize = opts["ReadSize"]
        self.IterationDimension = opts["IterationDimension"]
        self.OutputType = opts["OutputType"]

    def __setattr__(self, name: str, value: Any) -> None:
        canon = self._canonical(name) if not name.startswith("_") else None
        if canon in ("ReadSize", "IterationDimension"):
            if isinstance(value, bool) or not isinstance(value, int | float | np.integer) or value != int(value) \
                    or value < 1:
                raise OptionError(f"arrayDatastore: {canon} must be a positive integer; got {value!r}")
            value = int(value)
        elif canon == "OutputType":
            value = choice("arrayDatastore", "OutputType", value, ("cell", "same"))
        if canon == "IterationDimension" and self._idx is not None:
            raise OptionError("arrayDatastore: IterationDimension of a shuffled or partitioned copy is fixed")
        super().__setattr__(name, value)
        if canon in ("IterationDimension", "OutputType"):
            self._check_same()
            self._cursor = 0  # MATLAB resets the datastore when either changes

    def _check_same(self) -> None:
        if getattr(self, "OutputType", "cell") == "same" and getattr(self, "IterationDimension", 1) != 1:
            raise OptionError("arrayDatastore: OutputType 'same' needs IterationDimension 1 (rows of the data)")

    def __repr__(self) -> str:
        size = "×".join(str(s) for s in self._data.shape)
        kind = "cell" if self._is_cell else "categorical" if self._categories is not None else str(self._data.dtype)
        return (f"ArrayDatastore of {size} {kind} data: ReadSize {self.ReadSize}, IterationDimension "
                f"{self.IterationDimension}, OutputType '{self.OutputType}'")

    # --- observations -----------------------------------------------------------------------------------
    def _total(self) -> int:
        axis = self.IterationDimension - 1
        return self._data.shape[axis] if axis < self._data.ndim else 1

    def _num_obs(self) -> int:
        return self._total() if self._idx is None else len(self._idx)

    def _read_size(self) -> int:
        return self.ReadSize

    def _slice(self, k: int) -> Any:
        """Observation k (0-based, in the original order) as a MATLAB value."""
        axis = self.IterationDimension - 1
        piece = np.take(self._data, [k], axis=axis) if axis < self._data.ndim else self._data
        if self.OutputType != "same":  # rows for 'same' keep every dimension: the read joins them back
            piece = _drop_trailing_ones(piece)
        if self._is_cell:
            # a slice of a cell array is a cell array: 1×1 → [c]; with OutputType 'same' the read joins them
            return list(piece.ravel(order="F"))
        if piece.size == 1 and (self.OutputType != "same" or self._vector):
            piece = piece.reshape(())  # a 1×1 value is a scalar (float(x) works; cat treats it as 1×1)
        if self._categories is not None:
            return Categorical(categories=self._categories, codes=piece)
        return np.array(piece)

    def _read_block(self, positions: Sequence[int], rng: np.random.Generator) -> Block:
        keys = [int(p) if self._idx is None else int(self._idx[p]) for p in positions]
        values = [self._slice(k) for k in keys]
        if self.OutputType == "same":
            if self._is_cell:  # C(i:j) of a cell is the cell's elements
                return Block([[v for piece in values for v in piece]], "cell")
            return Block([values], "same")
        return Block([values], "cell")

    def _subset(self, positions: np.ndarray) -> ArrayDatastore:
        new = object.__new__(ArrayDatastore)
        new.__dict__.update(self.__dict__)
        base = np.arange(self._total()) if self._idx is None else self._idx
        new._idx = base[np.asarray(positions, dtype=np.int64)]
        new._cursor = 0
        return new


def arrayDatastore(A: Any, *args: Any, **kwargs: Any) -> ArrayDatastore:
    """MATLAB's arrayDatastore(A, ReadSize=1, IterationDimension=1, OutputType="cell")."""
    return ArrayDatastore(A, *args, **kwargs)
