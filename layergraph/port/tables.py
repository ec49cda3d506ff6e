"""MATLAB's tables read from text files, for translated programs: `readtable` of a CSV file (variable names from
its header row, made valid MATLAB identifiers as MATLAB's default "modify" rule does; numeric columns as
double column vectors, others as cell columns of text), `table2array` (the variables side by side) and
`T.Name` (a variable)."""
from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

import torch

from layergraph.data.cells import BatchTable

__all__ = ["readtable", "table2array"]


def readtable(filename: Any, *args: Any, **kwargs: Any) -> BatchTable:
    """MATLAB's T = readtable(file) of a delimited text file (options: Delimiter, ReadVariableNames,
    VariableNamingRule); a first row that is all numbers is data, and the variables are Var1, Var2, ..."""
    opts = _options(args, kwargs)
    path = Path(str(filename))
    if path.suffix.lower() not in (".csv", ".txt", ".dat"):
        raise ValueError(f"readtable: '{path}': only delimited text files (.csv, .txt, .dat) are supported here")
    if not path.is_file():
        raise FileNotFoundError(f"readtable: unable to find or open '{path}'")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh, delimiter=opts["Delimiter"]) if any(c.strip() for c in r)]
    if not rows:
        return BatchTable({})
    header = opts["ReadVariableNames"]
    if header is None:  # MATLAB detects a header: a first row that is not all numbers
        header = not all(_number(c) is not None for c in rows[0])
    names = _names(rows[0], opts["VariableNamingRule"]) if header else [f"Var{i + 1}" for i in range(len(rows[0]))]
    body = rows[1:] if header else rows
    columns = {}
    for j, name in enumerate(names):
        cells = [r[j] if j < len(r) else "" for r in body]
        values = [_number(c) for c in cells]
        numeric = all(v is not None or not c.strip() for v, c in zip(values, cells))
        columns[name] = (torch.tensor([math.nan if v is None else v for v in values], dtype=torch.float64)
                         .reshape(-1, 1) if numeric else [c.strip() for c in cells])
    return BatchTable(columns)


def _options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    known = {"delimiter": "Delimiter", "readvariablenames": "ReadVariableNames",
             "variablenamingrule": "VariableNamingRule"}
    opts: dict[str, Any] = {"Delimiter": ",", "ReadVariableNames": None, "VariableNamingRule": "modify"}
    if len(args) % 2:
        raise ValueError("readtable: options come in name-value pairs after the file name")
    for key, value in [*zip(args[::2], args[1::2]), *kwargs.items()]:
        name = known.get(str(key).lower())
        if name is None:
            raise ValueError(f"readtable: option '{key}' is not supported here; supported: {', '.join(known.values())}")
        opts[name] = value
    if str(opts["VariableNamingRule"]).lower() not in ("modify", "preserve"):
        raise ValueError("readtable: VariableNamingRule must be 'modify' or 'preserve'")
    opts["Delimiter"] = {"comma": ",", "tab": "\t", "space": " ", "semi": ";"}.get(str(opts["Delimiter"]),
                                                                                  str(opts["Delimiter"]))
    return opts


def _number(text: str) -> float | None:
    t = text.strip()
    if not t:
        return None
    try:
        return float(t.replace("Inf", "inf").replace("NaN", "nan"))
    except ValueError:
        return None


def _names(header: list[str], rule: str) -> list[str]:
    """Header cells as variable names: MATLAB's "modify" rule (whitespace dropped, the next letter upper case;
    other characters outside letters, digits and _ replaced by _; a name not starting with a letter gets an x),
    empty ones VarN, repeats made unique with _1, _2, ..."""
    out: list[str] = []
    for i, cell in enumerate(header):
        name = cell.strip()
        if name and str(rule).lower() == "modify":
            name = re.sub(r"\s+(\w)", lambda m: m.group(1).upper(), name)
            name = re.sub(r"\W", "_", name)
            name = name if name[:1].isalpha() else "x" + name
        name = name or f"Var{i + 1}"
        base, k = name, 0
        while name in out:
            k += 1
            name = f"{base}_{k}"
        out.append(name)
    return out


def table2array(T: Any) -> torch.Tensor:
    """MATLAB's table2array: the numeric variables side by side (each a column, or several), one row per row."""
    parts = []
    for name in T.VariableNames:
        column = getattr(T, name)
        if not isinstance(column, torch.Tensor):
            raise ValueError(f"table2array: variable '{name}' is text; table2array here joins numeric variables only")
        parts.append(column.reshape(column.shape[0], -1).double())
    if not parts:
        return torch.zeros(0, 0, dtype=torch.float64)
    return torch.cat(parts, dim=1)
