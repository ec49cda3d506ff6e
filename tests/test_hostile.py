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
