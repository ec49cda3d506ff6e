"""MATLAB's loss functions and one-hot coding against numpy written from MATLAB's documentation.

MathWorks reference pages (dlarray.mse, l1loss, l2loss, huber, crossentropy, onehotencode, onehotdecode):
- mse(Y, T) = sum((Y - T).^2) / (2N), N the number of observations (size of 'B'); an unformatted target takes
  Y's format (so it is given in MATLAB layout); DataFormat labels an unformatted Y.
- l1loss, l2loss, huber, crossentropy compute elementwise values, multiply by weights and mask, and (Reduction
  "sum") divide the sum by NormalizationFactor: "batch-size" (N, default), "all-elements" (numel(Y)),
  "mask-included" (each observation by its number of included elements), "none". l1loss with batch-size is the
  mean absolute error per observation; l2loss the mean squared error (no ½); huber is ½d² for |d| ≤ δ and
  δ|d| − ½δ² beyond (TransitionPoint δ = 1).
- crossentropy single-label (TargetCategories "exclusive") is −Σ T·log(Y); multilabel ("independent") adds
  −Σ (1 − T)·log(1 − Y). A vector of weights on data with two non-singleton dimensions needs WeightsFormat.
Recalled rather than re-read (the pages' algorithm sections were not reachable): "mask-included" summing the
per-observation quotients, "all-elements" dividing by numel(Y) for crossentropy too, and crossentropy keeping
Y ≥ eps(class(Y)) inside the log (the toolbox's boundAwayFromZero). The tests avoid probabilities below eps.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph import (
    crossentropy,
    dims,
    dlarray,
    dlfeval,
    dlgradient,
    extractdata,
    huber,
    l1loss,
    l2loss,
    mse,
    onehotdecode,
    onehotencode,
    softmax,
)
from layergraph.data import Categorical
from layergraph.dlfun import DLFunctionError


def pair(shape: tuple[int, ...], fmt: str, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    y, t = rng.standard_normal(shape), rng.standard_normal(shape)
    # dlarray() stores float64 data as single, as the examples do: compare on values single can hold
    y, t = (a.astype(np.float32).astype(np.float64) for a in (y, t))
    return dlarray(torch.tensor(y), fmt).double(), y, t


def test_mse_is_half_sum_over_observations_the_256x_case() -> None:
    """The issue's silent case: mse used to be the mean over all elements, 256× MATLAB's value here."""
    Y, y, t = pair((16, 16, 2, 5), "SSCB")  # 512 values per observation
    got = mse(Y, torch.tensor(t))  # unformatted target in MATLAB layout: takes Y's "SSCB"
    want = np.sum((y - t) ** 2) / (2 * 5)
    assert got.item() == pytest.approx(want, rel=1e-12)
    assert got.item() == pytest.approx(256 * np.mean((y - t) ** 2), rel=1e-12)
    assert dims(got) == "" and got.dim() == 0
    # a formatted target of the same format, DataFormat for unformatted predictions (in their own order)
    assert mse(Y, dlarray(torch.tensor(t), "SSCB")).item() == pytest.approx(want, rel=1e-12)
    Z, z, s = pair((3, 7), "CB")
    assert mse(torch.tensor(z.T), torch.tensor(s.T), DataFormat="BC").item() == \
        pytest.approx(np.sum((z - s) ** 2) / 14, rel=1e-12)
    # no batch dimension: one observation
    assert mse(dlarray(torch.tensor(z), "CT"), torch.tensor(s)).item() == pytest.approx(np.sum((z - s) ** 2) / 2)
    with pytest.raises(DLFunctionError, match=r"size 7\(C\)×3\(B\).*3\(C\)×7\(B\)"):
        mse(Z, torch.tensor(s.T))  # a torch-layout target is caught by its size


def reference(values: np.ndarray, fmt: str, norm: str, weights=None, mask=None) -> float:
    """MATLAB's reduction on MATLAB-layout arrays: Σ m·w·v / divisor."""
    v = values * (1 if weights is None else weights) * (1 if mask is None else mask)
    b = fmt.index("B")
    if norm == "batch-size":
        return v.sum() / values.shape[b]
    if norm == "all-elements":
        return v.sum() / values.size
    if norm == "none":
        return v.sum()
    other = tuple(i for i in range(values.ndim) if i != b)
    counts = np.broadcast_to(mask, values.shape).sum(axis=other)
    return float((v.sum(axis=other) / np.maximum(counts, 1)).sum())


ELEMENT = {
    "l1loss": (l1loss, lambda d: np.abs(d)),
    "l2loss": (l2loss, lambda d: d ** 2),
    "huber": (huber, lambda d: np.where(np.abs(d) <= 1, 0.5 * d ** 2, np.abs(d) - 0.5)),
}


