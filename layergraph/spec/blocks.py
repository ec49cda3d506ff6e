"""The `blocks:` of a spec template: each block's mapping checked, its parameters with their defaults."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layergraph.spec.scope import Ctx, check_name, line_of
from layergraph.spec.yamlsafe import LineDict

__all__ = ["BLOCK_KEYS", "INSTANCE_KEYS", "REQUIRED", "Block", "parse_blocks"]

BLOCK_KEYS = ("description", "params", "inputs", "outputs", "layers", "connections")
INSTANCE_KEYS = ("block", "repeat", "index", "inputs")  # and Name; every other key is a block parameter


@dataclass
class Block:
    """A block definition: its mapping from the YAML and its parameters with their defaults."""

    name: str
    data: LineDict
    line: int
    params: list[tuple[str, Any, int]]  # (name, default or REQUIRED, line)


REQUIRED = object()  # the default of a parameter every instance must give


def parse_blocks(data: Any, ctx: Ctx) -> dict[str, Block]:
    """The blocks of a spec mapping's `blocks:` by name (none without it)."""
    raw = data.get("blocks")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ctx.fail(line_of(data, "blocks", 1), "'blocks' must be a mapping of names to blocks")
    return {str(name): _block(str(name), b, line_of(raw, name, 1), ctx) for name, b in raw.items()}


def _block(name: str, b: Any, line: int, ctx: Ctx) -> Block:
    fail = ctx.fail
    if not isinstance(b, dict):
        raise fail(line, f"block '{name}' must be a mapping with 'layers:' (and 'params:', 'inputs:', ...)")
    for key in b:
        if key not in BLOCK_KEYS:
            raise fail(line_of(b, key, line), f"block '{name}': unknown key '{key}' (allowed: "
                       f"{', '.join(BLOCK_KEYS)})")
    if not isinstance(b.get("layers"), list) or not b["layers"]:
        raise fail(line_of(b, "layers", line), f"block '{name}': 'layers' must be a non-empty list")
    raw, at = b.get("params") or [], line_of(b, "params", line)
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        params = [(p, REQUIRED, line_of(raw, i, at)) for i, p in enumerate(raw)]
    elif isinstance(raw, dict):
        params = [(p, REQUIRED if d is None else d, line_of(raw, p, at)) for p, d in raw.items()]
    else:
        raise fail(at, f"block '{name}': 'params' must be a list of names or a mapping of names to defaults")
    for pname, _, pline in params:
        check_name(pname, "parameter", ctx, pline)
        if pname in INSTANCE_KEYS or pname.lower() == "name":
            raise fail(pline, f"block '{name}': '{pname}' is a key of block instances, not a parameter name")
    return Block(name, b, line, params)
