"""lstm, gru, attention, embed and gelu, MATLAB's functional operations of sequence and attention models.

Confirmed on MathWorks' pages (dlarray.lstm, dlarray.gru, dlarray.attention, dlarray.embed, dlarray.gelu):
`[Y,hiddenState,cellState] = lstm(X,H0,C0,weights,recurrentWeights,bias)` with weights 4H×C, recurrentWeights
4H×H, bias 4H×1, H0 = zeros(H,1) shared by all observations, a "CBT" input giving a "CBT" Y and H×N states;
`[Y,hiddenState] = gru(X,H0,weights,recurrentWeights,bias)`; `[Y,weights] = attention(queries,keys,values,
numHeads)` with "CBT" queries and unformatted keys and values giving a "CBT" Y and numKeys×numQueries×numHeads×
numObservations unformatted weights; `embed(X,weights)` expanding X's singleton 'C' dimension into the embedding
dimension (1(C)×5(B) → 10(C)×5(B)) and `embed(X,weights,'DataFormat',FMT)` giving unformatted output; gelu with
Approximation "none" (erf) or "tanh", keeping X's format. Every comparison below is against an independent
reference with the same weights: torch.nn.LSTM / nn.GRU, numpy equations, numpy attention from MATLAB's formula.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.dlarray import DLArray
from layergraph.errors import LayergraphError

RNG = np.random.default_rng(7)


def _r(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _np(x: object) -> np.ndarray:
    return lg.extractdata(x).numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# ----- numpy references from MATLAB's documented equations ---------------------------------------------------------
def np_lstm(X, W, R, b, h, c, act=np.tanh, gate=sigmoid):
    """X C×N×T; gates [input; forget; candidate; output]; returns Y H×N×T and the final states."""
    H = R.shape[1]
    ys = []
    for t in range(X.shape[2]):
        z = W @ X[:, :, t] + R @ h + b[:, None]
        i, f, g, o = (z[k * H:(k + 1) * H] for k in range(4))
        c = gate(f) * c + gate(i) * act(g)
        h = gate(o) * act(c)
        ys.append(h)
    return np.stack(ys, 2), h, c


def np_gru(X, W, R, b, h, mode="after-multiplication"):
    """X C×N×T; gates [reset; update; candidate]; bias 3H, or 6H (input then recurrent) for the recurrent-bias mode."""
    H = R.shape[1]
    bw, br = (b[:3 * H], b[3 * H:]) if mode == "recurrent-bias-after-multiplication" else (b, np.zeros(3 * H))
    ys = []
    for t in range(X.shape[2]):
        xw = W @ X[:, :, t] + bw[:, None]
        r = sigmoid(xw[:H] + R[:H] @ h + br[:H, None])
        z = sigmoid(xw[H:2 * H] + R[H:2 * H] @ h + br[H:2 * H, None])
        if mode == "before-multiplication":
            cand = np.tanh(xw[2 * H:] + R[2 * H:] @ (r * h))
        else:
            cand = np.tanh(xw[2 * H:] + r * (R[2 * H:] @ h + br[2 * H:, None]))
        h = (1 - z) * cand + z * h
        ys.append(h)
    return np.stack(ys, 2), h


def np_attention(q, k, v, heads, scale=None, allowed=None):
    """q C×N×Lq, k C×N×Lk, v Dv×N×Lk (MATLAB layout): Y Dv×N×Lq and weights Lk×Lq×heads×N."""
    dq, dv = q.shape[0] // heads, v.shape[0] // heads
    scale = 1 / math.sqrt(k.shape[0] / heads) if scale is None else scale
    n, lq, lk = q.shape[1], q.shape[2], k.shape[2]
    Y, A = np.zeros((v.shape[0], n, lq)), np.zeros((lk, lq, heads, n))
    for b in range(n):
        for h in range(heads):
            s = k[h * dq:(h + 1) * dq, b].T @ q[h * dq:(h + 1) * dq, b] * scale  # Lk×Lq
            if allowed is not None:
                s = np.where(allowed[..., b] if allowed.ndim == 3 else allowed, s, -np.inf)
            w = np.exp(s - s.max(0))
            w /= w.sum(0)
            A[:, :, h, b] = w
            Y[h * dv:(h + 1) * dv, b] = v[h * dv:(h + 1) * dv, b] @ w
    return Y, A


# ----- lstm ----------------------------------------------------------------------------------------------------------
def _lstm_case(C=3, H=4, N=2, T=5):
    return _r(C, N, T), _r(4 * H, C), _r(4 * H, H), _r(4 * H, 1), _r(H, N), _r(H, N)


def test_lstm_equals_torch_nn_lstm_with_the_same_weights() -> None:
    X, W, R, b, h0, c0 = _lstm_case()
    Y, hs, cs = lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W, R, b)
    ref = torch.nn.LSTM(3, 4)
    with torch.no_grad():  # torch's gates are i, f, g, o: MATLAB's input, forget, candidate, output
        ref.weight_ih_l0.copy_(torch.from_numpy(W))
        ref.weight_hh_l0.copy_(torch.from_numpy(R))
        ref.bias_ih_l0.copy_(torch.from_numpy(b[:, 0]))
        ref.bias_hh_l0.zero_()
        state = (torch.from_numpy(h0.T)[None], torch.from_numpy(c0.T)[None])
        out, (hn, cn) = ref(torch.from_numpy(X).permute(2, 1, 0), state)
    assert Y.fmt == "CBT" and tuple(lg.size(Y)) == (4, 2, 5)
    np.testing.assert_allclose(_np(Y), out.permute(2, 1, 0).numpy(), atol=1e-5)
    np.testing.assert_allclose(_np(hs), hn[0].T.numpy(), atol=1e-5)
    np.testing.assert_allclose(_np(cs), cn[0].T.numpy(), atol=1e-5)
    assert tuple(_np(hs).shape) == (4, 2)


def test_lstm_shared_initial_state_one_step_and_unformatted_input() -> None:
    X, W, R, b, _, _ = _lstm_case()
    h0, c0 = _r(4, 1), _r(4, 1)  # MATLAB's H0 = zeros(numHiddenUnits,1): the same state for every observation
    want, wh, wc = np_lstm(X, W, R, b[:, 0], np.repeat(h0, 2, 1), np.repeat(c0, 2, 1))
    Y, hs, cs = lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W, R, b)
    np.testing.assert_allclose(_np(Y), want, atol=1e-5)
    np.testing.assert_allclose(_np(hs), wh, atol=1e-5)
    np.testing.assert_allclose(_np(cs), wc, atol=1e-5)
    # "CB" data is one time step and stays "CB"
    Y1 = lg.lstm(lg.dlarray(X[:, :, 0], "CB"), h0, c0, W, R, b)
    assert Y1.fmt == "CB"
    np.testing.assert_allclose(_np(Y1), want[:, :, 0], atol=1e-5)
    # unformatted data with DataFormat come back unformatted, in the DataFormat's order (here T×C×B)
    Yu = lg.lstm(np.transpose(X, (2, 0, 1)), h0, c0, W, R, b, DataFormat="TCB")
    assert getattr(Yu, "fmt", "") == ""
    np.testing.assert_allclose(_np(Yu), np.transpose(want, (2, 0, 1)), atol=1e-5)


def test_lstm_formatted_initial_states_give_cb_states() -> None:
    X, W, R, b, h0, c0 = _lstm_case()
    _, wh, wc = np_lstm(X, W, R, b[:, 0], h0, c0)
    _, hs, cs = lg.lstm(lg.dlarray(X, "CBT"), lg.dlarray(h0, "CB"), lg.dlarray(c0, "CB"), W, R, b)
    assert hs.fmt == "CB" and cs.fmt == "CB"
    np.testing.assert_allclose(_np(hs), wh, atol=1e-5)
    np.testing.assert_allclose(_np(cs), wc, atol=1e-5)


@pytest.mark.parametrize("state,gate", [("softsign", "sigmoid"), ("relu", "hard-sigmoid"), ("tanh", "hard-sigmoid")])
def test_lstm_activation_options_follow_the_equations(state: str, gate: str) -> None:
    X, W, R, b, h0, c0 = _lstm_case()
    acts = {"tanh": np.tanh, "softsign": lambda x: x / (1 + np.abs(x)), "relu": lambda x: np.maximum(x, 0)}
    gates = {"sigmoid": sigmoid, "hard-sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1)}
    want, _, _ = np_lstm(X, W, R, b[:, 0], h0, c0, acts[state], gates[gate])
    Y = lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W, R, b, "StateActivationFunction", state, gateactivationfunction=gate)
    np.testing.assert_allclose(_np(Y), want, atol=1e-5)


def test_lstm_gradients_through_dlfeval_equal_torch_autograd() -> None:
    X, W, R, b, h0, c0 = _lstm_case()
    weight = _r(4, 2, 5)

    def loss_fn(x, w, r, bb):
        Y = lg.lstm(x, h0, c0, w, r, bb)
        loss = (Y * lg.dlarray(weight, "CBT")).sum()
        return lg.dlgradient(loss, x, w, r, bb)

    grads = lg.dlfeval(loss_fn, lg.dlarray(X, "CBT"), lg.dlarray(W), lg.dlarray(R), lg.dlarray(b))
    ref = torch.nn.LSTM(3, 4)
    xt = torch.from_numpy(X).permute(2, 1, 0).requires_grad_()
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(W))
        ref.weight_hh_l0.copy_(torch.from_numpy(R))
        ref.bias_ih_l0.copy_(torch.from_numpy(b[:, 0]))
        ref.bias_hh_l0.zero_()
    out, _ = ref(xt, (torch.from_numpy(h0.T)[None], torch.from_numpy(c0.T)[None]))
    (out * torch.from_numpy(weight).permute(2, 1, 0)).sum().backward()
    want = [xt.grad.permute(2, 1, 0), ref.weight_ih_l0.grad, ref.weight_hh_l0.grad, ref.bias_ih_l0.grad[:, None]]
    for g, w in zip(grads, want, strict=True):
        np.testing.assert_allclose(_np(g), w.numpy(), atol=1e-4)


# ----- gru -----------------------------------------------------------------------------------------------------------
def test_gru_equals_torch_nn_gru_and_the_recurrent_bias_mode() -> None:
    X, h0 = _r(3, 2, 5), _r(4, 2)
    W, R, b = _r(12, 3), _r(12, 4), _r(6 * 4, 1)
    ref = torch.nn.GRU(3, 4)
    for mode, bias in (("after-multiplication", b[:12]), ("recurrent-bias-after-multiplication", b)):
        with torch.no_grad():  # torch's gates r, z, n: MATLAB's reset, update, candidate (both stack them so)
            ref.weight_ih_l0.copy_(torch.from_numpy(W))
            ref.weight_hh_l0.copy_(torch.from_numpy(R))
            ref.bias_ih_l0.copy_(torch.from_numpy(bias[:12, 0]))
            ref.bias_hh_l0.copy_(torch.from_numpy(bias[12:, 0]) if len(bias) == 24 else torch.zeros(12))
            out, hn = ref(torch.from_numpy(X).permute(2, 1, 0), torch.from_numpy(h0.T)[None])
        kwargs = {} if mode == "after-multiplication" else {"ResetGateMode": mode}  # the default first
        Y, hs = lg.gru(lg.dlarray(X, "CBT"), h0, W, R, bias, **kwargs)
        assert Y.fmt == "CBT"
        np.testing.assert_allclose(_np(Y), out.permute(2, 1, 0).numpy(), atol=1e-5)
        np.testing.assert_allclose(_np(hs), hn[0].T.numpy(), atol=1e-5)
        np.testing.assert_allclose(_np(Y), np_gru(X, W, R, bias[:, 0], h0, mode)[0], atol=1e-5)


def test_gru_reset_before_multiplication_follows_the_equations() -> None:
    X, h0, W, R, b = _r(3, 2, 5), _r(4, 1), _r(12, 3), _r(12, 4), _r(12, 1)
    want, wh = np_gru(X, W, R, b[:, 0], np.repeat(h0, 2, 1), "before-multiplication")
    Y, hs = lg.gru(lg.dlarray(X, "CBT"), h0, W, R, b, ResetGateMode="before-multiplication")
    np.testing.assert_allclose(_np(Y), want, atol=1e-5)
    np.testing.assert_allclose(_np(hs), wh, atol=1e-5)


def test_nargout_forms() -> None:
    X, W, R, b, h0, c0 = _lstm_case()
    Y = lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W, R, b)
    assert isinstance(Y, DLArray) and Y.fmt == "CBT"
    Y2, hs = lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W, R, b)
    torch.testing.assert_close(Y2, Y)
    assert tuple(hs.shape) == (4, 2)
    out = lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W, R, b, nargout=3)
    assert len(out) == 3
    Yg = lg.gru(lg.dlarray(X, "CBT"), h0, W[:12], R[:12], b[:12])
    assert isinstance(Yg, DLArray)
    with pytest.raises(LayergraphError, match="at most 2"):
        lg.gru(lg.dlarray(X, "CBT"), h0, W[:12], R[:12], b[:12], nargout=3)


def test_recurrent_bad_input_is_one_line() -> None:
    X, W, R, b, h0, c0 = _lstm_case()
    cases = [
        (lambda: lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W[:, :2], R, b), "weights has size 16×2; expected 16×3"),
        (lambda: lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W, R[:12], b), "recurrentWeights has size 12×4"),
        (lambda: lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W, R, b[:12]), "bias has 12 elements; expected 16"),
        (lambda: lg.lstm(lg.dlarray(X, "CBT"), _r(4, 3), c0, W, R, b), "H0 has size 4×3"),
        (lambda: lg.lstm(X, h0, c0, W, R, b), "give its DataFormat"),
        (lambda: lg.gru(lg.dlarray(X, "CBT"), h0, W[:12], R[:12], b[:12], ResetGateMode="recurrent-bias-after-"
                        "multiplication"), "bias has 12 elements; expected 24"),
        (lambda: lg.lstm(lg.dlarray(_r(3, 3, 2), "SCB"), h0, c0, W, R, b), "'SCB' input is not supported"),
        (lambda: lg.lstm(lg.dlarray(X, "CBT"), h0, c0, W, R, b, StateActivationFunction="elu"), "one of"),
    ]
    for call, words in cases:
        with pytest.raises(ValueError) as err:
            call()
        assert words in str(err.value) and "\n" not in str(err.value), str(err.value)


# ----- attention -----------------------------------------------------------------------------------------------------
def _attention_case(lq=4, lk=5):
    return _r(6, 2, lq), _r(6, 2, lk), _r(4, 2, lk)


def test_attention_equals_matlabs_formula_and_weights_layout() -> None:
    q, k, v = _attention_case()
    Y, A = lg.attention(lg.dlarray(q, "CBT"), k, v, 2)  # MATLAB's example: unformatted keys and values
    want, wA = np_attention(q, k, v, 2)
    assert Y.fmt == "CBT" and tuple(lg.size(Y)) == (4, 2, 4)
    assert getattr(A, "fmt", "") == "" and tuple(A.shape) == (5, 4, 2, 2)  # numKeys×numQueries×numHeads×numObs
    np.testing.assert_allclose(_np(Y), want, atol=1e-5)
    np.testing.assert_allclose(_np(A), wA, atol=1e-6)
    # one output: torch's fused scaled_dot_product_attention path, the same numbers
    Y1 = lg.attention(lg.dlarray(q, "CBT"), lg.dlarray(k, "CBT"), lg.dlarray(v, "CBT"), 2, Scale=0.3)
    np.testing.assert_allclose(_np(Y1), np_attention(q, k, v, 2, scale=0.3)[0], atol=1e-5)


def test_attention_equals_torch_sdpa_and_its_gradients() -> None:
    q, k, v = _attention_case()
    weight = _r(4, 2, 4)

    def loss_fn(qq, kk, vv):
        Y = lg.attention(qq, kk, vv, 2)
        return lg.dlgradient((Y * lg.dlarray(weight, "CBT")).sum(), qq, kk, vv)

    grads = lg.dlfeval(loss_fn, *(lg.dlarray(a, "CBT") for a in (q, k, v)))

    qt, kt, vt = (torch.from_numpy(a).requires_grad_() for a in (q, k, v))
    # C×N×L → N×heads×L×(C/heads): MATLAB's heads are contiguous channel groups
    y = torch.nn.functional.scaled_dot_product_attention(*(t.permute(1, 2, 0).unflatten(-1, (2, -1)).transpose(1, 2)
                                                           for t in (qt, kt, vt)))
    y = y.transpose(1, 2).flatten(2).permute(2, 0, 1)  # back to Dv×N×Lq
    (y * torch.from_numpy(weight)).sum().backward()
    for g, t in zip(grads, (qt, kt, vt), strict=True):
        np.testing.assert_allclose(_np(g), t.grad.numpy(), atol=1e-5)


def test_attention_causal_custom_and_padding_masks() -> None:
    q, k, v = _attention_case(lq=5, lk=5)
    Y, A = lg.attention(lg.dlarray(q, "CBT"), k, v, 2, AttentionMask="causal")
    causal = np.tril(np.ones((5, 5), bool)).T  # keys × queries: key j reaches query i for j ≤ i
    want, wA = np_attention(q, k, v, 2, allowed=causal)
    np.testing.assert_allclose(_np(Y), want, atol=1e-5)
    np.testing.assert_allclose(_np(A), wA, atol=1e-6)
    assert np.all(_np(A)[1, 0] == 0)  # query 1 never sees key 2
    custom = RNG.random((5, 5)) > 0.3
    custom[0] = True  # every query keeps one key
    np.testing.assert_allclose(_np(lg.attention(lg.dlarray(q, "CBT"), k, v, 2, "AttentionMask", custom.astype(float))),
                               np_attention(q, k, v, 2, allowed=custom)[0], atol=1e-5)
    pad = np.ones((1, 2, 5), np.float32)
    pad[0, 1, 3:] = 0  # observation 2's last two keys are padding
    allowed = np.ones((5, 5, 2), bool)
    allowed[3:, :, 1] = False
    np.testing.assert_allclose(_np(lg.attention(lg.dlarray(q, "CBT"), k, v, 2, PaddingMask=pad)),
                               np_attention(q, k, v, 2, allowed=allowed)[0], atol=1e-5)


def test_attention_over_image_positions_column_major_and_dropout() -> None:
    q, k, v = _r(2, 3, 6, 2), _r(2, 3, 6, 2), _r(2, 3, 4, 2)  # H×W×C×N: 6 positions, h fastest (MATLAB)
    flat = [a.reshape(6, a.shape[2], 2, order="F").transpose(1, 2, 0) for a in (q, k, v)]  # C×N×L
    want, wA = np_attention(*flat, 2)
    Y, A = lg.attention(*(lg.dlarray(a, "SSCB") for a in (q, k, v)), 2)
    assert Y.fmt == "SSCB" and tuple(lg.size(Y)) == (2, 3, 4, 2)
    np.testing.assert_allclose(_np(Y), want.transpose(2, 0, 1).reshape(2, 3, 4, 2, order="F"), atol=1e-5)
    np.testing.assert_allclose(_np(A), wA, atol=1e-6)
    qc, kc, vc = _attention_case()
    torch.manual_seed(0)
    Yd = lg.attention(lg.dlarray(qc, "CBT"), kc, vc, 2, DropoutProbability=0.5)
    assert not np.allclose(_np(Yd), np_attention(qc, kc, vc, 2)[0], atol=1e-3)  # MATLAB's function always drops


def test_attention_bad_input_is_one_line() -> None:
    q, k, v = _attention_case()
    cases = [
        (lambda: lg.attention(lg.dlarray(q, "CBT"), k, v, 4), "not divisible by numHeads"),
        (lambda: lg.attention(lg.dlarray(q, "CBT"), k[:4], v, 2), "same number of channels"),
        (lambda: lg.attention(lg.dlarray(q, "CBT"), k, v[:, :, :3], 2), "same positions"),
        (lambda: lg.attention(q, k, v, 2), "give its DataFormat"),
        (lambda: lg.attention(lg.dlarray(q, "CBT"), k, v, 2, AttentionMask=np.ones((4, 4))), "AttentionMask has size"),
        (lambda: lg.attention(lg.dlarray(q[:, :, 0], "CB"), k, v, 2), "'CB' queries are not supported"),
    ]
    for call, words in cases:
        with pytest.raises(ValueError) as err:
            call()
        assert words in str(err.value) and "\n" not in str(err.value), str(err.value)


# ----- embed and gelu ------------------------------------------------------------------------------------------------
def test_embed_looks_up_columns_as_numpy_indexing() -> None:
    W = _r(10, 7)
    idx = RNG.integers(1, 8, size=(1, 3, 4))  # 1(C)×3(B)×4(T) word indices, 1-based
    Y = lg.embed(lg.dlarray(idx.astype(np.float32), "CBT"), W)
    assert Y.fmt == "CBT" and tuple(lg.size(Y)) == (10, 3, 4)
    np.testing.assert_array_equal(_np(Y), W[:, idx[0] - 1])
    Yb = lg.embed(lg.dlarray(idx[0, :, 0].astype(np.float32)[None], "CB"), W)  # MATLAB's example: 1(C)×N(B)
    np.testing.assert_array_equal(_np(Yb), W[:, idx[0, :, 0] - 1])
    Yu = lg.embed(idx.astype(np.float32), W, DataFormat="CBT")
    assert getattr(Yu, "fmt", "") == ""
    np.testing.assert_array_equal(_np(Yu), W[:, idx[0] - 1])
    with pytest.raises(ValueError, match="from 1 to 7"):
        lg.embed(lg.dlarray(np.array([[1.0, 8.0]]), "CB"), W)
    with pytest.raises(ValueError, match="size 1"):
        lg.embed(lg.dlarray(np.ones((2, 3)), "CB"), W)


def test_embed_gradient_reaches_the_looked_up_columns() -> None:
    W = lg.dlarray(_r(4, 5))

    def fn(w):
        return lg.dlgradient(lg.embed(lg.dlarray(np.array([[2.0, 2.0, 5.0]]), "CB"), w).sum(), w)

    g = _np(lg.dlfeval(fn, W))
    np.testing.assert_array_equal(g, np.array([[0, 2, 0, 0, 1]] * 4, np.float32))


def test_gelu_erf_and_tanh_forms_as_numpy() -> None:
    x = _r(3, 4, 2)
    erf = np.vectorize(math.erf)
    Y = lg.gelu(lg.dlarray(x, "CBT"))
    assert Y.fmt == "CBT"
    np.testing.assert_allclose(_np(Y), x / 2 * (1 + erf(x / math.sqrt(2))), atol=1e-6)
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(_np(lg.gelu(lg.dlarray(x, "CBT"), Approximation="tanh")), tanh_form, atol=1e-6)
    np.testing.assert_allclose(_np(lg.gelu(lg.dlarray(x), "Approximation", "TANH")), tanh_form, atol=1e-6)
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        lg.gelu(lg.dlarray(x), Approximation="erf")
