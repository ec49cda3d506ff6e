"""Throughput of the MATLAB-style data pipeline: images/s delivered by minibatchqueue, first epoch vs cached epochs.

The pipeline is the CGAN example's: imageDatastore(IncludeSubfolders, LabelSource="foldernames") →
augmentedImageDatastore([size size], DataAugmentation=imageDataAugmenter(RandXReflection=true),
ColorPreprocessing="gray2rgb") → minibatchqueue(MiniBatchFcn=preprocessData, PartialMiniBatch="discard",
MiniBatchFormat=["SSCB" "BC"], OutputEnvironment="auto"), shuffled every epoch. The first epoch decodes and resizes
every file; later epochs read the cache and only augment. Files were just written, so the first epoch reads them
from the operating system's file cache, not from disk.

Two data sets: the built-in digits (1,797 PNGs, 16×16 grey) and ~1,000 generated 64×64 colour JPEGs.

Last, the training step rate of the MATLAB flowers DCGAN (64×64×3, batch 128) and of the digits CGAN (16×16,
batch 64) — one full modelGradients + two adamupdate steps of `layergraph train` — is measured on the same
machine, and the ratio pipeline/training says how far the pipeline is from being the bottleneck (> 1: never).

Usage: python benchmarks/data_pipeline.py [--epochs 4] [--batches 64 128] [--jpegs 1000]
Other scripts can import `measure_pipeline(folder, size, batch, epochs) -> dict`.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))  # train_speed's trainers

from layergraph.data import (
    augmentedImageDatastore,
    cat,
    imageDataAugmenter,
    imageDatastore,
    minibatchqueue,
    rescale,
    write_digits,
)
from layergraph.precision import resolve_precision


def preprocessData(XCell: list, TCell: list) -> tuple[Any, Any]:
    """The CGAN example's mini-batch function: concatenate, then rescale the images to [-1 1]."""
    X = cat(4, *XCell)
    T = cat(1, *TCell)
    X = rescale(X, -1, 1, InputMin=0, InputMax=255)
    return X, T


def measure_pipeline(folder: str | os.PathLike[str], size: int, batch: int, epochs: int,
                     environment: str = "auto") -> dict[str, Any]:
    """Images/s that minibatchqueue delivers from `folder`, per epoch (epoch 1 decodes, later ones hit the cache)."""
    imds = imageDatastore(folder, IncludeSubfolders=True, LabelSource="foldernames")
    augimds = augmentedImageDatastore([size, size], imds, DataAugmentation=imageDataAugmenter(RandXReflection=True),
                                      ColorPreprocessing="gray2rgb")
    augimds.MiniBatchSize = batch
    mbq = minibatchqueue(augimds, MiniBatchSize=batch, PartialMiniBatch="discard", MiniBatchFcn=preprocessData,
                         MiniBatchFormat=["SSCB", "BC"], OutputEnvironment=environment)
    seconds, counts = [], []
    device = "cpu"
    for _ in range(epochs):
        start = time.perf_counter()
        mbq.shuffle()
        n = 0
        while mbq.hasdata():
            X, _ = mbq.next()
            n += X.shape[0]
            device = str(X.device)
        if device.startswith("cuda"):
            torch.cuda.synchronize()  # count a batch only once it has arrived on the GPU
        seconds.append(time.perf_counter() - start)
        counts.append(n)
    rates = [n / s for n, s in zip(counts, seconds)]
    return {
        "folder": str(folder), "files": len(imds), "size": size, "batch": batch, "epochs": epochs,
        "images_per_epoch": counts[0], "epoch_seconds": seconds, "images_per_s": rates,
        "first_epoch_images_per_s": rates[0],
        "cached_images_per_s": float(np.median(rates[1:])) if len(rates) > 1 else float("nan"),
        "device": device,
    }


def write_jpegs(folder: Path, count: int = 1000, size: int = 64, classes: int = 5, seed: int = 0) -> Path:
    """`count` smooth random colour JPEGs (size×size) in `classes` sub-folders."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for i in range(count):
        d = folder / f"class{i % classes}"
        d.mkdir(parents=True, exist_ok=True)
        a, b, c = rng.random(3) * 6
        base = np.stack([np.sin(a * xx + b * yy + c), np.cos(b * xx - a * yy), np.sin(c * xx * yy + a)], axis=2)
        img = np.clip((base + 1) * 110 + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img, "RGB").save(d / f"img_{i:04d}.jpg", quality=90)
    return folder


def training_rate(pair: str, tmp: Path, steps: int = 3) -> tuple[float, str]:
    """Images/s of `layergraph train`'s fastest training step on this machine (both networks, Adam) on random
    data of the right size: the best of fp32, channels_last and, where the hardware has bf16, bf16 (+ channels_last)."""
    import train_speed as ts

    _, _, _, batch, size, channels, classes = ts.PAIRS[pair]
    data = ts.tiny_folder(tmp / f"rate_{pair}", size, channels, classes)
    variants = ["default", "channels_last"]
    if resolve_precision("auto", "cpu").name == "bf16":
        variants += ["bf16", "bf16_cl"]
    X = torch.rand(batch, channels, size, size) * 2 - 1
    T = torch.randint(1, classes + 1, (batch, 1)).float() if classes > 1 else None
    rates = {}
    for variant in variants:
        trainer = ts.make_trainer(pair, variant, data, tmp / f"rate_{pair}_{variant}")
        times = [ts.run_once(trainer, X, T) for _ in range(steps + 1)]
        rates[variant] = batch / float(np.median(times[1:]))
    best = max(rates, key=rates.__getitem__)
    return rates[best], best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per measurement (first one decodes)")
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--jpegs", type=int, default=1000, help="how many 64×64 JPEGs to generate")
    parser.add_argument("--environment", default="auto", choices=["auto", "cpu", "gpu"])
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"CPU threads: {os.cpu_count()}, torch {torch.__version__}, CUDA: {torch.cuda.is_available()}")
    print(f"{'data':<24} {'batch':>5} {'images':>7} {'epoch 1 (img/s)':>16} {'cached (img/s)':>15}  device")
    cached: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        digits = Path(tmp) / "digits"
        write_digits(digits, size=16)
        jpegs = write_jpegs(Path(tmp) / "jpegs", count=args.jpegs)
        for name, folder, size in (("digits 16×16 grey PNG", digits, 16), ("64×64 colour JPEG", jpegs, 64)):
            for batch in args.batches:
                r = measure_pipeline(folder, size, batch, args.epochs, args.environment)
                print(f"{name:<24} {batch:>5} {r['images_per_epoch']:>7} {r['first_epoch_images_per_s']:>16,.0f} "
                      f"{r['cached_images_per_s']:>15,.0f}  {r['device']}")
                cached[f"{size}/{batch}"] = min(r["first_epoch_images_per_s"], r["cached_images_per_s"])
        print("\nfastest training step on this machine (random data of the right size, Adam on both networks):")
        for what, pair, size, batch in (("flowers DCGAN 64×64×3", "flowers", 64, 128),
                                        ("digits CGAN 16×16×1", "digits", 16, 64)):
            rate, variant = training_rate(pair, Path(tmp))
            feed = cached.get(f"{size}/{batch}", float("nan"))
            print(f"{what:<24} batch {batch:>4}: {rate:8,.0f} images/s trained ({variant}); slowest pipeline epoch "
                  f"delivers {feed:8,.0f} images/s → pipeline/training = {feed / rate:5.1f}× "
                  f"({'≥ 2× headroom' if feed >= 2 * rate else 'LESS THAN 2× HEADROOM'})")


if __name__ == "__main__":
    main()
