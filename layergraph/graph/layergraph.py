"""LayerGraph: MATLAB's layerGraph on a networkx MultiDiGraph (edge key = destination input port, edge
attribute `port` = source output port)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer
from layergraph.names import unique_name
from layergraph.namevalue import matlab_keywords

OUT = "out"  # the output of a layer with one output, named as MATLAB names it


class LayerGraph:
    """A directed graph of named layers with MATLAB's editing rules; `graph` is the networkx view.

    Nodes are layer names (attribute `layer`, and `source` = (file, line) when read from a spec);
    edges run src → dst with key = the destination's input name ('in', 'in2', …) and attribute `port` = the
    source's output name ('out', or one of a multi-output layer's OutputNames). Node insertion order is
    MATLAB's Layers order.
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
        """(Source, Destination) rows, written 'layer/port' where a layer has several inputs or outputs."""
        rows = []
        for dst in self.graph.nodes:
            layer = self.layer(dst)
            for port in layer.input_names:
                for src, _, key, sport in self.graph.in_edges(dst, keys=True, data="port"):
                    if key == port:
                        rows.append((self.ref(src, sport), dst if len(layer.input_names) == 1 else f"{dst}/{port}"))
        return rows

    @property
    def InputNames(self) -> list[str]:
        return [n for n in self.graph.nodes if self.layer(n).is_input]

    @property
    def OutputNames(self) -> list[str]:
        """The unconnected layer outputs: 'layer', or 'layer/port' for a layer with several outputs."""
        names = []
        for n in self.graph.nodes:
            used = {sport for _, _, sport in self.graph.out_edges(n, data="port")}
            names += [self.ref(n, p) for p in self.layer(n).output_names if p not in used]
        return names

    def open_inputs(self) -> list[str]:
        """Inputs of non-input layers that nothing feeds ('layer' or 'layer/in2'), in Layers order: the inputs
        of a network without input layers (MATLAB's dlnetwork InputNames then lists them)."""
        refs = []
        for n in self.graph.nodes:
            layer = self.layer(n)
            wired = self.inputs_of(n)
            ports = layer.input_names
            refs += [n if len(ports) == 1 else f"{n}/{p}" for p in ports if p not in wired]
        return refs

    def ref(self, name: str, port: str | None) -> str:
        """How MATLAB names output `port` of layer `name`: the layer name alone when it has one output."""
        outs = self.layer(name).output_names
        return name if len(outs) == 1 or port is None else f"{name}/{port}"

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

    def sources_of(self, name: str) -> dict[str, tuple[str, str]]:
        """Map of input port → (source layer, source output port) for `name`."""
        return {key: (src, port) for src, _, key, port in self.graph.in_edges(name, keys=True, data="port")}

    def copy(self) -> LayerGraph:
        new = LayerGraph()
        new.graph = self.graph.copy()
        return new

    def __eq__(self, other: object) -> bool:
        """Same layers (options and order) and the same connections."""
        if not isinstance(other, LayerGraph):
            return NotImplemented
        return self.Layers == other.Layers and sorted(self.graph.edges(keys=True, data="port")) == sorted(
            other.graph.edges(keys=True, data="port"))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"LayerGraph with {len(self.graph)} layers, {self.graph.number_of_edges()} connections; "
                f"inputs {self.InputNames}, outputs {self.OutputNames}")

    # ----- MATLAB's editing functions as methods (lgraph.connectLayers(...)): each returns a new graph ------
    def addLayers(self, layers: Iterable[Layer] | Layer) -> LayerGraph:
        """lgraph = lgraph.addLayers(layers): a copy with the layers added (connected among themselves)."""
        new = self.copy()
        new._add([layers] if isinstance(layers, Layer) else list(layers))
        return new

    def connectLayers(self, s: str, d: str) -> LayerGraph:
        """lgraph = lgraph.connectLayers("src", "dst/in2"): a copy with the connection added."""
        new = self.copy()
        new._connect(s, d)
        return new

    def disconnectLayers(self, s: str, d: str) -> LayerGraph:
        new = self.copy()
        new._disconnect(s, d)
        return new

    def removeLayers(self, names: str | Iterable[str]) -> LayerGraph:
        new = self.copy()
        new._remove(names)
        return new

    @matlab_keywords
    def replaceLayer(self, name: str, layers: Iterable[Layer] | Layer, ReconnectBy: str = "name") -> LayerGraph:
        if ReconnectBy.lower() not in ("name", "order"):
            raise NetworkError(f"replaceLayer: ReconnectBy must be 'name' or 'order', not '{ReconnectBy}'")
        new = self.copy()
        new._replace(name, [layers] if isinstance(layers, Layer) else list(layers), ReconnectBy.lower())
        return new

    # ----- editing (in place; the methods above and the module-level functions copy first, like MATLAB) ----
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
                    self.link(prev, nxt, ins[0])
        return names

    def link(self, src: str, dst: str, dport: str, sport: str | None = None) -> None:
        """Add the edge src/sport → dst/dport (sport: the source's first output when not given)."""
        self.graph.add_edge(src, dst, key=dport, port=sport or self.layer(src).output_names[0])

    def _connect(self, s: str, d: str) -> None:
        src, sport = _split(s, None)
        dst, dport = _split(d, None)
        outs = self.layer(src).output_names
        if sport is None:
            if len(outs) != 1:
                raise NetworkError(f"connectLayers: layer '{src}' has outputs {', '.join(outs)}; name one as "
                                   f"'{src}/{outs[0]}'")
            sport = outs[0]
        if sport not in outs:
            raise NetworkError(f"connectLayers: layer '{src}' has no output '{sport}' (outputs: {', '.join(outs)})")
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
        self.link(src, dst, dport, sport)

    def _disconnect(self, s: str, d: str) -> None:
        src, sport = _split(s, None)
        dst, dport = _split(d, None)
        if dport is None:
            ins = self.layer(dst).input_names
            dport = ins[0] if len(ins) == 1 else None
        ok = dport is not None and self.graph.has_edge(src, dst, key=dport)
        if ok and sport is not None and self.graph.edges[src, dst, dport].get("port") != sport:
            ok = False
        if not ok:
            raise NetworkError(f"disconnectLayers: there is no connection from '{s}' to '{d}'")
        self.graph.remove_edge(src, dst, key=dport)

    def _remove(self, names: str | Iterable[str]) -> None:
        for name in [names] if isinstance(names, str) else list(names):
            self.layer(name)
            self.graph.remove_node(name)

    def _replace(self, name: str, layers: Sequence[Layer], reconnect_by: str = "name") -> None:
        old = self.layer(name)
        layers = [layers] if isinstance(layers, Layer) else list(layers)
        incoming = sorted(self.graph.in_edges(name, keys=True, data="port"),
                          key=lambda e: old.input_names.index(e[2]))
        outgoing = list(self.graph.out_edges(name, keys=True, data="port"))
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
        for i, (src, _, key, sport) in enumerate(incoming):
            if reconnect_by == "order":
                port = first.input_names[i] if i < len(first.input_names) else None
            else:
                port = key if key in first.input_names else None
            if port is None:
                raise NetworkError(f"replaceLayer: cannot reconnect input '{key}' of '{name}' to "
                                   f"'{new_names[0]}' (inputs: {', '.join(first.input_names) or 'none'})")
            self.link(src, new_names[0], port, sport)
        last = self.layer(new_names[-1]).output_names
        for _, dst, key, sport in outgoing:
            self.link(new_names[-1], dst, key, sport if sport in last else last[0])


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


