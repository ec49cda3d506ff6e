"""MATLAB-style option handling for the data functions: name-value pairs, keywords, case-insensitive names."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from layergraph.errors import OptionError
from layergraph.namevalue import match_name, name_value

__all__ = ["MatlabProperties", "as_list", "choice", "flag", "match_name", "parse_options"]


def parse_options(func: str, args: Sequence[Any], kwargs: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Merge MATLAB name-value pairs (`'Name', value, ...`) and keywords into `defaults`, names case-insensitive."""
    return {**defaults, **name_value(func, args, kwargs, defaults)}


def choice(func: str, option: str, value: Any, allowed: Sequence[str]) -> str:
    """A string option's value, lower-cased, checked against `allowed` (MATLAB compares these case-insensitively)."""
    if isinstance(value, str) and value.lower() in allowed:
        return value.lower()
    raise OptionError(f"{func}: {option} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")


def flag(func: str, option: str, value: Any) -> bool:
    """A logical option (true/false, 1/0)."""
    if isinstance(value, bool) or (isinstance(value, int | float) and value in (0, 1)):
        return bool(value)
    if hasattr(value, "item") and getattr(value, "size", 1) == 1:  # numpy / torch scalars
        return flag(func, option, value.item())
    raise OptionError(f"{func}: {option} must be true or false; got {value!r}")


def as_list(value: Any) -> list[Any]:
    """A string or scalar as a one-element list; MATLAB string arrays / cell arrays (lists, tuples) as lists."""
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


class MatlabProperties:
    """Case-insensitive property access, as ported MATLAB code writes e.g. `augimds.MinibatchSize = 128`.

    Subclasses list their public properties in `_PROPERTIES`; setting any other public name raises instead of
    silently creating a new attribute (a misspelt property would otherwise be ignored).
    """

    _PROPERTIES: tuple[str, ...] = ()

    def _canonical(self, name: str) -> str | None:
        for prop in type(self)._PROPERTIES:
            if prop.lower() == name.lower():
                return prop
        return None

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails: try the case-insensitive spelling
        if not name.startswith("_"):
            canon = self._canonical(name)
            if canon is not None and canon != name:
                return getattr(self, canon)
        raise AttributeError(f"'{type(self).__name__}' has no property '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        canon = self._canonical(name)
        if canon is None:
            raise AttributeError(f"{type(self).__name__}: no property '{name}'; properties: "
                                 f"{', '.join(type(self)._PROPERTIES)}")
        object.__setattr__(self, canon, value)
