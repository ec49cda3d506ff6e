"""`layergraph evaluate CHECKPOINT --data DIR`: how recognisable, faithful and diverse the generated images are."""
from __future__ import annotations

import argparse
import json

from layergraph.safety.numbers import integer_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="score a checkpoint's generated images against the real data "
                                        "(recognised share, precision, recall, density, coverage, Fréchet)")
    p.add_argument("checkpoint", help="checkpoint.safetensors written by `layergraph train`")
    p.add_argument("--data", required=True, help="the real images: a folder with one sub-folder per class")
    p.add_argument("--seed", type=integer_option(0, 2**63 - 1, "--seed"), default=0,
                   help="noise seed of the generated images")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--no-cache", dest="cache", action="store_false",
                   help="train the feature classifier afresh and do not write DIR.evaluator-*.safetensors")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layergraph.gan.evaluate import evaluate_checkpoint, format_report

    result = evaluate_checkpoint(args.checkpoint, args.data, seed=args.seed, cache=args.cache)
    print(json.dumps(result, indent=2) if args.format == "json" else format_report(result))
    return 0
