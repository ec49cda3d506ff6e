"""MATLAB's `save` and `load` for MAT-files: numeric arrays, logicals, char text, cell arrays, structures, and
layergraph's dlarray and dlnetwork values, without pickle.

Files are written as MAT version 7 (compressed; `-v6` uncompressed) with scipy.io, so MATLAB and Octave read
them; version 7.3 files (HDF5) are read with h5py. MATLAB's classdef objects (dlarray, dlnetwork, categorical,
string) cannot be written by scipy: layergraph writes dlarrays, dlnetworks and categoricals as structures
marked by a `LayergraphClass` field, which `load` turns back into the objects (MATLAB sees the structures).

Why one module over 400 lines: writing and reading are the two halves of one format (every marked structure
`to_mat` writes, `_from_struct` reads back), kept side by side so that a change to one is seen beside the other; the
7.3 (HDF5) reader at the end is the part to move out first if it grows.
"""
from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from layergraph.errors import LayergraphError
from layergraph.nargout import nargout

__all__ = ["Struct", "load", "save"]

_FLAGS = ("-v6", "-v7", "-v7.3", "-append", "-struct", "-mat", "-nocompression")


class MatFileError(LayergraphError):
    """A MAT-file cannot be written or read as asked."""


class Struct(dict):
    """MATLAB's scalar structure: fields by attribute (`S.net`) and by name (`S["net"]`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"structure has no field '{name}'; fields: {', '.join(self)}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


# ----- save ---------------------------------------------------------------------------------------------------------
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
        values.update({f: struct_of[f] for f in (names or list(struct_of))})
    else:
        values.update({name: _lookup(scope, name) for name in names})
    if not values and not variables:  # MATLAB's save(filename): the workspace, here the caller's data variables
        values = {k: v for k, v in caller.f_locals.items() if not k.startswith("_") and _savable(v, k)}
    values.update(variables)
    converted = {name: to_mat(value, name) for name, value in values.items()}
    if "-append" in flags and path.exists():
        converted = {**_read(path), **converted}
    import scipy.io  # only when a MAT-file is written

    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(str(path), converted, do_compression="-v6" not in flags, oned_as="column")


def _save_arguments(args: tuple[Any, ...], scope: dict[str, Any]) -> tuple[list[str], set[str], Any]:
    """save's arguments after the file: variable names, the flags, and the structure of "-struct" (or None)."""
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


def _struct_argument(rest: list[Any], scope: dict[str, Any]) -> Any:
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
    special = _object_to_mat(value, where)
    if special is not None:
        return special
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


def _object_to_mat(value: Any, where: str) -> Any:
    """layergraph's objects as MATLAB values or marked structures (None: not one of them)."""
    from layergraph.compile.dlnetwork import dlnetwork
    from layergraph.data.categorical import Categorical
    from layergraph.dlarray import DLArray, extractdata
    from layergraph.graph import LayerGraph
    from layergraph.table import Table

    if isinstance(value, dlnetwork):
        return _network_struct(value, where)
    if isinstance(value, LayerGraph):  # MATLAB saves a layerGraph object: here its spec
        return {"LayergraphClass": "layerGraph", "Spec": _spec_text(value, where)}
    if isinstance(value, DLArray):
        data = extractdata(value).cpu().numpy()
        return data if not value.fmt else {"LayergraphClass": "dlarray", "Data": data, "Format": value.fmt}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, Categorical):
        return {"LayergraphClass": "categorical", "Codes": np.asarray(value.codes, dtype=np.float64),
                "Categories": _cell([str(c) for c in value.categories], f"{where}.Categories")}
    if isinstance(value, Table):  # Learnables, State, gradients: MATLAB tables of Layer, Parameter, Value
        return {"LayergraphClass": "table", "Layer": _cell(list(value.Layer), f"{where}.Layer"),
                "Parameter": _cell(list(value.Parameter), f"{where}.Parameter"),
                "Value": _cell([to_mat(v, f"{where}.Value") for v in value.Value], f"{where}.Value")}
    return None


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
    from layergraph.spec.io import dump_spec

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


