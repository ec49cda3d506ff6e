"""Is the diffusion example's gap to the real digits layergraph's doing, or compute? The example's dlnetwork and
the same U-Net written in plain PyTorch (benchmarks/diffusion_torch.py) trained side by side.

Both start from the same weights (copied by layer name) and get, every iteration, the same mini-batch (the
example's imageDatastore → augmentedImageDatastore → minibatchqueue, [-1, 1]), the same noise steps and the same
noise. layergraph runs the example's own modelLoss (forward, mse, dlgradient in dlfeval) and adamupdate;
PyTorch runs the module, MATLAB's mse written out, backward and torch.optim.Adam(betas=(0.9, 0.9999),
eps=1e-8). The two steps are interleaved in one process and timed separately. Afterwards each samples
EVALUATE_IMAGES digits with the example's reverse process from the same noise draws, and both are scored as the
example's --evaluate scores (the classifier of `layergraph evaluate`, against as many real held-out digits;
"confident": the share it puts in one class with probability ≥ 0.9).

Usage: python benchmarks/diffusion_reference.py DIGITS_FOLDER [--iterations N] [--steps N] [--out DIR] [--rescore]
Writes DIR/losses.json, DIR/generated_{layergraph,torch}.npy (N×1×16×16 in [-1, 1]) and the grids as PNG;
--rescore only scores the digits a run saved in DIR.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import layergraph as lg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import diffusion_torch as dt  # noqa: E402  (beside this file)


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("diffusion_digits", HERE.parent / "examples" / "diffusion_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Pair:
    """The example's dlnetwork and its torch twin, with their optimizer states and per-iteration records."""

    def __init__(self, ex: Any, channels: int, steps: int) -> None:
        torch.manual_seed(0)
        self.ex, self.net = ex, ex.createDiffusionNetwork(1, initialNumChannels=channels)
        self.ref = dt.DiffusionUNet(channels)
        dt.copy_weights(self.net, self.ref)
        self.opt = torch.optim.Adam(self.ref.parameters(), lr=ex.LEARN_RATE,
                                    betas=(ex.GRADIENT_DECAY, ex.SQUARED_GRADIENT_DECAY), eps=1e-8)
        self.avg: Any = []
        self.avg_sq: Any = []
        self.schedule = torch.linspace(1e-4, 0.02, steps, dtype=torch.float64)
        self.alpha_bar = torch.cumprod(1 - self.schedule, 0)
        self.losses: dict[str, list[float]] = {"layergraph": [], "torch": []}
        self.seconds: dict[str, list[float]] = {"layergraph": [], "torch": []}

    def step(self, iteration: int, X: Any, t: torch.Tensor, noise: torch.Tensor) -> None:
        """One training iteration of each on mini-batch X (SSCB dlarray), steps t (B), noise (B×1×H×W)."""
        ex = self.ex
        start = time.perf_counter()
        noise_m = lg.dlarray(noise.permute(2, 3, 1, 0).numpy(), "SSCB")
        noisy = ex.applyNoiseToImage(X, noise_m, t, self.alpha_bar)
        loss, grads = lg.dlfeval(ex.modelLoss, self.net, noisy, lg.dlarray(t.float().reshape(1, -1).numpy(), "CB"),
                                 noise_m)
        self.net, self.avg, self.avg_sq = lg.adamupdate(self.net, grads, self.avg, self.avg_sq, iteration,
                                                        ex.LEARN_RATE, ex.GRADIENT_DECAY, ex.SQUARED_GRADIENT_DECAY)
        self._record("layergraph", float(lg.extractdata(loss)), start)

        start = time.perf_counter()
        x0 = lg.extractdata(X).detach().permute(3, 2, 0, 1)
        a = self.alpha_bar[t - 1].float().reshape(-1, 1, 1, 1)
        loss_t = dt.mse(self.ref(a.sqrt() * x0 + (1 - a).sqrt() * noise, t), noise)
        self.opt.zero_grad()
        loss_t.backward()
        self.opt.step()
        self._record("torch", float(loss_t.detach()), start)

    def _record(self, side: str, loss: float, start: float) -> None:
        self.seconds[side].append(time.perf_counter() - start)
        self.losses[side].append(loss)


def train(pair: Pair, folder: str, iterations: int) -> None:
    """The example's data pipeline; draws from one seeded torch generator, given to both sides."""
    ex = pair.ex
    imds = lg.imageDatastore(folder, IncludeSubfolders=True)
    mbq = lg.minibatchqueue(lg.augmentedImageDatastore([16, 16], imds), MiniBatchSize=ex.MINI_BATCH_SIZE,
                            PartialMiniBatch="discard", MiniBatchFcn=ex.preprocessMiniBatch, MiniBatchFormat="SSCB")
    torch.manual_seed(1)
    iteration = 0
    while iteration < iterations:
        mbq.shuffle()
        while mbq.hasdata() and iteration < iterations:
            iteration += 1
            X = mbq.next()
            n = int(lg.size(X, 4))
            t = torch.randint(1, len(pair.schedule) + 1, (n,))
            noise = torch.randn(n, 1, 16, 16)
            pair.step(iteration, X, t, noise)
            if iteration == 1 or iteration % 100 == 0:
                report(pair, iteration)


