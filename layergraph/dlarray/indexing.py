"""`X.m[...]`: index a dlarray in MATLAB's dimension order, with Python's 0-based, half-open rules.

MATLAB's `Y(:,:,:,idx) = 1 - Y(:,:,:,idx)` on "SSCB" data is `Y.m[:, :, :, idx] = 1 - Y.m[:, :, :, idx]`,
with `idx` 0-based as `torch.randperm` makes it. As in MATLAB, every dimension is kept (an integer subscript
leaves a dimension of size 1, so the format survives) and several index lists select the block they span
(MATLAB's `X([1 2],[3 4])` is a 2×2 block, not numpy's pairwise picks).
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from layergraph.dlarray.array import DLArray, adopt, label, matlab_shape, no_labels, plain, wrap
from layergraph.formats import torch_perm

_ALL = slice(None)


class MatlabIndexer:
    """The `.m` view of a dlarray: `X.m[i, j, ...]` reads and `X.m[i, j, ...] = v` writes in MATLAB order."""

    def __init__(self, x: DLArray) -> None:
        self.x = x

    def __getitem__(self, key: Any) -> DLArray:
        x = self.x
        subs = _subscripts(x, key)
        with no_labels():
            t = x
            for axis, sub in subs:
                if sub != _ALL:
                    t = _take(t, axis, sub)
        return adopt(t, x.fmt) if t is not x else wrap(t, x.fmt)

    def __setitem__(self, key: Any, value: Any) -> None:
        x = self.x
        matlab_subs = _subscripts(x, key)
        subs = sorted(matlab_subs, key=lambda p: p[0])
        value = _torch_layout_value(x, _fit_block(value, x, matlab_subs))
        with no_labels():
            if sum(not isinstance(s, slice) for _, s in subs) <= 1:
                # slices and at most one index list: torch's own indexing keeps every dimension in place
                index: tuple[Any, ...] = tuple(s if isinstance(s, slice) else s.to(x.device) for _, s in subs)
            else:
                # MATLAB selects the block all subscripts span: index tensors broadcast as an outer product
                parts = []
                for axis, sub in subs:
                    idx = torch.arange(x.shape[axis])[sub] if isinstance(sub, slice) else sub
                    shape = [1] * len(subs)
                    shape[axis] = -1
                    parts.append(idx.to(x.device).reshape(shape))
                index = tuple(parts)
            x[index] = value


def _fit_block(value: Any, x: DLArray, subs: list[tuple[int, Any]]) -> Any:
    """MATLAB's subscripted assignment: a right-hand side with the block's non-singleton sizes in the same
    order fits it (`A(:,1,1,:) = B` with B N×M and the block N×1×1×M)."""
    if isinstance(value, numbers.Number) or (isinstance(value, DLArray) and value.fmt):
        return value
    shape = matlab_shape(x)
    block = [len(range(*s.indices(shape[d]))) if isinstance(s, slice) else int(s.numel())
             for d, (_, s) in enumerate(subs)]
    t = plain(value if isinstance(value, torch.Tensor) else np.asarray(value))
    if t.numel() <= 1 or list(t.shape) == block:
        return value
    if [n for n in t.shape if n != 1] == [n for n in block if n != 1]:
        reshaped = t.reshape(block)  # only singleton dimensions move, so the element order is kept
        return wrap(reshaped, "") if isinstance(value, DLArray) else reshaped
    return value


def _take(t: torch.Tensor, axis: int, sub: Any) -> torch.Tensor:
    """Select `sub` (a slice: a view; an index tensor: a copy) along `axis`, keeping the dimension."""
    if isinstance(sub, slice):
        return t[(slice(None),) * axis + (sub,)]
    return t.index_select(axis, sub.to(t.device))


def _torch_layout_value(x: DLArray, value: Any) -> Any:
    """The right-hand side of an assignment in x's storage order: MATLAB-layout data is permuted like x."""
    if isinstance(value, numbers.Number):
        return value
    if isinstance(value, DLArray) and value.fmt:
        if value.fmt != x.fmt:
            raise ValueError(f"X.m[...] = Y: Y is labelled '{value.fmt}' but X is labelled '{x.fmt}'")
        return value  # already in x's storage order
    if x.fmt:  # unformatted data are in MATLAB layout, as MATLAB assigns them
        return label(plain(value).to(dtype=x.dtype, device=x.device), x.fmt)
    return value


def _subscripts(x: DLArray, key: Any) -> list[tuple[int, Any]]:
    """(torch axis, slice or index tensor) for every MATLAB dimension `key` addresses."""
    keys = list(key) if isinstance(key, tuple) else [key]
    shape = matlab_shape(x)
    n = len(shape)
    if any(k is Ellipsis for k in keys):
        at = keys.index(Ellipsis)
        keys[at:at + 1] = [slice(None)] * max(n - len(keys) + 1, 0)
    if len(keys) < n and any(s != 1 for s in shape[len(keys):]):
        raise IndexError(f"X.m[...]: give one subscript per dimension ({n} for size {_size(shape)}); MATLAB's "
                         "merging of trailing dimensions into the last subscript is not supported")
    for d, extra in enumerate(keys[n:], n):
        # a dimension beyond the array is a singleton, as in MATLAB: it takes only index 0 (MATLAB's 1), once
        sub = _one(extra, 1, d)
        if not ((isinstance(sub, slice) and len(range(*sub.indices(1))) == 1)
                or (not isinstance(sub, slice) and sub.tolist() == [0])):
            raise IndexError(f"X.m[...]: index {_show(extra)} does not select the one element of trailing "
                             f"singleton dimension {d + 1} (size {_size(shape)}); MATLAB's 'Index exceeds "
                             "matrix dimensions'")
    perm = torch_perm(x.fmt) if x.fmt else list(range(n))
    out = []
    for d, k in enumerate(keys[:n]):
        out.append((perm.index(d), _one(k, shape[d], d)))
    return out


def _one(k: Any, size: int, d: int) -> Any:
    """One subscript as a slice (basic) or a 1-D int64 index tensor; integers keep their dimension."""
    if isinstance(k, slice):
        return k
    if isinstance(k, (torch.Tensor, np.ndarray)) and k.ndim == 0 and "bool" not in str(k.dtype):
        k = int(k)
    if isinstance(k, numbers.Integral):
        i = int(k)
        if not -size <= i < size:
            raise IndexError(f"X.m[...]: index {i} is out of range for dimension {d + 1} of size {size}")
        i %= size
        return slice(i, i + 1)
    idx = torch.as_tensor(np.asarray(k) if not isinstance(k, torch.Tensor) else k)
    if idx.dtype == torch.bool:
        if idx.numel() != size:
            raise IndexError(f"X.m[...]: a logical index for dimension {d + 1} needs {size} elements, "
                             f"got {idx.numel()}")
        return idx.reshape(-1).nonzero().reshape(-1)
    idx = idx.reshape(-1).long()
    if idx.numel() and int(idx.min()) < 0:  # Python's negative indices; torch rejects indices ≥ size itself
        if int(idx.min()) < -size:
            raise IndexError(f"X.m[...]: an index is out of range for dimension {d + 1} of size {size}")
        idx = idx % size
    return idx


def _show(k: Any) -> str:
    return repr(k.tolist()) if isinstance(k, (torch.Tensor, np.ndarray)) else repr(k)


def _size(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


DLArray.m = property(MatlabIndexer, doc="Index in MATLAB's dimension order, 0-based: `X.m[:, :, :, idx]` is "
                     "MATLAB's `X(:,:,:,idx)`.")  # type: ignore[assignment]
