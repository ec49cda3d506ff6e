"""`layergraph evaluate` and its metrics: each formula against an independent numpy/scipy implementation written
from the papers' definitions, the cached feature classifier, the CLI in-process, and the training-loop record."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.linalg import sqrtm
from scipy.spatial.distance import cdist

from layergraph.cli.main import main
from layergraph.gan.config import load_config
from layergraph.gan.evaluate import evaluate_checkpoint, format_report
from layergraph.gan.evaluator import Evaluator
from layergraph.gan.features import cache_path
from layergraph.gan.metrics import density_coverage, frechet_distance, knn_radii, precision_recall
from layergraph.gan.trainer import GANTrainer
from tests.helpers import write_config, write_digits

# --- references from the papers' definitions -----------------------------------------------------------------

def ref_radii(x: np.ndarray, k: int) -> np.ndarray:
    """NND_k: distance to the k-th nearest neighbour other than the point itself."""
    d = cdist(x, x)
    np.fill_diagonal(d, np.inf)
    return np.sort(d, axis=1)[:, k - 1]


def ref_precision_recall(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, float]:
    """Kynkäänniemi et al. 2019, eq. (1)–(3): f(φ, Φ) = 1 if ‖φ − φ'‖ ≤ ‖φ' − NN_k(φ')‖ for some φ' ∈ Φ."""
    def f(points: np.ndarray, manifold: np.ndarray) -> np.ndarray:
        radii = ref_radii(manifold, k)
        return np.array([any(np.linalg.norm(p - m) <= r for m, r in zip(manifold, radii)) for p in points])
    return float(f(fake, real).mean()), float(f(real, fake).mean())


def ref_density_coverage(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, float]:
    """Naeem et al. 2020, eq. (4)–(5): density = 1/(kM) Σ_j Σ_i 1[Y_j ∈ B(X_i, NND_k(X_i))];
    coverage = 1/N Σ_i 1[∃ j: Y_j ∈ B(X_i, NND_k(X_i))]."""
    radii = ref_radii(real, k)
    inside = cdist(real, fake) <= radii[:, None]  # N×M
    return float(inside.sum() / (k * len(fake))), float(inside.any(axis=1).mean())


def ref_frechet(a: np.ndarray, b: np.ndarray) -> float:
    """Heusel et al. 2017: ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^½), with scipy's general matrix square root."""
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    cross = sqrtm(s1 @ s2).real
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(s1 + s2 - 2 * cross))


@pytest.fixture
def clouds() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.normal(size=(120, 6)), rng.normal(0.4, 1.3, size=(90, 6))


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_and_density_coverage_match_the_papers(clouds, k):
    real, fake = clouds
    assert knn_radii(torch.tensor(real), k).numpy() == pytest.approx(ref_radii(real, k))
    p, r = precision_recall(torch.tensor(real), torch.tensor(fake), k)
    assert (p, r) == pytest.approx(ref_precision_recall(real, fake, k))
    d, c = density_coverage(torch.tensor(real), torch.tensor(fake), k)
    assert (d, c) == pytest.approx(ref_density_coverage(real, fake, k))
    assert 0 < p < 1 and 0 < c < 1  # the clouds overlap partly: figures that can fail both ways


def test_metrics_on_a_case_worked_by_hand():
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0]])  # k=1 radii: 1 each
    fake = torch.tensor([[0.5], [10.0]])  # k=1 radii: 9.5 each
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)
    # 0.5 lies in the balls of 0 and 1 → density 2/(1·2) = 1; coverage: balls of 0 and 1 hold a fake → 2/4
    assert density_coverage(real, fake, k=1) == (1.0, 0.5)


def test_frechet_distance_matches_scipy_sqrtm_and_is_zero_for_the_same_set(clouds):
    real, fake = clouds
    assert frechet_distance(torch.tensor(real), torch.tensor(fake)) == pytest.approx(ref_frechet(real, fake), rel=1e-6)
    assert frechet_distance(torch.tensor(real), torch.tensor(real)) == pytest.approx(0, abs=1e-8)
    # 1-D by hand: N(0, 1) vs N(3, 4) → 9 + 1 + 4 − 2·2 = 10, for exact sample moments
    a = np.array([-1.0, 1.0, -1.0, 1.0]) * np.sqrt(3 / 4)
    b = 3 + 2 * a
    assert frechet_distance(torch.tensor(a[:, None]), torch.tensor(b[:, None])) == pytest.approx(10.0)


# --- the feature classifier and Evaluator -------------------------------------------------------------------

