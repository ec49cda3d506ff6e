"""MATLAB's attention function: multihead scaled dot-product attention of given queries, keys and values.

The heads split the channels into numHeads contiguous groups; each query attends over the keys with
softmax(Scale·kᵀq) weights (Scale "auto": 1/sqrt(key channels / numHeads)). Positions are the T of "CBT", the S
of "SCB" or the H·W of "SSCB" (column-major). The math is attentionLayer's (layers/attention.py: attend).
"""
from __future__ import annotations

from typing import Any

import torch

from layergraph.dlarray.array import DLArray, label, labelled, matlab_data, plain, wrap
from layergraph.dlfun.common import DLFunctionError, options, size_str
from layergraph.layers.attention import attend, dot_scale, from_sequence, padding_keys, to_sequence
from layergraph.namevalue import matlab_keywords
from layergraph.nargout import nargout, results

__all__ = ["attention"]

_FORMATS = ("CBT", "SCB", "SSCB")


def _batched(fname: str, what: str, value: Any, fmt: str, order: str | None) -> torch.Tensor:
    """keys, values or the padding mask in torch layout with a B dimension: a dlarray labelled like the queries,
    or unformatted data in the queries' (or DataFormat's) MATLAB layout."""
    if isinstance(value, DLArray) and value.fmt:
        if value.fmt != fmt:
            raise DLFunctionError(f"{fname}: {what} are labelled '{value.fmt}' but the queries '{fmt}'")
        t = plain(value)
    else:
        t = matlab_data(value)
        if t.dim() > len(fmt):
            raise DLFunctionError(f"{fname}: {what} have size {size_str(t)}, more dimensions than the queries' "
                                  f"'{fmt}'")
        t = plain(label(t, order or fmt))
    return t if "B" in fmt else t.unsqueeze(0)


def _like(t: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    return t.to(device=ref.device, dtype=ref.dtype)


def _check(fname: str, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int) -> None:
    """MATLAB's size rules: channels divisible by numHeads, queries and keys alike, one value per key."""
    for what, t in (("queries", q), ("keys", k), ("values", v)):
        if t.shape[1] % heads:
            raise DLFunctionError(f"{fname}: the {what} have {t.shape[1]} channels, not divisible by numHeads "
                                  f"({heads})")
    if q.shape[1] != k.shape[1]:
        raise DLFunctionError(f"{fname}: queries and keys need the same number of channels ({q.shape[1]} ≠ "
                              f"{k.shape[1]})")
    if k.shape[2:].numel() != v.shape[2:].numel() or len({q.shape[0], k.shape[0], v.shape[0]}) > 1:
        raise DLFunctionError(f"{fname}: keys and values need the same positions and all three the same "
                              f"observations; got keys {tuple(k.shape)} and values {tuple(v.shape)} (torch layout)")


def _mask(fname: str, value: Any, lk: int, lq: int, b: int) -> Any:
    """AttentionMask: 'none', 'causal', or numKeys×numQueries (×numObservations) ones and zeros."""
    if isinstance(value, str):
        if value.lower() not in ("none", "causal"):
            raise DLFunctionError(f"{fname}: AttentionMask must be 'none', 'causal' or an array; got {value!r}")
        return value.lower()
    m = matlab_data(value)
    if tuple(m.shape) not in ((lk, lq), (lk, lq, 1), (lk, lq, b)):
        raise DLFunctionError(f"{fname}: AttentionMask has size {size_str(m)}; expected numKeys-by-numQueries "
                              f"({lk}×{lq}) or {lk}×{lq}×{b} (one per observation)")
    return m.reshape(lk, lq) if m.dim() == 3 and m.shape[2] == 1 else m


@matlab_keywords
def attention(queries: Any, keys: Any, values: Any, numHeads: int, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's `[Y, weights] = attention(queries, keys, values, numHeads)`.

    Y has the queries' format and positions with the values' channels; weights (second output) is
    numKeys×numQueries×numHeads×numObservations, unformatted. Options: Scale ("auto"), PaddingMask (keys'
    layout, 1 for data, 0 for padding; the first channel decides), AttentionMask ("none", "causal", an array),
    DropoutProbability (0), DataFormat.
    """
    n = nargout("attention", kwargs.pop("nargout", None))
    opts = options("attention", args, kwargs, {"Scale": "auto", "PaddingMask": None, "AttentionMask": "none",
                                               "DropoutProbability": 0.0, "DataFormat": None})
    x, restore = labelled(queries, opts["DataFormat"], "attention")
    fmt = x.fmt if "B" in x.fmt else "".join(sorted(x.fmt + "B", key="SCBTU".index))
    if fmt not in _FORMATS:
        raise DLFunctionError(f"attention: '{x.fmt}' queries are not supported; use 'CBT', 'SCB' or 'SSCB' data")
    order = opts["DataFormat"]
    q = plain(x) if "B" in x.fmt else plain(x).unsqueeze(0)
    k, v = (_like(_batched("attention", w, a, x.fmt, order), q) for w, a in (("keys", keys), ("values", values)))
    heads = int(numHeads)
    _check("attention", q, k, v, heads)
    qs, ks, vs = to_sequence(q), to_sequence(k), to_sequence(v)
    pad = opts["PaddingMask"]
    keep = None if pad is None else padding_keys(_batched("attention", "PaddingMask", pad, x.fmt, order))
    if keep is not None and tuple(keep.shape) != tuple(ks.shape[:2]):
        raise DLFunctionError(f"attention: PaddingMask has size {size_str(pad)}; it needs the keys' positions and "
                              "observations")
    mask = _mask("attention", opts["AttentionMask"], ks.shape[1], qs.shape[1], qs.shape[0])
    y, w = attend(qs, ks, vs, heads, dot_scale(opts["Scale"], k.shape[1], heads), mask, keep,
                  float(opts["DropoutProbability"]), scores=n >= 2)
    y = from_sequence(y, q)
    out = restore(wrap(y if "B" in x.fmt else y.squeeze(0), x.fmt))
    return results("attention", n, [out, None if w is None else wrap(w.permute(1, 2, 3, 0), "")], "attention")
