"""trainnet on recurrent sequence classifiers with sequences of different lengths, against a hand-written loop.

The reference pads each mini-batch with padsequences (SequenceLength "longest", on the left), runs MATLAB's
LSTM equations step by step (gate order input, forget, cell candidate, output; each mini-batch starting from
zero state, as MATLAB's trainnet does), applies L2 regularization with the layers' L2 factors, per-learnable
"l2norm" gradient thresholding and MATLAB's Adam update, all written here in torch.
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph import padsequences, trainingOptions, trainnet

RTOL = 1e-5
CLASSES = ["a", "b", "c"]


def _data(n: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    X = [rng.standard_normal((3, int(rng.integers(2, 8)))).astype(np.float32) for _ in range(n)]
    return X, rng.integers(0, 3, n)


def _lstm(x: torch.Tensor, W: torch.Tensor, R: torch.Tensor, b: torch.Tensor, reverse: bool = False,
          ) -> torch.Tensor:
    """MATLAB's LSTM on C×T×N data from zero state; returns the hidden state after the last step processed (H×N)."""
    H, N = R.shape[1], x.shape[2]
    h, c = torch.zeros(H, N), torch.zeros(H, N)
    steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    for t in steps:
        z = W @ x[:, t, :] + R @ h + b
        i, f, g, o = torch.sigmoid(z[:H]), torch.sigmoid(z[H:2 * H]), torch.tanh(z[2 * H:3 * H]), \
            torch.sigmoid(z[3 * H:])
        c = f * c + i * g
        h = o * torch.tanh(c)
    return h


def _reference(X: list[np.ndarray], codes: np.ndarray, W0: dict[str, torch.Tensor], bi: bool, epochs: int,
               batch: int, lr: float, l2: float, limit: float) -> tuple[list[float], dict[str, torch.Tensor]]:
    """The hand-written training loop: losses per iteration and the final weights (MATLAB layouts)."""
    W = {k: v.clone() for k, v in W0.items()}
    m = {k: torch.zeros_like(v) for k, v in W.items()}
    v = {k: torch.zeros_like(w) for k, w in W.items()}
    onehot = torch.eye(3)[torch.tensor(codes)].T  # K×N
    losses, it = [], 0
    for _ in range(epochs):
        for s in range(0, len(X) - len(X) % batch, batch):  # the last partial mini-batch is dropped
            it += 1
            xpad, _ = padsequences(X[s:s + batch], 2, Direction="left")  # C×T×N, data at the end
            x = torch.tensor(xpad)
            p = {k: w.clone().requires_grad_(True) for k, w in W.items()}
            Hn = p["R"].shape[1]
            if bi:  # bilstmLayer: forward rows above backward rows. OutputMode "last" is the output sequence's
                # last time step: the forward state after all steps, the backward one after the last step alone
                h = torch.cat([_lstm(x, p["W"][:4 * Hn], p["R"][:4 * Hn], p["b"][:4 * Hn]),
                               _lstm(x[:, -1:], p["W"][4 * Hn:], p["R"][4 * Hn:], p["b"][4 * Hn:], reverse=True)])
            else:
                h = _lstm(x, p["W"], p["R"], p["b"])
            y = torch.softmax(p["fcW"] @ h + p["fcb"], 0)
            loss = -(onehot[:, s:s + batch] * torch.log(y)).sum() / batch
            losses.append(float(loss.detach()))
            grads = dict(zip(p, torch.autograd.grad(loss, list(p.values()))))
            for k, g in grads.items():
                if k in ("W", "R", "fcW"):  # L2Factor 1 for weights, 0 for biases (MATLAB's defaults)
                    g = g + l2 * W[k]
                norm = float(g.double().square().sum().sqrt())
                if norm > limit:  # GradientThresholdMethod "l2norm": each learnable on its own
                    g = g * (limit / norm)
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                step = lr * math.sqrt(1 - 0.999 ** it) / (1 - 0.9 ** it)
                W[k] = W[k] - step * m[k] / (v[k].sqrt() + 1e-8)
    return losses, W


def _weights(net: lg.dlnetwork, rnn: str) -> dict[str, torch.Tensor]:
    return {"W": torch.tensor(net.getLearnable(rnn, "InputWeights")),
            "R": torch.tensor(net.getLearnable(rnn, "RecurrentWeights")),
            "b": torch.tensor(net.getLearnable(rnn, "Bias")),
            "fcW": torch.tensor(net.getLearnable("fc", "Weights")),
            "fcb": torch.tensor(net.getLearnable("fc", "Bias"))}


@pytest.mark.parametrize("bi", [False, True], ids=["lstm", "bilstm"])
def test_trainnet_matches_a_hand_written_loop_on_sequences_of_different_lengths(bi: bool) -> None:
    X, codes = _data(11, seed=3 + bi)
    labels = lg.categorical([CLASSES[c] for c in codes], CLASSES)
    torch.manual_seed(7)
    rnn = (lg.bilstmLayer if bi else lg.lstmLayer)(4, OutputMode="last", Name="rnn")
    net0 = lg.dlnetwork([lg.sequenceInputLayer(3), rnn, lg.fullyConnectedLayer(3, Name="fc"), lg.softmaxLayer()])
    opts = trainingOptions("adam", MaxEpochs=3, MiniBatchSize=4, InitialLearnRate=0.02, GradientThreshold=1,
                           Shuffle="never", SequenceLength="longest", SequencePaddingDirection="left",
                           Verbose=False, Precision="fp32")
    net, info = trainnet([x.T for x in X], labels, net0, "crossentropy", opts)

    losses, W = _reference(X, codes, _weights(net0, "rnn"), bi, epochs=3, batch=4, lr=0.02, l2=1e-4, limit=1.0)
    assert len(info.TrainingHistory.Loss) == 6  # 11 sequences in mini-batches of 4: 2 per epoch
    np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=RTOL)
    got = _weights(net, "rnn")
    for k in W:
        np.testing.assert_allclose(got[k].numpy(), W[k].numpy(), rtol=RTOL, atol=1e-7, err_msg=k)
    # the returned network keeps its initial (D·H)×1 state, so it predicts batches of any size
    H = 8 if bi else 4
    assert net.getLearnable("rnn", "HiddenState").shape == (H, 1)
    np.testing.assert_array_equal(net.getLearnable("rnn", "HiddenState"), np.zeros((H, 1), np.float32))
    assert lg.minibatchpredict(net, [x.T for x in X], MiniBatchSize=5).shape == (11, 3)


