"""The layers real MATLAB programs need beyond the first set (issue 12, item 4), against numpy written from
MATLAB's documented formulas: 1-D (transposed) convolution with PaddingValue, instance and group
normalization, GELU, swish, clipped ReLU, multiplication, crop2d, sequence input; batch normalization on one
value per channel. MATLAB layouts: H×W×C×B for images, C×B×T for sequences."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import NetworkError, OptionError
from layergraph.sizes import Act, image, sequence

rng = np.random.default_rng(12)


def img_torch(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(x, dtype=np.float64).transpose(3, 2, 0, 1).copy()).float()


def img_matlab(y: torch.Tensor) -> np.ndarray:
    return y.detach().double().numpy().transpose(2, 3, 1, 0)


def seq_torch(x: np.ndarray) -> torch.Tensor:
    """C×B×T → B×C×T."""
    return torch.from_numpy(np.asarray(x, dtype=np.float64).transpose(1, 0, 2).copy()).float()


def seq_matlab(y: torch.Tensor) -> np.ndarray:
    return y.detach().double().numpy().transpose(1, 0, 2)


def run(layer: lg.Layer, acts: list[Act], xs: list[torch.Tensor], params: dict | None = None,
        training: bool = False) -> torch.Tensor:
    module = layer.build(acts)
    for name, value in (params or {}).items():
        module.from_matlab(name, value)
    module.train(training)
    y = module(*xs)
    assert tuple(y.shape) == layer.output_size(acts).torch_shape(y.shape[0])
    return y


# ----- 1-D convolution ------------------------------------------------------------------------------------------
def np_pad_1d(x: np.ndarray, left: int, right: int, value: float | str) -> np.ndarray:
    """Pad C×B×T along T as MATLAB's PaddingValue says."""
    widths = ((0, 0), (0, 0), (left, right))
    modes = {"replicate": "edge", "symmetric-include-edge": "symmetric", "symmetric-exclude-edge": "reflect"}
    if isinstance(value, str):
        return np.pad(x, widths, mode=modes[value])
    return np.pad(x, widths, constant_values=value)


def np_conv1d(x: np.ndarray, w: np.ndarray, b: np.ndarray, s: int, d: int, left: int, right: int,
              value: float | str = 0.0) -> np.ndarray:
    """y(f, n, t) = Σ_k,c w(k, c, f)·xp(c, n, t·s + k·d) + b(f); x C×B×T, w K×C×F."""
    xp = np_pad_1d(x, left, right, value)
    k = w.shape[0]
    eff = (k - 1) * d + 1
    n_out = (xp.shape[2] - eff) // s + 1
    y = np.zeros((w.shape[2], x.shape[1], n_out))
    for t in range(n_out):
        patch = xp[:, :, t * s: t * s + eff: d]  # C×B×K
        y[:, :, t] = np.einsum("cbk,kcf->fb", patch, w)
    return y + b.reshape(-1, 1, 1)


