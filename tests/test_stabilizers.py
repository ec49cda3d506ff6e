"""The training-config stabilizers: each formula against an independent numpy computation (written from the
papers and their authors' code), their wiring into the trainer, and resume with every switch on."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import layergraph.gan.trainer as gan
from layergraph.compile.dlnetwork import dlnetwork
from layergraph.gan.config import load_config
from layergraph.gan.stabilizers import DiffAugment, color, cutout, hinge_losses, r1_penalty, translate
from layergraph.gan.trainer import GANTrainer
from layergraph.layers.functions import lookup, minibatch_stddev
from layergraph.spec import load_spec
from layergraph.train.checkpoint import load_checkpoint
from tests.helpers import weights, write_config

HERE = Path(__file__).resolve().parent
rng = np.random.default_rng(0)


# --- DiffAugment (Zhao et al. 2020) -------------------------------------------------------------------------

def test_color_matches_numpy():
    x = rng.normal(size=(4, 3, 5, 6))
    b, s, c = rng.uniform(-0.5, 0.5, 4), rng.uniform(0, 2, 4), rng.uniform(0.5, 1.5, 4)
    ref = x + b[:, None, None, None]  # brightness: add
    m = ref.mean(axis=1, keepdims=True)  # saturation: around the mean over channels
    ref = (ref - m) * s[:, None, None, None] + m
    m = ref.mean(axis=(1, 2, 3), keepdims=True)  # contrast: around the image mean
    ref = (ref - m) * c[:, None, None, None] + m
    out = color(torch.tensor(x), torch.tensor(b), torch.tensor(s), torch.tensor(c))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    grey = torch.tensor(x[:, :1])  # one channel: saturation changes nothing
    assert torch.allclose(color(grey, torch.zeros(4), torch.tensor(s), torch.ones(4)), grey)


def test_translate_matches_a_pixel_loop():
    x = rng.normal(size=(5, 2, 7, 6))
    shift = np.array([[0, 0], [2, -1], [-2, 2], [1, 1], [-1, -2]])
    ref = np.zeros_like(x)
    for b, (dy, dx) in enumerate(shift):
        for i in range(7):
            for j in range(6):
                if 0 <= i - dy < 7 and 0 <= j - dx < 6:
                    ref[b, :, i, j] = x[b, :, i - dy, j - dx]
    np.testing.assert_array_equal(translate(torch.tensor(x), torch.tensor(shift)).numpy(), ref)


def test_cutout_matches_the_papers_clamped_index_grid():
    x = rng.normal(size=(4, 1, 8, 8))
    centre = np.array([[0, 0], [8, 3], [4, 4], [7, 8]])
    ref = x.copy()
    for b, (cy, cx) in enumerate(centre):  # the authors' code: arange(size) + offset − size//2, clamped
        rows = np.clip(np.arange(4) + cy - 2, 0, 7)
        cols = np.clip(np.arange(4) + cx - 2, 0, 7)
        ref[b, :, rows[:, None], cols[None, :]] = 0
    np.testing.assert_array_equal(cutout(torch.tensor(x), torch.tensor(centre), (4, 4)).numpy(), ref)


def test_diffaugment_draws_ranges_is_differentiable_and_replays_from_its_state():
    aug = DiffAugment(["cutout", "translation", "color"], seed=5)
    assert aug.policy == ["color", "translation", "cutout"]  # the paper's order whatever the config's
    p = aug.draw(4000, 16, 16)
    assert p["shift"].abs().max() == 2 and set(p["shift"].unique().tolist()) == {-2, -1, 0, 1, 2}  # 16/8
    assert p["centre"].min() == 0 and p["centre"].max() == 16  # even size 8: centres 0..16
    assert p["brightness"].min() >= -0.5 and p["brightness"].max() < 0.5
    assert p["contrast"].min() >= 0.5 and p["contrast"].max() < 1.5
    x = torch.randn(2, 1, 6, 6, dtype=torch.float64, requires_grad=True)
    small = aug.draw(2, 6, 6)
    assert torch.autograd.gradcheck(lambda t: DiffAugment.apply(t, small), (x,))
    state = aug.rng.get_state()
    first = aug(x.detach())
    aug.rng.set_state(state)
    assert torch.equal(aug(x.detach()), first)
    with pytest.raises(ValueError, match="unknown DiffAugment policy"):
        DiffAugment(["zoom"], 0)


# --- losses and penalties -----------------------------------------------------------------------------------

def test_r1_penalty_and_hinge_losses_match_numpy():
    g = rng.normal(size=(6, 1, 4, 4))
    assert float(r1_penalty(torch.tensor(g), 10.0)) == pytest.approx(5.0 * np.mean([np.sum(gi ** 2) for gi in g]))
    real, fake = rng.normal(size=(8, 1)) * 2, rng.normal(size=(8, 1)) * 2
    flip = np.zeros((8, 1), bool)
    flip[[1, 5]] = True
    loss_g, loss_d = hinge_losses(torch.tensor(real), torch.tensor(fake), torch.tensor(flip))
    real_part = np.where(flip, np.maximum(0, 1 + real), np.maximum(0, 1 - real))
    assert float(loss_d) == pytest.approx(real_part.mean() + np.maximum(0, 1 + fake).mean())
    assert float(loss_g) == pytest.approx(-fake.mean())


def test_minibatch_stddev_matches_the_authors_formula_and_works_in_specs():
    x = rng.normal(size=(8, 3, 4, 4))
    ref = []
    for i in range(8):  # group of image i: every (8/4)-th image from i mod 2, as reshape(G, -1, ...) groups
        group = x[i % 2::2]
        ref.append(np.sqrt(group.var(axis=0) + 1e-8).mean())
    out = minibatch_stddev(torch.tensor(x), 4).numpy()
    np.testing.assert_array_equal(out[:, :3], x)
    np.testing.assert_allclose(out[:, 3], np.broadcast_to(np.array(ref)[:, None, None], (8, 4, 4)), rtol=1e-6)
    assert minibatch_stddev(torch.tensor(x[:6]), 4).shape == (6, 4, 4, 4)  # 6 images: groups of 3
    assert lookup("minibatchStdDev").output_size is not None
    net = dlnetwork(load_spec(HERE / "specs/mbstd_dis.yaml"))
    assert net.analysis.outputs["mbstd"].size == (4, 4, 65)


# --- wiring into the trainer --------------------------------------------------------------------------------

def linear_config(tmp: Path, **extra: object):
    return load_config(write_config(tmp, generator=str(HERE / "specs/linear_gen.yaml"), flipFactor=0.0,
                                    discriminator=str(HERE / "specs/linear_dis.yaml"), **extra), maxIterations=1)


def first_step(cfg, monkeypatch) -> tuple[GANTrainer, dict[str, torch.Tensor], list]:
    """One iteration; returns the trainer, its weights before, and the (loss, gradients) of each dlgradient call."""
    calls = []

    def spy(loss, *args, **kwargs):
        out = gan_dlgradient(loss, *args, **kwargs)
        calls.append((float(loss.detach()), out))
        return out

    gan_dlgradient = gan.dlgradient
    monkeypatch.setattr(gan, "dlgradient", spy)
    trainer = GANTrainer(cfg)
    before = {**{f"G/{k}": v.clone() for k, v in trainer.netG.tensors().items()},
              **{f"D/{k}": v.clone() for k, v in trainer.netD.tensors().items()}}
    trainer.run()
    monkeypatch.setattr(gan, "dlgradient", gan_dlgradient)
    return trainer, before, calls


def test_r1_adds_half_gamma_squared_input_gradient_to_the_discriminator(tmp_path, monkeypatch):
    # D(x) = W·x + b: ∇ₓD = W for every image, so R1 = γ/2·‖W‖² and its gradient w.r.t. W is γ·W
    _, before, plain = first_step(linear_config(tmp_path / "a"), monkeypatch)
    _, _, r1 = first_step(linear_config(tmp_path / "b", r1Gamma=3.0), monkeypatch)
    w = before["D/fc/Weights"]
    (loss_plain, grad_plain), (loss_r1, grad_r1) = plain[-1], r1[-1]  # the last call: dlgradient(lossD, D)
    assert len(r1) == len(plain) + 1  # plus the gradient w.r.t. the real images
    assert loss_r1 - loss_plain == pytest.approx(1.5 * float(w.double().square().sum()), rel=1e-5)
    row = list(grad_r1.Parameter).index("Weights")
    torch.testing.assert_close(grad_r1.Value[row] - grad_plain.Value[row], 3.0 * w, rtol=1e-4, atol=1e-6)


def test_two_time_scale_learning_rates_step_each_network_by_its_own_rate(tmp_path, monkeypatch):
    # Adam's first step is lr·g/(|g| + ε): every weight with a gradient moves by its network's rate
    trainer, before, _ = first_step(linear_config(tmp_path, learnRateGenerator=1e-3,
                                                  learnRateDiscriminator=4e-3), monkeypatch)
    moved_g = (trainer.netG.tensors()["fc/Weights"] - before["G/fc/Weights"]).abs().max()
    moved_d = (trainer.netD.tensors()["fc/Weights"] - before["D/fc/Weights"]).abs().max()
    assert float(moved_g) == pytest.approx(1e-3, rel=1e-3) and float(moved_d) == pytest.approx(4e-3, rel=1e-3)


def test_discriminator_sees_diffaugmented_real_images(tmp_path):
    trainer = GANTrainer(linear_config(tmp_path, diffAugment=["translation", "cutout"]))
    seen, batches = [], []
    forward, step = trainer.netD.forward, trainer._train_step
    # a wrapper passes its caller's nargout on (here the trainer's `y, d.State = d.forward(...)`)
    trainer.netD.forward = lambda x, *a: (seen.append(x.detach().clone()), forward(x, *a, nargout=2))[1]
    trainer._train_step = lambda X, T: (batches.append(X.clone()), step(X, T))[1]
    trainer.run()
    replay = DiffAugment(["translation", "cutout"], trainer.cfg.seed + 2)  # the trainer's stream: seed + 2
    expected = DiffAugment.apply(batches[0], replay.draw(len(batches[0]), 16, 16))
    assert torch.equal(seen[0], expected) and not torch.equal(seen[0], batches[0])


# --- resume with every switch on ----------------------------------------------------------------------------

def test_resume_with_every_stabilizer_gives_the_same_weights_and_records(tmp_path: Path) -> None:
    switches = dict(discriminator=str(HERE / "specs/mbstd_dis.yaml"), diffAugment=["color", "translation", "cutout"],
                    r1Gamma=0.5, lossFunction="hinge", learnRateGenerator=1e-4, learnRateDiscriminator=4e-4,
                    generatorAverageDecay=0.9, evaluationFrequency=3, validationFrequency=100)
    full = load_config(write_config(tmp_path, **switches), output=str(tmp_path / "full"))
    GANTrainer(full).run()
    part = load_config(write_config(tmp_path, **switches), output=str(tmp_path / "part"), maxIterations=5)
    GANTrainer(part).run()
    rest = load_config(write_config(tmp_path, **switches), output=str(tmp_path / "part"))
    GANTrainer(rest).run(resume=True)
    a, b = weights(tmp_path / "full/checkpoint.safetensors"), weights(tmp_path / "part/checkpoint.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs after resume"
    ta, ma = load_checkpoint(tmp_path / "full/checkpoint.safetensors")
    tb, mb = load_checkpoint(tmp_path / "part/checkpoint.safetensors")
    assert torch.equal(ta["rng/diffAugment"], tb["rng/diffAugment"])
    # evaluations at 3, 5 (where the first part stopped), 6 and 8 against 3, 6, 8 for the uninterrupted run
    assert [e["iteration"] for e in ma["evaluation"]] == [3, 6, 8]
    assert [e["iteration"] for e in mb["evaluation"]] == [3, 5, 6, 8]
    assert [e for e in mb["evaluation"] if e["iteration"] != 5] == ma["evaluation"]
