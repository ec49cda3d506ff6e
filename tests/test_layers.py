"""Layers against MATLAB's documented rules: output sizes and learnable shapes from the formulas, numerics
against numpy implementations written from MATLAB's definitions (MATLAB layout H×W×C×B throughout)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import NetworkError, OptionError
from layergraph.sizes import Act, features, image

rng = np.random.default_rng(0)


# ----- helpers: run one layer on MATLAB-layout data -------------------------------------------------
def to_torch(x: np.ndarray) -> torch.Tensor:
    """H×W×C×B (or C×B) numpy → torch NCHW (or NC)."""
    x = np.asarray(x, dtype=np.float64)
    return torch.from_numpy(x.transpose(3, 2, 0, 1) if x.ndim == 4 else x.T.copy()).float()


def to_matlab(y: torch.Tensor) -> np.ndarray:
    y = y.detach().double().numpy()
    return y.transpose(2, 3, 1, 0) if y.ndim == 4 else y.T


def act_of(x: np.ndarray) -> Act:
    return image(*x.shape[:3]) if x.ndim == 4 else features(x.shape[0])


def run(layer: lg.Layer, *xs: np.ndarray, params: dict | None = None, training: bool = False) -> np.ndarray:
    """Build `layer` for the inputs' sizes, load MATLAB-layout parameters, and return MATLAB-layout output;
    also checks the module's output size against the layer's own size rule."""
    acts = [act_of(x) for x in xs]
    module = layer.build(acts)
    for name, value in (params or {}).items():
        module.from_matlab(name, value)
    module.train(training)
    y = module(*[to_torch(x) for x in xs])
    expect = layer.output_size(acts)
    assert tuple(y.shape) == expect.torch_shape(y.shape[0]), (layer.type, tuple(y.shape), expect)
    return to_matlab(y)


def np_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: tuple, dil: tuple, pad: tuple) -> np.ndarray:
    """MATLAB convolution (cross-correlation): x H×W×C×N, w Fh×Fw×C×F, pad [t b l r]."""
    t, bo, left, r = pad
    xp = np.pad(x, ((t, bo), (left, r), (0, 0), (0, 0)))
    fh, fw, _, nf = w.shape
    eh, ew = (fh - 1) * dil[0] + 1, (fw - 1) * dil[1] + 1
    oh, ow = (xp.shape[0] - eh) // stride[0] + 1, (xp.shape[1] - ew) // stride[1] + 1
    y = np.zeros((oh, ow, nf, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            patch = xp[i * stride[0]: i * stride[0] + eh: dil[0], j * stride[1]: j * stride[1] + ew: dil[1]]
            y[i, j] = np.einsum("hwcn,hwcf->fn", patch, w)
    return y + b.reshape(1, 1, -1, 1)


def np_tconv(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: tuple, crop: tuple) -> np.ndarray:
    """MATLAB transposed convolution: every input pixel scatters w (Fh×Fw×F×C) into the full output, then crop."""
    h, wd, _, n = x.shape
    fh, fw, nf, _ = w.shape
    full = np.zeros(((h - 1) * stride[0] + fh, (wd - 1) * stride[1] + fw, nf, n))
    for i in range(h):
        for j in range(wd):
            full[i * stride[0]: i * stride[0] + fh, j * stride[1]: j * stride[1] + fw] += \
                np.einsum("cn,hwfc->hwfn", x[i, j], w)
    t, bo, left, r = crop
    return full[t: full.shape[0] - bo, left: full.shape[1] - r] + b.reshape(1, 1, -1, 1)


def same_pad(n: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """MATLAB 'same': total so that out = ceil(n/s); top/left floor(total/2), bottom/right the rest."""
    eff = (k - 1) * d + 1
    total = max((math.ceil(n / s) - 1) * s + eff - n, 0)
    return total // 2, total - total // 2


# ----- convolution ------------------------------------------------------------------------------
CONV_CASES = [  # (H, W, C, k, F, stride, dilation, padding)
    (7, 8, 3, 3, 4, 1, 1, "same"), (7, 8, 3, 3, 4, 2, 1, "same"), (9, 6, 2, 4, 3, 3, 1, "same"),
    (8, 8, 2, 5, 2, 2, 1, "same"), (10, 7, 2, 3, 3, 1, 2, "same"), (7, 9, 2, 3, 2, 2, 1, 0),
    (8, 8, 1, 3, 2, 3, 1, 1), (9, 8, 2, 2, 3, 2, 2, [1, 2]), (6, 7, 2, 3, 2, 1, 1, [0, 2, 1, 3]),
    (5, 6, 3, (2, 3), 2, (1, 2), 1, [2, 0, 0, 1]),
]


@pytest.mark.parametrize("h,w,c,k,f,s,d,pad", CONV_CASES)
def test_convolution_size_learnables_and_values(h, w, c, k, f, s, d, pad) -> None:
    layer = lg.convolution2dLayer(k, f, Stride=s, DilationFactor=d, Padding=pad)
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (s, s) if isinstance(s, int) else s
    if pad == "same":
        sides = (*same_pad(h, kh, sh, d), *same_pad(w, kw, sw, d))
        expect_hw = (math.ceil(h / sh), math.ceil(w / sw))
    else:
        p = [pad] * 4 if isinstance(pad, int) else ([pad[0], pad[0], pad[1], pad[1]] if len(pad) == 2 else pad)
        sides = tuple(p)
        expect_hw = ((h + p[0] + p[1] - ((kh - 1) * d + 1)) // sh + 1, (w + p[2] + p[3] - ((kw - 1) * d + 1)) // sw + 1)
    assert layer.output_size([image(h, w, c)]).size == (*expect_hw, f)
    assert layer.learnables([image(h, w, c)]) == {"Weights": (kh, kw, c, f), "Bias": (1, 1, f)}
    x = rng.standard_normal((h, w, c, 2))
    wt, b = rng.standard_normal((kh, kw, c, f)), rng.standard_normal((1, 1, f))
    y = run(layer, x, params={"Weights": wt, "Bias": b})
    np.testing.assert_allclose(y, np_conv(x, wt, b, (sh, sw), (d, d), sides), rtol=1e-4, atol=1e-4)


def test_same_padding_puts_the_extra_row_and_column_bottom_right() -> None:
    """A 2×2 all-ones filter with 'same' on a one-hot image: MATLAB pads 0 top/left and 1 bottom/right,
    so output (i, j) sums inputs (i..i+1, j..j+1) and the hot pixel shows up above-left of itself."""
    x = np.zeros((4, 4, 1, 1))
    x[2, 2] = 1
    y = run(lg.convolution2dLayer(2, 1, Padding="same"), x,
            params={"Weights": np.ones((2, 2, 1, 1)), "Bias": np.zeros((1, 1, 1))})[:, :, 0, 0]
    expect = np.zeros((4, 4))
    expect[1:3, 1:3] = 1
    np.testing.assert_array_equal(y, expect)


TCONV_CASES = [  # (H, W, C, k, F, stride, cropping)
    (4, 4, 3, 5, 2, 2, "same"), (3, 5, 2, 4, 3, 2, "same"), (3, 4, 2, 3, 2, 1, "same"), (2, 3, 2, 4, 2, 3, "same"),
    (3, 3, 2, 5, 2, 3, "same"), (4, 3, 2, 3, 2, 2, 0), (3, 4, 2, 4, 3, 2, 1), (3, 3, 1, 5, 2, 3, [1, 2]),
    (3, 4, 2, 4, 2, 2, [0, 1, 2, 0]),
]


@pytest.mark.parametrize("h,w,c,k,f,s,crop", TCONV_CASES)
def test_transposed_convolution_size_learnables_and_values(h, w, c, k, f, s, crop) -> None:
    layer = lg.transposedConv2dLayer(k, f, "Stride", s, "Cropping", crop)
    if crop == "same":
        total = k - s
        sides = (total // 2, total - total // 2) * 2
        expect_hw = (s * h, s * w)
    else:
        sides = tuple([crop] * 4 if isinstance(crop, int) else
                      ([crop[0], crop[0], crop[1], crop[1]] if len(crop) == 2 else crop))
        expect_hw = (s * (h - 1) + k - sides[0] - sides[1], s * (w - 1) + k - sides[2] - sides[3])
    assert layer.output_size([image(h, w, c)]).size == (*expect_hw, f)
    # MATLAB stores transposed-convolution weights filters before channels: Fh×Fw×NumFilters×C
    assert layer.learnables([image(h, w, c)]) == {"Weights": (k, k, f, c), "Bias": (1, 1, f)}
    x = rng.standard_normal((h, w, c, 2))
    wt, b = rng.standard_normal((k, k, f, c)), rng.standard_normal((1, 1, f))
    y = run(layer, x, params={"Weights": wt, "Bias": b})
    np.testing.assert_allclose(y, np_tconv(x, wt, b, (s, s), sides), rtol=1e-4, atol=1e-4)


def test_same_cropping_cuts_the_extra_row_and_column_bottom_right() -> None:
    """F 3, S 2 ('same' crops 1): MATLAB removes it from the bottom/right, keeping the full output's top-left."""
    x = rng.standard_normal((3, 3, 1, 1))
    wt = rng.standard_normal((3, 3, 1, 1))
    y = run(lg.transposedConv2dLayer(3, 1, Stride=2, Cropping="same"), x,
            params={"Weights": wt, "Bias": np.zeros((1, 1, 1))})
    full = np_tconv(x, wt, np.zeros(1), (2, 2), (0, 0, 0, 0))
    assert full.shape[:2] == (7, 7) and y.shape[:2] == (6, 6)
    np.testing.assert_allclose(y, full[:6, :6], rtol=1e-5, atol=1e-5)
    assert not np.allclose(y, full[1:, 1:], atol=1e-3)


