"""ONNX import of PyTorch's nn.MultiheadAttention(batch_first=True) as self-attention (query = key = value),
exported by torch.onnx (TorchScript exporter and dynamo, opsets 17, 18 and 23), as sequenceInputLayer →
selfAttentionLayer: outputs against the torch module and onnxruntime (atol 1e-5), a causal mask as AttentionMask
'causal', weights against the module's in_proj/out_proj (MATLAB's QueryWeights etc. are NumKeyChannels×C: torch's
rows); transformer blocks around it on the N×L×E sequence."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import torch
from torch import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import layergraph as lg  # noqa: E402
from layergraph.interop import ONNXImportError, importNetworkFromONNX, importONNXNetwork  # noqa: E402

ATOL = 1e-5


class _SelfAttention(nn.Module):
    def __init__(self, e: int = 8, heads: int = 2, mask: torch.Tensor | None = None, bias: bool = True) -> None:
        super().__init__()
        self.a = nn.MultiheadAttention(e, heads, batch_first=True, bias=bias)
        self.mask = mask
        torch.manual_seed(1)
        with torch.no_grad():  # non-zero biases (torch initializes them to zero)
            for b in (self.a.in_proj_bias, self.a.out_proj.bias):
                if b is not None:
                    b.copy_(torch.randn(b.shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a(x, x, x, need_weights=False, attn_mask=self.mask)[0]


def _export(m: nn.Module, x: torch.Tensor, opset: int, dynamo: bool) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            pytest.importorskip("onnxscript")
            return torch.onnx.export(m, (x,), input_names=["x"], output_names=["y"], dynamo=True,
                                     opset_version=opset, verbose=False).model_proto
        f = io.BytesIO()
        torch.onnx.export(m, (x,), f, input_names=["x"], output_names=["y"], dynamo=False, opset_version=opset,
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
        return onnx.load_from_string(f.getvalue())


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize("opset", [17, 18, 23])
def test_torch_multihead_self_attention_imports_as_self_attention_layer(opset: int, dynamo: bool) -> None:
    m = _SelfAttention().eval()
    torch.manual_seed(0)
    model = _export(m, torch.randn(2, 5, 8), opset, dynamo)
    x = torch.randn(2 if dynamo else 3, 5, 8)  # the TorchScript file takes other batch sizes
    net = importNetworkFromONNX(model)
    assert [layer.type for layer in net.Layers] == ["sequenceInputLayer", "selfAttentionLayer"]
    att = net.Layers[1]
    assert att.NumHeads == 2 and att.NumKeyChannels == 8
    got = lg.extractdata(lg.predict(net, lg.dlarray(x.permute(2, 0, 1), "CBT"))).numpy().transpose(1, 2, 0)
    with torch.no_grad():
        want = m(x).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(got, sess.run(None, {"x": x.numpy()})[0], rtol=0, atol=ATOL)


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_attention_without_biases(dynamo: bool) -> None:
    """bias=False: no Add after the packed projection, and out_proj as MatMul (TorchScript) or Gemm without C."""
    m = _SelfAttention(e=12, heads=3, bias=False).eval()
    model = _export(m, torch.randn(2, 6, 12), 18, dynamo)
    _check_block(m, model, torch.randn(2, 6, 12), ["sequenceInputLayer", "selfAttentionLayer"])


def test_weights_are_torch_projections_in_matlab_sizes() -> None:
    m = _SelfAttention(e=6, heads=3).eval()
    _, weights = importONNXNetwork(_export(m, torch.randn(2, 4, 6), 17, dynamo=False))
    found = {k.split("/")[-1]: v for k, v in weights.items()}
    w, b = m.a.in_proj_weight.detach(), m.a.in_proj_bias.detach()
    for i, part in enumerate(("Query", "Key", "Value")):
        torch.testing.assert_close(found[f"{part}Weights"], w[6 * i:6 * (i + 1)], rtol=0, atol=0)
        torch.testing.assert_close(found[f"{part}Bias"].reshape(-1), b[6 * i:6 * (i + 1)], rtol=0, atol=0)
    torch.testing.assert_close(found["OutputWeights"], m.a.out_proj.weight.detach(), rtol=0, atol=0)


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_causal_mask_imports_as_attention_mask_causal(dynamo: bool) -> None:
    m = _SelfAttention(mask=torch.triu(torch.full((5, 5), float("-inf")), 1)).eval()
    model = _export(m, torch.randn(2, 5, 8), 18, dynamo)
    net = importNetworkFromONNX(model)
    assert net.Layers[1].AttentionMask == "causal"
    x = torch.randn(2, 5, 8)
    got = lg.extractdata(lg.predict(net, lg.dlarray(x.permute(2, 0, 1), "CBT"))).numpy().transpose(1, 2, 0)
    with torch.no_grad():
        np.testing.assert_allclose(got, m(x).numpy(), rtol=0, atol=ATOL)


def test_other_masks_are_not_taken_for_self_attention_layer() -> None:
    """A mask that is neither none nor causal changes the numbers: not fused, and the import says why."""
    mask = torch.randn(5, 5)
    model = _export(_SelfAttention(mask=mask).eval(), torch.randn(2, 5, 8), 17, dynamo=False)
    with pytest.raises(ONNXImportError, match="do not compute plain multi-head self-attention"):
        importNetworkFromONNX(model)


class _Block(nn.Module):
    """A post-norm transformer encoder block written out: self-attention, residual, LayerNorm, feed-forward
    (Linear, GELU, Linear), residual, LayerNorm; every parameter random."""

    def __init__(self, e: int = 8, heads: int = 2, hidden: int = 12) -> None:
        super().__init__()
        self.att = _SelfAttention(e, heads)
        self.norm1, self.norm2 = nn.LayerNorm(e), nn.LayerNorm(e)
        self.ff = nn.Sequential(nn.Linear(e, hidden), nn.GELU(), nn.Linear(hidden, e))
        torch.manual_seed(2)
        with torch.no_grad():
            for p in [*self.norm1.parameters(), *self.norm2.parameters()]:
                p.copy_(torch.randn(p.shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.att(x))
        return self.norm2(x + self.ff(x))


def _check_block(m: nn.Module, model: object, x: torch.Tensor, types: list[str]) -> None:
    net = importNetworkFromONNX(model)
    assert [layer.type for layer in net.Layers] == types
    got = lg.extractdata(lg.predict(net, lg.dlarray(x.permute(2, 0, 1), "CBT"))).numpy().transpose(1, 2, 0)
    with torch.no_grad():
        np.testing.assert_allclose(got, m(x).numpy(), rtol=0, atol=ATOL)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(got, sess.run(None, {"x": x.numpy()})[0], rtol=0, atol=ATOL)


BLOCK = ["sequenceInputLayer", "selfAttentionLayer", "additionLayer", "layerNormalizationLayer",
         "fullyConnectedLayer", "geluLayer", "fullyConnectedLayer", "additionLayer", "layerNormalizationLayer"]


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_transformer_block_on_sequences(dynamo: bool) -> None:
    """Residual additions, LayerNorm over the channels and Linear layers on the N×L×E sequence around the
    attention: additionLayer, layerNormalizationLayer ('auto': channel-only on "CBT"), fullyConnectedLayer."""
    m = _Block().eval()
    model = _export(m, torch.randn(2, 5, 8), 17, dynamo)
    _check_block(m, model, torch.randn(2 if dynamo else 3, 5, 8), BLOCK)


def test_torch_transformer_encoder_layer() -> None:
    """nn.TransformerEncoderLayer(batch_first=True) by the dynamo exporter (the TorchScript exporter of this torch
    fails on it), random weights."""
    torch.manual_seed(3)
    m = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape) * 0.5)
    model = _export(m, torch.randn(2, 5, 8), 18, dynamo=True)
    types = [t if t != "geluLayer" else "reluLayer" for t in BLOCK]
    _check_block(m, model, torch.randn(2, 5, 8), types)


class _Tagger(nn.Module):
    """Linear embedding of N×L×6 features, ReLU, the attention block, a Linear head, softmax over the classes: the
    input reaches the attention through layers on the last axis."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(4)
        self.embed, self.block, self.head = nn.Linear(6, 8), _Block(), nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.head(self.block(torch.relu(self.embed(x)))), -1)


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_attention_after_an_embedding_layer(dynamo: bool) -> None:
    m = _Tagger().eval()
    model = _export(m, torch.randn(2, 5, 6), 17, dynamo)
    types = ["sequenceInputLayer", "fullyConnectedLayer", "reluLayer", *BLOCK[1:], "fullyConnectedLayer",
             "softmaxLayer"]
    _check_block(m, model, torch.randn(2 if dynamo else 3, 5, 6), types)


