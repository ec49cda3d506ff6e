"""Read a layer table copied from MATLAB's documentation and compare it with a network's analysis.

Rows pair up by layer name (falling back to position). Type, Activations and Learnables must match;
a cell that MATLAB's display cut short with '...' matches by prefix; descriptions are shown only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from layergraph.layers import LAYER_CLASSES
from layergraph.safety.limits import MAX_INTEGER
from layergraph.safety.numbers import parse_number

_SHAPE = re.compile(r"^\d+(?:[×x]\d+)*(?:\.\.\.|…)?$|^\d+(?:[×x]\d+)*[×x]?\d*(?:\.\.\.|…)$")
_TYPES = sorted({c.type_label for c in LAYER_CLASSES}, key=len, reverse=True)


@dataclass
class TableRow:
    """One row of a MATLAB layer table."""

    index: int
    name: str
    description: str
    type: str
    activations: str
    learnables: list[tuple[str, str]] = field(default_factory=list)
    line: int = 0


def _norm(text: str) -> str:
    return text.replace("x", "×").replace("…", "...").strip()


def _cells(line: str) -> list[str]:
    """Split a row into cells: on tabs, else on runs of two or more spaces, else by known type labels."""
    if "\t" in line:
        return [c.strip() for c in line.split("\t")]
    if re.search(r"\S {2,}\S", line):
        return [c.strip() for c in re.split(r" {2,}", line)]
    for label in _TYPES:  # single-space text: anchor on the Type column
        m = re.search(rf"\s{re.escape(label)}\s", f" {line} ")
        if m:
            head, tail = line[: m.start()].strip(), line[m.end() - 1:].strip().split()
            return [*head.split(" ", 1), label, *tail] if head[:1].isdigit() else [head, label, *tail]
    return line.split()


def _params(tokens: list[str]) -> list[tuple[str, str]]:
    """'Weights 5×5×4×64 Bias 1×1×64' (as tokens) → [(Weights, 5×5×4×64), (Bias, 1×1×64)]."""
    words = [t for tok in tokens for t in tok.split() if t not in ("-", "")]
    out, pending = [], None
    for w in words:
        if _SHAPE.match(_norm(w)) and pending is not None:
            out.append((pending, _norm(w)))
            pending = None
        else:
            pending = w
    return out


def parse_matlab_table(text: str, where: str = "table") -> list[TableRow]:
    """Parse rows like MATLAB's analyzeNetwork table; parameter continuation lines join their row. A row
    number is read by the one number parser (ASCII digits, at most 2^53); `where` names the file in errors."""
    rows: list[TableRow] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        cells = [c for c in _cells(raw.rstrip("\n"))]
        first = next((c for c in cells if c), "")
        if first.isdigit() and first.isascii() and raw.lstrip()[:1].isdigit():
            cells = cells[cells.index(first):]
            rest = [c for c in cells[1:]]
            while rest and rest[0] == "":
                rest.pop(0)
            name_desc = rest[0] if rest else ""
            name, _, desc = name_desc.partition(" ")
            typ = rest[1] if len(rest) > 1 else ""
            act = rest[2] if len(rest) > 2 else ""
            index = int(parse_number(first, f"{where}:{lineno}: row number", integer=True, low=0,
                                     high=MAX_INTEGER))
            rows.append(TableRow(index, name, desc.strip(), typ, _norm(act), _params(rest[3:]), lineno))
        elif rows and cells and any(cells):
            if first in ("Name", "Type") or "Activations" in cells:
                continue  # a header line
            rows[-1].learnables.extend(_params(cells))
    return rows


def _cell_match(expected: str, actual: str) -> bool:
    """Equal, or a MATLAB '...'-truncated prefix of the actual text."""
    expected, actual = _norm(expected), _norm(actual)
    if expected.endswith("..."):
        return actual.startswith(expected[:-3])
    return expected == actual


def _compare_learnables(row: TableRow, learnables: dict[str, str], strict: bool, diffs: list[str],
                        notes: list[str]) -> None:
    """Append the differences between the table's Learnables cell and the network's (names, then sizes)."""
    matched = set()
    for pname, shape in row.learnables:
        hit = next((k for k in learnables if k not in matched and _cell_match(pname, k)), None)
        if hit is None:
            diffs.append(f"Learnables: table has {pname} {shape}, network has no such parameter")
            continue
        matched.add(hit)
        if not _cell_match(shape, learnables[hit]):
            diffs.append(f"Learnables: {hit} is {shape} in the table, {learnables[hit]} in the network")
    for k, v in learnables.items():
        if k not in matched:
            msg = f"{k} {v} is not shown in the table"
            (diffs if strict or not row.learnables else notes).append(f"Learnables: {msg}")


def compare_table(rows: list[TableRow], report: dict[str, Any], strict: bool = False) -> dict[str, Any]:
    """Compare parsed MATLAB rows with an analyzeNetwork report; every difference is spelled out."""
    ours = {r["name"]: r for r in report["layers"]}
    results, used = [], set()
    for pos, row in enumerate(rows):
        mine = ours.get(row.name)
        paired_by = "name"
        if mine is None and pos < len(report["layers"]) and report["layers"][pos]["name"] not in used:
            mine, paired_by = report["layers"][pos], "position"
        diffs, notes = [], []
        if mine is None:
            diffs.append(f"no layer named '{row.name}' in the network")
        else:
            used.add(mine["name"])
            if paired_by == "position":
                diffs.append(f"name: table '{row.name}', network '{mine['name']}'")
            if not _cell_match(row.type, mine["type"]):
                diffs.append(f"Type: table '{row.type}', network '{mine['type']}'")
            if not _cell_match(row.activations, mine["activations"]):
                diffs.append(f"Activations: table '{row.activations}', network '{mine['activations']}'")
            _compare_learnables(row, mine["learnables"], strict, diffs, notes)
        results.append({
            "row": row.index, "name": row.name, "match": not diffs, "differences": diffs, "notes": notes,
            "description_table": row.description,
            "description_network": mine["description"] if mine else "",
        })
    missing = [r["name"] for r in report["layers"] if r["name"] not in used]
    table_order = [r.name for r in rows]
    ours_order = [r["name"] for r in report["layers"] if r["name"] in set(table_order)]
    return {
        "same_order": table_order == ours_order,
        "rows": results,
        "matched": sum(r["match"] for r in results),
        "total": len(results),
        "missing_from_table": missing,
        "all_match": bool(results) and all(r["match"] for r in results) and not missing,
    }
