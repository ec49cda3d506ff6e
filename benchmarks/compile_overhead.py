"""Does compiling a MATLAB-style spec cost anything? layergraph's dlnetwork vs hand-written torch modules.

For the MATLAB flowers DCGAN pair (batch 128, 64×64×3) and the 16×16 digits CGAN pair (batch 64) it times a
training step's forward + backward (the GAN examples' modelGradients: D on real images, G on noise, D on
generated images, both gradients) through layergraph's `forward(net, …)` and through hand-written nn.Modules
with the same layers and weights (benchmarks/reference_nets.py), interleaved in one run, and prints the time
ratios (target ≤ 1.03) and the peak-memory ratios of a step (target ≤ 1.10). Figures, not assertions.

Usage: python benchmarks/compile_overhead.py [--quick] [--reps N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_nets import (
    DigitsDiscriminator,
    DigitsGenerator,
    FlowersDiscriminator,
    FlowersGenerator,
    copy_weights,
    gan_step,
)

from layergraph import dlnetwork, forward, load_spec

ROOT = Path(__file__).resolve().parents[1]
PAIRS = {
    "flowers DCGAN": ("gan_flowers", FlowersGenerator, FlowersDiscriminator, 128),
    "digits CGAN": ("cgan_digits", DigitsGenerator, DigitsDiscriminator, 64),
}


def build(pair: str) -> dict:
    """Compiled and reference networks with identical weights, plus one batch of inputs."""
    prefix, gcls, dcls, batch = PAIRS[pair]
    torch.manual_seed(0)
    g = dlnetwork(load_spec(ROOT / f"specs/{prefix}_generator.yaml"))
    d = dlnetwork(load_spec(ROOT / f"specs/{prefix}_discriminator.yaml"))
    rg, rd = gcls(), dcls()
    copy_weights(g, rg)
    copy_weights(d, rd)
    zshape = g.analysis.outputs[g.InputNames[0]].torch_shape(batch)
    xshape = d.analysis.outputs[d.InputNames[0]].torch_shape(batch)
    cond = torch.randint(1, 11, (batch, 1)).float() if len(g.InputNames) == 2 else None
    return {"g": g, "d": d, "rg": rg, "rd": rd, "x": torch.rand(xshape) * 2 - 1, "z": torch.randn(zshape),
            "t": cond, "prob": type(d.Layers[-1]).__name__ == "SigmoidLayer"}


def step(parts: dict, which: str) -> None:
    """One forward + backward of the GAN step through layergraph ('compiled') or the reference."""
    if which == "compiled":
        g, d = parts["g"], parts["d"]
        G = lambda *a: forward(g, *a, nargout=1)  # noqa: E731 - Y = forward(net, X), what a ported script calls
        D = lambda *a: forward(d, *a, nargout=1)  # noqa: E731
        pg, pd = list(g.Learnables.Value), list(d.Learnables.Value)
    else:
        G, D = parts["rg"].train(), parts["rd"].train()
        pg, pd = list(parts["rg"].parameters()), list(parts["rd"].parameters())
    gan_step(G, D, parts["x"], parts["t"], parts["z"], pg, pd, parts["prob"])


def check_equal(parts: dict) -> float:
    """Largest output difference between compiled and reference networks (eval mode, same weights)."""
    with torch.no_grad():
        args = (parts["z"], parts["t"]) if parts["t"] is not None else (parts["z"],)
        a = parts["g"].predict(*args).as_subclass(torch.Tensor)
        b = parts["rg"].eval()(*args)
    return float((a - b).abs().max())


def peak_bytes(parts: dict, which: str) -> int:
    """Peak of live CPU tensor memory during one training step, from the profiler's allocation records.

    Deterministic, unlike the process's resident set: every allocation and free is attributed to the op that
    made it, and the running sum over ops in start order is the step's high-water mark above its start.
    """
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step(parts, which)
    current = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        current += event.self_cpu_memory_usage
        peak = max(peak, current)
    return peak


def tiny_overhead(reps: int = 2000) -> tuple[float, float, float]:
    """Microseconds per call at batch 1 (framework overhead dominates): forward(), the fx module, reference."""
    parts = build("digits CGAN")
    g, rg = parts["g"], parts["rg"].eval()
    z, t = torch.randn(1, 32), torch.ones(1, 1)

    def clock(fn: object) -> float:
        with torch.no_grad():
            for _ in range(50):
                fn()  # type: ignore[operator]
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()  # type: ignore[operator]
        return (time.perf_counter() - t0) / reps * 1e6

    api = clock(lambda: g.predict(z, t))  # first: predict puts the fx module in inference mode
    return api, clock(lambda: g.module(z, t)), clock(lambda: rg(z, t))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about a minute)")
    parser.add_argument("--reps", type=int, help="interleaved repetitions per pair")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    print(f"{'pair':<15} {'batch':>5} {'reference ms':>13} {'layergraph ms':>14} {'time ratio':>11} "
          f"{'peak mem ratio':>15}  max |Δ output|")
    for pair, (_, _, _, batch) in PAIRS.items():
        parts = build(pair)
        diff = check_equal(parts)
        reps = args.reps or ((3 if pair == "flowers DCGAN" else 15) if args.quick else
                             (8 if pair == "flowers DCGAN" else 60))
        for which in ("reference", "compiled"):  # warm-up
            step(parts, which)
        times: dict[str, list[float]] = {"reference": [], "compiled": []}
        for i in range(reps):
            for which in (("reference", "compiled") if i % 2 == 0 else ("compiled", "reference")):
                t0 = time.perf_counter()
                step(parts, which)
                times[which].append(time.perf_counter() - t0)
        ref, ours = statistics.median(times["reference"]), statistics.median(times["compiled"])
        mem_ref, mem_ours = peak_bytes(parts, "reference"), peak_bytes(parts, "compiled")
        ratio, mratio = ours / ref, mem_ours / mem_ref
        print(f"{pair:<15} {batch:>5} {ref * 1e3:>13.1f} {ours * 1e3:>14.1f} {ratio:>11.3f} {mratio:>15.3f}  {diff:.1e}"
              f"   time {'PASS' if ratio <= 1.03 else 'MISS'} (≤ 1.03), memory {'PASS' if mratio <= 1.10 else 'MISS'}"
              " (≤ 1.10)")
        print(f"{'':<15} peak tensor memory of a step: reference {mem_ref / 2**20:.1f} MiB, layergraph "
              f"{mem_ours / 2**20:.1f} MiB")
    print("peak memory: high-water mark of live tensors during one step, from torch.profiler's allocation records")
    api, fx_module, reference = tiny_overhead(500 if args.quick else 2000)
    print(f"per-call overhead at batch 1 (digits generator, predict): forward/predict wrapper {api:.0f} µs, "
          f"fx module {fx_module:.0f} µs, hand-written reference {reference:.0f} µs")


if __name__ == "__main__":
    main()
