"""1-D pooling, grouped convolution, PReLU, depth to space and space to depth against numpy written from MATLAB's
documented formulas (and, for depthToSpace, the numbers of the example in MATLAB's documentation)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import NetworkError
from layergraph.sizes import image, sequence, signal


def run(layer: object, act: object, x: np.ndarray) -> np.ndarray:
    m = layer.build([act])
    m.train(False)
    with torch.no_grad():
        return m(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize(("k", "s", "pad", "value"), [(3, 1, (0, 0), 0.0), (3, 2, "same", 0.0), (2, 2, (1, 1), 0.0),
                                                      (3, 2, (1, 1), "mean")])
def test_1d_pooling_windows(k: int, s: int, pad: object, value: object) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9)).astype(np.float32)  # B×C×T
    n = 9
    if pad == "same":
        total = max((-(-n // s) - 1) * s + k - n, 0)
        left, right = total // 2, total - total // 2
    else:
        left, right = pad
    out_n = (n + left + right - k) // s + 1
    want_max, want_avg = np.empty((2, 3, out_n)), np.empty((2, 3, out_n))
    for t in range(out_n):
        lo, hi = t * s - left, t * s - left + k  # the window in input positions
        real = x[..., max(lo, 0):min(hi, n)]
        want_max[..., t] = real.max(-1)  # padding never wins
        want_avg[..., t] = real.sum(-1) / (k if value == 0.0 else real.shape[-1])
    mx = lg.maxPooling1dLayer(k, Stride=s, Padding=pad)
    av = lg.averagePooling1dLayer(k, Stride=s, Padding=pad, PaddingValue=value)
    assert mx.output_size([sequence(3, n)]).time == out_n
    np.testing.assert_allclose(run(mx, sequence(3, n), x), want_max, rtol=1e-6)
    np.testing.assert_allclose(run(av, sequence(3, n), x), want_avg, rtol=1e-5, atol=1e-6)
    # "SCB" signals pool along S the same way
    assert av.output_size([signal(n, 3)]).spatial == (out_n,)
    np.testing.assert_allclose(run(av, signal(n, 3), x), want_avg, rtol=1e-5, atol=1e-6)


def test_global_1d_pooling_drops_time_and_keeps_space() -> None:
    x = np.random.default_rng(1).standard_normal((2, 4, 7)).astype(np.float32)
    gap, gmp = lg.globalAveragePooling1dLayer(), lg.globalMaxPooling1dLayer()
    assert gap.output_size([sequence(4, 7)]).fmt == "C"  # "CBT" → "CB"
    assert gmp.output_size([signal(7, 4)]).size == (1, 4)  # "SCB" → 1×4
    np.testing.assert_allclose(run(gap, sequence(4, 7), x), x.mean(-1), rtol=1e-6)
    np.testing.assert_allclose(run(gmp, signal(7, 4), x), x.max(-1, keepdims=True), rtol=1e-6)
    with pytest.raises(NetworkError, match="expects 1-D data"):
        gap.output_size([image(3, 3, 2)])


def _grouped_numpy(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MATLAB's grouped convolution, unpadded, stride 1: w FH×FW×Cg×Fg×G, b 1×1×Fg×G; x B×C×H×W."""
    fh, fw, cg, fg, g = w.shape
    bsz, _, h, wd = x.shape
    y = np.zeros((bsz, fg * g, h - fh + 1, wd - fw + 1))
    for gi in range(g):
        for f in range(fg):
            for i in range(h - fh + 1):
                for j in range(wd - fw + 1):
                    patch = x[:, gi * cg:(gi + 1) * cg, i:i + fh, j:j + fw]  # B×Cg×FH×FW
                    y[:, gi * fg + f, i, j] = np.einsum("bchw,hwc->b", patch, w[:, :, :, f, gi]) + b[0, 0, f, gi]
    return y