def test_transposed_filter_smaller_than_stride_pads_at_the_end() -> None:
    x = rng.standard_normal((3, 2, 1, 1))
    wt = rng.standard_normal((2, 2, 1, 1))
    y = run(lg.transposedConv2dLayer(2, 1, Stride=3, Cropping="same"), x,
            params={"Weights": wt, "Bias": np.zeros((1, 1, 1))})
    full = np_tconv(x, wt, np.zeros(1), (3, 3), (0, 0, 0, 0))  # 8×5
    assert y.shape[:2] == (9, 6)
    np.testing.assert_allclose(y[:8, :5], full, rtol=1e-5, atol=1e-5)
    assert not y[8:].any() and not y[:, 5:].any()


# ----- pooling ---------------------------------------------------------------------------------
def np_pool(x: np.ndarray, kind: str, k: tuple, s: tuple, pad: tuple) -> np.ndarray:
    t, b, left, r = pad
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((t, b), (left, r), (0, 0), (0, 0)), constant_values=fill)
    oh, ow = (xp.shape[0] - k[0]) // s[0] + 1, (xp.shape[1] - k[1]) // s[1] + 1
    y = np.zeros((oh, ow, *x.shape[2:]))
    for i in range(oh):
        for j in range(ow):
            win = xp[i * s[0]: i * s[0] + k[0], j * s[1]: j * s[1] + k[1]]
            y[i, j] = win.max((0, 1)) if kind == "max" else win.mean((0, 1))
    return y


