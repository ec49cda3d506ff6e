"""Spec files ⇄ LayerGraph.

A spec is a mapping with `layers:` (each a mapping with `type:` = MATLAB constructor name, MATLAB
options, and optionally `inputs:`) and optional `connections:` ([source, destination] pairs, as
connectLayers). A layer without `inputs:` is chained from the layer listed before it, as MATLAB's
layerGraph chains an array; input layers are never chained.
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from layergraph.errors import LayergraphError, SpecError
from layergraph.graph.layergraph import LayerGraph, auto_names
from layergraph.layers import BY_TYPE
from layergraph.layers.base import Layer
from layergraph.spec.expand import expand_spec
from layergraph.spec.yamlsafe import LineDict, LineList, load_yaml, read_yaml_file

TOP_KEYS = ("name", "description", "layers", "connections")
LAYER_KEYS = ("type", "inputs")


def _line(obj: Any, key: Any = None, default: int = 0) -> int:
    if key is not None and isinstance(obj, (LineDict, LineList)):
        try:
            return obj.lines[key]
        except (KeyError, IndexError):
            pass
    return getattr(obj, "line", default)


def _layer_from_entry(entry: Any, index: int, where: str, line: int) -> Layer:
    if not isinstance(entry, dict):
        raise SpecError(f"{where}:{line}: layer #{index + 1}: expected a mapping with 'type:' and options")
    name = entry.get("Name")
    shown = (name if len(name) <= 60 else name[:59] + "…") if isinstance(name, str) else None  # one short line
    label = f"layer #{index + 1}" + (f" '{shown}'" if shown is not None else "")
    kind = entry.get("type")
    if kind is None:
        raise SpecError(f"{where}:{line}: {label}: missing 'type' (a MATLAB layer name such as reluLayer)")
    cls = BY_TYPE.get(kind) if isinstance(kind, str) else None
    if cls is None:
        hint = difflib.get_close_matches(str(kind), BY_TYPE, n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else f"; known types: {', '.join(BY_TYPE)}"
        raise SpecError(f"{where}:{_line(entry, 'type', line)}: {label}: unknown layer type '{kind}'{extra}")
    values: dict[str, Any] = {}
    for key, value in entry.items():
        if key in LAYER_KEYS:
            continue
        try:
            field = cls.option_field(key)
        except LayergraphError as err:
            raise SpecError(f"{where}:{_line(entry, key, line)}: {label}: {err}") from None
        if field in values:
            raise SpecError(f"{where}:{_line(entry, key, line)}: {label}: option '{field}' is given twice")
        values[field] = value
    try:
        return cls.from_options(values)
    except LayergraphError as err:
        bad = str(err).split("option '", 1)[1].split("'", 1)[0] if "option '" in str(err) else None
        key_line = next((_line(entry, k, line) for k in entry if bad and str(k).lower() == bad.lower()), line)
        raise SpecError(f"{where}:{key_line}: {label}: {err}") from None


def _inputs_of(entry: Any, layer: Layer, name: str, where: str, line: int) -> dict[str, str] | None:
    """The `inputs:` of a layer as port → source; None when absent (then the layer is chained)."""
    if not isinstance(entry, dict) or "inputs" not in entry:
        return None
    raw = entry["inputs"]
    at = _line(entry, "inputs", line)
    ports = layer.input_names
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, list):
        if len(raw) > len(ports):
            raise SpecError(f"{where}:{at}: layer '{name}': {len(raw)} inputs given but it has "
                            f"{len(ports)} ({', '.join(ports) or 'none'})")
        return {p: s for p, s in zip(ports, raw) if s is not None}
    if isinstance(raw, dict):
        for port in raw:
            if port not in ports:
                raise SpecError(f"{where}:{at}: layer '{name}': no input '{port}' "
                                f"(inputs: {', '.join(ports) or 'none'})")
        return dict(raw)
    raise SpecError(f"{where}:{at}: layer '{name}': 'inputs' must be a list of layer names or a mapping")


def graph_from_text(text: str, where: str) -> LayerGraph:
    """A LayerGraph from spec YAML given as text (e.g. stored inside a checkpoint); errors name `where`:line."""
    return graph_from_data(load_yaml(text, where), where)


def graph_from_data(data: Any, where: str = "<spec>", params: Mapping[str, Any] | None = None,
                    origin: str = "given in code") -> LayerGraph:
    """Validate parsed spec data into a LayerGraph; every error names where:line and the layer. A template
    (params, blocks, repeat, ${...}) is expanded first, with `params` overriding its parameters."""
    data = expand_spec(data, where, params, origin)
    if not isinstance(data, dict):
        raise SpecError(f"{where}:{_line(data, default=1)}: a spec must be a mapping with a 'layers:' list")
    for key in data:
        if key not in TOP_KEYS:
            raise SpecError(f"{where}:{_line(data, key, 1)}: unknown top-level key '{key}' "
                            f"(allowed: {', '.join(TOP_KEYS)})")
    entries = data.get("layers")
    if not isinstance(entries, list) or not entries:
        raise SpecError(f"{where}:{_line(data, 'layers', 1)}: 'layers' must be a non-empty list of layers")
    layers, lines = [], []
    for i, entry in enumerate(entries):
        line = _line(entries, i, _line(entry))
        layers.append(_layer_from_entry(entry, i, where, line))
        lines.append(line)
    _check_unique_names(layers, lines, where)
    names = auto_names(layers, set())
    lg = LayerGraph()
    lg._add(layers, sources=[(where, ln) for ln in lines], chain=False)
    _wire_layers(lg, entries, names, lines, where)
    _add_connections(lg, data, where)
    return lg


def _check_unique_names(layers: list[Layer], lines: list[int], where: str) -> None:
    seen: dict[str, int] = {}
    for layer, line in zip(layers, lines):
        if layer.Name in seen:
            raise SpecError(f"{where}:{line}: layer '{layer.Name}': duplicate name (first used at line "
                            f"{seen[layer.Name]})")
        if layer.Name:
            seen[layer.Name] = line


def _wire_layers(lg: LayerGraph, entries: list[Any], names: list[str], lines: list[int], where: str) -> None:
    """Each layer's `inputs:`, or the chain from the layer before it."""
    for i, (entry, name, line) in enumerate(zip(entries, names, lines)):
        layer = lg.layer(name)
        wiring = _inputs_of(entry, layer, name, where, line)
        if wiring is None:
            if i > 0 and layer.input_names:
                lg.link(names[i - 1], name, layer.input_names[0])
            continue
        for port, src in wiring.items():
            _connect(lg, str(src), f"{name}/{port}", where, _line(entry, "inputs", line), name)