def test_evaluator_ceiling_cache_and_retrain_on_changed_data(tmp_path: Path):
    data = tmp_path / "digits"
    write_digits(data, per_class=16)
    ev = Evaluator(data, (16, 16), 1)
    assert not ev.cached and cache_path(data, (16, 16), 1).is_file()
    assert not any(p.suffix == ".safetensors" for p in data.rglob("*"))  # beside the folder, not inside it
    ceiling = ev.ceiling()
    assert ceiling["recognised"] == 1.0  # the classes are bars at distinct places: trivially separable
    assert ev.per_class == [8, 8, 8] and ceiling["n"] == 24
    assert set(ceiling["classes"]) == {"0", "1", "2"}
    again = Evaluator(data, (16, 16), 1)
    assert again.cached
    assert torch.equal(again.ref_features, ev.ref_features)
    # one pixel of one image changes → the fingerprint changes → the classifier is trained again
    f = next((data / "1").glob("*.png"))
    img = np.asarray(Image.open(f)).copy()
    img[0, 0] ^= 1
    Image.fromarray(img).save(f)
    assert not Evaluator(data, (16, 16), 1).cached


def test_collapsed_and_wrong_class_sets_score_below_the_ceiling(tmp_path: Path):
    data = tmp_path / "digits"
    write_digits(data, per_class=16)
    ev = Evaluator(data, (16, 16), 1)
    x, y = ev.held_images, ev.held_labels
    ceiling = ev.ceiling()
    one_per_class = torch.cat([x[y == k][:1].repeat((y == k).sum(), 1, 1, 1) for k in range(3)])
    collapsed = ev.score(one_per_class, y.sort().values)
    assert collapsed["recall"] < ceiling["recall"] and collapsed["coverage"] < ceiling["coverage"]
    assert ev.score(x, (y + 1) % 3)["recognised"] == 0.0  # every image asked for the wrong class


def test_class_probabilities_and_confident_share_by_hand(tmp_path: Path):
    """probabilities = softmax of the classifier's head (ReLU, linear) on the embedding, in numpy; the confident
    share counts the images whose largest probability is at least 0.9."""
    data = tmp_path / "digits"
    write_digits(data, per_class=16)
    ev = Evaluator(data, (16, 16), 1)
    held, y = ev.held_images, ev.held_labels
    x = torch.cat([held, (held[y == 0] + held[y == 1]) / 2])  # and blends of two classes: ambiguous ones
    features = ev.embed(x)[0].double().numpy()
    linear = ev.net.head[1]
    scores = np.maximum(features, 0) @ linear.weight.detach().double().numpy().T + linear.bias.detach().double().numpy()
    want = np.exp(scores - scores.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    got = ev.probabilities(x).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert ev.confidently_recognised(x) == pytest.approx((want.max(1) >= 0.9).mean())
    assert ev.confidently_recognised(x, threshold=0.0) == 1.0
    assert 0.0 < (want.max(1) >= 0.9).mean() < 1.0, want.max(1)  # the threshold splits this set


# --- the CLI and the training loop --------------------------------------------------------------------------

def test_evaluate_cli_text_and_json_and_training_records(tmp_path: Path, capsys):
    cfg = load_config(write_config(tmp_path, evaluationFrequency=4, validationFrequency=100))
    trainer = GANTrainer(cfg)
    ckpt = trainer.run()
    rows = (Path(cfg.output) / "evaluation.csv").read_text().splitlines()
    assert rows[0].split(",")[:4] == ["iteration", "n", "recognised", "precision"]
    assert [r.split(",")[0] for r in rows[1:]] == ["4", "8"]
    data = str(tmp_path / "digits")
    assert main(["evaluate", str(ckpt), "--data", data, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["classes"] == ["0", "1", "2"] and result["classifier"]["cached"]
    gen, real = result["generated"], result["real"]
    assert gen["n"] == real["n"] == 18 and real["recognised"] == 1.0
    # the training loop's last record is the same evaluation of the same (final) generator
    last = dict(zip(rows[0].split(","), rows[-1].split(",")))
    for m in ("recognised", "precision", "recall", "density", "coverage", "frechet"):
        assert float(last[m]) == pytest.approx(gen[m]), m
    assert main(["evaluate", str(ckpt), "--data", data]) == 0
    text = capsys.readouterr().out
    assert "recognised" in text and "frechet" in text and len(text.splitlines()) == 1 + 1 + 1 + 3 + 1
    assert main(["evaluate", str(ckpt), "--data", str(tmp_path / "nowhere")]) == 2
    assert "data folder not found" in capsys.readouterr().err


def test_plain_gan_gets_every_figure_but_recognised(tmp_path: Path):
    here = Path(__file__).resolve().parent
    cfg = load_config(write_config(tmp_path, generator=str(here / "specs/linear_gen.yaml"),
                                   discriminator=str(here / "specs/linear_dis.yaml")), maxIterations=2)
    result = evaluate_checkpoint(GANTrainer(cfg).run(), tmp_path / "digits")
    gen = result["generated"]
    assert gen["recognised"] is None and "classes" not in gen and gen["n"] == 18
    assert all(isinstance(gen[m], float) for m in ("precision", "recall", "density", "coverage", "frechet"))
    assert "–" in format_report(result)
