"""ONNX export of the attention and position layers, run in onnxruntime against layergraph's own predict
(tolerances as tests/test_onnx.py: rtol 1e-4, atol 1e-5), at several sequence lengths (T stays dynamic); and
ONNX's Attention operator (opset 23) imported back as selfAttentionLayer (the imported network against the
original with the same weights: atol 1e-5)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.compile.dlnetwork import dlnetwork

ort = pytest.importorskip("onnxruntime")

from layergraph.interop import ONNXImportError, importNetworkFromONNX  # noqa: E402
from layergraph.interop.onnx_export import ONNXExportError, onnx_model  # noqa: E402
from tests.test_onnx import ATOL, RTOL, predict, randomized, run_ort  # noqa: E402


def network(layers: list, connections: tuple[tuple[str, str], ...] = (), extra: tuple = ()) -> dlnetwork:
    g = lg.layerGraph(layers)
    for layer in extra:
        g = lg.addLayers(g, layer)
    for s, d in connections:
        g = lg.connectLayers(g, s, d)
    torch.manual_seed(0)
    return randomized(lg.dlnetwork(g))


def check(net: dlnetwork, xs: list[torch.Tensor], opset: int = 17) -> None:
    model = onnx_model(net, OpsetVersion=opset)
    got = run_ort(model, list(net.InputNames), xs)
    for a, b in zip(got, predict(net, xs)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("opset", [17, 23])  # 23: ONNX's Attention operator
def test_transformer_encoder_exports_at_any_length(opset: int) -> None:
    layers = [lg.sequenceInputLayer(6, Name="in"), lg.fullyConnectedLayer(8, Name="embed"),
              lg.additionLayer(2, Name="addpos"), lg.selfAttentionLayer(2, 8, AttentionMask="causal", Name="sa"),
              lg.layerNormalizationLayer(Name="ln"), lg.indexing1dLayer("last", Name="last"),
              lg.fullyConnectedLayer(3, Name="head")]
    net = network(layers, (("embed", "pos"), ("pos", "addpos/in2")),
                  (lg.sinusoidalPositionEncodingLayer(8, Name="pos"),))
    for t in (7, 3):
        check(net, [torch.randn(2, 6, t)], opset)


def test_self_attention_on_images_and_learned_positions() -> None:
    net = network([lg.imageInputLayer([4, 3, 6], Normalization="none"),
                   lg.selfAttentionLayer(2, 4, NumValueChannels=6, OutputSize=5)])
    check(net, [torch.randn(3, 6, 4, 3)])
    check(net, [torch.randn(3, 6, 4, 3)], 23)
    net = network([lg.sequenceInputLayer(3, Name="in"), lg.positionEmbeddingLayer(4, 10, Name="pe"),
                   lg.additionLayer(2, Name="add")], (("in", "fc"), ("fc", "add/in2")),
                  (lg.fullyConnectedLayer(4, Name="fc"),))
    for t in (5, 10):
        check(net, [torch.randn(2, 3, t)], opset=13)


@pytest.mark.parametrize("opset", [17, 23])
def test_padding_mask_and_attention_layer_export(opset: int) -> None:
    sa = lg.selfAttentionLayer(2, 4, HasPaddingMaskInput=True, Name="sa")
    net = network([lg.sequenceInputLayer(4, Name="x"), sa], (("mask", "sa/mask"),),
                  (lg.sequenceInputLayer(1, Name="mask"),))
    mask = torch.ones(2, 1, 6)
    mask[1, :, 3:] = 0
    check(net, [torch.randn(2, 4, 6), mask], opset)
    att = lg.attentionLayer(2, Scale=0.3, AttentionMask=np.tril(np.ones((5, 4))).astype(bool), Name="att")
    net = network([lg.sequenceInputLayer(4, MinLength=4, Name="q"), att],  # the mask fixes the lengths
                  (("kv", "att/key"), ("v", "att/value")),
                  (lg.sequenceInputLayer(4, MinLength=5, Name="kv"), lg.sequenceInputLayer(6, MinLength=5, Name="v")))
    check(net, [torch.randn(2, 4, 4), torch.randn(2, 4, 5), torch.randn(2, 6, 5)], opset)


def test_noise_step_encoding_of_the_diffusion_example() -> None:
    """featureInputLayer(1) → sinusoidalPositionEncodingLayer (data values) → fullyConnectedLayer, as MathWorks'
    diffusion network embeds the noise step."""
    net = network([lg.featureInputLayer(1), lg.sinusoidalPositionEncodingLayer(16), lg.fullyConnectedLayer(8)])
    check(net, [torch.tensor([[1.0], [37.0], [500.0]])], opset=13)


def test_what_has_no_onnx_form_is_a_one_line_error() -> None:
    net = network([lg.sequenceInputLayer(4), lg.selfAttentionLayer(1, 4, HasScoresOutput=True, Name="sa")])
    with pytest.raises(ONNXExportError, match="'sa': selfAttentionLayer with HasScoresOutput has no ONNX form"):
        onnx_model(net)
    net = network([lg.sequenceInputLayer(4), lg.selfAttentionLayer(1, 4, AttentionMask="causal", Name="sa")])
    with pytest.raises(ONNXExportError, match="causal AttentionMask needs OpsetVersion 14"):
        onnx_model(net, OpsetVersion=13)
    net = network([lg.sequenceInputLayer(4), lg.layerNormalizationLayer(OperationDimension="batch-excluded")])
    with pytest.raises(ONNXExportError, match="'batch-excluded' on sequences has no ONNX form"):
        onnx_model(net, OpsetVersion=17)


ATTENTION_CASES = {  # the network, an input (N = 3)
    "sequence-causal": (lambda: [lg.sequenceInputLayer(6, Name="x"),
                                 lg.selfAttentionLayer(2, 8, NumValueChannels=4, OutputSize=5, AttentionMask="causal",
                                                       Name="sa")], (3, 6, 7)),
    "sequence-custom-mask": (lambda: [lg.sequenceInputLayer(4, MinLength=5, Name="x"),
                                      lg.selfAttentionLayer(1, 4, AttentionMask=np.triu(np.ones((5, 5))).astype(bool),
                                                            Name="sa")], (3, 4, 5)),
    "image-positions": (lambda: [lg.imageInputLayer([4, 3, 6], Normalization="none", Name="x"),
                                 lg.selfAttentionLayer(2, 4, NumValueChannels=6, OutputSize=5, Name="sa")],
                        (3, 6, 4, 3)),
}


@pytest.mark.parametrize("case", list(ATTENTION_CASES))
def test_attention_operator_imports_back_as_self_attention(case: str) -> None:
    """Export at opset 23 (one Attention node), run in onnxruntime, import: selfAttentionLayer with the same
    options, and the same outputs as the original layer with the same weights."""
    layers, shape = ATTENTION_CASES[case]
    net = network(layers())
    x = torch.randn(*shape)
    model = onnx_model(net, OpsetVersion=23)
    assert [n.op_type for n in model.graph.node].count("Attention") == 1
    want = predict(net, [x])[0]
    np.testing.assert_allclose(run_ort(model, ["x"], [x])[0], want, rtol=RTOL, atol=ATOL)
    back = importNetworkFromONNX(model)
    original, layer = net.layer_graph.layer("sa"), back.layer_graph.layer("sa")
    assert type(layer) is type(original)
    assert layer.model_dump(exclude={"Name"}) == original.model_dump(exclude={"Name"})
    np.testing.assert_allclose(predict(back, [x])[0], want, rtol=0, atol=1e-5)


@pytest.mark.parametrize("opset", [14, 17])
@pytest.mark.parametrize("case", ["sequence-causal", "image-positions"])
def test_attention_pattern_before_opset_23_imports_back_as_self_attention(case: str, opset: int) -> None:
    """Before opset 23 the export is MatMul/Softmax/MatMul between the projections (Trilu/Where for the causal
    mask): it comes back as the same selfAttentionLayer, its middle checked numerically, the same outputs."""
    layers, shape = ATTENTION_CASES[case]
    net = network(layers())
    x = torch.randn(*shape)
    model = onnx_model(net, OpsetVersion=opset)
    assert "Attention" not in [n.op_type for n in model.graph.node]
    want = predict(net, [x])[0]
    np.testing.assert_allclose(run_ort(model, ["x"], [x])[0], want, rtol=RTOL, atol=ATOL)
    back = importNetworkFromONNX(model)
    original, layer = net.layer_graph.layer("sa"), back.layer_graph.layer("sa")
    assert layer.model_dump(exclude={"Name"}) == original.model_dump(exclude={"Name"})
    np.testing.assert_allclose(predict(back, [x])[0], want, rtol=0, atol=1e-5)


def test_attention_pattern_with_a_custom_mask_before_opset_23_is_refused() -> None:
    """A mask that is neither none nor causal (only the opset-23 Attention node carries one back)."""
    mask = np.eye(5, dtype=bool) | (np.arange(5)[:, None] == 4)  # each query its own key and the last key
    layers = [lg.sequenceInputLayer(4, MinLength=5, Name="x"), lg.selfAttentionLayer(1, 4, AttentionMask=mask)]
    with pytest.raises(ONNXImportError, match="do not compute plain multi-head self-attention"):
        importNetworkFromONNX(onnx_model(network(layers), OpsetVersion=17))


def test_attention_outside_the_self_attention_pattern_is_a_one_line_error() -> None:
    att = lg.attentionLayer(2, Name="att")  # query, key and value from three inputs: no projections
    net = network([lg.sequenceInputLayer(4, Name="q"), att], (("kv", "att/key"), ("v", "att/value")),
                  (lg.sequenceInputLayer(4, Name="kv"), lg.sequenceInputLayer(6, Name="v")))
    with pytest.raises(ONNXImportError, match=r"\(Attention\): an Attention node imports only as selfAttention"):
        importNetworkFromONNX(onnx_model(net, OpsetVersion=23))
    sa = lg.selfAttentionLayer(2, 4, HasPaddingMaskInput=True, Name="sa")  # a mask computed from an input
    net = network([lg.sequenceInputLayer(4, Name="x"), sa], (("mask", "sa/mask"),),
                  (lg.sequenceInputLayer(1, Name="mask"),))
    with pytest.raises(ONNXImportError, match=r"node 'sa/padding' \(Equal\): no layergraph layer"):
        importNetworkFromONNX(onnx_model(net, OpsetVersion=23))
