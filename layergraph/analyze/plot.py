"""plot(lgraph): draw a layer graph top to bottom like MATLAB's plot, with matplotlib (no Graphviz); Mermaid text.

Layout (a small Sugiyama-style layered drawing): layers are ranked by longest path from the inputs (an
input feeding a side branch is then pulled down next to its first consumer), edges spanning several ranks
get invisible bend points, each rank is ordered by barycenter sweeps keeping the order with the fewest
crossings, and x positions are relaxed towards the neighbours' mean with a minimum gap between boxes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from layergraph.errors import NetworkError, SpecError
from layergraph.graph.layergraph import LayerGraph
from layergraph.safety.outputs import atomic_output

# drawing units are inches: a 9-point name is about 0.075 in per character
_ROW = 0.8
_BOX_H = 0.42
_GAP = 0.35
_CHAR = 0.072
COLORS = {  # box colour of each layer family (a layer class's `family`); undeclared is grey
    "input": "#cfe2f3", "conv": "#fde9c7", "norm": "#d9ead3", "act": "#ead1dc", "merge": "#d0e0e3",
    "dense": "#fff2cc", "pool": "#e6e0f0", "other": "#eeeeee",
}
@dataclass
class Layout:
    """Box centres (x, y) in inches for every layer, bend points for every edge, and box widths."""

    pos: dict[str, tuple[float, float]]
    width: dict[str, float]
    bends: dict[tuple[str, str, str], list[tuple[float, float]]]
    ranks: int


def _ranks(g: nx.MultiDiGraph) -> dict[str, int]:
    """Longest-path layering from the sources; sources then move down next to their first consumer."""
    order = list(nx.topological_sort(g))
    rank = {n: 0 for n in order}
    for n in order:
        for _, m in g.out_edges(n):
            rank[m] = max(rank[m], rank[n] + 1)
    for n in order:
        succ = [rank[m] for _, m in g.out_edges(n)]
        if g.in_degree(n) == 0 and succ:
            rank[n] = min(succ) - 1
    return rank


def _crossings(rows: list[list[Any]], links: list[tuple[Any, Any]], rank: dict[Any, int]) -> int:
    """Number of edge crossings between consecutive rows."""
    where = {v: (r, i) for r, row in enumerate(rows) for i, v in enumerate(row)}
    by_row: dict[int, list[tuple[int, int]]] = {}
    for a, b in links:
        by_row.setdefault(rank[a], []).append((where[a][1], where[b][1]))
    total = 0
    for pairs in by_row.values():
        for i, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[i + 1:]:
                total += (a1 - a2) * (b1 - b2) < 0
    return total


def layout(lgraph: LayerGraph) -> Layout:
    """Compute the layered top-to-bottom layout of a layer graph."""
    g = lgraph.graph
    if not nx.is_directed_acyclic_graph(g):
        raise NetworkError("plot: the layer graph has a cycle; only directed acyclic graphs can be drawn")
    rank: dict[Any, int] = dict(_ranks(g))
    # split long edges with virtual nodes so every link joins adjacent ranks
    links: list[tuple[Any, Any]] = []
    chains: dict[tuple[str, str, str], list[Any]] = {}
    for u, v, port in g.edges(keys=True):
        chain: list[Any] = [u]
        for r in range(rank[u] + 1, rank[v]):
            dummy = ("·", u, v, port, r)
            rank[dummy] = r
            chain.append(dummy)
        chain.append(v)
        chains[(u, v, port)] = chain
        links.extend(zip(chain, chain[1:]))
    n_ranks = max(rank.values()) + 1
    rows: list[list[Any]] = [[] for _ in range(n_ranks)]
    for v in sorted(rank, key=lambda v: (rank[v], _first_seen(v, g))):
        rows[rank[v]].append(v)
    rows = _order(rows, links, rank)
    width = {v: (_box_width(v, lgraph) if v in g else 0.05) for v in rank}
    x = _place(rows, links, width)
    pos = {v: (x[v], -rank[v] * _ROW) for v in rank}
    bends = {key: [pos[d] for d in chain[1:-1]] for key, chain in chains.items()}
    return Layout({n: pos[n] for n in g.nodes}, {n: width[n] for n in g.nodes}, bends, n_ranks)


def _first_seen(v: Any, g: nx.MultiDiGraph) -> int:
    """Layers order (MATLAB's) as the starting order within a rank; a bend point follows its source."""
    names = list(g.nodes)
    return names.index(v if v in g else v[1])


def _order(rows: list[list[Any]], links: list[tuple[Any, Any]], rank: dict[Any, int]) -> list[list[Any]]:
    """Barycenter sweeps down and up; keep the ordering with the fewest crossings."""
    preds: dict[Any, list[Any]] = {}
    succs: dict[Any, list[Any]] = {}
    for a, b in links:
        succs.setdefault(a, []).append(b)
        preds.setdefault(b, []).append(a)
    best, best_cross = [list(r) for r in rows], _crossings(rows, links, rank)
    for sweep in range(8):
        down = sweep % 2 == 0
        span = range(1, len(rows)) if down else range(len(rows) - 2, -1, -1)
        for r in span:
            ref = {v: i for i, v in enumerate(rows[r - 1 if down else r + 1])}
            nbrs = preds if down else succs

            def key(v: Any, i: int, nbrs: dict = nbrs, ref: dict = ref) -> float:
                near = [ref[u] for u in nbrs.get(v, []) if u in ref]
                return sum(near) / len(near) if near else float(i)

            rows[r] = [v for _, v in sorted(((key(v, i), v) for i, v in enumerate(rows[r])),
                                            key=lambda t: t[0])]
        cross = _crossings(rows, links, rank)
        if cross < best_cross:
            best, best_cross = [list(r) for r in rows], cross
    return best


def _place(rows: list[list[Any]], links: list[tuple[Any, Any]], width: dict[Any, float]) -> dict[Any, float]:
    """x positions: start packed and centred, then pull each box towards its neighbours' mean."""
    nbrs: dict[Any, list[Any]] = {}
    for a, b in links:
        nbrs.setdefault(a, []).append(b)
        nbrs.setdefault(b, []).append(a)
    x: dict[Any, float] = {}
    for row in rows:
        _pack(row, {v: 0.0 for v in row}, width, x)
    for _ in range(6):
        for row in rows + rows[::-1]:
            want = {v: sum(x[u] for u in nbrs[v]) / len(nbrs[v]) if nbrs.get(v) else x[v] for v in row}
            _pack(row, want, width, x)
    return x


def _pack(row: list[Any], want: dict[Any, float], width: dict[Any, float], x: dict[Any, float]) -> None:
    """Place a row in order at its wanted positions, pushing right to keep gaps, then re-centre the row."""
    prev = None
    for v in row:
        xv = want[v]
        if prev is not None:
            xv = max(xv, x[prev] + (width[prev] + width[v]) / 2 + _GAP)
        x[v] = xv
        prev = v
    shift = sum(want[v] - x[v] for v in row) / len(row) if row else 0.0
    for v in row:
        x[v] += shift


def _box_width(name: str, lgraph: LayerGraph) -> float:
    label = max(len(name), int(len(lgraph.layer(name).type_label) * 0.8))
    return max(1.0, _CHAR * label + 0.35)


# ----- drawing --------------------------------------------------------------------------------------------------
def plot_graph(lgraph: Any, path: str | Path, *, types: bool = True, title: str | None = None,
               dpi: int = 150) -> Path:
    """Draw the layer graph (or a dlnetwork's) top to bottom to `path` (.png, .svg or .pdf), like plot(lgraph)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    lg = _as_graph(lgraph)
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise SpecError(f"{path}: plot writes .png, .svg or .pdf files (or use --format mermaid)")
    lay = layout(lg)
    xs = [x for x, _ in lay.pos.values()] + [x for pts in lay.bends.values() for x, _ in pts]
    half = max(lay.width.values()) / 2
    left, right = min(xs) - half - 0.3, max(xs) + half + 0.3
    top, bottom = _BOX_H + (0.4 if title else 0.2), -(lay.ranks - 1) * _ROW - _BOX_H
    w_in, h_in = right - left, top - bottom
    # matplotlib refuses images over 2^16 pixels a side: lower the resolution of very tall graphs
    dpi = min(dpi, int(60000 / max(w_in, h_in)))
    with rc_context({"svg.fonttype": "none"}):  # keep names as <text> in SVG (searchable, selectable)
        fig = Figure(figsize=(w_in, h_in))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top)
        ax.set_axis_off()
        _draw_edges(ax, lg, lay)
        for name, (x, y) in lay.pos.items():
            layer = lg.layer(name)
            w = lay.width[name]
            color = COLORS.get(type(layer).family, COLORS["other"])
            ax.add_patch(FancyBboxPatch((x - w / 2, y - _BOX_H / 2), w, _BOX_H,
                                        boxstyle="round,pad=0,rounding_size=0.08", facecolor=color,
                                        edgecolor="#555555", linewidth=0.8, zorder=3))
            dy = 0.07 if types else 0.0
            ax.text(x, y + dy, name, ha="center", va="center", fontsize=9, zorder=4, gid=f"layer-{name}")
            if types:
                ax.text(x, y - 0.11, layer.type_label or layer.type, ha="center", va="center", fontsize=6.5,
                        color="#555555", zorder=4)
        if title:
            ax.text((left + right) / 2, top - 0.2, title, ha="center", va="center", fontsize=10, weight="bold")
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi)
    return path


def _draw_edges(ax: Any, lg: LayerGraph, lay: Layout) -> None:
    """Polylines from the bottom of the source box to the top of the destination; ports named for merges."""
    for (u, v, port), bends in lay.bends.items():
        ports = lg.layer(v).input_names
        (ux, uy), (vx, vy) = lay.pos[u], lay.pos[v]
        # several inputs arrive side by side across the top of the box, in port order
        k = ports.index(port) if port in ports else 0
        slot = (k + 1) / (len(ports) + 1) - 0.5 if len(ports) > 1 else 0.0
        end = (vx + slot * min(lay.width[v], 0.4 * len(ports)), vy + _BOX_H / 2)
        pts = [(ux, uy - _BOX_H / 2), *bends, end]
        ax.plot([p[0] for p in pts[:-1]], [p[1] for p in pts[:-1]], color="#444444", lw=0.9, zorder=1)
        ax.annotate("", xy=end, xytext=pts[-2], zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": "#444444", "lw": 0.9, "shrinkA": 0, "shrinkB": 0})
        if len(ports) > 1:
            ax.text(end[0] + 0.04, end[1] + 0.07, port, fontsize=6, color="#1f4e79", ha="left", va="bottom",
                    zorder=4)
        if len(lg.layer(u).output_names) > 1:  # which output of a layer with several
            (x0, y0), (x1, y1) = pts[0], pts[1]  # a third of the way along the first segment
            ax.text(x0 + (x1 - x0) / 3 + 0.04, y0 + (y1 - y0) / 3, lg.graph.edges[u, v, port].get("port", ""),
                    fontsize=6, color="#1f4e79", ha="left", va="center", zorder=4)


# ----- Mermaid --------------------------------------------------------------------------------------------------
def mermaid(lgraph: Any, *, types: bool = True) -> str:
    """Mermaid 'flowchart TD' text of the layer graph: one node per layer, one arrow per connection."""
    lg = _as_graph(lgraph)
    ids = {name: f"n{i}" for i, name in enumerate(lg.graph.nodes)}
    lines = ["flowchart TD"]
    for name, nid in ids.items():
        layer = lg.layer(name)
        label = _mm(name) + (f"<br/><small>{_mm(layer.type_label or layer.type)}</small>" if types else "")
        lines.append(f'    {nid}["{label}"]')
    for src, dst in lg.Connections:
        name, _, port = dst.partition("/")
        source, _, out = src.partition("/")  # 'split/first': an output of a layer with several
        label = "→".join(p for p in (out, port) if p)
        arrow = f"-->|{_mm(label)}|" if label else "-->"
        lines.append(f"    {ids[source]} {arrow} {ids[name]}")
    return "\n".join(lines) + "\n"


def _mm(text: str) -> str:
    """Escape text for a quoted Mermaid label."""
    return re.sub(r'["<>&#]', lambda m: {'"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "#": "#35;"}[m[0]],
                  text)


def _as_graph(obj: Any) -> LayerGraph:
    if isinstance(obj, LayerGraph):
        return obj
    if hasattr(obj, "layer_graph"):
        return obj.layer_graph
    from layergraph.graph.layergraph import layerGraph

    return layerGraph(obj)
