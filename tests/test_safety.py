"""Issue 9, each failure pinned: an output that is an input, an existing folder or an unwritable folder is refused
before work; memory and time bombs are refused before allocating; bad input ends in one line with exit 2 and no
traceback; checkpoints with wrong counters, shapes or metadata are refused naming the entry. All in-process."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import onnx
import pytest
import torch
from onnx import TensorProto, helper

from layergraph.cli.main import main
from layergraph.safety.outputs import atomic_output, remove_stale_temps
from layergraph.train.checkpoint import load_checkpoint, save_checkpoint
from tests.helpers import TINY_D, TINY_G, write_digits

ROOT = Path(__file__).resolve().parents[1]
INPUT = "layers:\n  - {type: featureInputLayer, Name: in, InputSize: 4}\n"
IMAGE = "layers:\n  - {type: imageInputLayer, Name: in, InputSize: [8, 8, 1]}\n"
# 556 bytes that expand to 9^9 = 387 M strings when aliases are followed (the bomb: 5.4 GB, 46 s)
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))


def digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fails(capsys: pytest.CaptureFixture, argv: list[str], *expect: str) -> str:
    """Run the CLI in-process: exit 2, exactly one line on stderr, no traceback, containing each `expect`."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for text in expect:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "tests/specs/tiny_dis.yaml", "s.yaml")
    return tmp_path


# ----- 1. outputs never destroy inputs --------------------------------------------------------------------------
def test_outputs_that_are_inputs_are_refused_and_inputs_stay(here: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["export", "s.yaml", "--onnx", "m.onnx"]) == 0
    shutil.copy("s.yaml", "x.yaml")
    os.link("s.yaml", "hard.yaml")  # the same file under another name
    before = {p: digest(p) for p in ("s.yaml", "m.onnx", "x.yaml")}
    fails(capsys, ["import", "m.onnx", "--out", "o.yaml", "--weights", "m.onnx"], "--weights m.onnx", "input")
    fails(capsys, ["import", "m.onnx", "--out", "x.yaml", "--weights", "x.yaml"], "also the path of --out")
    fails(capsys, ["export", "s.yaml", "--onnx", "s.yaml"], "--onnx s.yaml", "input")
    fails(capsys, ["export", "s.yaml", "--onnx", "./sub/../s.yaml"], "input")
    fails(capsys, ["plot", "s.yaml", "s.yaml", "--format", "mermaid"], "is also an input")
    fails(capsys, ["plot", "s.yaml", "hard.yaml", "--format", "mermaid"], "is also an input")
    fails(capsys, ["expand", "s.yaml", "--out", "s.yaml"], "is also an input")
    fails(capsys, ["analyze", "s.yaml", "--html", "s.yaml"], "is also an input")
    assert {p: digest(p) for p in before} == before
    assert not Path("o.yaml").exists()


def test_existing_folders_and_empty_paths_are_refused(here: Path, capsys: pytest.CaptureFixture) -> None:
    Path("adir").mkdir()
    fails(capsys, ["expand", "s.yaml", "--out", "adir"], "existing folder")
    fails(capsys, ["export", "s.yaml", "--onnx", "adir"], "existing folder")
    fails(capsys, ["plot", "s.yaml", "adir", "--format", "mermaid"], "existing folder")
    fails(capsys, ["expand", "s.yaml", "--out", ""], "empty")
    fails(capsys, ["expand", "s.yaml", "--out", "/proc/x.yaml"], "cannot write in '/proc'")
    assert sorted(os.listdir("adir")) == []


