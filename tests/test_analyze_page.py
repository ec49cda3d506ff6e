"""The analyzeNetwork page without a browser: MATLAB's layer order against published tables, the page's
structure and safety (escaping, CSP), notebook display, `analyze --html` for specs and checkpoints, and
`compare --html`. The browser tests are in test_analyze_browser.py."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from layergraph import additionLayer, dlnetwork, imageInputLayer, load_spec, reluLayer
from layergraph.analyze import analyzeNetwork, network_report, parse_matlab_table
from layergraph.analyze.html import compare_page, report_page, script_json
from layergraph.analyze.order import execution_order, layer_order, matlab_order
from layergraph.cli.main import main
from layergraph.errors import SpecError
from layergraph.graph.layergraph import LayerGraph
from layergraph.layers.functions import register_function

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT / "specs/cgan_flowers_generator.yaml"
DIS = ROOT / "specs/cgan_flowers_discriminator.yaml"


def table_names(name: str) -> list[str]:
    return [r.name for r in parse_matlab_table((ROOT / f"tests/data/{name}.txt").read_text(encoding="utf-8"))]


# ----- MATLAB's layer order ----------------------------------------------------------------------------------
def test_matlab_order_reproduces_the_published_cgan_generator_table() -> None:
    assert matlab_order(load_spec(GEN)) == table_names("cgan_generator_table")


def test_matlab_order_does_not_reproduce_the_discriminator_table_as_docs_say() -> None:
    # docs/cli.md#layer-order: no rule found gives this table together with the generator's
    got, want = matlab_order(load_spec(DIS)), table_names("cgan_discriminator_table")
    assert sorted(got) == sorted(want) and got[:7] != want[:7] and got[7:] == want[7:]


def resnet_stage() -> tuple[LayerGraph, list[str]]:
    """The first stage of ResNet-50 in the order MATLAB prints its Layers (the shortcut res2a_branch1 after
    res2a_branch2c); layer kinds simplified, the connections as in the network."""
    names = ["input_1", "conv1", "bn_conv1", "activation_1_relu", "max_pooling2d_1", "res2a_branch2a",
             "bn2a_branch2a", "activation_2_relu", "res2a_branch2b", "bn2a_branch2b", "activation_3_relu",
             "res2a_branch2c", "res2a_branch1", "bn2a_branch2c", "bn2a_branch1", "add_1", "activation_4_relu"]
    layers = [imageInputLayer([8, 8, 3], Name=names[0])] + [
        additionLayer(2, Name=n) if n.startswith("add") else reluLayer(Name=n) for n in names[1:]]
    lg = LayerGraph()
    lg._add(layers, chain=False)
    chain = names[:12]
    for a, b in [*zip(chain, chain[1:]), ("max_pooling2d_1", "res2a_branch1"), ("res2a_branch2c", "bn2a_branch2c"),
                 ("res2a_branch1", "bn2a_branch1"), ("bn2a_branch2c", "add_1/in1"), ("bn2a_branch1", "add_1/in2"),
                 ("add_1", "activation_4_relu")]:
        lg._connect(a, b)
    return lg, names


def test_both_orders_keep_a_topological_layers_order_as_matlab_prints_resnet() -> None:
    lg, names = resnet_stage()
    assert matlab_order(lg) == names and execution_order(lg) == names


def test_execution_order_is_topological_and_the_default() -> None:
    lg = load_spec(GEN)
    order = execution_order(lg)
    pos = {n: i for i, n in enumerate(order)}
    assert all(pos[u] < pos[v] for u, v in lg.graph.edges())
    assert [r["name"] for r in network_report(lg, order="execution")["layers"]] == order
    with pytest.raises(SpecError, match="order must be one of"):
        layer_order(lg, "alphabetical")


def test_cli_analyze_order_matlab_json(capsys: pytest.CaptureFixture) -> None:
    assert main(["analyze", str(GEN), "--order", "matlab", "--format", "json"]) == 0
    names = [r["name"] for r in json.loads(capsys.readouterr().out)["layers"]]
    assert names == table_names("cgan_generator_table")


# ----- the page's structure --------------------------------------------------------------------------------------
class Page(HTMLParser):
    """Collects what the tests look at: tags with attributes, script bodies, text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parse(text: str) -> Page:
    p = Page()
    p.feed(text)
    return p


def sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_page_has_a_row_and_a_node_per_layer_and_loads_nothing_from_outside() -> None:
    report = network_report(load_spec(GEN), order="matlab")
    page = parse(report_page(report, "gen"))
    rows = [a for t, a in page.tags if t == "tr" and "data-i" in a]
    nodes = [a for t, a in page.tags if t == "g" and "node" in a.get("class", "").split()]
    assert len(rows) == 19 and len(nodes) == 19
    assert sorted(int(a["data-i"]) for a in nodes) == list(range(19))
    # no resource is referenced: no src/href attribute anywhere, no link/img/iframe element
    assert not [(t, a) for t, a in page.tags if "src" in a or "href" in a or t in ("link", "img", "iframe")]
    # the CSP comes before any script and allows exactly the page's own code block
    metas = [a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    first_script = next(i for i, (t, _) in enumerate(page.tags) if t == "script")
    assert metas and page.tags.index(("meta", metas[0])) < first_script
    csp = metas[0]["content"]
    code = page.scripts[-1]
    assert "default-src 'none'" in csp and f"script-src '{sha(code)}';" in csp
    assert "unsafe-inline" not in csp and "http" not in csp


def test_every_edge_is_drawn_and_merges_show_their_ports() -> None:
    lg = load_spec(GEN)
    text = report_page(network_report(lg), "gen")
    assert text.count('class="edge"') == lg.graph.number_of_edges() == 18
    assert re.findall(r'class="port"[^>]*>(in\d)<', text) == ["in1", "in2"]


def test_script_json_leaves_no_markup_and_round_trips() -> None:
    value = {"name": "</script><!-- <script>alert(1)</script> & \u2028\u2029 'q\""}
    text = script_json(value)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == value


PAYLOAD_NAME = "<img src=x onerror=\"document.title='pwned'\">\"'"
PAYLOAD_FN = "<script>window.__pwned=1</script>"
PAYLOAD_DESC = "<svg onload=\"window.__pwned=2\"></svg>' \"quoted\""


@register_function(PAYLOAD_FN, output_size=lambda inputs: inputs[0])
def _identity(x):
    return x


def hostile_spec(tmp_path: Path) -> Path:
    """A spec whose layer names, description and function name are markup, with one error issue (an
    unconnected concatenation input) so that the issue list carries the names too."""
    data = {"name": "hostile", "layers": [
        {"type": "featureInputLayer", "Name": PAYLOAD_NAME, "InputSize": 4},
        {"type": "functionLayer", "Name": "fn<u>under<i>x", "PredictFcn": PAYLOAD_FN, "Description": PAYLOAD_DESC},
        {"type": "functionLayer", "Name": "fn2", "PredictFcn": PAYLOAD_FN},  # described by its function's name
        {"type": "concatenationLayer", "Name": "cat\"'<i>", "Dim": 1, "NumInputs": 2},
    ]}
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_spec_text_is_escaped_everywhere(tmp_path: Path) -> None:
    report = network_report(load_spec(hostile_spec(tmp_path)))
    assert any(i["severity"] == "error" for i in report["issues"])
    text = report_page(report, "hostile <title>")
    page = parse(text)
    assert [t for t, _ in page.tags if t in ("img", "svg") and _.get("onload") is not None] == []
    assert not [t for t, _ in page.tags if t in ("img", "u", "i")]
    assert len(page.scripts) == 2  # the JSON data block and the page's code, nothing else
    assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]
    for payload in (PAYLOAD_NAME, PAYLOAD_DESC, PAYLOAD_FN, "fn<u>under<i>x"):
        assert html.escape(payload, quote=False) in text or html.escape(payload) in text


# ----- notebooks -------------------------------------------------------------------------------------------------
def srcdoc(fragment: str) -> str:
    m = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" [^>]*></iframe>', fragment)
    assert m, fragment[:200]
    return html.unescape(m.group(1))


def test_repr_html_of_network_graph_and_report_is_the_page_in_a_sandboxed_frame() -> None:
    lg = load_spec(GEN)
    want = report_page(network_report(lg), "network")
    assert srcdoc(lg._repr_html_()) == want
    assert srcdoc(network_report(lg)._repr_html_()) == want
    net = dlnetwork(lg)
    assert srcdoc(net._repr_html_()) == report_page(network_report(net), "network")
    rows = re.findall(r'<div class="name">([^<]*)</div>', srcdoc(net._repr_html_()))
    assert rows == [layer.Name for layer in net.Layers]  # a dlnetwork shows its own (execution) order


class FakeKernel:
    def __init__(self) -> None:
        self.config = {"IPKernelApp": {}}
        self.execution_count = 7


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeKernel, list]:
    """A stand-in for a Jupyter kernel: IPython.get_ipython() and IPython.display.display/HTML."""
    kernel, shown = FakeKernel(), []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: kernel
    display = types.ModuleType("IPython.display")
    display.HTML = lambda text: ("HTML", text)
    display.display = lambda obj: shown.append(obj)
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    return kernel, shown