@pytest.mark.parametrize("name", list(ELEMENT))
@pytest.mark.parametrize("norm", ["batch-size", "all-elements", "none"])
def test_regression_losses_normalization(name: str, norm: str) -> None:
    fn, element = ELEMENT[name]
    Y, y, t = pair((4, 6), "CB", seed=1)
    got = fn(Y, torch.tensor(t), NormalizationFactor=norm)
    assert got.item() == pytest.approx(reference(element(y - t), "CB", norm), rel=1e-12)
    if norm == "batch-size":  # the default
        assert fn(Y, torch.tensor(t)).item() == pytest.approx(got.item(), rel=1e-12)


@pytest.mark.parametrize("name", list(ELEMENT))
def test_regression_losses_weights_mask_reduction(name: str) -> None:
    fn, element = ELEMENT[name]
    Y, y, t = pair((3, 4, 5), "CBT", seed=2)  # C×B×T sequences
    T = torch.tensor(t)
    class_w = np.array([0.5, 1.0, 2.0])
    got = fn(Y, T, torch.tensor(class_w), WeightsFormat="C")
    want = reference(element(y - t), "CBT", "batch-size", weights=class_w.reshape(3, 1, 1))
    assert got.item() == pytest.approx(want, rel=1e-12)
    obs_w = np.array([1.0, 0.0, 2.0, 3.0])  # observation weights as a formatted "B" dlarray
    got = fn(Y, T, dlarray(torch.tensor(obs_w), "B"))
    assert got.item() == pytest.approx(reference(element(y - t), "CBT", "batch-size",
                                                 weights=obs_w.reshape(1, 4, 1)), rel=1e-12)
    full = np.random.default_rng(5).random((3, 4, 5))
    assert fn(Y, T, torch.tensor(full)).item() == pytest.approx(
        reference(element(y - t), "CBT", "batch-size", weights=full), rel=1e-12)
    # padded sequences: a mask over time, normalized per observation by its included elements
    lengths = np.array([5, 3, 1, 4])
    mask = (np.arange(5)[None, None, :] < lengths[None, :, None]).astype(float)  # 1×B×T
    got = fn(Y, T, Mask=dlarray(torch.tensor(mask[0]), "BT"), NormalizationFactor="mask-included")
    assert got.item() == pytest.approx(reference(element(y - t), "CBT", "mask-included", mask=mask), rel=1e-12)
    unreduced = fn(Y, T, Reduction="none")
    assert dims(unreduced) == "CBT"
    np.testing.assert_allclose(extractdata(unreduced).numpy(), element(y - t), rtol=1e-12)
    with pytest.raises(DLFunctionError, match="WeightsFormat"):
        fn(Y, T, torch.tensor(class_w))
    with pytest.raises(DLFunctionError, match="needs a Mask"):
        fn(Y, T, NormalizationFactor="mask-included")


def test_huber_transition_point() -> None:
    Y, y, t = pair((2, 8), "CB", seed=3)
    d = 3 * (y - t)
    got = huber(Y * 3, torch.tensor(3 * t), TransitionPoint=0.5)
    want = np.where(np.abs(d) <= 0.5, 0.5 * d ** 2, 0.5 * np.abs(d) - 0.125).sum() / 8
    assert got.item() == pytest.approx(want, rel=1e-12)


def probabilities(shape: tuple[int, ...], fmt: str, seed: int = 0) -> tuple:
    """Softmax scores (over C) and one-hot targets, as MATLAB-layout numpy arrays."""
    rng = np.random.default_rng(seed)
    c = fmt.index("C")
    z = rng.standard_normal(shape)
    p = (np.exp(z) / np.exp(z).sum(axis=c, keepdims=True)).astype(np.float32).astype(np.float64)
    labels = rng.integers(0, shape[c], size=np.delete(np.array(shape), c))
    t = (np.expand_dims(labels, c) == np.arange(shape[c]).reshape([-1 if i == c else 1
                                                                    for i in range(len(shape))])).astype(float)
    return dlarray(torch.tensor(p), fmt).double(), p, t


@pytest.mark.parametrize("fmt,shape", [("CB", (5, 7)), ("SSCB", (3, 4, 5, 2)), ("CBT", (4, 3, 6))])
def test_crossentropy_single_label(fmt: str, shape: tuple[int, ...]) -> None:
    Y, p, t = probabilities(shape, fmt)
    n = shape[fmt.index("B")]
    got = crossentropy(Y, torch.tensor(t))
    assert got.item() == pytest.approx(-(t * np.log(p)).sum() / n, rel=1e-12)
    assert crossentropy(Y, torch.tensor(t), TargetCategories="exclusive").item() == pytest.approx(got.item())
    assert crossentropy(Y, torch.tensor(t), NormalizationFactor="all-elements").item() == \
        pytest.approx(-(t * np.log(p)).sum() / p.size, rel=1e-12)


