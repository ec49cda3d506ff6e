"""Layer graphs built the MATLAB way, graph editing, shape inference issues, and dlnetwork behaviour."""
from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.analyze.compare import compare_table, parse_matlab_table
from layergraph.analyze.report import network_report
from layergraph.errors import NetworkError
from tests.seed_nets import cgan_discriminator, cgan_generator

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


# ----- the seed networks, built in Python ------------------------------------------------------------
@pytest.mark.parametrize("build,spec,table", [
    (cgan_generator, "cgan_flowers_generator.yaml", "cgan_generator_table.txt"),
    (cgan_discriminator, "cgan_flowers_discriminator.yaml", "cgan_discriminator_table.txt")])
def test_python_port_gets_matlab_names_and_matches_the_published_table(build, spec, table) -> None:
    lgraph = build()
    rows = parse_matlab_table((DATA / table).read_text())
    result = compare_table(rows, network_report(lgraph))
    assert [r["name"] for r in result["rows"] if not r["match"]] == []
    assert len(result["rows"]) == 19
    # MATLAB's automatic names, as the published table shows them
    assert {r.name for r in rows} == set(lgraph.graph.nodes)
    shipped = lg.load_spec(ROOT / "specs" / spec)
    assert set(shipped.graph.nodes) == set(lgraph.graph.nodes)
    assert sorted(shipped.graph.edges(keys=True)) == sorted(lgraph.graph.edges(keys=True))
    assert all(shipped.layer(n) == lgraph.layer(n) for n in lgraph.graph.nodes)


def test_automatic_names_number_repeated_types_and_avoid_taken_names() -> None:
    g = lg.layerGraph([lg.imageInputLayer([8, 8, 1]), lg.convolution2dLayer(3, 4), lg.reluLayer(),
                       lg.convolution2dLayer(3, 4), lg.reluLayer(), lg.fullyConnectedLayer(2)])
    assert list(g.graph.nodes) == ["imageinput", "conv_1", "relu_1", "conv_2", "relu_2", "fc"]
    g = lg.addLayers(g, [lg.fullyConnectedLayer(2), lg.reluLayer(Name="r")])
    assert list(g.graph.nodes)[-2:] == ["fc_1", "r"]
    with pytest.raises(NetworkError, match="'r' is already in the graph"):
        lg.addLayers(g, lg.reluLayer(Name="r"))
    with pytest.raises(NetworkError, match="'a' is used more than once"):
        lg.layerGraph([lg.reluLayer(Name="a"), lg.reluLayer(Name="a")])


# ----- editing ------------------------------------------------------------------------------------
def small_branchy() -> lg.LayerGraph:
    g = lg.layerGraph([lg.imageInputLayer([8, 8, 2], Name="in"), lg.convolution2dLayer(3, 4, Padding="same",
                                                                                      Name="c1"),
                       lg.reluLayer(Name="r1"), lg.additionLayer(2, Name="add"), lg.reluLayer(Name="out")])
    g = lg.addLayers(g, lg.convolution2dLayer(1, 4, Name="skip"))
    g = lg.connectLayers(g, "in", "skip")
    return lg.connectLayers(g, "skip", "add/in2")


def test_connect_disconnect_remove_replace_follow_matlab() -> None:
    g = small_branchy()
    assert isinstance(g.graph, nx.MultiDiGraph)
    assert g.graph.has_edge("skip", "add", key="in2") and g.graph.has_edge("r1", "add", key="in1")
    assert ("skip", "add/in2") in g.Connections and ("c1", "r1") in g.Connections
    assert network_report(g)["issues"] == []
    with pytest.raises(NetworkError, match="'add/in2' is already connected"):
        lg.connectLayers(g, "c1", "add/in2")
    with pytest.raises(NetworkError, match=r"no input .in3.*in1, in2"):
        lg.connectLayers(g, "c1", "add/in3")
    with pytest.raises(NetworkError, match="no layer named 'nope'"):
        lg.connectLayers(g, "nope", "add/in2")

    cut = lg.disconnectLayers(g, "skip", "add/in2")
    assert g.graph.has_edge("skip", "add", key="in2")  # the argument is left alone, as in MATLAB
    issues = network_report(cut)["issues"]
    assert any(i["layer"] == "add" and "in2" in i["message"] and i["severity"] == "error" for i in issues)

    removed = lg.removeLayers(g, "skip")
    assert "skip" not in removed.graph and not removed.graph.has_edge("in", "skip")
    assert any(i["layer"] == "add" for i in network_report(removed)["issues"])

    replaced = lg.replaceLayer(g, "r1", [lg.batchNormalizationLayer(Name="bn"), lg.reluLayer(Name="r1b")])
    assert list(replaced.graph.nodes)[:4] == ["in", "c1", "bn", "r1b"]
    assert replaced.graph.has_edge("c1", "bn", key="in") and replaced.graph.has_edge("r1b", "add", key="in1")
    assert network_report(replaced)["issues"] == []