def test_analyzeNetwork_in_a_notebook_shows_the_page_once(notebook: tuple, capsys: pytest.CaptureFixture) -> None:
    kernel, shown = notebook
    info = analyzeNetwork(load_spec(GEN))
    assert capsys.readouterr().out == ""  # no terminal table in a notebook
    assert len(shown) == 1 and srcdoc(shown[0][1]) == report_page(info, "network")
    info._ipython_display_()  # the same cell's value: not shown a second time
    assert len(shown) == 1
    kernel.execution_count += 1
    info._ipython_display_()  # evaluated again in a later cell: shown
    assert len(shown) == 2


def test_analyzeNetwork_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "sub" / "report.html"
    info = analyzeNetwork(load_spec(DIS), Plots="none", html=out, order="matlab")
    assert capsys.readouterr().out == ""
    assert out.read_text(encoding="utf-8") == report_page(info, "report")


# ----- the CLI ---------------------------------------------------------------------------------------------------
def test_cli_analyze_html_for_a_spec(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "report.html"
    assert main(["analyze", str(GEN), "--html", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {out} (19 layers, ") and "0 errors" in printed and "┃" not in printed
    assert out.stat().st_size < 1_000_000 and len(parse(out.read_text()).scripts) == 2


def test_cli_analyze_html_exit_1_when_the_network_has_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "bad.html"
    assert main(["analyze", str(hostile_spec(tmp_path)), "--html", str(out)]) == 1
    assert "1 errors" in capsys.readouterr().out and 'class="error"' in out.read_text()


def checkpoint(tmp_path: Path) -> Path:
    from layergraph.train.checkpoint import save_checkpoint

    tensors, meta = {}, {}
    for which in ("generator", "discriminator"):
        spec = ROOT / f"tests/specs/tiny_{which[:3]}.yaml"
        meta[f"{which}_spec"] = spec.read_text(encoding="utf-8")
        tensors.update({f"{which}/{k}": v for k, v in dlnetwork(load_spec(spec)).tensors().items()})
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, tensors, meta)
    return path


def test_cli_analyze_reads_either_network_of_a_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ckpt = checkpoint(tmp_path)
    for which in ("generator", "discriminator"):
        out = tmp_path / f"{which}.html"
        args = ["analyze", str(ckpt), "--html", str(out), "--format", "json"]
        assert main(args + ([] if which == "generator" else ["--net", which])) == 0
        data = json.loads(capsys.readouterr().out.split("\n", 1)[1])
        spec = load_spec(ROOT / f"tests/specs/tiny_{which[:3]}.yaml")
        assert sorted(r["name"] for r in data["layers"]) == sorted(spec.graph.nodes)
        assert f"<title>analyzeNetwork — {html.escape(str(ckpt))} ({which})</title>" in out.read_text()
    assert main(["analyze", str(ckpt), "--net", "critic"]) == 2
    assert "no 'critic' network" in capsys.readouterr().err


def test_cli_compare_html_marks_the_differing_cells(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    text = (ROOT / "tests/data/cgan_generator_table.txt").read_text(encoding="utf-8")
    bad = tmp_path / "table.txt"
    bad.write_text(text.replace("input_1 1 features\tFeature Input\t1\t", "input_1 1 features\tFeature Input\t2\t")
                   .replace("\tTanh\t", "\tReLU\t"), encoding="utf-8")
    out = tmp_path / "diff.html"
    assert main(["compare", str(GEN), str(bad), "--html", str(out)]) == 1
    capsys.readouterr()
    page = out.read_text(encoding="utf-8")
    diffs = re.findall(r'<td class="(?:sep )?diff"><div class="kv">([^<]*)</div></td>', page)
    assert diffs == ["2", "1", "ReLU", "Tanh"]  # each differing cell on both sides, nothing else
    assert "17 of 19 rows match" in page and page.count(">differs<") == 2


def test_compare_page_of_matching_tables_marks_nothing() -> None:
    from layergraph.analyze import compare_table

    rows = parse_matlab_table((ROOT / "tests/data/cgan_discriminator_table.txt").read_text(encoding="utf-8"))
    report = network_report(load_spec(DIS))
    page = compare_page(compare_table(rows, report), rows, report, "dis.yaml", "table.txt")
    assert 'class="diff"' not in page and "19 of 19 rows match" in page
