"""Issue 24, each class pinned by hand-picked cases (tests/test_fuzz_hostile.py generates many more): outputs
that are special files, `--import` shadowing, names from checkpoints reaching paths, numbers from text, caps.
Special files are made only inside each test's own temporary folder."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from layergraph.errors import SpecError
from layergraph.safety.outputs import atomic_output, refuse_special
from layergraph.train.checkpoint import save_checkpoint
from tests.hostile import ROOT, SPECIAL_KINDS, make_checkpoint, make_special, refused, run_cli, still_special


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "tests/specs/tiny_dis.yaml", "s.yaml")
    return tmp_path


# ----- 1. an output that exists and is not a regular file is refused, for every writer --------------------------
def writer_calls(tmp: Path, target: str) -> list[list[str]]:
    """Every command that writes a file, writing `target`."""
    return [["expand", "s.yaml", "-o", target], ["analyze", "s.yaml", "--html", target],
            ["compare", "s.yaml", "table.txt", "--html", target], ["plot", "s.yaml", target, "--format", "mermaid"],
            ["export", "s.yaml", "--onnx", target], ["generate", "ck.safetensors", "--out", target],
            ["import", "m.onnx", "--out", target], ["import", "m.onnx", "--out", "o.yaml", "--weights", target]]


@pytest.fixture
def writers_ready(here: Path, capsys: pytest.CaptureFixture) -> Path:
    assert run_cli(["export", "s.yaml", "--onnx", "m.onnx"], capsys)[0] == 0
    make_checkpoint(here / "ck.safetensors")
    Path("table.txt").write_text("1 'in' Image Input 28×28×1 images\n")
    return here


@pytest.mark.parametrize("kind", SPECIAL_KINDS)
def test_every_writer_refuses_a_special_file(writers_ready: Path, capsys: pytest.CaptureFixture, kind: str) -> None:
    target = make_special(writers_ready / f"x-{kind}.png", kind)
    for argv in writer_calls(writers_ready, target.name):
        err = refused(argv, capsys, target.name)
        assert {"device": "a device", "fifo": "a FIFO", "socket": "a socket"}[kind] in err, err
        assert still_special(target, kind)
    assert not Path("o.yaml").exists()  # checked before any work: the other output was not written either


def test_a_link_to_a_device_and_a_folder_output_that_is_special_are_refused(writers_ready: Path,
                                                                           capsys: pytest.CaptureFixture) -> None:
    dev = make_special(writers_ready / "null", "device")
    os.symlink(dev, "link.yaml")
    refused(["expand", "s.yaml", "-o", "link.yaml"], capsys, "is a device")
    fifo = make_special(writers_ready / "images", "fifo")
    refused(["generate", "ck.safetensors", "--out", "images"], capsys, "exists and is not a folder (a FIFO)")
    refused(["data", "digits", "images"], capsys, "not a folder")
    assert still_special(dev, "device") and still_special(fifo, "fifo")


def test_checkpoints_and_the_evaluator_cache_refuse_special_files(writers_ready: Path,
                                                                  capsys: pytest.CaptureFixture) -> None:
    run = writers_ready / "run"
    run.mkdir()
    fifo = make_special(run / "checkpoint.safetensors", "fifo")
    cfg = {"generator": str(ROOT / "tests/specs/tiny_gen.yaml"), "discriminator": "s.yaml", "data": "nodata",
           "output": "run", "precision": "fp32", "imageSize": [16, 16]}
    Path("t.yaml").write_text(json.dumps(cfg))
    refused(["train", "t.yaml"], capsys, "checkpoint", "is a FIFO")
    (writers_ready / "run2").mkdir()
    for name, label in (("progress.png", "progress figure"), ("evaluation.csv", "evaluation table")):
        sock = make_special(writers_ready / "run2" / name, "socket")
        refused(["train", "t.yaml", "--output", "run2"], capsys, label, "is a socket")
        assert still_special(sock, "socket")
        sock.unlink()
    with pytest.raises(SpecError, match="is a FIFO"):
        save_checkpoint(fifo, {"a": __import__("torch").zeros(1)})
    assert still_special(fifo, "fifo")
    cache = make_special(writers_ready / "digits.evaluator-16x16x1.safetensors", "device")
    Path("digits").mkdir()
    refused(["evaluate", "ck.safetensors", "--data", "digits"], capsys, "evaluator cache", "is a device")
    assert still_special(cache, "device")


def test_atomic_output_checks_again_before_the_rename(tmp_path: Path) -> None:
    """The path became a FIFO while the writer ran: the rename is refused and the temporary file removed."""
    target = tmp_path / "out.txt"
    with pytest.raises(SpecError, match="is a FIFO"), atomic_output(target) as tmp:
        tmp.write_text("x")
        os.mkfifo(target)
    assert still_special(target, "fifo") and sorted(os.listdir(tmp_path)) == ["out.txt"]
    refuse_special(tmp_path / "missing.txt")  # nothing there: fine
    with pytest.raises(SpecError, match="is an existing folder"):
        refuse_special(tmp_path)


# ----- 2. --import: the current folder never shadows an installed package; BaseExceptions are one line ----------
TRAP = "import pathlib\npathlib.Path({marker!r}).write_text('ran')\nraise SystemExit('shadowed!')\n"


def test_import_never_runs_a_shadowing_file_from_the_current_folder(tmp_path: Path) -> None:
    """A fresh interpreter (`python -m`, which itself puts the current folder first on the module path): the
    user's module and layergraph import the installed matplotlib/onnx/sklearn, never the traps beside them (a
    trap for a package layergraph imports at start, such as yaml, is Python's `-m` rule: `-P` or the
    `layergraph` command, which never put the current folder on the path, are safe from those too)."""
    import subprocess
    import sys

    for name in ("matplotlib", "onnx", "sklearn"):
        (tmp_path / f"{name}.py").write_text(TRAP.format(marker=str(tmp_path / f"ran-{name}")))
    (tmp_path / "benign.py").write_text("import matplotlib, onnx, sklearn\nBENIGN = 1\n")
    shutil.copy(ROOT / "tests/specs/tiny_dis.yaml", tmp_path / "s.yaml")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    res = subprocess.run([sys.executable, "-m", "layergraph", "--import", "benign", "plot", "s.yaml", "s.png"],
                         cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert not list(tmp_path.glob("ran-*"))
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("body", "expect"), [
    ("raise SystemExit(3)", "SystemExit: 3"),
    ("raise SystemExit", "SystemExit"),
    ("raise GeneratorExit('bye')", "GeneratorExit: bye"),
    ("class Odd(BaseException):\n    pass\nraise Odd('x')", "Odd: x"),
    ("import os\nos.chdir('/')\nraise ValueError('v')", "ValueError: v"),
    ("import helper_beside_it", "ModuleNotFoundError: No module named 'helper_beside_it'"),
])
def test_import_failures_are_one_line(here: Path, capsys: pytest.CaptureFixture, body: str, expect: str,
                                      request: pytest.FixtureRequest) -> None:
    name = f"usermod_{abs(hash(request.node.name)) % 10**8}"
    Path(f"{name}.py").write_text(body + "\n")
    Path("helper_beside_it.py").write_text("X = 1\n")
    cwd = os.getcwd()
    for form in (name, f"{name}.py"):
        refused(["--import", form, "analyze", "s.yaml"], capsys, f"--import {form}: {expect}")
        os.chdir(cwd)
        assert name not in __import__("sys").modules


@pytest.mark.parametrize(("name", "expect"), [
    ("", "the module name is empty"), ("a b", "neither a .py file nor a module name"),
    (".rel", "neither a .py file nor a module name"), ("no_such_mod_xyz", "no module named 'no_such_mod_xyz'"),
    ("json.py", "'json' is the name of an installed (or already imported) module"), ("sub/x.py", "file not found"),
    ("1x.py", "'1x' is not a Python module name"),
])
def test_import_names_that_cannot_be_imported(here: Path, capsys: pytest.CaptureFixture, name: str,
                                              expect: str) -> None:
    for file in ("json.py", "1x.py"):
        Path(file).write_text("raise SystemExit('must not run')\n")
    refused(["--import", name, "analyze", "s.yaml"], capsys, expect)


def test_import_of_an_installed_name_takes_the_installed_module(here: Path, capsys: pytest.CaptureFixture) -> None:
    Path("colorsys.py").write_text("raise SystemExit('shadowed')\n")
    assert run_cli(["--import", "colorsys", "analyze", "s.yaml"], capsys)[0] == 0
    Path("mypkg").mkdir()
    Path("mypkg/__init__.py").write_text("")
    Path("mypkg/fns.py").write_text("from . import helpers\nVALUE = helpers.X\n")
    Path("mypkg/helpers.py").write_text("X = 7\n")
    assert run_cli(["--import", "mypkg.fns", "analyze", "s.yaml"], capsys)[0] == 0
    assert __import__("sys").modules["mypkg.fns"].VALUE == 7


# ----- 3. names from checkpoints that become paths stay inside their folder --------------------------------------
@pytest.mark.parametrize(("name", "expect"), [
    ("../escaped", "holds a path separator"), ("..", "would lead out of its folder"), (".", "lead out"),
    ("/tmp/abs", "holds a path separator"), ("a\\b", "holds a path separator"), ("a\x00b", "control character"),
    ("tab\there", "control character"), ("", "non-empty"), ("x" * 256, "at most 255"), ("é" * 128, "256 bytes"),
])
def test_generate_refuses_class_names_that_are_not_plain_folder_names(here: Path, capsys: pytest.CaptureFixture,
                                                                     name: str, expect: str) -> None:
    make_checkpoint(here / "ck.safetensors", ["ok", name])
    refused(["generate", "ck.safetensors", "--out", "imgs", "-n", "1"], capsys, "class name", expect)
    assert not Path("imgs").exists() and not (here.parent / "escaped").exists()
    assert run_cli(["generate", "ck.safetensors", "--out", "grid.png", "-n", "1", "--label", "ok"], capsys)[0] == 0


def test_class_folders_through_links_and_duplicates_are_refused(here: Path, capsys: pytest.CaptureFixture) -> None:
    outside = here / "outside"
    outside.mkdir()
    Path("imgs").mkdir()
    os.symlink(outside, "imgs/b")
    make_checkpoint(here / "ck.safetensors", ["a", "b", "c"])
    refused(["generate", "ck.safetensors", "--out", "imgs", "-n", "1"], capsys, "'imgs/b' leads out of 'imgs'")
    make_checkpoint(here / "ck.safetensors", ["a", "a", "c"])
    refused(["generate", "ck.safetensors", "--out", "imgs", "-n", "1"], capsys, "name the same path")
    make_special(here / "imgs/c", "fifo")
    make_checkpoint(here / "ck.safetensors", ["a", "c"])
    refused(["generate", "ck.safetensors", "--out", "imgs", "-n", "1"], capsys, "imgs/c", "not a folder (a FIFO)")
    assert sorted(os.listdir(outside)) == [] and sorted(os.listdir("imgs")) == ["b", "c"]
    make_checkpoint(here / "ck.safetensors", ["zero", "one", "two"])
    assert run_cli(["generate", "ck.safetensors", "--out", "good", "-n", "2"], capsys)[0] == 0
    assert sorted(str(p.relative_to("good")) for p in Path("good").rglob("*.png")) == [
        f"{c}/image_000{i}.png" for c in ("one", "two", "zero") for i in (1, 2)]


# ----- 4. every number from text passes one parser with limits -------------------------------------------------
TEMPLATE = "params: {{k: 2}}\nlayers:\n  - {{type: featureInputLayer, Name: in, InputSize: {value}}}\n"
DIGITS = "7" * 5000  # beyond Python's int-string limit (4,300 digits)


@pytest.mark.parametrize(("value", "expect"), [
    ('"${numel(0:1e-320:1)}"', "range of more than 4096 elements"),
    ('"${numel(0:1e-300:1e-290)}"', "range of 10000000001 elements"),
    ('"${1/1e-320}"', "number too large"), ('"${0:5e-324:1}"', "range of more than 4096"),
    (f'"${{{"9" * 400}}}"', "is 400 characters long; the limit is 100"),
    (f'"${{1{"0" * 300}.5}}"', "is 303 characters long"), (f'"${{1.{"0" * 98}1}}"', "the limit is 100"),
    ('"${1e400}"', "too large for a double"), (DIGITS, "is 5,000 characters long; the limit is 100"),
    ("!!int '²'", "'²' is not a number"), ("!!float 'x'", "'x' is not a number"),
    (f"0x{'f' * 120}", "characters long; the limit is 100"),
])
def test_numbers_in_specs_are_one_line_errors(here: Path, capsys: pytest.CaptureFixture, value: str,
                                              expect: str) -> None:
    Path("t.yaml").write_text(TEMPLATE.format(value=value))
    refused(["analyze", "t.yaml"], capsys, "t.yaml:", expect)


def test_numbers_in_params_and_set_are_bounded(here: Path, capsys: pytest.CaptureFixture) -> None:
    Path("p.yaml").write_text("params: {k: 2, s: 1}\nlayers:\n"
                              "  - {type: featureInputLayer, Name: in, InputSize: '${numel(0:s:k)}'}\n")
    assert run_cli(["expand", "p.yaml"], capsys)[0] == 0
    refused(["expand", "p.yaml", "--set", "s=1e-320"], capsys, "range of more than 4096")
    refused(["expand", "p.yaml", "--set", f"k={DIGITS}"], capsys, "--set k=", "the limit is 100")
    refused(["expand", "p.yaml", "--set", "k=" + "1" * 30], capsys, "number too large (limit 1e+15)")
    Path("q.yaml").write_text("params: {k: 1.0e+300}\nlayers:\n  - {type: featureInputLayer, Name: in, "
                              "InputSize: '${k*k}'}\n")
    refused(["analyze", "q.yaml"], capsys, "number too large")


@pytest.mark.parametrize(("argv", "expect"), [
    (["evaluate", "ck.safetensors", "--data", "d", "--seed", str(2**64)], "--seed must be from 0 to"),
    (["evaluate", "ck.safetensors", "--data", "d", "--seed", DIGITS], "the limit is 100"),
    (["generate", "ck.safetensors", "--seed", "٣"], "'٣' is not an ASCII digit"),
    (["generate", "ck.safetensors", "-n", "²"], "'²' is not an ASCII digit"),
    (["generate", "ck.safetensors", "--zoom", "1e9"], "--zoom must be from 1 to 1,024"),
    (["generate", "ck.safetensors", "--label", "²"], "neither a class name"),
    (["generate", "ck.safetensors", "--label", DIGITS], "neither a class name"),
    (["generate", "ck.safetensors", "--label", "4"], "nor an index 1..3"),
    (["export", "s.yaml", "--onnx", "m.onnx", "--opset", "1" * 200], "the limit is 100"),
    (["train", "t.yaml", "--epochs", "1.5"], "must be a whole number"),
    (["data", "digits", "dd", "--size", "-0"], "--size must be from 1"),
])
def test_numbers_on_the_command_line(here: Path, capsys: pytest.CaptureFixture, argv: list[str],
                                     expect: str) -> None:
    make_checkpoint(here / "ck.safetensors")
    refused(argv, capsys, expect)


def test_label_indices_and_names(here: Path, capsys: pytest.CaptureFixture) -> None:
    make_checkpoint(here / "ck.safetensors", ["a", "b", "3"])
    for label in ("2", "+2", "2.0", "b", "3"):
        assert run_cli(["generate", "ck.safetensors", "--label", label, "-n", "1", "--out", "g.png"],
                       capsys)[0] == 0, label


def test_numbers_in_compare_tables_and_checkpoint_metadata(here: Path, capsys: pytest.CaptureFixture) -> None:
    Path("table.txt").write_text(f"{DIGITS}\tin\tFeature Input\t4 features\n")
    refused(["compare", "s.yaml", "table.txt"], capsys, "table.txt:1: row number", "5,000 characters long")
    Path("table.txt").write_text("²\tin\tFeature Input\t4 features\n")  # not a row: its number is no number
    refused(["compare", "s.yaml", "table.txt"], capsys, "no table rows found")
    make_checkpoint(here / "ck.safetensors", iteration=int("9" * 4000))
    refused(["generate", "ck.safetensors", "--out", "g.png"], capsys, "metadata holds", "the limit is 100")


# ----- 5. caps on counts that drive memory or time; markup in paths ---------------------------------------------
def test_name_lengths_are_capped_in_specs_and_template_instances(here: Path, capsys: pytest.CaptureFixture) -> None:
    head = "layers:\n  - {type: featureInputLayer, Name: in, InputSize: 4}\n"
    Path("long.yaml").write_text(head + f"  - {{type: reluLayer, Name: {'r' * 1025}}}\n")
    refused(["analyze", "long.yaml"], capsys, "Name is 1,025 characters long; the limit is 1,024")
    Path("ok.yaml").write_text(head + f"  - {{type: reluLayer, Name: {'r' * 1024}}}\n")
    assert run_cli(["analyze", "ok.yaml", "--format", "json"], capsys)[0] == 0
    # the issue's bomb, scaled down: a huge instance name copied into every layer of every repetition
    bomb = ("blocks:\n  b:\n    layers:\n      - {type: reluLayer, Name: 'r${i}', repeat: 900}\n"
            "layers:\n  - {type: featureInputLayer, Name: in, InputSize: 4}\n"
            f"  - {{block: b, Name: {'n' * 200_000}}}\n")
    Path("bomb.yaml").write_text(bomb)
    refused(["expand", "bomb.yaml"], capsys, "instance Name is 200,000 characters long")
    nested = ("blocks:\n  b:\n    layers:\n      - {type: reluLayer, Name: " + "x" * 1000 + "}\n"
              "layers:\n  - {type: featureInputLayer, Name: in, InputSize: 4}\n"
              "  - {block: b, Name: " + "y" * 30 + "}\n")
    Path("nested.yaml").write_text(nested)
    refused(["expand", "nested.yaml"], capsys, "is 1,031 characters long", "instance prefixes included")


def test_function_layer_ports_are_capped_like_addition_layers(here: Path, capsys: pytest.CaptureFixture) -> None:
    head = "layers:\n  - {type: featureInputLayer, Name: in, InputSize: 4}\n"
    for field in ("NumInputs", "NumOutputs"):
        for n in (1025, 100000):
            Path("f.yaml").write_text(head + f"  - {{type: functionLayer, Name: f, PredictFcn: feature2image, "
                                              f"Arguments: [[2, 2, 1]], {field}: {n}}}\n")
            refused(["analyze", "f.yaml"], capsys, f"{field} must be at most 1,024")
    from layergraph.layers import functionLayer

    assert functionLayer(lambda a, b: (a + b, a - b), NumInputs=2, NumOutputs=2).NumOutputs == 2
    with pytest.raises(Exception, match="at most 1,024"):
        functionLayer(lambda x: x, NumOutputs=1025)


def test_a_size_rule_that_raises_is_named_with_its_module(here: Path, capsys: pytest.CaptureFixture) -> None:
    Path("badrule_mod.py").write_text(
        "from layergraph import register_function\n\n"
        "def rule(inputs):\n    return {}['no such key']\n\n"
        "def odd(inputs):\n    return 42\n\n"
        "register_function('badrule_fn', output_size=rule)(lambda x: x)\n"
        "register_function('oddrule_fn', output_size=odd)(lambda x: x)\n")
    for fn, expect in (("badrule_fn", "failed: KeyError: 'no such key'"), ("oddrule_fn", "returned int, not a size")):
        Path("n.yaml").write_text("layers:\n  - {type: featureInputLayer, Name: in, InputSize: 4}\n"
                                  f"  - {{type: functionLayer, Name: f, PredictFcn: {fn}}}\n")
        from layergraph.cli.main import main

        code = main(["--import", "badrule_mod.py", "analyze", "n.yaml", "--format", "json"])
        out, err = capsys.readouterr()
        message = json.loads(out)["issues"][0]["message"] if code == 1 else err
        assert code in (1, 2) and "Traceback" not in err, err
        assert f"registered function '{fn}' (module badrule_mod)" in message and expect in message, message


def test_evaluate_caps_the_pixels_it_reads_and_generates(here: Path, capsys: pytest.CaptureFixture) -> None:
    """A generator of 4096×4096 images: refused from the file count, before one image is decoded."""
    from layergraph.errors import LimitError
    from layergraph.gan.evaluator import Evaluator

    for c in ("a", "b"):
        Path("d", c).mkdir(parents=True)
        for i in range(3):
            Path("d", c, f"{i}.png").write_bytes(b"not decoded")  # never opened: the count alone is refused
    with pytest.raises(LimitError, match=r"6 × 4,096 × 4,096 × 3|the limit is 134,217,728"):
        Evaluator(Path("d"), (4096, 4096), 3, cache=False)


def test_rich_markup_in_paths_is_printed_as_text(here: Path, capsys: pytest.CaptureFixture) -> None:
    folder = here / "a[/b]" / "[bold]x[/]"
    folder.mkdir(parents=True)
    shutil.copy("s.yaml", folder / "s.yaml")
    from layergraph.cli.main import main

    assert main(["analyze", str(folder / "s.yaml")]) == 0
    out, err = capsys.readouterr()
    assert not err and "a[/b]/[bold]x[/]/s.yaml" in "".join(out.split())  # printed as written (maybe wrapped)
