"""Sample-quality metrics of generated vs real feature vectors: k-NN precision/recall, density/coverage,
Fréchet distance. Rows are samples; every figure is computed in float64."""
from __future__ import annotations

import torch

__all__ = ["density_coverage", "frechet_distance", "knn_radii", "precision_recall"]

_CHUNK = 2048  # query rows per distance block: memory stays O(chunk · n) for large sets


def _as64(x: torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(x).detach().to(torch.float64)
    if x.ndim != 2:
        raise ValueError(f"expected an N×D matrix of feature vectors, got size {tuple(x.shape)}")
    return x


def knn_radii(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each row of x to its k-th nearest other row (the radius of its k-NN ball)."""
    x = _as64(x)
    if not 1 <= k < len(x):
        raise ValueError(f"k = {k} needs at least {k + 1} samples, got {len(x)}")
    # the (k+1)-th smallest distance of a row: the first is the row itself (0)
    return torch.cat([torch.cdist(x[i:i + _CHUNK], x).topk(k + 1, largest=False).values[:, k]
                      for i in range(0, len(x), _CHUNK)])


def _ball_counts(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """For each point, the number of balls B(centre, radius) that contain it (distance ≤ radius)."""
    return torch.cat([(torch.cdist(points[i:i + _CHUNK], centres) <= radii[None, :]).sum(1)
                      for i in range(0, len(points), _CHUNK)])


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019): the share of fake samples inside the union of
    the real samples' k-NN balls, and the share of real samples inside the union of the fake samples' balls."""
    real, fake = _as64(real), _as64(fake)
    precision = (_ball_counts(fake, real, knn_radii(real, k)) > 0).double().mean()
    recall = (_ball_counts(real, fake, knn_radii(fake, k)) > 0).double().mean()
    return float(precision), float(recall)


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020), both around the real samples' k-NN balls: density counts how
    many real balls hold each fake sample (/k, so 1 for fakes distributed like the reals); coverage is the
    share of real balls that hold at least one fake sample."""
    real, fake = _as64(real), _as64(fake)
    radii = knn_radii(real, k)
    density = _ball_counts(fake, real, radii).double().sum() / (k * len(fake))
    covered = torch.cat([(torch.cdist(real[i:i + _CHUNK], fake).min(1).values <= radii[i:i + _CHUNK])
                         for i in range(0, len(real), _CHUNK)])
    return float(density), float(covered.double().mean())


def _sqrt_psd(m: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix (negative round-off eigenvalues → 0)."""
    vals, vecs = torch.linalg.eigh(m)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.T


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two sample sets (the FID formula, Heusel et al. 2017):
    |μa − μb|² + tr(Σa + Σb − 2 (Σa Σb)^½), with unbiased covariances."""
    a, b = _as64(a), _as64(b)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T).reshape(a.shape[1], -1), torch.cov(b.T).reshape(b.shape[1], -1)
    # tr (Σa Σb)^½ = tr (Σa^½ Σb Σa^½)^½, whose argument is symmetric PSD: eigenvalues instead of sqrtm
    root = _sqrt_psd(cov_a)
    middle = root @ cov_b @ root
    tr_cross = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()
    return float((mu_a - mu_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * tr_cross)
