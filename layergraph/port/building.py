"""Building MATLAB arrays in translated programs: `[a b; c d]` (horzcat/vertcat, layer arrays as lists),
`a:b` (colon), `for k = v` over columns, and the matrix operators mtimes, mrdivide, mldivide, mpower."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import DLArray
from layergraph.port.subscripts import (
    _colon_values,
    _End,
    _is_number,
    _is_scalar_number,
    _num,
    _out,
    builtins_any,
    mshape,
    tensor,
)

# ----------------------------------------------------------------------------------------- building

def _is_layer_like(x: Any) -> bool:
    from layergraph.layers import Layer
    return isinstance(x, Layer) or (isinstance(x, list) and bool(x) and all(isinstance(v, Layer) for v in x))


def horzcat(*parts: Any) -> Any:
    """MATLAB's [a b c]: numbers/arrays side by side (a row comes back as a 1-D tensor), chars joined,
    layer arrays and cells as lists."""
    return _concat(parts, 1)


def vertcat(*parts: Any) -> Any:
    """MATLAB's [a; b; c]."""
    return _concat(parts, 0)


def _concat(parts: tuple[Any, ...], axis: int) -> Any:
    if builtins_any(isinstance(p, _End) for p in parts):  # [1 end] in an index: resolved per dimension
        return _End(lambda n: _concat(tuple(p.resolve(n) if isinstance(p, _End) else p for p in parts), axis))
    parts = tuple(p for p in parts if not (isinstance(p, (list, tuple, str)) and len(p) == 0) and p is not None)
    if not parts:
        return []
    parts = tuple(tuple(p) if isinstance(p, list) and all(_is_number(v) for v in p) else p for p in parts)
    if any(_is_layer_like(p) for p in parts) or any(isinstance(p, list) for p in parts):
        out: list[Any] = []
        for p in parts:
            out.extend(p if isinstance(p, list) else [p])
        return out
    if any(isinstance(p, str) for p in parts):
        return _concat_text(parts, axis)
    if any(isinstance(p, DLArray) for p in parts):
        from layergraph.data import cat
        return cat(axis + 1, *parts)
    return _concat_arrays([tensor(p) for p in parts], axis)


def _concat_text(parts: tuple[Any, ...], axis: int) -> str:
    """[a 'b' 67]: char vectors joined, numbers as character codes (a vertical join of char rows refused)."""
    if all(isinstance(p, str) for p in parts):
        if axis == 1:
            return "".join(parts)
        raise ValueError("vertical concatenation of char rows: use a cell array {..} or strings")
    joined = _concat(tuple(tensor(p) if isinstance(p, str) else p for p in parts), axis)
    vals = joined.reshape(-1).tolist() if isinstance(joined, torch.Tensor) else [joined]
    return "".join(chr(int(v)) for v in vals)


def _concat_arrays(ts: list[torch.Tensor], axis: int) -> Any:
    if all(t.dtype == torch.bool for t in ts):
        dtype = torch.bool
    else:  # MATLAB: single with double is single; integers and logicals join doubles as numbers
        single = any(t.dtype in (torch.float32, torch.complex64) for t in ts)
        if any(t.is_complex() for t in ts):  # and one complex element makes the whole array complex
            dtype = torch.complex64 if single else torch.complex128
        else:
            dtype = torch.float32 if single else torch.float64
    nd = max(t.dim() for t in ts)
    ts = [t.reshape(tuple(t.shape) + (1,) * (nd - t.dim())).to(dtype) for t in ts]
    ts = [t for t in ts if t.numel()] or ts[:1]
    try:
        out = torch.cat(ts, dim=axis)
    except RuntimeError:
        dims = " vs ".join("×".join(map(str, mshape(t))) for t in ts)
        raise ValueError(f"Dimensions of arrays being concatenated are not consistent ({dims}).") from None
    return _out(out)


def colon(a: Any, b: Any, c: Any = None) -> Any:
    """MATLAB's a:b and a:step:b as a row (a 1-D float64 tensor; an empty 1×0 row when there is nothing)."""
    start, step, stop = (a, 1, b) if c is None else (a, b, c)
    vals = _colon_values(_num(start), _num(step), _num(stop))
    return torch.tensor(vals, dtype=torch.float64)


def forcols(v: Any) -> list[Any]:
    """What MATLAB's `for x = v` visits: the columns of v (numbers for a row; cells as 1×1 cells)."""
    if isinstance(v, (range, str)):
        return list(v)
    if isinstance(v, list):
        return [[e] for e in v]
    if isinstance(v, numbers.Number):
        return [v]
    t = tensor(v)
    if t.dim() == 2 and t.shape[0] == 1:
        vals = t.reshape(-1)
        ints = not vals.dtype.is_floating_point or bool((vals == torch.round(vals)).all())
        return [int(e) if ints and vals.dtype != torch.bool else e for e in vals.tolist()]
    t = t.reshape(t.shape[0], -1)
    return [t[:, j:j + 1] for j in range(t.shape[1])]


# ----------------------------------------------------------------------------------------- operators

def _scalar(x: Any) -> bool:
    # a 1×1 dlarray (rand() is one) scales as any MATLAB scalar does
    return _is_scalar_number(x) or (isinstance(x, (torch.Tensor, np.ndarray)) and x.size == 1
                                    if isinstance(x, np.ndarray) else isinstance(x, torch.Tensor) and x.numel() == 1)


def mtimes(a: Any, b: Any) -> Any:
    """MATLAB's a*b: scaling when either is a scalar, the matrix product otherwise."""
    if _scalar(a) or _scalar(b):
        return a * b
    return _out(tensor(a) @ tensor(b))


def mrdivide(a: Any, b: Any) -> Any:
    """MATLAB's a/b: division by a scalar, otherwise the least-squares solution of x*b = a."""
    if _scalar(b):
        return a / b
    A, B = tensor(a), tensor(b)
    return _out(torch.linalg.lstsq(B.T, A.T).solution.T)


def mldivide(a: Any, b: Any) -> Any:
    """MATLAB's a\\b: b divided by a scalar a, otherwise the solution of a*x = b."""
    if _scalar(a):
        return b / a
    A, B = tensor(a), tensor(b)
    if A.shape[0] == A.shape[1]:
        return _out(torch.linalg.solve(A, B))
    return _out(torch.linalg.lstsq(A, B).solution)


def mpower(a: Any, b: Any) -> Any:
    """MATLAB's a^b: a power of scalars, or of a square matrix to an integer power."""
    if _scalar(a) and _scalar(b):
        return a ** b
    if _scalar(b) and float(b) == int(b):
        return _out(torch.linalg.matrix_power(tensor(a), int(b)))
    raise ValueError("a^b: give a square matrix and an integer power (or use .^ for elementwise powers)")


def transpose(x: Any) -> Any:
    """MATLAB's x' and x.' (real data: the same)."""
    if isinstance(x, (numbers.Number, str)) or x is None:
        return x
    if isinstance(x, list):
        if x and all(isinstance(r, list) for r in x):
            return [list(r) for r in zip(*x)]
        return list(x)
    if isinstance(x, DLArray):
        from layergraph.dlarray import permute
        return permute(x, [2, 1])
    t = tensor(x)
    if t.dim() > 2:
        raise ValueError("Transpose on ND array is not defined. Use PERMUTE instead.")
    return _out(t.t())
