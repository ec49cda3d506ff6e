"""MATLAB's file functions for translated programs: fullfile, fileparts, exist, mkdir, dir (a struct array),
load/save of MAT-files (loadvars: a bare `load`)."""
from __future__ import annotations

import builtins
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

import layergraph as _lg
from layergraph.port.cells import struct
from layergraph.port.images import imshow
from layergraph.port.reading import StructArray
from layergraph.port.sizes import size
from layergraph.port.subscripts import _out, mshape, tensor


def fullfile(*parts: Any) -> str:
    """MATLAB's fullfile: parts joined by the file separator (no doubled separators)."""
    parts = tuple(str(p) for p in parts if str(p) != "")
    if not parts:
        return ""
    out = parts[0]
    for p in parts[1:]:
        out = out.rstrip("/\\") + os.sep + p.lstrip("/\\") if out else p
    return out


def fileparts(path: Any, nargout: int = 1) -> Any:
    """MATLAB's [folder, name, ext] = fileparts(path)."""
    p = str(path)
    folder, base = os.path.split(p)
    name, ext = os.path.splitext(base)
    if base.startswith(".") and name == base:
        name, ext = "", base
    parts = (folder, name, ext)
    return parts[0] if nargout <= 1 else parts[:nargout]


def exist(name: Any, kind: Any = None) -> int:
    """MATLAB's exist for files and folders: 7 for a folder, 2 for a file, 0 otherwise."""
    p = Path(str(name))
    kind = None if kind is None else str(kind).lower()
    if kind in (None, "dir") and p.is_dir():
        return 7
    if kind in (None, "file") and p.is_file():
        return 2
    if kind == "file" and p.is_dir():
        return 7
    return 0


def isfile(name: Any) -> bool:
    return Path(str(name)).is_file()


def isfolder(name: Any) -> bool:
    return Path(str(name)).is_dir()


def mkdir(*parts: Any) -> bool:
    Path(fullfile(*parts)).mkdir(parents=True, exist_ok=True)
    return True


def tempdir() -> str:
    """MATLAB's tempdir (with a trailing separator, as MATLAB's)."""
    return tempfile.gettempdir().rstrip(os.sep) + os.sep


def pwd() -> str:
    return os.getcwd()


def websave(filename: Any, url: Any, *args: Any) -> str:
    import urllib.request
    urllib.request.urlretrieve(str(url), str(filename))
    return str(filename)


def untar(filename: Any, folder: Any = ".") -> None:
    import tarfile
    with tarfile.open(str(filename)) as tar:
        tar.extractall(str(folder), filter="data")


def unzip(filename: Any, folder: Any = ".") -> None:
    import zipfile
    with zipfile.ZipFile(str(filename)) as z:
        z.extractall(str(folder))


def openExample(name: Any, *args: Any, SupportingFile: Any = None, WorkDir: Any = None) -> None:
    """MATLAB's openExample(name, SupportingFile=f, WorkDir=d) copies an example's file f into d; a translated
    program cannot fetch MathWorks examples, so f must already be in d (then nothing is done)."""
    opts = dict(zip((str(k) for k in args[::2]), args[1::2]))
    f = SupportingFile if SupportingFile is not None else opts.get("SupportingFile")
    d = WorkDir if WorkDir is not None else opts.get("WorkDir", os.getcwd())
    if f is None:
        raise FileNotFoundError(f"openExample: cannot open the MathWorks example '{name}' offline; "
                                "a translated program can only use its supporting files (SupportingFile=...)")
    if not (Path(str(d)) / str(f)).is_file():
        raise FileNotFoundError(f"openExample: place the example's file '{f}' (from MATLAB's example '{name}') in "
                                f"{Path(str(d)).resolve()}; a translated program cannot fetch MathWorks examples")


def addpath(*args: Any) -> None:
    pass  # the port's modules import each other from the output folder; nothing to add to a search path


rmpath = addpath