@pytest.mark.parametrize("ctor,kind", [(lg.maxPooling2dLayer, "max"), (lg.averagePooling2dLayer, "average")])
@pytest.mark.parametrize("h,w,k,s,pad", [(7, 8, 3, 2, "same"), (8, 8, 2, 2, 0), (9, 7, 3, 3, "same"),
                                          (6, 5, 2, 1, [0, 1, 1, 0]), (5, 5, 3, 1, 1)])
def test_pooling(ctor, kind, h, w, k, s, pad) -> None:
    layer = ctor(k, Stride=s, Padding=pad)
    if pad == "same":
        sides = (*same_pad(h, k, s), *same_pad(w, k, s))
        assert layer.output_size([image(h, w, 3)]).size == (math.ceil(h / s), math.ceil(w / s), 3)
    else:
        sides = tuple([pad] * 4 if isinstance(pad, int) else pad)
    x = rng.standard_normal((h, w, 3, 2))
    np.testing.assert_allclose(run(layer, x), np_pool(x, kind, (k, k), (s, s), sides), rtol=1e-5, atol=1e-5)
    assert layer.learnables([image(h, w, 3)]) == {}


def test_global_average_pooling() -> None:
    x = rng.standard_normal((5, 4, 3, 2))
    y = run(lg.globalAveragePooling2dLayer(), x)
    assert y.shape == (1, 1, 3, 2)
    np.testing.assert_allclose(y[0, 0], x.mean((0, 1)), rtol=1e-5)


