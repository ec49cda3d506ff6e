"""`layergraph analyze SPEC`: the analyzeNetwork table; exit 0 clean, 1 network errors, 2 unreadable."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from layergraph.analyze import network_report
from layergraph.analyze.order import ORDERS
from layergraph.analyze.render import print_report
from layergraph.cli.overrides import add_set_option, set_values


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="print a MATLAB-style analyzeNetwork table for a YAML spec")
    p.add_argument("spec", help="network spec (YAML), training checkpoint (.safetensors) or ONNX model")
    p.add_argument("--format", choices=("table", "json"), default=None,
                   help="what to print: the table (default) or JSON; with --html, nothing unless given")
    p.add_argument("--html", metavar="OUT", help="also write the interactive analyzeNetwork page (one HTML file)")
    p.add_argument("--order", choices=ORDERS, default="execution",
                   help="layer order: execution (default) or matlab (MATLAB's dlnetwork order, see docs/cli.md)")
    p.add_argument("--net", default="generator",
                   help="which network of a checkpoint: generator (default) or discriminator")
    add_set_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layergraph.cli.common import load_graph_any
    from layergraph.safety.outputs import guard_outputs

    guard_outputs([("--html", args.html)], [args.spec])
    lgraph, name, _ = load_graph_any(args.spec, args.net, set_values(args.set))
    report = network_report(lgraph, order=args.order)
    errors = sum(i["severity"] == "error" for i in report["issues"])
    if args.html:
        from layergraph.analyze.html import write_report_html

        title = f"{args.spec} ({name})" if name != Path(args.spec).stem else args.spec
        out = write_report_html(report, args.html, title)
        print(f"wrote {out} ({len(report['layers'])} layers, {report['total_learnables']:,} learnables, "
              f"{len(report['issues']) - errors} warnings, {errors} errors)")
    fmt = args.format or (None if args.html else "table")
    if fmt == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif fmt == "table":
        print_report(report, title=args.spec)
    return 1 if errors else 0
