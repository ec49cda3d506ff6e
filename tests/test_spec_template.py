"""Spec templates: the `${...}` expression language (MATLAB semantics, hostile input), params, blocks, repeat,
overrides (`--set`, `load_spec(path, name=value)`), `layergraph expand`, and errors that name both the block's
line and the instance's."""
from __future__ import annotations

import copy
import pickle
import re
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

from layergraph import analyzeNetwork, load_spec
from layergraph.cli.main import main
from layergraph.errors import SpecError
from layergraph.spec import graph_from_data
from layergraph.spec.evaluate import evaluate, interpolate
from layergraph.spec.expand import flatten
from layergraph.spec.expr import ExprError
from layergraph.spec.yamlsafe import load_yaml

ROOT = Path(__file__).resolve().parents[1]


def spec(tmp: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def names(lgraph) -> list[str]:
    return [layer.Name for layer in lgraph.Layers]


# ----- the expression language: MATLAB's meaning -------------------------------------------------------
ENV = {"numFilters": 64, "projectionSize": [4, 4, 1024], "depth": 8, "pad": "same", "flag": True}


@pytest.mark.parametrize(("text", "value"), [
    ("2^min(3,3)*numFilters", 512),            # the U-Net's filter rule
    ("prod(projectionSize)", 16384),           # MATLAB's prod
    ("prod(projectionSize(1:2))", 16),         # 1-based indexing with a colon range
    ("[projectionSize(1:2), 1]", [4, 4, 1]),   # [a b] concatenates row vectors
    ("projectionSize(end)", 1024),
    ("projectionSize(end-1:end)", [4, 1024]),
    ("2^3^2", 64),                             # MATLAB's ^ is left-associative: (2^3)^2
    ("-2^2", -4),                              # unary minus binds looser than ^
    ("2^-1", 0.5),
    ("7/2", 3.5),                              # / is division of doubles, as in MATLAB
    ("64/2", 32),                              # a whole result is written as an integer
    ("7//2", 3),
    ("-7//2", -4),                             # // floors
    ("round(2.5)", 3),                         # MATLAB rounds halves away from zero (Python: to even)
    ("round(-2.5)", -3),
    ("round(0.49999999999999994)", 0),
    ("floor(-0.5)", -1),
    ("ceil(3.2)", 4),
    ("depth-1:-1:5", [7, 6, 5]),               # a:step:b
    ("5:4", []),
    ("numFilters*[1, 2, 4]", [64, 128, 256]),  # a number times a vector
    ("[1, 2] + [10, 20]", [11, 22]),
    ("min([3, 1, 2])", 1),
    ("max(2, [1, 5])", [2, 5]),
    ("numel(projectionSize)", 3),
    ("sum(1:4)", 10),
    ("pad", "same"),
    ("(1 + 2) * 3", 9),
])
def test_expressions_follow_matlab(text: str, value: object) -> None:
    assert evaluate(text, ENV) == value
    assert type(evaluate(text, ENV)) is type(value)


@pytest.mark.parametrize(("text", "value"), [
    ("down${i}", "down3"), ("${i}", 3), ("${[i, i]}", [3, 3]), ("up${i + 1}_conv", "up4_conv"),
    ("${i/2}", 1.5), ("a$${b}", "a${b}"), ("cost $5", "cost $5"), ("${pad}", "same"), ("${flag}", True),
])
def test_interpolation_keeps_the_type_of_a_whole_value_and_writes_values_into_text(text: str,
                                                                                  value: object) -> None:
    assert interpolate(text, {"i": 3, "pad": "same", "flag": True}) == value


@pytest.mark.parametrize(("text", "message"), [
    ("x.__class__", "attribute access ('.') is not allowed"),
    ("__class__", "unknown name '__class__'"),
    ("__import__(os)", "unknown function or name '__import__'"),
    ("__import__('os')", "no strings"),
    ("getattr(x, 1)", "unknown function or name 'getattr'"),
    ("10^10^10", "number too large"),
    ("2^1000000000000", "number too large"),
    ("9" * 40, "too large"),
    ("1e400", "too large"),
    ("(" * 10_000 + "1" + ")" * 10_000, "longer than 500 characters"),
    ("(" * 40 + "1" + ")" * 40, "nested more than 32 deep"),
    ("-" * 40 + "1", "nested more than 32 deep"),
    ("[" * 40 + "1" + "]" * 40, "nested more than 32 deep"),
    ("1" + "+1" * 150, "more than 200 tokens"),
    ("1:1e9", "range of 1000000000 elements"),
    ("prod(1:4000)", "number too large"),
    ("2**3", "use ^ for powers"),
    ("x[1]", "index with parentheses"),
    ("x(4)", "out of range 1..3"),
    ("x(0)", "out of range"),
    ("1/0", "division by zero"),
    ("(-8)^(1/3)", "negative number to a fractional power"),
    ("x*x", "matrix product"),
    ("'a'", "no strings"),
    ("n == 1", "no assignment or comparison"),
    ("1 +", "ends too early"),
    ("end", "inside an index"),
    ("prod", "is a function"),
    ("lambda: 1", "unknown name 'lambda'"),
])
def test_hostile_or_wrong_expressions_are_refused_quickly(text: str, message: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ExprError) as err:
        evaluate(text, {"x": [1, 2, 3], "n": 5})
    assert message in err.value.message
    assert time.perf_counter() - start < 1.0


# ----- hostile specs through the command line: one line, exit 2, bounded time and memory ----------------
HOSTILE = {
    "attribute": ('InputSize: "${x.__class__}"', "attribute access"),
    "dunder": ('InputSize: "${__class__.__bases__}"', "attribute access"),
    "dunder_name": ('InputSize: "${__import__}"', "unknown name '__import__'"),
    "power": ('InputSize: "${10^10^10}"', "number too large"),
    "deep": ('InputSize: "${' + "(" * 10_000 + "1" + ")" * 10_000 + '}"', "longer than 4096 characters"),
    "long": ('Name: "' + "a${1}" * 2_000 + '"', "longer than 4096 characters"),
    "range": ('InputSize: "${1:10^9}"', "range of 1000000000 elements"),
    "unclosed": ('InputSize: "${8"', "'${' without its closing '}'"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_values_in_a_spec_exit_2_in_one_line(case: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    value, message = HOSTILE[case]
    path = spec(tmp_path, f"layers:\n  - {{type: imageInputLayer, {value}}}\n")
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(SpecError):
        load_spec(path)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    code, out, err = cli(capsys, "analyze", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert re.match(rf"error: {re.escape(str(path))}:2:\d+: ", err), err
    assert message in err
    assert len(err) < 400  # the offending text is shortened
    assert elapsed < 5.0 and peak < 50e6, (elapsed, peak)  # generous: a runaway takes minutes


@pytest.mark.parametrize(("body", "message"), [
    ("layers:\n  - {type: imageInputLayer, InputSize: [8, 8, 1]}\n  - {type: reluLayer, repeat: 100000000}\n",
     ":3: 'repeat' of 100,000,000 (limit 1,000)"),
    ("layers:\n  - {type: imageInputLayer, InputSize: [8, 8, 1]}\n  - {type: reluLayer, repeat: \"${10^9}\"}\n",
     "'repeat' of 1,000,000,000"),
    ("layers:\n  - {type: imageInputLayer, InputSize: [8, 8, 1]}\n  - {type: reluLayer, repeat: -1}\n",
     "'repeat' must be a whole number ≥ 0"),
    # nested repeats multiply: the expansion stops at 10,000 layers, instances and connections
    ("blocks:\n  many:\n    layers:\n      - {type: reluLayer, repeat: 1000}\n"
     "layers:\n  - {type: imageInputLayer, InputSize: [8, 8, 1]}\n  - {block: many, repeat: 1000}\n",
     "expands to more than 10,000 layers"),
    # each expression is bounded, and so is their sum
    ("layers:\n  - {type: imageInputLayer, InputSize: [8, 8, 1]}\n"
     "  - {type: functionLayer, PredictFcn: feature2image, Arguments: \"${1:4000}\", repeat: 1000}\n",
     "the spec needs more than 500,000 steps to expand"),
    # a block using itself, directly or through another
    ("blocks:\n  a:\n    layers:\n      - {block: a}\nlayers:\n  - {block: a}\n", "block 'a' uses itself (a → a)"),
    ("blocks:\n  a:\n    layers:\n      - {block: b}\n  b:\n    layers:\n      - {block: a}\n"
     "layers:\n  - {block: a}\n", "block 'a' uses itself (a → b → a)"),
    # YAML aliases that multiply (a 'billion laughs' document)
    ("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdef", "bcdefg")) + "layers: []\n",
     "more than 200,000 values"),
])
def test_runaway_specs_are_refused_in_one_line(body: str, message: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    path = spec(tmp_path, body)
    start = time.perf_counter()
    with pytest.raises(SpecError):
        load_spec(path)
    assert time.perf_counter() - start < 5.0
    code, _, err = cli(capsys, "analyze", str(path))
    assert code == 2 and err.count("\n") == 1 and message in err, err


def test_unquoted_expression_in_flow_style_gets_a_hint(tmp_path: Path) -> None:
    path = spec(tmp_path, "params: {n: 8}\nlayers:\n  - {type: imageInputLayer, InputSize: ${n}}\n")
    with pytest.raises(SpecError, match=r'spec.yaml:3: YAML syntax error: .*quote a \$\{\.\.\.\} value'):
        load_spec(path)


# ----- params, blocks, repeat ------------------------------------------------------------------------
RES = """
params:
  inputSize: [8, 8, 4]
  numFilters: 4
  numBlocks: 2
blocks:
  residual:                      # x + F(x): the input feeds conv1 and add/in2
    params: [numFilters]
    inputs: {in: [conv1, add/in2]}
    layers:
      - {type: convolution2dLayer, Name: conv1, FilterSize: 3, NumFilters: "${numFilters}", Padding: same}
      - {type: reluLayer}
      - {type: convolution2dLayer, Name: conv2, FilterSize: 3, NumFilters: "${numFilters}", Padding: same}
      - {type: additionLayer, Name: add}
layers:
  - {type: imageInputLayer, Name: image, InputSize: "${inputSize}", Normalization: none}
  - {block: residual, Name: "res${i}", repeat: "${numBlocks}", numFilters: "${numFilters}"}
  - {type: reluLayer, Name: out}
"""


def test_blocks_chain_like_layer_arrays_and_feed_every_destination_of_an_input(tmp_path: Path) -> None:
    lg = load_spec(spec(tmp_path, RES))
    assert names(lg) == ["image", "res1_conv1", "res1_relu", "res1_conv2", "res1_add",
                         "res2_conv1", "res2_relu", "res2_conv2", "res2_add", "out"]
    assert lg.inputs_of("res1_conv1") == {"in": "image"} and lg.inputs_of("res1_add") == {
        "in1": "res1_conv2", "in2": "image"}
    assert lg.inputs_of("res2_add") == {"in1": "res2_conv2", "in2": "res1_add"}
    assert lg.inputs_of("out") == {"in": "res2_add"}
    # the same network written out by hand
    flat = """
    layers:
      - {type: imageInputLayer, Name: image, InputSize: [8, 8, 4], Normalization: none}
      - {type: convolution2dLayer, Name: res1_conv1, FilterSize: 3, NumFilters: 4, Padding: same}
      - {type: reluLayer, Name: res1_relu}
      - {type: convolution2dLayer, Name: res1_conv2, FilterSize: 3, NumFilters: 4, Padding: same}
      - {type: additionLayer, Name: res1_add, inputs: [res1_conv2, image]}
      - {type: convolution2dLayer, Name: res2_conv1, FilterSize: 3, NumFilters: 4, Padding: same}
      - {type: reluLayer, Name: res2_relu}
      - {type: convolution2dLayer, Name: res2_conv2, FilterSize: 3, NumFilters: 4, Padding: same}
      - {type: additionLayer, Name: res2_add, inputs: [res2_conv2, res1_add]}
      - {type: reluLayer, Name: out}
    """
    assert lg == load_spec(spec(tmp_path, flat, "flat.yaml"))
    assert len(load_spec(spec(tmp_path, RES), numBlocks=5).Layers) == 2 + 5 * 4
    assert copy.deepcopy(lg) == lg and pickle.loads(pickle.dumps(lg)) == lg  # the lines that remember blocks
    assert len(load_spec(spec(tmp_path, RES), numBlocks=0).Layers) == 2


def test_outputs_inputs_nesting_and_references_to_instances(tmp_path: Path) -> None:
    path = spec(tmp_path, """
        params: {n: 2}
        blocks:
          stage:                        # two outputs: the feature map before and after pooling
            params: {numFilters: ~, k: 3}
            outputs: {out: pool, features: relu}
            layers:
              - {type: convolution2dLayer, Name: conv, FilterSize: "${k}", NumFilters: "${numFilters}", Padding: same}
              - {type: reluLayer, Name: relu}
              - {type: maxPooling2dLayer, Name: pool, PoolSize: 2, Stride: 2}
          encoder:                      # a block made of blocks
            params: [width]
            outputs: {out: s2, skip: s2/features}
            layers:
              - {block: stage, Name: s1, numFilters: "${width}"}
              - {block: stage, Name: s2, numFilters: "${2*width}", k: 1}
        layers:
          - {type: imageInputLayer, Name: image, InputSize: [8, 8, 1]}
          - {block: encoder, Name: enc, width: "${n}"}
          - {type: transposedConv2dLayer, Name: up, FilterSize: 2, NumFilters: 2, Stride: 2}
          - {type: depthConcatenationLayer, Name: cat, NumInputs: 2}
        connections:
          - [enc/skip, cat/in2]
        """)
    lg = load_spec(path)
    assert names(lg)[:7] == ["image", "enc_s1_conv", "enc_s1_relu", "enc_s1_pool", "enc_s2_conv", "enc_s2_relu",
                             "enc_s2_pool"]
    assert lg.layer("enc_s2_conv").FilterSize == (1, 1) and lg.layer("enc_s2_conv").NumFilters == 4
    assert lg.inputs_of("up") == {"in": "enc_s2_pool"}
    assert lg.inputs_of("cat") == {"in1": "up", "in2": "enc_s2_relu"}
    assert analyzeNetwork(lg, Plots="none")["issues"] == []


def test_chaining_follows_the_out_of_a_block_that_does_not_end_with_it(tmp_path: Path) -> None:
    path = spec(tmp_path, """
        blocks:
          side:
            outputs: {out: a}
            layers:
              - {type: reluLayer, Name: a}
              - {type: tanhLayer, Name: b}
        layers:
          - {type: imageInputLayer, Name: image, InputSize: [4, 4, 1]}
          - {block: side, Name: s}
          - {type: sigmoidLayer, Name: after}
        """)
    lg = load_spec(path)
    assert lg.inputs_of("after") == {"in": "s_a"} and lg.inputs_of("s_b") == {"in": "s_a"}
    assert sorted(lg.OutputNames) == ["after", "s_b"]


def test_unnamed_instances_take_matlab_automatic_names_over_the_whole_list(tmp_path: Path) -> None:
    path = spec(tmp_path, """
        blocks:
          up:
            params: [n]
            layers:
              - {type: transposedConv2dLayer, FilterSize: 2, NumFilters: "${n}", Stride: 2}
              - {type: batchNormalizationLayer}
              - {type: reluLayer}
        layers:
          - {type: imageInputLayer, InputSize: [2, 2, 8]}
          - {block: up, repeat: [8, 4], index: n2, n: "${n2}"}
          - {type: reluLayer, Name: relu_2x}
        """)
    assert names(load_spec(path)) == ["imageinput", "transposed-conv_1", "batchnorm_1", "relu_1",
                                      "transposed-conv_2", "batchnorm_2", "relu_2", "relu_2x"]


def test_repeated_connections_and_instance_inputs_wire_a_unet(tmp_path: Path) -> None:
    path = spec(tmp_path, """
        params: {depth: 3}
        blocks:
          up:
            inputs: {in: tconv, skip: cat/in2}
            layers:
              - {type: transposedConv2dLayer, Name: tconv, FilterSize: 2, NumFilters: 2, Stride: 2}
              - {type: depthConcatenationLayer, Name: cat}
        layers:
          - {type: imageInputLayer, Name: image, InputSize: [16, 16, 2]}
          - {type: maxPooling2dLayer, Name: "down${i}", PoolSize: 2, Stride: 2, repeat: "${depth}"}
          - {block: up, Name: "up${k}", repeat: "${depth:-1:1}", index: k}
        connections:
          - {from: "down${i - 1}", to: "up${i}/skip", repeat: "${2:depth}"}
          - [image, up1/skip]
        """)
    lg = load_spec(path)
    assert lg.inputs_of("up3_cat") == {"in1": "up3_tconv", "in2": "down2"}
    assert lg.inputs_of("up2_cat") == {"in1": "up2_tconv", "in2": "down1"}
    assert lg.inputs_of("up1_cat") == {"in1": "up1_tconv", "in2": "image"}
    assert analyzeNetwork(lg, Plots="none")["issues"] == []


@pytest.mark.parametrize(("text", "message"), [
    # errors inside a block name the block's line and the instance's line
    ("""
     params: {nf: 8}
     blocks:
       down:
         params: [numFilters]
         layers:
           - {type: convolution2dLayer, Name: conv, FilterSize: 3, NumFilters: "${numFilter}", Padding: same}
     layers:
       - {type: imageInputLayer, InputSize: [8, 8, 1]}
       - {block: down, Name: "d${i}", repeat: 2, numFilters: "${nf*i}"}
     """, r"spec.yaml:6:78 \(block 'down', instance 'd1' at line 9; i=1\): unknown name 'numFilter'; did you "
          r"mean 'numFilters'\?: '\$\{numFilter\}'"),
    ("""
     blocks:
       down:
         layers:
           - {type: reluLayer, Name: relu, Scale: 3}
     layers:
       - {type: imageInputLayer, InputSize: [8, 8, 1]}
       - {block: down, Name: d1}
     """, r"spec.yaml:4 \(block 'down', instance 'd1' at line 7\): layer #2 'd1_relu': reluLayer: unknown option "
          r"'Scale'"),
    ("""
     layers:
       - {type: imageInputLayer, InputSize: [8, 8, 1]}
       - {type: reluLayer, Name: relu, repeat: 2}
     """, r"spec.yaml:3 \(i=2\): layer 'relu': duplicate name \(first used at line 3 \(i=1\)\)"),
    ("""
     params: {n: 1}
     layers:
       - {type: imageInputLayer, Name: image, InputSize: [8, 8, 1]}
       - {type: reluLayer, inputs: [imgae]}
     """, r"spec.yaml:4: 'imgae': no layer or block instance named 'imgae'; did you mean 'image'\?"),
    ("""
     blocks:
       down:
         params: [numFilters]
         layers: [{type: reluLayer}]
     layers:
       - {type: imageInputLayer, InputSize: [8, 8, 1]}
       - {block: down, numFilter: 3}
     """, r"spec.yaml:7: block 'down' has no parameter 'numFilter'; did you mean 'numFilters'\?"),
    ("""
     blocks:
       down:
         params: [numFilters]
         layers: [{type: reluLayer}]
     layers:
       - {type: imageInputLayer, InputSize: [8, 8, 1]}
       - {block: down}
     """, r"spec.yaml:7: block 'down' needs the parameter 'numFilters'"),
    ("""
     layers:
       - {type: imageInputLayer, InputSize: [8, 8, 1]}
       - {block: dwn}
     blocks:
       down: {layers: [{type: reluLayer}]}
     """, r"spec.yaml:3: unknown block 'dwn'; did you mean 'down'\?"),
    ("""
     blocks:
       up: {inputs: {in: a, skip: b/in2}, layers: [{type: reluLayer, Name: a}, {type: additionLayer, Name: b}]}
     layers:
       - {type: imageInputLayer, Name: image, InputSize: [8, 8, 1]}
       - {block: up, Name: u, inputs: {skp: image}}
     """, r"spec.yaml:5: block 'up' has no input 'skp' \(inputs: in, skip\)"),
    ("""
     blocks:
       up: {layers: [{type: reluLayer, Name: a}]}
     layers:
       - {type: imageInputLayer, Name: image, InputSize: [8, 8, 1]}
       - {block: up, Name: u}
       - {type: reluLayer, inputs: [u/features]}
     """, r"spec.yaml:6: 'u/features': block instance 'u' has no output 'features' \(outputs: out\)"),
    ("""
     params: {n: 8}
     layers:
       - {type: imageInputLayer, InputSize: [8, 8, 1]}
       - {type: reluLayer, repeat: 2, index: n}
     """, r"spec.yaml:4: the repeat index 'n' would hide the parameter 'n'"),
    ("""
     params: {prod: 8}
     layers: [{type: imageInputLayer, InputSize: [8, 8, 1]}]
     """, r"spec.yaml:1: parameter name 'prod' is taken by the expression language"),
    ("""
     params: {n: 8}
     layrs: []
     """, r"spec.yaml:2: unknown top-level key 'layrs'"),
])
def test_template_errors_name_file_line_and_where_in_the_blocks(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(spec(tmp_path, text))
    assert re.search(message, str(err.value)), str(err.value)
    assert "\n" not in str(err.value)


def test_network_errors_inside_a_block_point_at_the_block_and_the_instance(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture) -> None:
    path = spec(tmp_path, """
        blocks:
          res:
            params: [n]
            inputs: {in: [conv, add/in2]}
            layers:
              - {type: convolution2dLayer, Name: conv, FilterSize: 3, NumFilters: "${n}", Padding: same}
              - {type: additionLayer, Name: add}
        layers:
          - {type: imageInputLayer, InputSize: [8, 8, 1]}
          - {block: res, Name: r1, n: 4}
        """)
    code, out, _ = cli(capsys, "analyze", str(path), "--format", "json")
    issue = yaml.safe_load(out)["issues"][0]
    assert code == 1 and issue["layer"] == "r1_add" and "input sizes do not match" in issue["message"]
    assert issue["location"] == f"{path}:7 (block 'res', instance 'r1' at line 10)"


# ----- overrides and `layergraph expand` ----------------------------------------------------------------
def test_overrides_from_python_and_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = spec(tmp_path, RES)
    assert load_spec(path, numFilters=6).layer("res2_conv2").NumFilters == 6
    with pytest.raises(SpecError, match=r"unknown parameter 'numFilter' \(given in code\); did you mean"):
        load_spec(path, numFilter=6)
    with pytest.raises(SpecError, match=r"unknown parameter 'n' \(given in code\): the spec has no 'params:'"):
        load_spec(ROOT / "specs/cgan_flowers_generator.yaml", n=3)
    code, out, _ = cli(capsys, "analyze", str(path), "--set", "numFilters=2^3", "--set", "numBlocks=1",
                       "--set", "inputSize=[8, 8, 8]", "--format", "json")
    assert code == 0 and '"total_learnables": ' in out
    report = yaml.safe_load(out)
    assert [r["name"] for r in report["layers"]][-2:] == ["res1_add", "out"]
    assert report["layers"][1]["learnables"]["Weights"] == "3×3×8×8"
    code, _, err = cli(capsys, "analyze", str(path), "--set", "numFilters")
    assert code == 2 and "--set numFilters: write NAME=VALUE" in err
    code, _, err = cli(capsys, "analyze", str(path), "--set", "numFilters=${2^}")
    assert code == 2 and err.startswith(f"error: {path}: parameter 'numFilters' (--set): the expression ends too "
                                        "early: '${2^}'"), err
    code, out, _ = cli(capsys, "plot", str(path), "--format", "mermaid", "--set", "numBlocks=3")
    assert code == 0 and "res3_add" in out


def test_export_takes_overrides(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    onnx_path = tmp_path / "res.onnx"
    code, out, err = cli(capsys, "export", str(spec(tmp_path, RES)), "--onnx", str(onnx_path), "--set",
                         "numBlocks=3")
    assert code == 0, err
    assert "outputs out [N×4×8×8]" in out
    import onnx

    nodes = [n.name for n in onnx.load(str(onnx_path)).graph.node]
    assert any("res3_add" in n for n in nodes) and not any("res4" in n for n in nodes)


def test_expand_writes_the_flat_spec_that_loads_as_the_same_network(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    path = spec(tmp_path, RES)
    out = tmp_path / "flat.yaml"
    code, text, _ = cli(capsys, "expand", str(path), "--set", "numFilters=5", "-o", str(out))
    assert code == 0 and text == f"wrote {out} (10 layers)\n"
    written = out.read_text()
    assert written.startswith(f"# expanded from {path} with numFilters=5")
    assert "${" not in written and "params" not in written and "block" not in written
    assert load_spec(out) == load_spec(path, numFilters=5)
    # a flat spec expands to itself (every name written out)
    code, text, _ = cli(capsys, "expand", str(ROOT / "specs/cgan_digits_generator.yaml"))
    assert code == 0 and graph_from_data(load_yaml(text, "x"), "x") == load_spec(
        ROOT / "specs/cgan_digits_generator.yaml")
    code, _, err = cli(capsys, "expand", str(path), "--set", "numBlocks=-1")
    assert code == 2 and "'repeat' must be a whole number" in err


def test_flat_specs_come_back_unchanged_and_expansion_is_fast() -> None:
    from layergraph.spec.expand import expand_spec
    from layergraph.spec.yamlsafe import read_yaml_file

    data = read_yaml_file(ROOT / "specs/cgan_flowers_generator.yaml")
    assert expand_spec(data, "x") is data
    template = read_yaml_file(ROOT / "specs/templates/cyclegan_resnet_generator.yaml")
    start = time.perf_counter()
    flat = flatten(template, "x", {"numResidualBlocks": 9})
    assert time.perf_counter() - start < 2.0  # a runaway guard; benchmarks/spec_expand.py measures it
    assert len(flat["layers"]) == 1 + 9 + 9 * 6 + 6 + 2
