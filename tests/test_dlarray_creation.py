"""rand/randn/zeros/ones with MATLAB's size forms and `like`; unformatted dlarrays meeting formatted ones;
dlgradient of a dlarray keeps its format (the WGAN-GP example's `sum(dlgradient(...).^2, 1:3)` depends on it)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph import dlarray, dlfeval, dlgradient, extractdata, ones, rand, randn, size, zeros
from layergraph import sum as msum
from layergraph.dlarray import DLArray


def test_size_forms_and_classes() -> None:
    assert zeros(3).shape == (3, 3) and zeros(3).dtype == torch.float64  # MATLAB: n×n, double
    assert ones(2, 4, "single").shape == (2, 4) and ones(2, 4, "single").dtype == torch.float32
    assert rand([1, 1, 1, 5]).shape == (1, 1, 1, 5)
    assert randn([7]).shape == (7, 7)
    assert zeros().shape == (1, 1)
    assert float(ones(2, 3).sum()) == 6.0 and float(zeros(2, 2).abs().sum()) == 0.0
    r = rand(200, 50)
    assert float(r.min()) >= 0 and float(r.max()) < 1
    with pytest.raises(ValueError, match="one of single, double; got 'int8'"):
        rand(2, "int8")  # MATLAB's rand makes floating point only
    assert zeros(2, "int8").dtype == torch.int8 and ones(1, 2, "uint8").dtype == torch.uint8  # zeros/ones: any


def test_like_a_dlarray_gives_an_unformatted_dlarray_in_matlab_layout() -> None:
    X = dlarray(torch.randn(4, 5, 3, 2), "SSCB")
    e = rand([1, 1, 1, size(X, 4)], like=X)
    assert type(e) is DLArray and e.fmt == "" and tuple(e.shape) == (1, 1, 1, 2) and e.dtype == X.dtype
    Z = randn([100, size(X, 4)], like=X)
    assert tuple(Z.shape) == (100, 2) and dlarray(Z, "CB").fmt == "CB"
    assert randn(3, 2, "like", X).fmt == "" and tuple(randn(3, 2, "like", X).shape) == (3, 2)  # MATLAB's form
    t = zeros(2, 2, like=torch.ones(1, dtype=torch.float64))
    assert type(t) is torch.Tensor and t.dtype == torch.float64


def test_unformatted_operand_is_read_in_matlab_layout() -> None:
    """epsilon.*X + (1-epsilon).*G with epsilon 1×1×1×B: each observation scaled by its own epsilon."""
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((4, 5, 3, 2)), rng.standard_normal((4, 5, 3, 2))  # MATLAB layout H×W×C×B
    eps = np.array([0.25, 0.75]).reshape(1, 1, 1, 2)
    X, G = dlarray(torch.tensor(x), "SSCB"), dlarray(torch.tensor(g), "SSCB")
    E = rand([1, 1, 1, 2], like=X) * 0 + torch.tensor(eps, dtype=torch.float32)
    assert type(E) is DLArray and E.fmt == ""
    XHat = E * X + (1 - E) * G
    assert XHat.fmt == "SSCB"
    np.testing.assert_allclose(extractdata(XHat).numpy(), eps * x + (1 - eps) * g, rtol=1e-6, atol=1e-6)
    # a CB array and a 1×B unformatted row
    Y = dlarray(torch.tensor(rng.standard_normal((3, 2))), "CB")
    w = rand(1, 2, like=Y)
    np.testing.assert_allclose(extractdata(Y * w).numpy(), extractdata(Y).numpy() * w.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="more dimensions"):
        _ = Y + rand(1, 1, 2, like=Y)


def test_gradient_of_a_dlarray_keeps_its_format_and_can_be_differentiated_again() -> None:
    """d/dX of sum(X.^3) is 3X.^2 with X's labels; the squared norm per observation over dims 1:3 then has
    a gradient 2·g·dg/dX = 2·3X²·6X per element (numpy reference)."""
    x = np.random.default_rng(1).standard_normal((3, 4, 2, 5))
    X = dlarray(torch.tensor(x), "SSCB")

    def loss(X):
        g = dlgradient(msum(X ** 3, "all"), X, EnableHigherDerivatives=True)
        assert type(g) is DLArray and g.fmt == "SSCB"
        per_obs = msum(g ** 2, [1, 2, 3])
        assert size(per_obs) == (1, 1, 1, 5)
        return per_obs, dlgradient(msum(per_obs), X)

    per_obs, dX = dlfeval(loss, X)
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(extractdata(per_obs).detach().numpy().ravel(),
                               ((3 * x32 ** 2) ** 2).sum(axis=(0, 1, 2)), rtol=1e-4)
    np.testing.assert_allclose(extractdata(dX).numpy(), 36 * x32 ** 3, rtol=1e-4, atol=1e-5)


def test_a_one_element_array_is_a_size_number() -> None:
    """zeros(2, n) with n a 1×1 array (sum(...) of an array) is 2×n, as in MATLAB; a longer vector among
    several sizes stays an error."""
    n = msum(torch.ones(1, 3))
    assert size(zeros(2, n)) == (2, 3) and size(ones(torch.tensor([[2.0]]), 4)) == (2, 4)
    with pytest.raises(ValueError, match="not both"):
        zeros(2, torch.tensor([3.0, 4.0]))
