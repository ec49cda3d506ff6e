"""The diffusion example's noise predictor (examples/diffusion_digits.py, createDiffusionNetwork) written directly
in PyTorch, with no layergraph code: nn.Conv2d, nn.GroupNorm, SiLU, nn.ConvTranspose2d, softmax attention,
nn.Linear and the sinusoidal step encoding from its formula. `copy_weights` fills it from the example's
dlnetwork by layer name (MATLAB layouts converted here by hand). Imported by tests/test_diffusion_example.py
(the oracle) and benchmarks/diffusion_reference.py.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

GROUPS = 4
MULTIPLIERS = [1, 2, 2, 2, 1]  # residual blocks 1 (16×16), 2–4 (8×8), 5 (16×16)
# the residual blocks' input channels (÷ c): block 4 takes the concatenation of the bridge and block 2
IN_MULTIPLIERS = [1, 2, 2, 4, 2]


def step_encoding(t: torch.Tensor, d: int) -> torch.Tensor:
    """The noise steps t (B) as B×d: channels 2k and 2k+1 (0-based) are sin and cos of t·10000^(−2k/d)."""
    k = torch.arange(d // 2, dtype=torch.float64)
    angle = t.double().reshape(-1, 1) * 10000.0 ** (-2.0 * k / d)
    out = torch.empty(len(t), d, dtype=torch.float64)
    out[:, 0::2], out[:, 1::2] = angle.sin(), angle.cos()
    return out.float()


class Residual(nn.Module):
    """norm → swish → conv → + embedding → norm → swish → conv, plus a 1×1 convolution of the first norm."""

    def __init__(self, cin: int, cout: int, emb: int) -> None:
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(GROUPS, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2, self.conv2 = nn.GroupNorm(GROUPS, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1)
        self.emb_norm, self.emb_fc = nn.GroupNorm(GROUPS, emb), nn.Linear(emb, cout)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        y = self.conv1(F.silu(h)) + self.emb_fc(self.emb_norm(emb))[:, :, None, None]
        return self.conv2(F.silu(self.norm2(y))) + self.skip(h)


class Attention(nn.Module):
    """norm → one-head softmax attention over the H·W positions → + the norm's output."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(GROUPS, c)
        self.q, self.k, self.v, self.o = (nn.Linear(c, c) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(x)
        s = h.flatten(2).transpose(1, 2)  # B×(H·W)×C; the order of positions does not change self-attention
        q, k, v = self.q(s), self.k(s), self.v(s)
        w = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]), dim=-1)
        y = self.o(w @ v).transpose(1, 2).reshape(h.shape)
        return y + h


