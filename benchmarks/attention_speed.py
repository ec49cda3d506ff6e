"""What does selfAttentionLayer cost? A dlnetwork holding it vs a hand-written torch module with the same sizes.

The reference is what a PyTorch user writes: four nn.Linear projections on B×T×C data and
F.scaled_dot_product_attention. layergraph's network takes MATLAB's "CBT" data (torch B×C×T) or "SSCB" images
(B×C×H×W, the diffusion example's attention blocks), so it pays for moving the channels last and back. Both
get the same weights; a training step's forward + backward (sum of the output as the loss) is timed,
interleaved, and the median ratio printed (target ≤ 1.05). Figures, not assertions.

Usage: python benchmarks/attention_speed.py [--quick] [--reps N]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

import layergraph as lg


class Reference(nn.Module):
    """Multihead self-attention on B×L×C, written directly in torch."""

    def __init__(self, c: int, dk: int, heads: int) -> None:
        super().__init__()
        self.q, self.k, self.v, self.o = nn.Linear(c, dk), nn.Linear(c, dk), nn.Linear(c, dk), nn.Linear(dk, c)
        self.heads = heads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def split(t: torch.Tensor) -> torch.Tensor:
            return t.unflatten(-1, (self.heads, -1)).transpose(1, 2)

        y = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)))
        return self.o(y.transpose(1, 2).flatten(2))


CASES = {  # name: (input layer, data shape for layergraph, heads, key channels)
    "sequence CBT 256ch T=128 B=16": (lambda: lg.sequenceInputLayer(256), (16, 256, 128), 8, 256),
    "image SSCB 16×16×128 B=16": (lambda: lg.imageInputLayer([16, 16, 128], Normalization="none"), (16, 128, 16, 16),
                                  1, 128),
}


def build(case: str) -> dict:
    make_input, shape, heads, dk = CASES[case]
    c = shape[1]
    torch.manual_seed(0)
    net = lg.dlnetwork([make_input(), lg.selfAttentionLayer(heads, dk, Name="sa")])
    ref = Reference(c, dk, heads)
    with torch.no_grad():
        for mine, theirs in (("Query", ref.q), ("Key", ref.k), ("Value", ref.v), ("Output", ref.o)):
            theirs.weight.copy_(torch.as_tensor(net.getLearnable("sa", f"{mine}Weights")))
            theirs.bias.copy_(torch.as_tensor(net.getLearnable("sa", f"{mine}Bias")).reshape(-1))
    x = torch.randn(shape)
    xr = x.flatten(2).transpose(1, 2).contiguous() if x.dim() == 3 else \
        x.transpose(2, 3).flatten(2).transpose(1, 2).contiguous()  # B×L×C, positions column-major as MATLAB
    return {"net": net, "ref": ref, "x": x, "xr": xr}


def step(parts: dict, which: str) -> None:
    if which == "layergraph":
        y = lg.forward(parts["net"], parts["x"], nargout=1)  # MATLAB's Y = forward(net, X)
        params = list(parts["net"].Learnables.Value)
    else:
        y = parts["ref"](parts["xr"])
        params = list(parts["ref"].parameters())
    grads = torch.autograd.grad(y.as_subclass(torch.Tensor).sum(), params)
    assert len(grads) == len(params)


def max_difference(parts: dict) -> float:
    with torch.no_grad():
        a = parts["net"].predict(parts["x"]).as_subclass(torch.Tensor)
        b = parts["ref"](parts["xr"])
    a = a.flatten(2).transpose(1, 2) if a.dim() == 3 else a.transpose(2, 3).flatten(2).transpose(1, 2)
    return float((a - b).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--reps", type=int, help="interleaved repetitions per case")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    print(f"{'case':<32} {'reference ms':>13} {'layergraph ms':>14} {'ratio':>7}  max |Δ output|")
    for case in CASES:
        parts = build(case)
        diff = max_difference(parts)
        reps = args.reps or (10 if args.quick else 40)
        for which in ("reference", "layergraph"):
            step(parts, which)
        times: dict[str, list[float]] = {"reference": [], "layergraph": []}
        for i in range(reps):
            for which in (("reference", "layergraph") if i % 2 == 0 else ("layergraph", "reference")):
                t0 = time.perf_counter()
                step(parts, which)
                times[which].append(time.perf_counter() - t0)
        ref, ours = statistics.median(times["reference"]), statistics.median(times["layergraph"])
        ratio = ours / ref
        print(f"{case:<32} {ref * 1e3:>13.1f} {ours * 1e3:>14.1f} {ratio:>7.3f}  {diff:.1e}  "
              f"{'PASS' if ratio <= 1.05 else 'MISS'} (≤ 1.05)")


if __name__ == "__main__":
    main()
