"""predict/forward's InputDataFormats and OutputDataFormats: numeric data labelled on the way in (any order of
dimension letters, as MATLAB takes them) and numeric results laid out in a chosen order on the way out."""
from __future__ import annotations

from typing import Any

import torch

from layergraph.dlarray import DLArray, dlarray, stripdims, wrap
from layergraph.errors import NetworkError


def _per_input(value: Any, n: int, what: str) -> list[str]:
    formats = [value] * n if isinstance(value, str) else [str(v) for v in value]
    if len(formats) != n:
        raise NetworkError(f"{what}: give one format per {'input' if 'Input' in what else 'output'} ({n}); got "
                           f"{len(formats)}")
    return formats


def label_inputs(X: tuple[Any, ...], formats: Any) -> tuple[Any, ...]:
    """Numeric inputs as formatted dlarrays of the given formats ("auto": left for the network to read)."""
    if formats is None:
        return X
    out = []
    for x, fmt in zip(X, _per_input(formats, len(X), "InputDataFormats")):
        numeric = not isinstance(x, DLArray) or not x.fmt
        out.append(dlarray(x.as_subclass(torch.Tensor) if isinstance(x, DLArray) else x, fmt)
                   if numeric and fmt.lower() != "auto" else x)
    return tuple(out)


def lay_out(y: DLArray, want: str) -> DLArray:
    """A formatted result as an unformatted (numeric) array whose dimensions follow `want`, a reordering of
    its format's letters (MATLAB's OutputDataFormats: "CBT" gives C×B×T, "BTC" B×T×C)."""
    have = y.fmt
    if sorted(want.upper()) != sorted(have):
        raise NetworkError(f"OutputDataFormats: '{want}' must name the output's dimensions '{have}' in some order")
    taken: list[int] = []
    for letter in want.upper():  # the k-th S of `want` is the k-th S of the format
        taken.append(next(i for i, c in enumerate(have) if c == letter and i not in taken))
    data = stripdims(y).as_subclass(torch.Tensor)  # MATLAB layout, the format's order
    while data.dim() < len(have):
        data = data.unsqueeze(-1)  # MATLAB drops trailing singleton dimensions; put them back to reorder
    return wrap(data.permute(taken), "")


def shape_outputs(ys: list[DLArray], formats: Any) -> list[DLArray]:
    """Each output laid out as OutputDataFormats names it ("auto": left as the network gives it)."""
    fmts = _per_input(formats, len(ys), "OutputDataFormats")
    return [y if f.lower() == "auto" else lay_out(y, f) for y, f in zip(ys, fmts)]
