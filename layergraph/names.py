"""Unique names: MATLAB's `_1`, `_2`, … suffixes, used for layer names, module keys and imported layers."""
from __future__ import annotations


def unique_name(base: str, taken: set[str], start: int = 1) -> str:
    """`base` if free, else the first free `base_<k>` for k = start, start + 1, …; the name is added to `taken`."""
    name, k = base, start
    while name in taken:
        name = f"{base}_{k}"
        k += 1
    taken.add(name)
    return name
