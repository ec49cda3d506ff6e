"""The order in which analyze lists layers: layergraph's execution order, or MATLAB's as far as it is known.

MATLAB's dlnetwork stores its Layers in an order of its own, which its documentation does not define. What
the published tables show (docs/cli.md#layer-order lists them):

- a Layers order that is already topological is kept (ResNet-50's printed table keeps the definition order,
  with res2a_branch1 after res2a_branch2c);
- the CGAN generator (label branch added after the merge) reads input, input_1, fc, layer, fc_1, layer_1,
  emb_reshape, cat, …: layers by depth (longest path from an input), names sorted within a depth;
- the CGAN discriminator reads input, layer, imageinput, dropout, fc, emb_reshape, cat, …, which no rule
  found here gives together with the two above (FIFO, LIFO, index-priority, depth-first, by depth or height
  with any tie-break each miss at least one table).

So "execution" stays the default and "matlab" is the rule that reproduces the first two.
"""
from __future__ import annotations

from layergraph.errors import SpecError
from layergraph.graph.infer import topological_order
from layergraph.graph.layergraph import LayerGraph

ORDERS = ("execution", "matlab")


def execution_order(lgraph: LayerGraph) -> list[str]:
    """Layers order when it is topological, else a stable topological sort (the order forward runs in)."""
    return topological_order(lgraph) or list(lgraph.graph.nodes)


def matlab_order(lgraph: LayerGraph) -> list[str]:
    """Layers order when it is topological; otherwise by depth from the inputs, names sorted within a depth."""
    order = topological_order(lgraph)
    if order is None:  # a cycle: no order is right; keep the user's
        return list(lgraph.graph.nodes)
    g = lgraph.graph
    if order == list(g.nodes):
        return order
    depth: dict[str, int] = {}
    for name in order:
        depth[name] = max((depth[p] + 1 for p in g.predecessors(name)), default=0)
    return sorted(order, key=lambda n: (depth[n], n))


def layer_order(lgraph: LayerGraph, order: str = "execution") -> list[str]:
    """The layers of `lgraph` in the named order ('execution' or 'matlab')."""
    if order not in ORDERS:
        raise SpecError(f"order must be one of {', '.join(ORDERS)}, not '{order}'")
    return matlab_order(lgraph) if order == "matlab" else execution_order(lgraph)
