"""Ctrl-C at random moments, twice: a checkpoint is only ever written between whole iterations, the second Ctrl-C
writes nothing, and resuming (or starting again when nothing was saved) ends bit-exactly where the uninterrupted
run ends. Real SIGINTs from a timer thread, delivered wherever the main thread happens to be."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from layergraph.gan.config import load_config
from layergraph.gan.trainer import GANTrainer
from layergraph.train.checkpoint import load_checkpoint
from tests.helpers import tiny_config, weights

TRIALS = 24
PER_EPOCH = 4  # 36 images, mini-batches of 8


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch):
    """One torch thread (tiny tensors: several times faster on a busy machine) and no progress figures (they
    cost more than the steps and are not what is tested)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setattr(GANTrainer, "write_progress", lambda self, elapsed: None)
    yield
    torch.set_num_threads(threads)


def consistent(path: Path) -> int:
    """The checkpoint's iteration, after checking it was taken between whole iterations."""
    _, meta = load_checkpoint(path)
    assert meta["iteration"] == (meta["epoch"] - 1) * PER_EPOCH + meta["batch"], meta
    return meta["iteration"]


def test_two_sigints_at_random_moments_then_resume_equals_the_uninterrupted_run(
        tmp_path: Path, quick: None, capsys: pytest.CaptureFixture) -> None:
    config = tiny_config(tmp_path, numEpochs=2, checkpointFrequency=3, validationFrequency=1000, precision="fp32")
    reference = GANTrainer(load_config(config, output=str(tmp_path / "ref")))
    start = time.perf_counter()
    reference.run()
    duration = time.perf_counter() - start
    want = weights(tmp_path / "ref/checkpoint.safetensors")
    landed = {"first": 0, "second": 0, "none": 0}
    previous = signal.signal(signal.SIGINT, lambda *_: None)  # a signal outside the run is ignored
    try:
        for seed in range(TRIALS):
            rng = random.Random(seed)
            out = tmp_path / f"trial{seed}"
            cfg = load_config(config, output=str(out))
            trainer = GANTrainer(cfg)
            # early enough to land within the run even when the machine's speed changes between runs; every odd
            # trial sends the second one a millisecond later (within the same iteration: 'stopped at once'), so
            # both paths are taken whatever the timing, while the even trials stay random
            first = rng.uniform(0.02, 0.5) * duration
            second = first + (1e-3 if seed % 2 else rng.uniform(0, 2 * duration / (2 * PER_EPOCH)))
            timers = [threading.Timer(t, os.kill, (os.getpid(), signal.SIGINT)) for t in (first, second)]
            for t in timers:
                t.start()
            try:
                trainer.run()
            except KeyboardInterrupt:
                pass
            finally:
                for t in timers:
                    t.cancel()
                    t.join()
            said = capsys.readouterr().err
            landed["second" if "stopped at once" in said else "first" if "interrupted at" in said else "none"] += 1
            ck = out / "checkpoint.safetensors"
            if "stopped at once" in said:  # nothing written by the second Ctrl-C: the disk holds an earlier one
                assert not ck.exists() or consistent(ck) <= trainer.state.iteration
            if ck.exists():
                consistent(ck)
            GANTrainer(load_config(config, output=str(out))).run(resume=ck.exists())
            got = weights(ck)
            assert got.keys() == want.keys()
            assert all(torch.equal(got[k], want[k]) for k in want), f"trial {seed}: resume differs ({said!r})"
            assert not [p for p in os.listdir(out) if ".part" in p]  # no temporary file left behind
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"interrupt trials: {landed}")
    assert landed["second"] >= 1 and landed["first"] >= 1, landed  # both paths were exercised


def test_sigterm_stops_the_cli_after_a_whole_iteration_with_a_checkpoint_and_the_run_resumes(tmp_path: Path) -> None:
    """A job scheduler's or `kill`'s SIGTERM is a first Ctrl-C: finish the iteration, checkpoint, exit 130."""
    config = tiny_config(tmp_path, numEpochs=10_000, checkpointFrequency=10**6, validationFrequency=10**6,
                         precision="fp32")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "layergraph", "train", str(config)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    assert proc.stderr is not None
    for line in proc.stderr:  # the first progress line: the loop is running
        if "Iteration" in line:
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    said = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, said
    flat = "".join(said.split())
    assert "SIGTERM:stoppingafterthisiteration" in flat and "interruptedatiteration" in flat, said
    ck = tmp_path / "run/checkpoint.safetensors"
    stopped = consistent(ck)
    assert stopped >= 1
    done = subprocess.run([*cmd, "--resume", "--max-iterations", str(stopped + 2)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"resumedfrom{ck}atiteration{stopped}" in "".join(done.stderr.split())  # the console wraps lines
    assert load_checkpoint(ck)[1]["iteration"] == stopped + 2
