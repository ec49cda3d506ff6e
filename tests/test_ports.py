"""The real MATLAB programs ported line by line in examples/ports/ run end to end on tiny data.

Each port's `main(argv)` is called in-process (a subprocess would cost a torch import per port); the sizes the
sources publish are checked, and the loss formulas that MATLAB's semantics decide are compared with hand-written
torch.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from PIL import Image

from layergraph import dlarray, dlfeval, extractdata, forward, predict, size

PORTS = Path(__file__).resolve().parents[1] / "examples" / "ports"


def load(name: str, script: str) -> ModuleType:
    """Import examples/ports/<name>/<script> as a module (the ports are scripts, not a package)."""
    path = PORTS / name / script
    spec = importlib.util.spec_from_file_location(f"port_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rgb_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight random RGB images of odd sizes in a subfolder (augmentedImageDatastore resizes them)."""
    root = tmp_path_factory.mktemp("ports") / "rgb"
    (root / "a").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray((rng.random((40, 48, 3)) * 255).astype(np.uint8)).save(root / "a" / f"{i}.png")
    return root


# ----- WGAN-GP (MathWorks documentation example) ---------------------------------------------------------------

@pytest.fixture(scope="module")
def wgan(rgb_folder: Path) -> tuple[ModuleType, dict]:
    m = load("wgan_gp", "train_wgan_gp.py")
    torch.manual_seed(0)
    res = m.main([str(rgb_folder), "--num-filters", "4", "--mini-batch-size", "4", "--iterations", "1",
                  "--out", str(rgb_folder.parent / "wgan")])
    return m, res


def test_wgan_gp_runs_and_has_the_documented_sizes(wgan: tuple[ModuleType, dict], rgb_folder: Path) -> None:
    _, res = wgan
    assert size(res["XGeneratedNew"]) == (64, 64, 3, 25)  # generator: 100 latent values → 64×64×3 image
    assert res["XGeneratedNew"].fmt == "SSCB"
    critic, _ = forward(res["netD"], res["XGeneratedNew"])
    assert size(critic) == (1, 1, 1, 25)  # critic: one value per image
    assert np.isfinite(res["history"]["lossD"]).all()
    assert (rgb_folder.parent / "wgan" / "new_images.png").exists()


def test_wgan_gp_loss_matches_hand_written_torch(wgan: tuple[ModuleType, dict]) -> None:
    """modelLossD (MATLAB dimension numbers, second-order dlgradient) against torch.autograd on plain tensors."""
    m, res = wgan
    netD, netG = res["netD"], res["netG"]
    X = dlarray(torch.rand(64, 64, 3, 4) * 2 - 1, "SSCB")
    Z = dlarray(torch.randn(100, 4), "CB")

    torch.manual_seed(7)
    lossD, lossDU, gradientsD = dlfeval(m.modelLossD, netD, netG, X, Z, 10)

    # the same computation written with torch only (torch layout B×C×H×W, norms over C, H, W of each image)
    torch.manual_seed(7)
    xt = X.as_subclass(torch.Tensor)
    with torch.enable_grad():
        y_real = forward(netD, X).as_subclass(torch.Tensor)
        x_gen = forward(netG, Z).as_subclass(torch.Tensor)
        y_gen = forward(netD, dlarray_of(x_gen)).as_subclass(torch.Tensor)
        eps = torch.rand(1, 1, 1, 4).reshape(4, 1, 1, 1)
        x_hat = eps * xt + (1 - eps) * x_gen
        y_hat = forward(netD, dlarray_of(x_hat)).as_subclass(torch.Tensor)
        (g,) = torch.autograd.grad(y_hat.sum(), x_hat, create_graph=True)
        norm = torch.sqrt(g.pow(2).sum(dim=(1, 2, 3)) + 1e-10)
        ref_unreg = (y_gen - y_real).mean()
        ref = ref_unreg + 10 * ((norm - 1) ** 2).mean()
        params = list(netD.Learnables.Value)
        ref_grads = torch.autograd.grad(ref, params)
    assert float(extractdata(lossDU).detach()) == pytest.approx(float(ref_unreg.detach()), rel=1e-5, abs=1e-6)
    assert float(extractdata(lossD).detach()) == pytest.approx(float(ref.detach()), rel=1e-5, abs=1e-6)
    for got, want in zip(gradientsD.Value, ref_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)


