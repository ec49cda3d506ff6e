"""Hand-written torch modules with the same layers and semantics as the shipped specs (the plain-PyTorch
reference the benchmarks compare layergraph's compiled networks against), and a GAN step shared by both.

Same semantics means MATLAB's: 'same' padding puts the odd extra row/column bottom/right (explicit pad),
'same' cropping removes it from the bottom/right (slice), features become images column-major.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def to_image(x: torch.Tensor, c: int, h: int, w: int) -> torch.Tensor:
    """Column-major reshape of N×(h·w·c) features to N×C×H×W (MATLAB's reshape / feature2image)."""
    return x.view(x.shape[0], c, w, h).transpose(-1, -2)


class CropBR(nn.Module):
    """Remove `n` rows and columns at the bottom/right (the uneven half of a 'same' crop)."""

    def __init__(self, n: int = 1) -> None:
        super().__init__()
        self.n = n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., : x.shape[-2] - self.n, : x.shape[-1] - self.n]


class FlowersGenerator(nn.Module):
    """specs/gan_flowers_generator.yaml by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(100, 4 * 4 * 512)
        self.body = nn.Sequential(
            nn.ConvTranspose2d(512, 256, 5), nn.BatchNorm2d(256), nn.ReLU(),
            nn.ConvTranspose2d(256, 128, 5, 2, padding=1), CropBR(), nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 5, 2, padding=1), CropBR(), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 3, 5, 2, padding=1), CropBR(), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(to_image(self.proj(z.flatten(1)), 512, 4, 4))


class FlowersDiscriminator(nn.Module):
    """specs/gan_flowers_discriminator.yaml by hand ('same' 5×5 stride-2 padding: 1 top/left, 2 bottom/right)."""

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int, bn: bool) -> list[nn.Module]:
            return [nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(cin, cout, 5, 2),
                    *([nn.BatchNorm2d(cout)] if bn else []), nn.LeakyReLU(0.2)]

        self.body = nn.Sequential(nn.Dropout(0.5), *block(3, 64, False), *block(64, 128, True),
                                  *block(128, 256, True), *block(256, 512, True), nn.Conv2d(512, 1, 4), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class DigitsGenerator(nn.Module):
    """specs/cgan_digits_generator.yaml by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(32, 2048)
        self.emb = nn.Embedding(10, 16)
        self.emb_fc = nn.Linear(16, 16)
        self.body = nn.Sequential(
            nn.BatchNorm2d(129), nn.ReLU(),
            nn.ConvTranspose2d(129, 64, 4, 2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, 2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 1, 3, padding=1), nn.Tanh())

    def forward(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        label = to_image(self.emb_fc(self.emb(t.reshape(-1).long() - 1)), 1, 4, 4)
        return self.body(torch.cat([to_image(self.fc(z), 128, 4, 4), label], 1))


class DigitsDiscriminator(nn.Module):
    """specs/cgan_digits_discriminator.yaml by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.25)
        self.emb = nn.Embedding(10, 16)
        self.emb_fc = nn.Linear(16, 256)
        self.body = nn.Sequential(
            nn.Conv2d(2, 32, 4, 2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 4, 2, padding=1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 1, 4))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        label = to_image(self.emb_fc(self.emb(t.reshape(-1).long() - 1)), 1, 16, 16)
        return self.body(torch.cat([self.drop(x), label], 1))


# MATLAB layer name (in the spec) → submodule of the hand-written reference
LAYER_MAPS: dict[type, dict[str, str]] = {
    FlowersGenerator: {"proj": "proj", "tconv1": "body.0", "bnorm1": "body.1", "tconv2": "body.3",
                       "bnorm2": "body.5", "tconv3": "body.7", "bnorm3": "body.9", "tconv4": "body.11"},
    FlowersDiscriminator: {"conv_1": "body.2", "conv_2": "body.5", "batchnorm_1": "body.6", "conv_3": "body.9",
                           "batchnorm_2": "body.10", "conv_4": "body.13", "batchnorm_3": "body.14",
                           "conv_5": "body.16"},
    DigitsGenerator: {"fc": "fc", "emb": "emb", "emb_fc": "emb_fc", "bn0": "body.0", "tconv1": "body.2",
                      "bn1": "body.3", "tconv2": "body.5", "bn2": "body.6", "to_image": "body.8"},
    DigitsDiscriminator: {"emb": "emb", "emb_fc": "emb_fc", "conv1": "body.0", "conv2": "body.2", "bn2": "body.3",
                          "conv3": "body.5"},
}
PARAMS = {"Weights": "weight", "Bias": "bias", "Offset": "bias", "Scale": "weight", "TrainedMean": "running_mean",
          "TrainedVariance": "running_var"}


def copy_weights(net: object, ref: nn.Module) -> None:
    """Copy a compiled dlnetwork's parameters and batch-norm state into the reference (both torch layout)."""
    mapping = LAYER_MAPS[type(ref)]
    state = ref.state_dict()
    done = set()
    with torch.no_grad():
        for key, value in net.tensors().items():  # type: ignore[attr-defined]
            layer, param = key.split("/")
            target = state[f"{mapping[layer]}.{PARAMS[param]}"]
            assert target.shape == value.shape, (key, target.shape, value.shape)
            target.copy_(value)
            done.add(f"{mapping[layer]}.{PARAMS[param]}")
    missing = [k for k in state if k not in done and not k.endswith("num_batches_tracked")]
    assert not missing, missing


def gan_step(G: object, D: object, x: torch.Tensor, t: torch.Tensor | None, z: torch.Tensor,
             params_g: list[torch.Tensor], params_d: list[torch.Tensor], probabilities: bool,
             flip: float = 0.3) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """One modelGradients: D on real and generated images, G on noise, flipped real labels, both gradients."""
    cond = (t,) if t is not None else ()
    y_real = D(x, *cond)
    x_gen = G(z, *cond)
    y_gen = D(x_gen, *cond)
    y_real, y_gen = y_real.reshape(len(x), -1), y_gen.reshape(len(x), -1)
    if probabilities:
        lp_r, lq_r = torch.log(y_real.clamp(1e-7, 1 - 1e-7)), torch.log1p(-y_real.clamp(1e-7, 1 - 1e-7))
        lp_g, lq_g = torch.log(y_gen.clamp(1e-7, 1 - 1e-7)), torch.log1p(-y_gen.clamp(1e-7, 1 - 1e-7))
    else:
        lp_r, lq_r, lp_g, lq_g = F.logsigmoid(y_real), F.logsigmoid(-y_real), F.logsigmoid(y_gen), F.logsigmoid(-y_gen)
    mask = torch.zeros(len(x), 1, dtype=torch.bool)
    mask[torch.randperm(len(x))[: math.floor(flip * len(x))]] = True
    loss_d = -torch.where(mask, lq_r, lp_r).mean() - lq_g.mean()
    loss_g = -lp_g.mean()
    grad_g = torch.autograd.grad(loss_g, params_g, retain_graph=True)
    grad_d = torch.autograd.grad(loss_d, params_d)
    return list(grad_g), list(grad_d)