def test_state_is_not_carried_from_one_mini_batch_to_the_next() -> None:
    """Each mini-batch starts from the initial state (the hand loop's zeros), also for a network whose state a
    forward pass left 4×3 (one column per observation of another batch size): trainnet resets it, as resetState."""
    X, codes = _data(8, seed=9)
    labels = lg.categorical([CLASSES[c] for c in codes], CLASSES)
    torch.manual_seed(2)
    net0 = lg.dlnetwork([lg.sequenceInputLayer(3), lg.lstmLayer(4, OutputMode="last", Name="rnn"),
                         lg.fullyConnectedLayer(3, Name="fc"), lg.softmaxLayer()])
    xpad, _ = padsequences(X[:3], 2, Direction="left")
    _, state = lg.forward(net0, lg.dlarray(xpad, "CTB"))
    moved = lg.dlnetwork(net0)
    moved.State = state  # HiddenState and CellState now 4×3
    opts = trainingOptions("adam", MaxEpochs=1, MiniBatchSize=4, Shuffle="never", SequencePaddingDirection="left",
                           Verbose=False, Precision="fp32")
    _, info_moved = trainnet([x.T for x in X], labels, moved, "crossentropy", opts)
    _, info = trainnet([x.T for x in X], labels, net0, "crossentropy", opts)
    np.testing.assert_allclose(info_moved.TrainingHistory.Loss, info.TrainingHistory.Loss, rtol=RTOL)
    losses, _ = _reference(X, codes, _weights(net0, "rnn"), False, epochs=1, batch=4, lr=0.001, l2=1e-4,
                           limit=math.inf)
    np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=RTOL)


# ----- the documentation port: examples/ports/sequence_classifier -------------------------------------------

PORT = Path(__file__).resolve().parents[1] / "examples" / "ports" / "sequence_classifier" / \
    "sequence_classification.py"


@pytest.mark.slow  # 5 s: the port trains end to end
def test_sequence_classification_port_trains_and_predicts_like_the_hand_written_network() -> None:
    """The port of "Sequence Classification Using Deep Learning" on small sizes: the data are sorted by length as
    the page does, trainnet trains the BiLSTM classifier, and minibatchpredict's scores equal MATLAB's equations
    on each 128-sequence mini-batch padded on the right (the predict default); acc is mean(YTest == TTest)."""
    spec = importlib.util.spec_from_file_location("port_sequence_classification", PORT)
    port = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(port)
    torch.manual_seed(0)
    out = port.main(["--num-train", "300", "--num-test", "150", "--num-hidden-units", "24", "--max-epochs", "40",
                     "--plots", "none"])
    lengths = [x.shape[0] for x in out["XTrain"]]  # T×C sequences, as MATLAB's trainnet takes them
    assert lengths == sorted(lengths) and min(lengths) < 8 == max(lengths)  # sorted, different lengths
    assert len(out["info"].TrainingHistory.Loss) == 40 * (300 // 128)  # partial mini-batches dropped
    net, scores, XTest = out["net"], out["scores"], out["XTest"]
    names = list(out["classNames"])
    assert scores.shape == (150, 10)

    rnn = next(layer.Name for layer in net.Layers if layer.type == "bilstmLayer")
    W = {k: torch.tensor(net.getLearnable(rnn, k)) for k in ("InputWeights", "RecurrentWeights", "Bias")}
    fc = next(layer.Name for layer in net.Layers if layer.type == "fullyConnectedLayer")
    Wfc, bfc = torch.tensor(net.getLearnable(fc, "Weights")), torch.tensor(net.getLearnable(fc, "Bias"))
    H = W["RecurrentWeights"].shape[1]
    expect = []
    for s in range(0, len(XTest), 128):
        x = torch.tensor(padsequences([q.T for q in XTest[s:s + 128]], 2)[0])  # C×T×N, right padding (default)
        h = torch.cat([_lstm(x, W["InputWeights"][:4 * H], W["RecurrentWeights"][:4 * H], W["Bias"][:4 * H]),
                       _lstm(x[:, -1:], W["InputWeights"][4 * H:], W["RecurrentWeights"][4 * H:], W["Bias"][4 * H:],
                             reverse=True)])
        expect.append(torch.softmax(Wfc @ h + bfc, 0).T)
    expect = torch.cat(expect).numpy()
    np.testing.assert_allclose(scores, expect, rtol=1e-4, atol=1e-6)
    truth = [str(t) for t in np.asarray(out["TTest"].tolist()).reshape(-1)]
    acc = np.mean([names[k] == t for k, t in zip(expect.argmax(1), truth)])
    assert out["acc"] == pytest.approx(acc)
    assert acc > 0.3  # ten classes: chance is 0.1
