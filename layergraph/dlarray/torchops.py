"""What DLArray's torch dispatch knows about torch itself: which functions keep a dlarray's labels (elementwise
maths, casts and moves, *_like constructors, concatenation), numpy ufuncs as the torch functions that handle
dlarrays, and the layout rules that need no labels (MATLAB's implicit expansion, numeric data meeting formatted
data, indexing that keeps every dimension)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from layergraph.formats import torch_perm

__all__ = ["ELEMENTWISE_BINARY", "KEEP", "UFUNCS", "from_matlab", "keeps_dims", "matlab_broadcast"]


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# torch functions and Tensor methods whose result has the layout of their (formatted) tensor arguments:
# elementwise maths, comparisons, activations, copies/casts/moves, *_like constructors and concatenation.
ELEMENTWISE_BINARY = _names("""
    add sub subtract mul multiply div divide true_divide floor_divide remainder fmod pow float_power atan2 arctan2
    maximum minimum fmax fmin eq ne lt le gt ge greater greater_equal less less_equal not_equal equal logical_and
    logical_or logical_xor bitwise_and bitwise_or bitwise_xor hypot copysign xlogy rsub where lerp addcmul addcdiv
    complex masked_fill clamp clip __add__ __radd__ __iadd__ __sub__ __rsub__ __isub__ __mul__ __rmul__ __imul__
    __truediv__ __rtruediv__ __itruediv__ __div__ __rdiv__ __idiv__ __pow__ __rpow__ __ipow__ __floordiv__
    __rfloordiv__ __mod__ __rmod__ __and__ __rand__ __or__ __ror__ __xor__ __rxor__ __eq__ __ne__ __lt__ __le__
    __gt__ __ge__
""")


KEEP = ELEMENTWISE_BINARY | _names("""
    abs absolute neg negative positive exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square sin cos tan asin acos
    atan sinh cosh tanh asinh acosh atanh sigmoid logit relu relu6 elu selu celu gelu silu mish softplus softsign
    hardtanh hardsigmoid hardswish leaky_relu tanhshrink sign sgn floor ceil round trunc frac reciprocal erf erfc
    erfinv clamp_min clamp_max nan_to_num logical_not bitwise_not isnan isinf isfinite softmax log_softmax dropout
    alpha_dropout deg2rad rad2deg lgamma digamma signbit flip __neg__ __abs__ __pos__ __invert__ clone detach
    contiguous to cpu cuda float double half bfloat16 bool int long type type_as requires_grad_ ones_like
    zeros_like full_like empty_like rand_like randn_like randint_like bernoulli cat concat concatenate __getitem__
    real imag conj conj_physical resolve_conj angle
""")


# numpy ufuncs that reach a dlarray operand, as the torch functions that handle dlarrays
UFUNCS: dict[str, Callable[..., Any]] = {
    "add": torch.add, "subtract": torch.sub, "multiply": torch.mul, "true_divide": torch.true_divide,
    "divide": torch.true_divide, "power": torch.pow, "maximum": torch.maximum, "minimum": torch.minimum,
    "fmax": torch.fmax, "fmin": torch.fmin, "greater": torch.greater, "greater_equal": torch.greater_equal,
    "less": torch.less, "less_equal": torch.less_equal, "equal": torch.eq, "not_equal": torch.ne,
    "logical_and": torch.logical_and, "logical_or": torch.logical_or, "logical_xor": torch.logical_xor,
}


def keeps_dims(key: Any) -> bool:
    """True if torch-order indexing with `key` keeps every dimension in place (slices, one index list)."""
    keys = key if type(key) is tuple else (key,)
    advanced = 0
    for k in keys:
        if k is None or isinstance(k, int):
            return False
        if not isinstance(k, slice) and k is not Ellipsis:
            advanced += 1
    return advanced <= 1


def matlab_broadcast(args: tuple) -> tuple:
    """MATLAB's implicit expansion for MATLAB-layout operands: sizes line up from the first dimension and
    missing trailing dimensions are 1 (32×32×1 meets 32×32 as 32×32, not numpy's right-aligned 32×32×32)."""
    n = max((a.dim() for a in args if isinstance(a, torch.Tensor)), default=0)
    return tuple(a.reshape(*a.shape, *([1] * (n - a.dim()))) if isinstance(a, torch.Tensor) and 0 < a.dim() < n
                 else a for a in args)


def from_matlab(t: torch.Tensor, target: str) -> torch.Tensor:
    """Numeric data (MATLAB layout) meeting `target` data: its dimensions are target's, in order.

    MATLAB stores a formatted dlarray in its label order, so `rand([1 1 1 B], like=X) .* X` on "SSCB" X
    scales each observation; here the unformatted operand is moved to torch layout to give the same result.
    """
    shape = list(t.shape)
    while len(shape) > len(target) and shape[-1] == 1:  # MATLAB has no trailing singleton dimensions
        shape.pop()
    if len(shape) > len(target):
        raise ValueError(f"dlarray: cannot combine numeric data of size {'×'.join(map(str, t.shape))} with "
                         f"'{target}' data elementwise: it has more dimensions than the labels")
    if len(shape) == 1 and len(target) > 1:  # a 1-D tensor is a MATLAB column vector
        shape.append(1)
    shape = shape + [1] * (len(target) - len(shape))
    return t.reshape(shape).permute(torch_perm(target))
