"""Turn an analysed LayerGraph into a torch.fx GraphModule: straight-line forward code, no graph walking."""
from __future__ import annotations

import keyword
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

    Layers whose module is nn.Identity (an input layer without normalization) are elided.
    """
    root = nn.Module()
    keys: dict[str, str] = {}
    taken: set[str] = set()
    graph = fx.Graph()
    env: dict[str, fx.Node] = {}
    for i, name in enumerate(input_names):
        # positional names: fx renames placeholders that collide with its own ('input' → 'input_1')
        env[name] = graph.placeholder(f"x{i}")
    for name in analysis.order:
        layer = lgraph.layer(name)
        module = layer.build(analysis.inputs.get(name, []))
        key = module_key(name, taken)
        keys[name] = key
        root.add_module(key, module)
        if layer.is_input:
            args: tuple[fx.Node, ...] = (env[name],)
        else:
            wired = lgraph.inputs_of(name)
            args = tuple(env[wired[p]] for p in layer.input_names)
        env[name] = args[0] if isinstance(module, nn.Identity) else graph.call_module(key, args)
    outs = [env[n] for n in output_names]
    graph.output(outs[0] if len(outs) == 1 else tuple(outs))
    gm = fx.GraphModule(root, graph, class_name="CompiledNetwork")
    # keep elided (parameter-free) modules out of the way but every learnable module registered
    for key in keys.values():
        if not hasattr(gm, key):
            gm.add_module(key, getattr(root, key))
    return gm, keys

