"""dlfeval / dlgradient against torch.autograd directly, and the GAN losses against numpy.

Confirmed on MathWorks pages: `[y1,...,yk] = dlfeval(fun,x1,...,xn)` runs fun with automatic
differentiation, and dlgradient calls inside it "compute gradients from the inputs x1,...,xn" (the dlfeval
page's Rosenbrock example, reproduced below, differentiates with respect to a plain `dlarray([-1,2])` input);
`[dydx1,...,dydxk] = dlgradient(y,x1,...,xk)`; `dlgradient(y,x,'RetainData',true)` retains intermediate
values for reuse in subsequent dlgradient calls. From the project's reference notes and the seed example
(not re-read here): dlgradient(loss, net.Learnables) returns a table like Learnables, parameters the loss
does not depend on get zeros, and the loss must be a scalar.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph.dlarray import DLArray, dlarray, sigmoid
from layergraph.gan.losses import ganLoss, ganLossFromLogits
from layergraph.table import Table
from layergraph.train.autodiff import AutodiffError, dlfeval, dlgradient


class TinyNet:
    """A hand-written two-layer model exposing MATLAB-style Learnables, plus one parameter it never uses."""

    def __init__(self, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.w1 = torch.nn.Parameter(torch.randn(5, 3, generator=g))
        self.b1 = torch.nn.Parameter(torch.randn(5, generator=g))
        self.w2 = torch.nn.Parameter(torch.randn(1, 5, generator=g))
        self.b2 = torch.nn.Parameter(torch.randn(1, generator=g))
        self.unused = torch.nn.Parameter(torch.randn(2, 2, generator=g))

    @property
    def Learnables(self) -> Table:
        return Table(["fc1", "fc1", "fc2", "fc2", "spare"], ["Weights", "Bias", "Weights", "Bias", "Scale"],
                     [self.w1, self.b1, self.w2, self.b2, self.unused])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.w1.T + self.b1) @ self.w2.T + self.b2


def model_loss(net: TinyNet, x: torch.Tensor) -> tuple[torch.Tensor, Table]:
    loss = net.forward(x).square().mean()
    return loss, dlgradient(loss, net.Learnables)


def test_dlgradient_matches_autograd_and_fills_zeros():
    """Table in, Table out with the same rows; values equal torch.autograd.grad; unused parameter -> zeros."""
    net = TinyNet()
    x = torch.randn(7, 3)
    loss, grads = dlfeval(model_loss, net, x)

    ref_loss = net.forward(x).square().mean()
    ref = torch.autograd.grad(ref_loss, [net.w1, net.b1, net.w2, net.b2])
    assert isinstance(grads, Table) and grads.keys() == net.Learnables.keys()
    for g, r in zip(grads.Value[:4], ref, strict=True):
        torch.testing.assert_close(g, r)
    torch.testing.assert_close(grads["spare", "Scale"], torch.zeros(2, 2))
    assert torch.equal(loss.detach(), ref_loss.detach())
    for g in grads.Value:
        assert type(g) is torch.Tensor and not g.requires_grad


def test_dlgradient_accepts_network_object_and_structures():
    """A network gives a Table; a tensor gives a tensor; lists and dicts keep their structure; several inputs."""
    net = TinyNet(1)
    x = torch.randn(4, 3)

    def fn(net, x):
        loss = net.forward(x).sum()
        return (dlgradient(loss, net, RetainData=True), dlgradient(loss, net.w2, RetainData=True),
                dlgradient(loss, [net.b1, {"w": net.w2}], RetainData=True),
                dlgradient(loss, net.b2, net.unused))

    table, w2, nested, (b2, unused) = dlfeval(fn, net, x)
    ref = torch.autograd.grad(net.forward(x).sum(), [net.w1, net.b1, net.w2, net.b2])
    assert isinstance(table, Table) and len(table) == 5
    torch.testing.assert_close(table.Value[0], ref[0])
    torch.testing.assert_close(w2, ref[2])
    assert isinstance(nested, list) and isinstance(nested[1], dict)
    torch.testing.assert_close(nested[0], ref[1])
    torch.testing.assert_close(nested[1]["w"], ref[2])
    torch.testing.assert_close(b2, ref[3])
    torch.testing.assert_close(unused, torch.zeros(2, 2))


def test_retain_data_semantics_like_seed():
    """Seed's pattern: dlgradient(lossG, G, RetainData=True) then dlgradient(lossD, D) on one forward pass."""
    gen, disc = TinyNet(2), TinyNet(3)
    z = torch.randn(6, 3)
    x_real = torch.randn(6, 3)

    def model_gradients(gen, disc, x_real, z):
        x_fake = torch.tanh(gen.forward(z)).expand(-1, 3)
        prob_real = torch.sigmoid(disc.forward(x_real))
        prob_fake = torch.sigmoid(disc.forward(x_fake))
        loss_g, loss_d = ganLoss(prob_real, prob_fake)
        grad_g = dlgradient(loss_g, gen.Learnables, RetainData=True)
        grad_d = dlgradient(loss_d, disc.Learnables)
        return grad_g, grad_d, loss_g, loss_d

    grad_g, grad_d, loss_g, loss_d = dlfeval(model_gradients, gen, disc, x_real, z)

    # independent forward passes for each loss
    def losses():
        x_fake = torch.tanh(gen.forward(z)).expand(-1, 3)
        pr, pf = torch.sigmoid(disc.forward(x_real)), torch.sigmoid(disc.forward(x_fake))
        return -torch.log(pf).mean(), -torch.log(pr).mean() - torch.log(1 - pf).mean()

    ref_loss_g, ref_loss_d = losses()
    torch.testing.assert_close(loss_g.detach(), ref_loss_g.detach())
    torch.testing.assert_close(loss_d.detach(), ref_loss_d.detach())
    ref_g = torch.autograd.grad(losses()[0], [gen.w1, gen.b1, gen.w2, gen.b2])
    ref_d = torch.autograd.grad(losses()[1], [disc.w1, disc.b1, disc.w2, disc.b2])
    for a, b in zip(grad_g.Value[:4], ref_g, strict=True):
        torch.testing.assert_close(a, b)
    for a, b in zip(grad_d.Value[:4], ref_d, strict=True):
        torch.testing.assert_close(a, b)