def genpath(folder: Any) -> str:
    """MATLAB's genpath: the folder and every folder below it, joined by the path separator (MATLAB leaves out
    private, @class, +package and resources folders); '' for a folder that does not exist."""
    root = Path(str(folder))
    if not root.is_dir():
        return ""
    found = [str(root)]
    for here, subdirs, _ in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d != "private" and d != "resources" and d[:1] not in "@+")
        found.extend(os.path.join(here, d) for d in subdirs)
    return os.pathsep.join(found)


class _DirEntry(struct):
    pass


def dir(pattern: Any = ".") -> StructArray:
    """MATLAB's dir: a struct array with name, folder, date-less isdir and bytes (wildcards as MATLAB)."""
    import glob
    p = str(pattern)
    paths = sorted(glob.glob(os.path.join(p, "*")) if os.path.isdir(p) else glob.glob(p))
    out = []
    if os.path.isdir(p):
        out += [_DirEntry(name=n, folder=os.path.abspath(p), isdir=True, bytes=0) for n in (".", "..")]
    for f in paths:
        out.append(_DirEntry(name=os.path.basename(f), folder=os.path.abspath(os.path.dirname(f)),
                             isdir=os.path.isdir(f), bytes=os.path.getsize(f) if os.path.isfile(f) else 0))
    return StructArray(out)


def _mat_value(v: Any) -> Any:
    """A MAT-file variable as the runtime holds it: numbers as float64 tensors (complex ones complex128: the
    imaginary parts are data), anything else as scipy reads it."""
    a = np.asarray(v)
    if not np.issubdtype(a.dtype, np.number):
        return v
    return torch.from_numpy(np.asarray(a, dtype=np.complex128 if np.iscomplexobj(a) else np.float64))


def load(filename: Any, *names: Any) -> struct:
    """MATLAB's S = load(file): the variables of a .mat file as fields of a struct (needs scipy).
    (`load(file)` without an output creates variables MATLAB-style, which a translated program cannot.)"""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise ImportError("load: reading .mat files needs scipy (pip install scipy)") from None
    data = loadmat(str(filename), squeeze_me=False)
    keep = {str(n) for n in names}
    out = struct()
    for k, v in data.items():
        if k.startswith("__") or (keep and k not in keep):
            continue
        setattr(out, k, _mat_value(v))
    return out


def loadvars(filename: Any, *names: str, current: dict[str, Any] | None = None) -> Any:
    """The port of a bare `load(file)`: the named variables of the .mat file, in order (one: the value); a name
    the file lacks keeps its `current` value (MATLAB's load changes only the variables the file has)."""
    S = load(filename)
    current = current or {}
    missing = [n for n in names if not hasattr(S, n) and n not in current]
    if missing:
        raise NameError(f"load: {filename} has no variable {', '.join(missing)} (the port read "
                        f"{', '.join(missing)} from this file: nothing else in the program defines it)")
    values = tuple(getattr(S, n) if hasattr(S, n) else current[n] for n in names)
    return values[0] if len(values) == 1 else values


def ismatrix(x: Any) -> bool:
    return len(size(x)) == 2


def fliplr(x: Any) -> Any:
    """MATLAB's fliplr: the columns in reverse order."""
    if isinstance(x, (str, list)):
        return x[::-1]
    t = tensor(x)
    return _out(t.reshape(mshape(t)).flip(1))


def flipud(x: Any) -> Any:
    """MATLAB's flipud: the rows in reverse order."""
    if isinstance(x, list):
        return list(x)
    t = tensor(x)
    return _out(t.reshape(mshape(t)).flip(0))


def montage(images: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's montage: the images tiled (layergraph's imtile) and shown in the current figure."""
    return imshow(_lg.imtile(images, *args, **kwargs))


def now() -> float:
    """MATLAB's now: days since year 0 (MATLAB's datenum)."""
    import datetime
    t = datetime.datetime.now()
    return t.toordinal() + 366 + (t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6) / 86400


def datestr(t: Any = None, *args: Any) -> str:
    """MATLAB's datestr(now): 'dd-mmm-yyyy HH:MM:SS'."""
    import datetime
    t = now() if t is None else float(t)
    day = int(t)
    d = datetime.datetime.fromordinal(day - 366) + datetime.timedelta(seconds=builtins.round((t - day) * 86400))
    return d.strftime("%d-%b-%Y %H:%M:%S")