def test_analyzer_issues_name_the_layer() -> None:
    cyc = lg.connectLayers(lg.disconnectLayers(small_branchy(), "in", "skip"), "out", "skip")
    assert any("cycle" in i["message"].lower() for i in network_report(cyc)["issues"])

    bad = lg.layerGraph([lg.imageInputLayer([8, 8, 2], Name="in"), lg.convolution2dLayer(3, 4, Name="c1"),
                         lg.additionLayer(2, Name="add")])
    bad = lg.addLayers(bad, lg.convolution2dLayer(1, 4, Name="skip"))
    bad = lg.connectLayers(lg.connectLayers(bad, "in", "skip"), "skip", "add/in2")
    issues = network_report(bad)["issues"]
    assert any(i["layer"] == "add" and "6×6×4" in i["message"] and "8×8×4" in i["message"] for i in issues)

    no_input = lg.layerGraph([lg.fullyConnectedLayer(3, Name="fc"), lg.reluLayer()])
    assert any(i["layer"] == "fc" for i in network_report(no_input)["issues"])
    with pytest.raises(NetworkError, match="'fc'"):
        lg.dlnetwork(no_input)


# ----- dlnetwork -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def netG() -> lg.dlnetwork:
    torch.manual_seed(0)
    return lg.dlnetwork(lg.load_spec(ROOT / "specs/cgan_flowers_generator.yaml"))


def test_learnables_and_state_tables_like_matlab(netG) -> None:
    learn, state = netG.Learnables, netG.State
    assert len(learn) == 19 and len(state) == 6
    # rows follow the network's Layers order, each layer's parameters in MATLAB's order
    order = [layer.Name for layer in netG.Layers]
    expect = [(n, p) for n in order for p in {"fc": ("Weights", "Bias"), "fc_1": ("Weights", "Bias"),
                                                "layer": ("Weights",)}.get(
        n, ("Weights", "Bias") if n.startswith("transposed") else ("Offset", "Scale") if n.startswith("batch") else ())]
    assert learn.keys() == expect
    assert state.keys() == [(f"batchnorm_{i}", p) for i in (1, 2, 3) for p in ("TrainedMean", "TrainedVariance")]
    assert netG.getLearnable("transposed-conv_1", "Weights").shape == (5, 5, 256, 1025)
    assert netG.getLearnable("fc", "Bias").shape == (16384, 1)
    assert netG.getLearnable("layer", "Weights").shape == (50, 5)
    assert netG.num_learnables() == 9_245_997
    assert netG.InputNames == ["input", "input_1"] and netG.OutputNames == ["layer_2"]


def test_forward_backward_sizes_follow_the_analyzer(netG) -> None:
    report = {r["name"]: r for r in network_report(netG)["layers"]}
    Z = lg.dlarray(torch.randn(100, 3), "CB")
    T = lg.dlarray(torch.tensor([[1.0, 3.0, 5.0]]), "CB")
    mean_before = netG.State.Value[0].clone()
    Y, state = lg.forward(netG, Z, T)
    assert Y.fmt == "SSCB" and lg.extractdata(Y).shape == (64, 64, 3, 3)
    assert report["layer_2"]["activations"] == "64×64×3"
    assert not torch.equal(state.Value[0], mean_before)  # training mode updates batch-norm statistics
    grads = lg.dlgradient(Y.sum(), netG.Learnables)
    assert len(grads) == 19
    for (_, _, g), (_, _, p) in zip(grads, netG.Learnables):
        assert g.shape == p.shape and torch.isfinite(g).all()
    assert float(grads[0].abs().sum()) > 0
    frozen = [v.clone() for v in netG.State.Value]
    out = lg.predict(netG, Z, T)
    assert lg.extractdata(out).shape == (64, 64, 3, 3)
    assert all(torch.equal(a, b) for a, b in zip(frozen, netG.State.Value))  # predict leaves State alone
    with pytest.raises(ValueError, match="2 input"):
        lg.predict(netG, Z)


def test_discriminator_forward_backward_sizes() -> None:
    torch.manual_seed(0)
    netD = lg.dlnetwork(lg.load_spec(ROOT / "specs/cgan_flowers_discriminator.yaml"))
    assert netD.InputNames == ["imageinput", "input"]
    X = lg.dlarray(torch.rand(64, 64, 3, 2), "SSCB")
    Y, _ = lg.forward(netD, X, lg.dlarray(torch.tensor([[2.0, 4.0]]), "CB"))
    assert lg.extractdata(Y).shape == (1, 1, 1, 2)
    grads = torch.autograd.grad(Y.sum(), list(netD.Learnables.Value))
    assert len(grads) == 19 and all(torch.isfinite(g).all() for g in grads)


