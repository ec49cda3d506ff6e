"""Training images/s: hand-written PyTorch vs layergraph's trainer (fp32, channels_last, torch.compile, bf16, auto).

For the MATLAB flowers DCGAN (batch 128, 64×64×3) and the 16×16 digits CGAN (batch 64) it times whole training
iterations — the GAN examples' modelGradients plus Adam on both networks — through:
  reference       hand-written nn.Modules (benchmarks/reference_nets.py) + torch.optim.Adam (foreach)
  default         layergraph's GANTrainer step in float32 (precision: fp32)
  channels_last   the same with channelsLast: true
  compile         the same with compile: true (torch.compile of both networks)
  bf16            precision: bf16 (autocast; on CPUs without bf16 arithmetic it is emulated, and slow)
  bf16_cl         precision: bf16 with channelsLast: true
  auto            precision: auto, what `layergraph train` does by default (bf16 where the hardware has it)
Variants are interleaved in one run and the median iteration time is reported with the ratio to the reference.
The device is chosen like training chooses it (CUDA when present). Figures, not assertions.

Usage: python benchmarks/train_speed.py [--quick] [--pairs flowers,digits] [--reps N] [--variants ...]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_nets as ref

from layergraph.devices import canUseGPU
from layergraph.gan.config import TrainConfig
from layergraph.gan.trainer import GANTrainer
from layergraph.precision import resolve_precision

ROOT = Path(__file__).resolve().parents[1]
PAIRS = {  # name: (spec prefix, reference classes, batch, image size, channels, classes)
    "flowers": ("gan_flowers", ref.FlowersGenerator, ref.FlowersDiscriminator, 128, 64, 3, 1),
    "digits": ("cgan_digits", ref.DigitsGenerator, ref.DigitsDiscriminator, 64, 16, 1, 10),
}
VARIANTS = ("reference", "default", "channels_last", "compile", "bf16", "bf16_cl", "auto")
PRECISION = {"bf16": "bf16", "bf16_cl": "bf16", "auto": "auto"}  # the other variants train in fp32


def tiny_folder(root: Path, size: int, channels: int, classes: int) -> Path:
    """A few images per class, enough for the trainer to start (the timed batches are made in memory)."""
    rng = np.random.default_rng(0)
    for k in range(classes):
        folder = root / f"class{k}"
        folder.mkdir(parents=True)
        for i in range(2):
            shape = (size, size, channels) if channels == 3 else (size, size)
            Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(folder / f"{i}.png")
    return root


def make_trainer(pair: str, variant: str, data: Path, out: Path) -> GANTrainer:
    prefix, _, _, batch, size, _, _ = PAIRS[pair]
    cfg = TrainConfig(generator=ROOT / f"specs/{prefix}_generator.yaml",
                      discriminator=ROOT / f"specs/{prefix}_discriminator.yaml", data=data, output=out,
                      imageSize=(size, size), miniBatchSize=batch, seed=0,
                      channelsLast=variant in ("channels_last", "bf16_cl"), compile=variant == "compile",
                      precision=PRECISION.get(variant, "fp32"))
    return GANTrainer(cfg)


class Reference:
    """The plain-PyTorch training iteration: same networks, same loss, torch.optim.Adam."""

    def __init__(self, pair: str, trainer: GANTrainer, device: torch.device) -> None:
        _, gcls, dcls, *_ = PAIRS[pair]
        self.g, self.d = gcls().to(device), dcls().to(device)
        ref.copy_weights(trainer.netG, self.g)
        ref.copy_weights(trainer.netD, self.d)
        cfg = trainer.cfg
        betas = (cfg.gradientDecayFactor, cfg.squaredGradientDecayFactor)
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=cfg.learnRate, betas=betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=cfg.learnRate, betas=betas)
        self.latent = trainer.latent_shape.torch_shape(1)[1:]
        self.probabilities = trainer.d_outputs_probability
        self.flip = cfg.flipFactor

    def step(self, X: torch.Tensor, T: torch.Tensor | None) -> None:
        Z = torch.randn(X.shape[0], *self.latent, device=X.device)
        pg, pd = list(self.g.parameters()), list(self.d.parameters())
        grad_g, grad_d = ref.gan_step(self.g, self.d, X, T, Z, pg, pd, self.probabilities, self.flip)
        for p, grad in zip(pg + pd, grad_g + grad_d):
            p.grad = grad
        self.opt_d.step()
        self.opt_g.step()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_once(runner: Reference | GANTrainer, X: torch.Tensor, T: torch.Tensor | None) -> float:
    """Seconds for one training iteration (Adam's iteration counter advances like in training)."""
    sync(X.device)
    t0 = time.perf_counter()
    if isinstance(runner, Reference):
        runner.step(X, T)
    else:
        runner.state.iteration += 1
        runner._train_step(X, T)
    sync(X.device)
    return time.perf_counter() - t0


def bench_pair(pair: str, variants: list[str], device: torch.device, tmp: Path, quick: bool,
               reps: int | None) -> None:
    """Time every variant on one network pair, interleaved, and print a row per variant."""
    _, _, _, batch, size, channels, classes = PAIRS[pair]
    data = tiny_folder(tmp / pair, size, channels, classes)
    runners: dict[str, Reference | GANTrainer] = {}
    for variant in variants:
        if variant != "reference":
            runners[variant] = make_trainer(pair, variant, data, tmp / f"out_{pair}_{variant}")
    if "reference" in variants:
        base = runners.get("default") or make_trainer(pair, "default", data, tmp / f"out_{pair}")
        runners = {"reference": Reference(pair, base, device), **runners}
    X = torch.rand(batch, channels, size, size, device=device) * 2 - 1
    T = torch.randint(1, classes + 1, (batch, 1), device=device).float() if classes > 1 else None
    for variant, runner in runners.items():  # warm-up (torch.compile compiles here)
        for _ in range(3 if variant == "compile" else 1):
            run_once(runner, X, T)
    fast = device.type == "cuda" or pair == "digits"
    reps = reps or ((20 if fast else 3) if quick else (60 if fast else 8))
    times: dict[str, list[float]] = {v: [] for v in runners}
    order = list(runners)
    for i in range(reps):
        for variant in (order if i % 2 == 0 else order[::-1]):
            times[variant].append(run_once(runners[variant], X, T))
    base_t = statistics.median(times["reference"]) if "reference" in times else None
    for variant, ts in times.items():
        med = statistics.median(ts)
        ratio = f"{base_t / med:>12.2f}×" if base_t else ""
        print(f"{pair:<8} {batch:>5} {variant:<14} {med * 1e3:>9.1f} {batch / med:>9.0f} {ratio}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--reps", type=int, help="timed iterations per variant")
    parser.add_argument("--pairs", default="flowers,digits")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    device = torch.device("cuda" if canUseGPU() else "cpu")
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    print(f"torch {torch.__version__}, device {name}; precision auto → {resolve_precision('auto', device)}")
    print(f"{'pair':<8} {'batch':>5} {'variant':<14} {'ms/iter':>9} {'images/s':>9} {'vs reference':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for pair in args.pairs.split(","):
            bench_pair(pair, [v for v in args.variants.split(",") if v], device, Path(tmp), args.quick, args.reps)
    print("vs reference: images/s of the variant ÷ images/s of hand-written PyTorch (above 1 is faster)")


if __name__ == "__main__":
    main()
