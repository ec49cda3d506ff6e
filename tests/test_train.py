"""`layergraph train` / `generate` end to end on a tiny digits folder: losses move, checkpoints round-trip,
resume equals an uninterrupted run, bad configs and non-finite losses stop cleanly."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from layergraph.errors import SpecError
from layergraph.gan.config import load_config
from layergraph.gan.generate import grid_picture
from layergraph.gan.trainer import GANTrainer, TrainingStoppedError
from layergraph.train.checkpoint import AVERAGE, load_checkpoint
from tests.helpers import weights, write_config, write_digits


def test_short_cgan_run_trains_and_checkpoints(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path))
    trainer = GANTrainer(cfg)
    before = {k: v.clone() for k, v in trainer.netG.tensors().items()}
    ckpt = trainer.run()
    _, meta = load_checkpoint(ckpt)
    # 3 classes × 12 images = 36, batch 8 → 4 iterations per epoch (partial batch discarded), 2 epochs
    assert meta["iteration"] == 8
    assert meta["classes"] == ["0", "1", "2"]
    assert len(meta["history"]["scoreG"]) == 8
    assert len(set(np.round(meta["history"]["scoreD"], 6))) > 1, "discriminator score never changed"
    after = trainer.netG.tensors()
    assert any(not torch.equal(before[k], after[k]) for k in before), "generator weights did not change"
    assert (Path(cfg.output) / "progress.png").stat().st_size > 1000
    # the checkpoint round-trips into a fresh trainer bit for bit
    again = GANTrainer(cfg)
    again.restore(ckpt)
    for k, v in trainer.netD.tensors().items():
        assert torch.equal(v, again.netD.tensors()[k]), k


@pytest.mark.parametrize("decay", [0.0, 0.9])
def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path: Path, decay: float) -> None:
    full = load_config(write_config(tmp_path, generatorAverageDecay=decay), output=str(tmp_path / "full"))
    GANTrainer(full).run()
    # stop after 6 iterations (mid-epoch 2), then resume to the end
    part = load_config(write_config(tmp_path, generatorAverageDecay=decay), output=str(tmp_path / "part"),
                       maxIterations=6)
    GANTrainer(part).run()
    assert load_checkpoint(tmp_path / "part/checkpoint.safetensors")[1]["iteration"] == 6
    rest = load_config(write_config(tmp_path, generatorAverageDecay=decay), output=str(tmp_path / "part"))
    GANTrainer(rest).run(resume=True)
    a, b = weights(tmp_path / "full/checkpoint.safetensors"), weights(tmp_path / "part/checkpoint.safetensors")
    assert a.keys() == b.keys()
    assert any(k.startswith(AVERAGE) for k in a) == (decay > 0)
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs after resume"


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path), checkpointFrequency=2)
    trainer = GANTrainer(cfg)
    real_step = trainer._train_step

    def step(X: torch.Tensor, T: torch.Tensor | None) -> tuple[float, float, float, float]:
        out = real_step(X, T)
        return out if trainer.state.iteration < 5 else (out[0], out[1], float("nan"), out[3])

    trainer._train_step = step
    with pytest.raises(TrainingStoppedError, match=r"non-finite loss at iteration 5.*iteration 4"):
        trainer.run()
    _, meta = load_checkpoint(Path(cfg.output) / "checkpoint.safetensors")
    assert meta["iteration"] == 4


def test_generate_writes_a_grid_and_per_class_folders(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path), maxIterations=2)
    ckpt = GANTrainer(cfg).run()
    exe = [sys.executable, "-m", "layergraph", "generate", str(ckpt)]
    subprocess.run([*exe, "-n", "4", "--zoom", "1", "--out", str(tmp_path / "grid.png")], check=True,
                   capture_output=True)
    grid = np.asarray(Image.open(tmp_path / "grid.png"))
    # one row per class, 4 images each, 2-pixel white gaps, a label strip on the left
    assert grid.shape[0] == 3 * (16 + 2) + 2 and grid.shape[1] > 4 * (16 + 2) + 2
    subprocess.run([*exe, "-n", "2", "--label", "1", "--out", str(tmp_path / "imgs")], check=True,
                   capture_output=True)
    assert sorted(p.name for p in (tmp_path / "imgs").iterdir()) == ["1"]
    assert len(list((tmp_path / "imgs/1").glob("*.png"))) == 2
    bad = subprocess.run([*exe, "--label", "cat", "--out", str(tmp_path / "x.png")], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "label 'cat'" in bad.stderr and "Traceback" not in bad.stderr


def test_config_errors_name_file_line_and_option(tmp_path: Path) -> None:
    path = write_config(tmp_path, numEpochz=3)
    with pytest.raises(SpecError, match=r"train\.yaml:\d+: option 'numEpochz': unknown option"):
        load_config(path)
    path = write_config(tmp_path, learnRate=-1)
    with pytest.raises(SpecError, match=r"train\.yaml:\d+: option 'learnRate'"):
        load_config(path)
    res = subprocess.run([sys.executable, "-m", "layergraph", "train", str(path)], capture_output=True, text=True)
    assert res.returncode == 2 and "learnRate" in res.stderr and "Traceback" not in res.stderr


def test_cli_folders_are_relative_to_the_working_directory(tmp_path: Path) -> None:
    """`--output` and `--data` typed on the command line mean what the shell means; paths inside the config
    stay relative to the config file."""
    conf_dir = tmp_path / "configs"
    conf_dir.mkdir()
    path = write_config(conf_dir, data="nowhere", maxIterations=2, numEpochs=1)
    work = tmp_path / "a" / "work"
    work.mkdir(parents=True)
    write_digits(tmp_path / "a" / "mydata")
    res = subprocess.run([sys.executable, "-m", "layergraph", "train", str(path), "--output", "out", "--data",
                          "../mydata"], cwd=work, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (work / "out" / "checkpoint.safetensors").exists()
    assert not (conf_dir / "out").exists()


def test_generator_average_follows_the_moving_average_and_makes_the_images(tmp_path: Path) -> None:
    """generatorAverageDecay β: avg ← β·avg + (1 − β)·θ after every step, starting from the initial weights;
    the checkpoint keeps the live weights for training and the average for `generate` and `export`."""
    from layergraph.cli.cmd_export import load_network
    from layergraph.gan.generate import Generator

    cfg = load_config(write_config(tmp_path, generatorAverageDecay=0.8), maxIterations=5)
    trainer = GANTrainer(cfg)
    keys = [f"{lay}/{par}" for lay, par in zip(trainer.netG.Learnables.Layer, trainer.netG.Learnables.Parameter)]
    expect = {k: v.detach().double().numpy().copy() for k, v in zip(keys, trainer.netG.Learnables.Value)}
    real_step = trainer._train_step

    def step(X: torch.Tensor, T: torch.Tensor | None) -> tuple[float, float, float, float]:
        out = real_step(X, T)
        for k, v in zip(keys, trainer.netG.Learnables.Value):
            expect[k] = 0.8 * expect[k] + 0.2 * v.detach().double().numpy()
        return out

    trainer._train_step = step
    ckpt = trainer.run()
    tensors, _ = load_checkpoint(ckpt)
    for k in keys:
        np.testing.assert_allclose(tensors[f"{AVERAGE}/{k}"].double().numpy(), expect[k], rtol=1e-5, atol=1e-7)
        assert torch.equal(tensors[f"generator/{k}"], trainer.netG.tensors()[k])  # live weights, for --resume
    assert any(not np.allclose(tensors[f"generator/{k}"].numpy(), expect[k]) for k in keys)
    for net in (Generator(ckpt).net, load_network(str(ckpt))[0]):
        made = net.tensors()
        for k in keys:
            np.testing.assert_allclose(made[k].detach().double().numpy(), expect[k], rtol=1e-5, atol=1e-7)
        for k in made:
            if k not in keys:  # batch-norm statistics come from the live network
                assert torch.equal(made[k], tensors[f"generator/{k}"])


def test_grid_picture_has_gaps_row_labels_and_the_images_untouched() -> None:
    rng = np.random.default_rng(1)
    imgs = rng.uniform(0, 0.8, (6, 8, 8, 1))  # never white, so gap pixels are told apart from tiles
    pic = grid_picture(imgs, 2, 3, zoom=2, row_labels=["zero", "one"])
    gap, th = 2, 16
    strip = pic.shape[1] - (3 * (th + gap) + gap)
    assert pic.shape == (2 * (th + gap) + gap, strip + 3 * (th + gap) + gap) and pic.dtype == np.uint8
    assert strip > 10  # room for the class names
    tiles = np.zeros(pic.shape, bool)
    for i in range(6):
        top, left = gap + (i // 3) * (th + gap), strip + gap + (i % 3) * (th + gap)
        want = (np.clip(imgs[i, :, :, 0], 0, 1) * 255 + 0.5).astype(np.uint8).repeat(2, 0).repeat(2, 1)
        np.testing.assert_array_equal(pic[top:top + th, left:left + th], want)
        tiles[top:top + th, left:left + th] = True
    assert (pic[~tiles & (np.arange(pic.shape[1]) >= strip)[None, :]] == 255).all()  # gaps: background only
    for r in range(2):  # each row's band of the label strip holds dark text, the rest of the strip is white
        band = pic[gap + r * (th + gap): gap + r * (th + gap) + th, :strip]
        assert (band < 128).sum() > 5
    assert (pic[:gap, :strip] == 255).all()
    plain = grid_picture(imgs, 2, 3, zoom=1)  # no labels: no strip
    assert plain.shape == (2 * (8 + 2) + 2, 3 * (8 + 2) + 2)
    colour = grid_picture(np.repeat(imgs, 3, axis=3), 2, 3, zoom=2, row_labels=["zero", "one"])
    assert colour.shape == (*pic.shape, 3) and (colour[..., 0] == pic).all()
