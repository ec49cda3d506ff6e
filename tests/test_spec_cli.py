"""YAML specs and the analyze/compare CLI: round trips, one-line errors with file:line and layer, exit codes,
the JSON schema, and the two published MATLAB tables."""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from layergraph import (
    convolution2dLayer,
    dump_spec,
    imageInputLayer,
    leakyReluLayer,
    load_spec,
    save_spec,
)
from layergraph.analyze import network_report
from layergraph.errors import SpecError
from layergraph.spec import graph_from_data
from layergraph.spec.yamlsafe import load_yaml
from tests.seed_nets import cgan_generator

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "layergraph", *args], capture_output=True, text=True, cwd=ROOT)


# ----- round trips -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_shipped_spec_saves_and_loads_back_equal(spec: Path, tmp_path: Path) -> None:
    lg = load_spec(spec)
    out = save_spec(lg, tmp_path / spec.name)
    again = load_spec(out)
    assert again == lg
    assert [layer.Name for layer in again.Layers] == [layer.Name for layer in lg.Layers]


def test_python_built_network_round_trips_through_yaml(tmp_path: Path) -> None:
    lg = cgan_generator()
    text = dump_spec(lg)
    assert "!!python" not in text
    assert graph_from_data(load_yaml(text, "x.yaml"), "x.yaml") == lg
    # the Python port and the shipped spec describe the same network
    assert load_spec(ROOT / "specs/cgan_flowers_generator.yaml") == lg


def test_chaining_inputs_and_connections() -> None:
    text = """
layers:
  - {type: imageInputLayer, Name: a, InputSize: [8, 8, 3]}
  - {type: convolution2dLayer, Name: c1, FilterSize: 3, NumFilters: 4, Padding: same}
  - {type: convolution2dLayer, Name: c2, FilterSize: 3, NumFilters: 4, Padding: same, inputs: [a]}
  - {type: additionLayer, Name: add, NumInputs: 2, inputs: {in2: c2}}
connections:
  - [c1, add/in1]
"""
    lg = graph_from_data(load_yaml(text, "t.yaml"), "t.yaml")
    assert sorted(lg.Connections) == [("a", "c1"), ("a", "c2"), ("c1", "add/in1"), ("c2", "add/in2")]


