"""selfAttentionLayer, attentionLayer, indexing1dLayer, positionEmbeddingLayer and sinusoidalPositionEncodingLayer
against independent references: numpy written from MATLAB's documented attention (MATLAB layout C×B×T), and
torch.nn.MultiheadAttention with the same weights. Also fullyConnectedLayer, layerNormalizationLayer,
flattenLayer and dropoutLayer on "CBT" sequences as MATLAB defines them."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import NetworkError, OptionError
from layergraph.sizes import Act, features, image, sequence, signal

rng = np.random.default_rng(7)


# ----- numpy reference: MATLAB's attention on MATLAB-layout arrays -------------------------------------------
def np_softmax(s: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, heads: int, scale: float,
                 mask: np.ndarray | None = None, pad: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """q Dk×B×Lq, k Dk×B×Lk, v Dv×B×Lk (MATLAB "CBT"); mask Lk×Lq of 0/1; pad B×Lk of 0/1 (1 = data).
    Per head h (contiguous channel groups) and observation b: A = softmax over keys of scale·Kᵀ·Q (Lk×Lq),
    Y = V·A. Returns Y Dv×B×Lq and the weights Lk×Lq×heads×B (MATLAB's attention function's second output)."""
    dk, b, lq = q.shape
    dv, lk = v.shape[0], k.shape[2]
    y = np.zeros((dv, b, lq))
    weights = np.zeros((lk, lq, heads, b))
    for n in range(b):
        for h in range(heads):
            qs, vs = slice(h * dk // heads, (h + 1) * dk // heads), slice(h * dv // heads, (h + 1) * dv // heads)
            s = scale * k[qs, n, :].T @ q[qs, n, :]  # Lk×Lq
            allowed = np.ones((lk, lq), bool)
            if mask is not None:
                allowed &= mask.astype(bool)
            if pad is not None:
                allowed &= pad[n].astype(bool)[:, None]
            s = np.where(allowed, s, -np.inf)
            a = np_softmax(s, axis=0)
            weights[:, :, h, n] = a
            y[vs, n, :] = v[vs, n, :] @ a
    return y, weights


def np_self_attention(x: np.ndarray, p: dict[str, np.ndarray], heads: int, mask: np.ndarray | None = None,
                      pad: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MATLAB's selfAttentionLayer on x C×B×L: project (W·x + b at every position), attend with scale
    1/sqrt(NumKeyChannels/NumHeads), project the merged heads."""
    def proj(w: np.ndarray, bias: np.ndarray, z: np.ndarray) -> np.ndarray:
        return np.einsum("oc,cbl->obl", w, z) + bias.reshape(-1, 1, 1)

    q, k, v = (proj(p[f"{n}Weights"], p[f"{n}Bias"], x) for n in ("Query", "Key", "Value"))
    y, w = np_attention(q, k, v, heads, 1 / math.sqrt(q.shape[0] / heads), mask, pad)
    return proj(p["OutputWeights"], p["OutputBias"], y), w


def cbt_to_torch(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x.transpose(1, 0, 2))).float()


def torch_to_cbt(y: torch.Tensor) -> np.ndarray:
    return y.detach().double().numpy().transpose(1, 0, 2)


def random_params(layer: lg.Layer, act: Act) -> dict[str, np.ndarray]:
    return {k: rng.standard_normal(s) * 0.5 for k, s in layer.learnables([act]).items()}


def build(layer: lg.Layer, acts: list[Act], params: dict[str, np.ndarray] | None = None) -> torch.nn.Module:
    m = layer.build(acts)
    for k, v in (params or {}).items():
        m.from_matlab(k, v)
    return m.eval()


# ----- selfAttentionLayer -----------------------------------------------------------------------------------
@pytest.mark.parametrize("options", [{}, {"NumValueChannels": 6, "OutputSize": 3}, {"AttentionMask": "causal"}])
def test_self_attention_matches_matlab_formula_on_sequences(options: dict) -> None:
    c, t, b = 5, 7, 3
    layer = lg.selfAttentionLayer(2, 8, **options)
    act = sequence(c, t)
    p = random_params(layer, act)
    x = rng.standard_normal((c, b, t))
    mask = np.tril(np.ones((t, t))).T if options.get("AttentionMask") == "causal" else None  # key ≤ query
    want, _ = np_self_attention(x, p, 2, mask)
    got = torch_to_cbt(build(layer, [act], p)(cbt_to_torch(x)))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert layer.output_size([act]) == sequence(options.get("OutputSize", c), t)


