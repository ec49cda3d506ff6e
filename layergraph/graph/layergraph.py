"""LayerGraph: MATLAB's layerGraph on a networkx MultiDiGraph (edge key = destination input port)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer
from layergraph.names import unique_name

OUT = "out"  # every layer here has one output, named as MATLAB names it


class LayerGraph:
    """A directed graph of named layers with MATLAB's editing rules; `graph` is the networkx view.

    Nodes are layer names (attribute `layer`, and `source` = (file, line) when read from a spec);
    edges run src → dst with key = the destination's input name ('in', 'in2', …). Node insertion
    order is MATLAB's Layers order.
    """

    def __init__(self, layers: Iterable[Layer] | None = None) -> None:
        self.graph = nx.MultiDiGraph()
        if layers is not None:
            self._add(list(layers))

    # ----- MATLAB properties ------------------------------------------------------------------
    @property
    def Layers(self) -> list[Layer]:
        return [self.graph.nodes[n]["layer"] for n in self.graph.nodes]

    @property
    def Connections(self) -> list[tuple[str, str]]:
        """(Source, Destination) rows, destinations written 'layer/in2' where a layer has several inputs."""
        rows = []
        for dst in self.graph.nodes:
            layer = self.layer(dst)
            for port in layer.input_names:
                for src, _, key in self.graph.in_edges(dst, keys=True):
                    if key == port:
                        rows.append((src, dst if len(layer.input_names) == 1 else f"{dst}/{port}"))
        return rows

    @property
    def InputNames(self) -> list[str]:
        return [n for n in self.graph.nodes if self.layer(n).is_input]

    @property
    def OutputNames(self) -> list[str]:
        return [n for n in self.graph.nodes if self.graph.out_degree(n) == 0]

    def layer(self, name: str) -> Layer:
        """The layer called `name`; a clear error when there is none."""
        if name not in self.graph:
            raise NetworkError(f"no layer named '{name}' in the layer graph")
        return self.graph.nodes[name]["layer"]

    def source(self, name: str) -> tuple[str, int] | None:
        """(file, line) where the layer was defined, when it came from a spec file."""
        return self.graph.nodes[name].get("source")

    def inputs_of(self, name: str) -> dict[str, str]:
        """Map of input port → source layer for `name`."""
        return {key: src for src, _, key in self.graph.in_edges(name, keys=True)}

    def copy(self) -> LayerGraph:
        new = LayerGraph()
        new.graph = self.graph.copy()
        return new

    def __eq__(self, other: object) -> bool:
        """Same layers (options and order) and the same connections."""
        if not isinstance(other, LayerGraph):
            return NotImplemented
        return self.Layers == other.Layers and sorted(self.graph.edges(keys=True)) == sorted(
            other.graph.edges(keys=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"LayerGraph with {len(self.graph)} layers, {self.graph.number_of_edges()} connections; "
                f"inputs {self.InputNames}, outputs {self.OutputNames}")

    def _repr_html_(self) -> str:
        from layergraph.analyze.html import repr_html  # the analyzeNetwork page, inline in notebooks
        return repr_html(self)

    # ----- editing (in place; the module-level functions copy first, like MATLAB) ------------
    def _add(self, layers: Sequence[Layer], sources: Sequence[tuple[str, int] | None] | None = None,
             chain: bool = True) -> list[str]:
        """Add an array of layers, naming unnamed ones MATLAB's way and chaining them in order."""
        if isinstance(layers, Layer):
            layers = [layers]
        for item in layers:
            if not isinstance(item, Layer):
                raise NetworkError(f"addLayers expects layers, got {type(item).__name__}")
        names = auto_names(layers, set(self.graph.nodes))
        for i, (layer, name) in enumerate(zip(layers, names)):
            layer = layer.model_copy(update={"Name": name})
            attrs: dict[str, Any] = {"layer": layer}
            if sources and sources[i]:
                attrs["source"] = sources[i]
            self.graph.add_node(name, **attrs)
        if chain:
            for prev, nxt in zip(names, names[1:]):
                ins = self.layer(nxt).input_names
                if ins:  # MATLAB chains first output → first input; input layers have none
                    self.graph.add_edge(prev, nxt, key=ins[0])
        return names

    def _connect(self, s: str, d: str) -> None:
        src, sport = _split(s, OUT)
        dst, dport = _split(d, None)
        self.layer(src)
        if sport != OUT:
            raise NetworkError(f"connectLayers: layer '{src}' has no output '{sport}' (outputs: out)")
        ins = self.layer(dst).input_names
        if dport is None:
            if len(ins) != 1:
                raise NetworkError(f"connectLayers: layer '{dst}' has inputs {', '.join(ins) or 'none'}; "
                                   f"name one as '{dst}/{ins[0] if ins else 'in'}'")
            dport = ins[0]
        if dport not in ins:
            raise NetworkError(f"connectLayers: layer '{dst}' has no input '{dport}' "
                               f"(inputs: {', '.join(ins) or 'none'})")
        if any(k == dport for _, _, k in self.graph.in_edges(dst, keys=True)):
            raise NetworkError(f"connectLayers: input '{dst}/{dport}' is already connected")
        self.graph.add_edge(src, dst, key=dport)

    def _disconnect(self, s: str, d: str) -> None:
        src, _ = _split(s, OUT)
        dst, dport = _split(d, None)
        if dport is None:
            ins = self.layer(dst).input_names
            dport = ins[0] if len(ins) == 1 else None
        if dport is None or not self.graph.has_edge(src, dst, key=dport):
            raise NetworkError(f"disconnectLayers: there is no connection from '{s}' to '{d}'")
        self.graph.remove_edge(src, dst, key=dport)

    def _remove(self, names: str | Iterable[str]) -> None:
        for name in [names] if isinstance(names, str) else list(names):
            self.layer(name)
            self.graph.remove_node(name)

    def _replace(self, name: str, layers: Sequence[Layer], reconnect_by: str = "name") -> None:
        old = self.layer(name)
        layers = [layers] if isinstance(layers, Layer) else list(layers)
        incoming = sorted(self.graph.in_edges(name, keys=True), key=lambda e: old.input_names.index(e[2]))
        outgoing = list(self.graph.out_edges(name, keys=True))
        order = list(self.graph.nodes)
        pos = order.index(name)
        self.graph.remove_node(name)
        new_names = self._add(layers)
        first = self.layer(new_names[0])
        # put the new layers where the old one stood in the Layers order
        wanted = order[:pos] + new_names + order[pos + 1:]
        rebuilt = nx.MultiDiGraph()
        rebuilt.add_nodes_from((n, self.graph.nodes[n]) for n in wanted)
        rebuilt.add_edges_from(self.graph.edges(keys=True, data=True))
        self.graph = rebuilt
        for i, (src, _, key) in enumerate(incoming):
            if reconnect_by == "order":
                port = first.input_names[i] if i < len(first.input_names) else None
            else:
                port = key if key in first.input_names else None
            if port is None:
                raise NetworkError(f"replaceLayer: cannot reconnect input '{key}' of '{name}' to "
                                   f"'{new_names[0]}' (inputs: {', '.join(first.input_names) or 'none'})")
            self.graph.add_edge(src, new_names[0], key=port)
        for _, dst, key in outgoing:
            self.graph.add_edge(new_names[-1], dst, key=key)


