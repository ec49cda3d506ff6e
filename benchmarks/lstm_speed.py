"""What does lstmLayer cost over a hand-written PyTorch LSTM? Forward + backward time, interleaved, as a ratio.

The network is sequenceInputLayer(C) → lstmLayer(H) (OutputMode "sequence" or "last") in a dlnetwork, called as a
ported MATLAB loop calls it (`forward(net, X)` on a "CBT" dlarray, loss on the output, gradients of all
learnables). The reference is an nn.Module holding an nn.LSTM(batch_first) with the same weights, fed the same
data as N×T×C (its natural layout), the sequence output brought to N×H×T as layergraph returns it. MATLAB's
semantics cost: the "CBT" ↔ time-major transposes and a zero recurrent bias (torch's kernel takes two biases,
MATLAB's LSTM has one). Figures, not assertions; target ≤ 1.05.

Usage: python benchmarks/lstm_speed.py [--quick] [--reps N]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from layergraph import dlarray, dlnetwork, forward, lstmLayer, sequenceInputLayer


class Reference(nn.Module):
    """nn.LSTM as a PyTorch user writes it; the sequence output as N×H×T, or the last time step."""

    def __init__(self, c: int, h: int, last: bool) -> None:
        super().__init__()
        self.lstm = nn.LSTM(c, h, batch_first=True)
        self.last = last

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: N×T×C
        y, _ = self.lstm(x)
        return y[:, -1] if self.last else y.transpose(1, 2)


def setup(c: int, h: int, n: int, t: int, last: bool) -> dict:
    torch.manual_seed(0)
    net = dlnetwork([sequenceInputLayer(c), lstmLayer(h, OutputMode="last" if last else "sequence", Name="lstm")])
    ref = Reference(c, h, last)
    with torch.no_grad():  # the same weights: MATLAB's arrays are torch's weight_ih/weight_hh, b_hh = 0
        ref.lstm.weight_ih_l0.copy_(torch.from_numpy(net.getLearnable("lstm", "InputWeights")))
        ref.lstm.weight_hh_l0.copy_(torch.from_numpy(net.getLearnable("lstm", "RecurrentWeights")))
        ref.lstm.bias_ih_l0.copy_(torch.from_numpy(net.getLearnable("lstm", "Bias"))[:, 0])
        ref.lstm.bias_hh_l0.zero_()
    x = torch.randn(n, t, c)
    return {"net": net, "ref": ref, "x_ref": x, "x_lg": dlarray(x.permute(2, 0, 1), "CBT")}


def step(parts: dict, which: str) -> None:
    if which == "layergraph":
        net = parts["net"]
        y, _ = forward(net, parts["x_lg"])
        params = list(net.Learnables.Value)
        y = y.as_subclass(torch.Tensor)
    else:
        y = parts["ref"](parts["x_ref"])
        params = list(parts["ref"].parameters())
    torch.autograd.grad(y.square().mean(), params)


def check_equal(parts: dict) -> float:
    with torch.no_grad():
        a = parts["net"].predict(parts["x_lg"]).as_subclass(torch.Tensor)
        b = parts["ref"](parts["x_ref"])
    return float((a - b).abs().max())


def time_pair(parts: dict, reps: int) -> tuple[float, float]:
    """Median seconds per step of each, interleaved so both see the same machine load."""
    for _ in range(3):
        step(parts, "layergraph")
        step(parts, "reference")
    times: dict[str, list[float]] = {"layergraph": [], "reference": []}
    for i in range(reps):
        for which in (("layergraph", "reference") if i % 2 == 0 else ("reference", "layergraph")):
            t0 = time.perf_counter()
            step(parts, which)
            times[which].append(time.perf_counter() - t0)
    return statistics.median(times["layergraph"]), statistics.median(times["reference"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and few repetitions")
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    # (channels, hidden units, batch, time steps): the Japanese Vowels classifier's size and a larger one
    sizes = [(12, 100, 27, 30), (64, 256, 64, 100)] if not args.quick else [(12, 100, 27, 30)]
    reps = args.reps or (10 if args.quick else 30)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {reps} repetitions, median per step")
    print(f"{'C':>4} {'H':>4} {'N':>4} {'T':>4} {'output':>8} {'layergraph ms':>14} {'torch ms':>9} {'ratio':>6} "
          f"{'max |diff|':>10}")
    for c, h, n, t in sizes:
        for last in (False, True):
            parts = setup(c, h, n, t, last)
            ours, ref = time_pair(parts, reps)
            print(f"{c:>4} {h:>4} {n:>4} {t:>4} {'last' if last else 'sequence':>8} {ours * 1e3:>14.2f} "
                  f"{ref * 1e3:>9.2f} {ours / ref:>6.3f} {check_equal(parts):>10.2e}")


if __name__ == "__main__":
    main()
