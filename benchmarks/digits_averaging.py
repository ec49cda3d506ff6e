"""Live vs averaged generator along one demo run: does `generatorAverageDecay` make the digits steadier?

Trains examples/cgan_digits.yaml (its seed or --seed) and, every --every iterations from --start on, scores
1,000 generated digits (100 per class, fixed noise) twice: with the generator's live weights and with the
moving average of its weights (β = --decay). Scores as in digits_quality.py: the share an SVC fitted on real
digits classifies as the conditioning label, and k-NN precision/recall against held-out real digits.

Usage: python benchmarks/digits_averaging.py [--seed 1] [--decay 0.995] [--epochs 90] [--every 150]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digits_quality import ROOT, knn_precision_recall, load_folder

from layergraph.gan.config import load_config
from layergraph.gan.trainer import GANTrainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT / "data/digits"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--decay", type=float, default=0.995)
    parser.add_argument("--epochs", type=int, default=90)
    parser.add_argument("--start", type=int, default=900)
    parser.add_argument("--every", type=int, default=150)
    args = parser.parse_args()
    data = Path(args.data)
    if not data.exists():
        subprocess.run([sys.executable, "-m", "layergraph", "data", "digits", str(data)], check=True)
    x, y, _ = load_folder(data)
    x_tr, x_te, y_tr, _ = train_test_split(x, y, test_size=0.5, random_state=0, stratify=y)
    clf = SVC(gamma="scale", C=10).fit(x_tr, y_tr)

    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(ROOT / "examples/cgan_digits.yaml", output=tmp, data=str(data.absolute()),
                          seed=args.seed, numEpochs=args.epochs, generatorAverageDecay=args.decay,
                          validationFrequency=10**9, checkpointFrequency=10**9)
        trainer = GANTrainer(cfg)
        trainer.console.quiet = True
        g = trainer.netG
        Z = torch.randn(1000, *trainer.latent_shape.torch_shape(1)[1:], generator=torch.Generator().manual_seed(123))
        T = torch.arange(1, 11).repeat_interleave(100).reshape(-1, 1).float()
        labels = np.repeat(np.arange(10), 100)

        def score() -> tuple[float, float, float]:
            with torch.no_grad():
                imgs = g.predict(Z, T).as_subclass(torch.Tensor)[:, 0]
            # the PNG round trip `generate` makes: [-1, 1] → 8-bit → [0, 1]
            imgs = ((imgs.clamp(-1, 1) + 1) * 127.5).round().numpy().reshape(len(imgs), -1) / 255.0
            acc = float((clf.predict(imgs) == labels).mean())
            prec, rec = knn_precision_recall(x_te, imgs[np.random.default_rng(0).permutation(len(imgs))[: len(x_te)]])
            return acc, prec, rec

        inner = trainer._train_step

        def step(X: torch.Tensor, T_: torch.Tensor | None) -> tuple[float, float, float, float]:
            out = inner(X, T_)
            it = trainer.state.iteration
            if it >= args.start and it % args.every == 0:
                live = score()
                with trainer._averaged_generator():
                    avg = score()
                print(f"{it:>9} {live[0]:>9.3f} {live[1]:>6.2f}/{live[2]:.2f} "
                      f"{avg[0]:>12.3f} {avg[1]:>6.2f}/{avg[2]:.2f}", flush=True)
            return out

        trainer._train_step = step
        print(f"seed {args.seed}, β {args.decay}: share classified as their label, k-NN precision/recall")
        print(f"{'iteration':>9} {'live':>9} {'P/R':>9} {'averaged':>12} {'P/R':>9}")
        trainer.run()


if __name__ == "__main__":
    main()