def test_atomic_output_removes_its_temp_on_error_and_stale_ones_of_dead_processes(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["f.txt"]
    dead = tmp_path / ".f.txt.999999999-0123abcd.part.txt"  # as a SIGKILLed process of ours leaves it
    alive = tmp_path / f".f.txt.{os.getpid()}-0123abcd.part.txt"  # a writer of this process: left alone
    other = tmp_path / ".f.txt.tmp"  # not a name we make
    for p in (dead, alive, other):
        p.write_text("x")
    assert remove_stale_temps(target) == 1
    assert not dead.exists() and alive.exists() and other.exists()


# ----- 3. limits before work ------------------------------------------------------------------------------------
def spec(name: str, text: str) -> str:
    Path(name).write_text(text)
    return name


@pytest.mark.parametrize(("text", "expect"), [
    (BOMB, "200,000 values"),
    ("a: " + "[" * 1200 + "]" * 1200 + "\n", "nested more than 64 deep"),
    ("a: &a [*a]\n", "alias refers to a list or mapping that holds it"),
    ("layers: &a\n  - *a\n", "alias refers to a list or mapping that holds it"),
    (INPUT + '  - {type: reluLayer, Name: "r\x07"}\n', ":3: YAML text may not hold the control character U+0007"),
    (INPUT + "  - {type: reluLayer, Name: r\x00}\n", ":3: YAML text may not hold the control character U+0000"),
    (INPUT + "  - {type: additionLayer, Name: add, NumInputs: 1000000000}\n", "NumInputs must be at most 1,024"),
    (INPUT + "  - {type: additionLayer, Name: add, NumInputs: 1000000}\n", "NumInputs must be at most 1,024"),
    (INPUT + "  - {type: additionLayer, Name: add, NumInputs: 0}\n", "NumInputs must be a positive integer"),
    (IMAGE + "  - {type: convolution2dLayer, Name: c, FilterSize: [null, null], NumFilters: 2}\n", "'FilterSize'"),
    (IMAGE + "  - {type: convolution2dLayer, Name: c, FilterSize: [.inf, 3], NumFilters: 2}\n", "must be finite"),
    (IMAGE + "  - {type: convolution2dLayer, Name: c, FilterSize: 3, NumFilters: 2, Padding: [[1, 2]]}\n",
     "option 'Padding'"),
    (IMAGE + "  - {type: convolution2dLayer, Name: c, FilterSize: 3, NumFilters: 1.0e+300}\n", "at most 2^53"),
    (INPUT + "  - {type: functionLayer, Name: f, PredictFcn: feature2image}\n", "do not fit feature2image"),
    (IMAGE + "  - {type: batchNormalizationLayer, Name: b, Epsilon: .nan}\n", "Epsilon must be finite"),
    (IMAGE + "  - {type: leakyReluLayer, Name: l, Scale: .inf}\n", "Scale must be finite"),
    (IMAGE + "  - {type: convolution2dLayer, Name: c, FilterSize: true, NumFilters: 2}\n", "not true/false"),
    (IMAGE + "  - {type: convolution2dLayer, Name: c, FilterSize: 3, NumFilters: false}\n", "not true/false"),
    (IMAGE + "  - {type: reluLayer, Name: a/b}\n", "Name may not contain '/'"),
])
def test_bad_specs_are_one_line_errors(here: Path, capsys: pytest.CaptureFixture, text: str, expect: str) -> None:
    fails(capsys, ["analyze", spec("bad.yaml", text)], "bad.yaml", expect)


def test_only_regular_files_are_read(here: Path, capsys: pytest.CaptureFixture) -> None:
    os.mkfifo("fifo.yaml")
    fails(capsys, ["analyze", "/dev/zero"], "is a device; only regular files are read")
    fails(capsys, ["analyze", "fifo.yaml"], "is a FIFO")
    fails(capsys, ["expand", "fifo.yaml"], "is a FIFO")
    fails(capsys, ["analyze", "."], "is a folder")
    Path("big.yaml").write_bytes(b"# " + b"x" * (4 * 2**20))
    fails(capsys, ["analyze", "big.yaml"], "the limit is 4,194,304")


def test_huge_sizes_are_reported_by_analyze_and_refused_before_allocating(here: Path,
                                                                         capsys: pytest.CaptureFixture) -> None:
    spec("fc.yaml", INPUT + "  - {type: fullyConnectedLayer, Name: fc, OutputSize: 1000000000000}\n")
    assert main(["analyze", "fc.yaml", "--format", "json"]) == 0  # sizes are known without building anything
    assert json.loads(capsys.readouterr().out)["total_learnables"] == 5 * 10**12
    fails(capsys, ["export", "fc.yaml", "--onnx", "fc.onnx"], "fc.yaml", "layer 'fc'", "1,000,000,000,000 elements")
    assert not Path("fc.onnx").exists()


def test_argparse_errors_are_one_line(capsys: pytest.CaptureFixture) -> None:
    fails(capsys, ["train"], "layergraph train: the following arguments are required: config")
    fails(capsys, ["analyze", "s.yaml", "--format", "xml"], "invalid choice: 'xml'")
    fails(capsys, ["generate", "x", "-n", "abc"], "argument -n: -n: 'abc' is not a whole number")
    fails(capsys, ["nosuchcommand"], "invalid choice")


# ----- ONNX files: caps before anything is built ------------------------------------------------------------------
def test_onnx_huge_input_and_external_data_outside_the_folder(here: Path, capsys: pytest.CaptureFixture) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 100000, 100000])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 100000, 100000])
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "big", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, "big.onnx")
    fails(capsys, ["import", "big.onnx", "--out", "big.yaml"], "input 'x' would have 10,000,000,000 elements")
    Path("model").mkdir()
    Path("secret.bin").write_bytes(bytes(64))
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4], data_location=TensorProto.EXTERNAL)
    for key, value in (("location", "../secret.bin"), ("offset", "0"), ("length", "16")):
        w.external_data.add(key=key, value=value)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    model = helper.make_model(helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "ext", [x], [y], [w]),
                              opset_imports=[helper.make_opsetid("", 13)])
    Path("model/ext.onnx").write_bytes(model.SerializeToString())
    fails(capsys, ["import", "model/ext.onnx", "--out", "ext.yaml"], "'../secret.bin', outside the model's folder")
    fails(capsys, ["analyze", "model/ext.onnx"], "outside the model's folder")
    Path("trunc.onnx").write_bytes(Path("big.onnx").read_bytes()[:20])
    fails(capsys, ["import", "trunc.onnx", "--out", "t.yaml"], "trunc.onnx")


