"""`layergraph compare SPEC TABLE`: check a spec against a layer table copied from MATLAB's docs."""
from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from layergraph.analyze import compare_table, network_report, parse_matlab_table
from layergraph.cli.common import load_graph
from layergraph.errors import SpecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare a spec with a layer table copied from MATLAB's documentation")
    p.add_argument("spec", help="network spec (YAML)")
    p.add_argument("table", help="text file holding the MATLAB table (tab- or space-separated rows)")
    p.add_argument("--strict", action="store_true",
                   help="also fail when the table leaves out a learnable the network has")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--html", metavar="OUT", help="also write both tables side by side as one HTML page, "
                                                "differing cells marked")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layergraph.safety import MAX_YAML_BYTES, guard_outputs, read_text

    guard_outputs([("--html", args.html)], [args.spec, args.table])
    report = network_report(load_graph(args.spec))
    text = read_text(args.table, MAX_YAML_BYTES, "table")  # a regular text file of at most 4 MiB
    rows = parse_matlab_table(text, args.table)
    if not rows:
        raise SpecError(f"{args.table}: no table rows found (rows start with the layer number)")
    result = compare_table(rows, report, strict=args.strict)
    if args.html:
        _write_html(args, result, rows, report)
    if args.format == "json":
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print(result)
    return 0 if result["all_match"] else 1


def _print(result: dict) -> None:
    console = Console()
    table = Table(show_lines=True, header_style="bold")
    for col in ("Row", "Name", "Result", "Details", "Description (MATLAB / layergraph)"):
        table.add_column(col)
    for r in result["rows"]:
        status = "[green]match[/green]" if r["match"] else "[red]differs[/red]"
        details = escape("\n".join(r["differences"] + [f"note: {n}" for n in r["notes"]]) or "-")
        desc = f"{escape(r['description_table'] or '-')}\n[dim]{escape(r['description_network'])}[/dim]"
        table.add_row(str(r["row"]), escape(r["name"]), status, details, desc)
    console.print(table)
    for name in result["missing_from_table"]:
        console.print(f"[red]layer '{escape(name)}' is in the network but not in the table[/red]")
    if not result["same_order"]:
        console.print("note: the table lists the layers in another order than the spec (MATLAB's dlnetwork "
                      "sorts them); rows were paired by name")
    console.print(f"{result['matched']} of {result['total']} rows match")


def _write_html(args: argparse.Namespace, result: dict, rows: list, report: dict) -> None:
    from layergraph.analyze.html import compare_page
    from layergraph.safety.outputs import write_text_atomic

    out = write_text_atomic(args.html, compare_page(result, rows, report, args.spec, args.table))
    print(f"wrote {out}")
