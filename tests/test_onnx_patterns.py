"""ONNX import of the operator patterns real exporters write (MATLAB R2018b–R2024b, PyTorch 0.4–2.x, tf2onnx,
Caffe2, CNTK): each as a small hand-built graph of the same pattern, imported and compared with onnxruntime, and
two MIT-licensed MATLAB R2018b files (tests/data/onnx, SOURCE.md beside them) compared with numpy.

Tolerance rtol 1e-4, atol 1e-5 (float32; observed ≤ 2e-6).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from layergraph.cli.main import main  # noqa: E402
from layergraph.interop import ONNXImportError, importNetworkFromONNX  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "onnx"
RTOL, ATOL = 1e-4, 1e-5
h = onnx.helper
F32, I64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64


def rnd(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape).astype(np.float32)


def node(op: str, ins: list[str], out: str, **attrs: object) -> object:
    return h.make_node(op, ins, [out], name=out, **attrs)


def model(nodes: list, inputs: dict[str, list], inits: dict[str, np.ndarray], opset: int = 13,
          producer: str = "test", batch: int | str = "N") -> object:
    """A checked model; inputs: name → per-sample shape; the batch size is `batch` (a fixed one, or dynamic)."""
    graph = h.make_graph(
        nodes, "g", [h.make_tensor_value_info(k, F32, [batch, *v]) for k, v in inputs.items()],
        [h.make_tensor_value_info("y", F32, None)],
        [onnx.numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)], producer_name=producer)
    m.ir_version = 7
    m = onnx.shape_inference.infer_shapes(m)
    out = m.graph.output[0].type.tensor_type
    if not out.HasField("shape"):  # shape inference cannot follow Shape → Reshape: take the rank from a run
        feeds = {i.name: np.zeros([d.dim_value or 1 for d in i.type.tensor_type.shape.dim], np.float32)
                 for i in m.graph.input}
        for k in range(ort_run(m, feeds).ndim):
            out.shape.dim.add().dim_param = f"d{k}"
    onnx.checker.check_model(m)
    return m


def ort_run(m: object, feeds: dict[str, np.ndarray]) -> np.ndarray:
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)[0]


def predict(net: object, *xs: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return net.predict(*xs).as_subclass(torch.Tensor).numpy()


def matches_onnxruntime(m: object, shapes: dict[str, list], batch: int = 3, to_net=None) -> object:
    """Import `m`, run it and onnxruntime on the same random input; `to_net` maps an ONNX input to the
    network's layout (NHWC → NCHW, N×A×B → N×A·B). Returns the network."""
    g = torch.Generator().manual_seed(1)
    xs = {k: torch.randn([batch, *v], generator=g) for k, v in shapes.items()}
    want = ort_run(m, {k: x.numpy() for k, x in xs.items()})
    net = importNetworkFromONNX(m)
    got = predict(net, *[(to_net or (lambda x: x))(x) for x in xs.values()])
    assert got.size == want.size
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=RTOL, atol=ATOL)
    return net


def types(net: object) -> list[str]:
    return [layer.type for layer in net.Layers]


# ----- Pad: MATLAB R2024b's Padding="same" (shape arithmetic → Pad → Conv); all-zero Pad -------------------------
def same_pad_nodes(k: int, s: int) -> list:
    """MATLAB R2024b writes Padding="same" as arithmetic on Shape(x): total = max((ceil(n/s) − 1)·s + k − n, 0),
    top/left = total / 2, bottom/right = the rest, then Pad → Conv with pads 0."""
    c = h.make_node
    return [
        node("Shape", ["x"], "shape"), node("Slice", ["shape", "two", "four"], "hw"),
        node("Add", ["hw", "sm1"], "hw_up"), node("Div", ["hw_up", "stride"], "outs"),
        node("Sub", ["outs", "one"], "outs1"), node("Mul", ["outs1", "stride"], "span"),
        node("Add", ["span", "kernel"], "need"), node("Sub", ["need", "hw"], "short"),
        node("Max", ["short", "zero"], "total"), node("Div", ["total", "two1"], "lo"),
        node("Sub", ["total", "lo"], "hi"),
        c("Concat", ["zeros2", "lo", "zeros2", "hi"], ["pads"], name="pads", axis=0),
        node("Pad", ["x", "pads"], "xp"), node("Conv", ["xp", "W", "B"], "y", strides=[s, s]),
    ]


