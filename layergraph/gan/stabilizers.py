"""GAN stabilizers from the literature, each off unless the training config turns it on (MATLAB's examples use
none of them): DiffAugment (Zhao et al. 2020), the R1 gradient penalty (Mescheder et al. 2018), the hinge loss
(Lim & Ye 2017; Miyato et al. 2018). Minibatch standard deviation (Karras et al. 2018) changes the
discriminator's layers, so it is a registered function for specs: functionLayer PredictFcn minibatchStdDev.

Each formula takes its random draws as arguments, so a test can hand the same draws to a reference."""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["POLICIES", "DiffAugment", "color", "cutout", "hinge_losses", "r1_penalty", "translate"]

POLICIES = ("color", "translation", "cutout")  # applied in this order, as the paper's code does
TRANSLATION_RATIO = 1 / 8  # shifts of up to 1/8 of the image side, zero-filled
CUTOUT_RATIO = 1 / 2  # a square of half the image side set to zero


def color(x: torch.Tensor, brightness: torch.Tensor, saturation: torch.Tensor, contrast: torch.Tensor) -> torch.Tensor:
    """DiffAugment's colour transform of N×C×H×W images, one factor of each per image: add brightness
    (U[−½, ½)), scale the deviation from the channel mean by saturation (U[0, 2)), then the deviation from the
    image mean by contrast (U[½, 3/2))."""
    x = x + brightness.reshape(-1, 1, 1, 1)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * saturation.reshape(-1, 1, 1, 1) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * contrast.reshape(-1, 1, 1, 1) + mean


def translate(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Move image b down by shift[b, 0] and right by shift[b, 1] pixels (integers), filling with zeros:
    out[b, :, i, j] = x[b, :, i − shift[b, 0], j − shift[b, 1]]."""
    b, c, h, w = x.shape
    s = int(shift.abs().max()) if shift.numel() else 0
    padded = F.pad(x, (s, s, s, s))
    rows = (torch.arange(h, device=x.device)[None, :] - shift[:, :1] + s)  # B×H source rows in the padded image
    cols = (torch.arange(w, device=x.device)[None, :] - shift[:, 1:] + s)
    padded = padded.gather(2, rows[:, None, :, None].expand(b, c, h, w + 2 * s))
    return padded.gather(3, cols[:, None, None, :].expand(b, c, h, w))


def cutout(x: torch.Tensor, centre: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Zero a size[0]×size[1] box per image whose rows start at centre[b, 0] − size[0]//2 (columns likewise),
    clipped to the image."""
    h, w = x.shape[2:]
    top, left = centre[:, :1] - size[0] // 2, centre[:, 1:] - size[1] // 2  # B×1
    r = torch.arange(h, device=x.device)[None, :]
    c = torch.arange(w, device=x.device)[None, :]
    in_rows = (r >= top) & (r < top + size[0])  # B×H
    in_cols = (c >= left) & (c < left + size[1])  # B×W
    keep = ~(in_rows[:, :, None] & in_cols[:, None, :])
    return x * keep[:, None].to(x.dtype)


class DiffAugment:
    """Differentiable augmentation of every image the discriminator sees, real and generated, with fresh draws
    per call from its own generator (whose state goes into checkpoints)."""

    def __init__(self, policy: list[str], seed: int) -> None:
        unknown = set(policy) - set(POLICIES)
        if unknown:
            raise ValueError(f"unknown DiffAugment policy {sorted(unknown)}; choose from {list(POLICIES)}")
        self.policy = [p for p in POLICIES if p in policy]
        self.rng = torch.Generator().manual_seed(seed)

    def draw(self, n: int, h: int, w: int) -> dict[str, torch.Tensor]:
        """Random parameters for n images of h×w (on the CPU, so every device draws the same)."""
        g, out = self.rng, {}
        if "color" in self.policy:
            out["brightness"] = torch.rand(n, generator=g) - 0.5
            out["saturation"] = torch.rand(n, generator=g) * 2
            out["contrast"] = torch.rand(n, generator=g) + 0.5
        if "translation" in self.policy:
            sh, sw = int(h * TRANSLATION_RATIO + 0.5), int(w * TRANSLATION_RATIO + 0.5)
            out["shift"] = torch.stack([torch.randint(-sh, sh + 1, (n,), generator=g),
                                        torch.randint(-sw, sw + 1, (n,), generator=g)], 1)
        if "cutout" in self.policy:
            ch, cw = int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)
            out["centre"] = torch.stack([torch.randint(0, h + 1 - ch % 2, (n,), generator=g),
                                         torch.randint(0, w + 1 - cw % 2, (n,), generator=g)], 1)
        return out

    @staticmethod
    def apply(x: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
        """The transforms of `draw`'s parameters p, in POLICIES order."""
        p = {k: v.to(x.device) for k, v in p.items()}
        if "brightness" in p:
            x = color(x, p["brightness"].to(x.dtype), p["saturation"].to(x.dtype), p["contrast"].to(x.dtype))
        if "shift" in p:
            x = translate(x, p["shift"])
        if "centre" in p:
            h, w = x.shape[2:]
            x = cutout(x, p["centre"], (int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)))
        return x

    def __call__(self, x: torch.Tensor, rank: int = 0, world: int = 1) -> torch.Tensor:
        """Augment this rank's slice of a global batch: the draws are made for all `world` slices, so N
        processes augment exactly as one process would."""
        b = x.shape[0]
        p = self.draw(b * world, x.shape[2], x.shape[3])
        return self.apply(x, {k: v[rank * b:(rank + 1) * b] for k, v in p.items()})


def r1_penalty(grad_real: torch.Tensor, gamma: float) -> torch.Tensor:
    """R1 = γ/2 · E‖∇ₓD(x)‖² over real images x, from the gradient of D's logits w.r.t. its image input."""
    return 0.5 * gamma * grad_real.square().reshape(grad_real.shape[0], -1).sum(1).mean()


def hinge_losses(logit_real: torch.Tensor, logit_gen: torch.Tensor, flip: torch.Tensor | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss_G, loss_D) of the hinge loss: D minimises E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))], G
    minimises −E[D(G(z))]. Flipped real images count as generated ones, as the examples' label flip does."""
    real_term = F.relu(1 - logit_real)
    if flip is not None:
        real_term = torch.where(flip, F.relu(1 + logit_real), real_term)
    return -logit_gen.mean(), real_term.mean() + F.relu(1 + logit_gen).mean()