def test_learnable_shapes_are_matlabs() -> None:
    layer = lg.selfAttentionLayer(4, 16, NumValueChannels=8, OutputSize=10)
    assert layer.learnables([sequence(6, 3)]) == {
        "QueryWeights": (16, 6), "KeyWeights": (16, 6), "ValueWeights": (8, 6), "OutputWeights": (10, 8),
        "QueryBias": (16, 1), "KeyBias": (16, 1), "ValueBias": (8, 1), "OutputBias": (10, 1)}


def test_custom_mask_and_padding_mask_and_scores() -> None:
    c, t, b = 4, 5, 2
    custom = (rng.random((t, t)) > 0.4).astype(int)
    np.fill_diagonal(custom, 1)  # every query keeps at least one key
    layer = lg.selfAttentionLayer(2, 4, AttentionMask=custom, HasPaddingMaskInput=True, HasScoresOutput=True)
    act = sequence(c, t)
    assert layer.input_names == ["in", "mask"] and layer.output_names == ["out", "scores"]
    sizes = layer.output_sizes([act, sequence(1, t)])
    assert sizes[1] == Act((t, t, 2), "UUU")
    p = random_params(layer, act)
    x = rng.standard_normal((c, b, t))
    pad = np.ones((b, t))
    pad[1, 3:] = 0  # the second sequence has 3 steps, then padding
    want, want_w = np_self_attention(x, p, 2, custom, pad)
    mask_cbt = np.repeat(pad[None], c, axis=0)  # C×B×T, like the mask padsequences returns
    y, w = build(layer, [act, sequence(c, t)], p)(cbt_to_torch(x), cbt_to_torch(mask_cbt))
    np.testing.assert_allclose(torch_to_cbt(y), want, rtol=1e-4, atol=1e-5)
    # scores: B×numKeys×numQueries×numHeads in torch = MATLAB's numKeys×numQueries×numHeads×B
    np.testing.assert_allclose(w.detach().double().numpy().transpose(1, 2, 3, 0), want_w, rtol=1e-4, atol=1e-6)


def test_images_attend_over_their_positions_column_major() -> None:
    """"SSCB": the H·W positions are the sequence, in MATLAB's reshape order (h fastest), output back in SSCB."""
    h, w, c, b = 3, 2, 4, 2
    layer = lg.selfAttentionLayer(1, 4, AttentionMask="causal")  # causal: the position order matters
    act = image(h, w, c)
    p = random_params(layer, act)
    x = rng.standard_normal((h, w, c, b))
    seq = x.reshape(h * w, c, b, order="F").transpose(1, 2, 0)  # MATLAB: reshape(X, [h*w c b]) → C×B×L
    want, _ = np_self_attention(seq, p, 1, np.tril(np.ones((h * w, h * w))).T)
    want_img = want.transpose(2, 0, 1).reshape(h, w, c, b, order="F")
    got = build(layer, [act], p)(torch.from_numpy(x.transpose(3, 2, 0, 1).copy()).float())
    np.testing.assert_allclose(got.detach().double().numpy().transpose(2, 3, 1, 0), want_img, rtol=1e-4, atol=1e-5)
    assert layer.output_size([act]) == act


