"""The pieces a spec template's expansion builds: one layer entry with its evaluated options, a block
instance's inputs and outputs, and one body (the `layers:` of the top level or of a block instance)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from layergraph.layers import BY_TYPE
from layergraph.safety.limits import MAX_NAME_CHARS
from layergraph.spec.scope import Ctx, line_of
from layergraph.spec.yamlsafe import LineDict

__all__ = ["ENTRY_KEYS", "Body", "Connection", "Exports", "LayerEntry", "is_chain_port", "name_length"]

ENTRY_KEYS = ("repeat", "index")


def name_length(name: str, what: str, ctx: Ctx, line: int) -> None:
    """Names are copied into every layer of every repetition: one long name must not multiply into gigabytes."""
    if len(name) > MAX_NAME_CHARS:
        raise ctx.fail(line, f"{what} is {len(name):,} characters long; the limit is {MAX_NAME_CHARS:,} "
                       "(instance prefixes included)")


class LayerEntry:
    """One layer of the flat spec being built: its evaluated options, local name and wiring."""

    def __init__(self, entry: LineDict, values: dict[str, Any], ctx: Ctx, line: int) -> None:
        self.entry, self.ctx, self.line = entry, ctx, line
        self.name_key = next((k for k in values if isinstance(k, str) and k.lower() == "name"), None)
        self.local = values.pop(self.name_key) if self.name_key else None
        if self.local is not None and (not isinstance(self.local, str) or not self.local):
            raise ctx.fail(line_of(entry, self.name_key, line), f"Name must be non-empty text, not {self.local!r}")
        if self.local is not None:
            name_length(self.local, "Name", ctx, line_of(entry, self.name_key, line))
        cls = BY_TYPE.get(values["type"]) if isinstance(values.get("type"), str) else None
        self.base = cls.default_name if cls else "layer"
        self.raw_inputs = values.pop("inputs", None)
        self.chains = "inputs" not in entry and not (cls is not None and cls.is_input)
        self.inputs: Any = None  # once resolved: a list of LayerEntry/None, or {port: LayerEntry}
        self.values = values


@dataclass
class Exports:
    """What a block instance shows around it: its inputs (each feeding one or more layer inputs) and outputs."""

    inputs: dict[str, list[tuple[LayerEntry, str | None]]]
    outputs: dict[str, LayerEntry]


@dataclass
class Body:
    """The expanded `layers:` of the top level or of one block instance."""

    ctx: Ctx
    layers: list[LayerEntry] = field(default_factory=list)
    first: LayerEntry | None = None     # the first layer, when it chains from whatever comes before the body
    extras: list[tuple[LayerEntry, str | None]] = field(default_factory=list)  # fed by that same layer
    source: LayerEntry | None = None    # what the next entry chains from (the last entry's output)
    instances: dict[str, tuple[Exports, int]] = field(default_factory=dict)
    deferred: list[tuple] = field(default_factory=list)  # wiring by name, resolved after naming
    names: dict[str, LayerEntry] = field(default_factory=dict)


def is_chain_port(dest: tuple[LayerEntry, str | None], layer: LayerEntry | None) -> bool:
    return layer is not None and dest[0] is layer and dest[1] in (None, "in", "in1")


# (source, destination layer, its input port or None, the line the connection came from)
Connection = tuple[LayerEntry, LayerEntry, str | None, int]
