"""`layergraph templates [NAME]`: the specs and templates that ship with layergraph, with their parameters."""
from __future__ import annotations

import argparse

from layergraph.spec.builtin import PREFIX, builtin_specs, resolve_spec_path
from layergraph.spec.yamlsafe import read_yaml_file


def register(sub: argparse._SubParsersAction) -> None:
    """Add the sub-command to the `layergraph` parser."""
    p = sub.add_parser("templates", help="list the shipped specs and templates (use them as template:NAME)")
    p.add_argument("name", nargs="?", help="print this one's YAML instead of the list")
    p.set_defaults(func=run)


def _params(data: object) -> str:
    params = data.get("params") if isinstance(data, dict) else None
    if not isinstance(params, dict):
        return ""
    return ", ".join(f"{k}={v}" for k, v in params.items())


def run(args: argparse.Namespace) -> int:
    """List every shipped spec (name, kind, parameters with defaults), or print one."""
    if args.name:
        name = args.name if args.name.startswith(PREFIX) else PREFIX + args.name
        print(resolve_spec_path(name).read_text(encoding="utf-8"), end="")  # type: ignore[union-attr]
        return 0
    for spec in builtin_specs():
        params = _params(read_yaml_file(spec.path))
        print(f"{PREFIX}{spec.name:<34} {spec.kind:<8} {params}".rstrip())
    print("use one wherever a spec path goes: layergraph analyze template:NAME [--set NAME=VALUE]")
    return 0
