"""Helpers the test files share: a tiny digits folder and GAN training configs, a checkpoint's weights, and
running networks next to their ONNX export. Imported as `from tests.helpers import ...`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from layergraph.compile import dlnetwork
from layergraph.train.checkpoint import AVERAGE, load_checkpoint

ROOT = Path(__file__).resolve().parents[1]


# ----- GAN training ------------------------------------------------------------------------------------------
def write_digits(folder: Path, per_class: int = 12, classes: int = 3) -> None:
    """Tiny 16×16 grey 'digits': class k is a bright bar at a class-specific position plus noise."""
    rng = np.random.default_rng(0)
    for k in range(classes):
        (folder / str(k)).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            img = rng.integers(0, 40, (16, 16)).astype(np.uint8)
            img[:, 3 + 4 * k: 6 + 4 * k] = 220
            Image.fromarray(img).save(folder / str(k) / f"img_{i:03d}.png")


def write_config(tmp: Path, **extra: object) -> Path:
    """A training config for the digits CGAN on `tmp`/digits (written when missing); `extra` overrides options."""
    data = tmp / "digits"
    if not data.exists():
        write_digits(data)
    opts = {
        "generator": str(ROOT / "specs/cgan_digits_generator.yaml"),
        "discriminator": str(ROOT / "specs/cgan_digits_discriminator.yaml"),
        "data": str(data), "output": str(tmp / "run"), "imageSize": [16, 16], "numEpochs": 2,
        "miniBatchSize": 8, "validationFrequency": 3, "checkpointFrequency": 4, "flipFactor": 0.25,
        "seed": 3, "augmentation": {"RandXReflection": True},
        # numbers compared against references or other runs need the same precision on every CPU (issue 18)
        "precision": "fp32",
    }
    opts.update(extra)
    opts = {k: v for k, v in opts.items() if v is not None}  # None leaves an option out (its default applies)
    lines = [f"{k}: {v!r}" if not isinstance(v, (dict, list)) else f"{k}: {v}" for k, v in opts.items()]
    path = tmp / "train.yaml"
    path.write_text("\n".join(lines).replace("'", '"') + "\n")
    return path


def weights(path: Path) -> dict[str, torch.Tensor]:
    """A checkpoint's network weights and solver states (what two equal runs must share)."""
    tensors, _ = load_checkpoint(path)
    return {k: v for k, v in tensors.items() if k.startswith(("generator/", "discriminator/", "opt/", AVERAGE))}


# a GAN small enough that emulated bf16 (CPUs without bf16 arithmetic) stays fast: convolutions, batch norm
TINY_G = """layers:
  - {type: imageInputLayer, Name: z, InputSize: [1, 1, 8], Normalization: none}
  - {type: projectAndReshapeLayer, Name: proj, OutputSize: [4, 4, 8], NumChannels: 8}
  - {type: transposedConv2dLayer, Name: up1, FilterSize: 4, NumFilters: 8, Stride: 2, Cropping: same}
  - {type: batchNormalizationLayer, Name: bn1}
  - {type: reluLayer, Name: relu1}
  - {type: transposedConv2dLayer, Name: up2, FilterSize: 4, NumFilters: 1, Stride: 2, Cropping: same}
  - {type: tanhLayer, Name: tanh}
"""
TINY_D = """layers:
  - {type: imageInputLayer, Name: x, InputSize: [16, 16, 1], Normalization: none}
  - {type: convolution2dLayer, Name: conv1, FilterSize: 4, NumFilters: 8, Stride: 2, Padding: same}
  - {type: batchNormalizationLayer, Name: bn1}
  - {type: leakyReluLayer, Name: lrelu1, Scale: 0.2}
  - {type: convolution2dLayer, Name: conv2, FilterSize: 8, NumFilters: 1}
"""


def tiny_config(tmp: Path, **extra: object) -> Path:
    """write_config with the tiny GAN above and one progress figure per run."""
    (tmp / "g.yaml").write_text(TINY_G)
    (tmp / "d.yaml").write_text(TINY_D)
    extra.setdefault("validationFrequency", 100)  # one progress figure per run: they cost more than the steps
    return write_config(tmp, generator=str(tmp / "g.yaml"), discriminator=str(tmp / "d.yaml"), **extra)


# ----- networks next to their ONNX export --------------------------------------------------------------------
def randomized(net: dlnetwork, seed: int = 1) -> dlnetwork:
    """Non-trivial batch-norm statistics, scales and biases, so inference-mode export is really exercised."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for key, t in net.tensors().items():
            if key.endswith("TrainedVariance"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif key.endswith(("TrainedMean", "Offset", "Bias")):
                t.copy_(torch.randn(t.shape, generator=g) * 0.2)
            elif key.endswith("Scale"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
    return net


def inputs(net: dlnetwork, batch: int, seed: int = 0) -> list[torch.Tensor]:
    """Random inputs; an input feeding an embedding gets 1-based class indices."""
    g = torch.Generator().manual_seed(seed)
    lg = net.layer_graph
    xs = []
    for name in net.InputNames:
        consumers = [lg.layer(d) for _, d in lg.graph.out_edges(name)]
        emb = next((c for c in consumers if c.type == "embeddingLayer"), None)
        if emb is not None:
            xs.append(torch.randint(1, emb.InputSize + 1, (batch, 1), generator=g).float())
        else:
            xs.append(torch.randn(net.analysis.outputs[name].torch_shape(batch), generator=g))
    return xs


def predict(net: dlnetwork, xs: list[torch.Tensor]) -> list[np.ndarray]:
    """The network's outputs (predict mode) as numpy arrays."""
    with torch.no_grad():
        ys = net.predict(*xs, nargout=len(net.OutputNames))  # every output, as MATLAB's [y1, …, yN] = predict
    return [y.as_subclass(torch.Tensor).numpy() for y in (ys if isinstance(ys, tuple) else (ys,))]


def run_ort(model: bytes | object, names: list[str], xs: list[torch.Tensor]) -> list[np.ndarray]:
    """An ONNX model's outputs from onnxruntime (callers skip without it: pytest.importorskip)."""
    import onnxruntime as ort

    data = model if isinstance(model, bytes) else model.SerializeToString()
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, {n: x.numpy() for n, x in zip(names, xs)})


def structure(lg: object) -> tuple[list[dict], list[tuple]]:
    """Layers (options) and connections, ignoring what ONNX cannot carry: Formattable, a fixed NumChannels."""
    layers = []
    for layer in lg.Layers:
        d = layer.model_dump()
        d.pop("Formattable", None)
        if "NumChannels" in d:
            d["NumChannels"] = "auto"
        layers.append(d)
    # by name: a spec may list a branch after the layer it joins; import writes it before (topological)
    return sorted(layers, key=lambda d: d["Name"]), sorted(lg.graph.edges(keys=True))
