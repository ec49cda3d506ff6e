"""Custom layers (MATLAB's `classdef … < nnet.layer.Layer`) and functionLayer with Python callables, ported line
by line from real programs (eeg-vae-1d's samplingLayer with three outputs, its Formattable
projectAndReshapeLayer with lazy learnables), through analyze, forward, dlgradient, adamupdate, a checkpoint round
trip, specs and learn-rate factors."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph import CustomLayer, register_layer
from layergraph.errors import NetworkError, SpecError
from layergraph.train.checkpoint import load_checkpoint, save_checkpoint


# ----- the ported layers ----------------------------------------------------------------------------------------------
class samplingLayer(CustomLayer):  # noqa: N801 - MATLAB class name
    """eeg-vae-1d's samplingLayer: [Z, mu, logSigmaSq] = predict(~, X) on unformatted 2K×B data."""

    def __init__(self, Name: str = "") -> None:
        super().__init__(Name=Name)
        self.Type = "Sampling"
        self.Description = "Mean and log-variance sampling"
        self.OutputNames = ["out", "mean", "log-variance"]

    def predict(self, X: Any) -> tuple[Any, Any, Any]:
        numLatentChannels = lg.size(X, 1) // 2
        miniBatchSize = lg.size(X, 2)
        mu = X[:numLatentChannels, :]                       # X(1:K, :)
        mu = torch.clamp(mu, -1, 1)                         # max(min(mu, 1), -1)
        logSigmaSq = torch.clamp(X[numLatentChannels:, :], max=2)
        epsilon = torch.randn(numLatentChannels, miniBatchSize)
        sigma = torch.exp(0.5 * logSigmaSq)
        Z = epsilon * sigma + mu
        return Z, mu, logSigmaSq


@register_layer
class projectAndReshapeLayerX(CustomLayer):  # noqa: N801 - MATLAB class name
    """eeg-vae-1d's Formattable projectAndReshapeLayer: learnables filled in initialize(layer, layout)."""

    Learnable = ("Weights", "Bias")
    Formattable = True

    def __init__(self, outputSize: list[int], Name: str = "") -> None:
        super().__init__(Name=Name)
        self.Description = "Project and reshape to size " + " ".join(map(str, outputSize))
        self.Type = "Project and Reshape"
        self.OutputSize = list(outputSize)

    def initialize(self, layout: Any) -> CustomLayer:
        outputSize = self.OutputSize
        if lg.isempty(self.Weights):
            idx = lg.finddim(layout, "C")
            numChannels = layout.Size[idx[0] - 1]
            sz = [int(np.prod(outputSize)), numChannels]
            self.Weights = np.random.randn(*sz) * np.sqrt(2 / (sz[0] + sz[1]))
        if lg.isempty(self.Bias):
            self.Bias = np.zeros((int(np.prod(outputSize)), 1))
        return self

    def predict(self, X: Any) -> Any:
        X = lg.fullyconnect(X, self.Weights, self.Bias)
        h, w, c = self.OutputSize
        Z = lg.reshape(lg.stripdims(X), h, w, c, [])
        return lg.dlarray(Z, "SSCB")


def vae_net() -> lg.dlnetwork:
    lgraph = lg.layerGraph([lg.featureInputLayer(6, Name="in"), lg.fullyConnectedLayer(8, Name="enc"),
                            samplingLayer(Name="sampling"), projectAndReshapeLayerX([2, 2, 3], Name="proj")])
    return lg.dlnetwork(lgraph)


# ----- tests --------------------------------------------------------------------------------------------------
def test_custom_layer_with_three_outputs_analyzes_without_touching_state() -> None:
    state = torch.random.get_rng_state()
    net = vae_net()
    sampling = net.layer_graph.layer("sampling")
    assert sampling.OutputNames == ["out", "mean", "log-variance"] and sampling.NumOutputs == 3
    assert net.analysis.ports["sampling"] == [lg.sizes.features(4)] * 3
    rows = {r["name"]: r for r in lg.analyzeNetwork(net, Plots="none")["layers"]}
    assert rows["sampling"]["activations"] == "out 4\nmean 4\nlog-variance 4"
    assert rows["sampling"]["type"] == "Sampling"
    assert rows["proj"]["activations"] == "2×2×3"
    assert rows["proj"]["learnables"] == {"Weights": "12×4", "Bias": "12×1"}
    # unconnected outputs in layer order, as MATLAB lists them
    assert net.OutputNames == ["sampling/mean", "sampling/log-variance", "proj"]
    lg.analyzeNetwork(net, Plots="none")
    np_state = np.random.get_state()[1].copy()
    lg.analyzeNetwork(lg.layerGraph([lg.featureInputLayer(6), samplingLayer()]), Plots="none")
    assert np.array_equal(np.random.get_state()[1], np_state)  # probing restored numpy's generator
    assert state.numel() > 0


