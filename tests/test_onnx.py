"""ONNX export and import, checked against onnxruntime and hand-written torch modules.

Tolerances: layergraph vs onnxruntime rtol 1e-4, atol 1e-5 (float32; observed ≤ 1e-6); export → import →
layergraph reproduces the original outputs to atol 1e-6 (same torch kernels; observed exactly equal);
torch module vs its imported network rtol 1e-4, atol 1e-5.
"""
from __future__ import annotations

import io
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from layergraph.cli.main import main  # noqa: E402
from layergraph.compile import dlnetwork  # noqa: E402
from layergraph.interop import (  # noqa: E402
    ONNXExportError,
    ONNXImportError,
    exportONNXNetwork,
    importNetworkFromONNX,
    importONNXNetwork,
    onnx_model,
)
from layergraph.spec import graph_from_data, load_spec  # noqa: E402
from layergraph.train.checkpoint import save_checkpoint  # noqa: E402
from tests.helpers import inputs, predict, randomized, run_ort, structure  # noqa: E402

SPECS = sorted(Path(__file__).resolve().parents[1].glob("specs/*.yaml"))
RTOL, ATOL = 1e-4, 1e-5


# ----- helpers -----------------------------------------------------------------------------------------------
@cache
def spec_network(path: Path) -> dlnetwork:
    torch.manual_seed(0)
    return randomized(dlnetwork(load_spec(path)))


@cache
def spec_model(path: Path) -> bytes:
    return onnx_model(spec_network(path)).SerializeToString()


# ----- export: every shipped spec against onnxruntime ----------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_export_matches_onnxruntime_with_dynamic_batch(spec: Path, tmp_path: Path) -> None:
    net = spec_network(spec)
    path = exportONNXNetwork(net, tmp_path / "net.onnx")
    model = onnx.load(str(path))
    assert [i.name for i in model.graph.input] == net.InputNames
    assert [o.name for o in model.graph.output] == net.OutputNames
    assert all(i.type.tensor_type.shape.dim[0].dim_param == "N" for i in model.graph.input)
    # explicit pads only: runtimes disagree on auto_pad for transposed convolutions
    assert not any(a.name == "auto_pad" for n in model.graph.node for a in n.attribute)
    assert {t.name for t in model.graph.initializer} >= set(net.tensors())
    for batch in (1, 5):  # no batch size is fixed at export: any batch runs
        xs = inputs(net, batch, seed=batch)
        got = run_ort(path.read_bytes(), net.InputNames, xs)
        for want, y in zip(predict(net, xs), got):
            assert y.shape == want.shape
            np.testing.assert_allclose(y, want, rtol=RTOL, atol=ATOL)


