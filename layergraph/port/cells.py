"""MATLAB's types, cells and structs for translated programs: struct, isfield, fieldnames, cell,
cellfun/arrayfun, class, isa, ..."""
from __future__ import annotations

import builtins
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from layergraph.port.reading import StructArray
from layergraph.port.sizes import isempty, length, numel
from layergraph.port.subscripts import _out, tensor
from layergraph.port.text import _values, ischar
from layergraph.port.values import _NUM, _is_dl, _scalar_value


class struct:  # noqa: N801 - MATLAB's name
    """MATLAB's struct('a', 1, 'b', 2): fields as attributes; `s.a`, `s.(name)` via getfield/setfield."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """struct('a', {1, 2}) is a 1×2 struct array: one struct per cell (text and 1×1 cells repeated)."""
        pairs = [*zip(args[::2], args[1::2]), *kwargs.items()]
        # (an empty list is MATLAB's [], which `{}` also becomes: a field value, not an empty struct array)
        sizes = {len(v) for _, v in pairs if isinstance(v, list) and len(v) > 1}
        if len(sizes) > 1:
            raise ValueError("struct: the cell array values must all have the same number of elements")
        if not sizes:
            return super().__new__(cls)
        n = sizes.pop()
        return StructArray(cls(*[x for name, v in pairs for x in (
            name, [v[k]] if isinstance(v, list) and len(v) == n else v)]) for k in range(n))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) % 2:
            raise ValueError("struct: give field names and values in pairs")
        for name, value in [*zip(args[::2], args[1::2]), *kwargs.items()]:
            if isinstance(value, list) and len(value) == 1:  # a 1×1 cell: its content (longer: a struct array)
                value = value[0]
            setattr(self, str(name), value)

    def __repr__(self) -> str:
        return "struct(" + ", ".join(f"{k}={v!r}" for k, v in vars(self).items()) + ")"

    # read as a mapping of its fields (save writes it as a MATLAB structure, dlgradient walks it as one)
    def __getitem__(self, name: str) -> Any:
        return vars(self)[name]

    def __iter__(self) -> Any:
        return iter(list(vars(self)))

    def keys(self) -> Any:
        return vars(self).keys()

    def items(self) -> Any:
        return vars(self).items()


Mapping.register(struct)


class _FieldWriter:
    def __init__(self, x: Any, field: str, value: Any) -> None:
        self.x, self.field, self.value = x, field, value

    def __getitem__(self, key: Any) -> StructArray:
        old = self.x if isinstance(self.x, list) else [] if self.x is None else [self.x]
        arr = StructArray(struct(**vars(e)) for e in old)  # copies: MATLAB's value semantics
        k = int(key[-1] if isinstance(key, tuple) else key)  # s(i) or s(1, i) of a 1×n struct array
        names = list(vars(arr[0])) if arr else []
        while len(arr) < k:  # MATLAB grows the array with structs whose fields are []
            arr.append(struct(**{name: [] for name in names}))
        element = arr[k - 1]
        setattr(element, self.field, self.value)
        if self.field not in names:  # a new field: every element has it, [] elsewhere
            for other in arr:
                other.__dict__.setdefault(self.field, [])
        return arr


def setfields(x: Any, field: str, value: Any) -> _FieldWriter:
    """`s = setfields(s, "f", v)[i]`: MATLAB's `s(i).f = v` on a struct array (a copy; it grows as needed)."""
    return _FieldWriter(x, field, value)


def namevalues(s: struct, pairs: tuple[Any, ...]) -> struct:
    """An `arguments` block's name-value struct: `pairs` ('Name', value, ...) set its fields (names as
    MATLAB matches them: whole, any case)."""
    if len(pairs) % 2:
        raise ValueError("name-value arguments come in pairs")
    names = {k.lower(): k for k in vars(s)}
    for name, value in zip(pairs[::2], pairs[1::2]):
        key = names.get(str(name).lower())
        if key is None:
            raise ValueError(f"'{name}' is not a recognized parameter; expected one of {', '.join(vars(s))}")
        setattr(s, key, value)
    return s


def isstruct(x: Any) -> bool:
    return isinstance(x, struct)


def isfield(s: Any, name: Any) -> Any:
    if isinstance(name, list):
        return torch.tensor([isfield(s, n) for n in name])
    return isinstance(s, struct) and hasattr(s, str(name))


def fieldnames(s: Any) -> list[str]:
    return list(vars(s)) if isinstance(s, struct) else [k for k in vars(s) if not k.startswith("_")]


def getfield(s: Any, name: str) -> Any:
    return getattr(s, name)


def setfield(s: Any, name: str, value: Any) -> Any:
    """MATLAB's s = setfield(s, name, value) (the port of s.(name) = value)."""
    if s is None:
        s = struct()
    setattr(s, name, value)
    return s