def _split(spec: str, default: str | None) -> tuple[str, str | None]:
    """'layer/port' → (layer, port); 'layer' → (layer, default)."""
    if not isinstance(spec, str) or not spec:
        raise NetworkError(f"expected a layer name or 'layer/port', got {spec!r}")
    name, _, port = spec.partition("/")
    return name, (port or default)


def auto_names(layers: Sequence[Layer], taken: set[str]) -> list[str]:
    """MATLAB's automatic names: unnamed layers get their type's base name; a base used by several
    unnamed layers of one array is numbered _1, _2, …; clashes with existing names take the next free
    suffix (the CGAN table's 'input_1', 'fc_1' come from this)."""
    return auto_names_of([(layer.Name, type(layer).default_name) for layer in layers], taken)


def auto_names_of(layers: Sequence[tuple[str | None, str]], taken: set[str]) -> list[str]:
    """auto_names for (Name or None, base name) pairs: spec templates name layers before they are built."""
    explicit = [name for name, _ in layers if name]
    dup = [n for n, c in Counter(explicit).items() if c > 1]
    if dup:
        raise NetworkError(f"layer names must be unique: '{dup[0]}' is used more than once")
    clash = [n for n in explicit if n in taken]
    if clash:
        raise NetworkError(f"layer names must be unique: a layer named '{clash[0]}' is already in the graph")
    used = set(taken) | set(explicit)
    counts = Counter(base for name, base in layers if not name)
    seen: Counter[str] = Counter()
    names = []
    for given, base in layers:
        if given:
            names.append(given)
            continue
        if counts[base] > 1:
            seen[base] += 1
            base = f"{base}_{seen[base]}"
        names.append(unique_name(base, used))
    return names


# ----- MATLAB's functions: each returns a new graph and leaves its argument untouched -------------
def layerGraph(layers: Iterable[Layer] | LayerGraph | None = None) -> LayerGraph:
    """layerGraph(layers): connect a layer array in sequence (or copy a graph)."""
    if isinstance(layers, LayerGraph):
        return layers.copy()
    if isinstance(layers, Layer):
        layers = [layers]
    return LayerGraph(layers)


def addLayers(lgraph: LayerGraph, layers: Iterable[Layer] | Layer) -> LayerGraph:
    """addLayers(lgraph, layers): add an array of layers, connected in sequence among themselves."""
    new = lgraph.copy()
    new._add([layers] if isinstance(layers, Layer) else list(layers))
    return new


def connectLayers(lgraph: LayerGraph, s: str, d: str) -> LayerGraph:
    """connectLayers(lgraph, "src", "dst/in2")."""
    new = lgraph.copy()
    new._connect(s, d)
    return new


def disconnectLayers(lgraph: LayerGraph, s: str, d: str) -> LayerGraph:
    """disconnectLayers(lgraph, "src", "dst/in2")."""
    new = lgraph.copy()
    new._disconnect(s, d)
    return new


def removeLayers(lgraph: LayerGraph, names: str | Iterable[str]) -> LayerGraph:
    """removeLayers(lgraph, names): remove layers and all their connections."""
    new = lgraph.copy()
    new._remove(names)
    return new


def replaceLayer(lgraph: LayerGraph, name: str, layers: Iterable[Layer] | Layer,
                 ReconnectBy: str = "name") -> LayerGraph:
    """replaceLayer(lgraph, name, larray): swap a layer for a chain, keeping its connections."""
    if ReconnectBy.lower() not in ("name", "order"):
        raise NetworkError(f"replaceLayer: ReconnectBy must be 'name' or 'order', not '{ReconnectBy}'")
    new = lgraph.copy()
    new._replace(name, [layers] if isinstance(layers, Layer) else list(layers), ReconnectBy.lower())
    return new
