"""Turn an analysed LayerGraph into a torch.fx GraphModule: straight-line forward code, no graph walking."""
from __future__ import annotations

import keyword
import operator
import re

from torch import fx, nn

from layergraph.graph.infer import Analysis
from layergraph.graph.layergraph import LayerGraph
from layergraph.names import unique_name


def module_key(name: str, taken: set[str]) -> str:
    """A Python-identifier key for a layer name ('transposed-conv_1' → 'transposed_conv_1')."""
    key = re.sub(r"\W", "_", name)
    if not key or key[0].isdigit() or keyword.iskeyword(key):
        key = "l_" + key
    return unique_name(key, taken, start=2)


def build_graph_module(lgraph: LayerGraph, analysis: Analysis, input_names: list[str],
                       output_names: list[str]) -> tuple[fx.GraphModule, dict[str, str]]:
    """Build every layer's module and wire them with torch.fx; returns the module and name → key map.

    `input_names` are input layers or unconnected layer inputs ('layer', 'layer/in2'); `output_names` are
    layers or 'layer/port' outputs. Layers whose module is nn.Identity (an input layer without normalization)
    are elided; a layer with several outputs returns a tuple, split into one value per output port.
    """
    root = nn.Module()
    keys: dict[str, str] = {}
    taken: set[str] = set()
    for name in analysis.order:
        key = module_key(name, taken)
        keys[name] = key
        root.add_module(key, lgraph.layer(name).build(analysis.inputs.get(name, [])))
    gm = wire(lgraph, analysis, root, keys, input_names, output_names)
    # keep elided (parameter-free) modules out of the way but every learnable module registered
    for key in keys.values():
        if not hasattr(gm, key):
            gm.add_module(key, getattr(root, key))
    return gm, keys


def wire(lgraph: LayerGraph, analysis: Analysis, root: nn.Module, keys: dict[str, str], input_names: list[str],
         output_names: list[str]) -> fx.GraphModule:
    """A GraphModule computing `output_names` from `input_names` with the layer modules already in `root`
    (shared, not copied: a second wiring, e.g. for predict's Outputs option, uses the same parameters)."""
    graph = fx.Graph()
    # positional names: fx renames placeholders that collide with its own ('input' → 'input_1')
    feed = {ref: graph.placeholder(f"x{i}") for i, ref in enumerate(input_names)}
    env: dict[tuple[str, str], fx.Node] = {}
    needed = _needed(lgraph, analysis.order, output_names)
    for name in analysis.order:
        if name not in needed:
            continue
        layer = lgraph.layer(name)
        module = getattr(root, keys[name])
        ports = layer.input_names
        if layer.is_input:
            args: tuple[fx.Node, ...] = (feed[name],)
        else:
            wired = lgraph.sources_of(name)
            args = tuple(env[wired[p]] if p in wired else feed[name if len(ports) == 1 else f"{name}/{p}"]
                         for p in ports)
        outs = layer.output_names
        value = args[0] if isinstance(module, nn.Identity) else graph.call_module(keys[name], args)
        if len(outs) == 1:
            env[(name, outs[0])] = value
        else:
            for j, port in enumerate(outs):
                env[(name, port)] = graph.call_function(operator.getitem, (value, j))
    results = [env[_port(lgraph, ref)] for ref in output_names]
    graph.output(results[0] if len(results) == 1 else tuple(results))
    return fx.GraphModule(root, graph, class_name="CompiledNetwork")


def _needed(lgraph: LayerGraph, order: list[str], output_names: list[str]) -> set[str]:
    """The layers the outputs depend on (all of them for the network's own outputs)."""
    want = {ref.partition("/")[0] for ref in output_names}
    for name in reversed(order):
        if name in want:
            want.update(lgraph.inputs_of(name).values())
    return want


def _port(lgraph: LayerGraph, ref: str) -> tuple[str, str]:
    """'layer' or 'layer/port' → (layer, port)."""
    name, _, port = ref.partition("/")
    return name, port or lgraph.layer(name).output_names[0]
