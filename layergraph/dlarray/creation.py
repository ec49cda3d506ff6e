"""MATLAB's array constructors `rand`, `randn`, `zeros`, `ones` with MATLAB's size arguments and `like`."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from layergraph.dlarray.array import DLArray, plain, wrap

__all__ = ["ones", "rand", "randn", "zeros"]

_TYPES = {"single": torch.float32, "double": torch.float64}


def _size(name: str, args: tuple[Any, ...]) -> list[int]:
    """MATLAB's size forms: f(n) is n×n, f(a, b, ...) and f([a b ...]) as given; f() is 1×1."""
    if not args:
        return [1, 1]
    if len(args) == 1:
        a = args[0]
        if isinstance(a, torch.Tensor):
            a = a.tolist()
        if isinstance(a, (list, tuple)):
            sizes = [int(v) for v in a]
            return sizes if len(sizes) != 1 else [sizes[0], sizes[0]]
        return [int(a), int(a)]
    if any(isinstance(a, (list, tuple, torch.Tensor)) for a in args):
        raise ValueError(f"{name}: give the size as separate numbers or as one vector, not both")
    return [int(a) for a in args]


def _make(name: str, fill: Callable[..., torch.Tensor], args: tuple[Any, ...], like: Any) -> torch.Tensor:
    typename = None
    if len(args) >= 2 and isinstance(args[-2], str) and args[-2].lower() == "like":  # f(sz, "like", p)
        if like is not None:
            raise ValueError(f"{name}: 'like' given twice")
        like, args = args[-1], args[:-2]
    if args and isinstance(args[-1], str):
        typename, args = args[-1].lower(), args[:-1]
        if typename == "like":
            raise ValueError(f"{name}: 'like' needs a prototype array after it")
        if typename not in _TYPES:
            raise ValueError(f"{name}: the class must be 'single' or 'double', got '{typename}'")
    sizes = [max(s, 0) for s in _size(name, args)]
    if like is not None:
        proto = plain(like) if isinstance(like, torch.Tensor) else torch.as_tensor(like)
        dtype = _TYPES[typename] if typename else proto.dtype
        out = fill(sizes, dtype=dtype, device=proto.device)
        # MATLAB: "like" a dlarray gives an unformatted dlarray (MATLAB layout, dims as given)
        return wrap(out, "") if isinstance(like, DLArray) else out
    return fill(sizes, dtype=_TYPES[typename or "double"])


def rand(*args: Any, like: Any = None) -> torch.Tensor:
    """rand(sz...[, 'single'], like=p): uniform (0, 1) numbers in MATLAB layout; `like` a dlarray gives one."""
    return _make("rand", torch.rand, args, like)


def randn(*args: Any, like: Any = None) -> torch.Tensor:
    """randn(sz...[, 'single'], like=p): standard normal numbers in MATLAB layout."""
    return _make("randn", torch.randn, args, like)


def zeros(*args: Any, like: Any = None) -> torch.Tensor:
    """zeros(sz...[, 'single'], like=p): zeros in MATLAB layout."""
    return _make("zeros", torch.zeros, args, like)


def ones(*args: Any, like: Any = None) -> torch.Tensor:
    """ones(sz...[, 'single'], like=p): ones in MATLAB layout."""
    return _make("ones", torch.ones, args, like)
