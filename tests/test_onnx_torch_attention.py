"""ONNX import of PyTorch's nn.MultiheadAttention(batch_first=True) as self-attention (query = key = value),
exported by torch.onnx (TorchScript exporter and dynamo, opsets 17, 18 and 23), as sequenceInputLayer →
selfAttentionLayer: outputs against the torch module and onnxruntime (atol 1e-5), weights against the module's
in_proj/out_proj (MATLAB's QueryWeights etc. are NumKeyChannels×C: torch's rows)."""
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
    def __init__(self, e: int = 8, heads: int = 2, mask: torch.Tensor | None = None) -> None:
        super().__init__()
        self.a = nn.MultiheadAttention(e, heads, batch_first=True)
        self.mask = mask
        torch.manual_seed(1)
        with torch.no_grad():  # non-zero biases (torch initializes them to zero)
            self.a.in_proj_bias.copy_(torch.randn(3 * e))
            self.a.out_proj.bias.copy_(torch.randn(e))

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


def test_weights_are_torch_projections_in_matlab_sizes() -> None:
    m = _SelfAttention(e=6, heads=3).eval()
    _, weights = importONNXNetwork(_export(m, torch.randn(2, 4, 6), 17, dynamo=False))
    found = {k.split("/")[-1]: v for k, v in weights.items()}
    w, b = m.a.in_proj_weight.detach(), m.a.in_proj_bias.detach()
    for i, part in enumerate(("Query", "Key", "Value")):
        torch.testing.assert_close(found[f"{part}Weights"], w[6 * i:6 * (i + 1)], rtol=0, atol=0)
        torch.testing.assert_close(found[f"{part}Bias"].reshape(-1), b[6 * i:6 * (i + 1)], rtol=0, atol=0)
    torch.testing.assert_close(found["OutputWeights"], m.a.out_proj.weight.detach(), rtol=0, atol=0)


def test_masked_attention_is_not_taken_for_self_attention_layer() -> None:
    """An attention mask changes the numbers: the region is not fused, and the import says why."""
    mask = torch.triu(torch.full((5, 5), float("-inf")), 1)
    model = _export(_SelfAttention(mask=mask).eval(), torch.randn(2, 5, 8), 17, dynamo=False)
    with pytest.raises(ONNXImportError, match="do not compute plain multi-head self-attention"):
        importNetworkFromONNX(model)