# ----- errors: one line, file:line, layer and field ----------------------------------------------------------
BAD = {
    "unknown_type": ("layers:\n  - {type: imageInputLayer, InputSize: [8, 8, 1]}\n  - {type: convolution2DLayer, "
                     "Name: c, FilterSize: 3, NumFilters: 2}\n", 2, r"bad\.yaml:3: .*unknown layer type "
                     r"'convolution2DLayer'; did you mean 'convolution2dLayer'"),
    "unknown_option": ("layers:\n  - {type: imageInputLayer, InputSize: [8, 8, 1]}\n  - type: reluLayer\n"
                       "    Name: r\n    Slope: 3\n", 2,
                       r"bad\.yaml:5: layer #2 'r': reluLayer: unknown option 'Slope'"),
    "wrong_type": ("layers:\n  - {type: imageInputLayer, InputSize: [8, 8, 1]}\n  - type: convolution2dLayer\n"
                   "    Name: conv\n    FilterSize: 3\n    NumFilters: many\n", 2,
                   r"bad\.yaml:6: layer #2 'conv': convolution2dLayer: option 'NumFilters'"),
    "missing_target": ("layers:\n  - {type: featureInputLayer, Name: x, InputSize: 4}\n  - {type: additionLayer, "
                       "Name: add}\nconnections:\n  - [x, nothere/in2]\n", 2,
                       r"bad\.yaml:5: connection x → nothere/in2: no layer named 'nothere'"),
    "duplicate": ("layers:\n  - {type: featureInputLayer, Name: x, InputSize: 4}\n  - {type: reluLayer, Name: r}\n"
                  "  - {type: reluLayer, Name: r}\n", 2, r"bad\.yaml:4: layer 'r': duplicate name \(first used at "
                  r"line 3\)"),
    "yaml_syntax": ("layers:\n  - {type: reluLayer, Name: r\n  - {type: tanhLayer}\n", 2,
                    r"bad\.yaml:\d+: YAML syntax error"),
    "empty": ("", 2, r"bad\.yaml: the file is empty"),
    "python_tag": ("layers:\n  - !!python/object/apply:os.system [echo hi]\n", 2,
                   r"bad\.yaml:2: unsupported YAML value"),
    "cycle": ("layers:\n  - {type: featureInputLayer, Name: x, InputSize: 4}\n  - {type: additionLayer, Name: a, "
              "inputs: [x, b]}\n  - {type: reluLayer, Name: b}\n", 1,
              r"bad\.yaml:3: layer 'a': the network has a cycle"),
    "size_mismatch": ("layers:\n  - {type: imageInputLayer, Name: i, InputSize: [8, 8, 3]}\n"
                      "  - {type: convolution2dLayer, Name: c, FilterSize: 3, NumFilters: 4}\n"
                      "  - {type: concatenationLayer, Name: cat, Dim: 3, NumInputs: 2, inputs: [i, c]}\n", 1,
                      r"bad\.yaml:4: layer 'cat': concatenationLayer: input sizes do not match"),
    "unconnected": ("layers:\n  - {type: featureInputLayer, Name: x, InputSize: 4}\n  - {type: additionLayer, Name: "
                    "add}\n", 1, r"bad\.yaml:3: layer 'add': input 'in2' is not connected"),
    "no_input_layer": ("layers:\n  - {type: reluLayer, Name: r, inputs: []}\n", 1,
                       r"bad\.yaml:2: layer 'r': (the network has no input layer|input 'in' is not connected)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_specs_give_one_line_errors(case: str, tmp_path: Path) -> None:
    text, code, pattern = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    res = cli("analyze", str(path))
    out = res.stdout + res.stderr
    assert res.returncode == code, out
    assert "Traceback" not in out
    if code == 2:
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, res.stderr
        assert re.search(pattern, lines[0]), lines[0]
    else:
        assert re.search(pattern, " ".join(out.split())), out


def test_spec_errors_raise_spec_error_in_python(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD["unknown_option"][0])
    with pytest.raises(SpecError, match=r"bad\.yaml:5"):
        load_spec(path)


# ----- analyzer output -------------------------------------------------------------------------------------
def _matlab_shape(shape: tuple[int, ...]) -> str:
    dims = list(shape)
    while len(dims) > 2 and dims[-1] == 1:
        dims.pop()
    return "×".join(map(str, dims))


def test_analyze_json_schema_and_matlab_shapes() -> None:
    res = cli("analyze", str(ROOT / "specs/cgan_flowers_discriminator.yaml"), "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert set(data) == {"layers", "total_learnables", "issues"}
    for row in data["layers"]:
        assert set(row) == {"index", "name", "description", "type", "activations", "learnables", "states"}
    by = {r["name"]: r for r in data["layers"]}
    # one 4×4 filter over 512 channels: trailing singleton dropped, a one-element bias still has two dims
    assert by["conv_5"]["learnables"] == {"Weights": "4×4×512", "Bias": "1×1"}
    assert by["conv_5"]["activations"] == "1×1×1"
    assert by["batchnorm_1"]["states"] == {"TrainedMean": "1×1×128", "TrainedVariance": "1×1×128"}
    assert data["issues"] == []


def _published_total(kind: str) -> int:
    """Learnables from MATLAB's shape formulas, written out independently of the library."""
    tconv = lambda f, n, c: f * f * n * c + n  # noqa: E731 - weights + bias
    conv = lambda f, c, n: f * f * c * n + n  # noqa: E731
    if kind == "gan_generator":
        return 8192 * 100 + 8192 + tconv(5, 256, 512) + tconv(5, 128, 256) + tconv(5, 64, 128) + tconv(5, 3, 64) + \
            2 * (256 + 128 + 64)
    if kind == "gan_discriminator":
        return conv(5, 3, 64) + conv(5, 64, 128) + conv(5, 128, 256) + conv(5, 256, 512) + conv(4, 512, 1) + \
            2 * (128 + 256 + 512)
    if kind == "cgan_generator":
        return 16384 * 100 + 16384 + 50 * 5 + 16 * 50 + 16 + tconv(5, 256, 1025) + tconv(5, 128, 256) + \
            tconv(5, 64, 128) + tconv(5, 3, 64) + 2 * (256 + 128 + 64)
    return 50 * 5 + 4096 * 50 + 4096 + conv(5, 4, 64) + conv(5, 64, 128) + conv(5, 128, 256) + conv(5, 256, 512) + \
        conv(4, 512, 1) + 2 * (128 + 256 + 512)


@pytest.mark.parametrize(("spec", "published"), [
    ("gan_flowers_generator", 5_134_339), ("gan_flowers_discriminator", 4_316_545),
    ("cgan_flowers_generator", 9_245_997), ("cgan_flowers_discriminator", 4_527_291)])
def test_published_learnable_totals(spec: str, published: int) -> None:
    kind = spec.replace("_flowers", "")
    assert _published_total(kind) == published
    report = network_report(load_spec(ROOT / f"specs/{spec}.yaml"))
    assert report["total_learnables"] == published
    assert sum(math.prod(int(d) for d in s.split("×")) for r in report["layers"]
               for s in r["learnables"].values()) == published


# ----- compare against MATLAB's documentation tables ----------------------------------------------------------
@pytest.mark.parametrize(("spec", "table"), [("cgan_flowers_generator", "cgan_generator_table"),
                                             ("cgan_flowers_discriminator", "cgan_discriminator_table")])
def test_compare_reports_all_19_rows_matching(spec: str, table: str) -> None:
    res = cli("compare", str(ROOT / f"specs/{spec}.yaml"), str(ROOT / f"tests/data/{table}.txt"), "--format", "json")
    assert res.returncode == 0, res.stdout + res.stderr
    data = json.loads(res.stdout)
    assert data["total"] == 19 and data["matched"] == 19 and data["missing_from_table"] == []


def test_compare_finds_differences_and_names_the_row(tmp_path: Path) -> None:
    text = (ROOT / "tests/data/cgan_generator_table.txt").read_text()
    text = text.replace("8×8×256", "8×8×255", 1).replace("5×5×128×256", "5×5×128×512", 1)
    bad = tmp_path / "t.txt"
    bad.write_text(text)
    res = cli("compare", str(ROOT / "specs/cgan_flowers_generator.yaml"), str(bad), "--format", "json")
    assert res.returncode == 1
    data = json.loads(res.stdout)
    wrong = {r["name"]: r["differences"] for r in data["rows"] if not r["match"]}
    assert set(wrong) == {"transposed-conv_1", "transposed-conv_2"}
    assert any("Activations" in d and "8×8×255" in d for d in wrong["transposed-conv_1"])
    assert any("5×5×128×512" in d for d in wrong["transposed-conv_2"])


def test_compare_truncated_cells_match_by_prefix_and_spaces_parse(tmp_path: Path) -> None:
    # the generator table's row 9 has "Weigh..." and "5×5×256×10..." cut short by MATLAB's display
    assert "Weigh...\t5×5×256×10..." in (ROOT / "tests/data/cgan_generator_table.txt").read_text()
    text = (ROOT / "tests/data/cgan_discriminator_table.txt").read_text().replace("\t", "  ")
    spaced = tmp_path / "spaced.txt"
    spaced.write_text(text)
    res = cli("compare", str(ROOT / "specs/cgan_flowers_discriminator.yaml"), str(spaced), "--format", "json")
    assert res.returncode == 0, res.stdout
    assert json.loads(res.stdout)["matched"] == 19


def test_compare_unreadable_table_exit_2(tmp_path: Path) -> None:
    res = cli("compare", str(ROOT / "specs/cgan_flowers_generator.yaml"), str(tmp_path / "none.txt"))
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_python_analyzeNetwork_matches_cli(capsys: pytest.CaptureFixture) -> None:
    from layergraph import analyzeNetwork

    data = analyzeNetwork(cgan_generator())
    printed = capsys.readouterr().out
    assert "Total learnables: 9,245,997" in printed
    assert data["total_learnables"] == 9_245_997
    assert [r["name"] for r in data["layers"]][:4] == ["input", "fc", "layer_1", "cat"]
    assert _matlab_shape((5, 5, 256, 1025)) == data["layers"][4]["learnables"]["Weights"]
    _ = leakyReluLayer, imageInputLayer, convolution2dLayer  # re-exported names are importable


def test_user_functions_load_with_import_option(tmp_path: Path) -> None:
    """A spec naming a user's function fails with a hint until the user's module is imported with --import."""
    (tmp_path / "userfns.py").write_text(
        "import torch\nfrom layergraph import register_function\n\n"
        "@register_function('triple_it', output_size=lambda inputs: inputs[0])\n"
        "def triple_it(x: torch.Tensor) -> torch.Tensor:\n    return 3 * x\n")
    spec = tmp_path / "net.yaml"
    spec.write_text("layers:\n  - {type: featureInputLayer, InputSize: 4}\n"
                    "  - {type: functionLayer, Name: thrice, PredictFcn: triple_it}\n")
    cmd = [sys.executable, "-m", "layergraph"]
    res = subprocess.run([*cmd, "analyze", str(spec)], capture_output=True, text=True)
    assert res.returncode == 2 and "triple_it" in res.stderr and "--import" in res.stderr
    assert "Traceback" not in res.stderr
    for module in (str(tmp_path / "userfns.py"), "userfns"):
        res = subprocess.run([*cmd, "--import", module, "analyze", str(spec), "--format", "json"],
                             capture_output=True, text=True, cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        row = json.loads(res.stdout)["layers"][1]
        assert row["name"] == "thrice" and row["description"] == "@(X)triple_it(X)"
    res = subprocess.run([*cmd, "--import", "no_such_module_here", "analyze", str(spec)], capture_output=True,
                         text=True, cwd=tmp_path)
    assert res.returncode == 2 and "no_such_module_here" in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run([*cmd, "--import", "missing.py", "analyze", str(spec)], capture_output=True, text=True,
                         cwd=tmp_path)
    assert res.returncode == 2 and "--import missing.py: file not found" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
