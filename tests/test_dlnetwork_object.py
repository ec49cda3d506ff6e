"""dlnetwork the R2024a way and as an object (issue 12, item 3), MATLAB's input-size checks, the "CB" output of a
fully connected layer after image input, and errors inside torch located at the failing layer (item 8)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import NetworkError


def test_image_of_the_wrong_size_is_refused_at_the_input_layer() -> None:
    """Before: a 9×9 image passed into imageInputLayer([8 8 1]) ran on (torch accepts any size)."""
    net = lg.dlnetwork([lg.imageInputLayer([8, 8, 1], Name="img"), lg.convolution2dLayer(3, 4, Name="c")])
    with pytest.raises(NetworkError, match=r"input layer 'img' \(imageInputLayer\) expects 8×8×1 .* 9×9×1×2"):
        net.predict(lg.dlarray(torch.zeros(9, 9, 1, 2), "SSCB"))
    assert lg.size(net.predict(lg.dlarray(torch.zeros(8, 8, 1, 2), "SSCB"))) == (6, 6, 4, 2)


def test_fully_connected_after_image_input_gives_cb() -> None:
    """MATLAB's dlnetwork gives "CB" here, so ported code's X(1:K, :) and size(X, 1) work (before: 1×1×C×B)."""
    net = lg.dlnetwork([lg.imageInputLayer([8, 8, 1], Name="img"), lg.fullyConnectedLayer(6, Name="fc")])
    y = net.predict(lg.dlarray(torch.randn(8, 8, 1, 3), "SSCB"))
    assert y.fmt == "CB" and lg.size(y) == (6, 3) and lg.size(y, 1) == 6
    assert lg.analyzeNetwork(net, Plots="none")["layers"][-1]["activations"] == "6"
    assert tuple(y.m[0:2, :].shape) == (3, 2)  # X(1:2, :) on MATLAB-layout indices


def test_empty_network_add_connect_initialize() -> None:
    net = lg.dlnetwork()
    assert not net.Initialized
    net = net.addLayers([lg.featureInputLayer(3, Name="in"), lg.fullyConnectedLayer(2, Name="fc"),
                         lg.additionLayer(2, Name="add")])
    net = net.addLayers(lg.fullyConnectedLayer(2, Name="skip"))
    net = net.connectLayers("in", "skip").connectLayers("skip", "add/in2")
    assert not net.Initialized
    with pytest.raises(NetworkError, match="not initialized; call net = initialize"):
        net.predict(lg.dlarray(torch.zeros(3, 1), "CB"))
    net = lg.initialize(net)
    assert net.Initialized and net.getLearnable("fc", "Weights").shape == (2, 3)
    x = torch.randn(3, 4)
    y = lg.extractdata(net.predict(lg.dlarray(x, "CB")))
    w1, b1 = net.getLearnable("fc", "Weights"), net.getLearnable("fc", "Bias")
    w2, b2 = net.getLearnable("skip", "Weights"), net.getLearnable("skip", "Bias")
    np.testing.assert_allclose(y.numpy(), w1 @ x.numpy() + b1 + w2 @ x.numpy() + b2, rtol=1e-5, atol=1e-5)


def test_initialize_false_then_initialize() -> None:
    net = lg.dlnetwork([lg.featureInputLayer(3, Name="in"), lg.fullyConnectedLayer(2, Name="fc")], Initialize=False)
    assert not net.Initialized
    net = lg.initialize(net)
    assert net.Initialized and lg.size(net.predict(lg.dlarray(torch.zeros(3, 5), "CB"))) == (2, 5)


def test_network_without_input_layer_sized_by_example_data() -> None:
    """fno-1d: dlnetwork(lg, dlarray(ones([h 2 1]), 'SCB')) with no input layer."""
    lgraph = lg.layerGraph([lg.convolution1dLayer(3, 4, Padding="same", Name="c"), lg.reluLayer(Name="r")])
    net = lg.dlnetwork(lgraph, lg.dlarray(torch.ones(16, 2, 1), "SCB"))
    assert net.InputNames == ["c"] and str(net.analysis.outputs["r"]) == "16×4"
    y = net.predict(lg.dlarray(torch.randn(16, 2, 5), "SCB"))
    assert y.fmt == "SCB" and lg.size(y) == (16, 4, 5)


def test_graph_methods_return_new_graphs() -> None:
    g1 = lg.layerGraph([lg.imageInputLayer([4, 4, 1], Name="a"), lg.additionLayer(2, Name="add")])
    g2 = g1.addLayers(lg.imageInputLayer([4, 4, 1], Name="b")).connectLayers("b", "add/in2")
    assert len(g1.Connections) == 1 and len(g2.Connections) == 2 and "b" not in g1.graph
    y, state = lg.dlnetwork(g2).forward(lg.dlarray(torch.ones(4, 4, 1, 1), "SSCB"),
                                        lg.dlarray(torch.ones(4, 4, 1, 1), "SSCB"))
    assert lg.size(y) == (4, 4) and len(state) == 0  # (Y, state): nargout 2 of a one-output network


def test_error_inside_torch_names_the_layer_and_sizes() -> None:
    @lg.register_function("test_bad_reshape", output_size=lambda ins: ins[0])
    def bad(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], 7, -1)

    net = lg.dlnetwork([lg.featureInputLayer(4, Name="in"), lg.functionLayer("test_bad_reshape", Name="oops")])
    with pytest.raises(NetworkError, match=r"layer 'oops' \(functionLayer.*input 'in' 4×3 \(CB\)"):
        net.predict(lg.dlarray(torch.zeros(4, 3), "CB"))


def test_initialize_keeps_learnables_that_are_set() -> None:
    net = lg.dlnetwork([lg.featureInputLayer(3, Name="in"), lg.fullyConnectedLayer(2, Name="fc")])
    net.setLearnable("fc", "Weights", np.ones((2, 3)))
    grown = net.addLayers(lg.fullyConnectedLayer(4, Name="fc2")).connectLayers("fc", "fc2")
    assert not grown.Initialized and net.OutputNames == ["fc"]
    grown = lg.initialize(grown)
    np.testing.assert_array_equal(grown.getLearnable("fc", "Weights"), np.ones((2, 3)))
    assert grown.OutputNames == ["fc2"] and grown.getLearnable("fc2", "Weights").shape == (4, 2)
