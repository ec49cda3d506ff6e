"""A small MATLAB `categorical`: sorted class names plus 1-based integer codes (0 = <undefined>)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np


class Categorical:
    """Labels as MATLAB keeps them: `categories` sorted, `codes` 1-based; double(c) gives the codes."""

    def __init__(self, values: Iterable[Any] = (), categories: Sequence[str] | None = None,
                 codes: np.ndarray | None = None) -> None:
        if codes is not None:
            if categories is None:
                raise ValueError("categorical: codes need their categories")
            self.categories = [str(c) for c in categories]
            self.codes = np.asarray(codes, dtype=np.int64)
            return
        names = [str(v) for v in values]
        # MATLAB sorts the categories of categorical(values) alphabetically
        self.categories = [str(c) for c in categories] if categories is not None else sorted(set(names))
        lookup = {c: i + 1 for i, c in enumerate(self.categories)}
        self.codes = np.asarray([lookup.get(n, 0) for n in names], dtype=np.int64)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.codes.shape

    def __len__(self) -> int:
        return int(self.codes.shape[0]) if self.codes.ndim else 1

    @property
    def T(self) -> Categorical:
        """MATLAB's c': the transpose (a 1-D categorical is a column, so it becomes a 1×N row)."""
        codes = self.codes.reshape(1, -1) if self.codes.ndim == 1 else self.codes.T
        return Categorical(categories=self.categories, codes=codes)

    def __getitem__(self, key: Any) -> Categorical:
        return Categorical(categories=self.categories, codes=self.codes[key])

    def __iter__(self) -> Iterator[Categorical]:
        for i in range(len(self)):
            yield self[i]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # MATLAB's double(c): the 1-based category index, NaN where undefined
        out = self.codes.astype(np.float64)
        out[self.codes == 0] = np.nan
        return out if dtype is None else out.astype(dtype)

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        if isinstance(other, str):
            return np.asarray(self.tolist(), dtype=object) == other if self.codes.ndim else str(self) == other
        if isinstance(other, Categorical):
            a, b = np.asarray(self.tolist(), dtype=object), np.asarray(other.tolist(), dtype=object)
            # a 1-D categorical is a column: it meets an N×1 one elementwise (not numpy's N×N broadcast)
            if a.ndim == 1 and b.ndim == 2 and b.shape[1] == 1:
                a = a.reshape(-1, 1)
            elif b.ndim == 1 and a.ndim == 2 and a.shape[1] == 1:
                b = b.reshape(-1, 1)
            return a == b
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # elementwise == like MATLAB, so not hashable

    def tolist(self) -> Any:
        """The labels as strings ('<undefined>' where undefined), nested like the codes."""
        names = np.asarray(["<undefined>", *self.categories], dtype=object)
        picked = names[self.codes]
        return picked.tolist() if isinstance(picked, np.ndarray) else picked  # a scalar's code picks one name

    def __str__(self) -> str:
        return str(self.tolist())

    def __repr__(self) -> str:
        return f"categorical({self.tolist()!r}, categories={self.categories!r})"


def categorical(values: Iterable[Any], valueset: Sequence[str] | None = None) -> Categorical:
    """MATLAB's categorical(values[, valueset]): categories sorted unless `valueset` fixes them. Numbers (an
    array, its shape kept) take the categories of their distinct values in numeric order, or of `valueset`, named
    as num2str writes them ('1', '2.5'); a number outside `valueset` is <undefined>."""
    if _numeric(values) and (valueset is None or _numeric(valueset)):
        return _numeric_categorical(values, valueset)
    return Categorical(values, categories=valueset)


def _numeric(x: Any) -> bool:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    return isinstance(x, np.ndarray) and x.dtype.kind in "biuf"


def _number_name(v: float) -> str:
    """A category's name as MATLAB's num2str writes the number (whole numbers as integers, else 5 significant
    digits above 1)."""
    if float(v).is_integer():
        return str(int(v))
    digits = max(int(np.ceil(np.log10(abs(v)))), 1) + 4
    return format(float(v), f".{digits}g")


def _numeric_categorical(values: Any, valueset: Any) -> Categorical:
    data = np.asarray(values.detach().cpu().numpy() if hasattr(values, "detach") else values, dtype=np.float64)
    if valueset is None:
        levels = np.unique(data[~np.isnan(data)])
    else:
        levels = np.asarray(valueset.detach().cpu().numpy() if hasattr(valueset, "detach") else valueset,
                            dtype=np.float64).ravel()
    lookup = {float(v): i + 1 for i, v in enumerate(levels)}
    codes = np.vectorize(lambda v: lookup.get(float(v), 0), otypes=[np.int64])(data) if data.size else \
        np.zeros(data.shape, np.int64)
    return Categorical(categories=[_number_name(v) for v in levels], codes=codes)


def categories(c: Categorical) -> list[str]:
    """MATLAB's categories(c): the class names, sorted as the categorical keeps them."""
    if not isinstance(c, Categorical):
        raise TypeError(f"categories: expected a categorical (e.g. imds.Labels), got {type(c).__name__}")
    return list(c.categories)


def countcats(c: Categorical) -> np.ndarray:
    """MATLAB's countcats(c): how many elements fall in each category, in category order."""
    return np.bincount(c.codes.ravel(), minlength=len(c.categories) + 1)[1:]
