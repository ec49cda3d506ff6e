"""examples/diffusion_digits.py: its noising and reverse process against MathWorks' documented DDPM formulas
(written here in numpy), and an end-to-end run (a tiny digits folder, two iterations, three noise steps, scored)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from layergraph import dlarray, extractdata
from tests.test_examples import ROOT, run
from tests.test_train import write_digits


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
    grid = np.asarray(Image.open(tmp_path / "run" / "generated.png"))
    assert grid.shape[:2] == (10 * 16, 10 * 16)  # 100 generated 16×16 digits, tiled
    assert grid.std() > 0  # not a constant image
