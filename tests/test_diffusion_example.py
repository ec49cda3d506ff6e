"""examples/diffusion_digits.py runs end to end (a tiny digits folder, two iterations, three noise steps)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tests.test_examples import run
from tests.test_train import write_digits


def test_diffusion_example_trains_and_samples(tmp_path: Path) -> None:
    write_digits(tmp_path / "digits", per_class=24, classes=3)  # 72 images: one mini-batch of 64
    out = run("diffusion_digits.py", str(tmp_path / "digits"), "--iterations", "2", "--steps", "3", "--out",
              str(tmp_path / "run"))
    assert "Iteration: 1, Loss:" in out
    grid = np.asarray(Image.open(tmp_path / "run" / "generated.png"))
    assert grid.shape[:2] == (10 * 16, 10 * 16)  # 100 generated 16×16 digits, tiled
    assert grid.std() > 0  # not a constant image
