"""`layergraph plot SPEC out.png|out.svg` (or `--format mermaid`): draw the layer graph top to bottom."""
from __future__ import annotations

import argparse
from pathlib import Path

from layergraph.cli.overrides import add_set_option, set_values
from layergraph.errors import SpecError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the sub-command to the `layergraph` parser."""
    p = sub.add_parser("plot", help="draw a network's layer graph (PNG/SVG/PDF) or print it as Mermaid text")
    p.add_argument("source", help="network spec (YAML), training checkpoint or ONNX model")
    p.add_argument("out", nargs="?", help="picture to write (.png, .svg, .pdf); with --format mermaid, optional")
    p.add_argument("--format", choices=("auto", "png", "svg", "pdf", "mermaid"), default="auto",
                   help="auto: from OUT's suffix; mermaid: flowchart TD text (stdout unless OUT is given)")
    p.add_argument("--net", default="generator", help="which network of a checkpoint (default generator)")
    p.add_argument("--no-types", action="store_true", help="layer names only, without their types")
    p.add_argument("--title", help="title above the graph (pictures only)")
    add_set_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Draw the picture or print the Mermaid text."""
    from layergraph.analyze.plot import mermaid, plot_graph
    from layergraph.cli.common import load_graph_any
    from layergraph.safety.outputs import guard_outputs, write_text_atomic

    out = Path(args.out) if args.out is not None else None
    if out is not None and args.format not in ("auto", "mermaid") and out.suffix.lower() != f".{args.format}":
        out = out.with_suffix(f".{args.format}")
    guard_outputs([("OUT", out)], [args.source])
    lgraph = load_graph_any(args.source, args.net, set_values(args.set))[0]
    if args.format == "mermaid":
        text = mermaid(lgraph, types=not args.no_types)
        if out is not None:
            write_text_atomic(out, text)
            print(f"wrote {out}")
        else:
            print(text, end="")
        return 0
    if out is None:
        raise SpecError("plot: give the picture to write (out.png, out.svg, out.pdf) or --format mermaid")
    plot_graph(lgraph, out, types=not args.no_types, title=args.title)
    print(f"wrote {out} ({len(lgraph.Layers)} layers)")
    return 0
