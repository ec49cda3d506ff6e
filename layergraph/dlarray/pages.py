"""MATLAB's page-wise matrix product `pagemtimes` on dlarrays, tensors and numpy arrays: Z(:,:,i) =
X(:,:,i)*Y(:,:,i), with the dimensions beyond the second expanded implicitly (a size-1 page dimension meets any
size), optional "transpose"/"ctranspose" of either operand, single precision where either is single and complex
where either is complex, as MATLAB's types combine."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import DLArray, matlab_data, no_labels, wrap

__all__ = ["pagemtimes"]

_TRANSPOSES = ("none", "transpose", "ctranspose")


def pagemtimes(X: Any, *args: Any) -> Any:
    """MATLAB's pagemtimes(X, Y) and pagemtimes(X, transpX, Y, transpY) ("none", "transpose", "ctranspose")."""
    if len(args) == 1:
        Y, tx, ty = args[0], "none", "none"
    elif len(args) == 3:
        tx, Y, ty = args
    else:
        raise ValueError(f"pagemtimes: expected pagemtimes(X, Y) or pagemtimes(X, transpX, Y, transpY); got "
                         f"{len(args) + 1} arguments")
    x, y = _operand(X, "X"), _operand(Y, "Y")
    x, y = _transposed(x, tx, "transpX"), _transposed(y, ty, "transpY")
    x, y = _common_type(x, y)
    pages = _pages(x, y)
    if x.shape[1] != y.shape[0]:
        raise ValueError(f"pagemtimes: the pages' inner dimensions do not agree: {_size(x)} times {_size(y)} "
                         f"(columns of X's pages {x.shape[1]}, rows of Y's pages {y.shape[0]})")
    with no_labels():
        xp = _pages_first(x, len(pages))
        yp = _pages_first(y, len(pages))
        out = torch.matmul(xp, yp)  # broadcasts the leading (page) dimensions, equal in number here
        out = out.permute(*range(out.dim() - 2, out.dim()), *range(out.dim() - 2))
        while out.dim() > 2 and out.shape[-1] == 1:  # MATLAB has no trailing singleton dimensions
            out = out.squeeze(-1)
    if isinstance(X, DLArray) or isinstance(Y, DLArray):
        return wrap(out, "")
    if isinstance(X, np.ndarray) and isinstance(Y, np.ndarray):
        return out.numpy()
    return out


def _operand(A: Any, what: str) -> torch.Tensor:
    """A in MATLAB layout as a plain tensor of at least two dimensions (a 1-D tensor is a column)."""
    if isinstance(A, DLArray) and A.fmt:
        raise ValueError(f"pagemtimes: {what} is a formatted dlarray ('{A.fmt}'); pagemtimes multiplies "
                         "unformatted data: use stripdims first")
    if isinstance(A, (str, dict)) or A is None:
        raise TypeError(f"pagemtimes: {what} must be a numeric array or dlarray, not {type(A).__name__}")
    t = matlab_data(A) if isinstance(A, torch.Tensor) else torch.as_tensor(np.asarray(A))
    if t.dim() == 0:
        return t.reshape(1, 1)
    return t.reshape(-1, 1) if t.dim() == 1 else t


def _transposed(t: torch.Tensor, how: Any, what: str) -> torch.Tensor:
    if not isinstance(how, str) or how.lower() not in _TRANSPOSES:
        raise ValueError(f"pagemtimes: {what} must be 'none', 'transpose' or 'ctranspose'; got {how!r}")
    how = how.lower()
    if how == "none":
        return t
    t = t.transpose(0, 1)
    return t.conj_physical() if how == "ctranspose" and t.is_complex() else t


def _common_type(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """MATLAB's class rules: single wins over double, complex over real, integers and logicals compute as
    double."""
    single = any(t.dtype in (torch.float32, torch.complex64, torch.float16, torch.bfloat16) for t in (x, y))
    complex_ = x.is_complex() or y.is_complex()
    dtype = {(True, True): torch.complex64, (True, False): torch.float32,
             (False, True): torch.complex128, (False, False): torch.float64}[(single, complex_)]
    return x.to(dtype), y.to(dtype)


def _pages(x: torch.Tensor, y: torch.Tensor) -> list[int]:
    """The page sizes of the product: dimensions 3 and beyond, each pair equal or one of them 1."""
    n = max(x.dim(), y.dim())
    xs = list(x.shape[2:]) + [1] * (n - x.dim())
    ys = list(y.shape[2:]) + [1] * (n - y.dim())
    for d, (a, b) in enumerate(zip(xs, ys), start=3):
        if a != b and 1 not in (a, b):
            raise ValueError(f"pagemtimes: the page dimensions are not compatible: dimension {d} has size {a} in "
                             f"X ({_size(x)}) and {b} in Y ({_size(y)})")
    return [max(a, b) for a, b in zip(xs, ys)]


def _pages_first(t: torch.Tensor, count: int) -> torch.Tensor:
    t = t.reshape(*t.shape, *([1] * (count + 2 - t.dim())))
    return t.permute(*range(2, t.dim()), 0, 1)


def _size(t: torch.Tensor) -> str:
    return "×".join(map(str, t.shape))