class _Positions(nn.Module):
    """Learned positions sliced to the input's length (`pos[:, :L]`), added before the attention."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(5)
        self.pos, self.att = nn.Parameter(torch.randn(1, 16, 8)), _SelfAttention()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.att(nn.functional.linear(x, torch.eye(8)) + self.pos[:, :x.size(1)])


def test_learned_positions_of_a_static_export_as_position_embedding_layer() -> None:
    """dynamo fixes the length: pos[:, :5] is a constant 5×8 added to the sequence → positionEmbeddingLayer."""
    m = _Positions().eval()
    model = _export(m, torch.randn(2, 5, 8), 18, dynamo=True)
    types = ["sequenceInputLayer", "fullyConnectedLayer", "positionEmbeddingLayer", "additionLayer",
             "selfAttentionLayer"]
    net = importNetworkFromONNX(model)
    assert sorted(layer.type for layer in net.Layers) == sorted(types)
    _check_block(m, model, torch.randn(2, 5, 8), [layer.type for layer in net.Layers])


def test_constant_computed_from_the_sequence_length_is_refused() -> None:
    """Folding counts a sequence's length as 1: a constant sliced by it must not be taken for a bias."""
    model = _export(_Positions().eval(), torch.randn(2, 5, 8), 17, dynamo=False)
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "L"
    with pytest.raises(ONNXImportError, match="computed from the length of a sequence"):
        importNetworkFromONNX(model)


class _TwoBlocks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = _Block()
        torch.manual_seed(9)
        self.b = _Block()
        with torch.no_grad():
            for p in self.b.parameters():
                p.add_(torch.randn(p.shape) * 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x))


def test_stacked_blocks_each_their_own_attention() -> None:
    """Two blocks: each Softmax takes the nearest projections (not the other layer's), and the Constant nodes the
    TorchScript exporter shares between the layers stay outside the fused regions."""
    m = _TwoBlocks().eval()
    model = _export(m, torch.randn(2, 5, 8), 17, dynamo=False)
    _check_block(m, model, torch.randn(3, 5, 8), BLOCK + BLOCK[1:])


def test_torch_transformer_encoder_of_two_layers() -> None:
    torch.manual_seed(6)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    m = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape) * 0.5)
    model = _export(m, torch.randn(2, 5, 8), 18, dynamo=True)
    block = [t if t != "geluLayer" else "reluLayer" for t in BLOCK]
    _check_block(m, model, torch.randn(2, 5, 8), block + block[1:])
