"""Corpus programs without a hand port, translated by `layergraph port` and run end to end on small data, their
numbers checked against formulas written by hand: the Fourier neural operator (its spectral layer and network in
numpy), the Hamiltonian neural network (its loss by hand, its ODE solve against scipy) and the nanoGPT live script
(its attention network as causal attention in numpy; the whole script, its bigram loss by hand)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

pytest.importorskip("tree_sitter_matlab")
import layergraph
from layergraph.port import port_files
from tests.test_port_programs import CORPUS, _recording, run_program, translate_program

# ----- Fourier neural operator (matlab-deep-learning/fourier-neural-operator) -----------------------------------

FNO_SMALL = [("numTrain = 1e3;", "numTrain = 8;"), ("numTest = 1e2;", "numTest = 4;"), ("h = 2^10;", "h = 2^5;"),
             ("numModes = 16;", "numModes = 4;"), ("width = 64;", "width = 4;"), ("batchSize = 20;", "batchSize = 4;"),
             ("numEpochs = 20;", "numEpochs = 2;"),
             ("convolution1dLayer(1, 128, Name='fc5')", "convolution1dLayer(1, 8, Name='fc5')")]


def spectral_conv_numpy(x: np.ndarray, W: np.ndarray, modes: int) -> np.ndarray:
    """The layer's documented computation on S×C×B data: the one-sided DFT normalized by N, the first `modes`
    modes mixed by W (C×Cout×modes), the higher modes zero, the real inverse scaled back by N."""
    N = x.shape[0]
    xft = np.fft.rfft(x, axis=0) / N
    yft = np.zeros((N // 2 + 1, W.shape[1], x.shape[2]), complex)
    yft[:modes] = np.einsum("mcb,cdm->mdb", xft[:modes], W)
    return np.fft.irfft(N * yft, n=N, axis=0)


def test_fourier_neural_operator_trains_and_its_spectral_layer_is_the_formula(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """exampleBurgers1d.m with its spectralConvolution1dLayer classdef (complex learnable Weights made with
    `1i.*rand`, fft/ifft(..., 'symmetric'), pagemtimes, `x(end+1:N, :, :, :) = conj(...)` on a dlarray,
    zeros 'like' a complex array), dlaccelerate, sgdmupdate of complex weights, predict at twice the training
    resolution: two epochs run; the trained layer computes the numpy formula, and the trained network the
    layers composed by hand in numpy."""
    scipy_io = pytest.importorskip("scipy.io")
    script = translate_program("fourier_neural_operator", "exampleBurgers1d.m", FNO_SMALL, tmp_path / "py")
    rng = np.random.default_rng(0)
    (tmp_path / "py" / "data").mkdir()
    scipy_io.savemat(tmp_path / "py" / "data" / "burgers_data_R10.mat",
                     {"a": rng.standard_normal((16, 64)), "u": rng.standard_normal((16, 64))})
    nets: list[Any] = []
    real = layergraph.sgdmupdate
    monkeypatch.setattr(layergraph, "sgdmupdate", lambda *a: (r := real(*a), nets.append(r[0]))[0])
    printed = run_program(script, monkeypatch)
    assert printed.count("Epoch = ") == 2 and len(nets) == 4  # 8 observations in mini-batches of 4, 2 epochs
    assert (tmp_path / "py" / "figures" / "figure_2.png").exists()  # the high-resolution predictions
    net = nets[-1]
    W = net.getLearnable("specConv2", "Weights")
    assert W.shape == (4, 4, 4) and np.iscomplexobj(W)
    x = rng.standard_normal((32, 4, 3)).astype(np.float32)
    with torch.no_grad():  # the layer as the compiled network calls it: torch layout (B×C×S) in and out
        y = net.layer_module("specConv2")(torch.tensor(x).permute(2, 1, 0))
    np.testing.assert_allclose(y.permute(2, 1, 0).numpy(), spectral_conv_numpy(x, W, 4), rtol=1e-4, atol=1e-5)
    x = rng.standard_normal((32, 2, 3)).astype(np.float32)
    want = fno_numpy(net, x)
    got = layergraph.extractdata(layergraph.predict(net, layergraph.dlarray(torch.tensor(x), "SCB"))).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def fno_numpy(net: Any, x: np.ndarray) -> np.ndarray:
    """The example's network composed by hand from its learnables: four blocks of spectral convolution plus a
    pointwise convolution (ReLU after the first three), lifted by fc0 and projected by fc5, ReLU, fc6."""
    def conv(name: str, v: np.ndarray) -> np.ndarray:  # a 1-wide convolution: channels mixed at each position
        W, b = net.getLearnable(name, "Weights"), net.getLearnable(name, "Bias")
        return np.einsum("scb,cf->sfb", v, W.reshape(W.shape[1], -1)) + b.reshape(1, -1, 1)
    v = conv("fc0", x)
    for k in range(1, 5):
        v = spectral_conv_numpy(v, net.getLearnable(f"specConv{k}", "Weights"), 4) + conv(f"fc{k}", v)
        v = np.maximum(v, 0) if k < 4 else v
    return conv("fc6", np.maximum(conv("fc5", v), 0))


# ----- Hamiltonian neural network (matlab-deep-learning/Hamiltonian-Neural-Network) -----------------------------

HNN_SMALL = [("hiddenSize = 200;", "hiddenSize = 16;"), ("numEpochs = 300;", "numEpochs = 2;"),
             ("miniBatchSize = 750;", "miniBatchSize = 20;")]


def spring_data(folder: Path) -> None:
    """The files the demo reads (the repository's are data, written here): trajectory_training.csv (q, p, dq/dt,
    dp/dt of a unit spring, no header, as the repository's) and qp_baseline.mat (the baseline's trajectory)."""
    scipy_io = pytest.importorskip("scipy.io")
    rng = np.random.default_rng(0)
    angle, radius = rng.uniform(0, 2 * np.pi, 60), rng.uniform(0.3, 1, 60)
    q, p = radius * np.cos(angle), -radius * np.sin(angle)
    np.savetxt(folder / "trajectory_training.csv", np.stack([q, p, p, -q], 1), delimiter=",", fmt="%.2E")
    s = np.linspace(0, 6, 30)
    scipy_io.savemat(folder / "qp_baseline.mat", {"qp": np.stack([np.cos(s), -np.sin(s)])})


def hamiltonian_loss(weights: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, T: np.ndarray) -> float:
    """The demo's loss by hand: H = MLP(q, p) (tanh, tanh, linear); dq/dt = ∂H/∂p, dp/dt = −∂H/∂q (autograd of
    ΣH); l2loss of each against its target, summed over the batch and divided by the batch size."""
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    h = x
    for k, (W, b) in enumerate(weights):
        h = torch.tensor(W, dtype=torch.float64) @ h + torch.tensor(b, dtype=torch.float64).reshape(-1, 1)
        h = torch.tanh(h) if k < len(weights) - 1 else h
    (g,) = torch.autograd.grad(h.sum(), x)
    dq, dp = g[1], -g[0]
    return float(((dq - torch.tensor(T[0])) ** 2).sum() + ((dp - torch.tensor(T[1])) ** 2).sum()) / X.shape[1]


def test_hamiltonian_nn_trains_and_integrates_its_vector_field(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Demo_Hamiltonian_Spring_with_dlnetwork.m: readtable/table2array of the CSV, arrayDatastore of a "BC"
    dlarray, dlaccelerate, a dlgradient of the network's output with respect to its input inside the loss
    (second derivatives for the update), colororder, set(gca, 'YScale', 'log'), then ode45 of the accelerated
    vector field called outside dlfeval, `load qp_baseline.mat`: the first loss is the loss computed by hand from
    the network's weights, and ode45's trajectory is a tight scipy solution of the same field to the tolerance."""
    from scipy.integrate import solve_ivp

    from layergraph.port import runtime
    script = translate_program("hamiltonian_nn", "Demo_Hamiltonian_Spring_with_dlnetwork.m", HNN_SMALL,
                               tmp_path / "py")
    spring_data(tmp_path / "py")
    calls: list[tuple[Any, ...]] = []
    real = layergraph.dlfeval

    def dlfeval(fn: Any, net: Any, *args: Any) -> Any:
        weights = [(net.getLearnable(f"fc_{k}", "Weights"), net.getLearnable(f"fc_{k}", "Bias")) for k in (1, 2, 3)]
        out = real(fn, net, *args)
        calls.append((weights, [layergraph.extractdata(a).numpy() for a in args], out))
        return out
    solved: list[Any] = []
    ode45 = runtime.ode45
    monkeypatch.setattr(layergraph, "dlfeval", lambda fn, a, *r: dlfeval(fn, a, *r) if hasattr(a, "Learnables")
                        else real(fn, a, *r))
    monkeypatch.setattr(runtime, "ode45", lambda f, ts, y0, nargout: solved.append((f, ts, y0, ode45(
        f, ts, y0, nargout=nargout))) or solved[-1][3])
    run_program(script, monkeypatch)
    assert len(calls) == 6  # 60 observations in mini-batches of 20, two epochs
    weights, (X, T), (_, loss) = calls[0]
    assert X.shape == (2, 20) and T.shape == (2, 20)
    np.testing.assert_allclose(float(layergraph.extractdata(loss)), hamiltonian_loss(weights, X, T), rtol=1e-4)
    f, _, _, (t, y) = solved[0]
    assert t.shape == (2000, 1) and y.shape == (2000, 2) and y.dtype == torch.float32
    def field(s: float, v: np.ndarray) -> np.ndarray:  # the demo's f, which takes and returns single columns
        return f(s, torch.tensor(v, dtype=torch.float32).reshape(-1, 1)).double().numpy().reshape(-1)
    tn = t[:, 0].numpy()
    exact = solve_ivp(field, (tn[0], tn[-1]), [1.0, 0.0], t_eval=tn, rtol=1e-8, atol=1e-9).y.T
    # RelTol 1e-3 bounds each step's error; over the whole trajectory it stayed near 2e-5 of its size 5
    assert np.abs(y.double().numpy() - exact).max() < 1e-3 * max(1.0, np.abs(exact).max())
    assert (tmp_path / "py" / "figures" / "figure_2.png").exists()