# ----- fully connected and the examples' custom layers -----------------------------------------------
def test_fully_connected_flattens_images_column_major() -> None:
    """MATLAB: Y = W * X(:) + b with X(:) running down H first, then W, then C."""
    x = rng.standard_normal((3, 4, 2, 5))
    layer = lg.fullyConnectedLayer(6)
    assert layer.learnables([image(3, 4, 2)]) == {"Weights": (6, 24), "Bias": (6, 1)}
    # MATLAB's dlnetwork: fullyConnectedLayer after image input gives "CB" data (6×5 here), not 1×1×6×5
    out = layer.output_size([image(3, 4, 2)])
    assert (out.size, out.fmt) == ((6,), "C")
    wt, b = rng.standard_normal((6, 24)), rng.standard_normal((6, 1))
    y = run(layer, x, params={"Weights": wt, "Bias": b})
    expect = wt @ x.reshape(24, 5, order="F") + b
    assert y.shape == (6, 5)
    np.testing.assert_allclose(y, expect, rtol=1e-4, atol=1e-5)


def test_fully_connected_on_features() -> None:
    x = rng.standard_normal((7, 3))
    wt, b = rng.standard_normal((4, 7)), rng.standard_normal((4, 1))
    layer = lg.fullyConnectedLayer(4)
    assert layer.output_size([features(7)]).size == (4,)
    np.testing.assert_allclose(run(layer, x, params={"Weights": wt, "Bias": b}), wt @ x + b, rtol=1e-5, atol=1e-5)


def test_project_and_reshape_is_fc_then_column_major_reshape() -> None:
    x = rng.standard_normal((5, 3))
    layer = lg.projectAndReshapeLayer([2, 3, 4], 5, "proj")
    assert layer.Name == "proj" and layer.NumChannels == 5
    assert layer.learnables([features(5)]) == {"Weights": (24, 5), "Bias": (24, 1)}
    wt, b = rng.standard_normal((24, 5)), rng.standard_normal((24, 1))
    y = run(layer, x, params={"Weights": wt, "Bias": b})
    np.testing.assert_allclose(y, (wt @ x + b).reshape(2, 3, 4, 3, order="F"), rtol=1e-5, atol=1e-5)
    assert lg.projectAndReshapeLayer([4, 4, 8], Name="p").NumChannels == "auto"


def test_feature2image_function_layer_reshapes_column_major() -> None:
    x = rng.standard_normal((24, 2))
    layer = lg.functionLayer("feature2image", Arguments=[[2, 3, 4]], Formattable=True)
    assert layer.output_size([features(24)]).size == (2, 3, 4)
    np.testing.assert_allclose(run(layer, x), x.reshape(2, 3, 4, 2, order="F"), rtol=1e-6)
    assert layer.description() == "@(X)feature2image(X,[2 3 4])"


def test_embedding_is_one_based_column_lookup() -> None:
    layer = lg.embeddingLayer(3, 5)
    assert layer.learnables([features(1)]) == {"Weights": (3, 5)}
    assert layer.output_size([features(1)]).size == (3,)
    wt = rng.standard_normal((3, 5))
    labels = np.array([[1, 5, 3, 1]])
    np.testing.assert_allclose(run(layer, labels, params={"Weights": wt}), wt[:, labels[0] - 1], rtol=1e-6)


def test_flatten_is_column_major() -> None:
    x = rng.standard_normal((2, 3, 4, 2))
    y = run(lg.flattenLayer(), x)
    np.testing.assert_allclose(y, x.reshape(24, 2, order="F"), rtol=1e-6)