def test_second_dlgradient_without_retain_data_differentiates_again():
    """MATLAB: RetainData only saves recomputation; a second dlgradient of one trace without it still works (the
    SciNet program does this). Both equal torch's gradients; dlfeval's outputs come back untraced."""
    net = TinyNet(4)
    x = torch.randn(3, 3)

    def fn(net, x):
        loss = net.forward(x).square().mean()
        return loss, dlgradient(loss, net.Learnables), dlgradient(2 * loss, net.Learnables)

    loss, g1, g2 = dlfeval(fn, net, x)
    w1, b1, w2, b2 = (p.detach().clone().requires_grad_(True) for p in net.Learnables.Value[:4])
    ref = torch.autograd.grad((torch.tanh(x @ w1.T + b1) @ w2.T + b2).square().mean(), [w1, b1, w2, b2])
    for a, b, r in zip(g1.Value[:4], g2.Value[:4], ref, strict=True):
        torch.testing.assert_close(a, r)
        torch.testing.assert_close(b, 2 * r)
    assert loss.grad_fn is None  # the trace ends with dlfeval, so nothing keeps it alive afterwards


def test_loss_must_be_scalar_and_traced():
    net = TinyNet(5)
    x = torch.randn(3, 3)
    with pytest.raises(AutodiffError, match=r"must be a scalar.*size \(3, 1\)"):
        dlfeval(lambda n, v: dlgradient(n.forward(v), n.Learnables), net, x)
    with pytest.raises(AutodiffError, match="not traced"):
        dlgradient(torch.tensor(1.0), net.Learnables)
    frozen = Table(["fc"], ["Weights"], [torch.ones(2)])
    with pytest.raises(AutodiffError, match=r"Layer 'fc', Parameter 'Weights'.*not traced"):
        dlfeval(lambda: dlgradient(net.forward(x).sum(), frozen))


