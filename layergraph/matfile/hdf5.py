"""MAT-files of version 7.3: HDF5 datasets marked with MATLAB_class, read with h5py into the values scipy gives
for older versions (structure records, object arrays for cells, char arrays)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from layergraph.matfile.struct import MatFileError

__all__ = ["read_v73"]


def read_v73(path: Path) -> dict[str, Any]:
    """Variables of a MAT 7.3 file: HDF5 datasets marked with MATLAB_class, stored with reversed dimensions."""
    try:
        import h5py
    except ImportError:
        raise MatFileError("load: reading MAT 7.3 (HDF5) files needs h5py (pip install h5py)") from None
    with h5py.File(path, "r") as f:
        return {name: _h5_value(f, f[name]) for name in f if name != "#refs#"}


def _h5_value(f: Any, node: Any) -> Any:
    """One HDF5 node as scipy gives the value: a structure record, a cell (object array), or an array."""
    import h5py  # already loaded by read_v73

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
    return _h5_array(np.asarray(data).T, cls)  # HDF5 holds MATLAB's column-major data with the dimensions reversed


def _h5_array(arr: np.ndarray, cls: str) -> np.ndarray:
    """A numeric, logical or char dataset (dimensions already in MATLAB's order) as scipy gives it."""
    if cls == "char":
        text = "".join(chr(c) for c in arr.reshape(-1, order="F")) if arr.shape[0] == 1 else None
        if text is None:
            return np.array(["".join(chr(c) for c in row) for row in arr])
        return np.array([text])
    if cls == "logical":
        return arr.astype(bool)
    if arr.dtype.names and {"real", "imag"} <= set(arr.dtype.names):
        return arr["real"] + 1j * arr["imag"]
    return arr