def test_asymmetric_same_padding_is_explicit_in_the_model() -> None:
    """MATLAB's 'same' puts the odd row/column at the bottom/right: [t l b r] = [1 1 2 2] for F 5, S 2."""
    model = onnx.load_from_string(spec_model(SPECS[[p.stem for p in SPECS].index("cgan_flowers_generator")]))
    pads = {n.name: list(next(a.ints for a in n.attribute if a.name == "pads"))
            for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose")}
    assert pads["transposed-conv_2"] == [1, 1, 2, 2]
    assert pads["transposed-conv_1"] == [0, 0, 0, 0]


def test_fixed_batch_size_option(tmp_path: Path) -> None:
    net = spec_network(SPECS[[p.stem for p in SPECS].index("keras_gan_discriminator")])
    path = exportONNXNetwork(net, tmp_path / "b2.onnx", "BatchSize", 2, opsetversion=17)
    model = onnx.load(str(path))
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2
    assert model.opset_import[0].version == 17
    xs = inputs(net, 2)
    np.testing.assert_allclose(run_ort(path.read_bytes(), net.InputNames, xs)[0], predict(net, xs)[0],
                               rtol=RTOL, atol=ATOL)


def test_export_option_errors(tmp_path: Path) -> None:
    net = spec_network(SPECS[0])
    with pytest.raises(ONNXExportError, match="unknown option 'Opset'"):
        exportONNXNetwork(net, tmp_path / "x.onnx", Opset=13)
    with pytest.raises(ONNXExportError, match="OpsetVersion must be an integer from 13"):
        exportONNXNetwork(net, tmp_path / "x.onnx", OpsetVersion=9)
    assert not (tmp_path / "x.onnx").exists()


# ----- import: round trips ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_export_import_round_trip(spec: Path) -> None:
    net = spec_network(spec)
    lgraph, tensors = importONNXNetwork(onnx.load_from_string(spec_model(spec)))
    assert structure(lgraph) == structure(net.layer_graph)
    assert lgraph.InputNames == net.InputNames and lgraph.OutputNames == net.OutputNames
    back = dlnetwork(lgraph)
    back.load_tensors(tensors)
    xs = inputs(net, 3)
    for want, got in zip(predict(net, xs), predict(back, xs)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


ZOO = """
layers:
  - {type: imageInputLayer, Name: img, InputSize: [9, 11, 3], Normalization: zscore, Mean: [0.1, 0.2, 0.3],
     StandardDeviation: [1.5, 2.0, 0.5]}
  - {type: convolution2dLayer, Name: c1, FilterSize: [3, 2], NumFilters: 6, Stride: 2, Padding: same}
  - {type: leakyReluLayer, Name: lr1, Scale: 0.1}
  - {type: maxPooling2dLayer, Name: mp, PoolSize: 3, Stride: 2, Padding: same}
  - {type: resize2dLayer, Name: rs_scale, Scale: 2}
  - {type: globalAveragePooling2dLayer, Name: gap}
  - {type: tanhLayer, Name: th}
  - {type: convolution2dLayer, Name: c2, FilterSize: 3, NumFilters: 6, DilationFactor: 2, Padding: [2, 2, 1, 3],
     inputs: [lr1]}
  - {type: averagePooling2dLayer, Name: ap, PoolSize: 2, Padding: [1, 0, 1, 0]}
  - {type: convolution2dLayer, Name: c3, FilterSize: 1, NumFilters: 6, inputs: [lr1]}
  - {type: convolution2dLayer, Name: c3b, FilterSize: 3, NumFilters: 6, Padding: same, inputs: [lr1]}
  - {type: additionLayer, Name: add, NumInputs: 3, inputs: [ap, c3, c3b]}
  - {type: depthConcatenationLayer, Name: dcat, NumInputs: 2, inputs: [add, c3]}
  - {type: layerNormalizationLayer, Name: ln}
  - {type: resize2dLayer, Name: rs_bilinear, OutputSize: [7, 9], Method: bilinear}
  - {type: flattenLayer, Name: fl}
  - {type: fullyConnectedLayer, Name: fc2, OutputSize: 5}
  - {type: batchNormalizationLayer, Name: bn_feat}
  - {type: dropoutLayer, Name: do, Probability: 0.3}
  - {type: softmaxLayer, Name: sm_feat}
  - {type: resize2dLayer, Name: rs_nearest, OutputSize: [11, 13], inputs: [ln]}
  - {type: resize2dLayer, Name: rs_nearest2, OutputSize: [4, 13], inputs: [dcat]}
  - {type: concatenationLayer, Name: hcat, Dim: 1, NumInputs: 2, inputs: [rs_nearest, rs_nearest2]}
  - {type: softmaxLayer, Name: sm_img}
  - {type: fullyConnectedLayer, Name: fc_img, OutputSize: 7, inputs: [dcat]}
  - {type: sigmoidLayer, Name: sg}
"""


@pytest.mark.parametrize("opset", [17, 18])
def test_every_layer_type_exports_and_round_trips(opset: int) -> None:
    """Layers the shipped specs do not use: pooling with uneven padding, dilation, 3-input addition, depth
    concatenation, layer norm, bilinear and non-integer nearest resizing, softmax, input normalization,
    a fully connected layer on a 5×6 image; Resize is written with opset 18's `axes` and without."""
    torch.manual_seed(0)
    net = randomized(dlnetwork(graph_from_data(yaml.safe_load(ZOO))))
    model = onnx_model(net, OpsetVersion=opset)
    xs = [torch.randn(4, 3, 9, 11)]
    want = predict(net, xs)
    for w, y in zip(want, run_ort(model, net.InputNames, xs)):
        np.testing.assert_allclose(y, w, rtol=RTOL, atol=ATOL)
    lgraph, tensors = importONNXNetwork(model)
    back = dlnetwork(lgraph)
    back.load_tensors(tensors)
    for w, y in zip(want, predict(back, xs)):
        np.testing.assert_allclose(y, w, rtol=0, atol=1e-6)
    # ONNX has one Concat: depth concatenation comes back as concatenationLayer(3, …), the same operation
    orig, new = structure(net.layer_graph), structure(lgraph)
    assert new[1] == orig[1]
    changed = [(a["Name"], b["type"]) for a, b in zip(orig[0], new[0]) if a != b]
    assert changed == [("dcat", "concatenationLayer")]


def test_transposed_conv_with_filter_smaller_than_stride() -> None:
    """'same' cropping with F < S pads the end (an ONNX Pad node); import folds it back into Cropping 'same'."""
    spec = """
layers:
  - {type: featureInputLayer, Name: z, InputSize: 12}
  - {type: projectAndReshapeLayer, Name: proj, OutputSize: [2, 3, 2]}
  - {type: transposedConv2dLayer, Name: t1, FilterSize: [1, 3], NumFilters: 2, Stride: 2, Cropping: same}
  - {type: transposedConv2dLayer, Name: t2, FilterSize: 3, NumFilters: 2, Stride: [1, 2], Cropping: [0, 1, 2, 0]}
  - {type: fullyConnectedLayer, Name: fc_img, OutputSize: 3}
"""
    torch.manual_seed(0)
    net = randomized(dlnetwork(graph_from_data(yaml.safe_load(spec))))
    model = onnx_model(net)
    assert "Pad" in [n.op_type for n in model.graph.node]
    xs = [torch.randn(2, 12)]
    np.testing.assert_allclose(run_ort(model, ["z"], xs)[0], predict(net, xs)[0], rtol=RTOL, atol=ATOL)
    lgraph, tensors = importONNXNetwork(model)
    assert lgraph == net.layer_graph  # same layers, options, order and connections
    back = dlnetwork(lgraph)
    back.load_tensors(tensors)
    np.testing.assert_allclose(predict(back, xs)[0], predict(net, xs)[0], rtol=0, atol=1e-6)


def test_layer_norm_needs_opset_17() -> None:
    net = dlnetwork(graph_from_data(yaml.safe_load(ZOO)))
    with pytest.raises(ONNXExportError, match=r"layer 'ln'.*OpsetVersion 17"):
        onnx_model(net, OpsetVersion=13)


# ----- import: networks exported by torch.onnx from hand-written modules ---------------------------------------------
class Classifier(nn.Module):
    """conv/bn/relu/pool/flatten/linear; the 16×3×4 map makes row- and column-major flattening differ."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.conv2, self.bn2 = nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16)
        self.avg = nn.AvgPool2d(3, stride=1, padding=1)  # count_include_pad=True, as MATLAB counts padded zeros
        self.fc1, self.fc2 = nn.Linear(16 * 3 * 4, 20), nn.Linear(20, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.avg(torch.relu(self.bn2(self.conv2(x))))
        return torch.softmax(self.fc2(torch.relu(self.fc1(torch.flatten(x, 1)))), dim=1)


class Generator(nn.Module):
    """linear → BN1d → ReLU → view (row-major!) → transposed convolutions (one with output_padding) → upsample."""

    def __init__(self) -> None:
        super().__init__()
        self.fc, self.bn0 = nn.Linear(10, 32 * 4 * 4), nn.BatchNorm1d(32 * 4 * 4)
        self.t1, self.bn1 = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.BatchNorm2d(16)
        self.t2 = nn.ConvTranspose2d(16, 3, 5, stride=2, padding=2, output_padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn0(self.fc(z))).view(z.shape[0], 32, 4, 4)
        return torch.tanh(self.up(self.t2(torch.relu(self.bn1(self.t1(x))))))


def torch_export(module: nn.Module, x: torch.Tensor, how: str) -> object:
    """ONNX from torch.onnx: the TorchScript exporter (batch norm folded or kept) or the dynamo exporter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "dynamo":
            pytest.importorskip("onnxscript")
            prog = torch.onnx.export(module, (x,), input_names=["x"], output_names=["y"], dynamo=True,
                                     dynamic_shapes=({0: "N"},), verbose=False)
            return prog.model_proto
        f = io.BytesIO()
        extra = {"training": torch.onnx.TrainingMode.PRESERVE} if how == "keep-bn" else {}
        torch.onnx.export(module, (x,), f, input_names=["x"], output_names=["y"], dynamo=False,
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, **extra)
        return onnx.load_from_string(f.getvalue())


def with_statistics(module: nn.Module) -> nn.Module:
    torch.manual_seed(3)
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.normal_(0, 0.3)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.2)
    return module.eval()


# the dynamo exporter takes seconds per model: one dynamo case, the generator through the TorchScript one
@pytest.mark.parametrize(("kind", "how"), [("classifier", "folded-bn"), ("classifier", "keep-bn"),
                                           ("classifier", "dynamo"), ("generator", "folded-bn"),
                                           ("generator", "keep-bn")])
def test_torch_onnx_export_imports_and_matches_torch(kind: str, how: str) -> None:
    torch.manual_seed(0)
    module = with_statistics(Classifier() if kind == "classifier" else Generator())
    shape = (3, 12, 16) if kind == "classifier" else (10,)
    model = torch_export(module, torch.randn(2, *shape), how)
    net = importNetworkFromONNX(model)
    x = torch.randn(5, *shape)  # another batch size than the export's 2
    with torch.no_grad():
        want = module(x).numpy()
    got = predict(net, [x])[0]
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=RTOL, atol=ATOL)
    types = [layer.type for layer in net.Layers]
    if kind == "classifier":
        assert types.count("fullyConnectedLayer") == 2 and "flattenLayer" in types
        assert ("batchNormalizationLayer" in types) == (how == "keep-bn")
    else:  # the row-major view became MATLAB's column-major feature2image (fc rows permuted)
        assert "functionLayer" in types and types.count("transposedConv2dLayer") == 2


