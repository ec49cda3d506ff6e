"""MATLAB's text functions for translated programs: string, num2str, sprintf/fprintf (MATLAB's format
rules), disp, strcat, strsplit, strjoin, ..."""
from __future__ import annotations

import builtins
import math
import re
import sys
from typing import Any

import numpy as np
import torch

import layergraph as _lg
from layergraph.dlarray.array import DLArray
from layergraph.port.elementwise import round
from layergraph.port.sizes import numel
from layergraph.port.subscripts import _flat, _out, mshape, tensor
from layergraph.port.values import _NUM


def _g(v: float, digits: int) -> str:
    return f"{v:.{digits}g}"


def _num2str_scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    if v.is_integer():
        return str(int(v))
    digits = builtins.min(builtins.max(math.floor(math.log10(builtins.abs(v))) + 5, 5), 16)
    return _g(v, digits)


def num2str(x: Any, arg: Any = None) -> str:
    """MATLAB's num2str: whole numbers as integers, others with 4 decimals of the largest magnitude (at
    least 5 significant digits); num2str(x, precision) and num2str(x, format) as MATLAB."""
    if isinstance(x, str):
        return x
    if isinstance(arg, str):
        vals = _values(x)
        return sprintf(arg, *vals)
    if isinstance(x, DLArray):
        x = _lg.extractdata(x)
    t = tensor(x)
    if t.numel() == 1:
        v = t.reshape(()).item()
        if arg is not None:
            return _g(float(v), int(arg))
        return _num2str_scalar(v)
    t = t.double().reshape(mshape(t))
    if t.dim() != 2:
        t = t.reshape(t.shape[0], -1)
    vals = t.reshape(-1)
    finite = vals[torch.isfinite(vals)]
    if bool((finite == torch.round(finite)).all()):
        mx = builtins.max([builtins.abs(v) for v in finite.tolist()] or [0])
        w = (len(str(int(mx))) if mx else 1) + (1 if bool((vals < 0).any()) else 0) + 2
        rows = ["".join(_num2str_scalar(v).rjust(w) for v in row) for row in t.tolist()]
    else:
        mx = builtins.max([builtins.abs(v) for v in finite.tolist()] or [1])
        nd = math.floor(math.log10(mx)) if mx > 0 else 0
        nd = builtins.min(builtins.max(nd + 5, 5), 16) if arg is None else int(arg)
        w = nd + 7 + (1 if bool((vals < 0).any()) else 0)
        rows = ["".join(_g(v, nd).rjust(w) if math.isfinite(v) else _num2str_scalar(v).rjust(w) for v in row)
                for row in t.tolist()]
    lead = builtins.min(len(r) - len(r.lstrip()) for r in rows)
    rows = [r[lead:].rstrip() for r in rows]
    return rows[0] if len(rows) == 1 else rows  # type: ignore[return-value]


def int2str(x: Any) -> str:
    return num2str(round(x))


def string(x: Any) -> Any:
    """MATLAB's string: text stays text; a number as num2str writes it; an array gives a list of strings."""
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, _NUM):
        return _num2str_scalar(x)
    if isinstance(x, list):
        return x[0] if len(x) == 1 else [string(v) for v in x]
    if isinstance(x, torch.Tensor):
        if isinstance(x, DLArray):
            x = _lg.extractdata(x)
        if x.dtype == torch.bool:
            return "true" if x.numel() == 1 and bool(x.reshape(())) else ("false" if x.numel() == 1 else
                                                                          [string(bool(v)) for v in x.reshape(-1)])
        if x.numel() == 1:
            return _num2str_scalar(x.reshape(()).item())
        return [_num2str_scalar(v) for v in _flat(x).tolist()]
    return str(x)


def char(x: Any) -> Any:
    """MATLAB's char: text stays text (a cell of texts: its text, or its rows as a list of texts); numbers are
    character codes (char(72) is 'H', char([72 105]) is 'Hi'), a matrix of codes is refused."""
    if isinstance(x, str):
        return x
    if isinstance(x, list) and all(isinstance(v, str) for v in x):
        # a char matrix of several rows: the runtime keeps its rows as a list of texts
        return x[0] if len(x) == 1 else list(x)
    if isinstance(x, list):
        x = tensor(x)
    if isinstance(x, (bool, *_NUM, torch.Tensor)):
        t = tensor(x)
        if 1 not in mshape(t) and t.numel() > 1:
            raise ValueError(f"char: a {'×'.join(map(str, mshape(t)))} array of codes is a char matrix, which "
                             "layergraph.port does not hold (a row or a column of codes is text)")
        return "".join(chr(int(v)) for v in _flat(t).tolist())
    raise TypeError(f"char: cannot convert a {type(x).__name__} to characters")


def strings(*sz: Any) -> Any:
    """MATLAB's strings(n), strings(m, n), strings([m n]): a string array of empty strings ("" each; a list,
    as layergraph.port holds string arrays); strings() is the 1×1 "" itself."""
    dims = [int(v) for v in (_flat(sz[0]).tolist() if len(sz) == 1 and not isinstance(sz[0], _NUM)
                             else sz)]
    if not dims:
        return ""
    count = dims[0] * dims[0] if len(dims) == 1 else math.prod(dims)
    return [""] * max(count, 0)


