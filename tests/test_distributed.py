"""Two CPU processes under torchrun (gloo on loopback) train like one process on the same global batch."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from layergraph.train.checkpoint import load_checkpoint
from tests.helpers import write_digits

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.trains  # compares weights between runs: run again under the other simulated CPU


def config(tmp: Path, out: str) -> Path:
    data = tmp / "digits"
    if not data.exists():
        write_digits(data)
    path = tmp / f"{out}.yaml"
    path.write_text(
        f"generator: {HERE / 'specs/tiny_gen.yaml'}\ndiscriminator: {HERE / 'specs/tiny_dis.yaml'}\n"
        f"data: {data}\noutput: {tmp / out}\nimageSize: [16, 16]\nnumEpochs: 2\nminiBatchSize: 8\n"
        "flipFactor: 0.25\nvalidationFrequency: 100\ncheckpointFrequency: 100\nseed: 5\n"
        "augmentation: {RandXReflection: true}\nexecutionEnvironment: cpu\nprecision: fp32\n")
    return path


def run(cmd: list[str]) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr


def test_two_gloo_processes_match_one_process(tmp_path: Path) -> None:
    run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "layergraph", "train", str(config(tmp_path, "ddp"))])
    run([sys.executable, "-m", "layergraph", "train", str(config(tmp_path, "single"))])
    ddp, meta = load_checkpoint(tmp_path / "ddp/checkpoint.safetensors")
    single, meta1 = load_checkpoint(tmp_path / "single/checkpoint.safetensors")
    assert meta["world_size"] == 2 and meta1["world_size"] == 1
    # both ranks hold identical weights (rank 0 gathered every rank's weight sum)
    assert len(meta["rank_checksums"]) == 2 and meta["rank_checksums"][0] == meta["rank_checksums"][1]
    assert meta["iteration"] == meta1["iteration"] == 8
    keys = [k for k in single if k.startswith(("generator/", "discriminator/"))]
    assert keys
    for k in keys:
        torch.testing.assert_close(ddp[k], single[k], rtol=1e-4, atol=1e-5, msg=k)


def test_ddp_with_batch_norm_embedding_and_dropout_keeps_ranks_in_step_and_resumes(tmp_path: Path) -> None:
    """The demo's CGAN (batch norm, embeddings, dropout) under two ranks: DDP keeps the learnables identical on
    both ranks, and a torchrun run resumes from its checkpoint."""
    data = tmp_path / "digits"
    write_digits(data)
    path = tmp_path / "cgan.yaml"
    path.write_text(
        f"generator: {HERE.parent / 'specs/cgan_digits_generator.yaml'}\n"
        f"discriminator: {HERE.parent / 'specs/cgan_digits_discriminator.yaml'}\n"
        f"data: {data}\noutput: {tmp_path / 'out'}\nimageSize: [16, 16]\nnumEpochs: 2\nminiBatchSize: 8\n"
        "validationFrequency: 100\ncheckpointFrequency: 100\nseed: 2\ngeneratorAverageDecay: 0.9\n"
        "executionEnvironment: cpu\nprecision: fp32\n")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                "-m", "layergraph", "train", str(path)]
    run([*torchrun, "--max-iterations", "3"])
    run([*torchrun, "--resume"])
    tensors, meta = load_checkpoint(tmp_path / "out/checkpoint.safetensors")
    assert meta["world_size"] == 2 and meta["iteration"] == 8
    assert meta["rank_checksums"][0] == meta["rank_checksums"][1]
    assert all(torch.isfinite(v).all() for v in tensors.values() if v.is_floating_point())
