"""MATLAB cell arrays and tables as datastores hand them out, in Python.

A cell array is a Python list. A cell with one column (ReadSize×1, what most reads return) or one row (a combined
read of one observation, `{img, label}`) is a flat list, so MATLAB's `c{k}` is `c[k - 1]`; a cell with several rows
and columns is a list of rows, `c{i, j}` is `c[i - 1][j - 1]`. A table is a `BatchTable`. Inside, every read is a
`Block`: one list per column holding that column's observations, which is what a mini-batch function receives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from layergraph.data.categorical import Categorical
from layergraph.errors import DataError


class BatchTable:
    """What read(augimds) returns, like MATLAB's table: variables `input` (list of images) and `response`."""

    def __init__(self, columns: dict[str, Any]) -> None:
        self._columns = columns

    @property
    def VariableNames(self) -> list[str]:
        return list(self._columns)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(f"table has no variable '{name}'; variables: {', '.join(self._columns)}") from None

    def __getitem__(self, key: Any) -> Any:
        """`T["input"]` is the variable (a list per row); `T[i, j]` is MATLAB's brace indexing `T{i+1, j+1}`: the
        content of row i of variable j (0-based; j may be a name); `T[:, j]` the contents of every row."""
        if isinstance(key, tuple):
            if len(key) != 2:
                raise DataError(f"table: index with T[row, variable] (MATLAB's T{{row, variable}}); got {len(key)} "
                                "subscripts")
            row, var = key
            column = self[self._name(var)]
            try:
                return column[row]
            except (IndexError, TypeError):
                raise DataError(f"table: row index {row!r} is out of range for a table with {len(self)} row(s) "
                                "(indices count from 0)") from None
        if isinstance(key, str):
            return self._columns[self._name(key)]
        raise DataError(f"table: index with a variable name (T['{next(iter(self._columns), 'Var1')}']) or with "
                        f"T[row, variable] (MATLAB's T{{row, variable}}); got {key!r}")

    def _name(self, var: Any) -> str:
        """The variable named or numbered (0-based) by `var`."""
        names = list(self._columns)
        if isinstance(var, str):
            if var not in self._columns:
                raise DataError(f"table has no variable '{var}'; variables: {', '.join(names)}")
            return var
        if isinstance(var, (int, np.integer)) and not isinstance(var, bool):
            if not -len(names) <= var < len(names):
                raise DataError(f"table: variable index {var} is out of range for a table with {len(names)} "
                                "variable(s) (indices count from 0)")
            return names[var]
        raise DataError(f"table: a variable is given by name or 0-based number, got {var!r}")

    def __len__(self) -> int:
        return len(next(iter(self._columns.values())))

    @property
    def shape(self) -> tuple[int, int]:
        """rows × variables, so that size(data, 1) / height works as on a MATLAB table."""
        return len(self), len(self._columns)

    def __repr__(self) -> str:
        return f"{len(self)}×{len(self._columns)} table ({', '.join(self._columns)})"