# ----- 2. training: configs, checkpoints, resume ------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny GAN trained for one epoch (4 iterations) in `<tmp>/run`."""
    tmp = tmp_path_factory.mktemp("trained")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is several times faster on a busy machine
    try:
        (tmp / "g.yaml").write_text(TINY_G)
        (tmp / "d.yaml").write_text(TINY_D)
        write_digits(tmp / "digits")
        config(tmp, "c.yaml")
        assert main(["train", str(tmp / "c.yaml")]) == 0
    finally:
        torch.set_num_threads(threads)
    return tmp


def config(tmp: Path, name: str, **extra: object) -> str:
    opts: dict[str, object] = {"generator": "g.yaml", "discriminator": "d.yaml", "data": "digits", "output": "run",
                               "imageSize": [16, 16], "numEpochs": 1, "miniBatchSize": 8, "precision": "fp32",
                               "validationFrequency": 100, "checkpointFrequency": 100, "seed": 3}
    opts.update(extra)
    text = "".join(f"{k}: {v if isinstance(v, str) and v.startswith('.') else json.dumps(v)}\n"
                   for k, v in opts.items())
    (tmp / name).write_text(text)
    return str(tmp / name)


@pytest.mark.parametrize(("extra", "expect"), [
    ({"learnRate": ".inf"}, "'learnRate' = inf is invalid: learnRate must be finite"),
    ({"gradientDecayFactor": ".nan"}, "gradientDecayFactor must be finite"),
    ({"miniBatchSize": True}, "miniBatchSize must be a number, not true/false"),
    ({"executionEnvironment": "gpu"}, "'gpu' was requested but no CUDA device is available"),
    ({"seed": 2**63}, "option 'seed'"),
    ({"output": "/proc/lg-out"}, "cannot write in '/proc'"),
    ({"output": "digits"}, "is also an input"),
    ({"output": "c.yaml"}, "exists and is not a folder"),
])
def test_bad_training_configs_stop_before_work(trained: Path, capsys: pytest.CaptureFixture, extra: dict,
                                               expect: str) -> None:
    if extra.get("executionEnvironment") == "gpu" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    path = config(trained, "bad.yaml", **extra)
    before = sorted(os.listdir(trained))
    fails(capsys, ["train", path], expect)
    assert sorted(os.listdir(trained)) == before  # no output folder was made


