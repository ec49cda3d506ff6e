"""Importing the modules a user names with `--import`, and nothing else: the current folder never shadows an
installed package, and whatever the module raises (SystemExit and GeneratorExit included) is one line.

A module name is looked up among the installed modules first (the module path without the current folder);
only when it is not installed is the current folder consulted, and then for that one module (or package)
only. The current folder is taken off the module path for good, so neither the user's module nor layergraph
itself can later import a `matplotlib.py`, `onnx.py` or `sklearn.py` lying there.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from layergraph.errors import LayergraphError

__all__ = ["drop_cwd_from_path", "import_user_module"]


def _is_cwd(entry: str) -> bool:
    """True for a module path entry that means the current folder ('' and '.' included)."""
    if entry in ("", "."):
        return True
    try:
        return os.path.realpath(entry) == os.path.realpath(os.getcwd())
    except (OSError, ValueError):
        return False


def drop_cwd_from_path() -> None:
    """Take every entry naming the current folder off sys.path (in place; `python -m` puts it first)."""
    sys.path[:] = [p for p in sys.path if not (isinstance(p, str) and _is_cwd(p))]


def _installed(name: str) -> bool:
    """True when `name` (a top-level module) is importable without the current folder."""
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _exec(name: str, spec: importlib.machinery.ModuleSpec) -> ModuleType:
    """Create and run the module of `spec` as `name`; a failed run leaves no half-made module behind."""
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _same_file(a: str | None, b: Path) -> bool:
    try:
        return a is not None and os.path.samefile(a, b)
    except OSError:
        return False


def _import_file(label: str, path: Path) -> None:
    if path.suffix != ".py" or not path.is_file():
        raise LayergraphError(f"--import {label}: file not found")
    stem = path.stem
    if not stem.isidentifier():
        raise LayergraphError(f"--import {label}: '{stem}' is not a Python module name (letters, digits, '_')")
    loaded = sys.modules.get(stem)
    if loaded is not None and _same_file(getattr(loaded, "__file__", None), path):
        return  # this file was imported already (as a module name is imported once)
    if _installed(stem):
        raise LayergraphError(f"--import {label}: '{stem}' is the name of an installed (or already imported) "
                              "module, which this file would replace; rename the file")
    spec = importlib.util.spec_from_file_location(stem, path)
    if spec is None or spec.loader is None:
        raise LayergraphError(f"--import {label}: cannot be imported as a Python module")
    _exec(stem, spec)


def _import_name(name: str) -> None:
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        raise LayergraphError(f"--import {name}: neither a .py file nor a module name (dotted Python names)")
    top = parts[0]
    if not _installed(top):
        # not installed: the current folder is consulted for this one module (or package) alone
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(top, [os.getcwd()])
        if spec is None:
            raise LayergraphError(f"--import {name}: no module named '{top}' is installed or in the current "
                                  "folder")
        _exec(top, spec)
    importlib.import_module(name)  # submodules are found through their package, never the current folder


def import_user_module(name: str) -> None:
    """Import a module the user named on the command line (a .py file, or a module name); every failure, a
    SystemExit or GeneratorExit raised by the module included, is a one-line LayergraphError."""
    drop_cwd_from_path()
    if not name:
        raise LayergraphError("--import: the module name is empty")
    try:
        if name.endswith(".py") or os.sep in name or (os.altsep and os.altsep in name):
            _import_file(name, Path(name))
        else:
            _import_name(name)
    except (LayergraphError, KeyboardInterrupt):
        raise  # Ctrl-C stays an interrupt (exit 130)
    except BaseException as err:  # the user's own module failed, or tried to exit: say which and why, one line
        detail = f": {err}" if str(err) else ""
        raise LayergraphError(f"--import {name}: {type(err).__name__}{detail}") from None
    finally:
        drop_cwd_from_path()  # also if the module put the current folder back
