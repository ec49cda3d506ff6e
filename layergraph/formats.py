"""MATLAB dimension labels: storage order of a formatted array and where each MATLAB dimension sits in torch.

A formatted dlarray stores its dimensions in MATLAB's order S…, C, B, T, U ("SSCB"); layergraph keeps the
data in torch's order B, C, S…, T, U (NCHW). MATLAB dimension numbers (cat(3, …), size(X, 1),
concatenationLayer(3, …)) count in MATLAB's order; `torch_axis` turns one into the torch axis.
"""
from __future__ import annotations

# MATLAB stores the labels of a formatted dlarray in this order, whatever order the user gave.
MATLAB_ORDER = "SCBTU"
# torch keeps batch first, then channels, then the spatial dimensions (NCHW), then time.
TORCH_ORDER = "BCSTU"


def canonical_format(fmt: str) -> str:
    """Sort labels into MATLAB's storage order (S…, C, B, T, U): "BC" becomes "CB"."""
    fmt = fmt.upper()
    bad = set(fmt) - set(MATLAB_ORDER)
    if bad:
        raise ValueError(f"dlarray: unknown dimension label(s) {sorted(bad)} in '{fmt}'; use S, C, B, T, U")
    for label in "CBT":
        if fmt.count(label) > 1:
            raise ValueError(f"dlarray: label '{label}' appears more than once in '{fmt}'")
    return "".join(sorted(fmt, key=MATLAB_ORDER.index))


def torch_perm(canon: str) -> list[int]:
    """Permutation taking a MATLAB-ordered array with labels `canon` to torch order (B, C, S…, T, U)."""
    return sorted(range(len(canon)), key=lambda i: (TORCH_ORDER.index(canon[i]), i))


def torch_axis(canon: str, dim: int) -> int:
    """The torch axis of 1-based MATLAB dimension `dim` of data labelled `canon` (MATLAB order).

    "SSCB": 1 → 2 (H), 2 → 3 (W), 3 → 1 (C), 4 → 0 (B). "CB": 1 → 1, 2 → 0.
    """
    if not 1 <= dim <= len(canon):
        raise ValueError(f"dimension {dim} is out of range for '{canon}' data (1 to {len(canon)})")
    return torch_perm(canon).index(dim - 1)


def matlab_dim(canon: str, axis: int) -> int:
    """The 1-based MATLAB dimension held by torch axis `axis` of data labelled `canon` (inverse of torch_axis).

    "SSCB": 0 → 4 (B), 1 → 3 (C), 2 → 1 (H), 3 → 2 (W).
    """
    return torch_perm(canon)[axis] + 1
