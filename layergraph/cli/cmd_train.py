"""`layergraph train CONFIG`: train a GAN/CGAN from a YAML training config."""
from __future__ import annotations

import argparse

from layergraph.train.config import load_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a GAN or conditional GAN from a training config (YAML)")
    p.add_argument("config", help="training config (YAML): generator, discriminator, data, options")
    p.add_argument("--resume", action="store_true", help="continue from OUTPUT/checkpoint.safetensors")
    p.add_argument("--output", help="override the config's output folder")
    p.add_argument("--epochs", type=int, dest="numEpochs", help="override numEpochs")
    p.add_argument("--max-iterations", type=int, dest="maxIterations", help="stop after this many iterations")
    p.add_argument("--data", help="override the data folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from layergraph.train.gan import train

    cfg = load_config(args.config, output=args.output, numEpochs=args.numEpochs,
                      maxIterations=args.maxIterations, data=args.data)
    train(cfg, resume=args.resume)
    return 0