def test_forward_outputs_ports_and_predict_tuple() -> None:
    net = vae_net()
    X = lg.dlarray(torch.randn(6, 5), "CB")
    mu, _logvar, Y = net.predict(X)  # several outputs → a tuple, in OutputNames order
    assert Y.fmt == "SSCB" and tuple(lg.size(Y)) == (2, 2, 3, 5)
    assert mu.fmt == "CB" and tuple(lg.size(mu)) == (4, 5)
    mu2 = net.predict(X, Outputs="sampling/mean")
    torch.testing.assert_close(lg.extractdata(mu2), lg.extractdata(mu))
    with pytest.raises(NetworkError, match="sampling/out"):
        net.predict(X, Outputs="sampling")
    z, enc, _state = net.forward(X, Outputs=["sampling/out", "enc"])
    assert tuple(lg.size(z)) == (4, 5) and tuple(lg.size(enc)) == (8, 5)


def test_custom_layer_trains_with_dlgradient_and_adamupdate_and_checkpoints(tmp_path) -> None:
    torch.manual_seed(1)
    net = vae_net()
    X = lg.dlarray(torch.randn(6, 5), "CB")
    T = lg.dlarray(torch.randn(2, 2, 3, 5), "SSCB")

    def loss_fn(net: lg.dlnetwork, X: Any, T: Any) -> tuple[Any, Any]:
        mu, logvar, Y, _state = net.forward(X)
        kl = -0.5 * lg.sum(1 + logvar - mu**2 - lg.exp(logvar), "all")
        loss = lg.mse(Y, T) + 0.01 * kl
        return loss, lg.dlgradient(loss, net.Learnables)

    before = net.getLearnable("proj", "Weights").copy()
    _, grads = lg.dlfeval(loss_fn, net, X, T)
    assert set(zip(grads.Layer, grads.Parameter)) >= {("proj", "Weights"), ("proj", "Bias"), ("enc", "Weights")}
    avg, avg_sq = [], []
    for it in range(1, 4):
        _, grads = lg.dlfeval(loss_fn, net, X, T)
        net, avg, avg_sq = lg.adamupdate(net, grads, avg, avg_sq, it, 0.01)
    assert not np.allclose(net.getLearnable("proj", "Weights"), before)

    save_checkpoint(tmp_path / "vae.safetensors", net.tensors())
    fresh = vae_net()
    tensors, _ = load_checkpoint(tmp_path / "vae.safetensors")
    fresh.load_tensors(tensors)
    torch.manual_seed(5)
    a = net.predict(X, Outputs="sampling/mean")
    b = fresh.predict(X, Outputs="sampling/mean")
    torch.testing.assert_close(lg.extractdata(a), lg.extractdata(b))
    np.testing.assert_allclose(fresh.getLearnable("proj", "Weights"), net.getLearnable("proj", "Weights"))


def test_lambda_function_layer_runs_analyzes_and_trains() -> None:
    """MATLAB's functionLayer(@(X) X.^2 + 1) is functionLayer(lambda X: X**2 + 1); several outputs too."""
    layers = [lg.featureInputLayer(3, Name="in"), lg.fullyConnectedLayer(4, Name="fc"),
              lg.functionLayer(lambda X: X**2 + 1, Name="sq"),
              lg.functionLayer(lambda X: (X[:2, :], X[2:, :]), NumOutputs=2, OutputNames=["top", "bottom"],
                               Name="split")]
    net = lg.dlnetwork(layers)
    assert net.OutputNames == ["split/top", "split/bottom"]
    assert net.analysis.ports["split"] == [lg.sizes.features(2)] * 2
    X = torch.randn(3, 7)
    top, bottom = net.predict(lg.dlarray(X, "CB"))
    fc = lg.extractdata(net.predict(lg.dlarray(X, "CB"), Outputs="fc"))
    torch.testing.assert_close(lg.extractdata(top), fc[:2] ** 2 + 1)
    torch.testing.assert_close(lg.extractdata(bottom), fc[2:] ** 2 + 1)

    def loss_fn(net: lg.dlnetwork, X: Any) -> tuple[Any, Any]:
        top, bottom, _ = net.forward(X)
        loss = lg.sum(top, "all") + lg.sum(bottom, "all")
        return loss, lg.dlgradient(loss, net.Learnables)

    _, grads = lg.dlfeval(loss_fn, net, lg.dlarray(X, "CB"))
    net, _avg, _avg_sq = lg.adamupdate(net, grads, [], [], 1)
    with pytest.raises(SpecError, match="register_function"):
        lg.dump_spec(net)


