"""How much does trainnet cost over a hand-written PyTorch loop? Time per epoch, same network, data and solver.

The network is the one of MathWorks' "Create Simple Deep Learning Neural Network for Classification" (three
convolution / batch-norm / ReLU blocks, two max pools, a fully connected layer and softmax) on the built-in
digits resized to 28×28 (1,797 images; 14 mini-batches of 128 per epoch). trainnet runs
`trainingOptions("sgdm", InitialLearnRate=0.01, L2Regularization=1e-4, Shuffle="never")` (the data in the same
order on both sides, so that their losses can be compared); the reference
is an nn.Sequential with the same layers and initial weights, torch.optim.SGD (momentum 0.9, weight decay 1e-4 on
the weights and batch-norm parameters, none on the biases: MATLAB's L2 factors) and the same cross-entropy on
softmax scores, over the same tensors. Runs alternate; the medians and fastest runs, and their ratios, are
printed (goal ≤ 1.05).
Both sides include their own setup (trainnet: copying the network and the data into tensors).

Usage: python benchmarks/trainnet_speed.py [--epochs 3] [--reps 3] [--device cpu|cuda]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import layergraph as lg


def digits() -> tuple[np.ndarray, lg.Categorical]:
    """The built-in digits as 28×28×1×N images in [0, 1] and categorical labels."""
    from PIL import Image
    from sklearn.datasets import load_digits

    d = load_digits()
    images = [np.asarray(Image.fromarray((im * 255 / 16).astype(np.uint8)).resize((28, 28), Image.BILINEAR))
              for im in d.images]
    X = np.stack(images, -1)[:, :, None, :].astype(np.float32) / 255
    return X, lg.categorical([str(t) for t in d.target])


def layers() -> list:
    return [lg.imageInputLayer([28, 28, 1]),
            lg.convolution2dLayer(3, 8, Padding="same"), lg.batchNormalizationLayer(), lg.reluLayer(),
            lg.maxPooling2dLayer(2, Stride=2),
            lg.convolution2dLayer(3, 16, Padding="same"), lg.batchNormalizationLayer(), lg.reluLayer(),
            lg.maxPooling2dLayer(2, Stride=2),
            lg.convolution2dLayer(3, 32, Padding="same"), lg.batchNormalizationLayer(), lg.reluLayer(),
            lg.fullyConnectedLayer(10), lg.softmaxLayer()]


class _MatlabFlatten(nn.Module):
    """Flatten N×C×H×W column-major per image (h fastest, then w, then c), as MATLAB feeds a fully connected layer."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 1, 3, 2).reshape(x.shape[0], -1)


def reference(net: lg.dlnetwork) -> nn.Sequential:
    """The same network written with torch.nn, weights copied from `net` (MATLAB layout → torch layout)."""
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), _MatlabFlatten(), nn.Linear(7 * 7 * 32, 10),
        nn.Softmax(1))
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    norms = [m for m in model if isinstance(m, nn.BatchNorm2d)]
    names = [layer.Name for layer in net.Layers]
    conv_names = [n for n in names if n.startswith("conv")]
    bn_names = [n for n in names if n.startswith("batchnorm")]
    with torch.no_grad():
        for m, n in zip(convs, conv_names):
            m.weight.copy_(torch.tensor(net.getLearnable(n, "Weights")).permute(3, 2, 0, 1))
            m.bias.copy_(torch.tensor(net.getLearnable(n, "Bias")).reshape(-1))
        for m, n in zip(norms, bn_names):
            m.weight.copy_(torch.tensor(net.getLearnable(n, "Scale")).reshape(-1))
            m.bias.copy_(torch.tensor(net.getLearnable(n, "Offset")).reshape(-1))
        fc = model[12]
        fc.weight.copy_(torch.tensor(net.getLearnable("fc", "Weights")))
        fc.bias.copy_(torch.tensor(net.getLearnable("fc", "Bias")).reshape(-1))
    return model


def run_reference(net: lg.dlnetwork, X: np.ndarray, labels: lg.Categorical, epochs: int, device: str) -> float:
    model = reference(net).to(device)
    xt = torch.from_numpy(np.ascontiguousarray(X.transpose(3, 2, 0, 1))).to(device)
    tt = F.one_hot(torch.from_numpy(labels.codes - 1), 10).float().to(device)
    decay = [m.weight for m in model if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm2d))] + \
        [m.bias for m in model if isinstance(m, nn.BatchNorm2d)]
    plain = [m.bias for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 1e-4}, {"params": plain, "weight_decay": 0.0}],
                          lr=0.01, momentum=0.9, foreach=True)
    model.train()
    n, size = xt.shape[0], 128
    for _ in range(epochs):
        for s in range(0, n - n % size, size):
            idx = slice(s, s + size)
            y = model(xt[idx])
            loss = -(tt[idx] * torch.log(y.clamp_min(torch.finfo(y.dtype).eps))).sum() / size
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    if device == "cuda":
        torch.cuda.synchronize()
    return float(loss.detach())


def run_trainnet(net: lg.dlnetwork, X: np.ndarray, labels: lg.Categorical, epochs: int, device: str) -> float:
    opts = lg.trainingOptions("sgdm", InitialLearnRate=0.01, MaxEpochs=epochs, MiniBatchSize=128,
                              Shuffle="never", Verbose=False, Precision="fp32",
                              ExecutionEnvironment="gpu" if device == "cuda" else "cpu")
    _, info = lg.trainnet(X, labels, net, "crossentropy", opts)
    if device == "cuda":
        torch.cuda.synchronize()
    return float(info.TrainingHistory.Loss[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    X, labels = digits()
    torch.manual_seed(0)
    net = lg.dlnetwork(layers())
    device = args.device
    print(f"device {device}{' (' + torch.cuda.get_device_name() + ')' if device == 'cuda' else ''}, "
          f"torch threads {torch.get_num_threads()}, {X.shape[-1]} images, {args.epochs} epochs per run")
    # one epoch each first: warm caches, kernels and allocators
    run_reference(net, X, labels, 1, device)
    run_trainnet(net, X, labels, 1, device)
    times: dict[str, list[float]] = {"reference": [], "trainnet": []}
    last: dict[str, float] = {}
    for _ in range(args.reps):
        for name, fn in (("reference", run_reference), ("trainnet", run_trainnet)):
            start = time.perf_counter()
            last[name] = fn(net, X, labels, args.epochs, device)
            times[name].append((time.perf_counter() - start) / args.epochs)
    ref, ours = statistics.median(times["reference"]), statistics.median(times["trainnet"])
    print(f"hand-written torch loop: {ref * 1000:8.1f} ms per epoch (runs: "
          f"{', '.join(f'{t * 1000:.1f}' for t in times['reference'])})")
    print(f"trainnet:                {ours * 1000:8.1f} ms per epoch (runs: "
          f"{', '.join(f'{t * 1000:.1f}' for t in times['trainnet'])})")
    print(f"last mini-batch loss: reference {last['reference']:.6f}, trainnet {last['trainnet']:.6f} "
          "(the same computation: equal for the first iterations, float32 rounding grows after)")
    print(f"ratio trainnet / reference: {ours / ref:.3f} of the medians, "
          f"{min(times['trainnet']) / min(times['reference']):.3f} of the fastest runs  (goal ≤ 1.05)")


if __name__ == "__main__":
    main()
