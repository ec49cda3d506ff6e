"""`layergraph data digits DIR`: write the built-in handwritten digits as PNG files, one folder per class."""
from __future__ import annotations

import argparse

from layergraph.safety.numbers import integer_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="write built-in data sets as image folders")
    kinds = p.add_subparsers(dest="dataset", required=True)
    d = kinds.add_parser("digits", help="scikit-learn's 1,797 handwritten digits as PNGs in folders 0..9")
    d.add_argument("folder", help="where to write (created if missing)")
    d.add_argument("--size", type=integer_option(1, 4096, "--size"), default=16,
                   help="image height and width in pixels (default 16)")
    d.add_argument("--force", action="store_true",
                   help="write into a folder that also holds other files (same-named files are overwritten)")
    d.set_defaults(func=run_digits)


def run_digits(args: argparse.Namespace) -> int:
    from layergraph.data.digits import write_digits  # imported on use: the CLI starts fast
    from layergraph.safety.outputs import guard_outputs

    guard_outputs([("FOLDER", args.folder)], folders=["FOLDER"])

    count = write_digits(args.folder, size=args.size, force=args.force)
    print(f"wrote {count} digit images ({args.size}×{args.size} grey PNG, 10 classes) to {args.folder}")
    return 0
