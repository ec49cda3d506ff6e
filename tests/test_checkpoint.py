"""Checkpoints: safetensors round trip, atomic replacement, one-line errors, optimizer-state Tables."""
from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
import torch

import layergraph.train.checkpoint as ckpt
from layergraph.errors import LayergraphError, SpecError
from layergraph.table import Table
from layergraph.train.checkpoint import (
    CheckpointError,
    flatten_state,
    flatten_table,
    load_checkpoint,
    save_checkpoint,
    unflatten_state,
    unflatten_table,
)
from layergraph.train.optimizers import adamupdate


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Bitwise equality (NaNs and -0.0 included), plus dtype and shape."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    def raw(t: torch.Tensor) -> bytes:
        return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    return raw(a) == raw(b)


def sample_tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    weights = torch.randn(6, 4, generator=g)
    weights[0, 0] = float("nan")
    weights[0, 1] = -0.0
    return {
        "net/fc/Weights": weights,
        "net/fc/Bias": torch.randn(6, generator=g).to(torch.float16),
        "net/bn/Scale": torch.randn(3, generator=g).to(torch.bfloat16),
        "state/bn/TrainedMean": torch.randn(3, generator=g, dtype=torch.float64),
        "counts": torch.arange(5, dtype=torch.int64),
        "mask": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 7),
        "a_view": weights[2:4],  # shares memory with weights: must still save
        "transposed": weights.T,  # not contiguous: must still save
    }


META = {"iteration": 1400, "epoch": 50, "learnRate": 2e-4, "names": ["G", "D"],
        "nested": {"flipFactor": 0.3, "ok": True, "none": None}, "text": "λ ü ✓"}


def test_round_trip_is_bitwise_and_ordered(tmp_path):
    path = tmp_path / "run.safetensors"
    tensors = sample_tensors()
    save_checkpoint(path, tensors, META)
    loaded, meta = load_checkpoint(path)
    assert list(loaded) == list(tensors)  # the caller's order, not safetensors' sorted order
    for name, t in tensors.items():
        assert same_bits(loaded[name], t.contiguous()), name
    assert meta == META
    assert sorted(os.listdir(tmp_path)) == ["run.safetensors"]


def test_file_is_plain_safetensors_with_json_metadata(tmp_path):
    """Readable by safetensors itself; header metadata carries meta as a JSON string; no pickle anywhere."""
    from safetensors import safe_open

    path = tmp_path / "c.safetensors"
    save_checkpoint(path, {"w": torch.ones(2, 2)}, {"step": 3})
    with safe_open(str(path), framework="pt") as f:
        assert json.loads(f.metadata()["layergraph.meta"]) == {"step": 3}
        assert torch.equal(f.get_tensor("w"), torch.ones(2, 2))
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    assert raw[8:9] == b"{" and json.loads(raw[8:8 + n])["w"]["dtype"] == "F32"


def test_parameters_and_subclasses_are_stored_as_plain_tensors(tmp_path):
    p = torch.nn.Parameter(torch.randn(3))
    save_checkpoint(tmp_path / "p.safetensors", {"p": p})
    loaded, meta = load_checkpoint(tmp_path / "p.safetensors")
    assert type(loaded["p"]) is torch.Tensor and torch.equal(loaded["p"], p.detach())
    assert meta == {}


def test_failed_write_leaves_old_file_and_no_temp_files(tmp_path, monkeypatch):
    """A crash midway through writing: the old checkpoint is byte-for-byte intact, no temp file remains."""
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, {"w": torch.zeros(3)}, {"iteration": 1})
    before = path.read_bytes()

    def crash(tmp, tensors, metadata):
        with open(tmp, "wb") as f:
            f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{partial")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(ckpt, "_write_tensors", crash)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint(path, {"w": torch.ones(3)}, {"iteration": 2})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]
    tensors, meta = load_checkpoint(path)
    assert meta == {"iteration": 1} and torch.equal(tensors["w"], torch.zeros(3))


def test_interrupt_before_rename_leaves_old_file(tmp_path, monkeypatch):
    """Even a KeyboardInterrupt at the rename leaves the old file and cleans the temp file up."""
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, {"w": torch.zeros(3)}, {"iteration": 1})
    before = path.read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(ckpt.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {"w": torch.ones(3)}, {"iteration": 2})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_overwrite_replaces_contents(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, {"w": torch.zeros(3)}, {"i": 1})
    save_checkpoint(path, {"v": torch.ones(2)}, {"i": 2})
    tensors, meta = load_checkpoint(path)
    assert list(tensors) == ["v"] and meta == {"i": 2}


def one_line_error(path, **kwargs) -> str:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert isinstance(info.value, SpecError) and isinstance(info.value, LayergraphError)
    return message


@pytest.mark.parametrize("cut", [4, 30, -1, -20])
def test_truncated_file_error_names_file(tmp_path, cut):
    good = tmp_path / "good.safetensors"
    save_checkpoint(good, {"w": torch.randn(64), "b": torch.randn(8)}, {"i": 1})
    raw = good.read_bytes()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(raw[:cut])
    message = one_line_error(bad)
    assert "truncated" in message or "too short" in message


def test_missing_and_foreign_files(tmp_path):
    assert "not found" in one_line_error(tmp_path / "nope.safetensors")
    text = tmp_path / "notes.txt"
    text.write_text("this is not a checkpoint, just some words in a file")
    assert "not a safetensors checkpoint" in one_line_error(text)
    assert "folder" in one_line_error(tmp_path)


def test_pickle_file_is_refused_not_executed(tmp_path):
    """A torch.save (pickle) file is reported as not safetensors; nothing in it is unpickled."""
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    assert "not a safetensors checkpoint" in one_line_error(path)


