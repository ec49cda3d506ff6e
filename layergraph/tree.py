"""One flatten/rebuild for the parameter containers MATLAB's training functions take.

dlgradient, the *update solvers and checkpoints all accept a network (its Learnables), a Table, a list or
tuple, a dict or a tensor. `flatten` turns one into a list of leaves plus a `Tree` that names each leaf
(for error messages and checkpoint keys) and rebuilds the same kind of container around new leaves.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from layergraph.errors import LayergraphError
from layergraph.table import Table

__all__ = ["Tree", "TreeError", "as_table", "check_tensors", "flatten", "plain", "unflatten"]


class TreeError(LayergraphError, ValueError):
    """A container holds something that is not a tensor or a container; callers prefix their function name."""


def plain(t: torch.Tensor, detach: bool = True) -> torch.Tensor:
    """`t` as a plain torch.Tensor (no DLArray or Parameter subclass), sharing memory; detached unless asked."""
    if detach:
        t = t.detach()
    return t.as_subclass(torch.Tensor) if type(t) is not torch.Tensor else t


def as_table(obj: Any) -> Table | None:
    """A Table itself, or the Learnables Table of a network; None for anything else.

    Raises TreeError when `obj` has Learnables that are not a Table.
    """
    if isinstance(obj, Table):
        return obj
    if isinstance(obj, torch.Tensor) or not hasattr(obj, "Learnables"):
        return None
    table = obj.Learnables
    if not isinstance(table, Table):
        raise TreeError(f"its Learnables is a {type(table).__name__}, not a Table")
    return table


@dataclass(frozen=True)
class Tree:
    """The shape of a flattened container: its kind, its entries' keys and, for nested ones, their trees.

    kind: "tensor", "table", "net" (a network: its Learnables rows), "list", "tuple" or "dict".
    keys: per entry, the (Layer, Parameter) row, the dict key or the list index.
    children: per entry, its own Tree, or None when the entry is a leaf.
    """

    kind: str
    keys: tuple[Any, ...] = ()
    children: tuple[Tree | None, ...] = ()
    table: Table | None = None  # "table"/"net": the Table whose Layer/Parameter columns a rebuild keeps

    @property
    def is_table(self) -> bool:
        return self.kind in ("table", "net")

    def label(self, i: int) -> str:
        """How entry i is named in messages: (Layer 'fc', Parameter 'Bias'), key 'w' or element 3."""
        key = self.keys[i]
        if self.is_table:
            return f"(Layer '{key[0]}', Parameter '{key[1]}')"
        if self.kind == "dict":
            return f"key {key!r}"
        return f"element {key + 1}"

    def labels(self) -> list[str]:
        """A label per leaf, in leaf order ('' for a lone tensor; nested entries joined: "element 2 key 'w'")."""
        if self.kind == "tensor":
            return [""]
        out = []
        for i, child in enumerate(self.children):
            own = self.label(i)
            out += [own] if child is None else [f"{own} {sub}".rstrip() for sub in child.labels()]
        return out

    def size(self) -> int:
        """The number of leaves."""
        if self.kind == "tensor":
            return 1
        return sum(1 if c is None else c.size() for c in self.children)


def flatten(obj: Any, where: str = "input", nested: bool = True) -> tuple[list[Any], Tree]:
    """The leaves of `obj` and its Tree. With nested=False the entries of a list or dict are leaves whatever
    they are (the caller checks them); with nested=True they may be containers again."""
    try:
        table = as_table(obj)
    except TreeError as err:
        raise TreeError(f"{where}: {err}") from None
    if table is not None:
        kind = "table" if table is obj else "net"
        return list(table.Value), Tree(kind, tuple(table.keys()), (None,) * len(table), table)
    if isinstance(obj, torch.Tensor):
        return [obj], Tree("tensor")
    if isinstance(obj, (list, tuple, Mapping)):
        kind = "dict" if isinstance(obj, Mapping) else "tuple" if isinstance(obj, tuple) else "list"
        keys = tuple(obj.keys()) if isinstance(obj, Mapping) else tuple(range(len(obj)))
        parent = Tree(kind, keys)
        leaves: list[Any] = []
        children: list[Tree | None] = []
        for i, key in enumerate(keys):
            value = obj[key]
            if not nested:
                leaves.append(value)
                children.append(None)
                continue
            sub_leaves, sub = flatten(value, f"{where} {parent.label(i)}", nested)
            leaves += sub_leaves
            children.append(None if sub.kind == "tensor" else sub)
        return leaves, Tree(kind, keys, tuple(children))
    raise TreeError(f"{where} is a {type(obj).__name__}; expected a tensor, a Table, a network (its Learnables) "
                    "or a list/dict of those")


def unflatten(tree: Tree, leaves: list[Any]) -> Any:
    """A container of `tree`'s kind around `leaves` (a network gives a Table like its Learnables)."""
    if tree.kind == "tensor":
        return leaves[0]
    if tree.is_table:
        return tree.table.like(list(leaves))
    values, start = [], 0
    for child in tree.children:
        n = 1 if child is None else child.size()
        values.append(leaves[start] if child is None else unflatten(child, leaves[start:start + n]))
        start += n
    if tree.kind == "dict":
        return dict(zip(tree.keys, values, strict=True))
    return tuple(values) if tree.kind == "tuple" else values


def check_tensors(leaves: list[Any], tree: Tree, where: str) -> None:
    """TreeError naming the first leaf that is not a tensor: "grad (Layer 'fc', Parameter 'Bias') is a str"."""
    for value, label in zip(leaves, tree.labels(), strict=True):
        if not isinstance(value, torch.Tensor):
            name = f"{where} {label}".strip()
            raise TreeError(f"{name} is a {type(value).__name__}, not a tensor")