def test_dlfeval_enables_grad_and_returns_outputs_untraced():
    """Even inside torch.no_grad, dlfeval records (dlgradient works inside it); its outputs come back as they
    are, less their traces (MATLAB traces only inside dlfeval); other values pass through untouched."""
    net = TinyNet(6)
    marker = object()

    def fn(net, x, *, tag):
        loss = net.forward(x).sum()
        return loss, dlgradient(loss, net.w2), tag

    with torch.no_grad():
        loss, grad, tag = dlfeval(fn, net, torch.randn(2, 3), tag=marker)
    assert not loss.requires_grad and tag is marker
    assert grad.abs().sum() > 0


def test_dlfeval_traces_dlarray_inputs_without_touching_callers_copy():
    """MATLAB traces dlarray inputs: dlgradient(loss, X) works; the caller's X stays untraced."""
    data = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    x = dlarray(data, "CB")

    def fn(x):
        assert isinstance(x, DLArray) and x.fmt == "CB"
        loss = (x * x).sum()
        return dlgradient(loss, x)

    g = dlfeval(fn, x)
    assert type(g) is DLArray and g.fmt == "CB"  # MATLAB: the gradient of a dlarray has its format
    torch.testing.assert_close(g.as_subclass(torch.Tensor), 2 * x.as_subclass(torch.Tensor))
    assert not x.requires_grad


def test_rosenbrock_example_from_dlfeval_page():
    """MATLAB's dlfeval example: at [-1, 2] the value is 104 and the gradient [396, 200]; two-input form too."""
    def rosenbrock(x):
        y = 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
        return y, dlgradient(y, x)

    fval, gradval = dlfeval(rosenbrock, dlarray([-1.0, 2.0]))
    assert fval.item() == 104
    torch.testing.assert_close(gradval, torch.tensor([396.0, 200.0]))

    def rosenbrock2(x1, x2):
        y = 100 * (x2 - x1 ** 2) ** 2 + (1 - x1) ** 2
        return (y, *dlgradient(y, x1, x2))

    _, d1, d2 = dlfeval(rosenbrock2, dlarray(-1.0), dlarray(2.0))
    assert (d1.item(), d2.item()) == (396.0, 200.0)


def test_model_function_style_training_loop():
    """MATLAB's model-function workflow: a dict of dlarray parameters, traced by dlfeval, updated by adamupdate."""
    from layergraph.train.optimizers import adamupdate

    rng = np.random.default_rng(4)
    params = {"W": dlarray(rng.standard_normal((1, 3)).astype(np.float32), "CU"),
              "b": dlarray(np.zeros((1, 1), dtype=np.float32), "CU")}
    x = torch.tensor(rng.standard_normal((32, 3)), dtype=torch.float32)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3

    def model_loss(params, x, y):
        pred = x @ params["W"].as_subclass(torch.Tensor).T + params["b"].as_subclass(torch.Tensor)
        loss = (pred - y).square().mean()
        return loss, dlgradient(loss, params)

    losses, avg, avg_sq = [], None, None
    for iteration in range(1, 201):
        loss, grads = dlfeval(model_loss, params, x, y)
        assert set(grads) == {"W", "b"} and not params["W"].requires_grad
        params, avg, avg_sq = adamupdate(params, grads, avg, avg_sq, iteration, 0.05)
        losses.append(loss.item())
    assert isinstance(params["W"], DLArray) and params["W"].fmt == "CU"
    assert losses[-1] < 0.01 * losses[0]


def test_enable_higher_derivatives():
    """With EnableHigherDerivatives the gradient is itself differentiable: d2/dx2 of sum(x^3) is 6x."""
    x = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)

    def fn(x):
        g = dlgradient((x ** 3).sum(), x, EnableHigherDerivatives=True)
        return g, dlgradient(g.sum(), x)

    g, h = dlfeval(fn, x)
    torch.testing.assert_close(g.detach(), 3 * x.detach() ** 2)
    torch.testing.assert_close(h, 6 * x.detach())


# --- losses -----------------------------------------------------------------------------------------------

def np_gan_loss(p_real: np.ndarray, p_gen: np.ndarray) -> tuple[float, float]:
    loss_gen = -np.mean(np.log(p_gen))
    loss_disc = -np.mean(np.log(p_real)) - np.mean(np.log(1 - p_gen))
    return loss_gen, loss_disc


