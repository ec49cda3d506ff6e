"""dlarray semantics against numpy written from MATLAB's documented behaviour, on MATLAB-layout arrays.

References (MathWorks pages for dlarray, dims, extractdata, stripdims, finddim, size, sum, mean, max, cat,
reshape, permute, squeeze, softmax): a formatted dlarray stores its dimensions in the order S…, C, B, T, U and
every MATLAB function numbers dimensions in that order, so numpy on `extractdata(X)` (the MATLAB-layout data)
with axis d−1 is the reference for MATLAB dimension d. Reductions keep the reduced dimension (size 1); size()
drops trailing singletons but keeps at least two; reshape is column-major (numpy order='F'); stripdims returns
the data unformatted in MATLAB layout; softmax on formatted data normalises over C. Not re-read in MATLAB's docs
and chosen here (docs/porting-from-matlab.md says so): reshape/permute/squeeze return unformatted data, and
elementwise operations on two different formats match dimensions by label.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph import (
    abs,
    cat,
    dims,
    dlarray,
    exp,
    extractdata,
    finddim,
    leakyrelu,
    log,
    max,
    mean,
    min,
    ndims,
    numel,
    permute,
    relu,
    reshape,
    sigmoid,
    size,
    softmax,
    sqrt,
    squeeze,
    stripdims,
    sum,
    tanh,
)
from layergraph.data import Categorical
from layergraph.dlarray import DLArray

# MATLAB-layout sizes for each format the issue names
SIZES = {"SSCB": (4, 5, 3, 2), "SSCBT": (3, 4, 2, 2, 5), "CB": (3, 6), "CBT": (3, 2, 4)}


def rand(fmt: str, seed: int = 0, positive: bool = False) -> tuple[DLArray, np.ndarray]:
    """A formatted dlarray and the same data as a MATLAB-layout numpy array."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(SIZES[fmt])
    a = np.abs(a) + 0.1 if positive else a
    return dlarray(torch.tensor(a, dtype=torch.float64), fmt).double(), a.astype(np.float32).astype(np.float64)


def data(x: torch.Tensor) -> np.ndarray:
    return extractdata(x).double().numpy()


@pytest.mark.parametrize("fmt", list(SIZES))
def test_layout_and_labels_of_elementwise_operations(fmt: str) -> None:
    x, a = rand(fmt, positive=True)
    y, b = rand(fmt, seed=1, positive=True)
    cases = {
        "x + y": (x + y, a + b), "x - 2": (x - 2, a - 2), "3 * x": (3 * x, 3 * a), "x / y": (x / y, a / b),
        "x ** 2": (x ** 2, a ** 2), "2 ** x": (2 ** x, 2 ** a), "-x": (-x, -a), "1 - x": (1 - x, 1 - a),
        "exp": (exp(x), np.exp(a)), "log": (log(x), np.log(a)), "abs": (abs(-x), a), "sqrt": (sqrt(x), np.sqrt(a)),
        "tanh": (tanh(x), np.tanh(a)), "sigmoid": (sigmoid(-x), 1 / (1 + np.exp(a))),
        "relu": (relu(x - 1), np.maximum(a - 1, 0)), "leakyrelu": (leakyrelu(x - 1, 0.2), np.where(a > 1, a - 1,
                                                                                                   0.2 * (a - 1))),
        "torch.exp": (torch.exp(x), np.exp(a)), "ones_like": (torch.ones_like(x), np.ones_like(a)),
        "clone": (x.clone(), a),
    }
    for name, (got, want) in cases.items():
        assert dims(got) == fmt, name
        np.testing.assert_allclose(data(got), want, rtol=1e-6, err_msg=name)


def test_broadcasting_same_format_and_matching_labels() -> None:
    x, a = rand("SSCB")
    # a per-channel value of the same format: 1×1×C×1
    c = dlarray(torch.tensor([1.0, 2.0, 3.0]).reshape(1, 1, 3), "SSCB")
    got = x * c
    assert dims(got) == "SSCB"
    np.testing.assert_allclose(data(got), a * np.array([1, 2, 3]).reshape(1, 1, 3, 1), rtol=1e-6)
    # "CB" data meet "SSCB" data by label, not by position: treated as 1×1×C×B
    z = dlarray(torch.arange(6.0).reshape(3, 2), "CB")
    got = x + z
    assert dims(got) == "SSCB"
    np.testing.assert_allclose(data(got), a + np.arange(6.0).reshape(1, 1, 3, 2), rtol=1e-6)
    with pytest.raises(ValueError, match="labels do not match"):
        _ = dlarray(torch.ones(3, 2), "CT") + dlarray(torch.ones(3, 2), "CB")


