"""MATLAB's `load`: the variables of a MAT-file (versions 4 to 7 with scipy, 7.3 with h5py) as Python values,
layergraph's marked structures turned back into dlarrays, categoricals, tables and dlnetworks."""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.data.categorical import Categorical
from layergraph.dlarray import dlarray
from layergraph.matfile.hdf5 import read_v73
from layergraph.matfile.struct import MatFileError, Struct
from layergraph.nargout import nargout
from layergraph.spec.io import graph_from_data
from layergraph.table import Table

__all__ = ["from_mat", "load", "read_variables"]


def load(filename: str | os.PathLike[str], *names: str) -> Any:
    """MATLAB's S = load(filename) or load(filename, "var1", ...): the variables as a structure (S.var1).

    Numbers that are 1×1 in MATLAB come back as numbers, other arrays as numpy arrays in MATLAB layout, char
    text as str, cells as lists (rows of lists for m×n cells), structures as Struct. MATLAB's bare
    `load(filename)` (variables appear in the workspace) works at a script's top level; inside a function write
    `S = load(filename)`.
    """
    path = Path(filename)
    if not path.exists() and not path.suffix:
        path = path.with_suffix(".mat")
    if not path.exists():
        raise MatFileError(f"load: unable to find file '{filename}'")
    for n in names:
        if n.startswith("-") and n.lower() != "-mat":
            raise MatFileError(f"load: option '{n}' is not supported (MAT-files only)")
    wanted = [n for n in names if not n.startswith("-")]
    data = read_variables(path)
    missing = [n for n in wanted if n not in data]
    if missing:
        raise MatFileError(f"load: variable(s) {', '.join(missing)} not found in '{path}' "
                           f"(it holds {', '.join(data) or 'nothing'})")
    for k, v in data.items():
        if isinstance(v, _Opaque) and (not wanted or k in wanted):
            raise MatFileError(f"load: variable '{k}' in '{path}' is a MATLAB {v.cls} object (classdef), which "
                               "layergraph cannot read; in MATLAB, save its contents as arrays, cells or a "
                               "structure (e.g. table2struct)")
    S = Struct({k: from_mat(v) for k, v in data.items() if not wanted or k in wanted})
    if nargout("load") == 0:  # MATLAB's bare load(filename): the variables appear in the workspace
        caller = sys._getframe(1)
        if caller.f_code.co_name != "<module>":
            raise MatFileError("load: Python cannot create variables inside a function; write S = load(...) and "
                               "use S.name")
        caller.f_globals.update(S)
    return S


def read_variables(path: Path) -> dict[str, Any]:
    """The raw variables of a MAT-file (scipy's arrays for v4–v7, h5py values for v7.3)."""
    with open(path, "rb") as f:
        head = f.read(512)
    if head[:6] != b"MATLAB" and not head.startswith(b"\x00\x00\x00\x00"):
        raise MatFileError(f"load: '{path}' is not a MAT-file")
    if b"MATLAB 7.3" in head[:128]:
        return read_v73(path)
    import scipy.io  # only when a MAT-file is read (its import costs start-up time)

    try:
        raw = scipy.io.loadmat(str(path), squeeze_me=False, struct_as_record=True, chars_as_strings=True)
        # MATLAB stores a double array of small whole numbers as uint8 (or int16…) data, its class still double;
        # mat_dtype gives the class, but scipy drops imaginary parts with it, so complex values come from `raw`
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            typed = scipy.io.loadmat(str(path), squeeze_me=False, struct_as_record=True, chars_as_strings=True,
                                     mat_dtype=True)
    except (ValueError, NotImplementedError, TypeError) as err:
        raise MatFileError(f"load: cannot read '{path}': {err}") from None
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if isinstance(v, scipy.io.matlab.MatlabOpaque):  # a MATLAB classdef object (table, SeriesNetwork, …)
            name, cls = (_text(v[0][field]) for field in ("s0", "s2"))
            out[name or k] = _Opaque(name or k, cls)
        elif not k.startswith("__"):
            out[k] = _matlab_class(v, typed[k])
    return out