def same_pad_inits(k: int, s: int) -> dict[str, np.ndarray]:
    i64 = np.int64
    return {"two": i64([2]), "four": i64([4]), "sm1": i64([s - 1, s - 1]), "stride": i64([s, s]),
            "one": i64([1, 1]), "kernel": i64([k, k]), "zero": i64([0, 0]), "two1": i64([2, 2]),
            "zeros2": i64([0, 0]), "W": rnd(4, 3, k, k), "B": rnd(4)}


@pytest.mark.parametrize(("k", "s", "hw"), [(3, 2, [7, 8]), (4, 1, [6, 5])])
def test_matlab_r2024b_same_padding_folds_into_the_convolution(k: int, s: int, hw: list[int]) -> None:
    m = model(same_pad_nodes(k, s), {"x": [3, *hw]}, same_pad_inits(k, s))
    net = matches_onnxruntime(m, {"x": [3, *hw]})
    assert types(net) == ["imageInputLayer", "convolution2dLayer"]
    assert net.Layers[1].Padding == "same"  # the odd row/column at the bottom/right, as MATLAB's 'same'


def test_zero_pads_are_identities_and_pads_fold_into_average_pooling() -> None:
    """PyTorch 1.6/1.11 write Pad(pads=0) → AveragePool (opset 9, pads as an attribute); a real zero Pad before
    AveragePool is its padding (averagePooling2dLayer counts padded zeros)."""
    nodes = [node("Conv", ["x", "W"], "c"), node("Relu", ["c"], "r"),
             node("Pad", ["r"], "p0", mode="constant", pads=[0] * 8, value=0.0),
             node("AveragePool", ["p0"], "a", kernel_shape=[2, 2], strides=[2, 2]),
             node("Pad", ["a"], "p1", pads=[0, 0, 1, 0, 0, 0, 2, 1]),
             node("AveragePool", ["p1"], "y", kernel_shape=[3, 2], strides=[1, 1])]
    net = matches_onnxruntime(model(nodes, {"x": [2, 10, 9]}, {"W": rnd(3, 2, 2, 2)}, opset=9), {"x": [2, 10, 9]})
    assert types(net) == ["imageInputLayer", "convolution2dLayer", "reluLayer", "averagePooling2dLayer",
                          "averagePooling2dLayer"]
    assert tuple(net.Layers[4].Padding) == (1, 2, 0, 1)


