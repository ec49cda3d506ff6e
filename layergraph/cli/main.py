"""Entry point: dispatch to the sub-command modules; turn known errors into one-line messages."""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import NoReturn

import layergraph.cli as cli_pkg
from layergraph.errors import LayergraphError
from layergraph.safety.imports import import_user_module
from layergraph.version import __version__


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (`error: layergraph train: the following arguments are required: config`,
    exit 2); the sub-command parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {one_line(self.prog + ': ' + message)} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def one_line(text: str, limit: int = 600) -> str:
    """A message as one printable line: line breaks become spaces, other control characters are escaped."""
    text = " ".join(str(text).split("\n"))
    out = "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def build_parser() -> argparse.ArgumentParser:
    """Collect every `layergraph.cli.cmd_*` module's `register(subparsers)`."""
    parser = _Parser(prog="layergraph", description="MATLAB-style networks on PyTorch")
    parser.add_argument("--version", action="version", version=f"layergraph {__version__}")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="import your Python module (a .py file or a module name) first, so the functions it "
                             "registers with @register_function can be used by functionLayer in specs; repeatable")
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(cli_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"layergraph.cli.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input ends in a one-line `error: …` message and exit 2, never a traceback."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2, already printed on one line)
        return stop.code if isinstance(stop.code, int) else 2
    try:
        for module in args.imports:
            import_user_module(module)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # every other way out is one line on stderr
        if os.environ.get("LAYERGRAPH_DEBUG") and not isinstance(err, LayergraphError):
            raise
        code, message = describe(err)
        print(f"error: {one_line(message)}", file=sys.stderr)
        return code


def describe(err: BaseException) -> tuple[int, str]:
    """(exit code, message) for an exception that ended a command."""
    if isinstance(err, LayergraphError):
        return err.exit_code, str(err)
    if isinstance(err, FileNotFoundError):
        return 2, f"{err.filename or err}: file not found"
    if isinstance(err, OSError):
        name = f"{err.filename}: " if err.filename else ""
        return 2, f"{name}{err.strerror or type(err).__name__}"
    if isinstance(err, RecursionError):
        return 2, "the input is nested too deeply to process"
    if isinstance(err, MemoryError):
        return 2, "out of memory: the input asks for more than this machine has"
    # not a known kind of bad input: still one line, with the way to see where it came from
    return 2, f"unexpected {type(err).__name__}: {err} (LAYERGRAPH_DEBUG=1 shows the traceback)"


if __name__ == "__main__":
    sys.exit(main())