def test_crossentropy_multilabel_weights_mask_dataformat() -> None:
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.95, (4, 6)).astype(np.float32).astype(np.float64)
    t = (rng.random((4, 6)) > 0.5).astype(float)
    Y = dlarray(torch.tensor(p), "CB").double()
    want = -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / 6
    assert crossentropy(Y, torch.tensor(t), ClassificationMode="multilabel").item() == pytest.approx(want)
    assert crossentropy(Y, torch.tensor(t), TargetCategories="independent").item() == pytest.approx(want)
    w = np.array([1.0, 2.0, 0.5, 3.0])
    got = crossentropy(Y, torch.tensor(t), dlarray(torch.tensor(w), "C"))  # class weights
    assert got.item() == pytest.approx(-(w[:, None] * t * np.log(p)).sum() / 6, rel=1e-12)
    mask = (rng.random((4, 6)) > 0.3).astype(float)
    got = crossentropy(Y, torch.tensor(t), Mask=torch.tensor(mask), NormalizationFactor="mask-included")
    per_obs = -(mask * t * np.log(p)).sum(0) / np.maximum(mask.sum(0), 1)
    assert got.item() == pytest.approx(per_obs.sum(), rel=1e-12)
    # unformatted predictions with DataFormat in B×C order
    assert crossentropy(torch.tensor(p.T), torch.tensor(t.T), DataFormat="BC").item() == \
        pytest.approx(-(t * np.log(p)).sum() / 6, rel=1e-12)
    with pytest.raises(DLFunctionError, match="not both"):
        crossentropy(Y, torch.tensor(t), ClassificationMode="multilabel", TargetCategories="independent")


def test_crossentropy_of_softmax_has_the_textbook_gradient() -> None:
    """d/dX crossentropy(softmax(X), T) = (softmax(X) − T)/N: MATLAB's classification gradient."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 8)).astype(np.float32).astype(np.float64)
    t = np.eye(5)[:, rng.integers(0, 5, 8)]
    X = dlarray(torch.tensor(x), "CB").double()

    def loss_fn(X):
        loss = crossentropy(softmax(X), torch.tensor(t))
        return dlgradient(loss, X), loss
    grad, _ = dlfeval(loss_fn, X)
    p = np.exp(x) / np.exp(x).sum(0)
    # dlgradient gives the gradient in X's torch layout (B×C): compare with the MATLAB-layout formula transposed
    np.testing.assert_allclose(grad.numpy(), ((p - t) / 8).T, rtol=1e-10)


def test_onehotencode_and_decode() -> None:
    labels = Categorical(["dog", "cat", "bird", "cat"])  # N×1; categories sorted: bird, cat, dog
    enc = onehotencode(labels, 2)
    assert enc.dtype == np.float32 and enc.shape == (4, 3)
    assert enc.tolist() == [[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 0]]
    row = Categorical(codes=np.array([[2, 0, 1]]), categories=["a", "b"])  # 1×3 with an <undefined>
    enc = onehotencode(row, 1, "double")
    assert enc.dtype == np.float64 and enc.shape == (2, 3)
    assert enc[:, 0].tolist() == [0, 1] and np.isnan(enc[:, 1]).all() and enc[:, 2].tolist() == [1, 0]
    assert onehotencode(np.array([3, 1]), 2, ClassNames=[1, 2, 3]).tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(DLFunctionError, match="singleton"):
        onehotencode(labels, 1)
    # decoding: the largest score along featureDim, first on ties; categories in the order given
    scores = np.array([[0.1, 0.7, 0.5], [0.6, 0.2, 0.5], [0.3, 0.1, 0.0]])  # C×B
    dec = onehotdecode(scores, ["x", "y", "z"], 1)
    assert dec.categories == ["x", "y", "z"] and dec.tolist() == [["y", "x", "x"]]
    dec = onehotdecode(dlarray(torch.tensor(scores), "CB"), ["x", "y", "z"], 1)  # formatted: C is dimension 1
    assert dec.tolist() == [["y", "x", "x"]]
    assert onehotdecode(scores, [10, 20, 30], 1, "double").tolist() == [[20.0, 10.0, 10.0]]
    back = onehotdecode(onehotencode(labels, 2), labels.categories, 2)
    assert [r[0] for r in back.tolist()] == labels.tolist()