def test_formattable_function_layer_changes_format() -> None:
    net = lg.dlnetwork([lg.featureInputLayer(12, Name="in"),
                        lg.functionLayer(lambda X: lg.dlarray(lg.reshape(lg.stripdims(X), 2, 2, 3, []), "SSCB"),
                                         Formattable=True, Name="toimg"),
                        lg.convolution2dLayer(1, 2, Name="conv")])
    assert net.analysis.outputs["toimg"] == lg.sizes.image(2, 2, 3)
    y = net.predict(lg.dlarray(torch.randn(12, 4), "CB"))
    assert y.fmt == "SSCB"


def test_custom_layer_errors_name_the_layer() -> None:
    class badLayer(CustomLayer):  # noqa: N801
        def predict(self, X: Any) -> Any:
            return X[:, :, :, :, 1]  # too many indices for CB data

    with pytest.raises(NetworkError, match="custom layer badLayer fails on input of size 4"):
        lg.dlnetwork([lg.featureInputLayer(4), badLayer(Name="bad")])


def test_specs_need_registered_custom_layers() -> None:
    lgraph = lg.layerGraph([lg.featureInputLayer(4, Name="in"), projectAndReshapeLayerX([1, 2, 2], Name="proj")])
    text = lg.dump_spec(lgraph)
    assert "type: projectAndReshapeLayerX" in text
    back = lg.spec.graph_from_data(__import__("yaml").safe_load(text))
    assert back.layer("proj").OutputSize == [1, 2, 2]
    with pytest.raises(SpecError, match="samplingLayer is not registered"):
        lg.dump_spec(lg.layerGraph([lg.featureInputLayer(4), samplingLayer()]))


def test_learn_rate_factors_scale_the_step_and_zero_freezes() -> None:
    net = lg.dlnetwork([lg.featureInputLayer(3, Name="in"),
                        lg.fullyConnectedLayer(2, Name="fc", WeightLearnRateFactor=0, BiasLearnRateFactor=2)])
    assert net.getLearnRateFactor("fc", "Weights") == 0 and net.getLearnRateFactor("fc", "Bias") == 2
    W, b = net.getLearnable("fc", "Weights").copy(), net.getLearnable("fc", "Bias").copy()
    grads = net.Learnables
    grads.Value = [torch.ones_like(lg.extractdata(v)) for v in grads.Value]
    net, _vel = lg.sgdmupdate(net, grads, [], 0.1, 0.0)
    np.testing.assert_allclose(net.getLearnable("fc", "Weights"), W)
    np.testing.assert_allclose(net.getLearnable("fc", "Bias"), b - 0.2, rtol=1e-6)
    net = net.setLearnRateFactor("fc", "Weights", 1.0)
    net, _vel = lg.sgdmupdate(net, grads, [], 0.1, 0.0)
    np.testing.assert_allclose(net.getLearnable("fc", "Weights"), W - 0.1, rtol=1e-6)


def test_callable_weights_initializer_gets_matlab_size_vector() -> None:
    seen = []

    def init(sz: list[int]) -> np.ndarray:
        seen.append(list(sz))
        return 0.02 * np.ones(sz)

    net = lg.dlnetwork([lg.imageInputLayer([8, 8, 3], Name="in"),
                        lg.convolution2dLayer(4, 5, WeightsInitializer=init, Name="conv")])
    assert seen == [[4, 4, 3, 5]]
    np.testing.assert_allclose(net.getLearnable("conv", "Weights"), 0.02 * np.ones((4, 4, 3, 5)))
    with pytest.raises(SpecError, match=r"WeightsInitializer.*Python function"):
        lg.dump_spec(net)


@register_layer
class splitHalvesLayer(CustomLayer):  # noqa: N801 - MATLAB class name
    """Two outputs: the first and second half of the channels."""

    def __init__(self, Name: str = "") -> None:
        super().__init__(Name=Name)
        self.OutputNames = ["first", "second"]

    def predict(self, X: Any) -> tuple[Any, Any]:
        k = lg.size(X, 1) // 2
        return X[:k, :], X[k:, :]


def test_page_and_spec_show_output_ports(tmp_path) -> None:
    lgraph = lg.layerGraph([lg.featureInputLayer(6, Name="in"), lg.fullyConnectedLayer(8, Name="enc"),
                            splitHalvesLayer(Name="split"), lg.fullyConnectedLayer(3, Name="dec")])
    lgraph = lgraph.addLayers(lg.fullyConnectedLayer(2, Name="head")).connectLayers("split/second", "head")
    lg.analyzeNetwork(lgraph, Plots="none", html=tmp_path / "page.html")
    text = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert ">second</text>" in text and "first 4" in text
    assert "-->|second|" in lg.analyze.mermaid(lgraph)
    spec = lg.dump_spec(lgraph)
    assert "split/second" in spec
    back = lg.spec.graph_from_data(__import__("yaml").safe_load(spec))
    assert sorted(back.Connections) == sorted(lgraph.Connections)
    net = lg.dlnetwork(back)
    assert net.OutputNames == ["dec", "head"]