# ----- normalization -----------------------------------------------------------------------------
def test_batch_normalization_training_and_inference() -> None:
    x = rng.standard_normal((4, 3, 2, 6)) * 3 + 1
    offset, scale = rng.standard_normal((1, 1, 2)), rng.standard_normal((1, 1, 2))
    mean0, var0 = rng.standard_normal((1, 1, 2)), rng.random((1, 1, 2)) + 0.5
    layer = lg.batchNormalizationLayer(Epsilon=1e-3, MeanDecay=0.3, VarianceDecay=0.3)
    assert layer.learnables([image(4, 3, 2)]) == {"Offset": (1, 1, 2), "Scale": (1, 1, 2)}
    assert layer.states([image(4, 3, 2)]) == {"TrainedMean": (1, 1, 2), "TrainedVariance": (1, 1, 2)}
    module = layer.build([image(4, 3, 2)])
    for name, v in (("Offset", offset), ("Scale", scale), ("TrainedMean", mean0), ("TrainedVariance", var0)):
        module.from_matlab(name, v)
    module.train(True)
    y = to_matlab(module(to_torch(x)))
    mu, var = x.mean((0, 1, 3), keepdims=True), x.var((0, 1, 3), keepdims=True)
    expect = (x - mu) / np.sqrt(var + 1e-3) * scale[..., None] + offset[..., None]
    np.testing.assert_allclose(y, expect, rtol=1e-4, atol=1e-4)
    # running statistics: new = decay·batch + (1 − decay)·old
    np.testing.assert_allclose(module.to_matlab("TrainedMean").numpy(), 0.3 * mu[..., 0] + 0.7 * mean0, rtol=1e-5)
    m = x.size / 2
    np.testing.assert_allclose(module.to_matlab("TrainedVariance").numpy(),
                               0.3 * var[..., 0] * m / (m - 1) + 0.7 * var0, rtol=1e-5)
    # inference uses the trained statistics
    module.train(False)
    tm, tv = module.to_matlab("TrainedMean").numpy()[..., None], module.to_matlab("TrainedVariance").numpy()[..., None]
    y = to_matlab(module(to_torch(x)))
    np.testing.assert_allclose(y, (x - tm) / np.sqrt(tv + 1e-3) * scale[..., None] + offset[..., None],
                               rtol=1e-4, atol=1e-4)


