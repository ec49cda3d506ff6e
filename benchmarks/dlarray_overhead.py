"""What do dlarray labels cost in loss code? A GAN loss on formatted dlarrays vs the same on plain tensors.

The loss is the GAN examples' modelLoss tail written the MATLAB way (sigmoid, mean, log, 1 - p, the label
flip `probReal(:,:,:,idx) = 1 - probReal(:,:,:,idx)`, scores) and timed, forward and backward, in three forms
interleaved in one run:

  dlarray   MATLAB functions on formatted "SSCB" dlarrays (labels carried through every operation)
  tensor    the same MATLAB functions on plain torch tensors (no labels)
  subclass  hand-written torch on a bare torch.Tensor subclass with torch's default __torch_function__:
            what dlarrays cost before they carried labels (every result converted to the subclass)
  torch     hand-written torch on plain tensors (the reference)

for the examples' discriminator scores (1×1×1×B) and for image-sized arrays (64×64×3×B), where the work per
operation dwarfs any per-call cost. Networks strip labels at their inputs, so layers pay nothing; this
measures what is left: the Python-level dispatch of each operation in the loss. Figures, not assertions.

Usage: python benchmarks/dlarray_overhead.py [--reps N] [--batch B]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from layergraph import dlarray, log, mean, sigmoid


def matlab_loss(yReal, yGen, idx):
    """The examples' modelLoss tail with MATLAB functions (works on dlarrays and on plain tensors)."""
    probReal = sigmoid(yReal)
    probGen = sigmoid(yGen)
    scoreD = (mean(probReal, "all") + mean(1 - probGen, "all")) / 2
    scoreG = mean(probGen, "all")
    probReal = probReal.clone()
    if hasattr(probReal, "m"):
        probReal.m[:, :, :, idx] = 1 - probReal.m[:, :, :, idx]
    else:
        probReal[idx] = 1 - probReal[idx]
    lossD = -mean(log(probReal), "all") - mean(log(1 - probGen), "all")
    lossG = -mean(log(probGen), "all")
    return lossG + lossD, scoreG, scoreD


def torch_loss(yReal, yGen, idx):
    """The same arithmetic written directly in torch on torch-layout tensors."""
    probReal = torch.sigmoid(yReal)
    probGen = torch.sigmoid(yGen)
    scoreD = (probReal.mean() + (1 - probGen).mean()) / 2
    scoreG = probGen.mean()
    probReal = probReal.clone()
    probReal[idx] = 1 - probReal[idx]
    lossD = -torch.log(probReal).mean() - torch.log(1 - probGen).mean()
    lossG = -torch.log(probGen).mean()
    return lossG + lossD, scoreG, scoreD


class BareSubclass(torch.Tensor):
    """A tensor subclass with torch's default __torch_function__ (DLArray before labels propagated)."""


def inputs(kind: str, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    a, b = torch.randn(shape), torch.randn(shape)  # MATLAB layout H×W×C×B
    if kind == "dlarray":
        return dlarray(a, "SSCB").requires_grad_(), dlarray(b, "SSCB").requires_grad_()
    # torch layout B×C×H×W, as a network's output would be
    a, b = a.permute(3, 2, 0, 1).contiguous(), b.permute(3, 2, 0, 1).contiguous()
    if kind == "subclass":
        a, b = a.as_subclass(BareSubclass), b.as_subclass(BareSubclass)
    return a.requires_grad_(), b.requires_grad_()


def time_once(kind: str, x: tuple[torch.Tensor, torch.Tensor], idx: torch.Tensor, n: int) -> float:
    fn = torch_loss if kind in ("torch", "subclass") else matlab_loss
    start = time.perf_counter()
    for _ in range(n):
        loss, _, _ = fn(*x, idx)
        loss.backward()
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=7, help="interleaved rounds (median reported)")
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(1)
    b = args.batch
    idx = torch.randperm(b)[: int(0.3 * b)]
    for label, shape, n in (("scores 1×1×1×B", (1, 1, 1, b), 300), ("images 64×64×3×B", (64, 64, 3, b), 3)):
        data = {k: inputs(k, shape) for k in ("dlarray", "tensor", "subclass", "torch")}
        # same numbers from all three forms first
        ref = torch_loss(*data["torch"], idx)[0]
        for k in ("dlarray", "tensor", "subclass"):
            fn = torch_loss if k == "subclass" else matlab_loss
            assert torch.allclose(fn(*data[k], idx)[0].as_subclass(torch.Tensor), ref, rtol=1e-5), k
        times: dict[str, list[float]] = {k: [] for k in data}
        for _ in range(args.reps):
            for k, x in data.items():
                times[k].append(time_once(k, x, idx, n))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"{label}, B = {b}: forward+backward per call (median of {args.reps} interleaved rounds)")
        for k in data:
            print(f"  {k:8s} {med[k]:10.1f} µs   ratio to torch {med[k] / med['torch']:.2f}")
        print(f"  dlarray / tensor (the labels' own cost): {med['dlarray'] / med['tensor']:.2f}")


if __name__ == "__main__":
    main()
