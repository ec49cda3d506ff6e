"""The example scripts in examples/ run end to end as they stand (tiny folder, a few iterations)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers import write_digits

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("examples") / "digits"
    write_digits(path, per_class=40, classes=3)
    return path


def run(script: str, *args: str) -> str:
    res = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], capture_output=True, text=True,
                         timeout=600, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    return res.stdout


def test_cgan_example(folder: Path, tmp_path: Path) -> None:
    out = run("train_cgan.py", str(folder), "--small", "--max-iterations", "2", "--out", str(tmp_path))
    assert "Iteration: 1" in out
    grid = np.asarray(Image.open(tmp_path / "generated.png"))
    assert grid.shape[:2] == (5 * 32, 3 * 32)  # 5 images per class (rows), 3 classes (columns)
    assert (tmp_path / "class_0.png").exists()


def test_gan_example(folder: Path, tmp_path: Path) -> None:
    out = run("train_gan.py", str(folder), "--small", "--max-iterations", "2", "--out", str(tmp_path))
    assert "Iteration: 1" in out
    assert np.asarray(Image.open(tmp_path / "new_images.png")).shape[:2] == (5 * 32, 5 * 32)


def test_keras_vanilla_gan_example(folder: Path, tmp_path: Path) -> None:
    out = run("keras_vanilla_gan.py", str(folder), "--iterations", "2", "--out", str(tmp_path))
    assert "iteration 2:" in out
    assert np.asarray(Image.open(tmp_path / "samples.png")).shape[:2] == (4 * 64, 4 * 64)