# ----- load ---------------------------------------------------------------------------------------------------------
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
    data = _read(path)
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


def _read(path: Path) -> dict[str, Any]:
    """The raw variables of a MAT-file (scipy's arrays for v4–v7, h5py values for v7.3)."""
    with open(path, "rb") as f:
        head = f.read(512)
    if head[:6] != b"MATLAB" and not head.startswith(b"\x00\x00\x00\x00"):
        raise MatFileError(f"load: '{path}' is not a MAT-file")
    if b"MATLAB 7.3" in head[:128]:
        return _read_v73(path)
    import scipy.io

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
        from layergraph.dlarray import dlarray

        return dlarray(torch.as_tensor(np.asarray(fields.Data)), str(fields.Format))
    if kind == "categorical":
        from layergraph.data.categorical import Categorical

        cats = fields.Categories if isinstance(fields.Categories, list) else [fields.Categories]
        codes = np.asarray(fields.Codes).astype(np.int64)
        if codes.ndim == 2 and codes.shape[1] == 1:
            codes = codes.reshape(-1)  # an N×1 column is layergraph's 1-D categorical
        return Categorical(categories=cats, codes=codes)
    if kind == "dlnetwork":
        return _network(fields)
    if kind == "layerGraph":
        from layergraph.spec.io import graph_from_data

        return graph_from_data(yaml.safe_load(str(fields.Spec)), "<MAT-file layerGraph>")
    if kind == "table":
        from layergraph.table import Table

        cols = [c if isinstance(c, list) else [c] for c in (fields.Layer, fields.Parameter, fields.Value)]
        return Table(cols[0], cols[1], [torch.as_tensor(np.asarray(v)) for v in cols[2]])
    return fields


def _network(fields: Struct) -> Any:
    """A dlnetwork from its saved structure: the spec (safe YAML), then every learnable and state value."""
    from layergraph.compile.dlnetwork import dlnetwork
    from layergraph.spec.io import graph_from_data

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


# ----- v7.3 (HDF5) --------------------------------------------------------------------------------------------------
def _read_v73(path: Path) -> dict[str, Any]:
    """Variables of a MAT 7.3 file: HDF5 datasets marked with MATLAB_class, stored with reversed dimensions."""
    try:
        import h5py
    except ImportError:
        raise MatFileError("load: reading MAT 7.3 (HDF5) files needs h5py (pip install h5py)") from None
    with h5py.File(path, "r") as f:
        return {name: _h5_value(f, f[name]) for name in f if name != "#refs#"}


def _h5_text(arr: np.ndarray) -> np.ndarray:
    if arr.shape[0] == 1:
        return np.array(["".join(chr(c) for c in arr.reshape(-1, order="F"))])
    return np.array(["".join(chr(c) for c in row) for row in arr])


def _h5_value(f: Any, node: Any) -> Any:
    import h5py

    cls = node.attrs.get("MATLAB_class", b"")
    cls = cls.decode() if isinstance(cls, bytes) else str(cls)
    if isinstance(node, h5py.Group):
        if cls and cls != "struct":
            raise MatFileError(f"load: MATLAB objects of class '{cls}' cannot be read from a 7.3 file")
        rec = np.empty((1, 1), dtype=[(k, object) for k in node])
        for k in node:
            rec[0, 0][k] = _h5_value(f, node[k])
        return rec
    data = node[()]
    if node.attrs.get("MATLAB_empty", 0):
        return np.zeros((0, 0)) if cls != "char" else np.array([""])
    if cls == "cell":
        refs = np.asarray(data).T
        out = np.empty(refs.shape, dtype=object)
        for idx in np.ndindex(*refs.shape):
            out[idx] = _h5_value(f, f[refs[idx]])
        return out
    arr = np.asarray(data).T  # HDF5 holds MATLAB's column-major data with the dimensions reversed
    if cls == "char":
        return _h5_text(arr)
    if cls == "logical":
        return arr.astype(bool)
    if arr.dtype.names and {"real", "imag"} <= set(arr.dtype.names):
        return arr["real"] + 1j * arr["imag"]
    return arr