def _add_connections(lg: LayerGraph, data: Mapping[str, Any], where: str) -> None:
    """The spec's `connections:`, each [source, destination] or {from: source, to: destination}."""
    conns = data.get("connections") or []
    if not isinstance(conns, list):
        raise SpecError(f"{where}:{_line(data, 'connections', 1)}: 'connections' must be a list of "
                        "[source, destination] pairs")
    for j, conn in enumerate(conns):
        at = _line(conns, j, 1)
        if isinstance(conn, dict) and set(conn) == {"from", "to"}:
            conn = [conn["from"], conn["to"]]
        if not (isinstance(conn, list) and len(conn) == 2 and all(isinstance(c, str) for c in conn)):
            raise SpecError(f"{where}:{at}: connection #{j + 1}: expected [source, destination]")
        _connect(lg, conn[0], conn[1], where, at, f"{conn[0]} → {conn[1]}", as_connection=True)


def _connect(lg: LayerGraph, src: str, dst: str, where: str, line: int, label: str,
             as_connection: bool = False) -> None:
    what = f"connection {label}" if as_connection else f"layer '{label}'"
    for end in (src, dst):
        name = end.partition("/")[0]
        if name not in lg.graph:
            hint = difflib.get_close_matches(name, list(lg.graph.nodes), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            raise SpecError(f"{where}:{line}: {what}: no layer named '{name}'{extra}")
    try:
        lg._connect(src, dst)
    except LayergraphError as err:
        raise SpecError(f"{where}:{line}: {what}: {err}") from None


def load_spec(path: str | Path, /, **params: Any) -> LayerGraph:
    """Read a YAML spec into a LayerGraph (safe YAML only; nothing is evaluated as Python). Keyword arguments
    override the spec's parameters: load_spec("specs/templates/cgan_generator.yaml", numFilters=32)."""
    return graph_from_data(read_yaml_file(path), str(path), params)


# ----- saving -----------------------------------------------------------------------------------
def spec_data(lgraph: Any, name: str | None = None) -> dict[str, Any]:
    """The spec mapping of a LayerGraph or dlnetwork: options that differ from MATLAB's defaults.

    A source with several outputs is written 'layer/port'. A layer holding Python code (a callable
    initializer, a functionLayer lambda, an unregistered custom layer class) cannot be written: the error says
    how to register it.
    """
    lg = lgraph.layer_graph if hasattr(lgraph, "layer_graph") else lgraph
    order = list(lg.graph.nodes)
    out_layers = []
    for i, lname in enumerate(order):
        layer = lg.layer(lname)
        entry: dict[str, Any] = {"type": layer.type, "Name": layer.Name}
        try:
            entry.update(layer.spec_options())
        except LayergraphError as err:
            raise SpecError(f"layer '{lname}': {err}") from None
        wired = lg.sources_of(lname)
        ports = layer.input_names
        chained = i > 0 and ports and wired == {ports[0]: (order[i - 1], lg.layer(order[i - 1]).output_names[0])}
        if ports and not chained:
            refs = {p: lg.ref(*wired[p]) for p in ports if p in wired}
            entry["inputs"] = [refs[p] for p in ports] if len(refs) == len(ports) else refs
        out_layers.append(entry)
    data: dict[str, Any] = {}
    if name:
        data["name"] = name
    data["layers"] = out_layers
    return data


def dump_spec(lgraph: Any, name: str | None = None) -> str:
    """The YAML text of a network's spec."""
    return yaml.safe_dump(spec_data(lgraph, name), sort_keys=False, default_flow_style=None, width=110)


def save_spec(lgraph: Any, path: str | Path, name: str | None = None) -> Path:
    """Write a network's spec to YAML (to a temporary file first, so an existing spec is never half-written)."""
    from layergraph.safety.outputs import write_text_atomic

    p = Path(path)
    return write_text_atomic(p, dump_spec(lgraph, name or p.stem))
