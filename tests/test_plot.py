"""Graph pictures: layered top-to-bottom layout, SVG/PNG files with every layer name, Mermaid text."""
from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest
import yaml

from layergraph.analyze import layout, mermaid, plot_graph
from layergraph.cli.main import main
from layergraph.errors import LayergraphError
from layergraph.spec import graph_from_data, load_spec

SPECS = sorted(Path(__file__).resolve().parents[1].glob("specs/*.yaml"))
CGAN_G = next(p for p in SPECS if p.stem == "cgan_flowers_generator")


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_svg_has_every_layer_name(spec: Path, tmp_path: Path) -> None:
    lg = load_spec(spec)
    out = plot_graph(lg, tmp_path / "g.svg")
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    texts = set(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    for name in lg.graph.nodes:
        assert escape(name, quote=False) in texts, name


def test_png_file(tmp_path: Path) -> None:
    out = plot_graph(load_spec(CGAN_G), tmp_path / "sub" / "g.png", title="CGAN generator")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert height > width  # drawn top to bottom


def boxes_overlap(a: tuple[float, float, float], b: tuple[float, float, float]) -> bool:
    (xa, ya, wa), (xb, yb, wb) = a, b
    return abs(ya - yb) < 1e-9 and abs(xa - xb) < (wa + wb) / 2


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_layout_is_layered_top_to_bottom(spec: Path) -> None:
    lg = load_spec(spec)
    lay = layout(lg)
    for u, v, _ in lg.graph.edges(keys=True):
        assert lay.pos[u][1] > lay.pos[v][1], f"{u} → {v} does not point down"
    boxes = [(x, y, lay.width[n]) for n, (x, y) in lay.pos.items()]
    assert not any(boxes_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_branches_side_by_side_and_merge_below() -> None:
    lg = load_spec(CGAN_G)
    lay = layout(lg)
    (xa, ya), (xb, yb) = lay.pos["input"], lay.pos["input_1"]
    assert ya == yb and xa != xb  # both inputs on the top row, apart
    assert lay.pos["cat"][1] < min(lay.pos["layer_1"][1], lay.pos["emb_reshape"][1])
    # the long edge layer_1 → cat bends once in every rank it skips
    skipped = round((lay.pos["layer_1"][1] - lay.pos["cat"][1]) / (lay.pos["input"][1] - lay.pos["fc"][1])) - 1
    assert skipped >= 1 and len(lay.bends[("layer_1", "cat", "in1")]) == skipped


def test_mermaid_has_every_edge() -> None:
    for spec in SPECS:
        lg = load_spec(spec)
        text = mermaid(lg)
        lines = text.splitlines()
        assert lines[0] == "flowchart TD"
        ids = {}
        for line in lines[1:]:
            m = re.fullmatch(r'\s+(n\d+)\["([^"<]*)(<br/>.*)?"\]', line)
            if m:
                ids[m[2]] = m[1]
        assert set(ids) == set(lg.graph.nodes)
        arrows = [line.strip() for line in lines if "-->" in line]
        assert len(arrows) == lg.graph.number_of_edges()
        for src, dst, port in lg.graph.edges(keys=True):
            arrow = f"-->|{port}|" if len(lg.layer(dst).input_names) > 1 else "-->"
            assert f"{ids[src]} {arrow} {ids[dst]}" in arrows, (src, dst, port)


def test_mermaid_escapes_quotes() -> None:
    spec = {"layers": [{"type": "featureInputLayer", "Name": 'say "hi"', "InputSize": 3},
                       {"type": "reluLayer", "Name": "r<1>"}]}
    text = mermaid(graph_from_data(spec), types=False)
    assert 'n0["say #quot;hi#quot;"]' in text and 'n1["r#lt;1#gt;"]' in text and "n0 --> n1" in text


def test_cycle_is_refused() -> None:
    spec = yaml.safe_load("""
layers:
  - {type: featureInputLayer, Name: x, InputSize: 3}
  - {type: additionLayer, Name: add, NumInputs: 2}
  - {type: reluLayer, Name: r}
connections:
  - [r, add/in2]
""")
    with pytest.raises(LayergraphError, match="cycle"):
        layout(graph_from_data(spec))


def test_cli_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "g.svg"
    assert main(["plot", str(CGAN_G), str(out)]) == 0
    assert "transposed-conv_4" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["plot", str(CGAN_G), "--format", "mermaid"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("flowchart TD") and "-->|in2|" in text
    assert main(["plot", str(CGAN_G), str(tmp_path / "g.gif")]) == 2
    assert "png, .svg or .pdf" in capsys.readouterr().err
    assert main(["plot", str(CGAN_G)]) == 2
