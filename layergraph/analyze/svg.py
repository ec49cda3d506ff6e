"""The layer graph as inline SVG, top to bottom, for the analyzeNetwork page.

Positions come from the same layered layout as `layergraph plot` (layergraph.analyze.plot.layout); every
text from the network is escaped here, so the SVG can be placed in a page as it is.
"""
from __future__ import annotations

from html import escape
from typing import Any

from layergraph.analyze.plot import _BOX_H, _ROW, COLORS, Layout, layout
from layergraph.errors import NetworkError
from layergraph.graph.layergraph import LayerGraph

_PX = 96  # pixels per inch of the layout
_MARGIN = 24


def family_css() -> str:
    """CSS giving each layer family its fill colour (the palette `layergraph plot` uses)."""
    return "".join(f".f-{fam} rect{{fill:{color}}}" for fam, color in COLORS.items())


def _fallback(lgraph: LayerGraph, order: list[str]) -> Layout:
    """One column in table order, for graphs the layered layout refuses (a cycle)."""
    pos = {n: (0.0, -i * _ROW) for i, n in enumerate(order)}
    width = {n: max(1.0, 0.072 * len(n) + 0.35) for n in order}
    return Layout(pos, width, {key: [] for key in lgraph.graph.edges(keys=True)}, len(order))


def graph_svg(lgraph: LayerGraph, order: list[str], marks: dict[str, str]) -> str:
    """<svg> with one <g class="node" data-i=…> per layer (i = its row in `order`) and one path per edge.

    `marks` maps a layer name to 'error' or 'warning'; those nodes get the class and a badge.
    """
    try:
        lay = layout(lgraph)
    except NetworkError:
        lay = _fallback(lgraph, order)
    xs = [x - lay.width[n] / 2 for n, (x, _) in lay.pos.items()] + [p[0] for b in lay.bends.values() for p in b]
    xe = [x + lay.width[n] / 2 for n, (x, _) in lay.pos.items()] + [p[0] for b in lay.bends.values() for p in b]
    left = min(xs, default=0.0)
    width = (max(xe, default=1.0) - left) * _PX + 2 * _MARGIN
    height = max(lay.ranks - 1, 0) * _ROW * _PX + _BOX_H * _PX + 2 * _MARGIN + 8

    def pt(x: float, y: float) -> tuple[float, float]:
        return round((x - left) * _PX + _MARGIN, 1), round(-y * _PX + _MARGIN + _BOX_H * _PX / 2 + 8, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="lg-graph" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="layer graph">',
             '<defs><marker id="lg-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker></defs>']
    parts += _edges(lgraph, lay, pt)
    index = {name: i for i, name in enumerate(order)}
    for name, (x, y) in lay.pos.items():
        parts.append(_node(lgraph, name, index[name], pt(x, y), lay.width[name] * _PX, marks.get(name)))
    parts.append("</svg>")
    return "".join(parts)


def _edges(lgraph: LayerGraph, lay: Layout, pt: Any) -> list[str]:
    """Polylines from the bottom of the source box to the input's slot on top of the destination."""
    out = []
    half = _BOX_H * _PX / 2
    for (u, v, port), bends in lay.bends.items():
        ports = lgraph.layer(v).input_names
        k = ports.index(port) if port in ports else 0
        slot = (k + 1) / (len(ports) + 1) - 0.5 if len(ports) > 1 else 0.0
        (ux, uy), (vx, vy) = pt(*lay.pos[u]), pt(*lay.pos[v])
        end = (round(vx + slot * min(lay.width[v] * _PX, 38 * len(ports)), 1), round(vy - half, 1))
        pts = [(ux, round(uy + half, 1)), *(pt(*b) for b in bends), end]
        d = "M" + "L".join(f"{a},{b}" for a, b in pts)
        out.append(f'<path class="edge" d="{d}" marker-end="url(#lg-arrow)"/>')
        if len(ports) > 1:  # the label beside its arrow, on the outer side
            x, anchor = (end[0] - 4, "end") if slot < 0 else (end[0] + 4, "start")
            out.append(f'<text class="port" x="{x:.1f}" y="{end[1] - 4}" text-anchor="{anchor}">{escape(port)}</text>')
        if len(lgraph.layer(u).output_names) > 1:  # a layer with several outputs: which one, at the start
            source = lgraph.graph.edges[u, v, port].get("port", "")
            (x0, y0), (x1, y1) = pts[0], pts[1]  # a third of the way along the first segment
            out.append(f'<text class="port" x="{x0 + (x1 - x0) / 3 + 4:.1f}" y="{y0 + (y1 - y0) / 3:.1f}" '
                       f'text-anchor="start">{escape(source)}</text>')
    return out


def _node(lgraph: LayerGraph, name: str, i: int, xy: tuple[float, float], w: float, mark: str | None) -> str:
    layer = lgraph.layer(name)
    fam = type(layer).family if type(layer).family in COLORS else "other"
    x, y = xy
    h = _BOX_H * _PX
    cls = f"node f-{fam}" + (f" {mark}" if mark else "")
    badge = (f'<circle class="badge" cx="{x + w / 2 - 2:.1f}" cy="{y - h / 2 + 2:.1f}" r="8"/>'
             f'<text class="badge-text" x="{x + w / 2 - 2:.1f}" y="{y - h / 2 + 6:.1f}">!</text>') if mark else ""
    return (f'<g class="{cls}" data-i="{i}" id="node-{i}" tabindex="0" role="button">'
            f'<title>{escape(name)}</title>'
            f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="7"/>'
            f'<text class="name" x="{x:.1f}" y="{y - 2:.1f}">{escape(name)}</text>'
            f'<text class="type" x="{x:.1f}" y="{y + 12:.1f}">{escape(layer.type_label or layer.type)}</text>'
            f"{badge}</g>")
