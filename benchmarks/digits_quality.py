"""Quality of the `make demo` digits CGAN: does each generated digit show the class it was asked for?

Trains examples/cgan_digits.yaml (as `make demo` does, timing it), generates 100 images per class, and
scores them with a classifier fitted on the real digits (scikit-learn SVC, independent of layergraph).
Prints the share classified as their conditioning label (target ≥ 0.95 within the demo's 3-minute
budget) and a diversity figure: k-NN precision and recall (Kynkäänniemi et al. 2019, k=3) of generated
vs real digits in pixel space, plus the same figures for a held-out half of the real digits as reference.

Usage: python benchmarks/digits_quality.py [--data data/digits] [--checkpoint CKPT] [--out runs/quality]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

ROOT = Path(__file__).resolve().parents[1]


def load_folder(folder: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images (N×256 in [0, 1]) and 0-based labels of a one-folder-per-class digits tree."""
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    xs, ys = [], []
    for k, name in enumerate(classes):
        for f in sorted((folder / name).glob("*.png")):
            xs.append(np.asarray(Image.open(f).convert("L"), dtype=np.float32).reshape(-1) / 255.0)
            ys.append(k)
    return np.stack(xs), np.array(ys), classes


def knn_precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision/recall: share of fake inside the real k-NN balls, and of real inside fake balls."""

    def radii(x: np.ndarray) -> np.ndarray:
        d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
        return np.sort(d, axis=1)[:, k]  # column 0 is the point itself

    def inside(points: np.ndarray, centers: np.ndarray, r: np.ndarray) -> float:
        d = np.sqrt(((points[:, None, :] - centers[None, :, :]) ** 2).sum(-1))
        return float((d <= r[None, :]).any(axis=1).mean())

    return inside(fake, real, radii(real)), inside(real, fake, radii(fake))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT / "data/digits"))
    parser.add_argument("--checkpoint", help="score an existing checkpoint instead of training")
    parser.add_argument("--out", default=str(ROOT / "runs/quality"))
    args = parser.parse_args()
    exe = [sys.executable, "-m", "layergraph"]
    data, out = Path(args.data), Path(args.out)
    if not data.exists():
        subprocess.run([*exe, "data", "digits", str(data)], check=True)
    ckpt = Path(args.checkpoint) if args.checkpoint else out / "checkpoint.safetensors"
    train_s = None
    if not args.checkpoint:
        t0 = time.perf_counter()
        subprocess.run([*exe, "train", str(ROOT / "examples/cgan_digits.yaml"), "--output", str(out),
                        "--data", str(data)], check=True)
        train_s = time.perf_counter() - t0
    gen_dir = out / "generated"
    subprocess.run([*exe, "generate", str(ckpt), "-n", "100", "--seed", "123", "--out", str(gen_dir)], check=True)

    x, y, classes = load_folder(data)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.5, random_state=0, stratify=y)
    clf = SVC(gamma="scale", C=10).fit(x_tr, y_tr)
    real_acc = float((clf.predict(x_te) == y_te).mean())
    xg, yg, gen_classes = load_folder(gen_dir)
    assert gen_classes == classes, (gen_classes, classes)
    pred = clf.predict(xg)
    acc = float((pred == yg).mean())
    per_class = [float((pred[yg == k] == k).mean()) for k in range(len(classes))]
    prec, rec = knn_precision_recall(x_te, xg[np.random.default_rng(0).permutation(len(xg))[: len(x_te)]])
    ref_prec, ref_rec = knn_precision_recall(x_te, x_tr)

    print("\n== digits CGAN quality ==")
    if train_s is not None:
        print(f"training wall time (make demo's train step): {train_s:.0f} s  (budget 180 s)")
    print(f"classifier accuracy on held-out REAL digits:      {real_acc:.3f}")
    print(f"share of GENERATED digits classified as their label: {acc:.3f}  (target ≥ 0.95) "
          f"{'PASS' if acc >= 0.95 else 'MISS'}")
    print("per class: " + "  ".join(f"{c}:{a:.2f}" for c, a in zip(classes, per_class)))
    print(f"k-NN precision / recall (k=3), generated vs real:  {prec:.3f} / {rec:.3f}")
    print(f"k-NN precision / recall, real half vs real half:   {ref_prec:.3f} / {ref_rec:.3f}  (reference)")


if __name__ == "__main__":
    main()