def test_one_spatial_dimension_is_the_sequence() -> None:
    layer = lg.selfAttentionLayer(2, 6)
    act = signal(5, 3)
    p = random_params(layer, act)
    x = rng.standard_normal((5, 3, 2))  # S×C×B
    want, _ = np_self_attention(x.transpose(1, 2, 0), p, 2)
    got = build(layer, [act], p)(torch.from_numpy(x.transpose(2, 1, 0).copy()).float())
    np.testing.assert_allclose(got.detach().double().numpy().transpose(2, 1, 0), want.transpose(2, 0, 1),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_equals_torch_multihead_attention(causal: bool) -> None:
    """torch.nn.MultiheadAttention with MATLAB's weights: in_proj = [Wq; Wk; Wv], out_proj = Wo."""
    c, t, b, heads = 8, 6, 3, 2
    layer = lg.selfAttentionLayer(heads, c, AttentionMask="causal" if causal else "none", HasScoresOutput=True,
                                  HasPaddingMaskInput=True)
    act = sequence(c, t)
    p = {k: v.astype(np.float32).astype(np.float64) for k, v in random_params(layer, act).items()}  # as stored
    mha = torch.nn.MultiheadAttention(c, heads, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(np.concatenate([p["QueryWeights"], p["KeyWeights"],
                                                                  p["ValueWeights"]])))
        mha.in_proj_bias.copy_(torch.from_numpy(np.concatenate([p["QueryBias"], p["KeyBias"],
                                                                p["ValueBias"]]).ravel()))
        mha.out_proj.weight.copy_(torch.from_numpy(p["OutputWeights"]))
        mha.out_proj.bias.copy_(torch.from_numpy(p["OutputBias"].ravel()))
    x = torch.randn(b, t, c, dtype=torch.float64)
    lengths = torch.tensor([6, 4, 5])
    keep = torch.arange(t)[None, :] < lengths[:, None]  # B×T
    causal_mask = torch.ones(t, t, dtype=torch.bool).triu(1) if causal else None  # torch: True = blocked
    want, want_w = mha(x, x, x, key_padding_mask=~keep, attn_mask=causal_mask, average_attn_weights=False)
    m = build(layer, [act, sequence(1, t)], p).double()
    y, w = m(x.transpose(1, 2), keep[:, None, :].double())
    torch.testing.assert_close(y.transpose(1, 2), want)
    torch.testing.assert_close(w, want_w.permute(0, 3, 2, 1))


def test_dropout_acts_on_the_weights_in_training_only() -> None:
    layer = lg.selfAttentionLayer(1, 4, DropoutProbability=0.5)
    act = sequence(4, 6)
    p = random_params(layer, act)
    x = rng.standard_normal((4, 2, 6))
    m = build(layer, [act], p)
    want, _ = np_self_attention(x, p, 1)
    np.testing.assert_allclose(torch_to_cbt(m(cbt_to_torch(x))), want, rtol=1e-4, atol=1e-5)
    m.train()
    torch.manual_seed(0)
    assert not np.allclose(torch_to_cbt(m(cbt_to_torch(x))), want, atol=1e-3)


def test_bad_options_and_sizes_say_what() -> None:
    with pytest.raises(OptionError, match=r"NumKeyChannels \(10\) must be divisible by NumHeads \(3\)"):
        lg.selfAttentionLayer(3, 10)
    with pytest.raises(OptionError, match="AttentionMask"):
        lg.selfAttentionLayer(1, 4, AttentionMask="upper")
    with pytest.raises(NetworkError, match="AttentionMask is 2×2 but the data has 3 keys"):
        lg.selfAttentionLayer(1, 4, AttentionMask=[[1, 0], [1, 1]]).output_size([sequence(4, 3)])
    with pytest.raises(NetworkError, match=r"expects sequence \(CBT\), 1-D \(SCB\) or image \(SSCB\) data"):
        lg.selfAttentionLayer(1, 4).output_size([features(4)])
    with pytest.raises(OptionError, match="OutputSize must be an even"):
        lg.sinusoidalPositionEncodingLayer(5)


def test_learn_rate_factors_cover_all_weights_or_all_biases() -> None:
    layer = lg.selfAttentionLayer(1, 4, WeightLearnRateFactor=2, BiasL2Factor=0.5)
    assert layer.factor("LearnRate", "KeyWeights") == 2 and layer.factor("LearnRate", "OutputBias") == 1
    assert layer.factor("L2", "ValueBias") == 0.5 and layer.factor("L2", "QueryWeights") == 1
    assert layer.with_factor("LearnRate", "KeyWeights", 0).factor("LearnRate", "KeyWeights") == 0


# ----- attentionLayer ---------------------------------------------------------------------------------------
def test_attention_layer_matches_matlab_formula_with_other_lengths_and_scale() -> None:
    b, lq, lk, heads = 2, 4, 6, 2
    q, k, v = (rng.standard_normal(s) for s in ((6, b, lq), (6, b, lk), (4, b, lk)))
    for scale in ("auto", 0.3):
        layer = lg.attentionLayer(heads, Scale=scale, HasScoresOutput=True)
        acts = [sequence(6, lq), sequence(6, lk), sequence(4, lk)]
        assert layer.input_names == ["query", "key", "value"]
        assert layer.output_sizes(acts) == [sequence(4, lq), Act((lk, lq, heads), "UUU")]
        want, want_w = np_attention(q, k, v, heads, 1 / math.sqrt(3) if scale == "auto" else scale)
        y, w = build(layer, acts)(cbt_to_torch(q), cbt_to_torch(k), cbt_to_torch(v))
        np.testing.assert_allclose(torch_to_cbt(y), want, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(w.double().numpy().transpose(1, 2, 3, 0), want_w, rtol=1e-4, atol=1e-6)


def test_attention_layer_padding_mask_blocks_keys() -> None:
    b, lq, lk = 2, 3, 5
    q, k, v = (rng.standard_normal(s) for s in ((4, b, lq), (4, b, lk), (2, b, lk)))
    pad = np.ones((b, lk))
    pad[0, 2:] = 0
    layer = lg.attentionLayer(1, HasPaddingMaskInput=True)
    acts = [sequence(4, lq), sequence(4, lk), sequence(2, lk), sequence(1, lk)]
    want, _ = np_attention(q, k, v, 1, 0.5, pad=pad)
    y = build(layer, acts)(cbt_to_torch(q), cbt_to_torch(k), cbt_to_torch(v), cbt_to_torch(pad[None]))
    np.testing.assert_allclose(torch_to_cbt(y), want, rtol=1e-4, atol=1e-5)


# ----- indexing1dLayer ----------------------------------------------------------------------------------------
def test_indexing_first_and_last_with_and_without_padding_mask() -> None:
    x = rng.standard_normal((3, 2, 5))  # C×B×T
    xt = cbt_to_torch(x)
    assert lg.indexing1dLayer().Index == "first"
    np.testing.assert_allclose(lg.indexing1dLayer("last").build([sequence(3, 5)])(xt).numpy().T, x[:, :, -1],
                               rtol=1e-6)
    np.testing.assert_allclose(lg.indexing1dLayer().build([sequence(3, 5)])(xt).numpy().T, x[:, :, 0], rtol=1e-6)
    mask = np.ones((1, 2, 5))
    mask[0, 1, 3:] = 0  # right-padded second sequence: its last data step is 3 (1-based)
    mask[0, 0, :1] = 0  # left-padded first sequence: its first data step is 2
    expected = {"last": np.stack([x[:, 0, 4], x[:, 1, 2]], 1), "first": np.stack([x[:, 0, 1], x[:, 1, 0]], 1)}
    for index, want in expected.items():
        layer = lg.indexing1dLayer(index, HasPaddingMaskInput=True)
        assert layer.output_size([sequence(3, 5), sequence(1, 5)]) == features(3)
        got = layer.build([sequence(3, 5), sequence(1, 5)])(xt, cbt_to_torch(mask))
        np.testing.assert_allclose(got.numpy().T, want, rtol=1e-6)


# ----- position layers ----------------------------------------------------------------------------------------
def np_sinusoid(p: np.ndarray, d: int) -> np.ndarray:
    """The documented encoding (Vaswani et al.): channel 2k+1 = sin(p/10000^(2k/d)), 2k+2 = cos(…), 1-based."""
    out = np.zeros((d, *p.shape))
    for k in range(d // 2):
        out[2 * k] = np.sin(p / 10000 ** (2 * k / d))
        out[2 * k + 1] = np.cos(p / 10000 ** (2 * k / d))
    return out


def test_sinusoidal_encoding_of_time_indices_and_of_values() -> None:
    d, t = 6, 9
    layer = lg.sinusoidalPositionEncodingLayer(d)
    assert layer.output_size([sequence(3, t)]) == sequence(d, t)
    y = layer.build([sequence(3, t)])(torch.zeros(2, 3, t))
    want = np_sinusoid(np.arange(1, t + 1, dtype=float), d)  # positions 1…T, MATLAB's indices
    np.testing.assert_allclose(y[1].numpy(), want, rtol=1e-5, atol=1e-6)
    # "data-values" (the diffusion example's noise step, featureInputLayer(1)): each value is the position
    steps = np.array([3.0, 250.0, 999.0])
    layer = lg.sinusoidalPositionEncodingLayer(8)
    assert layer.output_size([features(1)]) == features(8)
    y = layer.build([features(1)])(torch.tensor(steps, dtype=torch.float32)[:, None])
    np.testing.assert_allclose(y.numpy().T, np_sinusoid(steps, 8), rtol=1e-4, atol=1e-4)


def test_position_embedding_looks_up_columns_of_weights() -> None:
    layer = lg.positionEmbeddingLayer(4, 10)
    act = sequence(3, 6)
    assert layer.learnables([act]) == {"Weights": (4, 10)} and layer.output_size([act]) == sequence(4, 6)
    w = rng.standard_normal((4, 10))
    y = build(layer, [act], {"Weights": w})(torch.zeros(2, 3, 6))
    np.testing.assert_allclose(torch_to_cbt(y)[:, 1, :], w[:, :6], rtol=1e-6)
    with pytest.raises(NetworkError, match="7 positions but MaxPosition is 5"):
        lg.positionEmbeddingLayer(4, 5).output_size([sequence(3, 7)])


# ----- the sequence behaviour of fullyConnectedLayer, layerNormalizationLayer, flattenLayer, dropoutLayer ----------
def test_layernorm_on_sequences_normalizes_each_time_step_over_channels() -> None:
    x = rng.standard_normal((4, 2, 5)) * 3 + 1
    scale, offset = rng.standard_normal(4), rng.standard_normal(4)
    layer = lg.layerNormalizationLayer()
    assert layer.learnables([sequence(4, 5)]) == {"Offset": (4, 1), "Scale": (4, 1)}
    mu, var = x.mean(0, keepdims=True), x.var(0, keepdims=True)
    want = (x - mu) / np.sqrt(var + 1e-5) * scale[:, None, None] + offset[:, None, None]
    got = build(layer, [sequence(4, 5)], {"Scale": scale, "Offset": offset})(cbt_to_torch(x))
    np.testing.assert_allclose(torch_to_cbt(got), want, rtol=1e-4, atol=1e-5)
    # batch-excluded: over channels and time together
    mu, var = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    got = build(lg.layerNormalizationLayer(OperationDimension="batch-excluded"), [sequence(4, 5)])(cbt_to_torch(x))
    np.testing.assert_allclose(torch_to_cbt(got), (x - mu) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)


def test_layernorm_on_images_keeps_spatial_channel_default() -> None:
    x = rng.standard_normal((2, 3, 3, 2))  # H×W×C×B
    xt = torch.from_numpy(x.transpose(3, 2, 0, 1).copy()).float()
    for option, axes in (("auto", (0, 1, 2)), ("channel-only", 2)):
        got = build(lg.layerNormalizationLayer(OperationDimension=option), [image(2, 3, 3)])(xt)
        mu, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
        np.testing.assert_allclose(got.detach().numpy().transpose(2, 3, 1, 0), (x - mu) / np.sqrt(var + 1e-5),
                                   rtol=1e-4, atol=1e-5)


def test_fully_connected_flatten_and_dropout_keep_time() -> None:
    x = rng.standard_normal((3, 2, 4))
    w, bias = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    fc = lg.fullyConnectedLayer(5)
    assert fc.output_size([sequence(3, 4)]) == sequence(5, 4)
    got = build(fc, [sequence(3, 4)], {"Weights": w, "Bias": bias})(cbt_to_torch(x))
    np.testing.assert_allclose(torch_to_cbt(got), np.einsum("oc,cbt->obt", w, x) + bias[:, :, None], rtol=1e-5,
                               atol=1e-6)
    flat = lg.flattenLayer()
    assert flat.output_size([sequence(3, 4)]) == sequence(3, 4)  # no S to fold into C
    np.testing.assert_array_equal(torch_to_cbt(flat.build([sequence(3, 4)])(cbt_to_torch(x))), x.astype(np.float32))
    drop = lg.dropoutLayer(0.5).build([sequence(3, 4)]).train()
    torch.manual_seed(1)
    y = drop(torch.ones(64, 3, 40))
    zeros = (y == 0).float().mean().item()
    assert 0.45 < zeros < 0.55 and set(torch.unique(y).tolist()) == {0.0, 2.0}  # elementwise, scaled 1/(1 − p)


# ----- in a network -----------------------------------------------------------------------------------------
def test_transformer_block_in_a_dlnetwork_with_mask_and_scores() -> None:
    layers = [lg.sequenceInputLayer(4, MinLength=6, Name="x"), lg.fullyConnectedLayer(8, Name="embed"),
              lg.selfAttentionLayer(2, 8, Name="sa", HasPaddingMaskInput=True, HasScoresOutput=True),
              lg.layerNormalizationLayer(Name="ln"), lg.indexing1dLayer("last", Name="last", HasPaddingMaskInput=True),
              lg.fullyConnectedLayer(3, Name="head")]
    g = lg.layerGraph(layers)
    g = lg.addLayers(g, lg.sequenceInputLayer(1, Name="mask"))  # its MinLength (1) need not be the data's
    g = lg.connectLayers(g, "mask", "sa/mask")
    g = lg.connectLayers(g, "mask", "last/mask")
    net = lg.dlnetwork(g)
    assert {"QueryWeights", "KeyWeights", "OutputWeights", "OutputBias"} <= set(net.Learnables.Parameter)
    x, mask = torch.randn(2, 4, 6), torch.ones(2, 1, 6)
    mask[1, :, 4:] = 0  # the second sequence has 4 steps
    y, scores = lg.predict(net, x, mask, Outputs=["head", "sa/scores"])
    x2 = x.clone()
    x2[1, :, 4:] = 100.0  # what the padding holds must not matter
    y2, _ = lg.predict(net, x2, mask, Outputs=["head", "sa/scores"])
    y, y2, scores = (torch.as_tensor(np.asarray(lg.extractdata(v))) for v in (y, y2, scores))
    torch.testing.assert_close(y, y2)
    # numKeys × numQueries × numHeads for each observation; labelled "UUU" + B, which sorts B first
    assert scores.shape == (2, 6, 6, 2)
    assert float(scores[1, 4:].abs().max()) == 0.0  # no query attends to the padded keys
    torch.testing.assert_close(scores.sum(1), torch.ones(2, 6, 2))


# ----- Keras 3 cross-check ------------------------------------------------------------------------------------
@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_equals_keras_multi_head_attention(causal: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """keras.layers.MultiHeadAttention (torch backend) with MATLAB's weights: Keras keeps each projection as
    C×heads×d (query/key/value) and heads×d×O (output); MATLAB as (heads·d)×C and O×(heads·d)."""
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("keras was imported with another backend")
    c, t, b, heads, dk, dv, out = 6, 5, 2, 2, 8, 4, 3
    layer = lg.selfAttentionLayer(heads, dk, NumValueChannels=dv, OutputSize=out,
                                  AttentionMask="causal" if causal else "none")
    act = sequence(c, t)
    p = random_params(layer, act)
    mha = keras.layers.MultiHeadAttention(heads, dk // heads, value_dim=dv // heads, output_shape=out)
    x = rng.standard_normal((b, t, c)).astype(np.float32)
    mha(x, x)  # builds the weights

    def kernel(w: np.ndarray) -> np.ndarray:  # (heads·d)×C → C×heads×d
        return w.reshape(heads, -1, c).transpose(2, 0, 1)

    mha.set_weights([kernel(p["QueryWeights"]), p["QueryBias"].reshape(heads, -1),
                     kernel(p["KeyWeights"]), p["KeyBias"].reshape(heads, -1),
                     kernel(p["ValueWeights"]), p["ValueBias"].reshape(heads, -1),
                     p["OutputWeights"].T.reshape(heads, -1, out), p["OutputBias"].ravel()])
    want = np.asarray(keras.ops.convert_to_numpy(mha(x, x, use_causal_mask=causal)))
    got = build(layer, [act], p)(torch.from_numpy(x).transpose(1, 2))
    np.testing.assert_allclose(got.detach().numpy().transpose(0, 2, 1), want, rtol=1e-4, atol=1e-5)
