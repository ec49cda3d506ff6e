"""MATLAB's `save`: variables of the calling code, or keywords, written as a MAT-file (version 7, or 6)."""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.data.categorical import Categorical
from layergraph.dlarray import DLArray, extractdata
from layergraph.errors import LayergraphError
from layergraph.graph import LayerGraph
from layergraph.matfile.read import read_variables
from layergraph.matfile.struct import MatFileError
from layergraph.spec.io import dump_spec
from layergraph.table import Table

__all__ = ["save", "to_mat"]

_FLAGS = ("-v6", "-v7", "-v7.3", "-append", "-struct", "-mat", "-nocompression")


def save(filename: str | os.PathLike[str], *args: Any, **variables: Any) -> None:
    """MATLAB's save(filename, "var1", "var2", ...): the named variables of the calling code, or keywords
    `save(filename, net=net)`; "-struct", s saves the fields of s; "-v7" (default, compressed), "-v6",
    "-append". Without names MATLAB saves the whole workspace: here every variable of the calling function.
    """
    path = Path(filename)
    if not path.suffix:
        path = path.with_suffix(".mat")  # as MATLAB adds .mat
    caller = sys._getframe(1)
    scope = {**caller.f_globals, **caller.f_locals}
    names, flags, struct_of = _save_arguments(args, scope)
    values: dict[str, Any] = {}
    if struct_of is not None:
        fields = names or list(struct_of)
        values.update({f: struct_of[f] for f in fields})
    else:
        for name in names:
            values[name] = _lookup(scope, name)
    if not values and not variables:  # MATLAB's save(filename): the workspace, here the caller's data variables
        values = {k: v for k, v in caller.f_locals.items() if not k.startswith("_") and _savable(v, k)}
    values.update(variables)
    converted = {name: to_mat(value, name) for name, value in values.items()}
    if "-append" in flags and path.exists():
        old = read_variables(path)
        old.update(converted)
        converted = old
    import scipy.io  # only when a MAT-file is written

    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(str(path), converted, do_compression="-v6" not in flags, oned_as="column")


def _save_arguments(args: tuple[Any, ...], scope: dict[str, Any]) -> tuple[list[str], set[str], Any]:
    """save's text arguments: the variable names, the flags, and the structure "-struct" names (or None)."""
    names: list[str] = []
    flags: set[str] = set()
    rest = list(args)
    struct_of: Any = None
    while rest:
        a = rest.pop(0)
        if not isinstance(a, str):
            raise MatFileError(f"save: expected variable names (text), got {type(a).__name__}; pass values as "
                               "keywords, e.g. save(filename, net=net)")
        if not a.startswith("-"):
            names.append(a)
            continue
        flag = a.lower()
        if flag not in _FLAGS:
            raise MatFileError(f"save: option '{a}' is not supported (supported: {', '.join(_FLAGS)})")
        if flag == "-struct":
            struct_of = _struct_argument(rest, scope)
        flags.add(flag)
    if "-v7.3" in flags:
        raise MatFileError("save: '-v7.3' (HDF5) files cannot be written by layergraph; use '-v7' (the default), "
                           "which MATLAB and Octave read; load reads -v7.3 files")
    if "-nocompression" in flags and "-v6" not in flags:
        flags.add("-v6")  # uncompressed, as MATLAB's -nocompression
    return names, flags, struct_of


def _struct_argument(rest: list[Any], scope: dict[str, Any]) -> Mapping[str, Any]:
    """The structure named after "-struct" (taken from `rest`)."""
    if not rest:
        raise MatFileError("save: '-struct' needs the name of a structure variable")
    sname = rest.pop(0)
    struct_of = _lookup(scope, sname)
    if not isinstance(struct_of, Mapping):
        raise MatFileError(f"save: '-struct' variable '{sname}' is not a structure (dict)")
    return struct_of


def _lookup(scope: dict[str, Any], name: str) -> Any:
    if not name.isidentifier():
        raise MatFileError(f"save: '{name}' is not a variable name")
    if name not in scope:
        raise MatFileError(f"save: variable '{name}' not found in the calling code")
    return scope[name]


