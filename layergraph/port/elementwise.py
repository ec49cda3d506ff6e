"""MATLAB's elementwise functions for translated programs: rounding (MATLAB's halves away from zero),
mod/rem, sqrt/exp/log, trigonometry, std/var/diag, classes (double, single, logical, int32), logical
operators."""
from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import layergraph as _lg
from layergraph.port.subscripts import _out, mshape, tensor
from layergraph.port.values import _NUM, _is_dl


def _elementwise(x: Any, fn: Callable[[torch.Tensor], torch.Tensor], scalar: Callable[[float], Any]) -> Any:
    if isinstance(x, bool):
        x = int(x)
    if isinstance(x, _NUM):
        return scalar(x)
    if isinstance(x, torch.Tensor):
        return fn(x)
    return _out(fn(tensor(x)))


def floor(x: Any) -> Any:
    """MATLAB's floor (a number stays a number: integral results come back as int)."""
    if hasattr(x, "__floor__") and not isinstance(x, (torch.Tensor, _NUM)):
        return math.floor(x)
    return _elementwise(x, torch.floor, lambda v: math.floor(v) if math.isfinite(v) else v)


def ceil(x: Any) -> Any:
    """MATLAB's ceil."""
    if hasattr(x, "__ceil__") and not isinstance(x, (torch.Tensor, _NUM)):
        return math.ceil(x)
    return _elementwise(x, torch.ceil, lambda v: math.ceil(v) if math.isfinite(v) else v)


def _round_tensor(t: torch.Tensor) -> torch.Tensor:
    return torch.sign(t) * torch.floor(torch.abs(t) + 0.5)  # MATLAB rounds halves away from zero


def round(x: Any, n: Any = None) -> Any:
    """MATLAB's round: halves away from zero (Python's round goes to even); round(x, n) to n decimals."""
    if n is not None:
        f = 10.0 ** int(n)
        return _elementwise(x, lambda t: _round_tensor(t * f) / f,
                            lambda v: math.copysign(math.floor(abs(v) * f + 0.5), v) / f)
    if hasattr(x, "__round__") and not isinstance(x, (torch.Tensor, _NUM)):
        return builtins.round(x)
    return _elementwise(x, _round_tensor, lambda v: int(math.copysign(math.floor(abs(v) + 0.5), v))
                        if math.isfinite(v) else v)


def fix(x: Any) -> Any:
    """MATLAB's fix: round toward zero."""
    return _elementwise(x, torch.trunc, lambda v: math.trunc(v) if math.isfinite(v) else v)


def mod(a: Any, b: Any) -> Any:
    """MATLAB's mod: a - floor(a./b).*b, the sign of b; mod(a, 0) is a."""
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return a if b == 0 else a - math.floor(a / b) * b
    ta, tb = (x if isinstance(x, torch.Tensor) else tensor(x) for x in (a, b))
    ta, tb = torch.broadcast_tensors(ta.double() if not ta.is_floating_point() else ta,
                                     tb.double() if not tb.is_floating_point() else tb)
    out = torch.where(tb == 0, ta, ta - torch.floor(ta / tb) * tb)
    return _out(out) if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor) else out


def rem(a: Any, b: Any) -> Any:
    """MATLAB's rem: a - fix(a./b).*b, the sign of a."""
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return a - math.trunc(a / b) * b if b != 0 else math.nan
    ta, tb = tensor(a), tensor(b)
    return _out(ta - torch.trunc(ta / tb) * tb)


def sign(x: Any) -> Any:
    return _elementwise(x, torch.sign, lambda v: (v > 0) - (v < 0))


def abs(x: Any) -> Any:
    """MATLAB's abs (dlarrays and tensors as layergraph's abs)."""
    return _lg.abs(tensor(x)) if isinstance(x, (list, tuple)) else _lg.abs(x)


def sqrt(x: Any) -> Any:
    return _lg.sqrt(x) if not isinstance(x, (list, tuple)) else _out(torch.sqrt(tensor(x)))


def exp(x: Any) -> Any:
    return _lg.exp(x) if not isinstance(x, (list, tuple)) else _out(torch.exp(tensor(x)))


def log(x: Any) -> Any:
    return _lg.log(x) if not isinstance(x, (list, tuple)) else _out(torch.log(tensor(x)))


def log2(x: Any) -> Any:
    return _elementwise(x, torch.log2, math.log2)


def log10(x: Any) -> Any:
    return _elementwise(x, torch.log10, math.log10)


