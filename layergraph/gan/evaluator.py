"""Score generated images against real ones in the feature space of a classifier trained on the real data.

The real images are split once, per class, into a reference half (the classifier learns from it; every set is
compared against it) and a held-out half, which scored the same way gives the real-vs-real ceiling. Generated
sets get as many images per class as the held-out half, so both sides of the comparison have equal sizes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.errors import DataError
from layergraph.gan.features import load_or_train, split_halves, to_input
from layergraph.gan.feed import read_tree
from layergraph.gan.metrics import density_coverage, frechet_distance, precision_recall
from layergraph.safety.limits import MAX_EVAL_PIXELS
from layergraph.sizes import Act

__all__ = ["METRICS", "Evaluator"]

K_PR, K_DC = 3, 5  # the papers' neighbourhood sizes: Kynkäänniemi et al. use k=3, Naeem et al. k=5
CONFIDENT = 0.9  # the class probability from which an image counts as confidently recognised
METRICS = ("recognised", "precision", "recall", "density", "coverage", "frechet")


class Evaluator:
    """Real images of a one-folder-per-class tree, embedded once; `score` compares a set of images with them."""

    def __init__(self, folder: str | Path, image_size: tuple[int, int], channels: int, cache: bool = True) -> None:
        self.folder = Path(folder)
        # capped: the generated set is as large again (held-out half), so this bounds both
        self.classes, images, labels = read_tree(self.folder, tuple(image_size), channels, MAX_EVAL_PIXELS)
        labels = np.asarray(labels, dtype=np.int64) - 1  # 0-based from here on
        if len(self.classes) < 2:
            raise DataError(f"{folder}: evaluation needs labelled images, one folder per class (≥ 2 classes)")
        self.net, self.cached = load_or_train(self.folder, self.classes, images, labels, cache)
        ref, held = split_halves(labels)
        if min(np.bincount(labels[ref])) <= K_DC:
            raise DataError(f"{folder}: evaluation needs at least {2 * (K_DC + 1)} images in every class")
        self.ref_features, _ = self.embed(to_input(images[ref]))
        self.ref_labels = torch.as_tensor(labels[ref])
        self.held_images, self.held_labels = to_input(images[held]), torch.as_tensor(labels[held])
        self.per_class = torch.bincount(self.held_labels, minlength=len(self.classes)).tolist()

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(features, predicted 0-based class) of N×C×H×W images in [-1, 1]."""
        out = [self.net(x[i:i + 512].float().cpu()) for i in range(0, len(x), 512)]
        return torch.cat([f for f, _ in out]), torch.cat([s.argmax(1) for _, s in out])

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """N×K class probabilities (softmax of the classifier's scores) of N×C×H×W images in [-1, 1]."""
        out = [self.net(x[i:i + 512].float().cpu())[1] for i in range(0, len(x), 512)]
        return torch.softmax(torch.cat(out).double(), dim=1)

    def confidently_recognised(self, x: torch.Tensor, threshold: float = CONFIDENT) -> float:
        """The share of images x that the classifier puts in one class with probability ≥ threshold, whichever
        class: for unconditional generators, how many of their images read clearly as some class."""
        return float((self.probabilities(x).max(dim=1).values >= threshold).double().mean())

    def score(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, Any]:
        """Every metric of images x (N×C×H×W in [-1, 1]) against the reference half, overall and per class
        when the images have (0-based) labels. 'recognised' is the share the classifier gives their label."""
        feats, pred = self.embed(x)
        out = _set_scores(self.ref_features, feats, pred, labels)
        out["frechet"] = frechet_distance(self.ref_features, feats)
        if labels is not None:
            labels = torch.as_tensor(labels).long()
            out["classes"] = {name: _set_scores(self.ref_features[self.ref_labels == k], feats[labels == k],
                                                pred[labels == k], labels[labels == k])
                              for k, name in enumerate(self.classes)}
        return out

    def inputs(self, latent: Act, conditional: bool, seed: int) -> tuple[tuple[torch.Tensor, ...], torch.Tensor | None]:
        """Generator inputs for a set shaped like the held-out half (its count per class): noise from `seed`,
        and 1-based labels for a conditional generator; plus the 0-based labels (None when unconditional)."""
        labels = torch.arange(len(self.classes)).repeat_interleave(torch.tensor(self.per_class))
        z = torch.randn(len(labels), *latent.torch_shape(1)[1:], generator=torch.Generator().manual_seed(seed))
        if not conditional:
            return (z,), None
        return (z, (labels + 1).float().reshape(-1, 1)), labels

    def score_generator(self, net: dlnetwork, conditional: bool, seed: int = 0) -> dict[str, Any]:
        """Scores of `net`'s images for the inputs of `inputs` (predict mode, no global RNG used), after the
        8-bit rounding `layergraph generate` applies when it writes PNGs."""
        latent = net.analysis.outputs[net.InputNames[0]]
        args, labels = self.inputs(latent, conditional, seed)
        device = next(iter(net.Learnables.Value)).device
        with torch.no_grad():
            x = net.predict(*(a.to(device) for a in args)).as_subclass(torch.Tensor).float().cpu()
        x = ((x.clamp(-1, 1) + 1) * 127.5 + 0.5).floor().div(127.5).sub(1.0)
        return self.score(x, labels)

    def ceiling(self) -> dict[str, Any]:
        """The same figures for the held-out real half: what a perfect generator would score."""
        return self.score(self.held_images, self.held_labels)


def _set_scores(real: torch.Tensor, fake: torch.Tensor, pred: torch.Tensor,
                labels: torch.Tensor | None) -> dict[str, Any]:
    """recognised, precision, recall, density, coverage of one set (None where a set is too small)."""
    out: dict[str, Any] = {"n": len(fake)}
    out["recognised"] = None if labels is None else float((pred == labels).double().mean())
    enough = min(len(real), len(fake)) > K_DC
    out["precision"], out["recall"] = precision_recall(real, fake, K_PR) if enough else (None, None)
    out["density"], out["coverage"] = density_coverage(real, fake, K_DC) if enough else (None, None)
    return out