def test_hamiltonian_baseline_runs_with_its_typo_fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Demo_baseline_Spring.m (an MLP for the derivatives, mse, the same ode45 call): as published it starts the
    clock with `tart = tic` and reads `toc(start)`, which fails in MATLAB too (1 hand edit); then it trains and
    integrates."""
    edits = [*HNN_SMALL, ("tart = tic;", "start = tic;")]
    script = translate_program("hamiltonian_nn", "Demo_baseline_Spring.m", edits, tmp_path / "py")
    spring_data(tmp_path / "py")
    run_program(script, monkeypatch)
    assert (tmp_path / "py" / "figures" / "figure_2.png").exists()  # the loss plot and the trajectory


# ----- nanoGPT (matlab-deep-learning/nanogpt-in-matlab): the attention network of the live script ---------------

# The live script's statements that build its single-head attention network (sizes small: vocabulary 5, 3 key
# channels, embedding 6, subsequences of 4), with a batch of word indices and uniform targets (our own MATLAB
# around them); the package's batchmtimes.m, applyCausalMask.m and modelLoss.m come from the corpus.
NANOGPT_ATTENTION = """vocab = 5;
subsequenceLength = 4;
outputSize = vocab;
numKeyChannels = 3;
layers = [
    functionLayer(@(x,y) nanogpt.batchmtimes(x,"none",y,"transpose"),Name="mtimes_KQ")
    functionLayer(@(x) x/sqrt(numKeyChannels), Name="scale")];
