"""MATLAB's PaddingValue of convolution layers: a number, or how to extend the input at its edges.

* a number (default 0): that value;
* "symmetric-include-edge": mirrored values including the edge (numpy's 'symmetric': 3 2 1 | 1 2 3 | 3 2 1);
* "symmetric-exclude-edge": mirrored values without repeating the edge (numpy's 'reflect': 3 2 | 1 2 3 | 2 1);
* "replicate": the edge value repeated (numpy's 'edge').
"""
from __future__ import annotations

from typing import Annotated, Any

import torch
import torch.nn.functional as F
from pydantic import BeforeValidator

from layergraph.layers.options import plain

PADDING_MODES = ("symmetric-include-edge", "symmetric-exclude-edge", "replicate")


def _padding_value(value: Any) -> float | str:
    value = plain(value)
    if isinstance(value, str):
        if value.lower() in PADDING_MODES:
            return value.lower()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"PaddingValue must be a number or one of {', '.join(PADDING_MODES)}")


PadValue = Annotated[float | str, BeforeValidator(_padding_value)]


def _mirror(x: torch.Tensor, pads: tuple[int, ...]) -> torch.Tensor:
    """numpy's 'symmetric' padding of the last len(pads)//2 dimensions (torch's pad order: last dim first)."""
    for k in range(len(pads) // 2):
        dim = x.dim() - 1 - k
        before, after = pads[2 * k], pads[2 * k + 1]
        n = x.shape[dim]
        if before > n or after > n:
            raise ValueError(f"'symmetric-include-edge' padding of {max(before, after)} is more than the input "
                             f"size {n}")
        parts = [x.narrow(dim, 0, before).flip(dim), x, x.narrow(dim, n - after, after).flip(dim)]
        x = torch.cat(parts, dim)
    return x


def pad(x: torch.Tensor, pads: tuple[int, ...], value: float | str) -> torch.Tensor:
    """Pad the trailing spatial dimensions of a torch-layout batch (`pads` in F.pad's order) MATLAB's way."""
    if not any(pads):
        return x
    if value == "symmetric-include-edge":
        return _mirror(x, pads)
    if value == "symmetric-exclude-edge":
        return F.pad(x, pads, mode="reflect")
    if value == "replicate":
        return F.pad(x, pads, mode="replicate")
    return F.pad(x, pads, value=float(value))