@pytest.mark.parametrize(("k", "s", "d", "padding", "value", "pads"), [
    (3, 1, 1, "same", 0.0, (1, 1)),
    (4, 2, 1, "same", "replicate", (1, 1)),  # T=7, S=2: out 4, total (4−1)·2+4−7 = 3 → [1 2]
    (3, 1, 2, "causal", 0.0, (4, 0)),
    (3, 1, 1, [2, 1], "symmetric-include-edge", (2, 1)),
    (2, 3, 1, 2, "symmetric-exclude-edge", (2, 2)),
    (3, 1, 1, [1, 2], 1.5, (1, 2)),
])
def test_convolution1d_matches_matlab_formula(k, s, d, padding, value, pads) -> None:
    c, f, t, b = 3, 4, 7, 2
    layer = lg.convolution1dLayer(k, f, Stride=s, DilationFactor=d, Padding=padding, PaddingValue=value)
    if padding == "same":
        total = max((math.ceil(t / s) - 1) * s + (k - 1) * d + 1 - t, 0)
        pads = (total // 2, total - total // 2)
    x = rng.standard_normal((c, b, t))
    w, bias = rng.standard_normal((k, c, f)), rng.standard_normal((1, f))
    assert layer.learnables([sequence(c, t)]) == {"Weights": (k, c, f), "Bias": (1, f)}
    y = run(layer, [sequence(c, t)], [seq_torch(x)], {"Weights": w, "Bias": bias})
    np.testing.assert_allclose(seq_matlab(y), np_conv1d(x, w, bias, s, d, *pads, value), rtol=1e-4, atol=1e-4)


def test_convolution1d_on_scb_signals_and_its_errors() -> None:
    layer = lg.convolution1dLayer(3, 2, Padding="same")
    assert layer.output_size([Act((10, 4), "SC")]) == Act((10, 2), "SC")
    with pytest.raises(NetworkError, match="expects 1-D data"):
        layer.output_size([image(4, 4, 1)])
    with pytest.raises(OptionError, match="PaddingValue"):
        lg.convolution1dLayer(3, 2, PaddingValue="mirror")


def np_tconv1d(x: np.ndarray, w: np.ndarray, b: np.ndarray, s: int, crop: tuple[int, int]) -> np.ndarray:
    """Full transposed convolution y(f, n, i·s + k) += w(k, f, c)·x(c, n, i), then [left right] cropping."""
    k, f, _ = w.shape
    t = x.shape[2]
    full = np.zeros((f, x.shape[1], (t - 1) * s + k))
    for i in range(t):
        full[:, :, i * s: i * s + k] += np.einsum("cb,kfc->fbk", x[:, :, i], w)
    full += b.reshape(-1, 1, 1)
    left, right = crop
    return full[:, :, left: full.shape[2] - right]


@pytest.mark.parametrize(("k", "s", "cropping", "crop"), [(4, 2, "same", (1, 1)), (3, 2, "same", (0, 1)),
                                                          (3, 1, [1, 0], (1, 0)), (2, 2, 0, (0, 0))])
def test_transposed_convolution1d_matches_matlab_formula(k, s, cropping, crop) -> None:
    c, f, t, b = 2, 3, 5, 2
    layer = lg.transposedConv1dLayer(k, f, Stride=s, Cropping=cropping)
    x = rng.standard_normal((c, b, t))
    w, bias = rng.standard_normal((k, f, c)), rng.standard_normal((1, f))
    assert layer.learnables([sequence(c, t)]) == {"Weights": (k, f, c), "Bias": (1, f)}
    y = run(layer, [sequence(c, t)], [seq_torch(x)], {"Weights": w, "Bias": bias})
    expect = np_tconv1d(x, w, bias, s, crop)
    if cropping == "same":
        assert expect.shape[2] == s * t
    np.testing.assert_allclose(seq_matlab(y), expect, rtol=1e-4, atol=1e-4)


# ----- PaddingValue on 2-D convolution ----------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "mode"), [("replicate", "edge"), ("symmetric-exclude-edge", "reflect"),
                                             ("symmetric-include-edge", "symmetric"), (2.0, None)])
def test_convolution2d_padding_value(value, mode) -> None:
    x = rng.standard_normal((5, 4, 2, 2))
    w, b = rng.standard_normal((3, 3, 2, 1)), np.zeros((1, 1, 1))
    layer = lg.convolution2dLayer(3, 1, Padding=[1, 2, 2, 1], PaddingValue=value)
    y = img_matlab(run(layer, [image(5, 4, 2)], [img_torch(x)], {"Weights": w, "Bias": b}))
    widths = ((1, 2), (2, 1), (0, 0), (0, 0))
    xp = np.pad(x, widths, mode=mode) if mode else np.pad(x, widths, constant_values=value)
    expect = np.zeros((y.shape[0], y.shape[1], 1, 2))
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            expect[i, j, 0] = np.einsum("hwcn,hwc->n", xp[i:i + 3, j:j + 3], w[..., 0])
    np.testing.assert_allclose(y, expect, rtol=1e-4, atol=1e-4)


# ----- normalization -------------------------------------------------------------------------------------------------
def np_group_norm(x: np.ndarray, groups: int, scale: np.ndarray, offset: np.ndarray, eps: float) -> np.ndarray:
    """x H×W×C×B: each observation's group of channels normalized over the group and all positions."""
    c, b = x.shape[2], x.shape[3]
    y = np.empty_like(x)
    per = c // groups
    for n in range(b):
        for k in range(groups):
            block = x[:, :, k * per:(k + 1) * per, n]
            y[:, :, k * per:(k + 1) * per, n] = (block - block.mean()) / np.sqrt(block.var() + eps)
    return y * scale.reshape(1, 1, -1, 1) + offset.reshape(1, 1, -1, 1)


