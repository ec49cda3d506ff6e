"""Names and wiring by name in an expanded spec body: MATLAB's automatic names, duplicate checks, and the
sources and destinations that `inputs:` and `connections:` name ('layer', 'layer/in2', 'instance/out')."""
from __future__ import annotations

import difflib
from typing import Any

from layergraph.graph.layergraph import auto_names_of
from layergraph.spec.pieces import Body, Connection, LayerEntry
from layergraph.spec.scope import Ctx, line_of

__all__ = ["check_unique", "dests_of", "make_namespace", "name_layers", "resolve_deferred", "source_of"]


def name_layers(body: Body) -> None:
    """MATLAB's automatic names for the unnamed layers of this list (the list is one layer array)."""
    check_unique(body)
    names = auto_names_of([(layer.local, layer.base) for layer in body.layers], set())
    for layer, name in zip(body.layers, names):
        layer.local = name


def check_unique(body: Body) -> None:
    seen: dict[str, LayerEntry] = {}
    for layer in body.layers:
        if layer.local is None:
            continue
        if layer.local in seen:
            first = seen[layer.local]
            raise layer.ctx.fail(layer.line, f"layer '{layer.local}': duplicate name (first used at line "
                                 f"{first.ctx.line(first.line)})")
        seen[layer.local] = layer


def make_namespace(body: Body) -> None:
    check_unique(body)
    body.names = {layer.local: layer for layer in body.layers if layer.local is not None}
    for name, (_, line) in body.instances.items():
        if name in body.names:
            raise body.ctx.fail(line, f"'{name}' names both a block instance and a layer")


def resolve_deferred(body: Body, connections: list[Connection]) -> None:
    """Wire what the body named: layers' `inputs:`, block instances' `inputs:` and `connections:`."""
    for item in body.deferred:
        kind = item[0]
        if kind == "inputs":
            _layer_inputs(body, item[1])
        elif kind == "first":
            _, layer, src, at, ctx = item
            layer.inputs = [source_of(body, src, ctx, at)]
        elif kind == "wire":
            _, (layer, port), src, at, ctx = item
            connections.append((source_of(body, src, ctx, at), layer, port, ctx.line(at)))
        else:
            _, src, dst, at, ctx = item
            source = source_of(body, src, ctx, at)
            for layer, port in dests_of(body, dst, ctx, at):
                connections.append((source, layer, port, ctx.line(at)))


def _layer_inputs(body: Body, layer: LayerEntry) -> None:
    raw, ctx = layer.raw_inputs, layer.ctx
    at = line_of(layer.entry, "inputs", layer.line)
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, list) and all(s is None or isinstance(s, str) for s in raw):
        layer.inputs = [None if s is None else source_of(body, s, ctx, at) for s in raw]
    elif isinstance(raw, dict) and all(isinstance(s, str) for s in raw.values()):
        layer.inputs = {port: source_of(body, s, ctx, at) for port, s in raw.items()}
    else:
        raise ctx.fail(at, f"layer '{layer.local}': 'inputs' must be a list of layer names or a mapping")


def _lookup(body: Body, text: str, ctx: Ctx, at: int) -> tuple[str, str, Any]:
    name, _, port = text.partition("/")
    if name in body.instances:
        return name, port, body.instances[name][0]
    if name in body.names:
        return name, port, body.names[name]
    hint = difflib.get_close_matches(name, [*body.names, *body.instances], n=1)
    raise ctx.fail(at, f"'{text}': no layer or block instance named '{name}'"
                   + (f"; did you mean '{hint[0]}'?" if hint else ""))


def source_of(body: Body, text: Any, ctx: Ctx, at: int) -> LayerEntry:
    """The layer behind a source: 'layer', 'layer/out', 'instance' (its 'out') or 'instance/output'."""
    if not isinstance(text, str):
        raise ctx.fail(at, f"expected a layer name, not {text!r}")
    name, port, found = _lookup(body, text, ctx, at)
    if isinstance(found, LayerEntry):
        if port not in ("", "out"):
            raise ctx.fail(at, f"'{text}': a layer has one output; write '{name}' or '{name}/out'")
        return found
    if (port or "out") not in found.outputs:
        raise ctx.fail(at, f"'{text}': block instance '{name}' has no output '{port or 'out'}' (outputs: "
                       f"{', '.join(found.outputs) or 'none'})")
    return found.outputs[port or "out"]


def dests_of(body: Body, text: Any, ctx: Ctx, at: int) -> list[tuple[LayerEntry, str | None]]:
    """The layer inputs behind a destination: 'layer', 'layer/in2', 'instance' (its 'in'), 'instance/skip'."""
    if not isinstance(text, str):
        raise ctx.fail(at, f"expected a layer input such as 'cat/in2', not {text!r}")
    name, port, found = _lookup(body, text, ctx, at)
    if isinstance(found, LayerEntry):
        return [(found, port or None)]
    if (port or "in") not in found.inputs:
        raise ctx.fail(at, f"'{text}': block instance '{name}' has no input '{port or 'in'}' (inputs: "
                       f"{', '.join(found.inputs) or 'none'})")
    return found.inputs[port or "in"]