def dlarray_of(t: torch.Tensor):
    """A torch-layout B×C×H×W tensor as an SSCB dlarray (keeps the autograd graph)."""
    from layergraph.dlarray import wrap
    return wrap(t, "SSCB")


# ----- CycleGAN with residual-block generators (matlab-deep-learning, BSD-3) -----------------------------------

@pytest.fixture(scope="module")
def cyclegan_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ports") / "o2a"
    rng = np.random.default_rng(2)
    for d in ("trainX", "trainY", "testX", "testY"):
        (root / d).mkdir(parents=True)
        for i in range(1 if d.startswith("train") else 2):  # one training pair, the two test images read
            Image.fromarray((rng.random((100 + 10 * i, 120, 3)) * 255).astype(np.uint8)).save(root / d / f"{i}.png")
    return root


def test_cyclegan_runs_with_its_residual_topology_and_initializer(cyclegan_data: Path, tmp_path: Path) -> None:
    m = load("cyclegan", "train_cyclegan.py")
    torch.manual_seed(0)
    res = m.main([str(cyclegan_data), "--filters", "4", "--residuals", "2", "--epochs", "1", "--out", str(tmp_path)])
    assert len(res["history"]) == 1 and all(0 < s < 1 for row in res["history"] for s in row)
    genY, genX = res["generated"][0]
    assert size(genY) == (128, 128, 3) and size(genX) == (128, 128, 3)  # 128×128×3×1: trailing 1 dropped
    patches, _ = forward(res["discrimatorX"], genX)
    assert size(patches) == (16, 16)  # 16×16×1×1 PatchGAN map after three stride-2 convolutions
    # residual block 2 adds its relu (in1) to block 1's sum (in2); the encoder's relu_3 feeds block 1's in2
    conns = set(res["generatorXtoY"].Connections)
    assert {("res_relu_2", "addition_2/in1"), ("addition_1", "addition_2/in2"), ("relu_3", "addition_1/in2"),
            ("addition_2", "transposed-conv_1")} <= conns
    # @(sz) 0.02*randn(sz,'single') initialised the last convolution: 16 weights of scale 0.02 (glorot: ~0.35)
    w = res["discriminatorY"].Learnables["conv_4", "Weights"]
    assert tuple(w.shape) == (1, 16, 1, 1) and float(w.detach().abs().max()) < 0.1
    assert (tmp_path / "test_2.png").exists()


# ----- pix2pix (matlab-deep-learning, BSD-3) -------------------------------------------------------------------

@pytest.fixture(scope="module")
def pix2pix() -> ModuleType:
    return load("pix2pix", "train_pix2pix.py")


def test_pix2pix_published_sizes(pix2pix: ModuleType) -> None:
    """tests/+tests/GeneratorTest.m and DiscriminatorTest.m: 256×256×{1,3}×N → 256×256×3×N; → 16×16×1×N."""
    from layergraph import zeros
    g = pix2pix.generator([256, 256], 1, 3)
    out = extractdata(g.forward(dlarray(zeros([256, 256, 1, 1], "single"), "SSCB")))
    assert size(out) == (256, 256, 3)
    d = pix2pix.discriminator([256, 256], 3)
    out = extractdata(d.forward(dlarray(zeros([256, 256, 3, 2], "single"), "SSCB")))
    assert size(out) == (16, 16, 1, 2)