class ResidualIN(nn.Module):
    """CycleGAN's residual block: conv → InstanceNorm2d → ReLU → conv → InstanceNorm2d, plus the input."""

    def __init__(self, affine: bool) -> None:
        super().__init__()
        self.c1, self.n1 = nn.Conv2d(4, 4, 3, padding=1), nn.InstanceNorm2d(4, affine=affine)
        self.c2, self.n2 = nn.Conv2d(4, 4, 3, padding=1), nn.InstanceNorm2d(4, affine=affine)
        if affine:
            for n in (self.n1, self.n2):
                n.weight.data.uniform_(0.5, 1.5)
                n.bias.data.normal_(0, 0.3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.n2(self.c2(torch.relu(self.n1(self.c1(x)))))


@pytest.mark.parametrize("affine", [True, False])
def test_torch_instance_norm_imports_as_instance_normalization_layers(affine: bool) -> None:
    torch.manual_seed(1)
    module = ResidualIN(affine).eval()
    model = torch_export(module, torch.randn(2, 4, 6, 5), "folded-bn")
    assert [n.op_type for n in model.graph.node].count("InstanceNormalization") == 2
    net = importNetworkFromONNX(model)
    assert [layer.type for layer in net.Layers].count("instanceNormalizationLayer") == 2
    x = torch.randn(3, 4, 6, 5)
    with torch.no_grad():
        want = module(x).numpy()
    np.testing.assert_allclose(predict(net, [x])[0].reshape(want.shape), want, rtol=RTOL, atol=ATOL)


def instance_norm_model(shape: list[object], channels_of_scale: int) -> object:
    """One InstanceNormalization node reading graph input x of `shape`, with `channels_of_scale` scale values."""
    h = onnx.helper
    inits = [onnx.numpy_helper.from_array(np.ones(channels_of_scale, np.float32), "s"),
             onnx.numpy_helper.from_array(np.zeros(channels_of_scale, np.float32), "b")]
    node = h.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], name="inorm")
    graph = h.make_graph([node], "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, shape)],
                         [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, shape)], initializer=inits)
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 13)])


