"""MATLAB classdef files: custom layers (`< nnet.layer.Layer`) become CustomLayer subclasses; handle classes
and datastores (`< handle`, `matlab.io.Datastore`, `matlab.mixin.Copyable`, ...) and value classes become plain
Python classes on the runtime's MatlabObject."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from layergraph.port.expressions import Expressions
from layergraph.port.functions import function_info, translate_function
from layergraph.port.parse import Source, children
from layergraph.port.pyast import INDENT
from layergraph.port.scope import Program, Scope, Untranslatable, python_name
from layergraph.port.statements import Tally

_LAYER_MIXINS = ("nnet.layer.Layer", "nnet.layer.Formattable", "nnet.layer.Acceleratable")
# superclasses of a handle class or datastore whose behaviour a Python class has (reference semantics; `copy`
# from the runtime's MatlabObject); the datastore interfaces only declare the methods the class writes
_OBJECT_SUPERS = ("handle", "matlab.mixin.Copyable", "matlab.io.Datastore", "matlab.io.datastore.Shuffleable",
                  "matlab.io.datastore.Partitionable", "matlab.io.datastore.MiniBatchable",
                  "matlab.mixin.SetGet", "matlab.mixin.CustomDisplay")


@dataclass
class _ClassParts:
    """A classdef's blocks: properties (with defaults), Learnable and Constant ones, methods (static or not)."""

    props: list[tuple[str, Any]] = field(default_factory=list)
    learnable: list[str] = field(default_factory=list)
    constant: list[tuple[str, Any]] = field(default_factory=list)
    dependent: list[str] = field(default_factory=list)  # computed by get./set. methods: Python properties
    methods: list[tuple[Any, bool]] = field(default_factory=list)


def _attributes(src: Source, block: Any) -> str:
    return src.node_text(next((c for c in block.named_children if c.type == "attributes"), block)) \
        if any(c.type == "attributes" for c in block.named_children) else ""


def _parts(src: Source, node: Any, layer: bool) -> _ClassParts:
    parts = _ClassParts()
    for block in node.named_children:
        attrs = _attributes(src, block)
        if block.type == "methods":
            parts.methods += [(c, "Static" in attrs) for c in block.named_children if c.type == "function_definition"]
        if block.type != "properties":
            continue
        if "State" in attrs and layer:
            raise Untranslatable("properties (State) of a custom layer")
        for prop in (c for c in block.named_children if c.type == "property"):
            pname = src.node_text(prop.child_by_field_name("name"))
            default = next((c for c in prop.named_children if c.type == "default_value"), None)
            value = children(default)[0] if default is not None and children(default) else None
            if "Learnable" in attrs and layer:
                parts.learnable.append(pname)
            elif "Dependent" in attrs:
                parts.dependent.append(pname)
            elif "Constant" in attrs:
                parts.constant.append((pname, value))
            else:
                parts.props.append((pname, value))
    return parts


def _superclasses(src: Source, node: Any) -> list[str]:
    supers_node = next((c for c in node.named_children if c.type == "superclasses"), None)
    return [src.node_text(c) for c in supers_node.named_children if c.type in ("property_name", "identifier")] \
        if supers_node is not None else []


def translate_classdef(src: Source, program: Program, node: Any, tally: Tally) -> list[str]:
    """A classdef: a CustomLayer subclass (properties, Learnable, methods) or a MatlabObject subclass."""
    cname = src.node_text(node.child_by_field_name("name"))
    supers = _superclasses(src, node)
    layer = "nnet.layer.Layer" in supers
    unknown = [s for s in supers if s not in (_LAYER_MIXINS if layer else _OBJECT_SUPERS)]
    if unknown:
        raise Untranslatable(f"classdef deriving from {', '.join(unknown)}")
    parts = _parts(src, node, layer)
    tally.total += 1
    tally.translated += 1
    ex = Expressions(src, program, Scope())
    out = ["@classdef_layer"] if layer else []
    base = "CustomLayer" if layer else "MatlabDatastore" if "matlab.io.Datastore" in supers else "MatlabObject"
    out += [f"class {python_name(cname)}({base}):",
            INDENT + "# " + src.node_text(node).split("\n")[0].strip()]
    if "nnet.layer.Formattable" in supers:
        out.append(INDENT + "Formattable = True")
    if parts.learnable:
        out.append(INDENT + f"Learnable = ({', '.join(repr(n) for n in parts.learnable)},)")
    out += [INDENT + f"{p} = {ast.unparse(ex.expr(v)) if v is not None else '[]'}" for p, v in parts.constant]
    return out + _methods(src, program, tally, cname, parts, ex)


def _methods(src: Source, program: Program, tally: Tally, cname: str, parts: _ClassParts,
             ex: Expressions) -> list[str]:
    out: list[str] = []
    own = _register_methods(src, program, [m for m, static in parts.methods if not static], cname)
    try:
        lines, has_constructor = _method_lines(src, program, tally, cname, parts)
    finally:  # the class's methods are its own: other files call theirs
        for mname in own:
            del program.functions[mname]
    out += lines
    if not has_constructor and parts.props:
        out += ["", INDENT + "def __init__(self, **properties):", INDENT * 2 + "super().__init__(**properties)"]
        out += [INDENT * 2 + f"self.{p} = {ast.unparse(ex.expr(v)) if v is not None else '[]'}"
                for p, v in parts.props]
    return out


def _method_lines(src: Source, program: Program, tally: Tally, cname: str,
                  parts: _ClassParts) -> tuple[list[str], bool]:
    """Every method (the constructor as __init__; get./set. methods as a property) and whether there is a
    constructor."""
    out: list[str] = []
    has_constructor = False
    accessors: dict[str, dict[str, str]] = {}
    for m, static in parts.methods:
        mname = src.node_text(m.child_by_field_name("name"))
        kind = "constructor" if mname == cname else ("static" if static else "method")
        has_constructor |= kind == "constructor"
        access = next((c.type[:3] for c in m.children if c.type in ("get.", "set.")), None)
        def_name = f"_{access}_{mname}" if access else None
        if access:
            accessors.setdefault(mname, {})[access] = def_name
        out += ["", *translate_function(src, program, m, tally, 1, kind, parts.props, def_name)]
    for prop, pair in accessors.items():  # get.X / set.X methods: MATLAB's property access runs them
        out += ["", INDENT + f"{prop} = property({pair.get('get')}, {pair.get('set')})"]
    return out, has_constructor


def _register_methods(src: Source, program: Program, methods: list[Any], cname: str) -> list[str]:
    """A class's own methods that no other function's name hides (MATLAB calls `embedding(layer, X)` inside the
    class by dispatch on the object): called as `Class.method(layer, X)` while the class is translated."""
    own = []
    for m in methods:
        info = function_info(src, m)
        if info.name != cname and not program.known(info.name):
            info.owner = cname
            program.functions[info.name] = info
            own.append(info.name)
    return own