class DiffusionUNet(nn.Module):
    """createDiffusionNetwork(1, c) for 16×16 images, written in torch."""

    def __init__(self, c: int = 32, image_channels: int = 1) -> None:
        super().__init__()
        self.c, e = c, 4 * c
        self.fc1, self.fc2 = nn.Linear(c, e), nn.Linear(e, e)
        self.conv_in = nn.Conv2d(image_channels, c, 3, padding=1)
        self.res = nn.ModuleList(Residual(i * c, o * c, e) for i, o in zip(IN_MULTIPLIERS, MULTIPLIERS))
        self.down = nn.Conv2d(c, 2 * c, 3, stride=2)
        self.attn = nn.ModuleList([Attention(2 * c), Attention(2 * c)])
        self.up = nn.ConvTranspose2d(2 * c, c, 3, stride=2)
        self.norm_out, self.conv_out = nn.GroupNorm(GROUPS, 2 * c), nn.Conv2d(2 * c, image_channels, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Predicted noise of N×C×16×16 images x at (1-based) noise steps t (N)."""
        emb = self.fc2(F.silu(self.fc1(step_encoding(t, self.c))))
        x0 = self.conv_in(x)
        h1 = self.res[0](x0, emb)
        # MATLAB's "same" padding for a stride-2 3×3 filter on 16: one row/column, at the bottom/right
        h2 = self.res[1](self.down(F.pad(h1, (0, 1, 0, 1))), emb)
        h = self.attn[1](self.res[2](self.attn[0](h2), emb))
        h = self.res[3](torch.cat([h, h2], 1), emb)
        # MATLAB's "same" cropping of a stride-2 3×3 transposed convolution: 17 → 16, the last row/column cut
        h = self.up(h)[:, :, :-1, :-1]
        h = self.res[4](torch.cat([h, h1], 1), emb)
        return self.conv_out(F.silu(self.norm_out(torch.cat([h, x0], 1))))


def parameters_by_name(m: DiffusionUNet) -> dict[tuple[str, str], tuple[nn.Parameter, str]]:
    """(layer name in the example's dlnetwork, MATLAB parameter) → (the torch parameter, its kind)."""
    table: dict[tuple[str, str], tuple[nn.Parameter, str]] = {}

    def add(layer: str, module: nn.Module, kind: str) -> None:
        if kind == "norm":
            table[(layer, "Scale")], table[(layer, "Offset")] = (module.weight, "vector"), (module.bias, "vector")
            return
        table[(layer, "Weights")], table[(layer, "Bias")] = (module.weight, kind), (module.bias, "vector")

    add("conv_in", m.conv_in, "conv")
    add("fc", m.fc1, "fc")
    add("noiseEmbed", m.fc2, "fc")
    add("downsample_1", m.down, "conv")
    add("upsample_4", m.up, "tconv")
    add("groupnorm_6", m.norm_out, "norm")
    add("conv_11", m.conv_out, "conv")
    for i, r in enumerate(m.res, start=1):
        add(f"norm1Res_{i}", r.norm1, "norm")
        add(f"conv_{2 * i - 1}", r.conv1, "conv")
        add(f"groupnorm_{i}", r.norm2, "norm")
        add(f"conv_{2 * i}", r.conv2, "conv")
        add(f"skipConvRes_{i}", r.skip, "conv")
        add(f"normEmbed_{i}", r.emb_norm, "norm")
        add(f"fcEmbed_{i}", r.emb_fc, "fc")
    for i, a in enumerate(m.attn, start=1):
        add(f"normAttn_{i + 1}", a.norm, "norm")
        for key, lin in (("Query", a.q), ("Key", a.k), ("Value", a.v), ("Output", a.o)):
            table[(f"selfattention_{i}", f"{key}Weights")] = (lin.weight, "fc")
            table[(f"selfattention_{i}", f"{key}Bias")] = (lin.bias, "vector")
    return table


def to_torch(value: np.ndarray, kind: str) -> torch.Tensor:
    """A MATLAB-layout array as the torch parameter: convolution H×W×C×F → F×C×H×W, transposed convolution
    H×W×F×C → C×F×H×W (torch: in, out), fully connected out×in unchanged, vectors flattened."""
    t = torch.as_tensor(np.asarray(value, dtype=np.float32))
    if kind in ("conv", "tconv"):
        return t.permute(3, 2, 0, 1)
    return t.reshape(-1) if kind == "vector" else t


def copy_weights(net: Any, m: DiffusionUNet) -> None:
    """Every learnable of the example's dlnetwork into `m`; fails if one is left over on either side."""
    table = parameters_by_name(m)
    names = set(zip(net.Learnables.Layer, net.Learnables.Parameter))
    if names != set(table):
        raise KeyError(f"not matched: {sorted(names ^ set(table))}")
    with torch.no_grad():
        for (layer, param), (p, kind) in table.items():
            p.copy_(to_torch(net.getLearnable(layer, param), kind).reshape(p.shape))


def mse(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MATLAB's mse: half the sum of squared differences over the number of observations (N of N×C×H×W)."""
    return 0.5 * (y - target).square().sum() / y.shape[0]
