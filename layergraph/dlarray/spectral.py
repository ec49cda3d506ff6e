"""MATLAB's discrete Fourier transforms `fft` and `ifft` on dlarrays, tensors and numpy arrays (torch.fft, so
dlgradient differentiates through them), with MATLAB's argument rules: the first non-singleton dimension by
default, `n` zero-pads or truncates, `[]` keeps a default, `ifft(..., "symmetric")` returns the real inverse of
conjugate-symmetric data. A formatted dlarray keeps its format (only the transformed dimension's size changes);
an unformatted one stays unformatted."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import DLArray, label, matlab_data, no_labels, plain, wrap
from layergraph.namevalue import matlab_keywords

__all__ = ["fft", "ifft"]

_SYMFLAGS = ("symmetric", "nonsymmetric")


@matlab_keywords
def fft(X: Any, n: Any = None, dim: Any = None) -> Any:
    """MATLAB's fft(X), fft(X, n), fft(X, n, dim): the discrete Fourier transform along one dimension."""
    return _transform("fft", X, (n, dim), False)


def ifft(X: Any, *args: Any) -> Any:
    """MATLAB's ifft(Y), ifft(Y, n), ifft(Y, n, dim) and each with a last "symmetric" (the real inverse that
    takes Y as conjugate symmetric, reading its first floor(n/2)+1 elements) or "nonsymmetric" (the default)."""
    rest = list(args)
    symmetric = False
    if rest and isinstance(rest[-1], str):
        flag = rest.pop().lower()
        if flag not in _SYMFLAGS:
            raise ValueError(f"ifft: unknown option '{flag}'; the options are 'symmetric' and 'nonsymmetric'")
        symmetric = flag == "symmetric"
    if len(rest) > 2:
        raise ValueError(f"ifft: too many arguments ({len(args) + 1}); the forms are ifft(Y, n, dim, symflag)")
    return _transform("ifft", X, (*rest, None, None)[:2], symmetric)


def _transform(name: str, X: Any, n_dim: tuple[Any, Any], symmetric: bool) -> Any:
    """The transform of X in MATLAB layout along MATLAB dimension `dim`, returned as the kind of array X is."""
    if isinstance(X, str) or (isinstance(X, (list, tuple, dict)) and not _numeric_list(X)):
        raise TypeError(f"{name}: the input must be a numeric array or dlarray, not {type(X).__name__}")
    fmt = getattr(X, "fmt", "") if isinstance(X, DLArray) else ""
    t = _matlab(X)
    dim = _dim(name, n_dim[1], t)
    if fmt and dim > len(fmt):
        raise ValueError(f"{name}: dimension {dim} is beyond the {len(fmt)} dimensions of the '{fmt}' dlarray")
    while t.dim() < dim:  # a dimension beyond the array is a singleton one, as in MATLAB
        t = t.unsqueeze(-1)
    length = t.shape[dim - 1] if _empty(n_dim[0]) else _length(name, n_dim[0])
    if not (t.is_floating_point() or t.is_complex()):
        t = t.double()  # MATLAB's fft of integer or logical data is double
    with no_labels():
        if symmetric:
            half = t.narrow(dim - 1, 0, min(length // 2 + 1, t.shape[dim - 1]))
            out = torch.fft.irfft(half, n=length, dim=dim - 1) if length else _empty_like(t, dim, length)
        elif length == 0:
            out = _empty_like(t, dim, 0).to(torch.complex128 if t.dtype == torch.float64 else torch.complex64)
        else:
            out = (torch.fft.fft if name == "fft" else torch.fft.ifft)(t, n=length, dim=dim - 1)
    return _like(X, out.resolve_conj(), fmt)  # torch's ifft may return a lazily conjugated view


def _numeric_list(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(isinstance(v, (int, float, complex, list, tuple)) for v in x)


def _matlab(X: Any) -> torch.Tensor:
    """X's data as a plain tensor in MATLAB layout (a 1-D tensor is a column, as layergraph reads one)."""
    t = matlab_data(X) if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X))
    if t.dim() == 0:
        return t.reshape(1, 1)
    return t.reshape(-1, 1) if t.dim() == 1 else t


def _empty(v: Any) -> bool:
    """MATLAB's [] (None, an empty list or array): the argument's default."""
    if isinstance(v, torch.Tensor):
        return v.numel() == 0
    if isinstance(v, (list, tuple, np.ndarray)):
        return np.size(v) == 0
    return v is None


def _scalar(name: str, what: str, v: Any, low: int) -> int:
    """A whole-number scalar argument >= low (a 1-element array counts), else a one-line error."""
    try:
        count = v.numel() if isinstance(v, torch.Tensor) else np.size(v) if isinstance(v, np.ndarray) else 0
        x = float(v.reshape(-1)[0]) if count == 1 else float(v)
    except (TypeError, ValueError):
        x = math.nan
    if isinstance(v, (bool, str)) or not math.isfinite(x) or x != int(x) or x < low:
        kind = "a positive" if low else "a nonnegative"
        raise ValueError(f"{name}: {what} must be {kind} integer scalar; got {v!r}")
    return int(x)


def _length(name: str, n: Any) -> int:
    return _scalar(name, "the transform length n", n, 0)


def _dim(name: str, dim: Any, t: torch.Tensor) -> int:
    """The MATLAB dimension to transform: given, or the first non-singleton one (1 for a scalar)."""
    if _empty(dim):
        return next((i + 1 for i, s in enumerate(t.shape) if s != 1), 1)
    return _scalar(name, "the dimension dim", dim, 1)


def _empty_like(t: torch.Tensor, dim: int, length: int) -> torch.Tensor:
    shape = list(t.shape)
    shape[dim - 1] = length
    real = t.real if t.is_complex() else t
    return torch.zeros(shape, dtype=real.dtype, device=t.device)


def _like(X: Any, out: torch.Tensor, fmt: str) -> Any:
    """The result as the kind of array X is: a formatted dlarray with X's format, an unformatted dlarray,
    numpy data, or a tensor."""
    if isinstance(X, DLArray):
        return label(out, fmt) if fmt else wrap(out, "")
    if isinstance(X, torch.Tensor):
        return out
    return plain(out).numpy() if isinstance(X, np.ndarray) else out
