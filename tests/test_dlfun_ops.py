"""MATLAB's functional layer operations against loop-by-loop numpy versions on MATLAB-layout arrays.

MathWorks reference pages (fullyconnect, dlconv, dltranspconv, batchnorm, layernorm, instancenorm, groupnorm,
avgpool, maxpool, dlupdate):
- fullyconnect: Y = W·x + b with x an observation's S, C (and U) values flattened column-major; output "CB".
- dlconv: weights filterSize×C/G×F/G×G, cross-correlation (no flip) as the convolution layers; Padding 'same'
  puts the odd row/column at the bottom/right; a 2×d Padding is [before; after] per dimension; 'causal'
  pads 1-D data at the start.
- dltranspconv: weights filterSize×F/G×C/G×G; output S·(n−1) + F − crop; Cropping 'same' gives S·n outputs,
  cutting the odd one at the end (F 5, S 2 → [1 2]).
- batchnorm normalizes each channel over every other dimension with the biased variance; the running
  statistics follow MeanDecay/VarianceDecay like batchNormalizationLayer (checked against the layer, whose
  update also enters the batch variance unbiased); layernorm over S and C ("auto" for images) or C alone
  ("auto" for CB/CBT); instancenorm over S/T per channel; groupnorm over groups of channels and S/T.
- avgpool counts padded zeros in the mean (PaddingValue 0) or not ('mean'); maxpool never picks padding.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph import (
    avgpool,
    batchnorm,
    batchNormalizationLayer,
    dims,
    dlarray,
    dlconv,
    dlnetwork,
    dltranspconv,
    dlupdate,
    extractdata,
    featureInputLayer,
    forward,
    fullyconnect,
    fullyConnectedLayer,
    groupnorm,
    imageInputLayer,
    instancenorm,
    layernorm,
    maxpool,
)
from layergraph.dlfun import DLFunctionError
from layergraph.table import Table


def rnd(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32).astype(np.float64)


def lab(a: np.ndarray, fmt: str):
    return dlarray(torch.tensor(a), fmt).double()


def out(y) -> np.ndarray:
    return extractdata(y).double().numpy()


def test_fullyconnect_flattens_column_major() -> None:
    x = rnd(3, 2, 4, 5)  # H×W×C×B
    w, b = rnd(6, 24, seed=1), rnd(6, seed=2)
    y = fullyconnect(lab(x, "SSCB"), torch.tensor(w), torch.tensor(b))
    assert dims(y) == "CB"
    np.testing.assert_allclose(out(y), w @ x.reshape(24, 5, order="F") + b[:, None], rtol=1e-10)
    # the weights may keep the input's shape: outputSize×H×W×C
    w4 = w.reshape(6, 3, 2, 4, order="F")
    np.testing.assert_allclose(out(fullyconnect(lab(x, "SSCB"), torch.tensor(w4), torch.tensor(b))), out(y))
    seq = rnd(4, 5, 7)  # C×B×T: applied at every time step
    y = fullyconnect(lab(seq, "CBT"), torch.tensor(w[:, :4]), torch.tensor(b))
    assert dims(y) == "CBT"
    np.testing.assert_allclose(out(y), np.einsum("oc,cbt->obt", w[:, :4], seq) + b[:, None, None], rtol=1e-10)
    with pytest.raises(DLFunctionError, match="need 7 input values"):
        fullyconnect(lab(x, "SSCB"), torch.ones(2, 7), torch.zeros(2))


def np_conv(x, w, b, stride, dil, pads, groups=1):
    """Cross-correlation of H×W×C×B x with kh×kw×C/G×F/G×G weights; pads [(top, bottom), (left, right)]."""
    if w.ndim == 4:
        w = w[..., None]
    xp = np.pad(x, [pads[0], pads[1], (0, 0), (0, 0)])
    kh, kw, cg, fg, g = w.shape
    eh, ew = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    oh, ow = (xp.shape[0] - eh) // stride[0] + 1, (xp.shape[1] - ew) // stride[1] + 1
    y = np.zeros((oh, ow, fg * g, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            patch = xp[i * stride[0]:i * stride[0] + eh:dil[0], j * stride[1]:j * stride[1] + ew:dil[1]]
            for k in range(g):
                y[i, j, k * fg:(k + 1) * fg] = np.einsum("hwcb,hwcf->fb", patch[:, :, k * cg:(k + 1) * cg],
                                                         w[..., k])
    return y + b.reshape(1, 1, -1, 1)


def test_dlconv_padding_stride_dilation_groups() -> None:
    x = rnd(6, 7, 4, 2)
    w, b = rnd(5, 3, 4, 3, seed=1), rnd(3, seed=2)
    X = lab(x, "SSCB")
    y = dlconv(X, torch.tensor(w), torch.tensor(b), Stride=2, Padding="same")
    assert dims(y) == "SSCB" and out(y).shape == (3, 4, 3, 2)  # ceil(n / stride)
    # 'same' with F 5, S 2: rows 6 → total 3: 1 on top, 2 at the bottom; cols 7 → total 2 (F 3): 1 and 1
    np.testing.assert_allclose(out(y), np_conv(x, w, b, (2, 2), (1, 1), [(1, 2), (1, 1)]), rtol=1e-10)
    y = dlconv(X, torch.tensor(w), torch.tensor(b), DilationFactor=[1, 2], Padding=np.array([[2, 0], [1, 3]]))
    np.testing.assert_allclose(out(y), np_conv(x, w, b, (1, 1), (1, 2), [(2, 1), (0, 3)]), rtol=1e-10)
    wg = rnd(3, 3, 2, 3, 2, seed=3)  # two groups of 2 channels → 3 filters each
    y = dlconv(X, torch.tensor(wg), torch.tensor(rnd(6, seed=4)), "Padding", 1)
    np.testing.assert_allclose(out(y), np_conv(x, wg, rnd(6, seed=4), (1, 1), (1, 1), [(1, 1), (1, 1)], 2),
                               rtol=1e-10)
    # unformatted data with DataFormat come back unformatted
    y = dlconv(torch.tensor(x), torch.tensor(w), 0, DataFormat="SSCB")
    assert dims(y) == ""
    np.testing.assert_allclose(out(y), np_conv(x, w, np.zeros(3), (1, 1), (1, 1), [(0, 0), (0, 0)]), rtol=1e-10)
    with pytest.raises(DLFunctionError, match="4 channels but the weights"):
        dlconv(X, torch.ones(3, 3, 2, 5), 0)


def test_dlconv_one_dimensional_causal() -> None:
    x = rnd(3, 2, 6)  # C×B×T
    w = rnd(2, 3, 4, seed=1)  # k×C×F
    y = dlconv(lab(x, "CBT"), torch.tensor(w), torch.tensor(np.zeros(4)), Padding="causal")
    xp = np.pad(x, [(0, 0), (0, 0), (1, 0)])  # 'causal': k − 1 = 1 step of padding before the start
    want = np.stack([np.einsum("cbk,kcf->fb", xp[:, :, t:t + 2], w) for t in range(6)], axis=2)
    assert dims(y) == "CBT"
    np.testing.assert_allclose(out(y), want, rtol=1e-10)


def np_tconv(x, w, b, stride, crop):
    """Transposed convolution of H×W×C×B x with kh×kw×F×C weights, then crop [(top, bottom), (left, right)]."""
    kh, kw, f, _ = w.shape
    h, wd, _, n = x.shape
    full = np.zeros((stride * (h - 1) + kh, stride * (wd - 1) + kw, f, n))
    for i in range(h):
        for j in range(wd):
            full[i * stride:i * stride + kh, j * stride:j * stride + kw] += np.einsum("cb,hwfc->hwfb", x[i, j], w)
    (t, bt), (lf, r) = crop
    return full[t:full.shape[0] - bt, lf:full.shape[1] - r] + b.reshape(1, 1, -1, 1)


def test_dltranspconv_same_crops_the_end() -> None:
    x = rnd(3, 4, 2, 2)
    w, b = rnd(5, 5, 3, 2, seed=1), rnd(3, seed=2)
    y = dltranspconv(lab(x, "SSCB"), torch.tensor(w), torch.tensor(b), Stride=2, Cropping="same")
    assert dims(y) == "SSCB" and out(y).shape == (6, 8, 3, 2)
    np.testing.assert_allclose(out(y), np_tconv(x, w, b, 2, [(1, 2), (1, 2)]), rtol=1e-10)
    y = dltranspconv(lab(x, "SSCB"), torch.tensor(w), torch.tensor(b), Cropping=np.array([[0, 1], [2, 0]]))
    np.testing.assert_allclose(out(y), np_tconv(x, w, b, 1, [(0, 2), (1, 0)]), rtol=1e-10)


def test_batchnorm_training_inference_and_the_layer() -> None:
    x = rnd(3, 4, 2, 5)
    X = lab(x, "SSCB")
    offset, scale = np.array([0.5, -1.0]), np.array([2.0, 0.5])
    mu = x.mean(axis=(0, 1, 3), keepdims=True)
    var = x.var(axis=(0, 1, 3), keepdims=True)
    want = (x - mu) / np.sqrt(var + 1e-5) * scale.reshape(1, 1, 2, 1) + offset.reshape(1, 1, 2, 1)
    y, m, v = batchnorm(X, torch.tensor(offset), torch.tensor(scale))
    np.testing.assert_allclose(out(y), want, rtol=1e-8)
    np.testing.assert_allclose(m.numpy().ravel(), mu.ravel(), rtol=1e-10)
    np.testing.assert_allclose(v.numpy().ravel(), var.ravel(), rtol=1e-10)
    # training form with running statistics: the same update batchNormalizationLayer makes in forward()
    net = dlnetwork([imageInputLayer([3, 4, 2], Normalization="none"),
                     batchNormalizationLayer(Name="bn", MeanDecay=0.3, VarianceDecay=0.2)])
    net.setLearnable("bn", "Offset", offset.reshape(1, 1, 2))
    net.setLearnable("bn", "Scale", scale.reshape(1, 1, 2))
    run_mean, run_var = torch.tensor([0.1, 0.2]), torch.tensor([1.5, 0.5])
    net.setLearnable("bn", "TrainedMean", run_mean.numpy().reshape(1, 1, 2))
    net.setLearnable("bn", "TrainedVariance", run_var.numpy().reshape(1, 1, 2))
    y2, new_mean, new_var = batchnorm(X.float(), torch.tensor(offset), torch.tensor(scale), run_mean, run_var,
                                      MeanDecay=0.3, VarianceDecay=0.2)
    y_layer, state = forward(net, X.float())
    net.State = state  # MATLAB: the network is a value; only the assignment stores the new statistics
    np.testing.assert_allclose(out(y2), out(y_layer), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_mean.numpy(), net.getLearnable("bn", "TrainedMean").ravel(), rtol=1e-6)
    np.testing.assert_allclose(new_var.numpy(), net.getLearnable("bn", "TrainedVariance").ravel(), rtol=1e-6)
    np.testing.assert_allclose(new_mean.numpy(), 0.7 * run_mean.numpy() + 0.3 * mu.ravel(), rtol=1e-6)
    assert torch.equal(run_mean, torch.tensor([0.1, 0.2]))  # the caller's statistics are not changed
    # inference form: normalize with the given statistics
    y3 = batchnorm(X, torch.tensor(offset), torch.tensor(scale), run_mean, run_var, Training=False)
    rm, rv = run_mean.numpy().reshape(1, 1, 2, 1), run_var.numpy().reshape(1, 1, 2, 1)
    np.testing.assert_allclose(out(y3), (x - rm) / np.sqrt(rv + 1e-5) * scale.reshape(1, 1, 2, 1) +
                               offset.reshape(1, 1, 2, 1), rtol=1e-6, atol=1e-7)
    # MATLAB's nargout decides the form: Y = batchnorm(X, o, s, mu, v) is the inference form, Y = batchnorm(X,
    # o, s) the first of the three outputs
    y4 = batchnorm(X, torch.tensor(offset), torch.tensor(scale), run_mean, run_var)
    np.testing.assert_allclose(out(y4), out(y3), rtol=0, atol=0)
    y5 = batchnorm(X, torch.tensor(offset), torch.tensor(scale))
    np.testing.assert_allclose(out(y5), want, rtol=1e-8)


def normalized(x, axes, eps=1e-5):
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def test_layernorm_instancenorm_groupnorm() -> None:
    x = rnd(3, 4, 4, 2)  # H×W×C×B
    X = lab(x, "SSCB")
    off, sc = rnd(4, seed=1), rnd(4, seed=2)
    aff = (sc.reshape(1, 1, 4, 1), off.reshape(1, 1, 4, 1))
    np.testing.assert_allclose(out(layernorm(X, torch.tensor(off), torch.tensor(sc))),
                               normalized(x, (0, 1, 2)) * aff[0] + aff[1], rtol=1e-8)
    np.testing.assert_allclose(out(instancenorm(X, torch.tensor(off), torch.tensor(sc))),
                               normalized(x, (0, 1)) * aff[0] + aff[1], rtol=1e-8)
    g = x.reshape(3, 4, 2, 2, 2)  # channels in two groups of two
    want = normalized(g, (0, 1, 3)).reshape(3, 4, 4, 2) * aff[0] + aff[1]
    np.testing.assert_allclose(out(groupnorm(X, 2, torch.tensor(off), torch.tensor(sc))), want, rtol=1e-8)
    np.testing.assert_allclose(out(groupnorm(X, "channel-wise", torch.tensor(off), torch.tensor(sc))),
                               normalized(x, (0, 1)) * aff[0] + aff[1], rtol=1e-8)
    seq = rnd(4, 2, 5)  # C×B×T: "auto" normalizes over C alone; "batch-excluded" over C and T
    S = lab(seq, "CBT")
    np.testing.assert_allclose(out(layernorm(S, 0, 1)), normalized(seq, (0,)), rtol=1e-8)
    np.testing.assert_allclose(out(layernorm(S, 0, 1, OperationDimension="batch-excluded")),
                               normalized(seq, (0, 2)), rtol=1e-8)
    np.testing.assert_allclose(out(instancenorm(S, 0, 1)), normalized(seq, (2,)), rtol=1e-8)
    with pytest.raises(DLFunctionError, match="equal groups"):
        groupnorm(X, 3, 0, 1)


def np_pool(x, k, s, pads, fn, fill):
    xp = np.pad(x, [pads[0], pads[1], (0, 0), (0, 0)], constant_values=fill)
    oh, ow = (xp.shape[0] - k) // s + 1, (xp.shape[1] - k) // s + 1
    return np.stack([np.stack([fn(xp[i * s:i * s + k, j * s:j * s + k], axis=(0, 1)) for j in range(ow)])
                     for i in range(oh)])


def test_avgpool_and_maxpool() -> None:
    x = rnd(5, 6, 2, 3)
    X = lab(x, "SSCB")
    y = maxpool(X, 3, Stride=2, Padding="same")  # rows 5 → total 2 (1, 1); cols 6 → total 1 (0, 1)
    np.testing.assert_allclose(out(y), np_pool(x, 3, 2, [(1, 1), (0, 1)], np.max, -np.inf), rtol=1e-10)
    y = avgpool(X, 3, Stride=2, Padding="same")
    np.testing.assert_allclose(out(y), np_pool(x, 3, 2, [(1, 1), (0, 1)], np.mean, 0.0), rtol=1e-10)
    y = avgpool(X, 2, Padding=1, PaddingValue="mean")  # padding left out of the mean
    nan = np_pool(np.pad(x, [(1, 1), (1, 1), (0, 0), (0, 0)], constant_values=np.nan), 2, 1, [(0, 0), (0, 0)],
                  np.nanmean, 0.0)
    np.testing.assert_allclose(out(y), nan, rtol=1e-10)
    np.testing.assert_allclose(out(avgpool(X, "global")), x.mean(axis=(0, 1), keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(out(maxpool(X, "global")), x.max(axis=(0, 1), keepdims=True), rtol=1e-10)
    assert dims(avgpool(X, 2)) == "SSCB" and out(avgpool(X, 2)).shape == (4, 5, 2, 3)  # Stride defaults to 1


def test_dlupdate_tables_dicts_networks() -> None:
    t = Table(["fc", "fc"], ["Weights", "Bias"], [torch.ones(2, 3), torch.zeros(2)])
    g = t.like([torch.full((2, 3), 2.0), torch.ones(2)])
    new = dlupdate(lambda p, gr: p - 0.1 * gr, t, g)
    assert isinstance(new, Table) and new.keys() == t.keys()
    assert torch.allclose(new["fc", "Weights"], torch.full((2, 3), 0.8)) and torch.equal(t.Value[0], torch.ones(2, 3))
    both = dlupdate(lambda p: (p * 2, p.sum()), {"a": torch.ones(2), "b": torch.ones(3)})
    assert both[0]["a"].tolist() == [2.0, 2.0] and both[1] == {"a": torch.tensor(2.0), "b": torch.tensor(3.0)}
    net = dlnetwork([featureInputLayer(3), fullyConnectedLayer(2, Name="fc")])
    w0 = net.Learnables["fc", "Weights"].detach().clone()
    same = dlupdate(lambda p: p * 0.5, net)
    assert same is net and torch.allclose(net.Learnables["fc", "Weights"], w0 * 0.5)
    with pytest.raises(DLFunctionError, match="entries"):
        dlupdate(lambda a, b: a, t, [torch.ones(1)])
