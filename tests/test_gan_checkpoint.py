"""The one reader of a GAN training checkpoint (gan/checkpoint.py), the run's state it restores, and the
GAN-free Ctrl-C/SIGTERM handling of the training library (train/interrupt.py)."""
from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
import torch

from layergraph.cli.main import main
from layergraph.errors import SpecError
from layergraph.gan.checkpoint import read_checkpoint, restore_training
from layergraph.gan.config import load_config
from layergraph.gan.generate import Generator
from layergraph.gan.trainer import GANTrainer
from layergraph.train.checkpoint import load_checkpoint, save_checkpoint
from layergraph.train.interrupt import StopRequest
from tests.helpers import write_config

SPEC = ("layers:\n  - {type: featureInputLayer, inputSize: 2, name: in}\n"
        "  - {type: fullyConnectedLayer, outputSize: 3, name: fc}\n")


def _write(path: Path, meta: dict, tensors: dict | None = None) -> Path:
    save_checkpoint(path, tensors if tensors is not None else {"generator/fc/Weights": torch.zeros(3, 2),
                                                               "generator/fc/Bias": torch.zeros(3, 1)}, meta)
    return path


@pytest.mark.parametrize(("meta", "message"), [
    ({}, r"not a layergraph training checkpoint \(no 'generator_spec' in its metadata\)"),
    ({"discriminator_spec": SPEC}, r"has no 'generator' network \(it has: discriminator\)"),
    ({"generator_spec": 5}, r"metadata 'generator_spec' is int; expected the spec text"),
    ({"generator_spec": SPEC, "classes": [1, 2]}, r"metadata 'classes' must be a list of class names"),
    ({"generator_spec": SPEC, "conditional": "yes"}, r"metadata 'conditional' is 'yes'; expected true or false"),
])
def test_generate_and_the_commands_read_a_checkpoint_the_same_way(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                  meta: dict, message: str) -> None:
    path = _write(tmp_path / "c.safetensors", meta)
    with pytest.raises(SpecError, match=message):
        Generator(path)
    if "classes" in meta or "conditional" in meta:
        return  # only `generate` needs the classes; the other commands read the networks
    assert main(["plot", str(path), str(tmp_path / "p.mmd"), "--format", "mermaid"]) == 2
    assert re.search(f"{re.escape(str(path))}: .*{message}", capsys.readouterr().err)


def test_the_reader_gives_the_spec_and_the_weights_that_make_images(tmp_path: Path) -> None:
    w = torch.arange(6.0).reshape(3, 2)
    path = _write(tmp_path / "c.safetensors", {"generator_spec": SPEC},
                  {"generator/fc/Weights": torch.zeros(3, 2), "generator/fc/Bias": torch.ones(3, 1),
                   "generator_average/fc/Weights": w})
    saved = read_checkpoint(path)
    assert saved.spec("generator") == SPEC
    got = saved.weights("generator")  # the averaged learnables over the live ones
    assert torch.equal(got["fc/Weights"], w) and torch.equal(got["fc/Bias"], torch.ones(3, 1))
    with pytest.raises(SpecError, match=r"has no 'discriminator/…' weights"):
        saved.weights("discriminator")


def test_resume_restores_the_state_the_checkpoint_holds(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path, maxIterations=3, generatorAverageDecay=0.9, precision="fp32"))
    first = GANTrainer(cfg)
    first.run()
    tensors, meta = load_checkpoint(first.checkpoint_path())
    again = GANTrainer(cfg)
    restored = restore_training(first.checkpoint_path(), again.info(), again.nets(),
                                again.feed.batches_per_epoch, again.device)
    st = restored.state
    assert (st.iteration, st.epoch, st.batch) == (meta["iteration"], meta["epoch"], meta["batch"]) == (3, 1, 3)
    assert st.history.score_g == meta["history"]["scoreG"] and len(st.history.iteration) == 3
    for mine, theirs in zip(st.averageG, first.state.averageG):
        assert torch.equal(mine, theirs)
    for name in ("avgG", "avgSqG", "avgD", "avgSqD"):
        for a, b in zip(getattr(st, name).Value, getattr(first.state, name).Value):
            assert torch.equal(a, b)
    assert torch.equal(restored.rng["torch"], tensors["rng/torch"]) and restored.precision == "fp32"


def test_stop_request_first_signal_asks_second_stops_and_handlers_come_back() -> None:
    said: list[str] = []
    before = signal.getsignal(signal.SIGTERM)
    stop = StopRequest(said.append)
    with stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested and said == ["SIGTERM: stopping after this iteration (SIGTERM again to stop at once)"]
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) is before
