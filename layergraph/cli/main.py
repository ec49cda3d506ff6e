"""Entry point: dispatch to the sub-command modules; turn known errors into one-line messages."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import layergraph.cli as cli_pkg
from layergraph.errors import LayergraphError


def build_parser() -> argparse.ArgumentParser:
    """Collect every `layergraph.cli.cmd_*` module's `register(subparsers)`."""
    parser = argparse.ArgumentParser(prog="layergraph", description="MATLAB-style networks on PyTorch")
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(cli_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"layergraph.cli.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit 2 with a one-line message on bad input, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except LayergraphError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except FileNotFoundError as err:
        print(f"error: {err.filename or err}: file not found", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