layers = [layers
    functionLayer(@(x) nanogpt.applyCausalMask(x),Name="mask")];
layers = [layers
    softmaxLayer
    functionLayer(@(x,y) nanogpt.batchmtimes(x,"none",y,"none"),Name="mtimes_KQV")
    fullyConnectedLayer(outputSize,Name="fc_out")];
attentionNet = dlnetwork(layers,Initialize=false);
attentionNet = addLayers(attentionNet,fullyConnectedLayer(numKeyChannels,Name="fc_queries"));
attentionNet = addLayers(attentionNet,fullyConnectedLayer(numKeyChannels,Name="fc_keys"));
attentionNet = addLayers(attentionNet,fullyConnectedLayer(numKeyChannels,Name="fc_values"));
attentionNet = connectLayers(attentionNet,"fc_queries","mtimes_KQ/in1");
attentionNet = connectLayers(attentionNet,"fc_keys","mtimes_KQ/in2");
attentionNet = connectLayers(attentionNet,"fc_values","mtimes_KQV/in2");
embeddingDimension = 6;
inLayers = [sequenceInputLayer(1,Name="input"), ...
    wordEmbeddingLayer(embeddingDimension,vocab), ...
    additionLayer(2, Name="emb_add"), ...
    fullyConnectedLayer(vocab, Name="fc_in"), ...
];
attentionNet = addLayers(attentionNet,inLayers);
attentionNet = connectLayers(attentionNet,"fc_in","fc_queries");
attentionNet = connectLayers(attentionNet,"fc_in","fc_keys");
attentionNet = connectLayers(attentionNet,"fc_in","fc_values");
attentionNet = addLayers(attentionNet,softmaxLayer(Name="soft_out"));
attentionNet = connectLayers(attentionNet,"fc_out","soft_out");
attentionNet = attentionNet.addLayers(positionEmbeddingLayer(embeddingDimension, subsequenceLength, Name="posembed"));
attentionNet = attentionNet.connectLayers("input", "posembed");
attentionNet = attentionNet.connectLayers("posembed", "emb_add/in2");
attentionNet = attentionNet.initialize();
X = dlarray([1 3 5 2; 2 2 4 1], "BTC");
T = dlarray(ones(2, 4, vocab)/vocab, "BTC");
loss = dlfeval(@nanogpt.modelLoss, attentionNet, X, T);
Y = predict(attentionNet, X);
"""


def causal_attention_numpy(net: Any, idx: np.ndarray) -> np.ndarray:
    """The network by hand (idx B×T word indices): word and position embeddings added, fc_in, one head of
    scaled dot-product attention over the positions up to each query's (the causal mask), fc_out, softmax over
    the vocabulary; C×B×T."""
    def fc(name: str, h: np.ndarray) -> np.ndarray:
        return np.einsum("oc,cbt->obt", net.getLearnable(name, "Weights"), h) + \
            net.getLearnable(name, "Bias").reshape(-1, 1, 1)
    emb = net.getLearnable("word_embedding", "Weights")[:, idx.astype(int) - 1]  # D×B×T
    h = fc("fc_in", emb + net.getLearnable("posembed", "Weights")[:, None, :idx.shape[1]])
    q, k, v = fc("fc_queries", h), fc("fc_keys", h), fc("fc_values", h)
    scores = np.einsum("cbi,cbj->bij", q, k) / np.sqrt(q.shape[0])  # query i, key j
    scores = np.where(np.tril(np.ones(scores.shape[1:], bool)), scores, -np.inf)
    a = np.exp(scores - scores.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    z = fc("fc_out", np.einsum("bij,cbj->cbi", a, v))
    z = np.exp(z - z.max(0))
    return z / z.sum(0)


def test_nanogpt_attention_network_is_causal_attention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live script's attention network (functionLayers calling the package's batchmtimes, which is
    pagemtimes of stripped, permuted data, and applyCausalMask; wordEmbeddingLayer and positionEmbeddingLayer
    added; dlnetwork(..., Initialize=false), addLayers/connectLayers, initialize): predict is single-head causal
    attention computed by hand in numpy, and modelLoss is crossentropy over the sequence length."""
    files = {"driver.m": NANOGPT_ATTENTION}
    out = tmp_path / "py"
    out.mkdir()
    sources = out / "m"
    sources.mkdir()
    for name in ("batchmtimes.m", "applyCausalMask.m", "modelLoss.m"):
        files[name] = (CORPUS / "nanogpt" / name).read_text()
    for name, text in files.items():
        (sources / name).write_text(text)
    for path, code, report in port_files(sorted(sources.glob("*.m"))):
        assert not report.untranslated and not report.missing, report.summary()
        (out / f"{path.stem}.py").write_text(code)
    losses: list[Any] = []
    monkeypatch.setattr(layergraph, "dlfeval", _recording(losses, lambda out: out[0] if isinstance(out, tuple)
                                                          else out))
    predicted: list[Any] = []
    real = layergraph.predict
    monkeypatch.setattr(layergraph, "predict", lambda net, *a, **k: predicted.append((net, real(net, *a, **k))) or
                        predicted[-1][1])
    run_program(out / "driver.py", monkeypatch)
    (net, Y), (loss,) = predicted[0], losses
    idx = np.array([[1, 3, 5, 2], [2, 2, 4, 1]])
    assert layergraph.dims(Y) == "CBT"
    Y = layergraph.extractdata(Y).numpy()
    assert Y.shape == (5, 2, 4)
    want = causal_attention_numpy(net, idx)
    np.testing.assert_allclose(Y, want, rtol=1e-4, atol=1e-6)
    # crossentropy with uniform targets: -Σ_c log(Y)/5 summed over time and averaged over the batch, then / T
    np.testing.assert_allclose(float(layergraph.extractdata(loss)), -np.log(want).sum() / 5 / 2 / 4, rtol=1e-4)


