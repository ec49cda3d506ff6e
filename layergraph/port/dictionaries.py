"""MATLAB's dictionary (R2022b) for translated programs: `d = dictionary(keys, values)`, lookup `d(k)` element by
element in the shape of `k`, `numEntries`, `keys`, `values`, `isKey`.

Text: the runtime holds a char array as a Python str. MATLAB turns a character row given as keys or values into
one string; a char array of n characters given with n values (a column, as `chars'`) is n characters, each a key
(the tokenizer of the nanoGPT example maps characters to tokens so). A dictionary keyed by characters looks a
text key up character by character, one keyed by strings looks it up whole; character values come back as text.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.data.categorical import Categorical
from layergraph.port.subscripts import _flat, _unflat, mshape, tensor

__all__ = ["dictionary", "isKey", "keys", "numEntries", "values"]


class Dictionary:
    """A configured dictionary: its entries in insertion order and the kinds of its keys and values."""

    def __init__(self, ks: list[Any], vs: list[Any], key_kind: str, value_kind: str) -> None:
        self._map: dict[Any, Any] = {}
        for k, v in zip(ks, vs):
            self._map[k] = v  # a repeated key keeps its last value, as MATLAB's does
        self.key_kind, self.value_kind = key_kind, value_kind

    def _lookup_keys(self, k: Any) -> tuple[list[Any], tuple[int, ...]]:
        if isinstance(k, str):
            if self.key_kind == "char":
                return list(k), (1, len(k))
            return [k], (1, 1)
        if isinstance(k, list):  # a string array (or cell of text)
            return [str(v) for v in k], (1, len(k))
        if isinstance(k, Categorical):  # converted to the keys' type as double(c) does: its category numbers
            k = torch.as_tensor(np.asarray(k)).reshape(mshape(k))
        t = tensor(k)
        return [_number(v) for v in _flat(t).tolist()], mshape(t)

    def __matlab_index__(self, subs: list[Any]) -> Any:
        if len(subs) != 1:
            raise IndexError("dictionary: look up with one array of keys, d(keys)")
        ks, shape = self._lookup_keys(subs[0])
        missing = [k for k in ks if k not in self._map]
        if missing:
            raise KeyError(f"dictionary: key not found: {missing[0]!r}")
        return _assemble([self._map[k] for k in ks], shape, self.value_kind)

    def __repr__(self) -> str:
        return f"dictionary ({self.key_kind} ⟼ {self.value_kind}) with {len(self._map)} entries"


def _number(v: Any) -> Any:
    """A numeric key as a hashable Python number (1.0 and 1 are one key, as MATLAB's doubles)."""
    return float(v) if not isinstance(v, bool) else v


def _elements(x: Any, n_other: int | None) -> tuple[list[Any], str]:
    """The elements of a keys or values argument and their kind ('char', 'string', 'double', 'logical')."""
    if isinstance(x, str):
        if len(x) == 1 or (n_other is not None and n_other == len(x) and n_other != 1):
            return list(x), "char"  # characters, one each (a char column)
        return [x], "string"  # a character row: one string, as MATLAB converts it
    if isinstance(x, list):
        return [str(v) for v in x], "string"
    t = tensor(x)
    if t.dtype == torch.bool:
        return [bool(v) for v in _flat(t).tolist()], "logical"
    return [_number(v) for v in _flat(t).tolist()], "double"


def _count(x: Any) -> int:
    if isinstance(x, str):
        return len(x)
    if isinstance(x, list):
        return len(x)
    return tensor(x).numel()


def _assemble(picked: list[Any], shape: tuple[int, ...], kind: str) -> Any:
    """Looked-up values in the shape of the keys: text for characters, a list for strings, else a tensor."""
    if kind == "char":
        return "".join(picked)
    if kind == "string":
        return picked[0] if len(picked) == 1 else picked
    if kind == "logical":
        return _unflat(torch.tensor(picked, dtype=torch.bool), shape) if len(picked) != 1 else picked[0]
    out = torch.tensor(picked, dtype=torch.float64)
    return _unflat(out, shape) if len(picked) != 1 else picked[0]


def dictionary(*args: Any) -> Dictionary:
    """MATLAB's dictionary(keys, values) and dictionary(k1, v1, ..., kN, vN): keys and values the same size, or a
    scalar value for every key."""
    if len(args) % 2:
        raise ValueError("dictionary: give keys and values in pairs, dictionary(keys, values)")
    ks: list[Any] = []
    vs: list[Any] = []
    key_kind = value_kind = ""
    for kx, vx in zip(args[::2], args[1::2]):
        k, key_kind = _elements(kx, _count(vx))
        v, value_kind = _elements(vx, _count(kx))
        if len(v) == 1 and len(k) != 1:
            v = v * len(k)
        if len(v) != len(k):
            raise ValueError(f"dictionary: {len(k)} keys but {len(v)} values; give as many values as keys, or one")
        ks += k
        vs += v
    return Dictionary(ks, vs, key_kind or "double", value_kind or "double")


def numEntries(d: Dictionary) -> int:
    """MATLAB's numEntries(d): how many key-value pairs."""
    return len(d._map)


def keys(d: Dictionary) -> Any:
    """MATLAB's keys(d): the keys in the order they were added, as a column."""
    return _column(list(d._map), d.key_kind)


def values(d: Dictionary, *k: Any) -> Any:
    """MATLAB's values(d) (every value, a column, in key order) or values(d, keys) (as d(keys))."""
    if k:
        return d.__matlab_index__([k[0]])
    return _column(list(d._map.values()), d.value_kind)


def _column(items: list[Any], kind: str) -> Any:
    if kind in ("char", "string"):
        return "".join(items) if kind == "char" else list(items)
    return torch.tensor(items, dtype=torch.bool if kind == "logical" else torch.float64).reshape(-1, 1)


def isKey(d: Dictionary, k: Any) -> Any:
    """MATLAB's isKey(d, keys): true where a key is in the dictionary, in the shape of `keys`."""
    ks, shape = d._lookup_keys(k)
    hits = [key in d._map for key in ks]
    return hits[0] if len(hits) == 1 else _unflat(torch.tensor(hits), shape)
