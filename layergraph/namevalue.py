"""MATLAB name-value arguments: `f(…, 'Name', value, …)` pairs and keywords, names matched case-insensitively.

One parser for the layer constructors, the data functions and exportONNXNetwork, so they all accept and
refuse the same things with the same words.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from layergraph.errors import LayergraphError, OptionError
from layergraph.nargout import PASS_THROUGH


def match_name(func: str, name: Any, accepted: Iterable[str], error: type[LayergraphError] = OptionError) -> str:
    """The accepted spelling of option `name` (MATLAB ignores case); `error` naming `func` otherwise."""
    accepted = list(accepted)
    if not isinstance(name, str):
        raise error(f"{func}: expected an option name, got {name!r}")
    for canon in accepted:
        if canon.lower() == name.lower():
            return canon
    raise error(f"{func}: unknown option '{name}'; accepted options: {', '.join(accepted)}")


def name_value(func: str, args: Sequence[Any], kwargs: dict[str, Any], accepted: Iterable[str],
               given: dict[str, Any] | None = None, error: type[LayergraphError] = OptionError) -> dict[str, Any]:
    """Options from `'Name', value` pairs followed by keywords, keyed by their accepted spelling.

    `given` holds options already set (positionally); naming one of them again, in any case, is an error, as is
    an unknown name or a name without a value.
    """
    accepted = list(accepted)
    if len(args) % 2:
        raise error(f"{func}: name-value arguments must come in pairs; '{args[-1]}' has no value")
    out = dict(given or {})
    for key, value in [*zip(args[::2], args[1::2]), *kwargs.items()]:
        name = match_name(func, key, accepted, error)
        if name in out:
            raise error(f"{func}: option '{name}' is given twice")
        out[name] = value
    return out


def matlab_keywords(func: Callable[..., Any]) -> Callable[..., Any]:
    """Let `func`'s keyword parameters be spelled in any case (`Like=`, `dataformat=`), as MATLAB's names are.

    MATLAB's `f(x, Name=value)` is `f(x, "Name", value)`, and names ignore case; a function with named Python
    parameters gets the same leniency here, so every MATLAB-named function matches names in this one place.
    """
    params = [p.name for p in inspect.signature(func).parameters.values()
              if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    lower = {p.lower(): p for p in params}
    fname = getattr(func, "__name__", "function")

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        if kwargs and any(k not in params for k in kwargs):
            fixed: dict[str, Any] = {}
            for key, value in kwargs.items():
                canon = lower.get(key.lower(), key)
                if canon in fixed:
                    raise OptionError(f"{fname}: option '{canon}' is given twice")
                fixed[canon] = value
            kwargs = fixed
        return func(*args, **kwargs)
    call.matlab_keywords = True  # type: ignore[attr-defined]
    PASS_THROUGH.add(call.__code__)
    return call
