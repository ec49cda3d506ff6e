"""The parameterised specs in specs/templates/: the CGAN pair expands to exactly the shipped flat specs and follows
MATLAB's learnable formulas for other numFilters; the pix2pix U-Net and PatchGAN and the CycleGAN ResNet
generator have the learnables of hand-written torch modules of the same architecture (and, with PyTorch's
bias convention, the published parameter counts); a template trains with --set overrides."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from layergraph.analyze import network_report
from layergraph.cli.main import main
from layergraph.gan.config import load_config
from layergraph.gan.trainer import GANTrainer
from layergraph.spec import load_spec
from layergraph.spec.expand import flatten
from layergraph.spec.yamlsafe import read_yaml_file
from layergraph.train.checkpoint import load_checkpoint
from tests.helpers import write_config

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
TEMPLATES = SPECS / "templates"


def learnables(lgraph) -> int:
    return network_report(lgraph)["total_learnables"]


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ----- the CGAN pair: exactly the shipped flat specs ------------------------------------------------------
@pytest.mark.parametrize(("net", "total"), [("generator", 9_245_997), ("discriminator", 4_527_291)])
def test_cgan_template_expands_to_exactly_the_flat_spec(net: str, total: int) -> None:
    template, flat = TEMPLATES / f"cgan_{net}.yaml", SPECS / f"cgan_flowers_{net}.yaml"
    expanded = json.loads(json.dumps(flatten(read_yaml_file(template), str(template))))
    assert expanded == yaml.safe_load(flat.read_text())  # same entries, names, options and connections
    a, b = load_spec(template), load_spec(flat)
    assert a == b
    ra, rb = network_report(a), network_report(b)
    assert ra["layers"] == rb["layers"] and ra["issues"] == rb["issues"] == []
    assert ra["total_learnables"] == total


def matlab_generator_learnables(nf: int, latent: int = 100, proj: tuple = (4, 4, 1024), emb: int = 50,
                                classes: int = 5, fs: int = 5) -> int:
    """The CGAN generator's learnables from MATLAB's layer formulas (weights + biases, offsets + scales)."""
    h, w, c = proj
    fc = latent * h * w * c + h * w * c
    label = emb * classes + (emb * h * w + h * w)                    # embedding, fc_1
    chans = [c + 1, 4 * nf, 2 * nf, nf]                              # + the label channel at 'cat'
    tconv = sum(fs * fs * cout * cin + cout for cin, cout in zip(chans, chans[1:]))
    bn = sum(2 * n for n in chans[1:])
    last = fs * fs * 3 * nf + 3
    return fc + label + tconv + bn + last


def matlab_discriminator_learnables(nf: int, size: tuple = (64, 64, 3), emb: int = 50, classes: int = 5,
                                    fs: int = 5) -> int:
    chans = [size[2] + 1, nf, 2 * nf, 4 * nf, 8 * nf]
    conv = sum(fs * fs * cin * cout + cout for cin, cout in zip(chans, chans[1:]))
    bn = sum(2 * n for n in chans[2:])
    last = 4 * 4 * 8 * nf + 1
    label = emb * classes + emb * size[0] * size[1] + size[0] * size[1]
    return conv + bn + last + label


@pytest.mark.parametrize("nf", [64, 32, 16])
def test_cgan_numfilters_follows_matlab_formulas(nf: int) -> None:
    assert learnables(load_spec(TEMPLATES / "cgan_generator.yaml", numFilters=nf)) == matlab_generator_learnables(nf)
    assert learnables(load_spec(TEMPLATES / "cgan_discriminator.yaml", numFilters=nf)) == \
        matlab_discriminator_learnables(nf)
    if nf == 32:
        assert matlab_generator_learnables(32) == 5_194_925
        assert matlab_discriminator_learnables(32) == 1_293_019


def test_cgan_numfilters_32_on_the_command_line(capsys: pytest.CaptureFixture) -> None:
    assert main(["analyze", str(TEMPLATES / "cgan_generator.yaml"), "--set", "numFilters=32", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {r["name"]: r for r in report["layers"]}
    assert rows["transposed-conv_1"]["learnables"] == {"Weights": "5×5×128×1025", "Bias": "1×1×128"}
    assert rows["transposed-conv_4"]["learnables"]["Weights"] == "5×5×3×32"
    assert report["total_learnables"] == matlab_generator_learnables(32)


# ----- pix2pix: hand-written torch modules in the PyTorch pix2pix code's form ---------------------------------
class UnetBlock(nn.Module):
    """One level of the U-Net, written recursively as the PyTorch pix2pix code writes it."""

    def __init__(self, outer: int, inner: int, sub: nn.Module | None = None, in_ch: int | None = None,
                 outermost: bool = False, dropout: bool = False, bias: bool = True) -> None:
        super().__init__()
        down = nn.Conv2d(in_ch or outer, inner, 4, 2, 1, bias=bias)
        if outermost:
            layers = [down, sub, nn.ReLU(), nn.ConvTranspose2d(2 * inner, outer, 4, 2, 1), nn.Tanh()]
        elif sub is None:  # innermost
            layers = [nn.LeakyReLU(0.2), down, nn.ReLU(), nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=bias),
                      nn.BatchNorm2d(outer)]
        else:
            layers = [nn.LeakyReLU(0.2), down, nn.BatchNorm2d(inner), sub, nn.ReLU(),
                      nn.ConvTranspose2d(2 * inner, outer, 4, 2, 1, bias=bias), nn.BatchNorm2d(outer)]
            layers += [nn.Dropout(0.5)] if dropout else []
        self.model = nn.Sequential(*layers)


def unet(depth: int, ngf: int = 64, bias: bool = True) -> nn.Module:
    """bias=False is the PyTorch code's choice (no bias before batch norm); MATLAB's layers always have one."""
    filters = [ngf * min(2 ** k, 8) for k in range(depth)]  # filters[k-1] is encoder stage k's
    block = UnetBlock(filters[depth - 2], filters[depth - 1], bias=bias)
    for k in range(depth - 1, 1, -1):
        block = UnetBlock(filters[k - 2], filters[k - 1], block, dropout=5 <= k <= depth - 1, bias=bias)
    return UnetBlock(3, ngf, block, in_ch=3, outermost=True, bias=bias)


@pytest.mark.parametrize("depth", [4, 5, 6, 7, 8])
def test_unet_learnables_match_a_torch_module(depth: int) -> None:
    lgraph = load_spec(TEMPLATES / "pix2pix_unet_generator.yaml", depth=depth)
    report = network_report(lgraph)
    assert report["issues"] == [] and report["layers"][-1]["activations"] == "256×256×3"
    with torch.device("meta"):
        assert report["total_learnables"] == numel(unet(depth))
    dropouts = [n for n in (layer.Name for layer in lgraph.Layers) if n.endswith("_dropout")]
    assert dropouts == [f"up{k}_dropout" for k in range(depth - 1, 4, -1)]


def test_unet_256_architecture_is_the_published_pix2pix_generator() -> None:
    with torch.device("meta"):
        pytorch_count = numel(unet(8, bias=False))
    assert f"{pytorch_count / 1e6:.3f} M" == "54.414 M"  # the PyTorch pix2pix code prints this for unet_256
    # MATLAB's convolutions keep their biases: 8 encoder convolutions, 7 inner transposed convolutions
    biases = sum(64 * min(2 ** k, 8) for k in range(8)) + sum(64 * min(2 ** k, 8) for k in range(7))
    assert learnables(load_spec(TEMPLATES / "pix2pix_unet_generator.yaml")) == pytorch_count + biases == 54_419_459


def patchgan(n_layers: int, ndf: int = 64, in_ch: int = 6, bias: bool = True) -> nn.Module:
    layers: list[nn.Module] = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
    mult = 1
    for n in range(1, n_layers + 1):
        prev, mult = mult, min(2 ** n, 8)
        layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2 if n < n_layers else 1, 1, bias=bias),
                   nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Conv2d(ndf * mult, 1, 4, 1, 1))


@pytest.mark.parametrize("n_layers", [1, 2, 3, 4])
def test_patchgan_learnables_match_a_torch_module(n_layers: int) -> None:
    report = network_report(load_spec(TEMPLATES / "pix2pix_patchgan_discriminator.yaml", numLayers=n_layers))
    assert report["issues"] == []
    assert report["total_learnables"] == numel(patchgan(n_layers))
    side = 256 // 2 ** n_layers - 2  # stride-2 4×4 convolutions halve; the two stride-1 ones take 1 each
    assert report["layers"][-1]["activations"] == f"{side}×{side}×1"  # 30×30 for the 70×70 PatchGAN
    if n_layers == 3:
        assert f"{numel(patchgan(3, bias=False)) / 1e6:.3f} M" == "2.769 M"  # the PyTorch code's basic D


# ----- CycleGAN ResNet generator ----------------------------------------------------------------------------
def instance_norm(c: int) -> nn.Module:
    return nn.InstanceNorm2d(c, affine=True)  # CycleGAN's norm='instance' with a learnable scale and offset


def resnet_generator(blocks: int, ngf: int = 64, norm: Callable[[int], nn.Module] = instance_norm,
                     cin: int = 3) -> nn.Module:
    """CycleGAN's ResnetGenerator: reflection padding for the stride-1 convolutions (ReflectionPad2d then an
    unpadded Conv2d in CycleGAN's code; Conv2d's padding_mode 'reflect' is the same), zeros for stride 2."""
    def cnr(cin: int, cout: int, k: int, stride: int = 1) -> list[nn.Module]:
        mode = "reflect" if stride == 1 else "zeros"
        return [nn.Conv2d(cin, cout, k, stride, k // 2, padding_mode=mode), norm(cout), nn.ReLU()]

    class Residual(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.f = nn.Sequential(*cnr(c, c, 3)[:3], nn.Conv2d(c, c, 3, 1, 1, padding_mode="reflect"), norm(c))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.f(x)

    layers = cnr(cin, ngf, 7) + cnr(ngf, 2 * ngf, 3, 2) + cnr(2 * ngf, 4 * ngf, 3, 2)
    layers += [Residual(4 * ngf) for _ in range(blocks)]
    for c in (4 * ngf, 2 * ngf):
        layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1), norm(c // 2), nn.ReLU()]
    return nn.Sequential(*layers, nn.Conv2d(ngf, 3, 7, 1, 3), nn.Tanh())


@pytest.mark.parametrize("blocks", [6, 9])
def test_cyclegan_resnet_learnables_match_a_torch_module(blocks: int) -> None:
    lgraph = load_spec(TEMPLATES / "cyclegan_resnet_generator.yaml", numResidualBlocks=blocks)
    report = network_report(lgraph)
    assert report["issues"] == [] and report["layers"][-1]["activations"] == "256×256×3"
    assert report["total_learnables"] == numel(resnet_generator(blocks))
    assert sum(layer.type == "additionLayer" for layer in lgraph.Layers) == blocks
    if blocks == 9:  # "Total number of parameters: 11388675": the CycleGAN code's ResnetGenerator printed with
        # affine instance normalization (junyanz/pytorch-CycleGAN-and-pix2pix issue #45), the same learnables
        assert report["total_learnables"] == 11_388_675


def test_cyclegan_resnet_encoder_and_residual_blocks_pad_by_reflection_as_cyclegan() -> None:
    """With the same weights, the template's network up to its last residual block gives the numbers of
    CycleGAN's module (reflection-padded 7×7 and residual convolutions); with paddingValue 0 it does not."""
    from layergraph.compile.dlnetwork import dlnetwork

    torch.manual_seed(0)
    module = resnet_generator(2, ngf=4).eval()
    encoder = nn.Sequential(*list(module)[:11])  # 3 conv-norm-ReLU blocks, 2 residual blocks
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        want = encoder(x).numpy()
    for value, same in (("symmetric-exclude-edge", True), (0, False)):
        net = dlnetwork(load_spec(TEMPLATES / "cyclegan_resnet_generator.yaml", numFilters=4, numResidualBlocks=2,
                                  inputSize=[16, 16, 3], paddingValue=value))
        # every layer here has two learnables; torch's order within a layer is weight, bias
        rank = {"Weights": 0, "Scale": 0, "Bias": 1, "Offset": 1}
        keys = sorted(net.tensors(), key=lambda k: (list(net.tensors()).index(k) // 2, rank[k.split("/")[1]]))
        learnables = [net.tensors()[k] for k in keys]
        with torch.no_grad():
            for t, p in zip(learnables, encoder.parameters()):  # both in layer order, torch layout
                assert t.shape == p.shape
                t.copy_(p)
        with torch.no_grad():
            got = net.predict(x, Outputs=["res2_add"]).as_subclass(torch.Tensor).numpy()
        assert np.allclose(got, want, rtol=1e-4, atol=1e-5) == same


# ----- training a template with overrides -----------------------------------------------------------------------
def template_generator(tmp: Path) -> Path:
    """The digits CGAN generator with its filter counts as one parameter."""
    text = (SPECS / "cgan_digits_generator.yaml").read_text()
    text = text.replace("NumFilters: 64", 'NumFilters: "${2*numFilters}"').replace(
        "NumFilters: 32", 'NumFilters: "${numFilters}"')
    path = tmp / "gen_template.yaml"
    path.write_text("params:\n  numFilters: 32\n" + text)
    return path


def test_training_a_template_stores_the_expanded_spec(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    gen = template_generator(tmp_path)
    config = write_config(tmp_path, generator=str(gen), maxIterations=2, numEpochs=1)
    assert main(["train", str(config), "--set", "generator.numFilters=4"]) == 0
    ckpt = tmp_path / "run" / "checkpoint.safetensors"
    tensors, meta = load_checkpoint(ckpt)
    assert meta["generator_spec"].startswith(f"# expanded from {gen} with numFilters=4")
    assert "${" not in meta["generator_spec"]
    assert tensors["generator/tconv1/Weights"].shape[:2] == (129, 8)  # torch layout: in, out, h, w
    assert tensors["generator/tconv2/Weights"].shape[:2] == (8, 4)
    assert meta["discriminator_spec"] == (SPECS / "cgan_digits_discriminator.yaml").read_text()  # flat: as is
    assert main(["generate", str(ckpt), "-n", "1", "--out", str(tmp_path / "g.png")]) == 0
    capsys.readouterr()
    assert main(["plot", str(ckpt), "--format", "mermaid", "--set", "numFilters=8"]) == 2
    assert "--set changes the parameters of a YAML spec; this is not one" in capsys.readouterr().err
    # resuming with other parameters is another network: refused
    assert main(["train", str(config), "--resume", "--set", "generator.numFilters=8"]) == 2
    assert "trained with a different generator spec" in capsys.readouterr().err
    # the config file can hold them too: the same values give the same stored spec, so --resume would take it
    config2 = write_config(tmp_path, generator=str(gen), generatorParams={"numFilters": 4})
    assert GANTrainer(load_config(config2)).spec_text["generator"] == meta["generator_spec"]
    assert main(["train", str(config2), "--set", "numFilters=4"]) == 2  # a bare name: which network?
    assert "write generator.NAME=VALUE or discriminator.NAME=VALUE" in capsys.readouterr().err


# ----- small versions of the templates through ONNX and back ---------------------------------------------------
SMALL = {
    "cgan_generator": {"numFilters": 8, "projectionSize": [4, 4, 16], "numLatentInputs": 8},
    "cgan_discriminator": {"numFilters": 4},
    "pix2pix_unet_generator": {"depth": 4, "numFilters": 4, "inputSize": [32, 32, 3]},
    "pix2pix_patchgan_discriminator": {"numFilters": 4, "inputSize": [64, 64, 3]},
    "cyclegan_resnet_generator": {"numFilters": 4, "numResidualBlocks": 2, "inputSize": [32, 32, 3]},
}


@pytest.mark.parametrize("name", list(SMALL))
def test_small_templates_export_to_onnx_and_import_back(name: str) -> None:
    """The full-size networks are large for CI; the same specs with small parameters go through ONNX."""
    from layergraph.compile.dlnetwork import dlnetwork
    from layergraph.interop.onnx_export import onnx_model
    from layergraph.interop.onnx_import import importONNXNetwork
    from tests.helpers import inputs, predict, randomized, run_ort, structure

    torch.manual_seed(0)
    net = randomized(dlnetwork(load_spec(TEMPLATES / f"{name}.yaml", **SMALL[name])))
    model = onnx_model(net)
    xs = inputs(net, 2)
    for got, want in zip(run_ort(model, net.InputNames, xs), predict(net, xs)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    lgraph, _ = importONNXNetwork(model)
    assert structure(lgraph) == structure(net.layer_graph)