def report(pair: Pair, iteration: int) -> None:
    window = {k: v[-100:] for k, v in pair.losses.items()}
    speed = {k: 1000 * float(np.median(v[-100:])) for k, v in pair.seconds.items()}
    print(f"Iteration {iteration}: loss layergraph {window['layergraph'][-1]:.4f} torch {window['torch'][-1]:.4f}"
          f"  (mean of last {len(window['torch'])}: {np.mean(window['layergraph']):.4f} vs "
          f"{np.mean(window['torch']):.4f});  ms/iteration {speed['layergraph']:.0f} vs {speed['torch']:.0f}",
          flush=True)


@torch.no_grad()
def sample_torch(ref: dt.DiffusionUNet, schedule: torch.Tensor, n: int) -> torch.Tensor:
    """The example's reverse process (posterior variance, no noise at t = 1) for the torch module; the noise
    drawn as layergraph's randn(16,16,1,n) draws it (MATLAB layout), so both samplers get the same numbers."""
    alpha_bar = torch.cumprod(1 - schedule, 0)
    prev = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar[:-1]])
    variance = schedule * (1 - prev) / (1 - alpha_bar)
    x = torch.randn(16, 16, 1, n).permute(3, 2, 0, 1)
    for t in range(len(schedule), 0, -1):
        z = torch.randn(16, 16, 1, n).permute(3, 2, 0, 1) if t != 1 else torch.zeros_like(x)
        eps = ref(x, torch.full((n,), float(t)))
        beta = float(schedule[t - 1])
        x = (x - beta * eps / math.sqrt(1 - float(alpha_bar[t - 1]))) / math.sqrt(1 - beta)
        x = x + math.sqrt(float(variance[t - 1])) * z
    return x


def generate(pair: Pair, n: int) -> dict[str, torch.Tensor]:
    """n digits from each network (N×1×16×16), from the same noise draws, with the sampling time."""
    torch.manual_seed(2)
    start = time.perf_counter()
    ours = pair.ex.generateAndDisplayImages(pair.net, pair.schedule, [16, 16], n, 1)
    ours = torch.as_tensor(np.asarray(ours)).permute(3, 2, 0, 1).float()
    middle = time.perf_counter()
    torch.manual_seed(2)
    theirs = sample_torch(pair.ref, pair.schedule, n)
    print(f"sampled {n} digits in {middle - start:.0f} s (layergraph) and {time.perf_counter() - middle:.0f} s "
          "(torch)", flush=True)
    return {"layergraph": ours, "torch": theirs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--iterations", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--images", type=int, default=300, help="generated digits to score (the example: 300)")
    parser.add_argument("--out", default="runs/diffusion_reference")
    parser.add_argument("--rescore", action="store_true", help="score the digits saved in --out, no training")
    args = parser.parse_args()
    out = Path(args.out)
    if args.rescore:
        score(args.folder, {side: torch.as_tensor(np.load(out / f"generated_{side}.npy"))
                            for side in ("layergraph", "torch")})
        return
    out.mkdir(parents=True, exist_ok=True)
    ex = load_example()
    pair = Pair(ex, args.channels, args.steps)
    train(pair, args.folder, args.iterations)
    (out / "losses.json").write_text(json.dumps({"losses": pair.losses, "seconds": pair.seconds}))
    images = generate(pair, args.images)
    for side, x in images.items():
        np.save(out / f"generated_{side}.npy", x.numpy())
        grid = lg.imtile(x[:100].permute(2, 3, 1, 0).numpy())
        lg.imwrite(lg.rescale(grid, InputMin=-1, InputMax=1), out / f"generated_{side}.png")
    score(args.folder, images)


def score(folder: str, images: dict[str, torch.Tensor]) -> None:
    """The example's --evaluate protocol for each side: 8-bit rounding, as many real held-out digits."""
    from layergraph.gan.evaluator import Evaluator

    ev = Evaluator(folder, (16, 16), 1)
    n = min(len(next(iter(images.values()))), len(ev.held_images))
    real = ev.held_images[torch.randperm(len(ev.held_images), generator=torch.Generator().manual_seed(0))[:n]]
    scores = {side: ev.score(((x[:n].clamp(-1, 1) + 1) * 127.5 + 0.5).floor().div(127.5).sub(1.0))
              for side, x in images.items()}
    scores["real held-out"] = ev.score(real)
    for side, x in [*images.items(), ("real held-out", real)]:
        scores[side]["confident"] = ev.confidently_recognised(x[:n])
    for name in ("precision", "recall", "coverage", "frechet", "confident"):
        print(f"{name:10} " + "   ".join(f"{side} {s[name]:.3f}" for side, s in scores.items()))


if __name__ == "__main__":
    main()