@pytest.mark.parametrize(("pads", "op", "msg"), [
    ([0, 0, 1, 1, 0, 0, 1, 1], "MaxPool", "zero-padded by a Pad node"),
    ([0, 1, 0, 0, 0, 0, 0, 0], "Conv", r"only zero padding of H and W"),
])
def test_pads_without_a_layergraph_form_are_one_line_errors(pads: list[int], op: str, msg: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture) -> None:
    after = (node("MaxPool", ["p"], "y", kernel_shape=[2, 2]) if op == "MaxPool" else node("Conv", ["p", "W"], "y"))
    m = model([node("Pad", ["x", "pads"], "p"), after], {"x": [2, 5, 5]},
              {"pads": np.int64(pads), "W": rnd(2, 3, 1, 1)})
    with pytest.raises(ONNXImportError, match=msg):
        importNetworkFromONNX(m)
    onnx.save(m, str(tmp_path / "m.onnx"))
    assert main(["import", str(tmp_path / "m.onnx"), "--out", str(tmp_path / "m.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


# ----- constant folding at the model's opset: PyTorch 0.4's x.view(x.size(0), -1) ------------------------------
def test_opset9_view_chain_folds_at_the_models_opset() -> None:
    """Shape → Gather → Unsqueeze(axes attribute, opset 9) → Concat → Reshape → Gemm."""
    nodes = [node("Conv", ["x", "W", "B"], "c", strides=[2, 2], pads=[1, 1, 1, 1]), node("Relu", ["c"], "r"),
             node("Shape", ["r"], "s"), node("Gather", ["s", "i0"], "n", axis=0),
             node("Unsqueeze", ["n"], "n1", axes=[0]), node("Unsqueeze", ["m1"], "m1u", axes=[0]),
             h.make_node("Concat", ["n1", "m1u"], ["shape"], name="shape", axis=0),
             node("Reshape", ["r", "shape"], "f"), node("Gemm", ["f", "G", "b"], "y", transB=1)]
    inits = {"W": rnd(4, 3, 3, 3), "B": rnd(4), "i0": np.int64(0), "m1": np.int64(-1), "G": rnd(5, 4 * 3 * 4),
             "b": rnd(5)}
    net = matches_onnxruntime(model(nodes, {"x": [3, 6, 8]}, inits, opset=9), {"x": [3, 6, 8]})
    assert types(net) == ["imageInputLayer", "convolution2dLayer", "reluLayer", "flattenLayer",
                          "fullyConnectedLayer"]


# ----- MaxPool ceil_mode -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("hw", "k", "s", "pads"), [([8, 7], 3, 2, [0, 0, 0, 0]), ([5, 6], 2, 2, [1, 1, 1, 1]),
                                                     ([9, 9], 3, 3, [1, 0, 0, 1])])
def test_maxpool_ceil_mode_is_extra_bottom_right_padding(hw: list[int], k: int, s: int, pads: list[int]) -> None:
    """ceil_mode adds a last window when it starts inside the input or its top/left padding ([5, 6] with pads
    1: the window that would start in the bottom padding is not added)."""
    m = model([node("MaxPool", ["x"], "y", kernel_shape=[k, k], strides=[s, s], pads=pads, ceil_mode=1)],
              {"x": [2, *hw]}, {})
    net = matches_onnxruntime(m, {"x": [2, *hw]})
    assert types(net) == ["imageInputLayer", "maxPooling2dLayer"]


def test_average_pool_ceil_mode_that_changes_the_size_is_refused() -> None:
    m = model([node("AveragePool", ["x"], "y", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)],
              {"x": [2, 8, 8]}, {})
    with pytest.raises(ONNXImportError, match="ceil_mode=1 gives a larger output than averagePooling2dLayer"):
        importNetworkFromONNX(m)


# ----- inputs: rank 3, NHWC ------------------------------------------------------------------------------------------
def test_rank3_input_as_features() -> None:
    """PyTorch's [1, 784, 1] input (here [N, 12, 1]) → Flatten → Gemm: featureInputLayer(12)."""
    nodes = [node("Flatten", ["x"], "f"), node("Gemm", ["f", "W", "B"], "g", transB=1), node("Relu", ["g"], "y")]
    net = matches_onnxruntime(model(nodes, {"x": [12, 1]}, {"W": rnd(5, 12), "B": rnd(5)}), {"x": [12, 1]},
                              to_net=lambda x: x.reshape(x.shape[0], -1))
    assert types(net) == ["featureInputLayer", "fullyConnectedLayer", "reluLayer"]
    assert net.Layers[0].InputSize == 12


def test_rank3_input_viewed_with_a_leading_unit_axis_at_batch_one() -> None:
    """vnn-comp's verinet MLPs (PyTorch 1.3, input [1, 784, 1]): x.view(1, *x.shape) by Shape arithmetic, so the
    batch goes to axis 1; with the file's batch of 1 that is a unit axis behind the batch. A dynamic batch is
    refused (the view would move elements across it)."""
    nodes = [node("Shape", ["x"], "s"), node("Gather", ["s", "i0"], "n", axis=0),
             node("Unsqueeze", ["n"], "nu", axes=[0]), node("Unsqueeze", ["one"], "oneu", axes=[0]),
             h.make_node("Concat", ["oneu", "nu", "rest"], ["shape"], name="shape", axis=0),
             node("Reshape", ["x", "shape"], "v"), node("Flatten", ["v"], "f"),
             node("Gemm", ["f", "W", "B"], "y", transB=1)]
    inits = {"i0": np.int64(0), "one": np.int64(1), "rest": np.int64([12, 1]), "W": rnd(5, 12), "B": rnd(5)}
    net = matches_onnxruntime(model(nodes, {"x": [12, 1]}, inits, opset=9, batch=1), {"x": [12, 1]}, batch=1,
                              to_net=lambda x: x.reshape(x.shape[0], -1))
    assert types(net) == ["featureInputLayer", "fullyConnectedLayer"]
    with pytest.raises(ONNXImportError, match="cannot interpret Reshape target"):
        importNetworkFromONNX(model(nodes, {"x": [12, 1]}, inits, opset=9))


def test_rank3_input_sliced_and_gathered_into_dense_layers() -> None:
    """Pensieve (PyTorch 2.0, [1, 6, 8] input): Slice/Gather pick rows and columns; Gemm on one element, MatMul on
    N×1×K (keeps the 1), Add of the bias first, Reshape to N×K, Concat of features, Gemm."""
    nodes = [node("Slice", ["x", "s0", "s1", "ax1"], "row0"), node("Gather", ["row0", "last"], "g0", axis=2),
             node("Gemm", ["g0", "W0", "b0"], "d0", transB=1),
             node("Slice", ["x", "s2", "s3", "ax1"], "row2"), node("Slice", ["row2", "z", "six", "ax2"], "row2a"),
             node("MatMul", ["row2a", "W1"], "m1"), node("Add", ["b1", "m1"], "d1"), node("Relu", ["d1"], "r1"),
             node("Reshape", ["r1", "flat"], "f1"), h.make_node("Concat", ["d0", "f1"], ["cat"], name="cat", axis=1),
             node("Gemm", ["cat", "W2", "b2"], "y", transB=1)]
    inits = {"s0": np.int64([0]), "s1": np.int64([1]), "s2": np.int64([2]), "s3": np.int64([3]),
             "ax1": np.int64([1]), "ax2": np.int64([2]), "z": np.int64([0]), "six": np.int64([6]),
             "last": np.int64(-1), "W0": rnd(4, 1), "b0": rnd(4), "W1": rnd(6, 7), "b1": rnd(7),
             "flat": np.int64([1, -1]), "W2": rnd(3, 11), "b2": rnd(3)}
    m = model(nodes, {"x": [6, 8]}, inits, opset=12, batch=1)
    net = matches_onnxruntime(m, {"x": [6, 8]}, batch=1, to_net=lambda x: x.reshape(x.shape[0], -1))
    assert types(net).count("fullyConnectedLayer") == 3 and types(net)[0] == "featureInputLayer"


def test_nhwc_input_transposed_before_a_convolution() -> None:
    """tf2onnx's Keras CNN: N×H×W×C input → Transpose(0,3,1,2) → Conv … → Transpose(0,2,3,1) → Reshape → MatMul
    → Add. The input layer is MATLAB's H×W×C image; the network takes N×C×H×W like every layergraph image."""
    nodes = [node("Transpose", ["x"], "t", perm=[0, 3, 1, 2]), node("Conv", ["t", "W", "B"], "c", strides=[2, 2]),
             node("Relu", ["c"], "r"), node("Transpose", ["r"], "t2", perm=[0, 2, 3, 1]),
             node("Reshape", ["t2", "flat"], "f"), node("MatMul", ["f", "M"], "m"), node("Add", ["m", "b"], "y")]
    inits = {"W": rnd(4, 3, 3, 3), "B": rnd(4), "flat": np.int64([-1, 4 * 4 * 3]), "M": rnd(48, 5), "b": rnd(5)}
    net = matches_onnxruntime(model(nodes, {"x": [9, 7, 3]}, inits), {"x": [9, 7, 3]},
                              to_net=lambda x: x.permute(0, 3, 1, 2))
    assert net.Layers[0].InputSize == (9, 7, 3)
    assert types(net) == ["imageInputLayer", "convolution2dLayer", "reluLayer", "flattenLayer",
                          "fullyConnectedLayer"]


# ----- Concat with constants or with features in an order no layer gives ----------------------------------------
def test_concat_with_constants() -> None:
    """Features: a fully connected layer with zero weights and the constant as bias; images: a 1×1 convolution
    with zero weights and one constant per channel (the constant's batch dimension is 1, as ONNX needs)."""
    nodes = [node("Conv", ["x", "W"], "c"), h.make_node("Concat", ["c", "k_img"], ["ci"], name="ci", axis=1),
             node("Conv", ["ci", "W2"], "c2"), node("Flatten", ["c2"], "f"),
             h.make_node("Concat", ["kf", "f"], ["cf"], name="cf", axis=1),
             node("Gemm", ["cf", "G"], "y", transB=1)]
    inits = {"W": rnd(3, 2, 1, 1), "k_img": np.broadcast_to(np.float32([1.5, -2]).reshape(1, 2, 1, 1),
                                                             (1, 2, 3, 4)).copy(),
             "W2": rnd(2, 5, 2, 2), "kf": np.float32([[0.5, -1.0, 3.0]]), "G": rnd(4, 3 + 2 * 2 * 3)}
    net = matches_onnxruntime(model(nodes, {"x": [2, 3, 4]}, inits, batch=1), {"x": [2, 3, 4]}, batch=1)
    assert types(net).count("concatenationLayer") == 2


def test_concat_of_row_major_features_and_a_second_input() -> None:
    """PyTorch's GAN: image.view(N, 784) (row-major) concatenated with a condition, then nn.Linear: the
    concatenation takes MATLAB's column-major flatten and the Linear's columns are permuted."""
    nodes = [node("Reshape", ["x", "flat"], "f"), h.make_node("Concat", ["f", "cond"], ["cat"], name="cat", axis=1),
             node("Gemm", ["cat", "W", "B"], "y", transB=1)]
    inits = {"flat": np.int64([-1, 20]), "W": rnd(6, 23), "B": rnd(6)}
    shapes = {"x": [1, 4, 5], "cond": [3]}
    net = matches_onnxruntime(model(nodes, shapes, inits), shapes)
    assert types(net).count("concatenationLayer") == 1 and "flattenLayer" in types(net)


# ----- ImageScaler, Crop, Slice of H and W, Upsample (opsets ≤ 9) -------------------------------------------------
def test_image_scaler_folds_into_input_normalization_and_into_a_convolution() -> None:
    nodes = [node("ImageScaler", ["x"], "s", scale=0.5, bias=[1.0, -2.0, 0.25]), node("Conv", ["s", "W", "B"], "c"),
             node("ImageScaler", ["c"], "s2", scale=2.0, bias=[0.5, 0.0]), node("Relu", ["s2"], "y")]
    net = matches_onnxruntime(model(nodes, {"x": [3, 5, 6]}, {"W": rnd(2, 3, 3, 3), "B": rnd(2)}, opset=8),
                              {"x": [3, 5, 6]})
    assert types(net) == ["imageInputLayer", "convolution2dLayer", "reluLayer"]
    assert net.Layers[0].Normalization == "zscore"


@pytest.mark.parametrize("how", ["crop", "slice"])
def test_crop_after_convolutions_takes_rows_off_their_padding(how: str) -> None:
    """Crop (opset 9) or Slice of H and W right after a convolution, a transposed convolution (through a ReLU)
    or a max pooling: less padding, more cropping."""
    def cut(src: str, out: str, t: int, b: int, left: int, r: int) -> list:
        if how == "crop":
            return [node("Crop", [src], out, border=[left, t, r, b])]
        starts, ends = f"{out}_s", f"{out}_e"
        inits[starts], inits[ends] = np.int64([t, left]), np.int64([-b if b else 1000, -r if r else 1000])
        return [node("Slice", [src, starts, ends, "hw"], out)]

    inits = {"W": rnd(4, 3, 3, 3), "T": rnd(4, 2, 4, 4), "hw": np.int64([2, 3])}
    nodes = [node("Conv", ["x", "W"], "c", pads=[2, 2, 2, 2], strides=[1, 2]), *cut("c", "cc", 1, 2, 1, 1),
             node("ConvTranspose", ["cc", "T"], "t", strides=[2, 2]), node("Relu", ["t"], "r"),
             *cut("r", "rc", 1, 1, 2, 0), node("MaxPool", ["rc"], "p", kernel_shape=[2, 2], pads=[1, 1, 1, 1]),
             *cut("p", "y", 1, 0, 0, 1)]
    net = matches_onnxruntime(model(nodes, {"x": [3, 9, 8]}, inits, opset=9 if how == "crop" else 13),
                              {"x": [3, 9, 8]})
    assert types(net) == ["imageInputLayer", "convolution2dLayer", "transposedConv2dLayer", "reluLayer",
                          "maxPooling2dLayer"]


def test_slice_of_channels_into_a_convolution() -> None:
    """PyTorch's x[:, 0:3] → Conv: a convolution of all channels with zero weights for the others."""
    nodes = [node("Slice", ["x", "s", "e", "ax"], "xs"), node("Conv", ["xs", "W", "B"], "y")]
    inits = {"s": np.int64([1]), "e": np.int64([3]), "ax": np.int64([1]), "W": rnd(5, 2, 3, 3), "B": rnd(5)}
    net = matches_onnxruntime(model(nodes, {"x": [4, 6, 7]}, inits), {"x": [4, 6, 7]})
    assert types(net) == ["imageInputLayer", "convolution2dLayer"]


@pytest.mark.parametrize("opset", [7, 9])
def test_upsample_nearest_as_resize2d(opset: int) -> None:
    """PyTorch 1.11's GAN generator (opset 9): Gemm → Reshape → BatchNormalization → Upsample(nearest) → Conv."""
    up = (node("Upsample", ["bn"], "u", mode="nearest", scales=[1.0, 1.0, 2.0, 3.0]) if opset == 7
          else node("Upsample", ["bn", "sc"], "u", mode="nearest"))
    nodes = [node("Gemm", ["x", "W", "B"], "g", transB=1), node("Reshape", ["g", "shape"], "img"),
             node("BatchNormalization", ["img", "s", "o", "mu", "var"], "bn"), up,
             node("Conv", ["u", "K"], "y", pads=[1, 1, 1, 1])]
    inits = {"W": rnd(24, 5), "B": rnd(24), "shape": np.int64([-1, 4, 2, 3]), "s": rnd(4) + 2, "o": rnd(4),
             "mu": rnd(4), "var": np.float32([0.5, 1, 2, 3]), "sc": np.float32([1, 1, 2, 3]), "K": rnd(3, 4, 3, 3)}
    net = matches_onnxruntime(model(nodes, {"x": [5]}, inits, opset=opset), {"x": [5]})
    assert "resize2dLayer" in types(net)


# ----- MATLAB's exports ----------------------------------------------------------------------------------------------
MATLAB = "MATLAB Deep Learning Toolbox Converter for ONNX Model Format"


@pytest.mark.parametrize("producer", [MATLAB, "pytorch"])
def test_matlab_fully_connected_exported_as_full_size_conv(producer: str) -> None:
    """MATLAB R2019b–R2022a write fullyConnectedLayer on an image as a Conv covering the image (then 1×1 Convs);
    they come back as fullyConnectedLayer with the same numbers. Other producers' convolutions stay."""
    nodes = [node("Sub", ["x", "mean"], "xs"), node("Conv", ["xs", "W1", "B1"], "fc1"), node("Relu", ["fc1"], "r"),
             node("Conv", ["r", "W2", "B2"], "fc2"), node("Flatten", ["fc2"], "y")]
    inits = {"mean": rnd(1, 3, 1, 1), "W1": rnd(6, 3, 2, 4), "B1": rnd(6), "W2": rnd(2, 6, 1, 1), "B2": rnd(2)}
    net = matches_onnxruntime(model(nodes, {"x": [3, 2, 4]}, inits, opset=8, producer=producer), {"x": [3, 2, 4]},
                              batch=1)
    want = "fullyConnectedLayer" if producer == MATLAB else "convolution2dLayer"
    # a fullyConnectedLayer gives "CB" data (as MATLAB's dlnetwork): the first, whose N×6×1×1 output the Relu
    # reads as an image, comes back as projectAndReshapeLayer to 1×1×6; the final Flatten needs no layer
    if producer == MATLAB:
        assert types(net) == ["imageInputLayer", "projectAndReshapeLayer", "reluLayer", want]
    else:
        assert types(net) == ["imageInputLayer", want, "reluLayer", want, "flattenLayer"]


@pytest.mark.parametrize("how", ["channel slice", "reshaped features"])
def test_matlab_full_size_conv_on_a_selection(how: str) -> None:
    """A full-size Conv reading some channels of an image (zero weights for the others), or a dense layer's
    output reshaped to an image (the weight columns permuted): a fullyConnectedLayer, no feature2image. (The Relu
    after the latter takes an image, so its N×6×1×1 output becomes a projectAndReshapeLayer to 1×1×6.)"""
    if how == "channel slice":
        first = [node("Slice", ["x", "st", "en", "ax"], "xs")]
        inits = {"st": np.array([1]), "en": np.array([3]), "ax": np.array([1]), "W1": rnd(6, 2, 2, 4)}
        want = ["imageInputLayer", "projectAndReshapeLayer", "reluLayer", "fullyConnectedLayer"]
    else:
        first = [node("Flatten", ["x"], "xf"), node("Gemm", ["xf", "W0", "B0"], "g", transB=1),
                 node("Reshape", ["g", "shp"], "xs")]
        inits = {"W0": rnd(12, 24), "B0": rnd(12), "shp": np.array([-1, 3, 2, 2]), "W1": rnd(6, 3, 2, 2)}
        want = ["imageInputLayer", "flattenLayer", "fullyConnectedLayer", "projectAndReshapeLayer", "reluLayer",
                "fullyConnectedLayer"]  # its "CB" output needs no flattenLayer for the final Flatten
    nodes = [*first, node("Conv", ["xs", "W1", "B1"], "fc1"), node("Relu", ["fc1"], "r"),
             node("Conv", ["r", "W2", "B2"], "fc2"), node("Flatten", ["fc2"], "y")]
    inits |= {"B1": rnd(6), "W2": rnd(2, 6, 1, 1), "B2": rnd(2)}
    net = matches_onnxruntime(model(nodes, {"x": [3, 2, 4]}, inits, producer=MATLAB), {"x": [3, 2, 4]}, batch=1)
    assert types(net) == want


def dense_numpy(path: Path, x: np.ndarray) -> np.ndarray:
    """The MATLAB R2018b MLP export (Sub mean → Gemm → Relu → … → Gemm) in numpy, read from the file."""
    m = onnx.load(str(path))
    w = {t.name: onnx.numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    v = x.astype(np.float64)
    for n in m.graph.node:
        if n.op_type == "Sub":
            v = v - w[n.input[1]]
        elif n.op_type == "Gemm":
            v = v.reshape(v.shape[0], -1) @ w[n.input[1]].T + w[n.input[2]]
        elif n.op_type == "Relu":
            v = np.maximum(v, 0)
        else:
            raise AssertionError(n.op_type)
    return v


@pytest.mark.parametrize("name", ["m18b_1L_housing.onnx", "m18b_2L_engine.onnx"])
def test_matlab_r2018b_gemm_on_image_input_real_file(name: str) -> None:
    """Real MATLAB R2018b exports (opset 6; MIT, verivital/nnvmt): Gemm on the N×1×1×K image input, which
    onnxruntime refuses (it wants rank 2); compared with numpy."""
    path = DATA / name
    net = importNetworkFromONNX(path)
    assert types(net)[0] == "imageInputLayer" and types(net).count("fullyConnectedLayer") == (2 if "1L" in name
                                                                                             else 3)
    size = net.Layers[0].InputSize
    x = np.random.default_rng(0).standard_normal((4, size[2], size[0], size[1])).astype(np.float32)
    np.testing.assert_allclose(predict(net, torch.from_numpy(x)).reshape(4, -1), dense_numpy(path, x),
                               rtol=RTOL, atol=ATOL)


# ----- what stays unsupported: one line, exit 2 ---------------------------------------------------------------
@pytest.mark.parametrize(("nodes", "inits", "msg"), [
    ([node("LRN", ["x"], "y", size=3)], {}, r"\(LRN\): no layergraph layer for ONNX operator LRN"),
    ([node("Conv", ["x", "W"], "y", group=2)], {"W": rnd(2, 1, 1, 1)}, "do not split into 2 groups"),
    ([node("Upsample", ["x", "sc"], "y", mode="linear")], {"sc": np.float32([1, 1, 2, 2])}, "Upsample mode 'linear'"),
    ([node("Reshape", ["x", "s"], "r"), node("Transpose", ["r"], "t", perm=[0, 1, 4, 2, 5, 3]),
      node("Reshape", ["t", "s2"], "y")], {"s": np.int64([-1, 1, 1, 3, 4, 5]), "s2": np.int64([-1, 1, 4, 15])},
     "rearranged"),  # PyTorch's PixelShuffle: no depth-to-space layer
])
def test_unsupported_patterns_are_one_line_errors(nodes: list, inits: dict, msg: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    m = model(nodes, {"x": [3, 4, 5]}, inits, opset=9)
    with pytest.raises(ONNXImportError, match=msg):
        importNetworkFromONNX(m)
    onnx.save(m, str(tmp_path / "m.onnx"))
    assert main(["import", str(tmp_path / "m.onnx"), "--out", str(tmp_path / "m.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
