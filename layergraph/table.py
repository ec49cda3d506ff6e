"""MATLAB-style tables of (Layer, Parameter, Value): Learnables, State, gradients, optimizer state."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch


def matlab_size(shape: tuple[int, ...] | list[int]) -> str:
    """Write a size MATLAB's way: '5×5×256×1025'; trailing singletons dropped, at least two dims."""
    dims = [int(d) for d in shape]
    while len(dims) > 2 and dims[-1] == 1:
        dims.pop()
    while len(dims) < 2:
        dims.append(1)
    return "×".join(str(d) for d in dims)


class Table:
    """Rows of (Layer, Parameter, Value) like MATLAB's Learnables/State tables.

    Values are torch tensors in torch layout; `shapes` holds the MATLAB shape of each row for display.
    """

    def __init__(self, layers: list[str], params: list[str], values: list[Any],
                 shapes: list[tuple[int, ...]] | None = None) -> None:
        if not (len(layers) == len(params) == len(values)):
            raise ValueError("Table: Layer, Parameter and Value columns must have the same length")
        self.Layer = list(layers)
        self.Parameter = list(params)
        self.Value = list(values)
        self.shapes = list(shapes) if shapes is not None else [tuple(getattr(v, "shape", ())) for v in values]

    def __len__(self) -> int:
        return len(self.Value)

    @property
    def shape(self) -> tuple[int, int]:
        """rows × 3 (Layer, Parameter, Value), so that size(T, 1) is the table's height as in MATLAB."""
        return len(self.Value), 3

    def __iter__(self) -> Iterator[tuple[str, str, Any]]:
        return iter(zip(self.Layer, self.Parameter, self.Value))

    def index(self, layer: str, param: str) -> int:
        """Row number of (layer, param); KeyError naming both when absent."""
        for i, (lay, par) in enumerate(zip(self.Layer, self.Parameter)):
            if lay == layer and par == param:
                return i
        raise KeyError(f"no row with Layer '{layer}' and Parameter '{param}'")

    def __getitem__(self, key: int | tuple[str, str]) -> Any:
        if isinstance(key, tuple):
            key = self.index(*key)
        return self.Value[key]

    def __setitem__(self, key: int | tuple[str, str], value: Any) -> None:
        if isinstance(key, tuple):
            key = self.index(*key)
        self.Value[key] = value

    def keys(self) -> list[tuple[str, str]]:
        return list(zip(self.Layer, self.Parameter))

    def like(self, values: list[Any]) -> Table:
        """A table with these rows' Layer/Parameter columns and new values (MATLAB's dlupdate result)."""
        return Table(self.Layer, self.Parameter, values, self.shapes)

    def map(self, fn: Callable[[Any], Any]) -> Table:
        """Apply `fn` to every value (MATLAB's dlupdate)."""
        return self.like([fn(v) for v in self.Value])

    def __repr__(self) -> str:
        rows = [("Layer", "Parameter", "Value")]
        for lay, par, val, shape in zip(self.Layer, self.Parameter, self.Value, self.shapes):
            kind = "dlarray" if isinstance(val, torch.Tensor) else type(val).__name__
            rows.append((lay, par, "{" + matlab_size(shape) + " " + kind + "}"))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["    ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "    ".join("_" * w for w in widths))
        return f"{len(self)}×3 table\n\n" + "\n".join("    " + line for line in lines)