def _unary(fn: Callable[[torch.Tensor], torch.Tensor], scalar: Callable[[float], float]) -> Callable[[Any], Any]:
    def apply(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return fn(x)  # dlarrays keep their format (torch's elementwise functions)
        return _elementwise(x, fn, scalar)
    return apply


sin = _unary(torch.sin, math.sin)
cos = _unary(torch.cos, math.cos)
tan = _unary(torch.tan, math.tan)
asin = _unary(torch.asin, math.asin)
acos = _unary(torch.acos, math.acos)
atan = _unary(torch.atan, math.atan)
sinh = _unary(torch.sinh, math.sinh)
cosh = _unary(torch.cosh, math.cosh)
erf = _unary(torch.erf, math.erf)
# torch.real/imag/conj_physical (not the .real property): a dlarray keeps its format through them
real = _unary(lambda t: torch.real(t) if t.is_complex() else t, lambda v: v)
conj = _unary(lambda t: torch.conj_physical(t) if t.is_complex() else t, lambda v: v)
imag = _unary(lambda t: torch.imag(t) if t.is_complex() else torch.zeros_like(t), lambda v: 0.0)


def complex(a: Any, b: Any = 0) -> Any:
    """MATLAB's complex(a, b): a + b*1i kept complex even where b is 0 (single where either part is single); a
    dlarray keeps its format."""
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return builtins.complex(a, b)
    ta = a if isinstance(a, torch.Tensor) else tensor(a)
    tb = b if isinstance(b, torch.Tensor) else tensor(b)
    if ta.is_complex() or tb.is_complex():
        raise ValueError("complex: the real and imaginary parts must be real arrays")
    single = torch.float32 in (ta.dtype, tb.dtype)
    kind = torch.float32 if single else torch.float64
    out = torch.complex(ta.to(kind), tb.to(kind))
    return out if _is_dl(a) or _is_dl(b) else _out(out)


def atan2(y: Any, x: Any) -> Any:
    if isinstance(y, _NUM) and isinstance(x, _NUM):
        return math.atan2(y, x)
    return _out(torch.atan2(tensor(y).double(), tensor(x).double()))


def diag(x: Any, k: Any = 0) -> Any:
    """MATLAB's diag: a vector to a diagonal matrix, a matrix to its diagonal (a column)."""
    t = tensor(x)
    shape = mshape(t)
    if 1 in shape:
        return _out(torch.diag(t.reshape(-1), int(k)))
    return _out(torch.diagonal(t.reshape(shape), int(k)).reshape(-1, 1))


def triu(x: Any, k: Any = 0) -> Any:
    if isinstance(x, torch.Tensor) and x.dim() >= 2:
        return torch.triu(x, int(k))
    return _out(torch.triu(tensor(x), int(k)))


def tril(x: Any, k: Any = 0) -> Any:
    if isinstance(x, torch.Tensor) and x.dim() >= 2:
        return torch.tril(x, int(k))
    return _out(torch.tril(tensor(x), int(k)))


def fileread(filename: Any, *args: Any) -> str:
    return Path(str(filename)).read_text(encoding="utf-8", errors="replace")


def power(a: Any, b: Any) -> Any:
    return a ** b


def hypot(a: Any, b: Any) -> Any:
    return sqrt(a * a + b * b)


def double(x: Any) -> Any:
    """MATLAB's double: numbers stay Python numbers; arrays (and dlarrays) become float64."""
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, _NUM):
        return float(x) if not isinstance(x, int) else x
    if isinstance(x, str):
        return tensor(x)
    if isinstance(x, torch.Tensor):
        return x.double() if x.numel() != 1 or x.requires_grad or _is_dl(x) else float(x.item())
    return _out(tensor(x).double())


def single(x: Any) -> Any:
    """MATLAB's single: arrays become float32 (a number becomes a 1×1 float32 tensor, so it stays single)."""
    if isinstance(x, torch.Tensor):
        return x.float()
    t = tensor(x).float()
    return t.reshape(mshape(t)) if t.numel() != 1 else t.reshape(1, 1)


def logical(x: Any) -> Any:
    if isinstance(x, _NUM):
        return bool(x)
    return tensor(x) != 0


def int32(x: Any) -> Any:
    """MATLAB's int32 and friends round to nearest (halves away from zero); numbers become int."""
    r = round(x)
    return int(r) if isinstance(r, _NUM) else r


int64 = int16 = int8 = uint8 = uint16 = uint32 = uint64 = int32


def and_(a: Any, b: Any) -> Any:
    """MATLAB's a & b (elementwise)."""
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return bool(a) and bool(b)
    return (tensor(a) != 0) & (tensor(b) != 0)


def or_(a: Any, b: Any) -> Any:
    """MATLAB's a | b (elementwise)."""
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return bool(a) or bool(b)
    return (tensor(a) != 0) | (tensor(b) != 0)


def not_(x: Any) -> Any:
    """MATLAB's ~x: true where x is zero."""
    if isinstance(x, _NUM):
        return not x
    return _out(tensor(x) == 0) if not isinstance(x, torch.Tensor) else x == 0


def xor(a: Any, b: Any) -> Any:
    if isinstance(a, _NUM) and isinstance(b, _NUM):
        return bool(a) != bool(b)
    return (tensor(a) != 0) ^ (tensor(b) != 0)
