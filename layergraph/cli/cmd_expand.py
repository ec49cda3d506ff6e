"""`layergraph expand SPEC [--set NAME=VALUE] [-o OUT]`: the flat spec a template expands to."""
from __future__ import annotations

import argparse

from layergraph.cli.overrides import add_set_option, set_values


def register(sub: argparse._SubParsersAction) -> None:
    """Add the sub-command to the `layergraph` parser."""
    p = sub.add_parser("expand", help="write the flat spec a spec template (params, blocks, repeat) expands to")
    p.add_argument("spec", help="network spec (YAML), a template or a flat spec")
    p.add_argument("-o", "--out", metavar="FILE", help="write the flat spec here (default: standard output)")
    add_set_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Expand, check that the result is a valid spec, print or write it."""
    from layergraph.safety.outputs import guard_outputs, write_text_atomic
    from layergraph.spec.expand import flatten
    from layergraph.spec.flat import dump_flat
    from layergraph.spec.io import graph_from_data
    from layergraph.spec.yamlsafe import read_yaml_file

    guard_outputs([("--out", args.out)], [args.spec])
    params = set_values(args.set)
    data = flatten(read_yaml_file(args.spec), args.spec, params, "--set")
    graph_from_data(data, args.spec)  # the same checks as every command that reads the spec (exit code 2)
    values = ", ".join(f"{k}={v}" for k, v in params.items())
    text = dump_flat(data, f"expanded from {args.spec}" + (f" with {values}" if values else "")
                     + " by `layergraph expand`")
    if not args.out:
        print(text, end="")
        return 0
    out = write_text_atomic(args.out, text)  # never a half-written file
    print(f"wrote {out} ({len(data['layers'])} layers)")
    return 0
