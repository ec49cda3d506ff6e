"""Spec templates → flat specs: `params:`, `blocks:`, `repeat:` and `${...}` values, expanded before validation.

`expand_spec` returns a flat spec (name, description, layers, connections) that `graph_from_data` validates
as usual. A spec with none of these features is returned unchanged, so flat specs load exactly as before.
Every line number in the result remembers the block instance and repeat index it came from (`SpecLine`), so
an error found later names both the block's line and the instance's.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from layergraph.errors import SpecError
from layergraph.spec.blocks import BLOCK_KEYS, INSTANCE_KEYS, REQUIRED, Block, parse_blocks
from layergraph.spec.evaluate import has_expr
from layergraph.spec.pieces import ENTRY_KEYS, Body, Connection, Exports, LayerEntry, is_chain_port, name_length
from layergraph.spec.render import render_flat
from layergraph.spec.scope import Ctx, at_of, check_name, check_value, line_of, resolve, spec_params
from layergraph.spec.wiring import dests_of, make_namespace, name_layers, resolve_deferred, source_of
from layergraph.spec.yamlsafe import LineDict

# BLOCK_KEYS, ENTRY_KEYS and INSTANCE_KEYS live with the blocks and pieces they describe; importable from here too
__all__ = ["BLOCK_KEYS", "ENTRY_KEYS", "INSTANCE_KEYS", "MAX_LAYERS", "MAX_NESTING", "MAX_REPEAT", "SEPARATOR",
           "TOP_KEYS", "expand_spec", "flatten", "has_template_parts", "is_template"]

TOP_KEYS = ("name", "description", "params", "blocks", "layers", "connections")
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


class _Expander:
    """One expansion: the global parameters, the blocks, and the flat layers and connections it makes."""

    def __init__(self, data: Mapping[str, Any], env: dict[str, Any], ctx: Ctx) -> None:
        self.data, self.env, self.ctx = data, env, ctx
        self.blocks = parse_blocks(data, ctx)
        self.units = 0
        self.connections: list[Connection] = []

    def run(self) -> LineDict:
        entries = self.data.get("layers")
        if not isinstance(entries, list) or not entries:
            raise self.ctx.fail(line_of(self.data, "layers", 1), "'layers' must be a non-empty list of layers")
        body = self._body(entries, self.data.get("connections"), self.env, self.ctx, (), named=True)
        if body.extras:
            layer = body.extras[0][0]
            raise layer.ctx.fail(layer.line, f"layer '{layer.local}': the block instance it belongs to comes "
                                 "first, so nothing feeds its input 'in'; give the instance 'inputs:'")
        return render_flat(self.data, body, self.connections)

    # ----- one list of entries -----
    def _body(self, entries: list, conns: Any, env: dict[str, Any], ctx: Ctx, stack: tuple[str, ...],
              named: bool) -> Body:
        body = Body(ctx)
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
            name_layers(body)
        make_namespace(body)
        resolve_deferred(body, self.connections)
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

    def _add_layer(self, body: Body, entry: LineDict, env: dict[str, Any], ctx: Ctx, line: int) -> None:
        values = {k: resolve(v, env, ctx, at_of(entry, k, line_of(entry, k, line)))
                  for k, v in entry.items() if k not in ENTRY_KEYS}
        layer = LayerEntry(entry, values, ctx, line)
        if "inputs" in entry:
            body.deferred.append(("inputs", layer))
        self._chain(body, layer if layer.chains else None, [], ctx, line)
        body.layers.append(layer)
        body.source = layer

    def _chain(self, body: Body, first: LayerEntry | None, dests: list[tuple[LayerEntry, str | None]], ctx: Ctx,
               line: int) -> None:
        """Chaining into a new entry: `first` (its first layer, when it chains) and the other `dests` of its
        input take the output of the entry before; at the start of a body, whatever comes before the body."""
        others = [d for d in dests if not is_chain_port(d, first)]
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
    def _add_instance(self, body: Body, entry: LineDict, env: dict[str, Any], ctx: Ctx, line: int,
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
                if is_chain_port(dest, first) and first is not None and first.chains:
                    first.chains = False
                    body.deferred.append(("first", first, src, at, ctx))
                else:
                    body.deferred.append(("wire", dest, src, at, ctx))
        chained = [] if "in" in wiring else exp.inputs.get("in", [])
        self._chain(body, first if first is not None and first.chains else None, chained, ctx, line)
        body.layers.extend(sub.layers)
        body.source = exp.outputs.get("out", sub.layers[-1])

    def _instance(self, entry: LineDict, env: dict[str, Any], ctx: Ctx, line: int,
                  stack: tuple[str, ...]) -> tuple[Body, Exports, str | None, dict[str, tuple[str, int]]]:
        block = self._used_block(entry, env, ctx, line, stack)
        name_key = next((k for k in entry if isinstance(k, str) and k.lower() == "name"), None)
        name = resolve(entry[name_key], env, ctx, at_of(entry, name_key, line)) if name_key else None
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ctx.fail(line_of(entry, name_key, line), f"instance Name must be text without '/', not {name!r}")
        if name is not None:
            name_length(name, "instance Name", ctx, line_of(entry, name_key, line))
        given = self._given_params(entry, block, name_key, env, ctx, line)
        wiring = self._wiring(entry, env, ctx, line)
        inner = ctx.push(f"block '{block.name}', instance '{name or '(unnamed)'}' at line {line}")
        benv = self._block_env(block, given, inner, ctx, line)
        sub = self._body(block.data["layers"], block.data.get("connections"), benv, inner, (*stack, block.name),
                         named=name is not None)
        exp = self._exports(block, sub, benv, inner)
        if name is not None:
            for layer in sub.layers:
                layer.local = f"{name}{SEPARATOR}{layer.local}"
                name_length(layer.local, f"the name of a layer of instance '{name[:40]}'", ctx, line)
        return sub, exp, name, wiring

    def _used_block(self, entry: LineDict, env: dict[str, Any], ctx: Ctx, line: int,
                    stack: tuple[str, ...]) -> Block:
        """The block an instance names, refused when unknown, used inside itself or nested too deep."""
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
        return block

    def _given_params(self, entry: LineDict, block: Block, name_key: str | None, env: dict[str, Any], ctx: Ctx,
                      line: int) -> dict[str, Any]:
        """The block parameters an instance gives (every key but the instance's own), evaluated."""
        given = {}
        names = [p for p, _, _ in block.params]
        for key, raw in entry.items():
            if key in INSTANCE_KEYS or key == name_key:
                continue
            if key not in names:
                hint = difflib.get_close_matches(str(key), names, n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else f" (parameters: {', '.join(names) or 'none'})"
                raise ctx.fail(line_of(entry, key, line), f"block '{block.name}' has no parameter '{key}'{extra}")
            given[key] = resolve(raw, env, ctx, at_of(entry, key, line_of(entry, key, line)))
        return given

    def _block_env(self, block: Block, given: dict[str, Any], inner: Ctx, ctx: Ctx, line: int) -> dict:
        """The block's scope: the spec's parameters, then the block's own (given, or their defaults)."""
        benv = dict(self.env)
        for pname, default, pline in block.params:
            if pname in given:
                value = given[pname]
            elif default is REQUIRED:
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

    def _exports(self, block: Block, sub: Body, benv: dict[str, Any], ctx: Ctx) -> Exports:
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
                               for d in dests_of(sub, v, ctx, at)] for k, dests in raw.items()}
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
            outputs = {str(k): source_of(sub, v, ctx, at) for k, v in raw.items()}
        return Exports(inputs, outputs)

    def _connections(self, body: Body, conns: Any, env: dict[str, Any], ctx: Ctx) -> None:
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