@dataclass
class Block:
    """One read: a list of observations per column, and how `read` shows it.

    kind: "bare" (one value, as read(imds) returns an image), "cell", "table" (names given), or "same" (the
    arrayDatastore's OutputType 'same': the rows joined back into one array).
    """

    columns: list[list[Any]]
    kind: str = "cell"
    names: list[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def present(block: Block) -> Any:
    """The block as MATLAB's read returns it: a value, a list (cell array) or a BatchTable."""
    cols = block.columns
    if block.kind == "bare" and block.rows == 1 and len(cols) == 1:
        return cols[0][0]
    if block.kind == "table":
        return BatchTable({name: assemble(col) for name, col in zip(block.names or [], cols)})
    if block.kind == "same" and len(cols) == 1:
        return assemble(cols[0])
    if len(cols) == 1:
        return list(cols[0])
    if block.rows == 1:
        return [col[0] for col in cols]
    return [list(row) for row in zip(*cols)]


def assemble(values: list[Any]) -> Any:
    """Observations of one table variable joined along dimension 1, as a table column holds them."""
    if values and all(isinstance(v, Categorical) for v in values):
        first = values[0]
        if all(v.codes.ndim == 0 and v.categories == first.categories for v in values):
            return Categorical(categories=first.categories, codes=np.asarray([v.codes for v in values], np.int64))
        from layergraph.data.arrays import cat

        return cat(1, *values)
    if values and all(isinstance(v, np.ndarray) and v.ndim == 0 for v in values):
        return np.stack(values)
    if values and all(isinstance(v, np.ndarray) and v.ndim >= 2 and v.shape[0] == 1 for v in values):
        return np.concatenate(values, axis=0)
    if values and all(isinstance(v, torch.Tensor) and v.dim() >= 2 and v.shape[0] == 1 for v in values):
        return torch.cat(values, dim=0)
    return list(values)


def split_rows(value: Any) -> list[Any]:
    """A table variable or array as one value per row (observation)."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Categorical):  # a matrix's rows stay 1×n
        return [value[i: i + 1] if value.codes.ndim >= 2 else value[i] for i in range(len(value))]
    if isinstance(value, np.ndarray | torch.Tensor) and value.ndim >= 1:
        return [value[i: i + 1] for i in range(value.shape[0])]
    return [value]


def merge(blocks: list[Block]) -> Block:
    """Blocks read one after another, as readall joins them vertically (single values become a cell column)."""
    blocks = [b for b in blocks if b.rows]
    if not blocks:
        return Block([[]], "cell")
    first = blocks[0]
    width = len(first.columns)
    if any(len(b.columns) != width for b in blocks):
        raise DataError(f"readall: reads returned different numbers of columns ({width} and "
                        f"{next(len(b.columns) for b in blocks if len(b.columns) != width)})")
    columns = [[v for b in blocks for v in b.columns[j]] for j in range(width)]
    return Block(columns, "cell" if first.kind == "bare" else first.kind, first.names)


def horzcat(blocks: list[Block], func: str = "combine") -> Block:
    """Blocks side by side (MATLAB's [a, b] on reads): a table when every read is a table, a cell otherwise."""
    rows = {b.rows for b in blocks}
    if len(rows) > 1:
        raise DataError(f"{func}: the datastores returned different numbers of rows in one read "
                        f"({', '.join(str(b.rows) for b in blocks)}); give them the same ReadSize/MiniBatchSize")
    columns = [col for b in blocks for col in b.columns]
    info = {k: v for b in blocks for k, v in b.info.items()}
    if all(b.kind == "table" for b in blocks):
        names: list[str] = []
        for b in blocks:
            for name in b.names or []:
                unique, k = name, 1
                while unique in names:
                    unique, k = f"{name}_{k}", k + 1
                names.append(unique)
        return Block(columns, "table", names, info)
    return Block(columns, "cell", None, info)


def parse(data: Any, one_row: bool) -> Block:
    """What a transform function returned, as a block.

    A BatchTable is a table; a list of lists is a list of rows; a flat list is one row when the function was given
    one observation as a value or a row (MATLAB's `{img, label}`) and a column of observations when it was given a
    column (a ReadSize×1 cell); anything else is one observation.
    """
    if isinstance(data, BatchTable):
        return Block([split_rows(data[n]) for n in data.VariableNames], "table", data.VariableNames)
    if isinstance(data, list | tuple):
        if not data:
            return Block([[]], "cell")
        if all(isinstance(r, list | tuple) for r in data):
            widths = {len(r) for r in data}
            if len(widths) > 1 or 0 in widths:
                raise DataError(f"transform: the function returned rows of different lengths {sorted(widths)}; a "
                                f"cell array with several rows is a list of equally long rows")
            return Block([list(c) for c in zip(*data)], "cell")
        if one_row:
            return Block([[v] for v in data], "cell")
        return Block([list(data)], "cell")
    return Block([[data]], "bare")
