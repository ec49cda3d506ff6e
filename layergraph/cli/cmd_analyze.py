"""`layergraph analyze SPEC`: the analyzeNetwork table; exit 0 clean, 1 network errors, 2 unreadable."""
from __future__ import annotations

import argparse
import json

from layergraph.analyze import network_report
from layergraph.analyze.render import print_report
from layergraph.cli.common import load_graph
from layergraph.cli.overrides import add_set_option, set_values


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="print a MATLAB-style analyzeNetwork table for a YAML spec")
    p.add_argument("spec", help="network spec (YAML)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    add_set_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = network_report(load_graph(args.spec, set_values(args.set)))
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_report(report, title=args.spec)
    return 1 if any(i["severity"] == "error" for i in report["issues"]) else 0