@pytest.mark.parametrize("fmt", list(SIZES))
def test_softmax_over_channels(fmt: str) -> None:
    x, a = rand(fmt)
    axis = fmt.index("C")
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    want = e / e.sum(axis=axis, keepdims=True)
    got = softmax(x)
    assert dims(got) == fmt
    np.testing.assert_allclose(data(got), want, rtol=1e-6)
    # unformatted data with DataFormat come back unformatted in their own order (B×C here)
    plain = softmax(torch.tensor(a.T if fmt == "CB" else a), DataFormat="BC" if fmt == "CB" else fmt)
    assert dims(plain) == ""
    np.testing.assert_allclose(data(plain), want.T if fmt == "CB" else want, rtol=1e-6)


@pytest.mark.parametrize("fmt", list(SIZES))
def test_size_numel_ndims_finddim(fmt: str) -> None:
    x, a = rand(fmt)
    assert size(x) == a.shape
    for d in range(1, a.ndim + 3):
        assert size(x, d) == (a.shape[d - 1] if d <= a.ndim else 1)
    assert size(x, [1, 2]) == a.shape[:2] and size(x, 1, 2) == a.shape[:2]
    assert numel(x) == a.size and ndims(x) == a.ndim
    assert finddim(x, "C") == [fmt.index("C") + 1]
    assert finddim(x, "S") == [i + 1 for i, c in enumerate(fmt) if c == "S"]
    assert finddim(x, "U") == [] and finddim(torch.ones(2, 3), "C") == []
    # trailing singleton dimensions are dropped, but at least two remain
    assert size(dlarray(torch.ones(4, 4, 3), "SSCB")) == (4, 4, 3)
    assert size(dlarray(torch.ones(3), "CB")) == (3, 1)
    assert size(torch.ones(5)) == (5, 1) and size(torch.tensor(2.0)) == (1, 1)