def test_batch_normalization_separate_decays_and_features() -> None:
    x = rng.standard_normal((3, 8))
    layer = lg.batchNormalizationLayer(MeanDecay=0.2, VarianceDecay=0.5)
    assert layer.learnables([features(3)]) == {"Offset": (3, 1), "Scale": (3, 1)}
    module = layer.build([features(3)]).train(True)
    module(to_torch(x))
    np.testing.assert_allclose(module.TrainedMean.numpy(), 0.2 * x.mean(1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(module.TrainedVariance.numpy(), 0.5 * x.var(1, ddof=1) + 0.5, rtol=1e-5)


def test_layer_normalization() -> None:
    x = rng.standard_normal((3, 4, 2, 5))
    offset, scale = rng.standard_normal((1, 1, 2)), rng.standard_normal((1, 1, 2))
    y = run(lg.layerNormalizationLayer(), x, params={"Offset": offset, "Scale": scale})
    mu, var = x.mean((0, 1, 2), keepdims=True), x.var((0, 1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + 1e-5) * scale[..., None] + offset[..., None],
                               rtol=1e-4, atol=1e-4)


# ----- activations, dropout, merges, resize ----------------------------------------------------------
def test_activations() -> None:
    x = rng.standard_normal((3, 4, 5, 2))
    np.testing.assert_allclose(run(lg.reluLayer(), x), np.maximum(x, 0), rtol=1e-6)
    np.testing.assert_allclose(run(lg.leakyReluLayer(), x), np.where(x > 0, x, 0.01 * x), rtol=1e-6)
    np.testing.assert_allclose(run(lg.leakyReluLayer(0.2), x), np.where(x > 0, x, 0.2 * x), rtol=1e-6)
    np.testing.assert_allclose(run(lg.tanhLayer(), x), np.tanh(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run(lg.sigmoidLayer(), x), 1 / (1 + np.exp(-x)), rtol=1e-5, atol=1e-6)
    e = np.exp(x - x.max(2, keepdims=True))
    np.testing.assert_allclose(run(lg.softmaxLayer(), x), e / e.sum(2, keepdims=True), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("alpha", [None, 0.5, 2.0, -0.3])
def test_elu_matches_matlab_formula(alpha) -> None:
    """MATLAB's eluLayer: f(x) = x for x ≥ 0, Alpha·(exp(x) − 1) for x < 0; Alpha defaults to 1."""
    x = rng.standard_normal((3, 4, 5, 2)) * 3
    layer = lg.eluLayer() if alpha is None else lg.eluLayer(alpha)
    a = 1.0 if alpha is None else alpha
    assert layer.Alpha == a and layer.type_label == "ELU" and layer.description() == f"ELU with Alpha {a:g}"
    np.testing.assert_allclose(run(layer, x), np.where(x >= 0, x, a * np.expm1(x)), rtol=1e-5, atol=1e-6)
    assert run(lg.eluLayer(1.5), np.array([[-1e3], [0.0], [7.0]])).ravel().tolist() == [-1.5, 0.0, 7.0]
    assert lg.eluLayer("Name", "elu1", "Alpha", 3).Alpha == 3 and lg.layerGraph([lg.eluLayer()]).Layers[0].Name == "elu"
    with pytest.raises(OptionError, match="Alpha"):
        lg.eluLayer(float("inf"))


def test_dropout_modes() -> None:
    x = np.ones((20, 20, 4, 8))
    layer = lg.dropoutLayer(0.25)
    np.testing.assert_array_equal(run(layer, x), x)  # inference: identity
    y = run(layer, x, training=True)
    kept = y != 0
    assert 0.2 < 1 - kept.mean() < 0.3
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)  # survivors scaled by 1/(1 − p)
    assert lg.dropoutLayer().Probability == 0.5


@pytest.mark.parametrize("dim,sizes,expect", [(3, [(4, 5, 2), (4, 5, 3)], (4, 5, 5)), (1, [(2, 5, 3), (4, 5, 3)],
                                                                                       (6, 5, 3)),
                                              (2, [(4, 1, 3), (4, 2, 3)], (4, 3, 3))])
def test_concatenation_along_matlab_dimension(dim, sizes, expect) -> None:
    xs = [rng.standard_normal((*s, 2)) for s in sizes]
    layer = lg.concatenationLayer(dim, 2)
    assert layer.input_names == ["in1", "in2"]
    y = run(layer, *xs)
    assert y.shape[:3] == expect
    np.testing.assert_allclose(y, np.concatenate(xs, axis=dim - 1), rtol=1e-6)


def test_depth_concatenation_and_addition() -> None:
    a, b, c = (rng.standard_normal((3, 3, k, 2)) for k in (1, 2, 2))
    np.testing.assert_allclose(run(lg.depthConcatenationLayer(3), a, b, c), np.concatenate([a, b, c], 2), rtol=1e-6)
    # float32 sums of float64 data: b + c can cancel, so an absolute tolerance too (1e-7 error seen at 0.05)
    np.testing.assert_allclose(run(lg.additionLayer(2), b, c), b + c, rtol=1e-6, atol=1e-6)
    with pytest.raises(NetworkError, match="additionLayer"):
        lg.additionLayer(2).output_size([image(3, 3, 1), image(3, 3, 2)])
    with pytest.raises(NetworkError, match="concatenationLayer"):
        lg.concatenationLayer(3, 2).output_size([image(3, 3, 1), image(4, 3, 2)])


def test_resize_nearest_and_output_size() -> None:
    x = rng.standard_normal((3, 4, 2, 1))
    y = run(lg.resize2dLayer(Scale=2), x)
    np.testing.assert_allclose(y, x.repeat(2, 0).repeat(2, 1), rtol=1e-6)
    assert lg.resize2dLayer(OutputSize=[5, 7]).output_size([image(3, 4, 2)]).size == (5, 7, 2)
    assert lg.resize2dLayer(Scale=[1.5, 0.5]).output_size([image(4, 4, 2)]).size == (6, 2, 2)
    with pytest.raises(OptionError, match="exactly one of Scale and OutputSize"):
        lg.resize2dLayer(Scale=2, OutputSize=[4, 4])


def test_resize_bilinear_matches_half_pixel_formula() -> None:
    x = rng.standard_normal((3, 3, 1, 1))
    y = run(lg.resize2dLayer(Scale=2, Method="bilinear"), x)[:, :, 0, 0]
    src = np.clip((np.arange(6) + 0.5) / 2 - 0.5, 0, 2)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, 2)
    f = src - lo
    rows = x[lo, :, 0, 0] * (1 - f)[:, None] + x[hi, :, 0, 0] * f[:, None]
    expect = rows[:, lo] * (1 - f) + rows[:, hi] * f
    np.testing.assert_allclose(y, expect, rtol=1e-5, atol=1e-6)


# ----- inputs -----------------------------------------------------------------------------------
def test_input_layers() -> None:
    layer = lg.imageInputLayer([64, 64, 3], Normalization="none")
    assert layer.output_size([]).size == (64, 64, 3)
    assert lg.imageInputLayer([28, 28]).output_size([]).size == (28, 28, 1)
    assert lg.featureInputLayer(100).output_size([]).size == (100,)
    assert layer.input_names == []


# ----- initializers ------------------------------------------------------------------------------
def test_default_initializers_follow_matlab() -> None:
    torch.manual_seed(0)
    conv = lg.convolution2dLayer(5, 64).build([image(16, 16, 32)])
    bound = math.sqrt(6 / (5 * 5 * 32 + 5 * 5 * 64))  # glorot: fan in F·F·C, fan out F·F·NumFilters
    w = conv.Weights.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert not conv.Bias.detach().any()
    tconv = lg.transposedConv2dLayer(4, 16).build([image(4, 4, 64)])
    tb = math.sqrt(6 / (4 * 4 * 16 + 4 * 4 * 64))
    assert np.abs(tconv.Weights.detach().numpy()).max() <= tb
    fc = lg.fullyConnectedLayer(300).build([features(200)])
    assert abs(fc.Weights.detach().numpy().std() - math.sqrt(6 / 500) / math.sqrt(3)) < 0.01
    he = lg.fullyConnectedLayer(400, WeightsInitializer="he", BiasInitializer="ones").build([features(300)])
    assert abs(he.Weights.detach().numpy().std() - math.sqrt(2 / 300)) < 0.005
    assert (he.Bias.detach().numpy() == 1).all()
    emb = lg.embeddingLayer(50, 200).build([features(1)])
    assert abs(emb.Weights.detach().numpy().std() - 0.01) < 0.001
    bn = lg.batchNormalizationLayer().build([image(4, 4, 8)])
    assert not bn.Offset.detach().any() and (bn.Scale.detach() == 1).all()
    assert not bn.TrainedMean.any() and (bn.TrainedVariance == 1).all()


# ----- MATLAB calling styles and option errors ------------------------------------------------------
def test_both_calling_styles_and_case_insensitive_options() -> None:
    a = lg.transposedConv2dLayer(5, 64, "Stride", 2, "Cropping", "same", "Name", "tconv2")
    b = lg.transposedConv2dLayer(5, 64, Stride=2, Cropping="same", Name="tconv2")
    c = lg.transposedConv2dLayer(5, 64, "stride", 2, cropping="SAME", NAME="tconv2")
    assert a == b == c
    assert a.FilterSize == (5, 5) and a.Stride == (2, 2) and a.Cropping == "same"
    assert lg.dropoutLayer("Name", "d").Name == "d" and lg.dropoutLayer(0.3, Name="d").Probability == 0.3
    assert lg.convolution2dLayer([3, 5], 8, Padding=[1, 2]).Padding == (1, 1, 2, 2)


@pytest.mark.parametrize("call,words", [
    (lambda: lg.convolution2dLayer(3, 8, Strides=2), ["convolution2dLayer", "Strides", "Stride", "DilationFactor"]),
    (lambda: lg.convolution2dLayer(3, 8, Padding="valid"), ["convolution2dLayer", "Padding", "'same'"]),
    (lambda: lg.transposedConv2dLayer(3, 8, Stride=0), ["transposedConv2dLayer", "Stride", "positive integer"]),
    (lambda: lg.convolution2dLayer(3), ["convolution2dLayer", "2 positional", "NumFilters"]),
    (lambda: lg.convolution2dLayer(3, 8, "Stride"), ["convolution2dLayer", "pairs", "Stride"]),
    (lambda: lg.fullyConnectedLayer(10, WeightsInitializer="xavier"), ["WeightsInitializer", "glorot", "he"]),
    (lambda: lg.batchNormalizationLayer(Epsilon=1e-9), ["batchNormalizationLayer", "Epsilon"]),
    (lambda: lg.leakyReluLayer(Scale="big"), ["leakyReluLayer", "Scale"]),
    (lambda: lg.functionLayer("no_such_fn"), ["functionLayer", "PredictFcn", "no_such_fn"]),
])
def test_option_errors_name_constructor_option_and_accepted_values(call, words) -> None:
    with pytest.raises(OptionError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_register_function_by_name() -> None:
    @lg.register_function("test_double_channels", output_size=lambda inputs: image(*inputs[0].size[:2],
                                                                                   2 * inputs[0].channels))
    def double_channels(x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, x], 1)

    assert "test_double_channels" in lg.registered()
    x = rng.standard_normal((2, 2, 3, 1))
    np.testing.assert_allclose(run(lg.functionLayer("test_double_channels"), x), np.concatenate([x, x], 2))