def test_resuming_a_finished_run_does_nothing(trained: Path, capsys: pytest.CaptureFixture) -> None:
    ck = trained / "run/checkpoint.safetensors"
    before = digest(ck)
    assert main(["train", str(trained / "c.yaml"), "--resume"]) == 0
    assert "already finished (iteration 4" in capsys.readouterr().err.replace("\n", " ")
    assert digest(ck) == before


def test_generate_refuses_what_would_not_fit(trained: Path, capsys: pytest.CaptureFixture) -> None:
    ck = trained / "run/checkpoint.safetensors"
    before = digest(ck)
    out = trained / "gen.png"
    fails(capsys, ["generate", ck, "-n", 10**9, "--out", out], "-n must be from 1 to 10,000")
    fails(capsys, ["generate", ck, "--zoom", 100000, "--out", out], "--zoom must be from 1 to 1,024")
    fails(capsys, ["generate", ck, "--seed", 2**63, "--out", out], "--seed must be from 0")
    fails(capsys, ["generate", ck, "--out", ""], "--out: the output path is empty")
    fails(capsys, ["generate", ck, "--out", ck], "is also an input")
    fails(capsys, ["generate", ck, "-n", 10000, "--zoom", 64, "--out", out], "pixels", "the limit is 67,108,864")
    assert digest(ck) == before and not out.exists()


def tamper(trained: Path, name: str, tensors: dict | None = None, **meta: object) -> Path:
    """A copy of the trained checkpoint in `<tmp>/<name>/` with tensors replaced and metadata changed (None
    removes a key)."""
    saved, old = load_checkpoint(trained / "run/checkpoint.safetensors")
    new = {k: v for k, v in {**old, **meta}.items() if v is not None}
    (trained / name).mkdir(exist_ok=True)
    path = trained / name / "checkpoint.safetensors"
    save_checkpoint(path, {**saved, **(tensors or {})}, new)
    return path


@pytest.mark.parametrize(("name", "change", "expect"), [
    ("shape", {"tensors": {"generator/proj/Weights": torch.zeros(1)}},
     "tensor 'generator/proj/Weights' has shape [1] but the network's has [128, 8]"),
    ("counter", {"iteration": 3, "epoch": 1, "batch": 2}, "(iteration 3, epoch 1, batch 2) does not fit 4 iterations"),
    ("itertext", {"iteration": "x"}, "metadata 'iteration' is 'x'"),
    ("iterbool", {"iteration": True}, "metadata 'iteration' is True"),
    ("noepoch", {"epoch": None}, "metadata 'epoch' is missing"),
    ("history", {"history": [1, 2]}, "metadata 'history' is list"),
    ("elapsed", {"elapsed": "soon"}, "metadata 'elapsed'"),
])
def test_resume_refuses_checkpoints_that_do_not_fit(trained: Path, capsys: pytest.CaptureFixture, name: str,
                                                    change: dict, expect: str) -> None:
    path = tamper(trained, name, **change)
    before = digest(path)
    fails(capsys, ["train", config(trained, f"{name}.yaml", output=name, numEpochs=2), "--resume"], str(path), expect)
    assert digest(path) == before


@pytest.mark.parametrize(("meta", "expect"), [
    ({"generator_spec": BOMB}, "generator_spec:5: the document holds more than 200,000 values"),
    ({"generator_spec": 12}, "metadata 'generator_spec' is int"),
    ({"classes": "abc"}, "metadata 'classes' must be a list"),
    ({"conditional": "yes"}, "metadata 'conditional'"),
])
def test_bad_checkpoint_metadata_is_one_line(trained: Path, capsys: pytest.CaptureFixture, meta: dict,
                                             expect: str) -> None:
    path = tamper(trained, "meta", **meta)
    fails(capsys, ["generate", path, "--out", trained / "g.png"], expect)
    if "generator_spec" in meta:
        fails(capsys, ["analyze", path], expect)
