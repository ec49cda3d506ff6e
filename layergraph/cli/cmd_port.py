"""`layergraph port PROGRAM.m [MORE.m ...] [-o OUT.py | --out-dir DIR]`: MATLAB programs to Python."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the sub-command to the `layergraph` parser."""
    p = sub.add_parser("port", help="translate MATLAB programs (.m) to Python that uses layergraph")
    p.add_argument("files", nargs="+", metavar="PROGRAM.m", help="MATLAB scripts, function files")
    p.add_argument("-o", "--out", metavar="OUT.py", help="write the Python here (one input file)")
    p.add_argument("--out-dir", metavar="DIR", help="write NAME.py for every NAME.m here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Translate, write (or print) the Python, and print the summary of every file to stderr."""
    from layergraph.port import PortError, port_files
    from layergraph.safety.outputs import write_text_atomic

    if args.out and args.out_dir:
        raise PortError("layergraph port: give -o OUT.py or --out-dir DIR, not both")
    if args.out and len(args.files) > 1:
        raise PortError("layergraph port: -o takes one input file; use --out-dir DIR for several")
    for f in args.files:
        if not Path(f).is_file():
            raise PortError(f"layergraph port: {f}: file not found")
    results = port_files(args.files)
    for path, code, report in results:
        if args.out:
            write_text_atomic(args.out, code)
            print(f"wrote {args.out}", file=sys.stderr)
        elif args.out_dir:
            target = Path(args.out_dir) / (path.stem + ".py")
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(str(target), code)
            print(f"wrote {target}", file=sys.stderr)
        else:
            print(code, end="")
        print(report.summary(), file=sys.stderr)
    return 0