# ----- MATLAB's functions: each returns a new graph (or network) and leaves its argument untouched ----------
def layerGraph(layers: Iterable[Layer] | LayerGraph | None = None) -> LayerGraph:
    """layerGraph(layers): connect a layer array in sequence (or copy a graph; the graph of a dlnetwork)."""
    if isinstance(layers, LayerGraph):
        return layers.copy()
    if hasattr(layers, "layer_graph"):
        return layers.layer_graph  # type: ignore[union-attr]
    if isinstance(layers, Layer):
        layers = [layers]
    return LayerGraph(layers)


def _editable(obj: Any, fname: str) -> Any:
    """A LayerGraph or dlnetwork (both have MATLAB's editing methods); a layer array becomes a graph."""
    if isinstance(obj, (list, tuple, Layer)):
        return layerGraph(obj)
    if not hasattr(obj, "connectLayers"):
        raise NetworkError(f"{fname}: expected a layer graph or dlnetwork, got {type(obj).__name__}")
    return obj


def addLayers(lgraph: Any, layers: Iterable[Layer] | Layer) -> Any:
    """addLayers(lgraph, layers): add an array of layers, connected in sequence among themselves."""
    return _editable(lgraph, "addLayers").addLayers(layers)


def connectLayers(lgraph: Any, s: str, d: str) -> Any:
    """connectLayers(lgraph, "src", "dst/in2"); a source with several outputs is named "src/port"."""
    return _editable(lgraph, "connectLayers").connectLayers(s, d)


def disconnectLayers(lgraph: Any, s: str, d: str) -> Any:
    """disconnectLayers(lgraph, "src", "dst/in2")."""
    return _editable(lgraph, "disconnectLayers").disconnectLayers(s, d)


def removeLayers(lgraph: Any, names: str | Iterable[str]) -> Any:
    """removeLayers(lgraph, names): remove layers and all their connections."""
    return _editable(lgraph, "removeLayers").removeLayers(names)


@matlab_keywords
def replaceLayer(lgraph: Any, name: str, layers: Iterable[Layer] | Layer, ReconnectBy: str = "name") -> Any:
    """replaceLayer(lgraph, name, larray): swap a layer for a chain, keeping its connections."""
    return _editable(lgraph, "replaceLayer").replaceLayer(name, layers, ReconnectBy)
