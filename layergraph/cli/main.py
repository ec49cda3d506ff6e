"""Entry point: dispatch to the sub-command modules; turn known errors into one-line messages."""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path

import layergraph.cli as cli_pkg
from layergraph.errors import LayergraphError


def build_parser() -> argparse.ArgumentParser:
    """Collect every `layergraph.cli.cmd_*` module's `register(subparsers)`."""
    parser = argparse.ArgumentParser(prog="layergraph", description="MATLAB-style networks on PyTorch")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="import your Python module (a .py file or a module name) first, so the functions it "
                             "registers with @register_function can be used by functionLayer in specs; repeatable")
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(cli_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"layergraph.cli.{info.name}").register(sub)
    return parser


def import_user_module(name: str) -> None:
    """Import a module the user named on the command line (never anything named inside a spec)."""
    path = Path(name)
    try:
        if path.suffix == ".py":
            if not path.is_file():
                raise LayergraphError(f"--import {name}: file not found")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            sys.modules[path.stem] = module
            spec.loader.exec_module(module)  # type: ignore[union-attr]
        else:
            sys.path.insert(0, str(Path.cwd()))
            importlib.import_module(name)
    except LayergraphError:
        raise
    except Exception as err:  # the user's own module failed: say which and why, in one line
        raise LayergraphError(f"--import {name}: {type(err).__name__}: {err}") from None


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit 2 with a one-line message on bad input, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        for module in args.imports:
            import_user_module(module)
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