# The whole live script at small sizes: a few iterations of each of its six networks, mini-batches of 8, five
# generated characters, the deepest network 12 wide with 2 blocks
NANOGPT_SMALL = [("numIterations = 2000;", "numIterations = 3;"), ("numIterations = 5000;", "numIterations = 2;"),
                 ("numIterations = 10000;", "numIterations = 2;"), ("numIterations = 30000;", "numIterations = 2;"),
                 ("validationFrequency = 100;", "validationFrequency = 2;"),
                 ("numValidationIters = 20;", "numValidationIters = 2;"),
                 ("numValidationIters = 50;", "numValidationIters = 2;"),
                 ("miniBatchSize = 128;", "miniBatchSize = 8;"),
                 ("numNewChars = 100;", "numNewChars = 5;"), ("numNewChars = 500;", "numNewChars = 5;"),
                 ("numNewChars = 1000;", "numNewChars = 5;"), ("numKeyChannels = 32;", "numKeyChannels = 8;"),
                 ("embeddingDimension = 32;", "embeddingDimension = 8;"),
                 ("embeddingDimension = 384;", "embeddingDimension = 12;"),
                 ("numKeyChannels = 384;", "numKeyChannels = 12;"), ("numAttnBlocks = 6;", "numAttnBlocks = 2;")]
