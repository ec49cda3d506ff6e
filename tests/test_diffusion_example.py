"""examples/diffusion_digits.py: its noising and reverse process against MathWorks' documented DDPM formulas
(written here in numpy); its whole network, loss gradients and Adam steps against the same U-Net written in plain
PyTorch (benchmarks/diffusion_torch.py) and Adam written from MATLAB's formula; and an end-to-end run (a tiny
digits folder, two iterations, three noise steps, scored)."""
from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from layergraph import adamupdate, dlarray, dlfeval, extractdata
from tests.test_examples import ROOT, run
from tests.test_train import write_digits

sys.path.insert(0, str(ROOT / "benchmarks"))
import diffusion_torch as dt  # the hand-written U-Net, shared with benchmarks/diffusion_reference.py


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("diffusion_digits", ROOT / "examples" / "diffusion_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def schedule(T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MathWorks' example: β linear from 1e-4 to 0.02; ᾱ_t = Π(1 − β); posterior variance
    β_t(1 − ᾱ_{t−1})/(1 − ᾱ_t) with ᾱ_0 = 1."""
    beta = np.linspace(1e-4, 0.02, T)
    abar = np.cumprod(1 - beta)
    prev = np.concatenate([[1.0], abar[:-1]])
    return beta, abar, beta * (1 - prev) / (1 - abar)


def test_noising_is_the_documented_closed_form(example) -> None:
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, (16, 16, 1, 5)).astype(np.float32)
    eps = rng.standard_normal((16, 16, 1, 5)).astype(np.float32)
    steps = np.array([1, 2, 100, 499, 500])
    _, abar, _ = schedule(500)
    got = example.applyNoiseToImage(dlarray(x0, "SSCB"), dlarray(eps, "SSCB"), torch.as_tensor(steps),
                                    torch.as_tensor(abar))
    want = np.sqrt(abar[steps - 1]) * x0 + np.sqrt(1 - abar[steps - 1]) * eps  # x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε
    np.testing.assert_allclose(np.asarray(extractdata(got)), want, atol=1e-5)


def test_reverse_process_is_mathworks_with_the_true_noise(example, monkeypatch) -> None:
    """With a network that predicts the true noise, (a) every state of the sampler equals numpy's reverse
    process with the same noise draws (the posterior variance, 1-based steps), and (b) it ends at the data."""
    T, n = 500, 3
    beta, abar, post = schedule(T)
    rng = np.random.default_rng(1)
    x0 = rng.uniform(-1, 1, (16, 16, 1, n))
    draws = [rng.standard_normal((16, 16, 1, n)).astype(np.float32) for _ in range(T)]  # x_T, then z for t > 1
    seen, calls = [], iter(draws)

    def fake_randn(*sz):
        assert list(sz[:4]) == [16, 16, 1, n]
        return next(calls)

    def oracle(net, images, step):  # ε = (x_t − √ᾱ_t x_0)/√(1 − ᾱ_t)
        x = np.asarray(extractdata(images), dtype=np.float64)
        t = np.asarray(extractdata(step))
        assert t.shape == (1, n) and np.all(t == t[0, 0])
        t = int(t[0, 0])
        seen.append((t, x))
        return dlarray(((x - np.sqrt(abar[t - 1]) * x0) / np.sqrt(1 - abar[t - 1])).astype(np.float32), "SSCB")

    monkeypatch.setattr(example, "randn", fake_randn)
    monkeypatch.setattr(example, "predict", oracle)
    out = example.generateAndDisplayImages(None, torch.as_tensor(beta), [16, 16], n, 1)

    x = draws[0].astype(np.float64)
    assert [t for t, _ in seen] == list(range(T, 0, -1))
    for (t, got), z in zip(seen, [*draws[1:], np.zeros_like(draws[0])]):
        np.testing.assert_allclose(got, x, atol=2e-4, err_msg=f"state at t = {t}")
        eps = (x - np.sqrt(abar[t - 1]) * x0) / np.sqrt(1 - abar[t - 1])
        x = (x - beta[t - 1] / np.sqrt(1 - abar[t - 1]) * eps) / np.sqrt(1 - beta[t - 1]) + np.sqrt(post[t - 1]) * z
    np.testing.assert_allclose(np.asarray(out), x, atol=2e-4)
    np.testing.assert_allclose(np.asarray(out), x0, atol=2e-4)  # the true noise gives back the data


def test_diffusion_example_trains_and_samples(tmp_path: Path) -> None:
    write_digits(tmp_path / "digits", per_class=24, classes=3)  # 72 images: one mini-batch of 64
    out = run("diffusion_digits.py", str(tmp_path / "digits"), "--iterations", "2", "--steps", "3", "--out",
              str(tmp_path / "run"), "--evaluate")
    assert "Iteration: 1, Loss:" in out
    assert "generated 36 digits to score" in out  # as many as the held-out half (3 classes × 12)
    assert "precision  generated" in out and "real held-out digits" in out
    assert re.search(r"confidently recognised \(one class, p ≥ 0.9\): generated \d+%   real held-out digits \d+%", out)
    grid = np.asarray(Image.open(tmp_path / "run" / "generated.png"))
    assert grid.shape[:2] == (10 * 16, 10 * 16)  # 100 generated 16×16 digits, tiled
    assert grid.std() > 0  # not a constant image


def randomised_network(example, c: int = 8):
    """The example's network with every learnable random (MATLAB layout, through setLearnable), so that biases,
    group-norm offsets and scales all count."""
    torch.manual_seed(0)
    net = example.createDiffusionNetwork(1, initialNumChannels=c)
    rng = np.random.default_rng(2)
    for layer, param in zip(net.Learnables.Layer, net.Learnables.Parameter):
        shape = net.getLearnable(layer, param).shape
        value = 0.2 * rng.standard_normal(shape) + (1.0 if param == "Scale" else 0.0)
        net.setLearnable(layer, param, value.astype(np.float32))
    return net


def training_inputs(n: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (16, 16, 1, n)).astype(np.float32)  # MATLAB's H×W×C×N
    noise = rng.standard_normal((16, 16, 1, n)).astype(np.float32)
    return x, noise, np.array([1, 37, 250, 500][:n], dtype=np.float32)


def nchw(a: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(a).permute(3, 2, 0, 1)


def matlab_adam(theta, g, m, v, t: int, lr: float, b1: float, b2: float, eps: float = 1e-8):
    """MATLAB's adamupdate (toolbox formula): m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², and
    θ ← θ − lr·sqrt(1 − β2ᵗ)/(1 − β1ᵗ) · m/(sqrt(v) + ε); ε 1e-8 by default. Float64 numpy."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return theta - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps), m, v


def test_network_equals_hand_written_torch(example) -> None:
    """createDiffusionNetwork's forward pass equals the plain-torch U-Net with the same weights."""
    net = randomised_network(example)
    ref = dt.DiffusionUNet(8)
    dt.copy_weights(net, ref)
    x, _, steps = training_inputs()
    y, _ = example.forward(net, dlarray(x, "SSCB"), dlarray(steps.reshape(1, -1), "CB"))
    want = ref(nchw(x), torch.as_tensor(steps)).detach().permute(2, 3, 1, 0).numpy()
    assert np.abs(want).max() > 1  # the random weights make a non-trivial output
    np.testing.assert_allclose(np.asarray(extractdata(y).detach()), want, atol=1e-5, rtol=1e-5)


def test_gradients_and_adam_steps_equal_hand_written(example) -> None:
    """Two training iterations of the example (modelLoss: forward, mse, dlgradient; adamupdate with the example's
    hyperparameters) equal the torch U-Net's loss and gradients per learnable, and Adam from MATLAB's formula
    applied to those gradients. (The key biases' true gradient is 0, softmax being shift-invariant: both sides
    give rounding noise there, hence a tolerance on the scale of all the gradients.)"""
    net = randomised_network(example)
    ref = dt.DiffusionUNet(8)
    dt.copy_weights(net, ref)
    params = dt.parameters_by_name(ref)
    x, noise, steps = training_inputs()
    m = {k: 0.0 for k in params}
    v = {k: 0.0 for k in params}
    avg, avg_sq = [], []
    for iteration in (1, 2):
        loss, grads = dlfeval(example.modelLoss, net, dlarray(x, "SSCB"), dlarray(steps.reshape(1, -1), "CB"),
                              dlarray(noise, "SSCB"))
        ref.zero_grad()
        want = 0.5 * (ref(nchw(x), torch.as_tensor(steps)) - nchw(noise)).square().sum() / x.shape[3]  # sum/(2N)
        want.backward()
        assert float(extractdata(loss).detach()) == pytest.approx(float(want.detach()), rel=1e-5)
        scale = max(float(p.grad.abs().max()) for p, _ in params.values())
        ours = {}
        for layer, param, g in grads:
            p, _ = params[(layer, param)]
            ours[(layer, param)] = np.asarray(g.detach(), dtype=np.float64).reshape(p.shape)
            np.testing.assert_allclose(ours[(layer, param)], p.grad.numpy(), rtol=1e-4, atol=1e-6 * scale,
                                       err_msg=f"{layer}/{param} at iteration {iteration}")
        assert set(ours) == set(params)
        net, avg, avg_sq = adamupdate(net, grads, avg, avg_sq, iteration, example.LEARN_RATE,
                                      example.GRADIENT_DECAY, example.SQUARED_GRADIENT_DECAY)
        with torch.no_grad():
            for key, (p, kind) in params.items():
                theta, m[key], v[key] = matlab_adam(p.double().numpy(), ours[key], m[key], v[key], iteration,
                                                    1e-3, 0.9, 0.9999)
                got = dt.to_torch(net.getLearnable(*key), kind).reshape(p.shape).numpy()
                np.testing.assert_allclose(got, theta, atol=1e-6, err_msg=f"{key} after iteration {iteration}")
                p.copy_(torch.as_tensor(theta))  # the reference follows the hand-computed weights


def test_learn_rate_drop_is_one_piecewise_step(example, monkeypatch) -> None:
    """--learn-rate-drop: adamupdate gets LEARN_RATE up to the drop iteration and LEARN_RATE·0.1 from it on."""
    rates = []

    class Queue:  # a minibatchqueue of endless 2-image mini-batches
        def shuffle(self) -> None:
            pass

        def hasdata(self) -> bool:
            return True

        def next(self):
            return dlarray(np.zeros((16, 16, 1, 2), dtype=np.float32), "SSCB")

    def fake_adam(net, grad, avg, avg_sq, iteration, lr, *_):
        rates.append((iteration, lr))
        return net, avg, avg_sq

    monkeypatch.setattr(example, "dlfeval", lambda *a: (torch.tensor(0.0), None))
    monkeypatch.setattr(example, "adamupdate", fake_adam)
    example.trainDiffusionNetwork(None, Queue(), torch.linspace(1e-4, 0.02, 5, dtype=torch.float64), 8, 6)
    assert rates == [(i, 1e-3) for i in range(1, 6)] + [(i, pytest.approx(1e-4)) for i in range(6, 9)]