@pytest.mark.parametrize("groups", [2, "channel-wise"])
def test_grouped_convolution_per_group(groups: object) -> None:
    c = 4
    layer = lg.groupedConvolution2dLayer([3, 2], 3, groups)
    act = image(5, 6, c)
    g = 2 if groups == 2 else c
    assert layer.learnables([act]) == {"Weights": (3, 2, c // g, 3, g), "Bias": (1, 1, 3, g)}
    assert layer.output_size([act]).size == (3, 5, 3 * g)
    m = layer.build([act])
    rng = np.random.default_rng(2)
    w, b = rng.standard_normal((3, 2, c // g, 3, g)), rng.standard_normal((1, 1, 3, g))
    m.from_matlab("Weights", w)
    m.from_matlab("Bias", b)
    np.testing.assert_allclose(m.to_matlab("Weights").numpy(), w, rtol=1e-6)
    x = rng.standard_normal((2, c, 5, 6)).astype(np.float32)
    with torch.no_grad():
        got = m(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, _grouped_numpy(x, w, b), rtol=1e-4, atol=1e-5)


def test_prelu_scalar_and_per_channel() -> None:
    x = np.random.default_rng(3).standard_normal((2, 3, 2, 2)).astype(np.float32)
    alpha = np.array([0.1, 0.5, 2.0])
    want = np.where(x > 0, x, alpha.reshape(1, 3, 1, 1) * x)
    layer = lg.preluLayer(Alpha=alpha)
    assert layer.learnables([image(2, 2, 3)]) == {"Alpha": (1, 1, 3)}
    np.testing.assert_allclose(run(layer, image(2, 2, 3), x), want, rtol=1e-6)
    np.testing.assert_allclose(run(lg.preluLayer(), image(2, 2, 3), x), np.where(x > 0, x, 0.25 * x), rtol=1e-6)
    with pytest.raises(NetworkError, match="Alpha has 3 values"):
        layer.learnables([image(2, 2, 4)])


def test_depth_to_space_matches_matlab_documentation_example() -> None:
    # MATLAB: X = reshape(1:48,2,2,12); Z = depthToSpace(dlarray(X,'SSC'),2) — Z(:,:,1) as printed in its docs
    x = np.arange(1, 49, dtype=np.float32).reshape(12, 2, 2).transpose(0, 2, 1)[None]  # C×H×W from column-major
    z = run(lg.depthToSpace2dLayer(2), image(2, 2, 12), x)[0]
    np.testing.assert_array_equal(z[0], [[1, 13, 3, 15], [25, 37, 27, 39], [2, 14, 4, 16], [26, 38, 28, 40]])
    np.testing.assert_array_equal(z[2], [[9, 21, 11, 23], [33, 45, 35, 47], [10, 22, 12, 24], [34, 46, 36, 48]])


def test_crd_is_pixel_shuffle_and_space_to_depth_inverts_dcr() -> None:
    x = torch.randn(2, 12, 3, 2)
    crd = run(lg.depthToSpace2dLayer(2, Mode="crd"), image(3, 2, 12), x.numpy())
    np.testing.assert_array_equal(crd, torch.nn.functional.pixel_shuffle(x, 2).numpy())
    up = run(lg.depthToSpace2dLayer([2, 3]), image(3, 2, 12), x.numpy())
    assert up.shape == (2, 2, 6, 6)
    back = run(lg.spaceToDepthLayer([2, 3]), image(6, 6, 2), up)
    np.testing.assert_array_equal(back, x.numpy())
    # rows and columns that fill no whole block are dropped (floor)
    assert lg.spaceToDepthLayer(2).output_size([image(5, 7, 3)]).size == (2, 3, 12)


def test_1d_pooling_padding_may_not_exceed_the_pool_size() -> None:
    with pytest.raises(NetworkError, match=r"padding \[3 3\] is larger than the pool size 2"):
        lg.maxPooling1dLayer(2, Padding=3).output_size([sequence(2, 8)])
