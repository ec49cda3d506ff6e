"""MATLAB's core functions for translated programs, under their MATLAB names (`from layergraph.port.runtime import *`).

What layergraph already has (layers, dlarray functions, datastores, training) comes from `layergraph`; this
module gathers the MATLAB functions programs call around the toolbox that have no direct Python form, each with
MATLAB's documented behaviour, from the modules that hold them by concern: sizes, elementwise (floor, mod,
double, ...), reductions (sum, max, sort, ...), text (string, sprintf, disp), cells (struct, cellfun), files
(fullfile, load), dictionaries (dictionary), tables (readtable of a CSV file), clock (tic/toc, rng, error),
objects (forward/predict, classdef objects), ode (ode45) and plots (figures written as PNG files; graphics: set,
colororder). Functions whose result depends on how many outputs MATLAB asks for take `nargout=`.
"""
from __future__ import annotations

from layergraph.port import arrays as _arrays
from layergraph.port import cells as _cells
from layergraph.port import clock as _clock
from layergraph.port import dictionaries as _dictionaries
from layergraph.port import elementwise as _elementwise
from layergraph.port import files as _files
from layergraph.port import graphics as _graphics
from layergraph.port import images as _images
from layergraph.port import objects as _objects
from layergraph.port import ode as _ode
from layergraph.port import parsing as _parsing
from layergraph.port import partition as _partition
from layergraph.port import plots as _plots
from layergraph.port import reductions as _reductions
from layergraph.port import signals as _signals
from layergraph.port import sizes as _sizes
from layergraph.port import tables as _tables
from layergraph.port import text as _text
from layergraph.port import values as _values
from layergraph.port.arrays import *  # noqa: F403 - at, setat, horzcat, ...: the generated code's syntax helpers
from layergraph.port.cells import *  # noqa: F403
from layergraph.port.clock import *  # noqa: F403
from layergraph.port.dictionaries import *  # noqa: F403 - dictionary, keys, values, numEntries, isKey
from layergraph.port.elementwise import *  # noqa: F403
from layergraph.port.files import *  # noqa: F403
from layergraph.port.graphics import *  # noqa: F403 - set(gca, ...), colororder
from layergraph.port.images import *  # noqa: F403 - image, imagesc, imshow
from layergraph.port.objects import *  # noqa: F403
from layergraph.port.ode import *  # noqa: F403 - ode45, odeset
from layergraph.port.parsing import *  # noqa: F403
from layergraph.port.partition import *  # noqa: F403 - cvpartition, training, test
from layergraph.port.plots import *  # noqa: F403 - figure, plot, title, ...: plots written as PNG files
from layergraph.port.reductions import *  # noqa: F403
from layergraph.port.signals import *  # noqa: F403 - square, sawtooth
from layergraph.port.sizes import *  # noqa: F403
from layergraph.port.tables import *  # noqa: F403 - readtable, table2array
from layergraph.port.text import *  # noqa: F403
from layergraph.port.values import *  # noqa: F403

_MODULES = (_values, _sizes, _elementwise, _reductions, _text, _cells, _files, _clock, _objects, _parsing,
            _partition, _signals)
# what a module imports for itself, not a MATLAB function of its own
_NOT_EXPORTED = {"annotations", "builtins", "math", "numbers", "os", "random", "re", "sys", "tempfile", "time",
                 "Any", "Callable", "Mapping", "Path", "np", "torch", "DLArray", "tensor", "glob", "mshape",
                 "StructArray"}
_CONSTANTS = ("pi", "Inf", "NaN", "eps")


def _own(module: object, name: str, value: object) -> bool:
    """A MATLAB function (or constant) the module defines, not one it imports."""
    if name in _CONSTANTS:
        return module is _values
    return not name.startswith("_") and name not in _NOT_EXPORTED and \
        getattr(value, "__module__", module.__name__) == module.__name__


__all__ = sorted({*_arrays.__all__, *_plots.__all__, *_images.__all__, *_graphics.__all__, *_ode.__all__,
                   *_tables.__all__, *_dictionaries.__all__}
                 | {n for m in _MODULES for n, v in vars(m).items() if _own(m, n, v)})
