"""Gradient treatment in MATLAB's order: L2 regularization, then gradient thresholding, then the solver step."""
from __future__ import annotations

import math

import torch

__all__ = ["regularize", "threshold"]


def regularize(grads: list[torch.Tensor], params: list[torch.Tensor], factors: list[float]) -> None:
    """g += λ·L2Factor·W for each learnable (the gradient of ½·λ·factor·‖W‖²), in place."""
    pick = [i for i, f in enumerate(factors) if f]
    if pick:
        scaled = torch._foreach_mul([params[i].detach() for i in pick], [factors[i] for i in pick])
        torch._foreach_add_([grads[i] for i in pick], scaled)


def threshold(grads: list[torch.Tensor], limit: float, method: str) -> None:
    """MATLAB's gradient clipping, in place: each learnable's L2 norm ('l2norm'), all of them together
    ('global-l2norm'), or each element ('absolute-value')."""
    if math.isinf(limit):
        return
    if method == "absolute-value":
        for g in grads:
            g.clamp_(-limit, limit)
        return
    if method == "global-l2norm":
        norm = torch.sqrt(sum(g.double().square().sum() for g in grads))
        if norm > limit:
            torch._foreach_mul_(grads, float(limit / norm))
        return
    for g in grads:
        norm = g.double().square().sum().sqrt()
        if norm > limit:
            g.mul_(float(limit / norm))