@pytest.mark.parametrize("fmt", list(SIZES))
@pytest.mark.parametrize("fn", ["sum", "mean", "max", "min"])
def test_reductions_act_on_matlab_dimensions(fmt: str, fn: str) -> None:
    x, a = rand(fmt)
    ref = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}[fn]
    ours = {"sum": sum, "mean": mean, "max": max, "min": min}[fn]

    def call(*args):
        return ours(x, [], *args) if fn in ("max", "min") else ours(x, *args)
    for d in range(1, a.ndim + 1):
        got = call(d)
        assert dims(got) == fmt, (fn, d)
        np.testing.assert_allclose(data(got), ref(a, axis=d - 1, keepdims=True), rtol=1e-6)
    # default: the first non-singleton dimension (dimension 1 here)
    np.testing.assert_allclose(data(call()), ref(a, axis=0, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(data(call("all")).reshape(-1), [ref(a)], rtol=1e-6)
    np.testing.assert_allclose(data(call([1, 2])), ref(a, axis=(0, 1), keepdims=True), rtol=1e-6)
    # a dimension beyond the array returns it unchanged, as in MATLAB
    np.testing.assert_allclose(data(call(a.ndim + 2)), a, rtol=1e-6)


def test_reduction_defaults_skip_singletons_and_plain_inputs() -> None:
    row = torch.tensor([[1.0, 2.0, 3.0]])  # 1×3: MATLAB's sum(row) is the sum along dimension 2
    assert sum(row).tolist() == [[6.0]]
    assert mean(np.array([[1.0, 3.0], [5.0, 7.0]])).tolist() == [[3.0, 5.0]]
    z = dlarray(torch.ones(1, 1, 1, 4), "SSCB")  # 1×1×1×B scores: mean(X) averages the batch
    assert size(mean(z)) == (1, 1) and dims(mean(z)) == "SSCB"


def test_max_forms() -> None:
    x, a = rand("CB")
    m, i = max(x, [], 1, nargout=2)
    np.testing.assert_allclose(data(m), a.max(0, keepdims=True), rtol=1e-6)
    assert data(i).tolist() == (a.argmax(0)[None, :] + 1).tolist()  # 1-based, as MATLAB
    m, i = min(x, [], 2, nargout=2)
    assert data(i).tolist() == (a.argmin(1)[:, None] + 1).tolist()
    # max(A, B) is elementwise and keeps the labels; NaN is ignored as MATLAB does
    got = max(x, 0)
    assert dims(got) == "CB"
    np.testing.assert_allclose(data(got), np.maximum(a, 0), rtol=1e-6)
    assert max(torch.tensor([float("nan"), 1.0]), torch.tensor([2.0, float("nan")])).tolist() == [2.0, 1.0]
    # Python's built-ins for everything that is not an array
    assert sum([1, 2, 3]) == 6 and sum(i for i in range(4)) == 6 and max(3, 5) == 5 and min([4, 2]) == 2
    assert max(["a", "ab"], key=len) == "ab" and abs(-2) == 2


def test_reshape_permute_squeeze_follow_matlab_layout() -> None:
    x, a = rand("SSCB")
    got = reshape(x, 20, [])
    assert dims(got) == "" and isinstance(got, DLArray)
    np.testing.assert_allclose(data(got), a.reshape(20, -1, order="F"), rtol=1e-6)
    np.testing.assert_allclose(data(reshape(x, [2, 10, 6])), a.reshape(2, 10, 6, order="F"), rtol=1e-6)
    assert reshape(np.arange(6), 2, 3).tolist() == [[0, 2, 4], [1, 3, 5]]
    np.testing.assert_allclose(data(permute(x, [4, 3, 1, 2])), a.transpose(3, 2, 0, 1), rtol=1e-6)
    np.testing.assert_allclose(data(permute(torch.ones(2, 3), [3, 1, 2])), np.ones((1, 2, 3)))
    s = squeeze(dlarray(torch.tensor(a[:1, :1]), "SSCB"))  # 1×1×C×B → C×B
    np.testing.assert_allclose(data(s), a[0, 0], rtol=1e-6)
    assert size(squeeze(torch.ones(1, 1, 5))) == (5, 1) and size(squeeze(torch.ones(1, 4))) == (1, 4)
    with pytest.raises(ValueError, match="elements"):
        reshape(x, 7, [])
    # torch operations that move dimensions drop the labels (MATLAB would call the result unformatted)
    assert dims(x.permute(0, 2, 3, 1)) == "" and dims(x.reshape(-1)) == "" and dims(x.sum(1)) == ""


def test_cat_joins_matlab_dimensions_and_keeps_the_format() -> None:
    """The issue's silent cases: cat(3, ...) on 4×5×3×2 SSCB joined heights; cat(1, ...) on CB stacked batches."""
    a_x, a = rand("SSCB")
    b_x, b = rand("SSCB", seed=2)
    got = cat(3, a_x, b_x)
    assert dims(got) == "SSCB" and size(got) == (4, 5, 6, 2)
    np.testing.assert_allclose(data(got), np.concatenate([a, b], axis=2), rtol=1e-6)
    z1, z1n = rand("CB")
    z2 = dlarray(torch.ones(2, 6, dtype=torch.float64), "CB")
    got = cat(1, z1, z2)
    assert dims(got) == "CB" and size(got) == (5, 6)
    np.testing.assert_allclose(data(got), np.concatenate([z1n, np.ones((2, 6))], axis=0), rtol=1e-6)
    got = cat(2, z1, z1)
    assert size(got) == (3, 12)
    np.testing.assert_allclose(data(got), np.concatenate([z1n, z1n], axis=1), rtol=1e-6)
    t_x, t = rand("SSCBT")
    np.testing.assert_allclose(data(cat(5, t_x, t_x)), np.concatenate([t, t], axis=4), rtol=1e-6)
    # unformatted data among formatted arrays are MATLAB layout, labelled like the others
    np.testing.assert_allclose(data(cat(3, a_x, torch.tensor(b))), np.concatenate([a, b], axis=2), rtol=1e-6)
    with pytest.raises(ValueError, match="beyond the 2 dimensions"):
        cat(3, z1, z1)
    with pytest.raises(ValueError, match="different formats"):
        cat(1, z1, dlarray(torch.ones(3, 6), "CT"))
    with pytest.raises(ValueError, match="not consistent along dim 1"):
        cat(1, a_x, b_x.m[:, :1, :, :])
    # numpy, torch and categoricals keep working the same way
    assert cat(4, np.ones((2, 2, 1)), np.zeros((2, 2, 1))).shape == (2, 2, 1, 2)
    labels = cat(1, Categorical(["a"]), Categorical(["b"]))
    assert labels.tolist() == [["a"], ["b"]]


def test_stripdims_and_extractdata() -> None:
    x, a = rand("SSCB")
    x = x.requires_grad_()
    s = stripdims(x)
    assert isinstance(s, DLArray) and dims(s) == "" and tuple(s.shape) == a.shape  # MATLAB layout
    (s * 2).sum().backward()  # still traced
    assert torch.equal(x.grad, torch.full_like(x, 2.0))
    z, zn = rand("CB")
    assert tuple(stripdims(z, "BC").shape) == zn.T.shape
    np.testing.assert_allclose(stripdims(z, "BC").detach().numpy(), zn.T, rtol=1e-6)
    with pytest.raises(ValueError, match="same labels"):
        stripdims(z, "CT")
    e = extractdata(x)
    assert not e.requires_grad and tuple(e.shape) == a.shape
    assert dlarray(x) is x  # dlarray of a formatted dlarray is itself
    with pytest.raises(ValueError, match="already labelled"):
        dlarray(x, "SSCT")


def test_matlab_order_indexing() -> None:
    x, a = rand("SSCB")
    idx = torch.tensor([1, 0])
    got = x.m[:, :, :, idx]  # MATLAB's X(:,:,:,[2 1])
    assert dims(got) == "SSCB"
    np.testing.assert_allclose(data(got), a[:, :, :, [1, 0]], rtol=1e-6)
    one = x.m[2, :, 1, :]  # an integer keeps its dimension (size 1), so the format survives
    assert dims(one) == "SSCB" and size(one) == (1, 5, 1, 2)
    np.testing.assert_allclose(data(one), a[2:3, :, 1:2, :], rtol=1e-6)
    block = x.m[[0, 3], [1, 2], :, -1]  # several index lists select the block they span, as MATLAB
    np.testing.assert_allclose(data(block), a[np.ix_([0, 3], [1, 2], [0, 1, 2], [1])], rtol=1e-6)
    mask = np.array([True, False, True])
    np.testing.assert_allclose(data(x.m[:, :, mask, :]), a[:, :, mask, :], rtol=1e-6)
    with pytest.raises(IndexError, match="one subscript per dimension"):
        x.m[0, 0]


def test_matlab_order_assignment_the_gan_label_flip() -> None:
    """Y(:,:,:,idx) = 1 - Y(:,:,:,idx) on 1×1×1×B scores, differentiable like the examples need."""
    y0 = torch.rand(1, 1, 1, 8, dtype=torch.float64)
    logits = dlarray(y0, "SSCB").requires_grad_()
    p = sigmoid(logits).clone()
    idx = torch.tensor([0, 3, 5])
    p.m[:, :, :, idx] = 1 - p.m[:, :, :, idx]
    want = 1 / (1 + np.exp(-y0.numpy()))
    want[..., [0, 3, 5]] = 1 - want[..., [0, 3, 5]]
    assert dims(p) == "SSCB"
    np.testing.assert_allclose(data(p), want, rtol=1e-6)
    mean(log(p), "all").backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()
    # MATLAB-layout values on the right-hand side, and the outer-product block
    x, a = rand("SSCB")
    kept = extractdata(x)  # a value, as MATLAB's: later assignments to x do not reach it
    x.m[:, :, 0, :] = torch.zeros(4, 5, 1, 2, dtype=torch.float64)
    np.testing.assert_allclose(kept.numpy(), a, rtol=1e-6)
    x.m[[0, 1], [0, 4], :, :] = 7.0
    a[:, :, 0, :] = 0
    a[np.ix_([0, 1], [0, 4], [0, 1, 2], [0, 1])] = 7.0
    np.testing.assert_allclose(data(x), a, rtol=1e-6)
    with pytest.raises(ValueError, match="labelled 'CB'"):
        x.m[:, :, :, 0] = dlarray(torch.ones(3, 1), "CB")


def test_labels_survive_copies_pickling_and_saving(tmp_path) -> None:
    import copy
    import pickle
    x, a = rand("SSCB")
    for y in (copy.deepcopy(x), copy.copy(x), pickle.loads(pickle.dumps(x))):
        assert isinstance(y, DLArray) and dims(y) == "SSCB"
        np.testing.assert_allclose(data(y), a, rtol=1e-6)
    torch.save(x, tmp_path / "x.pt")
    y = torch.load(tmp_path / "x.pt", weights_only=False)
    assert dims(y) == "SSCB" and torch.equal(y, x)
    assert copy.deepcopy(x).data_ptr() != x.data_ptr()
