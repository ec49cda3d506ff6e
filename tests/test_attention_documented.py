"""MATLAB facts of the attention and position layers read in MathWorks' documentation, pinned: the attention
weights' size in the `attention` function's example, and positionEmbeddingLayer's documented defaults and
PositionDimension. (sinusoidalPositionEncodingLayer's channel order could not be read there: docs/layers.md.)"""
from __future__ import annotations

import pytest
import torch

import layergraph as lg
from layergraph.errors import NetworkError, OptionError
from layergraph.sizes import Act, sequence, signal
from tests.test_attention import build


def test_position_embedding_defaults_and_position_dimension_are_matlabs() -> None:
    """MATLAB's positionEmbeddingLayer page: WeightsInitializer 'narrow-normal' (N(0, 0.01²)) by default;
    PositionDimension 'auto' | 'temporal' | 'spatial' picks the dimension whose indices are embedded."""
    layer = lg.positionEmbeddingLayer(64, 200)
    assert (layer.WeightsInitializer, layer.PositionDimension) == ("narrow-normal", "auto")
    torch.manual_seed(0)
    w = layer.build([sequence(3, 5)]).to_matlab("Weights").double()
    assert tuple(w.shape) == (64, 200) and abs(float(w.mean())) < 1e-3 and 0.0095 < float(w.std()) < 0.0105
    assert lg.positionEmbeddingLayer(4, 9, PositionDimension="spatial").output_size([signal(7, 3)]) == signal(7, 4)
    assert lg.positionEmbeddingLayer(4, 9, PositionDimension="temporal").output_size([sequence(3, 6)]) == \
        sequence(4, 6)
    with pytest.raises(NetworkError, match="PositionDimension 'temporal' needs CT-format data"):
        lg.positionEmbeddingLayer(4, 9, PositionDimension="temporal").output_size([signal(7, 3)])
    with pytest.raises(NetworkError, match="PositionDimension 'spatial' needs SC-format data"):
        lg.positionEmbeddingLayer(4, 9, PositionDimension="spatial").build([sequence(3, 6)])
    with pytest.raises(OptionError, match="PositionDimension"):
        lg.positionEmbeddingLayer(4, 9, PositionDimension="channel")


def test_attention_weights_have_the_size_of_matlabs_attention_example() -> None:
    """MATLAB's attention function page: 64 queries, 80 keys/values, 5 heads, 32 observations give weights of
    size 80×64×5×32 (numKeys × numQueries × numHeads × numObservations), each query's weights summing to 1 over
    the keys. attentionLayer's scores output has that layout (channels scaled down here)."""
    lq, lk, heads, b = 64, 80, 5, 32
    layer = lg.attentionLayer(heads, HasScoresOutput=True)
    acts = [sequence(10, lq), sequence(10, lk), sequence(15, lk)]
    assert layer.output_sizes(acts) == [sequence(15, lq), Act((lk, lq, heads), "UUU")]
    q, k, v = (torch.randn(b, a.channels, a.time) for a in acts)
    y, w = build(layer, acts)(q, k, v)
    weights = w.permute(1, 2, 3, 0)  # torch B×K×Q×heads → MATLAB K×Q×heads×B
    assert tuple(weights.shape) == (80, 64, 5, 32) and tuple(y.shape) == (b, 15, lq)
    torch.testing.assert_close(weights.sum(0), torch.ones(lq, heads, b))