@pytest.mark.parametrize(("layer", "groups"), [
    (lambda: lg.instanceNormalizationLayer(), 4),
    (lambda: lg.groupNormalizationLayer(2, Epsilon=1e-3), 2),
    (lambda: lg.groupNormalizationLayer("all-channels"), 1),
    (lambda: lg.groupNormalizationLayer("channel-wise"), 4),
])
def test_instance_and_group_normalization(layer, groups) -> None:
    x = rng.standard_normal((3, 5, 4, 2)) * 3 + 1
    scale, offset = rng.standard_normal((1, 1, 4)), rng.standard_normal((1, 1, 4))
    made = layer()
    assert made.learnables([image(3, 5, 4)]) == {"Offset": (1, 1, 4), "Scale": (1, 1, 4)}
    for training in (False, True):  # no running statistics: the same in both modes
        y = run(made, [image(3, 5, 4)], [img_torch(x)], {"Scale": scale, "Offset": offset}, training)
        np.testing.assert_allclose(img_matlab(y), np_group_norm(x, groups, scale, offset, made.Epsilon),
                                   rtol=1e-4, atol=1e-4)


def test_group_normalization_errors() -> None:
    with pytest.raises(NetworkError, match="4 channels do not divide into 3 groups"):
        lg.groupNormalizationLayer(3).output_size([image(2, 2, 4)])
    with pytest.raises(OptionError, match="NumGroups"):
        lg.groupNormalizationLayer(0)
    with pytest.raises(NetworkError, match="normalizes over spatial or time positions"):
        lg.instanceNormalizationLayer().output_size([Act((4,), "C")])


def test_batch_normalization_in_training_on_one_value_per_channel() -> None:
    """torch refuses a 1×1×C×1 batch in training (ValueError); MATLAB normalizes it: the output is Offset."""
    net = lg.dlnetwork([lg.imageInputLayer([1, 1, 3], Name="in"), lg.batchNormalizationLayer(Name="bn")])
    net.setLearnable("bn", "Offset", np.array([1.0, 2.0, 3.0]).reshape(1, 1, 3))
    y, _ = net.forward(lg.dlarray(torch.randn(1, 1, 3, 1), "SSCB"))
    np.testing.assert_allclose(lg.extractdata(y).reshape(-1).numpy(), [1.0, 2.0, 3.0], atol=1e-5)


# ----- element-wise layers -------------------------------------------------------------------------------------------
def test_gelu_swish_clipped_relu() -> None:
    x = np.linspace(-4, 4, 41).reshape(1, 1, -1, 1)
    erf = np.vectorize(math.erf)
    cases = [
        (lg.geluLayer(), 0.5 * x * (1 + erf(x / math.sqrt(2)))),
        (lg.geluLayer(Approximation="tanh"), 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))),
        (lg.swishLayer(), x / (1 + np.exp(-x))),
        (lg.clippedReluLayer(2.5), np.clip(x, 0, 2.5)),
    ]
    for layer, expect in cases:
        y = img_matlab(run(layer, [image(1, 1, 41)], [img_torch(x)]))
        np.testing.assert_allclose(y, expect, rtol=1e-5, atol=1e-6, err_msg=layer.type)
    assert lg.geluLayer().description() == "GELU"
    with pytest.raises(OptionError):
        lg.clippedReluLayer(-1)


def test_multiplication_with_matlab_expansion() -> None:
    a, b, c = rng.standard_normal((3, 4, 2, 2)), rng.standard_normal((3, 4, 2, 2)), rng.standard_normal((1, 1, 2, 2))
    layer = lg.multiplicationLayer(3)
    assert layer.input_names == ["in1", "in2", "in3"]
    acts = [image(3, 4, 2), image(3, 4, 2), image(1, 1, 2)]
    y = img_matlab(run(layer, acts, [img_torch(a), img_torch(b), img_torch(c)]))
    np.testing.assert_allclose(y, a * b * c, rtol=1e-5, atol=1e-6)
    with pytest.raises(NetworkError, match="input sizes do not match"):
        layer.output_size([image(3, 4, 2), image(2, 4, 2), image(3, 4, 2)])


@pytest.mark.parametrize(("location", "top", "left"), [("centercrop", 1, 1), ([2, 3], 2, 1), ([1, 1], 0, 0)])
def test_crop2d(location, top, left) -> None:
    x, ref = rng.standard_normal((6, 7, 2, 2)), rng.standard_normal((3, 4, 5, 2))
    layer = lg.crop2dLayer(location)
    assert layer.input_names == ["in", "ref"]
    y = img_matlab(run(layer, [image(6, 7, 2), image(3, 4, 5)], [img_torch(x), img_torch(ref)]))
    np.testing.assert_allclose(y, x[top:top + 3, left:left + 4], rtol=1e-6)
    with pytest.raises(NetworkError, match="does not fit"):
        lg.crop2dLayer([5, 5]).output_size([image(6, 7, 2), image(3, 4, 5)])