# the example's sonnets.txt (openExample copies it from MATLAB's examples): lines of our own instead
VERSES = """THE LAMPLIGHTER
When evening folds the harbour into grey,
the lamplighter goes walking down the quay;
he counts the ships that did not sail today
and lights a lamp for each one out at sea.

THE ORCHARD
An apple falls and nobody is near,
the grass receives it like a quiet word;
the orchard keeps its secrets year by year
and tells them only to the passing bird.
"""


def test_nanogpt_live_script_trains_its_six_networks_and_generates_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BuildNanoGPT with the package's CharacterTokenizer (dictionary of characters and tokens) and
    SequenceForecastingDatastore (a MiniBatchable classdef datastore read by minibatchqueue, its preview, a
    MiniBatchFcn of cell columns, categorical responses one-hot encoded): the mini-batches are subsequences of the
    training text with targets one step ahead, the bigram network's first loss is crossentropy computed by hand
    from its embedding (near the script's expectedRandomLoss, log of the vocabulary size), every network trains,
    and each generated text has five characters of the text's alphabet."""
    from layergraph.port import runtime
    script = translate_program("nanogpt", "BuildNanoGPT.m", NANOGPT_SMALL, tmp_path / "py")
    (tmp_path / "py" / "sonnets.txt").write_text(VERSES)
    calls: list[tuple[Any, ...]] = []
    real = layergraph.dlfeval

    def dlfeval(fn: Any, net: Any, X: Any, T: Any) -> Any:
        names = set(net.Learnables.Layer)  # the weights as they are now (training changes the network later)
        W = net.getLearnable("word_embedding", "Weights").copy() if "word_embedding" in names else None
        calls.append((W, X, T, real(fn, net, X, T)))
        return calls[-1][3]
    monkeypatch.setattr(layergraph, "dlfeval", dlfeval)
    shown: list[Any] = []
    monkeypatch.setattr(runtime, "disp", shown.append)
    run_program(script, monkeypatch)
    assert len(calls) == 1 + 3 + 5 * 2  # the first loss, 3 bigram iterations, 2 for each of the other five
    alphabet = sorted(set(VERSES))
    tokens = np.array([alphabet.index(c) + 1 for c in VERSES])
    train = tokens[:int(np.floor(len(tokens) * 0.9))]
    W, X, T, (loss, _) = calls[0]
    assert layergraph.dims(X) == "CBT" and tuple(X.shape) == (8, 1, 8)
    x = layergraph.extractdata(X).numpy()[0].astype(int)  # B×T token numbers
    t = layergraph.extractdata(T).numpy()  # V×B×T one-hot
    assert t.shape == (len(alphabet), 8, 8) and np.all(t.sum(0) == 1)
    np.testing.assert_array_equal(t.argmax(0)[:, :-1] + 1, x[:, 1:])  # the targets: the next character
    windows = np.lib.stride_tricks.sliding_window_view(train, 8)
    assert all((windows == row).all(1).any() for row in x)  # every row a subsequence of the training text
    z = W[:, x - 1]  # V×B×T (W is V×(V+1): column k embeds token k)
    logp = z - z.max(0) - np.log(np.exp(z - z.max(0)).sum(0))
    want = -(t * logp).sum() / 8 / 8  # crossentropy summed over classes and time, / batch, then / sequence length
    np.testing.assert_allclose(float(layergraph.extractdata(loss)), want, rtol=1e-4)
    assert abs(want - np.log(len(alphabet))) < 0.05  # near uniform at initialization: the script's expectation
    texts = [s for s in shown if isinstance(s, str)]
    assert len(texts) == 6 and all(len(s) == 5 and set(s) <= set(VERSES) for s in texts)