@pytest.mark.parametrize(("shape", "scale", "message"), [
    (["N", 3, 7], 3, r"node 'inorm' \(InstanceNormalization\): instanceNormalizationLayer is imported for N×C×H×W "
                     r"images only"),
    (["N", 3, 4, 4], 2, r"node 'inorm' \(InstanceNormalization\): scale and B must have one value per channel \(3\)"),
])
def test_instance_normalization_that_has_no_layer_is_a_one_line_error(shape: list[object], scale: int,
                                                                      message: str) -> None:
    with pytest.raises(ONNXImportError, match=message) as err:
        importONNXNetwork(instance_norm_model(shape, scale))
    assert "\n" not in str(err.value)


# ----- import errors ------------------------------------------------------------------------------------------------
def tiny_model(op: str, **attrs: object) -> object:
    h = onnx.helper
    node = h.make_node(op, ["x"], ["y"], name="odd", **attrs)
    graph = h.make_graph([node], "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 3, 4, 4])],
                         [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 3, 4, 4])])
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 13)])


def test_unmapped_operator_names_node_and_operator(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ONNXImportError, match=r"node 'odd' \(Hardmax\): no layergraph layer for ONNX operator Hardmax"):
        importONNXNetwork(tiny_model("Hardmax"))
    path = tmp_path / "hardmax.onnx"
    onnx.save(tiny_model("Hardmax"), str(path))
    assert main(["import", str(path), "--out", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "odd" in err and "Hardmax" in err
    assert not (tmp_path / "s.yaml").exists()


def test_truncated_and_non_onnx_files_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = spec_model(SPECS[0])
    for name, content in (("cut.onnx", data[: len(data) // 2]), ("cut2.onnx", data[:-40]),
                          ("spec.onnx", SPECS[0].read_bytes()), ("empty.onnx", b"")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ONNXImportError, match=r"not an ONNX model|truncated|invalid ONNX"):
            importONNXNetwork(tmp_path / name)
        assert main(["import", str(tmp_path / name), "--out", str(tmp_path / "s.yaml")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1


def test_zero_based_embedding_imports_with_the_offset_in_the_input_layer() -> None:
    """nn.Embedding gathers rows by 0-based index; embeddingLayer takes 1-based ones: the input layer adds 1
    (zerocenter normalization with Mean −1), so the network reads the file's indices and gives its rows."""
    class Embed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(5, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.emb(x.reshape(-1).long())

    torch.manual_seed(0)
    module = Embed().eval()
    model = torch_export(module, torch.ones(2, 1), "folded-bn")
    net = importNetworkFromONNX(model)
    assert [layer.type for layer in net.Layers] == ["featureInputLayer", "embeddingLayer"]
    assert net.Layers[0].Normalization == "zerocenter" and net.Layers[0].Mean == -1.0
    x = torch.tensor([[0.0], [4.0], [2.0]])
    with torch.no_grad():
        want = module(x).numpy()
    got = net.predict(x).as_subclass(torch.Tensor).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got, run_ort(model, ["x"], [x])[0], rtol=RTOL, atol=ATOL)


# ----- command line ---------------------------------------------------------------------------------------------
def test_cli_export_import_export_loop(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = SPECS[[p.stem for p in SPECS].index("cgan_digits_generator")]
    net = spec_network(spec)
    weights = tmp_path / "w.safetensors"
    save_checkpoint(weights, net.tensors())
    assert main(["export", str(spec), "--weights", str(weights), "--onnx", str(tmp_path / "a.onnx")]) == 0
    assert "inputs noise [N×32], label [N×1]" in capsys.readouterr().out
    assert main(["import", str(tmp_path / "a.onnx"), "--out", str(tmp_path / "b.yaml"),
                 "--weights", str(tmp_path / "b.safetensors")]) == 0
    assert main(["export", str(tmp_path / "b.yaml"), "--weights", str(tmp_path / "b.safetensors"),
                 "--onnx", str(tmp_path / "c.onnx")]) == 0
    xs = inputs(net, 4)
    want = predict(net, xs)[0]
    for name in ("a.onnx", "c.onnx"):
        got = run_ort((tmp_path / name).read_bytes(), net.InputNames, xs)[0]
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def fake_training_checkpoint(path: Path, tensors: dict | None = None) -> None:
    """What layergraph.gan.trainer writes: both specs' text in meta and 'generator/…', 'discriminator/…' tensors."""
    g, d = SPECS[[p.stem for p in SPECS].index("cgan_digits_generator")], SPECS[0]
    if tensors is None:
        tensors = {**{f"generator/{k}": v for k, v in spec_network(g).tensors().items()},
                   **{f"discriminator/{k}": v for k, v in spec_network(d).tensors().items()}}
    tensors = {**tensors, "opt/G.avg/fc/Weights": torch.zeros(1)}
    save_checkpoint(path, tensors, {"generator_spec": g.read_text(), "discriminator_spec": d.read_text()})


@pytest.mark.parametrize("which", ["generator", "discriminator"])
def test_cli_export_from_training_checkpoint(which: str, tmp_path: Path) -> None:
    ckpt = tmp_path / "checkpoint.safetensors"
    fake_training_checkpoint(ckpt)
    out = tmp_path / f"{which}.onnx"
    assert main(["export", str(ckpt), "--net", which, "--onnx", str(out)]) == 0
    net = spec_network(SPECS[[p.stem for p in SPECS].index("cgan_digits_generator")] if which == "generator"
                       else SPECS[0])
    xs = inputs(net, 3)
    np.testing.assert_allclose(run_ort(out.read_bytes(), net.InputNames, xs)[0], predict(net, xs)[0],
                               rtol=RTOL, atol=ATOL)


def test_cli_checkpoint_that_does_not_fit_its_spec(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    g = spec_network(SPECS[[p.stem for p in SPECS].index("cgan_digits_generator")])
    tensors = {f"generator/{k}": v for k, v in g.tensors().items()}
    tensors["generator/tconv1/Weights"] = torch.zeros(3, 3)
    ckpt = tmp_path / "bad.safetensors"
    fake_training_checkpoint(ckpt, tensors)
    assert main(["export", str(ckpt), "--onnx", str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tconv1/Weights" in err and "shape" in err
    assert main(["export", str(ckpt), "--net", "critic", "--onnx", str(tmp_path / "x.onnx")]) == 2
    assert "no 'critic' network (it has: discriminator, generator)" in capsys.readouterr().err
    weights = tmp_path / "w.safetensors"
    save_checkpoint(weights, {**g.tensors(), "extra/Weights": torch.zeros(1)})
    spec = SPECS[[p.stem for p in SPECS].index("cgan_digits_generator")]
    assert main(["export", str(spec), "--weights", str(weights), "--onnx", str(tmp_path / "x.onnx")]) == 2
    assert "'extra/Weights' is not a parameter" in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()


# ----- import: hand-made ONNX graphs, checked against onnxruntime ---------------------------------------------------
def graph_model(nodes: list, x_shape: list, inits: dict[str, np.ndarray], opset: int = 13) -> object:
    h = onnx.helper
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", *x_shape])],
                         [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
                         [onnx.numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    model.ir_version = 7
    return onnx.shape_inference.infer_shapes(model)


def rnd(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)


def make(op: str, ins: list[str], out: str, **attrs: object) -> object:
    return onnx.helper.make_node(op, ins, [out], name=out, **attrs)


CASES = {
    # ConvTranspose sizes given by auto_pad/output_shape are split as the ONNX specification says
    "tconv-same-upper": ([make("ConvTranspose", ["x", "W", "B"], "y", auto_pad="SAME_UPPER", strides=[2, 2])],
                         [4, 5, 6], {"W": rnd(4, 3, 5, 4), "B": rnd(3)}),
    "tconv-same-lower": ([make("ConvTranspose", ["x", "W", "B"], "y", auto_pad="SAME_LOWER", strides=[2, 2])],
                         [4, 5, 6], {"W": rnd(4, 3, 5, 4), "B": rnd(3)}),
    "tconv-output-shape": ([make("ConvTranspose", ["x", "W"], "y", output_shape=[9, 11], strides=[2, 2])],
                           [4, 5, 6], {"W": rnd(4, 3, 5, 4)}),
    "conv-same-lower": ([make("Conv", ["x", "W", "B"], "y", auto_pad="SAME_LOWER", strides=[2, 2])],
                        [3, 7, 7], {"W": rnd(5, 3, 4, 4), "B": rnd(5)}),
    # Keras-style NHWC flatten before a MatMul + Add dense layer: weight columns are permuted on import
    "nhwc-flatten-matmul": ([make("Transpose", ["x"], "t", perm=[0, 2, 3, 1]), make("Flatten", ["t"], "f"),
                             make("MatMul", ["f", "W"], "m"), make("Add", ["m", "b"], "a"),
                             make("LeakyRelu", ["a"], "y", alpha=0.3)],
                            [3, 4, 5], {"W": rnd(60, 7), "b": rnd(7)}),
    # (x − mean)/std folds into the input layer's zscore normalization; ReduceMean over H, W is pooling
    "normalize-reducemean": ([make("Sub", ["x", "mean"], "s"), make("Div", ["s", "std"], "d"),
                              make("Conv", ["d", "W"], "c", pads=[1, 0, 2, 1]),
                              make("ReduceMean", ["c"], "r", axes=[2, 3], keepdims=0), make("Softmax", ["r"], "y")],
                             [3, 6, 6], {"mean": rnd(1, 3, 1, 1), "std": np.float32([1.5, 2, 0.5]).reshape(3, 1, 1),
                                         "W": rnd(4, 3, 3, 3)}),
    # features → 1×1 image → bilinear resize, and a residual Sum
    "unsqueeze-resize-sum": ([make("Gemm", ["x", "W", "B"], "g", transB=1), make("Unsqueeze", ["g", "ax"], "u"),
                              make("Resize", ["u", "", "sc"], "r", mode="linear",
                                   coordinate_transformation_mode="half_pixel"),
                              make("Relu", ["r"], "q"), make("Sum", ["r", "q", "r"], "y")],
                             [6], {"W": rnd(4, 6), "B": rnd(4), "ax": np.int64([2, 3]),
                                   "sc": np.float32([1, 1, 2, 3])}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hand_made_onnx_graphs_import_like_onnxruntime(case: str) -> None:
    nodes, shape, inits = CASES[case]
    model = graph_model(nodes, shape, inits)
    net = importNetworkFromONNX(model)
    x = torch.randn(3, *shape)
    want = run_ort(model, ["x"], [x])[0]
    got = predict(net, [x])[0]
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=RTOL, atol=ATOL)
    if case.startswith("normalize"):
        assert net.Layers[0].Normalization == "zscore" and net.Layers[0].StandardDeviation == [1.5, 2.0, 0.5]


@pytest.mark.parametrize("alpha", [None, 0.4])
def test_elu_both_ways_against_onnxruntime(alpha: float | None) -> None:
    """eluLayer is written as Elu and an Elu node (alpha given or ONNX's default 1) is read back as eluLayer;
    both agree with onnxruntime."""
    attrs = {} if alpha is None else {"alpha": alpha}
    model = graph_model([make("Conv", ["x", "W"], "c"), make("Elu", ["c"], "y", **attrs)], [2, 5, 4],
                        {"W": rnd(3, 2, 3, 3)})
    net = importNetworkFromONNX(model)
    assert net.Layers[-1].type == "eluLayer" and net.Layers[-1].Alpha == (1.0 if alpha is None else alpha)
    x = torch.randn(3, 2, 5, 4) * 3
    want = run_ort(model, ["x"], [x])[0]
    np.testing.assert_allclose(predict(net, [x])[0], want, rtol=RTOL, atol=ATOL)
    exported = onnx_model(net)
    assert [n.op_type for n in exported.graph.node] == ["Conv", "Elu"]
    np.testing.assert_allclose(run_ort(exported, net.InputNames, [x])[0], want, rtol=RTOL, atol=ATOL)


# ----- the layers of issue 12: their export forms against onnxruntime -----------------------------------------------
NEW_LAYERS = """
layers:
  - {type: imageInputLayer, Name: img, InputSize: [9, 8, 4]}
  - {type: convolution2dLayer, Name: conv, FilterSize: 3, NumFilters: 4, Padding: [1, 2, 2, 1], PaddingValue: replicate}
  - {type: instanceNormalizationLayer, Name: inorm}
  - {type: groupNormalizationLayer, Name: gnorm, NumGroups: 2}
  - {type: geluLayer, Name: gelu}
  - {type: geluLayer, Name: gelut, Approximation: tanh}
  - {type: swishLayer, Name: swish}
  - {type: clippedReluLayer, Name: clip, Ceiling: 0.5}
  - {type: multiplicationLayer, Name: mul, NumInputs: 2, inputs: [clip, gnorm]}
  - {type: imageInputLayer, Name: ref, InputSize: [5, 4, 1]}
  - {type: crop2dLayer, Name: crop, Location: centercrop, inputs: {in: mul, ref: ref}}
  - {type: sequenceInputLayer, Name: seq, InputSize: 3, MinLength: 6}
  - {type: convolution1dLayer, Name: c1, FilterSize: 3, NumFilters: 4, Padding: causal,
     PaddingValue: symmetric-exclude-edge}
  - {type: transposedConv1dLayer, Name: t1, FilterSize: 4, NumFilters: 2, Stride: 2, Cropping: same}
"""


@pytest.mark.parametrize("opset", [17, 21])
def test_new_layers_export_like_layergraph_computes(opset: int) -> None:
    """Gelu (opset 20) and GroupNormalization (opset 21) nodes, and their decompositions before those opsets."""
    if opset > onnx.defs.onnx_opset_version():
        pytest.skip(f"onnx has no opset {opset}")
    torch.manual_seed(0)
    net = randomized(dlnetwork(graph_from_data(yaml.safe_load(NEW_LAYERS))))
    model = onnx_model(net, OpsetVersion=opset)
    ops = {n.op_type for n in model.graph.node}
    assert ("Gelu" in ops) == (opset >= 20) and ("GroupNormalization" in ops) == (opset >= 21)
    xs = [torch.randn(2, 4, 9, 8), torch.randn(2, 1, 5, 4), torch.randn(2, 3, 11)]  # a longer sequence than MinLength
    want = predict(net, xs)
    try:
        got = run_ort(model, net.InputNames, xs)
    except Exception as err:  # an onnxruntime without this opset's kernels
        pytest.skip(f"onnxruntime cannot run opset {opset}: {str(err).splitlines()[0]}")
    for w, y in zip(want, got):
        np.testing.assert_allclose(y, w, rtol=RTOL, atol=1e-4)
