"""MATLAB-style formatted arrays: `dlarray(x, "SSCB")` maps MATLAB layout (H×W×C×B) to torch's (B×C×H×W)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.formats import MATLAB_ORDER, canonical_format, torch_perm


class DLArray(torch.Tensor):
    """A torch tensor in torch layout that remembers its MATLAB dimension labels in `fmt`."""

    fmt: str = ""

    @property
    def dims(self) -> str:
        """The MATLAB dimension labels, e.g. 'SSCB' (MATLAB's `dims`)."""
        return self.fmt


def wrap(t: torch.Tensor, fmt: str) -> DLArray:
    """Label a tensor that is already in torch layout."""
    out = t.as_subclass(DLArray)
    out.fmt = fmt
    return out


def dlarray(x: Any, fmt: str = "") -> DLArray | torch.Tensor:
    """Create a formatted array from data in MATLAB layout (dims in the order `fmt` names them)."""
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if isinstance(t, DLArray):
        t = t.as_subclass(torch.Tensor)
    if t.dtype == torch.float64:
        t = t.float()  # MATLAB examples pass "single"; keep float32 like minibatchqueue does
    if not fmt:
        return wrap(t, "")
    fmt = fmt.upper()
    canon = canonical_format(fmt)
    if t.dim() > len(fmt):
        raise ValueError(f"dlarray: data has {t.dim()} dimensions but format '{fmt}' labels {len(fmt)}")
    while t.dim() < len(fmt):  # MATLAB drops trailing singleton dimensions
        t = t.unsqueeze(-1)
    # reorder user-given labels into canonical MATLAB order, then into torch order
    to_canon = sorted(range(len(fmt)), key=lambda i: (MATLAB_ORDER.index(fmt[i]), i))
    t = t.permute(to_canon)
    t = t.permute(torch_perm(canon)).contiguous()
    return wrap(t, canon)


def to_matlab_layout(t: torch.Tensor, fmt: str) -> torch.Tensor:
    """Permute a torch-layout tensor with MATLAB labels `fmt` back into MATLAB layout."""
    perm = torch_perm(fmt)
    inverse = [perm.index(i) for i in range(len(perm))]
    return t.permute(inverse)


def extractdata(x: Any) -> torch.Tensor:
    """The plain data of a dlarray, detached, in MATLAB layout (H×W×C×B for "SSCB")."""
    if isinstance(x, DLArray):
        fmt = x.fmt
        t = x.detach().as_subclass(torch.Tensor)
        return to_matlab_layout(t, fmt) if fmt and t.dim() == len(fmt) else t
    if isinstance(x, torch.Tensor):
        return x.detach()
    return torch.as_tensor(np.asarray(x))


def dims(x: Any) -> str:
    """MATLAB's dims(X): the labels of a formatted array, '' for unformatted data."""
    return getattr(x, "fmt", "")


def stripdims(x: torch.Tensor) -> torch.Tensor:
    """Drop the labels, keep data and autograd history (torch layout)."""
    return x.as_subclass(torch.Tensor) if isinstance(x, DLArray) else x
