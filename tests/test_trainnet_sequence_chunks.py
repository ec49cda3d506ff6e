"""trainingOptions SequenceLength as a number: each mini-batch, padded on the right to its longest sequence, is
split into chunks of that many time steps (the last one shorter), each chunk one iteration, the LSTM state
carried from one chunk to the next and back to zero for the next mini-batch.

The reference is written here in torch: MATLAB's LSTM equations step by step (gates input, forget, cell
candidate, output), a fully connected layer at every time step, the "mse" loss over all elements of the chunk
and the sgdm update v ← μ·v − α·g, W ← W + v (L2Regularization 0).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph import padsequences
from layergraph.errors import DataError

RTOL = 1e-5


def _data(lengths: list[int], seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    X = [rng.standard_normal((3, n)).astype(np.float32) for n in lengths]  # C×T
    T = [rng.standard_normal((2, n)).astype(np.float32) for n in lengths]
    return X, T


def _weights(net: lg.dlnetwork) -> dict[str, torch.Tensor]:
    names = {"W": ("rnn", "InputWeights"), "R": ("rnn", "RecurrentWeights"), "b": ("rnn", "Bias"),
             "fcW": ("fc", "Weights"), "fcb": ("fc", "Bias")}
    return {k: torch.tensor(np.asarray(net.getLearnable(*v))) for k, v in names.items()}


def _chunk_loss(p: dict, x: torch.Tensor, t: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
    """The LSTM and fc over one chunk (C×T×N) from state (h, c): the mse loss and the state after it."""
    H = p["R"].shape[1]
    ys = []
    for s in range(x.shape[1]):
        z = p["W"] @ x[:, s, :] + p["R"] @ h + p["b"]
        i, f, g, o = (torch.sigmoid(z[:H]), torch.sigmoid(z[H:2 * H]), torch.tanh(z[2 * H:3 * H]),
                      torch.sigmoid(z[3 * H:]))
        c = f * c + i * g
        h = o * torch.tanh(c)
        ys.append(p["fcW"] @ h + p["fcb"])
    Y = torch.stack(ys, 1)  # R×T×N
    return ((Y - t) ** 2).mean(), h.detach(), c.detach()


def _reference(X: list, T: list, W0: dict, epochs: int, batch: int, chunk: int, lr: float, carry: bool = True,
               ) -> tuple[list, dict]:
    W = {k: v.clone() for k, v in W0.items()}
    vel = {k: torch.zeros_like(w) for k, w in W.items()}
    losses = []
    for _ in range(epochs):
        for s in range(0, len(X) - len(X) % batch, batch):
            x = torch.tensor(padsequences(X[s:s + batch], 2)[0])  # C×T×N, padded on the right
            t = torch.tensor(padsequences(T[s:s + batch], 2)[0])
            H = W["R"].shape[1]
            h, c = torch.zeros(H, batch), torch.zeros(H, batch)  # every mini-batch from zero state
            for start in range(0, x.shape[1], chunk):
                if not carry:
                    h, c = torch.zeros(H, batch), torch.zeros(H, batch)
                p = {k: w.clone().requires_grad_(True) for k, w in W.items()}
                loss, h, c = _chunk_loss(p, x[:, start:start + chunk], t[:, start:start + chunk], h, c)
                losses.append(float(loss.detach()))
                for k, g in zip(p, torch.autograd.grad(loss, list(p.values()))):
                    vel[k] = 0.9 * vel[k] - lr * g
                    W[k] = W[k] + vel[k]
    return losses, W


def _net() -> lg.dlnetwork:
    torch.manual_seed(3)
    return lg.dlnetwork([lg.sequenceInputLayer(3), lg.lstmLayer(4, Name="rnn"),
                         lg.fullyConnectedLayer(2, Name="fc")])


def test_split_sequences_match_a_hand_written_truncated_loop() -> None:
    X, T = _data([7, 5, 4, 8, 3], seed=1)
    net0 = _net()
    opts = lg.trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=2, InitialLearnRate=0.05, L2Regularization=0,
                              SequenceLength=3, Shuffle="never", Verbose=False, Precision="fp32")
    net, info = lg.trainnet([x.T for x in X], [t.T for t in T], net0, "mse", opts)
    losses, W = _reference(X, T, _weights(net0), epochs=2, batch=2, chunk=3, lr=0.05)
    # per epoch: lengths 7,5 → 7 steps → chunks 3+3+1; lengths 4,8 → 8 steps → 3+3+2 (the 5th sequence dropped)
    assert len(info.TrainingHistory.Loss) == 12 and list(info.TrainingHistory.Iteration) == list(range(1, 13))
    np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=RTOL)
    got = _weights(net)
    for k in W:
        np.testing.assert_allclose(got[k].numpy(), W[k].numpy(), rtol=RTOL, atol=1e-7, err_msg=k)
    # the trained network keeps its initial H×1 state
    np.testing.assert_array_equal(net.getLearnable("rnn", "HiddenState"), np.zeros((4, 1), np.float32))


def test_not_carrying_the_state_would_differ() -> None:
    """The reference is sensitive to the carried state: starting each chunk from zero gives other losses."""
    X, T = _data([7, 5], seed=2)
    net0 = _net()
    opts = lg.trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=2, InitialLearnRate=0.05, L2Regularization=0,
                              SequenceLength=3, Shuffle="never", Verbose=False, Precision="fp32",
                              ValidationData=([x.T for x in X], [t.T for t in T]), ValidationFrequency=1)
    _, info = lg.trainnet([x.T for x in X], [t.T for t in T], net0, "mse", opts)
    losses, _ = _reference(X, T, _weights(net0), epochs=1, batch=2, chunk=3, lr=0.05)
    np.testing.assert_allclose(info.TrainingHistory.Loss, losses, rtol=RTOL)  # validating between chunks too
    fresh, _ = _reference(X, T, _weights(net0), epochs=1, batch=2, chunk=3, lr=0.05, carry=False)
    assert fresh[0] == pytest.approx(losses[0], rel=RTOL)  # the first chunk starts from zero either way
    assert abs(fresh[1] - info.TrainingHistory.Loss[1]) > 1e-3 * abs(fresh[1])


def test_split_needs_sequence_targets() -> None:
    X, _ = _data([4, 5], seed=3)
    layers = [lg.sequenceInputLayer(3), lg.lstmLayer(4, OutputMode="last"), lg.fullyConnectedLayer(2),
              lg.softmaxLayer()]
    opts = lg.trainingOptions("adam", MaxEpochs=1, MiniBatchSize=2, SequenceLength=2, Verbose=False,
                              Precision="fp32")
    with pytest.raises(DataError, match="targets must be sequences"):
        lg.trainnet([x.T for x in X], lg.categorical(["a", "b"]), layers, "crossentropy", opts)