def test_pix2pix_trains_and_its_patch_loss_is_the_mean_binary_cross_entropy(pix2pix: ModuleType,
                                                                           tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    for d in ("A", "B"):
        (tmp_path / d).mkdir()
        for i in range(2):
            Image.fromarray((rng.random((40, 40, 3)) * 255).astype(np.uint8)).save(tmp_path / d / f"{i}.png")
    torch.manual_seed(0)
    model = pix2pix.main([str(tmp_path / "A"), str(tmp_path / "B"), "--input-size", "32", "--gdepth", "5",
                          "--ddepth", "2", "--epochs", "1", "--verbose-frequency", "1"])
    assert len(model.history) == 2 and np.isfinite(model.history).all()
    assert model.gOptimiser.Iteration == 3 and model.dOptimiser.Iteration == 3
    # crossentropy(p, ones)/numel(p(:,:,1,1)) on a 1-channel sigmoid map = mean over patches and batch of -log p
    from layergraph import crossentropy, numel, ones, sigmoid
    x = dlarray(torch.rand(32, 32, 6, 2) * 2 - 1, "SSCB")
    p = sigmoid(model.d.forward(x))
    got = crossentropy(p, ones(size(p), "single")) / numel(p.m[:, :, 0, 0])
    want = -torch.log(p.as_subclass(torch.Tensor)).mean()
    assert float(got.detach()) == pytest.approx(float(want.detach()), rel=1e-5)


# ----- two-encoder EEG VAE (CS-LWR, MIT) ------------------------------------------------------------------------

def eeg_pairs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n noisy/clean 512-sample segments (512×n, as the program's .mat variables)."""
    t = np.arange(512) / 256
    clean = np.stack([np.sin(2 * np.pi * (3 + k % 5) * t + k) for k in range(n)], axis=1)
    noisy = clean + 0.5 * np.sin(2 * np.pi * 0.3 * t)[:, None] + 0.1 * rng.standard_normal((512, n))
    return noisy.astype(np.float32), clean.astype(np.float32)


def test_eeg_vae_trains_with_monitor_and_its_elbo_matches_numpy(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    x_IT, x_OT = eeg_pairs(8, rng)
    x_IV, x_OV = eeg_pairs(3, rng)
    np.savez(tmp_path / "eeg.npz", x_IT=x_IT, x_OT=x_OT, x_IV=x_IV, x_OV=x_OV)
    monkeypatch.chdir(tmp_path)  # trainingProgressMonitor writes training-progress.png in the working folder
    m = load("eeg_vae", "me_vae_build.py")
    torch.manual_seed(0)
    res = m.main([str(tmp_path / "eeg.npz"), "--epochs", "1", "--mini-batch-size", "4"])
    assert res["monitor"].MetricData["Loss"].shape == (2, 2)  # 8 observations, batches of 4
    assert (tmp_path / "training-progress.png").exists()
    assert res["x_PV"].shape == (512, 3)  # squeeze(1×512×1×3)
    # the published sizes: 1×512×1 in and out, latent 512 (E1, sampled) + 512 (E2)
    X = dlarray(torch.tensor(x_IV).reshape(1, 512, 1, 3), "SSCB")
    Z1, mu, logSigmaSq, _ = forward(res["netE1"], X)
    Z2, _ = forward(res["netE2"], X)
    assert Z1.fmt == "CB" and size(Z1) == (512, 3) and size(Z2) == (512, 3)
    assert float(mu.detach().abs().max()) <= 1 and float(logSigmaSq.detach().max()) <= 2  # the clipping
    Y, _ = forward(res["netD"], m.cat(1, Z1, Z2))
    assert size(Y) == (1, 512, 1, 3)
    # elboLoss = mse (half squared error over observations) + 0.1 * max over observations of the KL sum over K
    T = dlarray(torch.tensor(x_OV).reshape(1, 512, 1, 3), "SSCB")
    got = float(m.elboLoss(Y, T, mu, logSigmaSq).detach())
    y, tt = extractdata(Y).detach().numpy(), extractdata(T).numpy()
    mu_, ls = extractdata(mu).detach().numpy(), extractdata(logSigmaSq).detach().numpy()
    kl = -0.5 * (1 + ls - mu_ ** 2 - np.exp(ls)).sum(axis=0)
    assert got == pytest.approx(((y - tt) ** 2).sum() / (2 * 3) + 0.1 * kl.max(), rel=1e-4)


# ----- ECG conditional GAN, 1-D signals (jgtorchi/ECG_GAN, MIT) -------------------------------------------------

def test_ecg_cgan_trains_and_its_embedding_layer_matches_numpy(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    t = np.arange(500)
    feats, labels = [], []
    for c, n in [(1, 8), (2, 8), (3, 8), (4, 3), (5, 3)]:  # classes 4 and 5 have < half the largest class
        for _ in range(n):
            beat = np.exp(-((t - 250) / (6 + 2 * c)) ** 2) + 0.3 * np.exp(-((t - 380) / 40) ** 2)
            feats.append(beat + 0.02 * rng.standard_normal(500))
            labels.append(c)
    np.savez(tmp_path / "ecg.npz", TrainingFeatures=np.stack(feats, 1).astype(np.float32),
             TrainingLabels=np.array(labels, np.float64))
    m = load("ecg_cgan", "dccgan.py")
    res = m.main([str(tmp_path / "ecg.npz"), "--num-filters", "2", "--epochs", "1", "--mini-batch-size", "3"])
    # the GAN trains on classes 4 and 5 only, renumbered 1 and 2 (GanTrainingLabels - 3)
    assert sorted(set(res["GanTrainingLabels"].flatten().tolist())) == [1.0, 2.0]
    assert len(res["validation"]) == 1 and size(res["validation"][0]) == (500, 2)  # one beat per class
    # the heights the code relies on: 2 → 8 → 12 → 27 → 57 → 117 → 237 → 477 (= proj1's 477 inputs) → 500
    from layergraph import analyzeNetwork
    rows = {r["name"]: r["activations"] for r in analyzeNetwork(res["lgraphGenerator"], Plots="none")["layers"]}
    assert rows["cat"].startswith("2×1×500") and rows["tconv7"].startswith("477×1") \
        and rows["sig1"].startswith("500×1")
    rows = {r["name"]: r["activations"] for r in analyzeNetwork(res["lgraphDiscriminator"], Plots="none")["layers"]}
    assert rows["conv5"].startswith("24×1×32") and rows["fc1"].startswith("1")
    # embedAndReshapeLayer: class k → FullyConnectWeights * EmbeddingWeights(:, k) + bias, reshaped 1×1×500
    net = res["dlnetGenerator"]
    E, W, b = (net.Learnables["emb", p].detach().numpy()
               for p in ("EmbeddingWeights", "FullyConnectWeights", "FullyConnectBias"))
    Z = dlarray(torch.randn(1, 1, 100, 2), "SSCB")
    T = dlarray(torch.tensor([2.0, 1.0]).reshape(1, 1, 1, 2), "SSCB")
    emb = predict(net, Z, T, Outputs="emb")
    want = W @ E[:, [1, 0]] + b
    np.testing.assert_allclose(extractdata(emb).numpy().reshape(500, 2), want, rtol=1e-4, atol=1e-5)


# ----- classifier with a custom loop, crossentropy and trainingProgressMonitor (MathWorks documentation) ---------

def test_custom_loop_classifier_trains_with_monitor_and_crossentropy(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.datasets import load_digits

    d = load_digits()
    images = np.stack([np.asarray(Image.fromarray((im * 16).astype(np.uint8)).resize((28, 28), Image.BILINEAR))
                       for im in d.images[:160]], -1)[:, :, None, :].astype(np.float32) / 255
    labels = np.array([str(t) for t in d.target[:160]])
    np.savez(tmp_path / "digits.npz", XTrain=images[..., :120], TTrain=labels[:120], XTest=images[..., 120:],
             TTest=labels[120:])
    monkeypatch.chdir(tmp_path)
    m = load("custom_loop_classifier", "train_custom_loop.py")
    torch.manual_seed(0)
    res = m.main([str(tmp_path / "digits.npz"), "--epochs", "1", "--mini-batch-size", "40"])
    assert res["monitor"].MetricData["Loss"].shape == (3, 2) and res["monitor"].Progress == 100
    assert res["YTest"].shape == (40, 1) and int(np.asarray(res["chart"].NormalizedValues).sum()) == 40
    assert res["accuracy"] == pytest.approx(np.mean(np.array(res["YTest"].tolist()).ravel() == labels[120:]))
    assert (tmp_path / "confusion.png").exists() and (tmp_path / "training-progress.png").exists()
    # modelLoss's crossentropy on softmax scores and one-hot targets = -sum(T .* log(Y)) / N (numpy)
    X = dlarray(torch.tensor(images[..., :8]), "SSCB")
    every = m.categorical(labels.tolist())  # all ten classes, as the datastore's labels
    T = m.preprocessMiniBatch([images[..., i] for i in range(8)], [every[i] for i in range(8)])[1]
    loss, _, _ = dlfeval(m.modelLoss, res["net"], X, dlarray(torch.tensor(T), "CB"))
    Y = extractdata(predict(res["net"], X)).numpy()
    assert size(Y) == (10, 8)
    Yf = extractdata(forward(res["net"], X)).detach().numpy()
    assert float(loss.detach()) == pytest.approx(-(T * np.log(Yf)).sum() / 8, rel=1e-5)


# ----- SciNet beta-VAE on a damped pendulum (matlab-deep-learning, BSD-3) -------------------------------------

def test_scinet_pendulum_data_follow_the_analytical_solution() -> None:
    """generatePendulumTimeSeries = A0·exp(−t·b/2m)·cos(t·ω + δ0), ω = sqrt(k/m)·sqrt(1 − b²/(4mk)), t a column."""
    m = load("scinet", "train_scinet_pendulum.py")
    k, b = np.array([[5.0, 7.5, 9.0]]), np.array([[0.5, 0.8, 1.0]])
    position, t = m.generatePendulumTimeSeries(4, 5, k, b, 1, 1, 0)
    tt = np.linspace(0, 5, 4)[:, None]
    omega = np.sqrt(k) * np.sqrt(1 - b ** 2 / (4 * k))
    np.testing.assert_allclose(np.asarray(extractdata(position)), np.exp(-tt * b / 2) * np.cos(tt * omega),
                               rtol=1e-12)
    assert t.shape == (4, 1)


def test_scinet_trains_saves_the_workspace_and_loads_the_networks(tmp_path: Path) -> None:
    from layergraph import load as load_mat

    m = load("scinet", "train_scinet_pendulum.py")
    results = tmp_path / "results"
    res = m.main(["--samples", "40", "--training", "30", "--epochs", "2", "--mini-batch-size", "10",
                  "--results", str(results)])
    assert len(res["history"]) == 6 and np.isfinite(res["history"]).all()
    assert res["predictedAnswers"].shape == (10, 1) and np.isfinite(res["rmse"])
    S = load_mat(results)  # MATLAB's save("../results/results") wrote the whole workspace
    assert {"netEncoder", "netDecoder", "latentDimension", "observations", "physicalParameters"} <= set(S)
    assert S.latentDimension == 3 and S.physicalParameters.kMax == 10 and size(S.observations) == (50, 1, 1, 30)
    for name in ("netEncoder", "netDecoder"):
        for lay, par, _ in res[name].Learnables:
            np.testing.assert_array_equal(S[name].getLearnable(lay, par), res[name].getLearnable(lay, par))
    again = m.main(["--samples", "40", "--training", "30", "--load", "--results", str(results)])  # doTraining false
    assert np.isfinite(again["rmse"])

    # the beta-VAE loss of one mini-batch against numpy: mean over the batch of (a − â)² − β/2·Σ(log σ² − μ² − σ²)
    rng = np.random.default_rng(8)
    obs = rng.standard_normal((50, 1, 1, 4)).astype(np.float32)
    q = rng.random((1, 1, 1, 4)).astype(np.float32)
    a = rng.random((1, 1, 1, 4)).astype(np.float32)
    encoder, decoder = res["netEncoder"], res["netDecoder"]
    torch.manual_seed(5)
    _, _, loss = dlfeval(m.ScinetLossAndGradients, encoder, decoder, dlarray(torch.tensor(obs), "SSCB"),
                         dlarray(torch.tensor(q), "SSCB"), dlarray(torch.tensor(a), "SSCB"), 3, 1e-3, 4)
    torch.manual_seed(5)
    eps = torch.randn(3, 1, 1, 4, dtype=torch.float64).numpy().reshape(3, 4)  # randn's stream, double
    latent = np.asarray(extractdata(predict(encoder, dlarray(torch.tensor(obs), "SSCB"))), dtype=np.float64)
    mu, sigma = latent[:3], latent[3:]
    z = (mu + sigma * eps).astype(np.float32)
    dec_in = np.concatenate([q.reshape(1, 4), z], 0).reshape(4, 1, 1, 4)
    answer = np.asarray(extractdata(predict(decoder, dlarray(torch.tensor(dec_in), "SSCB"))),
                        dtype=np.float64).reshape(4)
    kl = -1e-3 / 2 * (np.log(sigma ** 2) - mu ** 2 - sigma ** 2).sum(0)
    want = ((a.reshape(4) - answer) ** 2 + kl).mean()
    assert float(extractdata(loss)) == pytest.approx(want, rel=1e-4)


# ----- inverse PINN on the unit disk (matlab-deep-learning, BSD-3) ------------------------------------------

def test_inverse_pinn_trains_the_network_and_the_coefficient() -> None:
    m = load("inverse_pinn", "inverse_pinn_constant_coef.py")
    torch.manual_seed(0)
    res = m.main(["--epochs", "3", "--mini-batch-size", "64", "--hmax", "0.25"])
    assert len(res["history"]) == 3 and np.isfinite(res["history"]).all()
    c = float(res["pdeCoeffs"]["c"])
    assert c != 0.5 and np.isfinite(c)  # updated by adamupdate on a dlarray after the first tenth of the epochs
    assert res["Upinn"].shape == (1, res["model"].Mesh.Nodes.shape[1])

    # modelLoss against numpy: the Laplacian by central differences of the network, MATLAB's l2loss (sum over
    # channels / observations), mse (half of that) and mean(sum(res.^2, 1), 2); d loss/dc = 0.4·mean(2·res·(−ΔU))
    pinn, model = res["pinn"], res["model"]
    XY = np.array([[0.1, -0.3, 0.4, 0.0], [0.2, 0.5, -0.1, -0.6]])
    coeffs = {"c": dlarray(torch.tensor(0.7)), "f": dlarray(torch.tensor(1.0)), "a": dlarray(torch.tensor(0.0))}
    loss, grads = dlfeval(m.modelLoss, model, pinn, dlarray(torch.tensor(XY), "CB"), coeffs)

    def u(points: np.ndarray) -> np.ndarray:
        return np.asarray(extractdata(predict(pinn, dlarray(torch.tensor(points), "CB"))),
                          dtype=np.float64).reshape(-1)
    h = 1e-2
    lap = sum((u(XY + h * e[:, None]) - 2 * u(XY) + u(XY - h * e[:, None])) / h ** 2 for e in np.eye(2))
    U = u(XY)
    resid = -1.0 - 0.7 * lap
    loss_f = np.mean(resid ** 2)
    loss_data = np.sum((U - (1 - XY[0] ** 2 - XY[1] ** 2) / 4) ** 2) / 4
    bc = model.Mesh.Nodes[:, np.concatenate(model.Mesh.edges) - 1]
    loss_bc = np.sum(u(bc) ** 2) / (2 * bc.shape[1])
    want = 0.4 * loss_f + 0.6 * loss_bc + 0.5 * loss_data
    assert float(extractdata(loss)) == pytest.approx(want, rel=2e-2)
    assert float(extractdata(grads[1])) == pytest.approx(0.4 * np.mean(2 * resid * -lap), rel=5e-2)


# ----- mass-spring-damper PINN (matlab-deep-learning live-coding session, BSD-3) ----------------------------

def _mlp_with_derivatives(Ws: list[np.ndarray], bs: list[np.ndarray], t: np.ndarray) -> tuple[np.ndarray, ...]:
    """x(t), x'(t), x''(t) of a tanh MLP by forward-mode differentiation in numpy (t: 1×N)."""
    a, da, dda = t, np.ones_like(t), np.zeros_like(t)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z, dz, ddz = W @ a + b, W @ da, W @ dda
        if i == len(Ws) - 1:
            return z, dz, ddz
        a = np.tanh(z)
        da = (1 - a ** 2) * dz
        dda = (1 - a ** 2) * ddz - 2 * a * (1 - a ** 2) * dz ** 2
    raise AssertionError("no layers")


def test_mass_spring_pinn_data_loss_and_gradients_follow_matlab() -> None:
    """The MAT-file MATLAB wrote loads with MATLAB's classes (the data points lie on the complex-exponential
    solution); modelLoss is 0.1·mean(residual²) + 0.05·l2loss against numpy forward-mode derivatives, and its
    gradients match torch where x'' is a constant (MATLAB's dlgradient without EnableHigherDerivatives gives an
    untraced result); and predict takes the program's 100×1 test times."""
    m = load("mass_spring_pinn", "build_pinns.py")
    torch.manual_seed(0)
    res = m.main(["--iterations", "60", "--hidden", "16"])
    S = res["S"]
    np.testing.assert_allclose(res["xsolFcn"](S.tdata), S.xdata, atol=1e-6)
    assert isinstance(S.tmax, float) and S.tmax == 10.0
    losses = np.array(res["history"])
    assert losses.shape == (60, 3) and np.isfinite(losses).all() and losses[:, 0].min() < losses[0, 0]
    assert [it for it, _ in res["fig"]] == [50] and np.isfinite(res["fig"][0][1])  # mod(iteration, 50) == 0

    net = res["net"]
    names = list(dict.fromkeys(lay for lay, _, _ in net.Learnables))
    Ws = [np.asarray(net.getLearnable(n, "Weights"), dtype=np.float64) for n in names]
    bs = [np.asarray(net.getLearnable(n, "Bias"), dtype=np.float64).reshape(-1, 1) for n in names]
    tdata, xdata, tpinns = (np.asarray(S[k], dtype=np.float64) for k in ("tdata", "xdata", "tpinns"))
    loss, grads, lossPinn, lossData = dlfeval(m.modelLoss, net, dlarray(torch.tensor(tdata), "CB"),
                                              dlarray(torch.tensor(xdata), "CB"),
                                              dlarray(torch.tensor(tpinns), "CB"), S.m, S.mu, S.k)
    x, xt, xtt = _mlp_with_derivatives(Ws, bs, tpinns)
    want_pinn = np.mean((S.m * xtt + S.mu * xt + S.k * x) ** 2)
    want_data = np.sum((_mlp_with_derivatives(Ws, bs, tdata)[0] - xdata) ** 2) / tdata.shape[1]
    assert float(extractdata(lossPinn)) == pytest.approx(want_pinn, rel=1e-3)
    assert float(extractdata(lossData)) == pytest.approx(want_data, rel=1e-3)
    assert float(extractdata(loss)) == pytest.approx(0.1 * want_pinn + 0.05 * want_data, rel=1e-3)

    params = [torch.tensor(p, requires_grad=True) for pair in zip(Ws, bs) for p in pair]

    def mlp(t: torch.Tensor) -> torch.Tensor:
        a = t
        for i in range(len(Ws)):
            a = params[2 * i] @ a + params[2 * i + 1]
            a = torch.tanh(a) if i < len(Ws) - 1 else a
        return a
    tp = torch.tensor(tpinns, requires_grad=True)
    xp = mlp(tp)
    xpt = torch.autograd.grad(xp.sum(), tp, create_graph=True)[0]
    xptt = torch.autograd.grad(xpt.sum(), tp, retain_graph=True)[0].detach()  # untraced, as in MATLAB
    ref = 0.1 * torch.mean((S.m * xptt + S.mu * xpt + S.k * xp) ** 2) \
        + 0.05 * torch.sum((mlp(torch.tensor(tdata)) - torch.tensor(xdata)) ** 2) / tdata.shape[1]
    want_grads = torch.autograd.grad(ref, params)
    got = {(lay, par): g for lay, par, g in grads}
    for i, n in enumerate(names):
        np.testing.assert_allclose(np.asarray(got[(n, "Weights")], dtype=np.float64), want_grads[2 * i].numpy(),
                                   rtol=2e-3, atol=1e-5)
        np.testing.assert_allclose(np.asarray(got[(n, "Bias")], dtype=np.float64).reshape(-1, 1),
                                   want_grads[2 * i + 1].numpy(), rtol=2e-3, atol=1e-5)


# ----- industrial machinery anomaly detection, BiLSTM autoencoder (matlab-deep-learning, BSD-3) -------------

def test_machinery_anomaly_autoencoder_trains_and_separates_before_from_after() -> None:
    """trainNetwork(X, X, …) on cells of 1×12 sequences (featureDimension 1) with three bilstmLayers and a
    regressionLayer; predict gives a cell of 1×12 sequences back; calculateError is the 2-norm per row; the
    autoencoder trained on "After" rows reconstructs them better than "Before" rows; the 10 % holdout is
    stratified as cvpartition(group, 'holdout', 0.1) is."""
    m = load("machinery_anomaly", "lstm_autoencoder.py")
    torch.manual_seed(0)
    res = m.main(["--rows", "400", "--epochs", "20", "--mini-batch-size", "50"])
    labels = np.array([str(v) for v in res["featureTest"].label])
    after = int((labels == "After").sum())  # test rows of each group: round(0.1 × the group's rows)
    assert len(labels) == 40 and after == round(0.1 * (after + len(res["X"])))  # X: the training After rows
    assert all(np.shape(x) == (1, 12) for x in res["X"])
    X, Y = res["XTestAll"], res["yHatAll"]
    assert isinstance(Y, list) and len(Y) == 40 and all(np.shape(y) == (1, 12) for y in Y)
    want = np.sqrt(((np.concatenate(Y) - np.concatenate(X)) ** 2).sum(1, keepdims=True))
    np.testing.assert_allclose(res["errorAll"], want, rtol=1e-6)
    assert res["errorBefore"].mean() > 3 * res["errorAfter"].mean()
    assert res["acc"] >= 90
    few = m.rowsOf(res["featureTest"], np.arange(40) < 5)  # 5 rows, 12 features: MATLAB's length is 12
    with pytest.raises(IndexError):
        m.extractLabeledData(few)
