"""The dlarray type: a torch tensor in torch layout (B×C×H×W) that carries MATLAB's dimension labels.

`dlarray(x, "SSCB")` takes data in MATLAB layout (H×W×C×B) and stores it in torch's layout with the labels
in `fmt`. Elementwise torch operations keep the labels (see `DLArray.__torch_function__`); operations that
move dimensions around (reshape, permute, reductions, torch-order indexing that drops a dimension) return
plain tensors, which MATLAB would call unformatted.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from layergraph.dlarray.torchops import ELEMENTWISE_BINARY, KEEP, UFUNCS, from_matlab, keeps_dims, matlab_broadcast
from layergraph.formats import MATLAB_ORDER, canonical_format, torch_perm
from layergraph.namevalue import matlab_keywords

# `with no_labels():` torch operations treat dlarrays as plain tensors: no dispatch, no alias, plain results.
no_labels = torch._C.DisableTorchFunctionSubclass


class DLArray(torch.Tensor):
    """A torch tensor in torch layout that remembers its MATLAB dimension labels in `fmt` ('' = unformatted).

    A formatted array's labels are in MATLAB's order (S…, C, B, T, U); its data are in torch's order
    (B, C, S…, T, U). An unformatted array is stored as given, which is MATLAB layout.
    """

    fmt: str = ""

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: tuple = (), kwargs: Any = None) -> Any:
        name = getattr(func, "__name__", "")
        with no_labels():
            if name in ELEMENTWISE_BINARY:
                args = _align_labels(args)
            out = func(*args, **kwargs) if kwargs else func(*args)
        # in-place methods return their (already labelled) input object; non-tensors pass through
        if type(out) is not torch.Tensor or name not in KEEP:
            return out
        fmt = _labels_of(args)
        if not fmt:
            # MATLAB: elementwise operations on unformatted dlarrays give unformatted dlarrays (MATLAB layout)
            return _unformatted(out, args) if name != "__getitem__" else out
        if out.dim() != len(fmt):
            return out
        if name == "__getitem__" and not keeps_dims(args[1]):
            return out
        if any(out is a for a in args):  # e.g. x.type_as(y) may return the caller's own plain tensor
            return wrap(out, fmt)
        return adopt(out, fmt)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # numpy data meeting a dlarray (`img .* X`, `X .* img`): numpy would convert the dlarray in its torch
        # layout; the torch function instead reads the numpy operand as MATLAB data (see _align_labels)
        fn = UFUNCS.get(ufunc.__name__)
        if method != "__call__" or fn is None or kwargs:
            return NotImplemented
        return fn(*_as_tensors(inputs))

    def __deepcopy__(self, memo: dict) -> DLArray:
        # torch's default deep copy builds the copy with new_empty([]), which carries no labels
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment")
        if id(self) not in memo:
            with no_labels():
                t = self.detach().clone().requires_grad_(self.requires_grad)
            memo[id(self)] = adopt(t, self.fmt)
        return memo[id(self)]

    @property
    def dims(self) -> str:
        """The MATLAB dimension labels, e.g. 'SSCB' (MATLAB's `dims`)."""
        return self.fmt

    # `X.m[...]`, indexing in MATLAB's dimension order: the property is attached by layergraph.dlarray.indexing
    # (imported with the package), so that module can build on this one without an import circle
    m: Any

    def __float__(self) -> float:
        # MATLAB's double(loss) of a traced dlarray is its value: no autograd warning about the trace
        with no_labels():
            return float(self.detach())

    def __format__(self, spec: str) -> str:
        # a MATLAB 1×1 result is a number to Python code: f"{accuracy:.3f}", f"{loss}"
        if self.numel() == 1:
            with no_labels():
                return format(self.detach().item(), spec)
        return torch.Tensor.__format__(self.as_subclass(torch.Tensor), spec)

    def __repr__(self, **kwargs: Any) -> str:
        body = torch.Tensor.__repr__(self.as_subclass(torch.Tensor), **kwargs)
        if not self.fmt or self.dim() != len(self.fmt):
            return f"{'×'.join(map(str, self.shape)) or '1×1'} dlarray\n{body}"
        head = " × ".join(f"{n}({lab})" for n, lab in zip(matlab_shape(self), self.fmt))
        return f"{head} dlarray (stored in torch layout {'×'.join(map(str, self.shape))})\n{body}"


def _labels_of(args: Any) -> str:
    """The format of the first formatted dlarray among `args` (looking into lists, for torch.cat)."""
    for a in args:
        if type(a) is DLArray and a.fmt:
            return a.fmt
        if type(a) in (list, tuple):
            for b in a:
                if type(b) is DLArray and b.fmt:
                    return b.fmt
    return ""


def _unformatted(out: torch.Tensor, args: Any) -> torch.Tensor:
    """`out` as an unformatted dlarray when a direct argument was one (so it keeps MATLAB-layout semantics)."""
    if any(type(a) is DLArray for a in args) and not any(out is a for a in args):
        return adopt(out, "")
    return out


def _numeric(a: Any) -> bool:
    """MATLAB numeric data: an unformatted dlarray (what layergraph's randn, zeros, stripdims… return) or numpy
    data, converted to a tensor by _as_tensors (marked unformatted there). Plain torch tensors are torch code's
    own, in torch layout."""
    return type(a) is DLArray and not a.fmt


def _as_tensors(args: tuple) -> tuple:
    """numpy operands as tensors (torch's operators refuse them), floating ones in the dlarray's type: MATLAB's
    single .* double is single."""
    if not any(isinstance(a, (np.ndarray, np.generic)) for a in args):
        return args
    ref = next(a for a in args if type(a) is DLArray)
    out = []
    for a in args:
        if isinstance(a, (np.ndarray, np.generic)):
            t = torch.as_tensor(np.asarray(a), device=ref.device)
            t = t.to(ref.dtype) if t.is_floating_point() and ref.is_floating_point() else t
            a = wrap(t, "") if t.dim() else t  # numpy data are MATLAB data
        out.append(a)
    return tuple(out)


def _single_wins(args: tuple) -> tuple:
    """MATLAB's single .* double is single: double operands (randn's default) take the single type of the
    others, instead of torch's promotion to double."""
    kinds = {a.dtype for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()}
    if torch.float64 not in kinds or len(kinds) < 2:
        return args
    low = min((k for k in kinds if k != torch.float64), key=lambda k: torch.finfo(k).bits)
    return tuple((wrap(a.to(low), a.fmt) if type(a) is DLArray else a.to(low))
                 if isinstance(a, torch.Tensor) and a.dtype == torch.float64 else a for a in args)


def _align_labels(args: tuple) -> tuple:
    """Expand formatted operands with fewer labels to the richest format (MATLAB matches labels, not positions).

    `X + Y` with X "SSCB" and Y "CB" treats Y as 1×1×C×B. Formats that do not nest are an error rather than a
    silent broadcast along the wrong dimensions. Numeric operands (numpy arrays, plain tensors, unformatted
    dlarrays) are MATLAB data: they take the labels of the formatted operand in order, as MATLAB applies them.
    Without a formatted operand, MATLAB's implicit expansion lines sizes up from the first dimension.
    """
    args = _single_wins(_as_tensors(args))
    fmts = {a.fmt for a in args if type(a) is DLArray and a.fmt}
    if not fmts:
        return matlab_broadcast(args)
    target = max(fmts, key=len)
    if any(_numeric(a) for a in args):
        args = tuple(from_matlab(a, target) if _numeric(a) else a for a in args)
    if len(fmts) < 2:
        return args
    want = Counter(target)
    for f in fmts:
        if Counter(f) - want:
            raise ValueError(f"dlarray: cannot combine '{f}' and '{target}' data elementwise: the labels do not "
                             "match; relabel one of them with dlarray(stripdims(X), fmt)")
    return tuple(expand_labels(a, target) if type(a) is DLArray and a.fmt and a.fmt != target else a for a in args)


def expand_labels(t: torch.Tensor, target: str) -> torch.Tensor:
    """View torch-layout `t` (labels t.fmt ⊂ target) with singleton dimensions for the labels it lacks."""
    have = [t.fmt[i] for i in torch_perm(t.fmt)]
    shape, j = [], 0
    for label in (target[i] for i in torch_perm(target)):
        if j < len(have) and have[j] == label:
            shape.append(t.shape[j])
            j += 1
        else:
            shape.append(1)
    return t.reshape(shape)


def wrap(t: torch.Tensor, fmt: str) -> DLArray:
    """Label a tensor that is already in torch layout (a labelled alias; `t` itself is left as it is)."""
    out = t.as_subclass(DLArray)
    out.fmt = fmt
    return out


def adopt(t: torch.Tensor, fmt: str) -> DLArray:
    """Label a freshly computed torch-layout tensor that nothing else refers to, in place.

    Cheaper than `wrap`: no alias object, so no extra node in the autograd graph. Only for results an
    operation has just created (never a caller's tensor, whose class would change under them).
    """
    if type(t) is not torch.Tensor:
        return wrap(t, fmt)
    t.__class__ = DLArray
    t.fmt = fmt
    return t  # type: ignore[return-value]


def plain(x: Any) -> torch.Tensor:
    """The same tensor without its dlarray class (torch layout, autograd history kept); numbers → tensors."""
    if isinstance(x, torch.Tensor):
        return x.as_subclass(torch.Tensor) if type(x) is not torch.Tensor else x
    return torch.as_tensor(np.asarray(x))


@matlab_keywords
def dlarray(x: Any, fmt: str = "") -> DLArray:
    """Create a formatted array from data in MATLAB layout (dims in the order `fmt` names them)."""
    if isinstance(x, DLArray) and x.fmt:
        if not fmt or canonical_format(fmt) == x.fmt:
            return x
        raise ValueError(f"dlarray: the input is already labelled '{x.fmt}'; to relabel it as '{fmt}' use "
                         f"dlarray(stripdims(X), '{fmt}')")
    t = plain(x)
    if t.dtype in (torch.float64, torch.complex128):
        # MATLAB examples pass "single"; keep float32 (complex64) like minibatchqueue does
        t = t.to(torch.complex64 if t.is_complex() else torch.float32)
    return label(t, fmt)


def label(t: torch.Tensor, fmt: str) -> DLArray:
    """Label MATLAB-layout data `t` (dims in the order `fmt` names them): stored in torch layout, dtype kept."""
    if not fmt:
        return wrap(t, "")
    fmt = fmt.upper()
    canon = canonical_format(fmt)
    if t.dim() > len(fmt):
        t = _drop_singletons(t, len(fmt), fmt)
    while t.dim() < len(fmt):  # MATLAB drops trailing singleton dimensions
        t = t.unsqueeze(-1)
    # reorder user-given labels into canonical MATLAB order, then into torch order
    to_canon = sorted(range(len(fmt)), key=lambda i: (MATLAB_ORDER.index(fmt[i]), i))
    t = t.permute(to_canon)
    t = t.permute(torch_perm(canon)).contiguous()
    return wrap(t, canon)


def _drop_singletons(t: torch.Tensor, n: int, fmt: str) -> torch.Tensor:
    """MATLAB-layout data with more dimensions than `fmt` labels, seen as MATLAB sees them: trailing singleton
    dimensions do not exist (K×1 is a K-vector for a one-label format such as WeightsFormat "C")."""
    shape = list(t.shape)
    while len(shape) > n and shape[-1] == 1:
        shape.pop()
    if len(shape) > n:
        raise ValueError(f"dlarray: data of size {'×'.join(map(str, t.shape))} has {len(shape)} dimensions but "
                         f"format '{fmt}' labels {n}")
    return t.reshape(shape)


def labelled(x: Any, DataFormat: str | None, fname: str) -> tuple[DLArray, Callable[[Any], Any]]:
    """`x` as a formatted dlarray, plus a function that returns results in x's own form.

    A formatted input is used as it is. Unformatted data (MATLAB layout) need MATLAB's `DataFormat` option;
    results then come back unformatted in that dimension order, as MATLAB's functions return them.
    """
    if isinstance(x, DLArray) and x.fmt:
        if DataFormat:
            raise ValueError(f"{fname}: DataFormat is only for unformatted input; the input is labelled '{x.fmt}'")
        return x, _same
    if not DataFormat:
        raise ValueError(f"{fname}: the input is unformatted; give its DataFormat (e.g. DataFormat='SSCB') "
                         "or label it with dlarray(X, fmt)")
    order = DataFormat.upper()

    def restore(y: Any) -> Any:
        if not isinstance(y, DLArray) or not y.fmt:
            return y
        return stripdims(y, order) if sorted(y.fmt) == sorted(order) else stripdims(y)
    return label(plain(x), order), restore


def _same(y: Any) -> Any:
    return y


def to_matlab_layout(t: torch.Tensor, fmt: str) -> torch.Tensor:
    """Permute a torch-layout tensor with MATLAB labels `fmt` back into MATLAB layout."""
    perm = torch_perm(fmt)
    inverse = [perm.index(i) for i in range(len(perm))]
    return t.permute(inverse)


def matlab_shape(x: Any) -> tuple[int, ...]:
    """Every dimension of `x` in MATLAB layout (formatted: in label order; otherwise as stored)."""
    fmt = getattr(x, "fmt", "")
    with no_labels():
        shape = tuple(x.shape)
    if fmt and len(shape) == len(fmt):
        perm = torch_perm(fmt)
        return tuple(shape[perm.index(i)] for i in range(len(fmt)))
    return shape


def matlab_data(x: Any) -> torch.Tensor:
    """A plain tensor view of `x` in MATLAB layout (keeps autograd history); numpy and numbers become tensors."""
    t = plain(x)
    fmt = getattr(x, "fmt", "")
    return to_matlab_layout(t, fmt) if fmt and t.dim() == len(fmt) else t


def extractdata(x: Any) -> torch.Tensor:
    """The plain data of a dlarray, in MATLAB layout (H×W×C×B for "SSCB"): a detached copy, as MATLAB's is a
    value (a later `X.m[...] = v` or other in-place change of X does not reach it)."""
    if isinstance(x, torch.Tensor):
        fmt = getattr(x, "fmt", "")
        with no_labels():
            t = x.detach()
            t = to_matlab_layout(t, fmt) if fmt and t.dim() == len(fmt) else t
            return t.clone(memory_format=torch.contiguous_format)
    return torch.as_tensor(np.asarray(x))


def dims(x: Any) -> str:
    """MATLAB's dims(X): the labels of a formatted array, '' for unformatted data."""
    return getattr(x, "fmt", "")


@matlab_keywords
def stripdims(x: Any, fmt: str | None = None) -> Any:
    """MATLAB's stripdims: the data unformatted, in MATLAB layout, still traced for dlgradient.

    `stripdims(X, fmt)` orders the dimensions as the labels in `fmt` name them (e.g. "CBT" → C×B×T).
    """
    if not isinstance(x, torch.Tensor):
        return x
    labels = getattr(x, "fmt", "")
    data = matlab_data(x)
    if fmt:
        if not labels:
            raise ValueError("stripdims: a format to order by needs a formatted dlarray")
        data = data.permute(_order(labels, fmt.upper()))
    return wrap(data, "")


def _order(labels: str, fmt: str) -> list[int]:
    """Positions in `labels` of the labels of `fmt`, taken in order (repeated S matched left to right)."""
    if sorted(fmt) != sorted(labels):
        raise ValueError(f"stripdims: format '{fmt}' does not have the same labels as the data ('{labels}')")
    used: list[int] = []
    for lab in fmt:
        used.append(next(i for i, c in enumerate(labels) if c == lab and i not in used))
    return used
