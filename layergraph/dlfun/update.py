"""MATLAB's dlupdate: apply a function to every learnable of a network, table, list, dict or array."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from layergraph.dlfun.common import DLFunctionError
from layergraph.table import Table

__all__ = ["dlupdate"]


def _values(x: Any) -> tuple[list[Any], Callable[[list[Any]], Any]]:
    """The parameter values of x and a function that builds a container like x from new values."""
    if isinstance(x, Table):
        return list(x.Value), x.like
    if isinstance(x, torch.Tensor):
        return [x], lambda v: v[0]
    if hasattr(x, "Learnables"):
        table = x.Learnables

        def into_net(v: list[Any]) -> Any:
            x.Learnables = table.like(v)  # copies the values into the network's parameters
            return x
        return list(table.Value), into_net
    if isinstance(x, (list, tuple)):
        return list(x), (list if isinstance(x, list) else tuple)
    if isinstance(x, Mapping):
        keys = list(x.keys())
        return [x[k] for k in keys], lambda v: dict(zip(keys, v))
    raise DLFunctionError(f"dlupdate: cannot update a {type(x).__name__}; pass a dlnetwork, a Table, a list, "
                          "a dict or an array")


def dlupdate(fun: Callable[..., Any], A: Any, *B: Any) -> Any:
    """MATLAB's dlupdate(fun, A, B1, …): fun(a, b1, …) for every learnable a of A with the matching entries of
    B1, …, returned in a container like A (a dlnetwork is updated in place and returned).

    If fun returns several outputs (a tuple), dlupdate returns (A_updated, X1, …), each Xi shaped like A
    (a Table when A is a network), as MATLAB's [netUpdated, X1, …] = dlupdate(fun, net, …).
    """
    values, build = _values(A)
    others = [_values(b)[0] for b in B]
    for i, o in enumerate(others):
        if len(o) != len(values):
            raise DLFunctionError(f"dlupdate: argument {i + 3} has {len(o)} entries but the first has {len(values)}")
    results = [fun(v, *(o[j] for o in others)) for j, v in enumerate(values)]
    if not results or not isinstance(results[0], tuple):
        return build(results)
    columns = list(zip(*results))
    rest_build = A.Learnables.like if hasattr(A, "Learnables") and not isinstance(A, Table) else build
    return (build(list(columns[0])), *(rest_build(list(c)) for c in columns[1:]))
