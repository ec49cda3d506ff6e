"""MATLAB array semantics for translated programs: 1-based indexing with `end`, concatenation, ranges.

Values in a translated program: a MATLAB scalar is a Python number, a char vector or string a `str`, a cell
row a `list`, a numeric array a torch tensor in MATLAB layout (float64 unless made otherwise). A row vector
may be a 1-D tensor (what `horzcat` and `colon` return, so layer options see a plain vector) or a 1×n one:
both have MATLAB size 1×n here. dlarrays keep their own (MATLAB-ordered) indexing through `X.m`.

`at(x)[i, j]` is MATLAB's `x(i, j)`: subscripts are 1-based, a Python slice `a:b` is MATLAB's inclusive
range `a:b`, `:` is `:` and `END` is `end` (arithmetic on it is resolved per dimension).
`x = setat(x, v)[i, j]` is `x(i, j) = v` (a changed copy, MATLAB's value semantics; arrays grow as in
MATLAB), `x = delat(x)[i]` is `x(i) = []`; `brace(c)[i]` and `setbrace(c, v)[i]` are `c{i}` and `c{i} = v`.
They live in subscripts, reading, writing and building; this module gathers them for the generated code.
"""
from __future__ import annotations

from layergraph.port.building import colon, forcols, horzcat, mldivide, mpower, mrdivide, mtimes, transpose, vertcat
from layergraph.port.reading import StructArray, at, brace
from layergraph.port.subscripts import END, mshape
from layergraph.port.writing import delat, setat, setbrace

__all__ = ["END", "StructArray", "at", "brace", "colon", "delat", "forcols", "horzcat", "mldivide", "mpower",
           "mrdivide", "mshape", "mtimes", "setat", "setbrace", "transpose", "vertcat"]
