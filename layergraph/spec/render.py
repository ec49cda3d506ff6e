"""A spec template's expansion written out as a flat spec: name, description, layers with their final Names
and options in the order written, connections; each line number remembers where it came from."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from layergraph.spec.pieces import ENTRY_KEYS, Body, Connection, LayerEntry
from layergraph.spec.scope import line_of
from layergraph.spec.yamlsafe import LineDict, LineList

__all__ = ["render_flat"]


def render_flat(data: Mapping[str, Any], body: Body, connections: list[Connection]) -> LineDict:
    """The flat spec: name and description as written, every layer with its Name, the connections."""
    out = LineDict()
    out.line = getattr(data, "line", 1)
    for key in ("name", "description"):  # taken as written: `layergraph export` reads the name unexpanded
        if key in data:
            out[key], out.lines[key] = data[key], line_of(data, key, 1)
    layers = LineList()
    layers.line = line_of(data, "layers", 1)
    for layer in body.layers:
        layers.append(_entry(layer))
        layers.lines.append(layer.ctx.line(layer.line))
    out["layers"], out.lines["layers"] = layers, layers.line
    if connections:
        conns = LineList()
        conns.line = line_of(data, "connections", layers.line)
        for src, dst, port, line in connections:
            conns.append([src.local, f"{dst.local}/{port}" if port else dst.local])
            conns.lines.append(line)
        out["connections"], out.lines["connections"] = conns, conns.line
    return out


def _entry(layer: LayerEntry) -> LineDict:
    """A layer's flat entry: type, Name, its options in the order written, inputs."""
    entry = LineDict()
    entry.line = layer.ctx.line(layer.line)
    keys = [k for k in layer.entry if k not in ENTRY_KEYS]
    if layer.name_key is None:
        keys.insert(1 if keys and keys[0] == "type" else 0, "Name")
    if layer.inputs is not None and "inputs" not in keys:
        keys.append("inputs")
    for key in keys:
        if key in ("Name", layer.name_key):
            entry["Name"] = layer.local
            key_line = line_of(layer.entry, key, layer.line)
            key = "Name"
        elif key == "inputs":
            entry[key] = _render_inputs(layer.inputs)
            key_line = line_of(layer.entry, key, layer.line)
        else:
            entry[key] = layer.values[key]
            key_line = line_of(layer.entry, key, layer.line)
        entry.lines[key] = layer.ctx.line(key_line)
    return entry


def _render_inputs(inputs: Any) -> Any:
    if isinstance(inputs, dict):
        return {port: src.local for port, src in inputs.items()}
    return [None if src is None else src.local for src in inputs]