def test_bad_header_json(tmp_path):
    path = tmp_path / "x.safetensors"
    header = b"{not json!}"
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    assert "not JSON" in one_line_error(path)


def test_meta_must_be_json(tmp_path):
    with pytest.raises(CheckpointError, match="JSON"):
        save_checkpoint(tmp_path / "c.safetensors", {"w": torch.ones(1)}, {"bad": object()})
    assert os.listdir(tmp_path) == []


# --- Tables and optimizer state ---------------------------------------------------------------------------

def learnables() -> Table:
    g = torch.Generator().manual_seed(1)
    return Table(["conv_1", "conv_1", "fc/odd%name"], ["Weights", "Bias", "Weights"],
                 [torch.nn.Parameter(torch.randn(4, 3, 5, 5, generator=g)),
                  torch.nn.Parameter(torch.randn(4, generator=g)),
                  torch.nn.Parameter(torch.randn(2, 8, generator=g))])


class Net:
    def __init__(self, table: Table) -> None:
        self._table = table

    @property
    def Learnables(self) -> Table:
        return self._table


def test_state_keys_are_stable_and_escaped():
    state = learnables().map(torch.zeros_like)
    keys = list(flatten_state("avgG", state))
    assert keys == ["opt/avgG/conv_1/Weights", "opt/avgG/conv_1/Bias", "opt/avgG/fc%2Fodd%25name/Weights"]
    assert next(iter(flatten_table("netG", learnables()))) == "netG/conv_1/Weights"
    assert flatten_state("vel", None) == {} and flatten_state("vel", []) == {}


def test_state_tables_round_trip_through_file(tmp_path):
    table = learnables()
    avg = table.map(lambda t: torch.randn_like(t))
    tensors = {**flatten_table("netG", table), **flatten_state("avgG", avg),
               **flatten_state("vel", [torch.ones(2), torch.zeros(3)]),
               **flatten_state("dictstate", {"w/1": torch.ones(1)})}
    save_checkpoint(tmp_path / "c.safetensors", tensors, {"iteration": 7})
    loaded, meta = load_checkpoint(tmp_path / "c.safetensors")
    assert meta == {"iteration": 7}

    back = unflatten_state("avgG", loaded)  # no `like`: saved order
    assert back.keys() == table.keys()
    assert all(same_bits(a, b.detach()) for a, b in zip(back.Value, avg.Value, strict=True))
    shaped = unflatten_state("avgG", loaded, like=Net(table))
    assert shaped.keys() == table.keys() and shaped.shapes == table.shapes
    vel = unflatten_state("vel", loaded)
    assert isinstance(vel, list) and torch.equal(vel[1], torch.zeros(3))
    assert list(unflatten_state("dictstate", loaded)) == ["w/1"]
    assert unflatten_state("never_saved", loaded) is None
    params = unflatten_table("netG", loaded, like=table)
    assert all(torch.equal(a, b.detach()) for a, b in zip(params.Value, table.Value, strict=True))


def test_unflatten_against_a_different_network_names_the_row():
    table = learnables()
    saved = flatten_state("avgG", table)
    other = Table(["conv_1", "conv_1", "fc/odd%name", "extra"], ["Weights", "Bias", "Weights", "Bias"],
                  [*table.Value, torch.zeros(1)])
    with pytest.raises(CheckpointError, match=r"no 'opt/avgG/extra/Bias' for row \(Layer 'extra', Parameter 'Bias'\)"):
        unflatten_state("avgG", saved, like=other)
    smaller = Table(["conv_1"], ["Weights"], [table.Value[0]])
    with pytest.raises(CheckpointError, match=r"Layer 'conv_1', Parameter 'Bias'.*no such row"):
        unflatten_state("avgG", saved, like=smaller)
    resized = Table(table.Layer, table.Parameter, [table.Value[0], torch.zeros(5), table.Value[2]])
    with pytest.raises(CheckpointError, match=r"size \(4,\).*Parameter 'Bias'\) has size \(5,\)"):
        unflatten_state("avgG", saved, like=resized)


def test_resume_adam_from_checkpoint_equals_uninterrupted_run(tmp_path):
    """3 Adam steps, save, load, 3 more steps == 6 steps straight (bitwise)."""
    rng = np.random.default_rng(0)
    grads = [[torch.tensor(rng.standard_normal(t.shape), dtype=torch.float32) for t in learnables().Value]
             for _ in range(6)]

    def run(table, steps, avg=None, avg_sq=None, start=1):
        for it in range(start, start + steps):
            _, avg, avg_sq = adamupdate(table, table.like(grads[it - 1]), avg, avg_sq, it, 0.01)
        return avg, avg_sq

    straight = learnables()
    run(straight, 6)

    resumed = learnables()
    avg, avg_sq = run(resumed, 3)
    path = tmp_path / "resume.safetensors"
    save_checkpoint(path, {**flatten_table("net", resumed), **flatten_state("avgG", avg),
                           **flatten_state("avgSqG", avg_sq)}, {"iteration": 3})
    loaded, meta = load_checkpoint(path)
    fresh = learnables()
    for p, v in zip(fresh.Value, unflatten_table("net", loaded, like=fresh).Value, strict=True):
        with torch.no_grad():
            p.copy_(v)
    run(fresh, 3, unflatten_state("avgG", loaded, like=fresh), unflatten_state("avgSqG", loaded, like=fresh),
        start=meta["iteration"] + 1)
    for a, b in zip(fresh.Value, straight.Value, strict=True):
        assert same_bits(a.detach(), b.detach())