def test_dlarray_layouts_round_trip() -> None:
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)  # H×W×C×B
    d = lg.dlarray(x, "SSCB")
    assert tuple(d.shape) == (5, 4, 2, 3) and d.fmt == "SSCB"
    assert d[4, 3, 1, 2] == x[1, 2, 3, 4]
    np.testing.assert_array_equal(lg.extractdata(d).numpy(), x)
    f = np.arange(12, dtype=np.float32).reshape(3, 4)
    cb, bc = lg.dlarray(f, "CB"), lg.dlarray(f.T, "BC")
    assert cb.fmt == bc.fmt == "CB" and torch.equal(cb, bc)  # MATLAB stores both channel-first
    np.testing.assert_array_equal(lg.extractdata(cb).numpy(), f)


def test_matlab_layout_weights_load_and_compute_like_matlab() -> None:
    """Weights given in MATLAB layout (as exported from MATLAB) give MATLAB's numbers: FC then feature2image
    (column-major) then a transposed convolution, checked against a numpy evaluation of the formulas."""
    rng = np.random.default_rng(1)
    net = lg.dlnetwork([lg.featureInputLayer(3, Name="z"), lg.fullyConnectedLayer(2 * 2 * 2, Name="fc"),
                        lg.functionLayer("feature2image", Arguments=[[2, 2, 2]], Name="img"),
                        lg.transposedConv2dLayer(2, 1, Stride=2, Name="up")])
    W, b = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    K, c = rng.standard_normal((2, 2, 1, 2)), rng.standard_normal((1, 1, 1))
    for layer, param, value in (("fc", "Weights", W), ("fc", "Bias", b), ("up", "Weights", K), ("up", "Bias", c)):
        net.setLearnable(layer, param, value)
        np.testing.assert_allclose(net.getLearnable(layer, param), value, rtol=1e-6)
    z = rng.standard_normal((3, 1))
    img = (W @ z + b).reshape(2, 2, 2, order="F")
    expect = np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            expect[2 * i: 2 * i + 2, 2 * j: 2 * j + 2] += np.einsum("c,hwc->hw", img[i, j], K[:, :, 0, :])
    y = lg.extractdata(lg.predict(net, lg.dlarray(z, "CB"))).numpy()
    np.testing.assert_allclose(y[:, :, 0, 0], expect + c[0, 0, 0], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"fc.*Weights.*8×3"):
        net.setLearnable("fc", "Weights", np.zeros((3, 8, 2)))


@pytest.mark.parametrize("prefix", ["gan_flowers", "cgan_digits"])
def test_compiled_networks_equal_hand_written_torch(prefix) -> None:
    """The compiled specs compute exactly what the hand-written benchmark references compute, in training and
    inference mode, with the same gradients."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import reference_nets as ref

    torch.manual_seed(0)
    classes = {"gan_flowers": (ref.FlowersGenerator, ref.FlowersDiscriminator),
               "cgan_digits": (ref.DigitsGenerator, ref.DigitsDiscriminator)}[prefix]
    nets = [lg.dlnetwork(lg.load_spec(ROOT / f"specs/{prefix}_{part}.yaml")) for part in ("generator",
                                                                                        "discriminator")]
    refs = [cls() for cls in classes]
    for net, module in zip(nets, refs):
        ref.copy_weights(net, module)
    g, d = nets
    batch = 4
    z = torch.randn(g.analysis.outputs[g.InputNames[0]].torch_shape(batch))
    t = torch.randint(1, 11, (batch, 1)).float() if len(g.InputNames) == 2 else None
    cond = (t,) if t is not None else ()
    for training in (True, False):
        for m in refs:
            m.train(training)
        torch.manual_seed(1)
        if training:  # the statistics stored as a MATLAB program does (`net.State = state`), as torch updates its own
            ours, g.State = g.forward(z, *cond)
            score, d.State = d.forward(ours, *cond)
        else:  # traced, as MATLAB traces predict, inside dlfeval: the gradient is taken there too
            ours, score, table = lg.dlfeval(lambda: (y := g.predict(z, *cond), s := d.predict(y, *cond),
                                                     lg.dlgradient(s.sum(), g.Learnables)))
        ours, score = ours.as_subclass(torch.Tensor), score.as_subclass(torch.Tensor)
        torch.manual_seed(1)
        theirs = refs[0](z, *cond)
        their_score = refs[1](theirs, *cond)
        assert torch.equal(ours, theirs)
        torch.testing.assert_close(score.reshape(-1), their_score.reshape(-1), rtol=1e-6, atol=1e-6)
    grads = table.Value
    their = torch.autograd.grad(their_score.sum(), list(refs[0].parameters()))
    by_name = dict(zip([n for n, _ in refs[0].named_parameters()], their))
    mapping = ref.LAYER_MAPS[type(refs[0])]
    for (layer, param, _), grad in zip(g.Learnables, grads):
        torch.testing.assert_close(grad, by_name[f"{mapping[layer]}.{ref.PARAMS[param]}"], rtol=1e-5, atol=1e-6)