def _savable(v: Any, name: str) -> bool:
    """What `save(filename)` without names takes from the workspace: every value a MAT-file can hold; Python's
    own objects (modules, functions, parsers, ...), which a MATLAB workspace cannot hold, are left out."""
    try:
        to_mat(v, name)
    except MatFileError:
        return False
    return True


def to_mat(value: Any, where: str) -> Any:
    """A Python value as scipy.io writes MATLAB's: arrays in MATLAB layout, lists as cells, dicts as structs."""
    if isinstance(value, (dlnetwork, LayerGraph, DLArray, torch.Tensor, Categorical, Table)):
        return _object_to_mat(value, where)
    if isinstance(value, Mapping):
        bad = [k for k in value if not (isinstance(k, str) and k.isidentifier())]
        if bad:
            raise MatFileError(f"save: structure '{where}' has field names MATLAB cannot hold: {bad}")
        return {k: to_mat(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return _cell(value, where)
    if value is None:
        return np.zeros((0, 0))
    if isinstance(value, (bool, np.bool_)):
        return np.array([[bool(value)]])
    if isinstance(value, (int, float, np.number)):
        return np.array([[value]], dtype=np.float64 if isinstance(value, (int, float)) else np.asarray(value).dtype)
    if isinstance(value, (str, np.ndarray)):
        return value
    raise MatFileError(f"save: variable '{where}' of type {type(value).__name__} cannot be written to a MAT-file "
                       "(numeric and logical arrays, text, lists (cells), dicts (structures), dlarray, "
                       "categorical, layerGraph and dlnetwork values can)")


def _object_to_mat(value: dlnetwork | LayerGraph | DLArray | torch.Tensor | Categorical | Table, where: str) -> Any:
    """layergraph's objects as arrays, or as structures marked by LayergraphClass that load turns back."""
    if isinstance(value, dlnetwork):
        return _network_struct(value, where)
    if isinstance(value, LayerGraph):  # MATLAB saves a layerGraph object: here its spec
        return {"LayergraphClass": "layerGraph", "Spec": _spec_text(value, where)}
    if isinstance(value, DLArray):
        data = extractdata(value).cpu().numpy()
        if not value.fmt:
            return data
        return {"LayergraphClass": "dlarray", "Data": data, "Format": value.fmt}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, Categorical):
        return {"LayergraphClass": "categorical", "Codes": np.asarray(value.codes, dtype=np.float64),
                "Categories": _cell([str(c) for c in value.categories], f"{where}.Categories")}
    # Learnables, State, gradients: MATLAB tables of Layer, Parameter, Value
    return {"LayergraphClass": "table", "Layer": _cell(list(value.Layer), f"{where}.Layer"),
            "Parameter": _cell(list(value.Parameter), f"{where}.Parameter"),
            "Value": _cell([to_mat(v, f"{where}.Value") for v in value.Value], f"{where}.Value")}


def _cell(items: Any, where: str) -> np.ndarray:
    """A list as a 1×n cell array; a list of equal-length lists as an m×n cell array (rows)."""
    items = list(items)
    rows = items and all(isinstance(r, list) for r in items) and len({len(r) for r in items}) == 1 \
        and len(items[0]) > 0
    shape = (len(items), len(items[0])) if rows else (1, len(items))
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        item = items[idx[0]][idx[1]] if rows else items[idx[1]]
        out[idx] = to_mat(item, f"{where}{{{idx[0] + 1},{idx[1] + 1}}}")
    return out


def _spec_text(net: Any, where: str) -> str:
    try:
        return dump_spec(net)
    except LayergraphError as err:
        raise MatFileError(f"save: {type(net).__name__} '{where}' cannot be saved: {err}") from None


def _network_struct(net: Any, where: str) -> dict[str, Any]:
    """A dlnetwork as a structure: its spec (YAML text) and its learnables and state in MATLAB layout."""
    spec = _spec_text(net, where)
    tables = {}
    for kind in ("Learnables", "State"):
        table = getattr(net, kind)
        rows = [[lay, par, net.getLearnable(lay, par)] for lay, par in zip(table.Layer, table.Parameter)]
        tables[kind] = _cell(rows, f"{where}.{kind}") if rows else np.empty((0, 3), dtype=object)
    return {"LayergraphClass": "dlnetwork", "Spec": spec, "Initialized": bool(net.Initialized), **tables}


