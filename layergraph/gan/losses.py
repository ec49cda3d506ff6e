"""The GAN examples' loss: MATLAB's ganLoss and a logits version of it (MATLAB's own losses are in dlfun)."""
from __future__ import annotations

from typing import Any

import torch
from torch.nn.functional import binary_cross_entropy_with_logits as _bce_logits

from layergraph.dlarray import plain
from layergraph.errors import LayergraphError

__all__ = ["LossError", "ganLoss", "ganLossFromLogits"]


class LossError(LayergraphError, ValueError):
    """A loss function got inputs it cannot compare."""


def _tensor(x: Any) -> torch.Tensor:
    """Plain float32-or-wider view of `x` that keeps autograd history (labels are irrelevant to a scalar loss);
    bf16/fp16 network outputs under mixed precision are widened so the loss is computed in float32."""
    t = plain(x)
    return t.float() if t.dtype in (torch.bfloat16, torch.float16) else t


def ganLoss(probReal: Any, probGenerated: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The examples' `[lossGenerator, lossDiscriminator] = ganLoss(probReal, probGenerated)`.

    lossDiscriminator = -mean(log(probReal)) - mean(log(1 - probGenerated));
    lossGenerator = -mean(log(probGenerated)). The means run over every element: the examples' scores are
    1×1×1×B, for which MATLAB's mean (over the first non-singleton dimension) is the same thing.
    A probability of exactly 0 or 1 gives an infinite loss, as in MATLAB; ganLossFromLogits avoids that.
    """
    p_real = _tensor(probReal)
    p_gen = _tensor(probGenerated)
    loss_generated = -torch.log(1 - p_gen).mean()
    loss_real = -torch.log(p_real).mean()
    loss_discriminator = loss_real + loss_generated
    loss_generator = -torch.log(p_gen).mean()
    return loss_generator, loss_discriminator


def ganLossFromLogits(yReal: Any, yGenerated: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """ganLoss(sigmoid(yReal), sigmoid(yGenerated)) computed stably from the scores before the sigmoid.

    Uses log(sigmoid(y)) = -softplus(-y) and log(1 - sigmoid(y)) = -softplus(y) via
    binary_cross_entropy_with_logits, so very confident scores give finite losses and gradients.
    The examples' label flip `probReal(idx) = 1 - probReal(idx)` becomes `yReal[idx] = -yReal[idx]`,
    because 1 - sigmoid(y) = sigmoid(-y).
    """
    y_real = _tensor(yReal)
    y_gen = _tensor(yGenerated)
    loss_real = _bce_logits(y_real, torch.ones_like(y_real))
    loss_generated = _bce_logits(y_gen, torch.zeros_like(y_gen))
    loss_generator = _bce_logits(y_gen, torch.ones_like(y_gen))
    return loss_generator, loss_real + loss_generated