def test_crop2d_in_a_graph_with_named_ports() -> None:
    lgraph = lg.layerGraph([lg.imageInputLayer([6, 6, 1], Name="big"), lg.crop2dLayer("centercrop", Name="crop")])
    lgraph = lgraph.addLayers(lg.imageInputLayer([4, 4, 1], Name="small"))
    lgraph = lgraph.connectLayers("small", "crop/ref")
    net = lg.dlnetwork(lgraph)
    x = torch.arange(36.0).reshape(6, 6, 1, 1)
    y = net.predict(lg.dlarray(x, "SSCB"), lg.dlarray(torch.zeros(4, 4, 1, 1), "SSCB"))
    np.testing.assert_allclose(lg.extractdata(y).numpy(), x[1:5, 1:5].numpy())


# ----- sequence input ------------------------------------------------------------------------------------------
def test_sequence_input_normalization_min_length_and_conv1d() -> None:
    net = lg.dlnetwork([lg.sequenceInputLayer(2, MinLength=3, Normalization="zscore", Mean=[1, 2],
                                              StandardDeviation=[2, 4], Name="seq"),
                        lg.convolution1dLayer(3, 4, Padding="causal", Name="conv")])
    assert net.analysis.outputs["seq"] == Act((2, 3), "CT")
    x = rng.standard_normal((2, 5, 9))  # C×B×T, longer than the analysed length
    y = net.predict(lg.dlarray(torch.from_numpy(x).float(), "CBT"), Outputs="seq")
    expect = (x - np.array([1, 2]).reshape(2, 1, 1)) / np.array([2, 4]).reshape(2, 1, 1)
    np.testing.assert_allclose(lg.extractdata(y).numpy(), expect, rtol=1e-5, atol=1e-6)
    out = net.predict(lg.dlarray(torch.from_numpy(x).float(), "CBT"))
    assert out.fmt == "CBT" and tuple(lg.extractdata(out).shape) == (4, 5, 9)
    with pytest.raises(NetworkError, match="at least 3 time steps"):
        net.predict(lg.dlarray(torch.zeros(2, 1, 2), "CBT"))


def test_word_embedding_looks_up_columns_and_maps_unknown_words_to_the_last() -> None:
    """wordEmbeddingLayer(dimension, numWords): at each time step, word index k (1-based) gives column k of
    Weights; with OOVMode 'map-to-last' (the default) Weights has a last, (numWords+1)-th column for every index
    outside 1…numWords; with 'error' it has numWords columns and such an index is an error. CBT in, CBT out."""
    layer = lg.wordEmbeddingLayer(3, 5)
    assert layer.learnables([sequence(1, 4)]) == {"Weights": (3, 6)}
    assert layer.output_size([sequence(1, 4)]) == sequence(3, 4)
    wt = rng.standard_normal((3, 6))
    idx = np.array([[[1, 5, 0, 7]], [[2, 2.5, 3, 4]]]).transpose(1, 0, 2)  # C×B×T: 1 channel, 2 sequences
    want = np.where(((idx >= 1) & (idx <= 5) & (idx == np.round(idx)))[0], idx[0], 6).astype(int) - 1
    y = seq_matlab(run(layer, [sequence(1, 4)], [seq_torch(idx)], params={"Weights": wt}))
    np.testing.assert_allclose(y, wt[:, want], rtol=1e-6)  # Dimension×B×T
    strict = lg.wordEmbeddingLayer(3, 5, OOVMode="error")
    assert strict.learnables([sequence(1, 4)]) == {"Weights": (3, 5)}
    ok = np.array([[[1, 5, 2, 4]]])
    y = seq_matlab(run(strict, [sequence(1, 4)], [seq_torch(ok)], params={"Weights": wt[:, :5]}))
    np.testing.assert_allclose(y, wt[:, ok[0] - 1], rtol=1e-6)
    with pytest.raises(NetworkError, match="word index 0 is out of vocabulary"):
        run(strict, [sequence(1, 4)], [seq_torch(idx)], params={"Weights": wt[:, :5]})
    with pytest.raises(NetworkError, match="one channel holding the word indices"):
        lg.wordEmbeddingLayer(3, 5).output_size([sequence(2, 4)])
    torch.manual_seed(0)
    w = lg.wordEmbeddingLayer(400, 300).build([sequence(1, 4)]).Weights.detach()
    assert abs(float(w.std()) - 0.01) < 5e-4 and abs(float(w.mean())) < 5e-4  # 'narrow-normal': N(0, 0.01²)