class _Opaque:
    """A MATLAB classdef object in a MAT-file (MATLAB's own serialisation, which scipy cannot decode)."""

    def __init__(self, name: str, cls: str) -> None:
        self.name, self.cls = name, cls


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _matlab_class(stored: Any, typed: Any) -> Any:
    """`stored` (scipy's value in its storage type) in the class MATLAB gives it, read from `typed` (mat_dtype)."""
    if not isinstance(stored, np.ndarray) or not isinstance(typed, np.ndarray) or stored.shape != typed.shape:
        return stored
    if stored.dtype.names:  # structure array: each field of each element
        for idx in np.ndindex(*stored.shape):
            for name in stored.dtype.names:
                stored[idx][name] = _matlab_class(stored[idx][name], typed[idx][name])
        return stored
    if stored.dtype == object:  # cell array
        for idx in np.ndindex(*stored.shape):
            stored[idx] = _matlab_class(stored[idx], typed[idx])
        return stored
    if stored.dtype.kind in "iuf" and typed.dtype.kind in "iufb" and typed.dtype != stored.dtype:
        return typed
    return stored


def from_mat(value: Any) -> Any:
    """A value scipy (or the v7.3 reader) read, as layergraph gives it to Python code."""
    if isinstance(value, np.ndarray):
        if value.dtype.names:  # a structure (array)
            items = [_from_struct(value[idx]) for idx in np.ndindex(*value.shape)]
            return items[0] if value.size == 1 else items
        if value.dtype == object:  # a cell array
            return _from_cell(value)
        if value.dtype.kind == "U":
            texts = [str(t) for t in value.reshape(-1, order="F")]
            return texts[0] if value.size == 1 else ("" if value.size == 0 else texts)
        if value.size == 1 and value.ndim <= 2:
            return value.reshape(())[()]  # MATLAB's 1×1 is a number
        return value
    return value


def _from_cell(value: np.ndarray) -> list[Any]:
    if value.ndim == 2 and value.shape[0] > 1 and value.shape[1] > 1:
        return [[from_mat(value[i, j]) for j in range(value.shape[1])] for i in range(value.shape[0])]
    return [from_mat(v) for v in value.reshape(-1, order="F")]


def _from_struct(record: Any) -> Any:
    fields = Struct({name: from_mat(record[name]) for name in record.dtype.names})
    return _rebuild(fields)


def _rebuild(fields: Struct) -> Any:
    """layergraph's objects saved as marked structures, back as the objects."""
    kind = fields.get("LayergraphClass")
    if kind == "dlarray":
        return dlarray(torch.as_tensor(np.asarray(fields.Data)), str(fields.Format))
    if kind == "categorical":
        cats = fields.Categories if isinstance(fields.Categories, list) else [fields.Categories]
        codes = np.asarray(fields.Codes).astype(np.int64)
        if codes.ndim == 2 and codes.shape[1] == 1:
            codes = codes.reshape(-1)  # an N×1 column is layergraph's 1-D categorical
        return Categorical(categories=cats, codes=codes)
    if kind == "dlnetwork":
        return _network(fields)
    if kind == "layerGraph":
        return graph_from_data(yaml.safe_load(str(fields.Spec)), "<MAT-file layerGraph>")
    if kind == "table":
        cols = [c if isinstance(c, list) else [c] for c in (fields.Layer, fields.Parameter, fields.Value)]
        return Table(cols[0], cols[1], [torch.as_tensor(np.asarray(v)) for v in cols[2]])
    return fields


def _network(fields: Struct) -> Any:
    """A dlnetwork from its saved structure: the spec (safe YAML), then every learnable and state value."""
    graph = graph_from_data(yaml.safe_load(str(fields.Spec)), "<MAT-file dlnetwork>")
    net = dlnetwork(graph, Initialize=bool(fields.get("Initialized", True)))
    for kind in ("Learnables", "State"):
        rows = fields.get(kind, [])
        rows = rows if isinstance(rows, list) else []
        if rows and not isinstance(rows[0], list):  # one row: a 1×3 cell
            rows = [rows]
        for lay, par, val in rows:
            net.setLearnable(str(lay), str(par), np.asarray(val))
    return net