def rmfield(s: struct, name: Any) -> struct:
    out = struct(**vars(s))
    for n in (name if isinstance(name, list) else [name]):
        delattr(out, n)
    return out


def cell(*dims: Any) -> list[Any]:
    """MATLAB's cell(n) / cell(1, n) / cell(m, n): a list of empty cells ([] each); an m×n cell (m > 1) is a
    list of m rows."""
    d = [int(v) for v in (tensor(dims[0]).reshape(-1).tolist() if len(dims) == 1 and not
                          isinstance(dims[0], numbers.Number) else dims)] or [0]
    if len(d) == 1:
        d = d * 2
    m, n = d[0], d[1]
    if m == 1 or n == 1:
        return [[] for _ in range(m * n if m and n else 0)]
    return [[[] for _ in range(n)] for _ in range(m)]


def iscell(x: Any) -> bool:
    return isinstance(x, list)


def isnumeric(x: Any) -> bool:
    return (isinstance(x, (int, float, np.number)) and not isinstance(x, bool)) or (
        isinstance(x, (torch.Tensor, np.ndarray)) and x.dtype not in (torch.bool, np.bool_))


def islogical(x: Any) -> bool:
    return isinstance(x, bool) or (isinstance(x, torch.Tensor) and x.dtype == torch.bool)


def isa(x: Any, name: str) -> bool:
    name = str(name)
    if name in ("numeric", "float"):
        return isnumeric(x)
    if name in ("double", "single"):
        return isnumeric(x) and class_(x) == name
    if name == "dlarray":
        return _is_dl(x)
    if name in ("char", "string"):
        return isinstance(x, str)
    if name == "cell":
        return isinstance(x, list)
    if name == "struct":
        return isinstance(x, struct)
    return type(x).__name__ == name or builtins.any(c.__name__ == name.split(".")[-1] for c in type(x).__mro__)


def class_(x: Any) -> str:
    """MATLAB's class (the port of `class(x)`)."""
    if _is_dl(x):
        return "dlarray"
    if isinstance(x, bool) or (isinstance(x, torch.Tensor) and x.dtype == torch.bool):
        return "logical"
    if isinstance(x, str):
        return "char"
    if isinstance(x, list):
        return "cell"
    if isinstance(x, struct):
        return "struct"
    if isinstance(x, torch.Tensor):
        return "single" if x.dtype == torch.float32 else "double"
    if isinstance(x, (int, float)):
        return "double"
    return type(x).__name__


def _uniform(results: list[Any], uniform: bool) -> Any:
    if not uniform:
        return results
    if not results:
        return torch.zeros(1, 0, dtype=torch.float64)
    return _out(torch.tensor([float(_scalar_value(r)) for r in results], dtype=torch.float64)) \
        if not builtins.all(isinstance(r, bool) for r in results) else torch.tensor(results)


def cellfun(fn: Any, *cells: Any, UniformOutput: Any = True, **kwargs: Any) -> Any:
    """MATLAB's cellfun(@f, c1, ..., UniformOutput=false); names of functions ('isempty', 'length') too."""
    args = list(cells)
    if len(args) >= 2 and isinstance(args[-2], str) and args[-2].lower() == "uniformoutput":
        UniformOutput, args = args[-1], args[:-2]
    f = _BY_NAME.get(fn, fn) if isinstance(fn, str) else fn
    results = [_first(f(*vals)) for vals in zip(*args)]
    return _uniform(results, bool(UniformOutput))


def _first(value: Any) -> Any:
    """The first output of a program function that returned several (one output asked for)."""
    return value[0] if type(value) is tuple else value


def arrayfun(fn: Any, *arrays: Any, UniformOutput: Any = True, **kwargs: Any) -> Any:
    """MATLAB's arrayfun(@f, A, ..., UniformOutput=false): f on each element (column-major)."""
    args = list(arrays)
    if len(args) >= 2 and isinstance(args[-2], str) and args[-2].lower() == "uniformoutput":
        UniformOutput, args = args[-1], args[:-2]
    cols = [list(a) if isinstance(a, list) else _values(a) if not isinstance(a, _NUM) else [a] for a in args]
    cols = [[int(v) if isinstance(v, float) and v.is_integer() else v for v in c] for c in cols]
    results = [_first(fn(*vals)) for vals in zip(*cols)]
    return _uniform(results, bool(UniformOutput))


def num2cell(x: Any) -> list[Any]:
    return [v for v in _values(x)]


def deal(*args: Any, nargout: int = 1) -> Any:
    if len(args) == 1:
        return args[0] if nargout == 1 else tuple(args[0] for _ in range(nargout))
    return args if nargout > 1 else args[0]




_BY_NAME: dict[str, Callable[..., Any]] = {
    "isempty": isempty, "length": length, "numel": numel, "ischar": ischar, "isnumeric": isnumeric,
    "islogical": islogical, "isstruct": isstruct, "iscell": iscell,
}
