"""Sequence classification with a custom training loop, the layergraph port of MathWorks' "Train Sequence
Classification Network Using Custom Training Loop", on data that ships with scikit-learn.

Usage:  python examples/sequence_classification.py [--epochs 12] [--hidden 48] [--out DIR]

Each 8×8 handwritten digit (sklearn.datasets.load_digits, 1,797 images, 10 classes) is read top to bottom as a
sequence: one time step per pixel row, its 8 pixels the features. Blank rows above and below the digit are
dropped, so the sequences have different lengths, and each mini-batch is padded on the left with
padsequences, as MATLAB advises for a network that classifies from the last time step (its recurrent layers do
not mask padding). The network is MATLAB's: sequenceInputLayer(8) → lstmLayer(H, OutputMode="last") →
fullyConnectedLayer(10) → softmaxLayer, trained with dlfeval/dlgradient/adamupdate on a minibatchqueue.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

from layergraph import (
    adamupdate,
    arrayDatastore,
    categorical,
    combine,
    crossentropy,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    extractdata,
    forward,
    fullyConnectedLayer,
    lstmLayer,
    minibatchqueue,
    onehotdecode,
    onehotencode,
    padsequences,
    predict,
    sequenceInputLayer,
    softmaxLayer,
)

CLASSES = [str(k) for k in range(10)]


def digit_sequences() -> tuple[list[np.ndarray], np.ndarray]:
    """The digits as 8×T sequences (features × time steps, MATLAB's layout): pixel rows top to bottom, faint rows
    at the top and bottom left out; pixel values scaled from 0…16 to 0…1."""
    digits = load_digits()
    seqs = []
    for img in digits.images / 16.0:
        rows = np.flatnonzero(img.max(1) >= 0.5)  # rows with ink (at least half the darkest value)
        seqs.append(img[rows[0]:rows[-1] + 1].T.astype(np.float32))  # 8 × T
    return seqs, digits.target


def preprocess_minibatch(X: list[np.ndarray], T: list[object]) -> tuple[np.ndarray, np.ndarray]:
    """MATLAB's preprocessMiniBatch: pad the sequences on the left (8×T×N, "CTB") and one-hot the labels."""
    X, _ = padsequences(list(X), 2, Direction="left")
    labels = categorical([str(t) for t in T], CLASSES)
    return X, onehotencode(labels, 2).T  # N×1 labels → N×10 → 10×N ("CB")


def model_loss(net: dlnetwork, X: object, T: object) -> tuple[object, object]:
    Y, _ = forward(net, X)
    loss = crossentropy(Y, T)
    return loss, dlgradient(loss, net.Learnables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--hidden", type=int, default=48)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--out", default=None, help="folder for the trained network's test predictions (optional)")
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    seqs, labels = digit_sequences()
    order = rng.permutation(len(seqs))
    n_test = len(seqs) // 5
    test, train = order[:n_test], order[n_test:]
    lengths = [s.shape[1] for s in seqs]
    print(f"{len(train)} training and {len(test)} test sequences, {min(lengths)} to {max(lengths)} time steps")

    layers = [sequenceInputLayer(8), lstmLayer(args.hidden, OutputMode="last"), fullyConnectedLayer(10),
              softmaxLayer()]
    net = dlnetwork(layers)

    ds = combine(arrayDatastore([seqs[i] for i in train], OutputType="same"),
                 arrayDatastore(labels[train].tolist(), OutputType="same"))
    mbq = minibatchqueue(ds, MiniBatchSize=args.batch, MiniBatchFcn=preprocess_minibatch,
                         MiniBatchFormat=["CTB", "CB"])

    avg_g, avg_sq, iteration, start = [], [], 0, time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        mbq.shuffle()
        while mbq.hasdata():
            X, T = mbq.next()
            iteration += 1
            loss, grad = dlfeval(model_loss, net, X, T)
            net, avg_g, avg_sq = adamupdate(net, grad, avg_g, avg_sq, iteration, 0.01)
        print(f"epoch {epoch}: loss {float(extractdata(loss)):.4f}")

    X, _ = preprocess_minibatch([seqs[i] for i in test], labels[test].tolist())
    Y = predict(net, dlarray(X, "CTB"))
    predicted = onehotdecode(extractdata(Y), CLASSES, 1)
    accuracy = float(np.mean(np.array(predicted.tolist()).reshape(-1) == np.array([str(t) for t in labels[test]])))
    print(f"test accuracy: {accuracy:.3f} ({len(test)} sequences), training time {time.perf_counter() - start:.1f} s")
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "accuracy.txt").write_text(f"{accuracy:.4f}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
