"""Spec templates → flat specs: `params:`, `blocks:`, `repeat:` and `${...}` values, expanded before validation.

`expand_spec` returns a flat spec (name, description, layers, connections) that `graph_from_data` validates
as usual. A spec with none of these features is returned unchanged, so flat specs load exactly as before.
Every line number in the result remembers the block instance and repeat index it came from (`SpecLine`), so
an error found later names both the block's line and the instance's.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from layergraph.errors import SpecError
from layergraph.graph.layergraph import auto_names_of
from layergraph.layers import BY_TYPE
from layergraph.safety.limits import MAX_NAME_CHARS
from layergraph.spec.evaluate import has_expr
from layergraph.spec.scope import Ctx, at_of, check_name, check_value, line_of, resolve, spec_params
from layergraph.spec.yamlsafe import LineDict, LineList

TOP_KEYS = ("name", "description", "params", "blocks", "layers", "connections")
BLOCK_KEYS = ("description", "params", "inputs", "outputs", "layers", "connections")
ENTRY_KEYS = ("repeat", "index")
INSTANCE_KEYS = ("block", "repeat", "index", "inputs")  # and Name; every other key is a block parameter
MAX_REPEAT = 1000      # instances or layers one `repeat:` makes
MAX_LAYERS = 10_000    # layers, block instances and connections one expansion makes
MAX_NESTING = 16       # blocks inside blocks
SEPARATOR = "_"        # instance 'down3' + layer 'conv' → 'down3_conv' ('/' is the port separator)


def has_template_parts(value: Any) -> bool:
    """True for data that uses `${...}`, `block:` or `repeat:` anywhere."""
    if isinstance(value, dict):
        return any(k in ("block", "repeat") or has_template_parts(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_template_parts(v) for v in value)
    return has_expr(value)


def is_template(data: Any) -> bool:
    """True for a spec mapping that needs expanding (params, blocks, repeat or `${...}`)."""
    return isinstance(data, dict) and (
        "params" in data or "blocks" in data
        or any(has_template_parts(data.get(k)) for k in ("layers", "connections")))


def expand_spec(data: Any, where: str = "<spec>", params: Mapping[str, Any] | None = None,
                origin: str = "given in code") -> Any:
    """The flat spec data of a template; a flat spec comes back unchanged. `params` override the spec's
    `params:` (`origin` says where they were given, for error messages)."""
    if not is_template(data):
        if params:
            name = next(iter(params))
            raise SpecError(f"{where}: unknown parameter '{name}' ({origin}): the spec has no 'params:'")
        return data
    return flatten(data, where, params, origin)


def flatten(data: Any, where: str = "<spec>", params: Mapping[str, Any] | None = None,
            origin: str = "given in code") -> LineDict:
    """Expand a spec (template or flat) into flat data where every layer has its final explicit Name."""
    if not isinstance(data, dict):
        raise SpecError(f"{where}:{getattr(data, 'line', 1)}: a spec must be a mapping with a 'layers:' list")
    ctx = Ctx(where)
    for key in data:
        if key not in TOP_KEYS:
            raise ctx.fail(line_of(data, key, 1), f"unknown top-level key '{key}' (allowed: {', '.join(TOP_KEYS)})")
    env = spec_params(data, dict(params or {}), ctx, origin)
    return _Expander(data, env, ctx).run()


def _name_length(name: str, what: str, ctx: Ctx, line: int) -> None:
    """Names are copied into every layer of every repetition: one long name must not multiply into gigabytes."""
    if len(name) > MAX_NAME_CHARS:
        raise ctx.fail(line, f"{what} is {len(name):,} characters long; the limit is {MAX_NAME_CHARS:,} "
                       "(instance prefixes included)")


# ----- the expansion ----------------------------------------------------------------------------------
class _Layer:
    """One layer of the flat spec being built: its evaluated options, local name and wiring."""

    def __init__(self, entry: LineDict, values: dict[str, Any], ctx: Ctx, line: int) -> None:
        self.entry, self.ctx, self.line = entry, ctx, line
        self.name_key = next((k for k in values if isinstance(k, str) and k.lower() == "name"), None)
        self.local = values.pop(self.name_key) if self.name_key else None
        if self.local is not None and (not isinstance(self.local, str) or not self.local):
            raise ctx.fail(line_of(entry, self.name_key, line), f"Name must be non-empty text, not {self.local!r}")
        if self.local is not None:
            _name_length(self.local, "Name", ctx, line_of(entry, self.name_key, line))
        cls = BY_TYPE.get(values["type"]) if isinstance(values.get("type"), str) else None
        self.base = cls.default_name if cls else "layer"
        self.raw_inputs = values.pop("inputs", None)
        self.chains = "inputs" not in entry and not (cls is not None and cls.is_input)
        self.inputs: Any = None  # once resolved: a list of _Layer/None, or {port: _Layer}
        self.values = values


@dataclass
class _Exports:
    """What a block instance shows around it: its inputs (each feeding one or more layer inputs) and outputs."""

    inputs: dict[str, list[tuple[_Layer, str | None]]]
    outputs: dict[str, _Layer]


@dataclass
class _Body:
    """The expanded `layers:` of the top level or of one block instance."""

    ctx: Ctx
    layers: list[_Layer] = field(default_factory=list)
    first: _Layer | None = None     # the first layer, when it chains from whatever comes before the body
    extras: list[tuple[_Layer, str | None]] = field(default_factory=list)  # fed by that same layer
    source: _Layer | None = None    # what the next entry chains from (the last entry's output)
    instances: dict[str, tuple[_Exports, int]] = field(default_factory=dict)
    deferred: list[tuple] = field(default_factory=list)  # wiring by name, resolved after naming
    names: dict[str, _Layer] = field(default_factory=dict)


def _is_chain_port(dest: tuple[_Layer, str | None], layer: _Layer | None) -> bool:
    return layer is not None and dest[0] is layer and dest[1] in (None, "in", "in1")


@dataclass
class _Block:
    """A block definition: its mapping from the YAML and its parameters with their defaults."""

    name: str
    data: LineDict
    line: int
    params: list[tuple[str, Any, int]]  # (name, default or _REQUIRED, line)


_REQUIRED = object()


class _Expander:
    """One expansion: the global parameters, the blocks, and the flat layers and connections it makes."""

    def __init__(self, data: Mapping[str, Any], env: dict[str, Any], ctx: Ctx) -> None:
        self.data, self.env, self.ctx = data, env, ctx
        self.blocks = self._blocks(data.get("blocks"))
        self.units = 0
        self.connections: list[tuple[_Layer, _Layer, str | None, int]] = []

    def run(self) -> LineDict:
        entries = self.data.get("layers")
        if not isinstance(entries, list) or not entries:
            raise self.ctx.fail(line_of(self.data, "layers", 1), "'layers' must be a non-empty list of layers")
        body = self._body(entries, self.data.get("connections"), self.env, self.ctx, (), named=True)
        if body.extras:
            layer = body.extras[0][0]
            raise layer.ctx.fail(layer.line, f"layer '{layer.local}': the block instance it belongs to comes "
                                 "first, so nothing feeds its input 'in'; give the instance 'inputs:'")
        return self._render(body)

    # ----- blocks -----
    def _blocks(self, raw: Any) -> dict[str, _Block]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.ctx.fail(line_of(self.data, "blocks", 1), "'blocks' must be a mapping of names to blocks")
        return {str(name): self._block(str(name), b, line_of(raw, name, 1)) for name, b in raw.items()}

    def _block(self, name: str, b: Any, line: int) -> _Block:
        fail = self.ctx.fail
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
            params = [(p, _REQUIRED, line_of(raw, i, at)) for i, p in enumerate(raw)]
        elif isinstance(raw, dict):
            params = [(p, _REQUIRED if d is None else d, line_of(raw, p, at)) for p, d in raw.items()]
        else:
            raise fail(at, f"block '{name}': 'params' must be a list of names or a mapping of names to defaults")
        for pname, _, pline in params:
            check_name(pname, "parameter", self.ctx, pline)
            if pname in INSTANCE_KEYS or pname.lower() == "name":
                raise fail(pline, f"block '{name}': '{pname}' is a key of block instances, not a parameter name")
        return _Block(name, b, line, params)

    # ----- one list of entries -----
    def _body(self, entries: list, conns: Any, env: dict[str, Any], ctx: Ctx, stack: tuple[str, ...],
              named: bool) -> _Body:
        body = _Body(ctx)
        for i, entry in enumerate(entries):
            line = line_of(entries, i, getattr(entry, "line", 1))
            if not isinstance(entry, dict):
                raise ctx.fail(line, f"layer #{i + 1}: expected a mapping with 'type:' (a layer) or 'block:' "
                               "(a block instance)")
            for env_i, ctx_i in self._repeats(entry, env, ctx, line):
                self._tick(ctx_i, line)
                if "block" in entry:
                    self._add_instance(body, entry, env_i, ctx_i, line, stack)
                else:
                    self._add_layer(body, entry, env_i, ctx_i, line)
        self._connections(body, conns, env, ctx)
        if named:
            self._name(body)
        self._namespace(body)
        self._resolve(body)
        return body

    def _tick(self, ctx: Ctx, line: int) -> None:
        self.units += 1
        if self.units > MAX_LAYERS:
            raise ctx.fail(line, f"the spec expands to more than {MAX_LAYERS:,} layers, instances and connections")

    def _repeats(self, entry: Mapping[str, Any], env: dict[str, Any], ctx: Ctx,
                 line: int) -> Iterator[tuple[dict[str, Any], Ctx]]:
        """(env, ctx) for each repetition of an entry: once without `repeat:`, else with the index bound."""
        if "repeat" not in entry:
            if "index" in entry:
                raise ctx.fail(line_of(entry, "index", line), "'index' names the counter of 'repeat:'; give both")
            yield env, ctx
            return
        at = line_of(entry, "repeat", line)
        count = resolve(entry["repeat"], env, ctx, at_of(entry, "repeat", at))
        whole = isinstance(count, int) or (isinstance(count, float) and count.is_integer())
        if isinstance(count, bool) or not (whole or isinstance(count, list)) or (whole and count < 0):
            raise ctx.fail(at, f"'repeat' must be a whole number ≥ 0 or a list of index values, not {count!r}")
        size = len(count) if isinstance(count, list) else int(count)
        if size > MAX_REPEAT:
            raise ctx.fail(at, f"'repeat' of {size:,} (limit {MAX_REPEAT:,})")
        index = check_name(entry.get("index", "i"), "index", ctx, line_of(entry, "index", at))
        if index in env:
            raise ctx.fail(at, f"the repeat index '{index}' would hide the parameter '{index}'; name the index "
                           "with 'index:'")
        for value in (count if isinstance(count, list) else range(1, size + 1)):
            yield {**env, index: value}, ctx.push(f"{index}={value}")

    def _add_layer(self, body: _Body, entry: LineDict, env: dict[str, Any], ctx: Ctx, line: int) -> None:
        values = {k: resolve(v, env, ctx, at_of(entry, k, line_of(entry, k, line)))
                  for k, v in entry.items() if k not in ENTRY_KEYS}
        layer = _Layer(entry, values, ctx, line)
        if "inputs" in entry:
            body.deferred.append(("inputs", layer))
        self._chain(body, layer if layer.chains else None, [], ctx, line)
        body.layers.append(layer)
        body.source = layer

    def _chain(self, body: _Body, first: _Layer | None, dests: list[tuple[_Layer, str | None]], ctx: Ctx,
               line: int) -> None:
        """Chaining into a new entry: `first` (its first layer, when it chains) and the other `dests` of its
        input take the output of the entry before; at the start of a body, whatever comes before the body."""
        others = [d for d in dests if not _is_chain_port(d, first)]
        src = body.source
        if src is None:
            if not body.layers:
                body.first = body.first or first
                body.extras.extend(others)
            return
        if first is not None and src is not body.layers[-1]:  # list order would chain from the wrong layer
            first.inputs, first.chains = [src], False
        for layer, port in others:
            self.connections.append((src, layer, port, ctx.line(line)))

    # ----- block instances -----
    def _add_instance(self, body: _Body, entry: LineDict, env: dict[str, Any], ctx: Ctx, line: int,
                      stack: tuple[str, ...]) -> None:
        sub, exp, name, wiring = self._instance(entry, env, ctx, line, stack)
        if name is not None:
            if name in body.instances:
                raise ctx.fail(line, f"block instance '{name}': duplicate name (first used at line "
                               f"{body.instances[name][1]})")
            body.instances[name] = (exp, line)
        if not sub.layers:
            return
        first = sub.first
        for port, (src, at) in wiring.items():
            if port not in exp.inputs:
                raise ctx.fail(at, f"block '{entry['block']}' has no input '{port}' (inputs: "
                               f"{', '.join(exp.inputs) or 'none'})")
            for dest in exp.inputs[port]:
                if _is_chain_port(dest, first) and first is not None and first.chains:
                    first.chains = False
                    body.deferred.append(("first", first, src, at, ctx))
                else:
                    body.deferred.append(("wire", dest, src, at, ctx))
        chained = [] if "in" in wiring else exp.inputs.get("in", [])
        self._chain(body, first if first is not None and first.chains else None, chained, ctx, line)
        body.layers.extend(sub.layers)
        body.source = exp.outputs.get("out", sub.layers[-1])

    def _instance(self, entry: LineDict, env: dict[str, Any], ctx: Ctx, line: int,
                  stack: tuple[str, ...]) -> tuple[_Body, _Exports, str | None, dict[str, tuple[str, int]]]:
        bname = resolve(entry["block"], env, ctx, at_of(entry, "block", line))
        block = self.blocks.get(bname) if isinstance(bname, str) else None
        if block is None:
            hint = difflib.get_close_matches(str(bname), list(self.blocks), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else f" (blocks: {', '.join(self.blocks) or 'none'})"
            raise ctx.fail(line_of(entry, "block", line), f"unknown block '{bname}'{extra}")
        if bname in stack:
            raise ctx.fail(line, f"block '{bname}' uses itself ({' → '.join((*stack, bname))})")
        if len(stack) >= MAX_NESTING:
            raise ctx.fail(line, f"blocks nested more than {MAX_NESTING} deep")
        name_key = next((k for k in entry if isinstance(k, str) and k.lower() == "name"), None)
        name = resolve(entry[name_key], env, ctx, at_of(entry, name_key, line)) if name_key else None
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ctx.fail(line_of(entry, name_key, line), f"instance Name must be text without '/', not {name!r}")
        if name is not None:
            _name_length(name, "instance Name", ctx, line_of(entry, name_key, line))
        given = {}
        for key, raw in entry.items():
            if key in INSTANCE_KEYS or key == name_key:
                continue
            if key not in {p for p, _, _ in block.params}:
                known = ", ".join(p for p, _, _ in block.params) or "none"
                hint = difflib.get_close_matches(str(key), [p for p, _, _ in block.params], n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else f" (parameters: {known})"
                raise ctx.fail(line_of(entry, key, line), f"block '{bname}' has no parameter '{key}'{extra}")
            given[key] = resolve(raw, env, ctx, at_of(entry, key, line_of(entry, key, line)))
        wiring = self._wiring(entry, env, ctx, line)
        inner = ctx.push(f"block '{bname}', instance '{name or '(unnamed)'}' at line {line}")
        benv = self._block_env(block, given, inner, ctx, line)
        sub = self._body(block.data["layers"], block.data.get("connections"), benv, inner, (*stack, bname),
                         named=name is not None)
        exp = self._exports(block, sub, benv, inner)
        if name is not None:
            for layer in sub.layers:
                layer.local = f"{name}{SEPARATOR}{layer.local}"
                _name_length(layer.local, f"the name of a layer of instance '{name[:40]}'", ctx, line)
        return sub, exp, name, wiring

    def _block_env(self, block: _Block, given: dict[str, Any], inner: Ctx, ctx: Ctx, line: int) -> dict:
        """The block's scope: the spec's parameters, then the block's own (given, or their defaults)."""
        benv = dict(self.env)
        for pname, default, pline in block.params:
            if pname in given:
                value = given[pname]
            elif default is _REQUIRED:
                raise ctx.fail(line, f"block '{block.name}' needs the parameter '{pname}'")
            else:
                value = resolve(default, benv, inner, (pline, None))
            benv[pname] = check_value(value, f"parameter '{pname}' of block '{block.name}'", ctx, line)
        return benv

    def _wiring(self, entry: LineDict, env: dict[str, Any], ctx: Ctx, line: int) -> dict[str, tuple[str, int]]:
        """An instance's `inputs:`: block input → source, as a string or mapping."""
        if "inputs" not in entry:
            return {}
        at = line_of(entry, "inputs", line)
        raw = resolve(entry["inputs"], env, ctx, at_of(entry, "inputs", at))
        if isinstance(raw, str):
            raw = {"in": raw}
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise ctx.fail(at, "an instance's 'inputs' maps the block's inputs to sources ({in: conv1, skip: d3})")
        return {str(k): (v, at) for k, v in raw.items()}

    def _exports(self, block: _Block, sub: _Body, benv: dict[str, Any], ctx: Ctx) -> _Exports:
        """The instance's inputs and outputs: as the block declares them, else `in` = its first layer (and
        whatever a block instance at its start needs) and `out` = its last entry's output."""
        data, line = block.data, block.line
        head = [(sub.first, None)] if sub.first is not None else []
        inputs = {"in": head + sub.extras} if head or sub.extras else {}
        if "inputs" in data:
            at = line_of(data, "inputs", line)
            raw = resolve(data["inputs"], benv, ctx, at_of(data, "inputs", at))
            raw = {"in": raw} if isinstance(raw, str) else raw
            if not isinstance(raw, dict):
                raise ctx.fail(at, f"block '{block.name}': 'inputs' maps input names to layer inputs "
                               "({in: conv1, skip: cat/in2})")
            inputs = {str(k): [d for v in (dests if isinstance(dests, list) else [dests])
                               for d in self._dests(sub, v, ctx, at)] for k, dests in raw.items()}
            if sub.extras:
                if "in" not in inputs:
                    raise ctx.fail(at, f"block '{block.name}': its first entry needs an input 'in'; declare it")
                inputs["in"] += sub.extras
        outputs = {"out": sub.source} if sub.source is not None else {}
        if "outputs" in data:
            at = line_of(data, "outputs", line)
            raw = resolve(data["outputs"], benv, ctx, at_of(data, "outputs", at))
            raw = {"out": raw} if isinstance(raw, str) else raw
            if not isinstance(raw, dict):
                raise ctx.fail(at, f"block '{block.name}': 'outputs' maps output names to layers ({{out: relu}})")
            outputs = {str(k): self._source(sub, v, ctx, at) for k, v in raw.items()}
        return _Exports(inputs, outputs)

    # ----- names and wiring by name -----
    def _connections(self, body: _Body, conns: Any, env: dict[str, Any], ctx: Ctx) -> None:
        if conns is None:
            return
        if not isinstance(conns, list):
            raise ctx.fail(getattr(conns, "line", 1), "'connections' must be a list of [source, destination] pairs")
        for j, conn in enumerate(conns):
            line = line_of(conns, j, 1)
            for env_j, ctx_j in self._repeats(conn if isinstance(conn, dict) else {}, env, ctx, line):
                self._tick(ctx_j, line)
                pair = resolve(conn, env_j, ctx_j, at_of(conns, j, line))
                if isinstance(pair, dict) and set(pair) - set(ENTRY_KEYS) == {"from", "to"}:
                    pair = [pair["from"], pair["to"]]
                if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(c, str) for c in pair)):
                    raise ctx_j.fail(line, f"connection #{j + 1}: expected [source, destination] or "
                                     "{from: source, to: destination}")
                body.deferred.append(("conn", pair[0], pair[1], line, ctx_j))

    def _name(self, body: _Body) -> None:
        """MATLAB's automatic names for the unnamed layers of this list (the list is one layer array)."""
        self._unique(body)
        names = auto_names_of([(layer.local, layer.base) for layer in body.layers], set())
        for layer, name in zip(body.layers, names):
            layer.local = name

    def _unique(self, body: _Body) -> None:
        seen: dict[str, _Layer] = {}
        for layer in body.layers:
            if layer.local is None:
                continue
            if layer.local in seen:
                first = seen[layer.local]
                raise layer.ctx.fail(layer.line, f"layer '{layer.local}': duplicate name (first used at line "
                                     f"{first.ctx.line(first.line)})")
            seen[layer.local] = layer

    def _namespace(self, body: _Body) -> None:
        self._unique(body)
        body.names = {layer.local: layer for layer in body.layers if layer.local is not None}
        for name, (_, line) in body.instances.items():
            if name in body.names:
                raise body.ctx.fail(line, f"'{name}' names both a block instance and a layer")

    def _resolve(self, body: _Body) -> None:
        for item in body.deferred:
            kind = item[0]
            if kind == "inputs":
                self._layer_inputs(body, item[1])
            elif kind == "first":
                _, layer, src, at, ctx = item
                layer.inputs = [self._source(body, src, ctx, at)]
            elif kind == "wire":
                _, (layer, port), src, at, ctx = item
                self.connections.append((self._source(body, src, ctx, at), layer, port, ctx.line(at)))
            else:
                _, src, dst, at, ctx = item
                source = self._source(body, src, ctx, at)
                for layer, port in self._dests(body, dst, ctx, at):
                    self.connections.append((source, layer, port, ctx.line(at)))

    def _layer_inputs(self, body: _Body, layer: _Layer) -> None:
        raw, ctx = layer.raw_inputs, layer.ctx
        at = line_of(layer.entry, "inputs", layer.line)
        if isinstance(raw, str):
            raw = [raw]
        if isinstance(raw, list) and all(s is None or isinstance(s, str) for s in raw):
            layer.inputs = [None if s is None else self._source(body, s, ctx, at) for s in raw]
        elif isinstance(raw, dict) and all(isinstance(s, str) for s in raw.values()):
            layer.inputs = {port: self._source(body, s, ctx, at) for port, s in raw.items()}
        else:
            raise ctx.fail(at, f"layer '{layer.local}': 'inputs' must be a list of layer names or a mapping")

    def _lookup(self, body: _Body, text: str, ctx: Ctx, at: int) -> tuple[str, str, Any]:
        name, _, port = text.partition("/")
        if name in body.instances:
            return name, port, body.instances[name][0]
        if name in body.names:
            return name, port, body.names[name]
        hint = difflib.get_close_matches(name, [*body.names, *body.instances], n=1)
        raise ctx.fail(at, f"'{text}': no layer or block instance named '{name}'"
                       + (f"; did you mean '{hint[0]}'?" if hint else ""))

    def _source(self, body: _Body, text: Any, ctx: Ctx, at: int) -> _Layer:
        """The layer behind a source: 'layer', 'layer/out', 'instance' (its 'out') or 'instance/output'."""
        if not isinstance(text, str):
            raise ctx.fail(at, f"expected a layer name, not {text!r}")
        name, port, found = self._lookup(body, text, ctx, at)
        if isinstance(found, _Layer):
            if port not in ("", "out"):
                raise ctx.fail(at, f"'{text}': a layer has one output; write '{name}' or '{name}/out'")
            return found
        if (port or "out") not in found.outputs:
            raise ctx.fail(at, f"'{text}': block instance '{name}' has no output '{port or 'out'}' (outputs: "
                           f"{', '.join(found.outputs) or 'none'})")
        return found.outputs[port or "out"]

    def _dests(self, body: _Body, text: Any, ctx: Ctx, at: int) -> list[tuple[_Layer, str | None]]:
        """The layer inputs behind a destination: 'layer', 'layer/in2', 'instance' (its 'in'), 'instance/skip'."""
        if not isinstance(text, str):
            raise ctx.fail(at, f"expected a layer input such as 'cat/in2', not {text!r}")
        name, port, found = self._lookup(body, text, ctx, at)
        if isinstance(found, _Layer):
            return [(found, port or None)]
        if (port or "in") not in found.inputs:
            raise ctx.fail(at, f"'{text}': block instance '{name}' has no input '{port or 'in'}' (inputs: "
                           f"{', '.join(found.inputs) or 'none'})")
        return found.inputs[port or "in"]

    # ----- the flat spec -----
    def _render(self, body: _Body) -> LineDict:
        out = LineDict()
        out.line = getattr(self.data, "line", 1)
        for key in ("name", "description"):  # taken as written: `layergraph export` reads the name unexpanded
            if key in self.data:
                out[key], out.lines[key] = self.data[key], line_of(self.data, key, 1)
        layers = LineList()
        layers.line = line_of(self.data, "layers", 1)
        for layer in body.layers:
            layers.append(self._entry(layer))
            layers.lines.append(layer.ctx.line(layer.line))
        out["layers"], out.lines["layers"] = layers, layers.line
        if self.connections:
            conns = LineList()
            conns.line = line_of(self.data, "connections", layers.line)
            for src, dst, port, line in self.connections:
                conns.append([src.local, f"{dst.local}/{port}" if port else dst.local])
                conns.lines.append(line)
            out["connections"], out.lines["connections"] = conns, conns.line
        return out

    def _entry(self, layer: _Layer) -> LineDict:
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
