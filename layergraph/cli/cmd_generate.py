"""`layergraph generate CHECKPOINT`: new images from a trained generator."""
from __future__ import annotations

import argparse

from layergraph.safety.limits import MAX_IMAGES
from layergraph.safety.numbers import integer_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate images from a training checkpoint")
    p.add_argument("checkpoint", help="checkpoint.safetensors written by `layergraph train`")
    p.add_argument("-n", type=integer_option(1, MAX_IMAGES, "-n"), default=8,
                   help="images (per class for a conditional GAN)")
    p.add_argument("--label", help="class name or 1-based index (conditional GAN); default: every class")
    p.add_argument("--seed", type=integer_option(0, 2**63 - 1, "--seed"), default=0)
    p.add_argument("--zoom", type=integer_option(1, 1024, "--zoom"),
                   help="enlarge the grid this many times (default: images ≥ 64 px high)")
    p.add_argument("--out", default="generated.png",
                   help="a .png path for one tiled image, or a folder for one PNG per image (per class)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layergraph.gan.generate import generate
    from layergraph.safety.limits import MAX_IMAGES, check_count
    from layergraph.safety.outputs import guard_outputs

    check_count(args.n, "-n", 1, MAX_IMAGES)
    check_count(args.seed, "--seed", 0, 2**63 - 1)
    if args.zoom is not None:
        check_count(args.zoom, "--zoom", 1, 1024)
    folder = not args.out.lower().endswith(".png")
    guard_outputs([("--out", args.out)], [args.checkpoint], folders=["--out"] if folder else [])
    out = generate(args.checkpoint, args.out, n=args.n, label=args.label, seed=args.seed, zoom=args.zoom)
    print(f"wrote {out}")
    return 0