def _escapes(fmt: str) -> str:
    table = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
    out, i = [], 0
    while i < len(fmt):
        c = fmt[i]
        if c == "\\" and i + 1 < len(fmt) and fmt[i + 1] in table:
            out.append(table[fmt[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


_SPEC = re.compile(r"%(?P<flags>[-+ 0#]*)(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?(?P<conv>[diouxXfeEgGcs%])")


def _values(args: tuple[Any, ...] | Any) -> list[Any]:
    """The arguments as MATLAB's sprintf consumes them: arrays element by element (column-major)."""
    out: list[Any] = []
    for a in (args if isinstance(args, tuple) else (args,)):
        if isinstance(a, str):
            out.append(a)
        elif isinstance(a, (list, tuple)):
            out.extend(_values(tuple(a)))
        elif isinstance(a, torch.Tensor):
            if isinstance(a, DLArray):
                a = _lg.extractdata(a)
            t = a.detach().cpu()
            vals = _flat(t.reshape(mshape(t))).tolist()
            out.extend(vals)
        elif isinstance(a, np.ndarray):
            out.extend(_flat(torch.from_numpy(a)).tolist())
        elif hasattr(a, "__str__") and not isinstance(a, _NUM):
            out.append(str(a))
        else:
            out.append(a)
    return out


def _format_one(spec: re.Match[str], value: Any) -> str:
    flags, width, prec, conv = spec["flags"], spec["width"] or "", spec["prec"], spec["conv"]
    p = f".{prec}" if prec is not None else ""
    if conv in "diouxXfeEgG" and isinstance(value, str):  # text for a number: its character codes
        return "".join(_format_one(spec, float(ord(c))) for c in value)
    if conv in "diouxX":
        return _format_integer(float(value), flags, width, p, conv)
    if conv in "feEgG":
        v = float(value)
        return _format_special(v, flags, width) if math.isnan(v) or math.isinf(v) else \
            f"%{flags}{width}{p}{conv}" % v
    if conv == "c":
        return value if isinstance(value, str) else chr(int(value))
    if conv == "s":
        text = value if isinstance(value, str) else _num2str_scalar(float(value))
        return f"%{flags}{width}{p}s" % text
    return "%"


def _format_special(v: float, flags: str, width: str) -> str:
    return f"%{flags}{width}s" % ("NaN" if math.isnan(v) else ("Inf" if v > 0 else "-Inf"))


def _format_integer(v: float, flags: str, width: str, p: str, conv: str) -> str:
    if math.isnan(v) or math.isinf(v):
        return _format_special(v, flags, width)
    if not v.is_integer():
        return f"%{flags}{width}{p or ''}e" % v  # MATLAB: a non-integer with %d is written as %e
    return f"%{flags}{width}{'d' if conv in 'iu' else conv}" % int(v)


def sprintf(fmt: Any, *args: Any) -> str:
    """MATLAB's sprintf: escapes in the format, arrays consumed element by element, the format repeated
    while values remain, %d with a non-integer written as %e."""
    fmt = _escapes(str(fmt))
    vals = _values(args)
    specs = [m for m in _SPEC.finditer(fmt) if m["conv"] != "%"]
    if not specs:
        return fmt.replace("%%", "%")
    out: list[str] = []
    i = 0
    first = True
    while first or i < len(vals):
        first = False
        pos = 0
        for m in _SPEC.finditer(fmt):
            out.append(fmt[pos:m.start()])
            pos = m.end()
            if m["conv"] == "%":
                out.append("%")
                continue
            if i >= len(vals):
                if vals:  # MATLAB stops at the first conversion without data (after the first pass)
                    return "".join(out)
                out.append(_format_one(m, "") if m["conv"] == "s" else "")
                continue
            out.append(_format_one(m, vals[i]))
            i += 1
        out.append(fmt[pos:])
    return "".join(out)


def fprintf(*args: Any) -> None:
    """MATLAB's fprintf(format, ...) to the terminal; fprintf(1, ...) and fprintf(2, ...) as stdout/stderr."""
    stream = sys.stdout
    if args and isinstance(args[0], int) and not isinstance(args[0], bool) and len(args) > 1:
        stream = sys.stderr if args[0] == 2 else sys.stdout
        args = args[1:]
    stream.write(sprintf(*args))
    stream.flush()


def disp(x: Any) -> None:
    """MATLAB's disp: text as it is, numbers as MATLAB's num2str writes them, arrays row by row."""
    if isinstance(x, tuple) and builtins.all(isinstance(v, _NUM) for v in x):
        x = tensor(list(x))  # a size vector
    if isinstance(x, str):
        print(x)
    elif isinstance(x, list) and builtins.all(isinstance(v, str) for v in x):
        print("    ".join(f'"{v}"' for v in x))
    elif isinstance(x, (_NUM, torch.Tensor, np.ndarray)) and not isinstance(x, DLArray):
        text = num2str(x)
        print("\n".join("    " + r for r in text) if isinstance(text, list) else
              (text if numel(x) == 1 else "    " + text))
    else:
        print(x)


display = disp


def strcat(*parts: Any) -> Any:
    """MATLAB's strcat: char arguments lose trailing whitespace; cell arguments give a cell."""
    if builtins.any(isinstance(p, list) for p in parts):
        n = builtins.max(len(p) for p in parts if isinstance(p, list))
        return ["".join(p[i] if isinstance(p, list) else p for p in parts) for i in range(n)]
    return "".join(p.rstrip(" \t\n") if isinstance(p, str) else str(p) for p in parts)


def strcmp(a: Any, b: Any) -> Any:
    if isinstance(a, list) or isinstance(b, list):
        items, other = (a, b) if isinstance(a, list) else (b, a)
        return torch.tensor([v == other for v in items]) if not isinstance(other, list) else \
            torch.tensor([x == y for x, y in zip(items, other)])
    return isinstance(a, str) and isinstance(b, str) and a == b


def strcmpi(a: Any, b: Any) -> Any:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return strcmp(a, b)


def strrep(s: Any, old: str, new: str) -> Any:
    return [v.replace(old, new) for v in s] if isinstance(s, list) else s.replace(old, new)


def strtrim(s: Any) -> Any:
    return [v.strip() for v in s] if isinstance(s, list) else s.strip()


def upper(s: Any) -> Any:
    return [v.upper() for v in s] if isinstance(s, list) else s.upper()


def lower(s: Any) -> Any:
    return [v.lower() for v in s] if isinstance(s, list) else s.lower()


def strsplit(s: str, delimiter: Any = None) -> list[str]:
    if delimiter is None:
        return re.split(r"\s+", s)
    delims = delimiter if isinstance(delimiter, list) else [delimiter]
    return re.split("|".join(re.escape(_escapes(d)) for d in delims), s)


def split(s: str, delimiter: Any = None) -> list[str]:
    return strsplit(s, delimiter)


def strjoin(parts: list[Any], delimiter: str = " ") -> str:
    return _escapes(delimiter).join(str(p) for p in parts)


def join(parts: Any, delimiter: str = " ") -> str:
    return strjoin(list(parts), delimiter)


def contains(s: Any, pattern: Any, *args: Any, **kwargs: Any) -> Any:
    pats = pattern if isinstance(pattern, list) else [pattern]
    if isinstance(s, list):
        return torch.tensor([builtins.any(p in v for p in pats) for v in s])
    return builtins.any(p in s for p in pats)


def startsWith(s: Any, pattern: Any) -> Any:
    pats = tuple(pattern) if isinstance(pattern, list) else (pattern,)
    return torch.tensor([v.startswith(pats) for v in s]) if isinstance(s, list) else s.startswith(pats)


def endsWith(s: Any, pattern: Any) -> Any:
    pats = tuple(pattern) if isinstance(pattern, list) else (pattern,)
    return torch.tensor([v.endswith(pats) for v in s]) if isinstance(s, list) else s.endswith(pats)


def str2double(s: Any) -> Any:
    if isinstance(s, list):
        return _out(torch.tensor([str2double(v) for v in s], dtype=torch.float64))
    try:
        return float(str(s).strip())
    except ValueError:
        return math.nan


def ischar(x: Any) -> bool:
    return isinstance(x, str)


isstring = ischar


def iscellstr(x: Any) -> bool:
    return isinstance(x, list) and builtins.all(isinstance(v, str) for v in x)


def reshape(x: Any, *sz: Any) -> Any:
    """MATLAB's reshape, also of text: the characters (a char matrix's in column order) laid out column by column
    into m rows, text for one row (or one column), else a char matrix held as its rows."""
    if not isinstance(x, str) and not (isinstance(x, list) and x and all(isinstance(r, str) for r in x)):
        return _lg.reshape(x, *sz)
    rows = [x] if isinstance(x, str) else x
    if len({len(r) for r in rows}) > 1:
        raise ValueError("reshape: the rows of a char matrix must have the same length")
    chars = "".join(r[j] for j in range(len(rows[0])) for r in rows)  # column-major order
    given = _flat(tensor(sz[0])).tolist() if len(sz) == 1 else list(sz)
    known = math.prod(int(d) for d in given if not (isinstance(d, list) and not d))
    dims = [len(chars) // builtins.max(known, 1) if isinstance(d, list) and not d else int(d) for d in given]
    if math.prod(dims) != len(chars):
        raise ValueError(f"reshape: size {'×'.join(map(str, dims))} does not have {len(chars)} elements")
    m = dims[0]
    if len(dims) > 2 and math.prod(dims[2:]) != 1:
        raise ValueError("reshape: text has at most two dimensions here")
    if m <= 1 or m == len(chars):
        return chars
    return [chars[i::m] for i in range(m)]
