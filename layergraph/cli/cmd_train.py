"""`layergraph train CONFIG`: train a GAN/CGAN from a YAML training config."""
from __future__ import annotations

import argparse
from pathlib import Path

from layergraph.cli.overrides import add_set_option, set_values
from layergraph.gan.config import load_config
from layergraph.safety.limits import MAX_INTEGER
from layergraph.safety.numbers import integer_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a GAN or conditional GAN from a training config (YAML)")
    p.add_argument("config", help="training config (YAML): generator, discriminator, data, options")
    p.add_argument("--resume", action="store_true", help="continue from OUTPUT/checkpoint.safetensors")
    p.add_argument("--output", help="override the config's output folder")
    p.add_argument("--epochs", type=integer_option(0, MAX_INTEGER, "--epochs"), dest="numEpochs",
                   help="override numEpochs")
    p.add_argument("--max-iterations", type=integer_option(0, MAX_INTEGER, "--max-iterations"), dest="maxIterations",
                   help="stop after this many iterations")
    p.add_argument("--data", help="override the data folder")
    p.add_argument("--precision", choices=("auto", "fp32", "bf16"),
                   help="override precision: bf16 autocast where the hardware has it (auto), or force one")
    add_set_option(p, train=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layergraph.gan.trainer import train

    # folders typed on the command line are relative to where the user is, not to the config file
    here = {k: str(Path(v).absolute()) for k, v in (("output", args.output), ("data", args.data)) if v}
    cfg = load_config(args.config, numEpochs=args.numEpochs, maxIterations=args.maxIterations,
                      precision=args.precision, **here)
    cfg = cfg.with_params(set_values(args.set, train=True))  # 'generator.numFilters' → generatorParams
    train(cfg, resume=args.resume)
    return 0