def test_gan_loss_matches_numpy():
    """ganLoss returns (lossGenerator, lossDiscriminator) with the seed's formulas."""
    rng = np.random.default_rng(1)
    p_real = rng.uniform(0.05, 0.95, (8, 1, 1, 1))
    p_gen = rng.uniform(0.05, 0.95, (8, 1, 1, 1))
    lg, ld = ganLoss(torch.tensor(p_real), torch.tensor(p_gen))
    eg, ed = np_gan_loss(p_real, p_gen)
    assert lg.item() == pytest.approx(eg, rel=1e-12)
    assert ld.item() == pytest.approx(ed, rel=1e-12)


def test_gan_loss_from_logits_equals_probability_version():
    """Same values and gradients as ganLoss(sigmoid(y)); finite where probabilities saturate."""
    rng = np.random.default_rng(2)
    y_real = torch.tensor(rng.normal(0, 2, (16, 1)), dtype=torch.float32, requires_grad=True)
    y_gen = torch.tensor(rng.normal(0, 2, (16, 1)), dtype=torch.float32, requires_grad=True)
    a = ganLoss(sigmoid(y_real), sigmoid(y_gen))
    b = ganLossFromLogits(y_real, y_gen)
    for u, v in zip(a, b, strict=True):
        torch.testing.assert_close(u, v, rtol=1e-5, atol=1e-6)
    ga = torch.autograd.grad(a[0] + 2 * a[1], [y_real, y_gen])
    gb = torch.autograd.grad(b[0] + 2 * b[1], [y_real, y_gen])
    for u, v in zip(ga, gb, strict=True):
        torch.testing.assert_close(u, v, rtol=1e-5, atol=1e-6)

    big = torch.tensor([[40.0]])
    lg, ld = ganLossFromLogits(big, big)
    assert torch.isfinite(lg) and torch.isfinite(ld) and ld.item() == pytest.approx(40.0, rel=1e-4)
    assert not torch.isfinite(ganLoss(sigmoid(big), sigmoid(big))[1])


def test_label_flip_is_negating_logits():
    """The seed flips probReal(idx) = 1 - probReal(idx); in logits that is yReal(idx) = -yReal(idx)."""
    y = torch.tensor([[1.5], [-0.3], [2.0], [0.7]])
    idx = [0, 2]
    p = sigmoid(y).clone()
    p[idx] = 1 - p[idx]
    y_flipped = y.clone()
    y_flipped[idx] = -y_flipped[idx]
    y_gen = torch.tensor([[0.1], [-1.0], [0.4], [0.0]])
    torch.testing.assert_close(ganLoss(p, sigmoid(y_gen))[1], ganLossFromLogits(y_flipped, y_gen)[1])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_dlgradient_on_cuda():
    net = TinyNet(7)
    for name in ("w1", "b1", "w2", "b2", "unused"):
        setattr(net, name, torch.nn.Parameter(getattr(net, name).detach().cuda()))
    x = torch.randn(5, 3, device="cuda")
    _, grads = dlfeval(model_loss, net, x)
    assert all(g.device.type == "cuda" for g in grads.Value)
    torch.testing.assert_close(grads["spare", "Scale"], torch.zeros(2, 2, device="cuda"))


def test_predict_is_traced_inside_dlfeval_only() -> None:
    """MATLAB traces operations for dlgradient inside dlfeval and nowhere else: predict outside it keeps no autograd
    graph (a reverse-diffusion loop of chained predicts held every step's graph before), inside it differentiates."""
    import layergraph as lg

    net = lg.dlnetwork([lg.featureInputLayer(3, Name="in"), lg.fullyConnectedLayer(2, Name="fc")])
    X = lg.dlarray(torch.randn(3, 4), "CB")
    Y = lg.predict(net, X)
    assert not Y.requires_grad and Y.grad_fn is None

    def loss_of(net, X):
        loss = lg.sum(lg.predict(net, X), "all")
        return loss, lg.dlgradient(loss, net.Learnables)

    loss, grads = lg.dlfeval(loss_of, net, X)
    expected = torch.ones(2, 4) @ torch.as_tensor(lg.extractdata(X)).T  # d sum(W·X + b) / dW
    torch.testing.assert_close(torch.as_tensor(lg.extractdata(grads.Value[0])), expected)  # fc/Weights row
    assert float(loss) == pytest.approx(float(lg.sum(Y, "all")), rel=1e-6)
