"""imtile, rescale, cat, imwrite, imageDataAugmenter and the built-in digits, against independent numpy versions.

MATLAB behaviour pinned here (MathWorks reference pages for rescale, imtile, imageDataAugmenter):
- rescale(A, l, u, InputMin=a, InputMax=b) clips A to [a, b] and maps it linearly onto [l, u]; a and b default to
  min(A(:)) and max(A(:)); the doc's examples rescale(1:5) = [0 .25 .5 .75 1] and
  rescale([-30 1 2 3 4 5 70], InputMin=1, InputMax=5) = [0 0 .25 .5 .75 1 1] are reproduced literally.
- imtile fills the grid row by row; without GridSize the grid is roughly square (montage's rule: columns =
  ceil(sqrt(h·n/w)), rows = ceil(n/columns) — recalled from the toolbox source, not re-read here).
- imageDataAugmenter's RandXReflection mirrors left-right with probability 0.5, RandYReflection up-down.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from layergraph.cli.main import main as cli_main
from layergraph.data import (
    Categorical,
    cat,
    imageDataAugmenter,
    imread,
    imtile,
    imwrite,
    rescale,
    write_digits,
)
from layergraph.dlarray import dlarray
from layergraph.errors import DataError, OptionError

# --- imtile -------------------------------------------------------------------------------------------------------

def _frames(h: int, w: int, c: int, b: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.random((h, w, c, b)).astype(np.float32)


def test_imtile_matches_hand_tiling_row_by_row() -> None:
    X = _frames(3, 4, 3, 5)
    out = imtile(X, GridSize=[2, 3])
    blank = np.zeros((3, 4, 3), np.float32)
    f = [X[:, :, :, k] for k in range(5)]
    expected = np.concatenate([np.concatenate([f[0], f[1], f[2]], axis=1),
                               np.concatenate([f[3], f[4], blank], axis=1)], axis=0)
    assert out.shape == (6, 12, 3)
    np.testing.assert_array_equal(out, expected)
    # torch data in MATLAB layout (what extractdata returns) and a formatted dlarray give the same picture
    np.testing.assert_array_equal(imtile(torch.from_numpy(X), GridSize=[2, 3]), expected)
    np.testing.assert_array_equal(imtile(dlarray(X, "SSCB"), GridSize=[2, 3]), expected)
    # 'GridSize' as a name-value pair, and one NaN entry computed
    np.testing.assert_array_equal(imtile(X, "GridSize", [2, math.nan]), expected)


def test_imtile_default_grid_and_border() -> None:
    assert imtile(_frames(2, 2, 1, 25)).shape == (10, 10, 1)  # 5×5
    assert imtile(_frames(2, 2, 1, 10)).shape == (6, 8, 1)  # ceil(sqrt(10)) = 4 columns, 3 rows
    assert imtile(_frames(2, 4, 1, 8)).shape == (8, 8, 1)  # wide frames: 2 columns, 4 rows
    X = _frames(2, 2, 1, 2)
    out = imtile(X, GridSize=[1, 2], BorderSize=[1, 1])
    assert out.shape == (4, 8, 1)
    np.testing.assert_array_equal(out[1:3, 5:7, 0], X[:, :, 0, 1])
    assert out[0].sum() == 0 and out[:, 0].sum() == 0


# --- rescale ------------------------------------------------------------------------------------------------------

def test_rescale_matches_the_formula_and_the_doc_examples() -> None:
    np.testing.assert_allclose(rescale(np.arange(1, 6)), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(rescale(np.arange(1, 6), -1, 1), [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_allclose(rescale(np.array([-30, 1, 2, 3, 4, 5, 70]), InputMin=1, InputMax=5),
                               [0, 0, 0.25, 0.5, 0.75, 1, 1])
    rng = np.random.default_rng(0)
    A = rng.integers(0, 256, (4, 5, 3, 2)).astype(np.uint8)
    R = rescale(A, -1, 1, "InputMin", 10, "InputMax", 200)
    expected = -1 + (np.clip(A.astype(np.float64), 10, 200) - 10) / 190 * 2
    assert R.dtype == np.float64 and R.shape == A.shape
    np.testing.assert_allclose(R, expected, rtol=0, atol=1e-12)
    T = rescale(torch.from_numpy(A), -1, 1, InputMin=10, InputMax=200)
    np.testing.assert_allclose(T.numpy(), expected, atol=1e-6)
    F = rng.normal(size=(3, 3)).astype(np.float32)
    RF = rescale(F)
    assert RF.dtype == np.float32
    np.testing.assert_allclose(RF, (F - F.min()) / (F.max() - F.min()), atol=1e-6)
    np.testing.assert_array_equal(rescale(np.full((2, 2), 7.0), 3, 4), np.full((2, 2), 3.0))


# --- cat ----------------------------------------------------------------------------------------------------------

def test_cat_uses_matlab_dimensions() -> None:
    rng = np.random.default_rng(1)
    imgs = [rng.integers(0, 256, (3, 2, 3), dtype=np.uint8) for _ in range(4)]
    X = cat(4, *imgs)
    assert X.shape == (3, 2, 3, 4) and X.dtype == np.uint8
    for k in range(4):
        np.testing.assert_array_equal(X[:, :, :, k], imgs[k])
    assert cat(1, 1, 2, 3).shape == (3, 1)
    assert cat(2, np.ones((2, 1)), np.zeros((2, 3))).shape == (2, 4)
    labels = Categorical(["b", "a", "b"])
    T = cat(1, *labels)
    assert T.shape == (3, 1) and np.asarray(T).ravel().tolist() == [2.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="dim 1"):
        cat(1, np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError):
        cat(0, np.ones(2))
    assert torch.equal(cat(4, torch.ones(2, 2, 1), torch.zeros(2, 2, 1)),
                       torch.stack([torch.ones(2, 2, 1), torch.zeros(2, 2, 1)], dim=3))


# --- imwrite / imread ---------------------------------------------------------------------------------------------

def test_imwrite_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    I = rng.random((5, 7, 3))
    I[0, 0] = [-0.5, 1.5, 0.5]  # out of range values are clipped, as MATLAB's imwrite does for double data
    imwrite(I, tmp_path / "f.png")
    back = np.array(Image.open(tmp_path / "f.png"))
    np.testing.assert_array_equal(back, np.rint(np.clip(I, 0, 1) * 255).astype(np.uint8))
    G = rng.integers(0, 256, (4, 3, 1), dtype=np.uint8)
    imwrite(torch.from_numpy(G), tmp_path / "g.png")
    np.testing.assert_array_equal(imread(tmp_path / "g.png"), G)
    with pytest.raises(DataError, match="nowhere"):
        imwrite(G, tmp_path / "nowhere" / "g.png")


# --- imageDataAugmenter -------------------------------------------------------------------------------------------

def _asymmetric(h: int = 5, w: int = 4, c: int = 2) -> np.ndarray:
    return (np.arange(h * w * c).reshape(h, w, c) * 3).astype(np.uint8)


def test_reflections_on_an_asymmetric_image() -> None:
    img = _asymmetric()
    rng = np.random.default_rng(0)
    x_aug = imageDataAugmenter(RandXReflection=True)
    outs = [x_aug.augment(img, rng) for _ in range(40)]
    mirrored = [np.array_equal(o, img[:, ::-1]) for o in outs]
    same = [np.array_equal(o, img) for o in outs]
    assert all(m or s for m, s in zip(mirrored, same)) and 5 < sum(mirrored) < 35
    y_aug = imageDataAugmenter("RandYReflection", True)
    outs = [y_aug.augment(img, rng) for _ in range(40)]
    flipped = [np.array_equal(o, img[::-1]) for o in outs]
    assert all(f or np.array_equal(o, img) for f, o in zip(flipped, outs)) and 5 < sum(flipped) < 35
    assert all(np.array_equal(imageDataAugmenter().augment(img, rng), img) for _ in range(5))


def test_rotation_translation_and_fill() -> None:
    img = _asymmetric(4, 4, 1)
    quarter = imageDataAugmenter(RandRotation=[90, 90]).augment(img)
    np.testing.assert_array_equal(quarter, np.rot90(img))  # counterclockwise, as displayed
    shifted = imageDataAugmenter(RandXTranslation=[1, 1], RandYTranslation=[-2, -2], FillValue=7).augment(img)
    expected = np.full_like(img, 7)
    expected[:2, 1:] = img[2:, :3]
    np.testing.assert_array_equal(shifted, expected)
    with pytest.raises(OptionError, match="RandRotation"):
        imageDataAugmenter(RandRotation=[10, -10])
    with pytest.raises(OptionError, match=r"imageDataAugmenter.*RandRot"):
        imageDataAugmenter(RandRot=[0, 1])


# --- built-in digits ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("digits")
    assert write_digits(folder, size=8) == 1797
    return folder


def test_digits_writer_writes_1797_pngs_in_10_folders(digits_folder: Path) -> None:
    from sklearn.datasets import load_digits

    folders = sorted(p.name for p in digits_folder.iterdir())
    assert folders == [str(d) for d in range(10)]
    files = sorted(digits_folder.rglob("*.png"))
    assert len(files) == 1797
    digits = load_digits()
    counts = {d: int((digits.target == int(d)).sum()) for d in folders}
    assert {d: len(list((digits_folder / d).iterdir())) for d in folders} == counts
    first = np.array(Image.open(digits_folder / str(digits.target[0]) / "img_0000.png"))
    np.testing.assert_array_equal(first, np.rint(digits.images[0] * 255 / 16).astype(np.uint8))


def test_digits_refuses_foreign_files_and_cli(digits_folder: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # a previous run's output may be written over
    assert write_digits(digits_folder, size=8) == 1797
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("keep me")
    with pytest.raises(DataError, match="not empty"):
        write_digits(mine)
    assert cli_main(["data", "digits", str(mine), "--size", "4"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert cli_main(["data", "digits", str(mine), "--size", "4", "--force"]) == 0
    assert (mine / "thesis.txt").read_text() == "keep me"
    out = capsys.readouterr().out.strip()
    assert out.startswith("wrote 1797") and "\n" not in out
    assert Image.open(mine / "0" / "img_0000.png").size == (4, 4)


def test_fast_uint8_warp_agrees_with_the_numpy_reference() -> None:
    from layergraph.data.augment import _warp_numpy, warp_affine

    aug = imageDataAugmenter(RandRotation=[-30, 30], RandScale=[0.8, 1.2], RandXShear=[-10, 10],
                             RandXTranslation=[-3, 3], RandYTranslation=[-3, 3], RandXReflection=True)
    rng = np.random.default_rng(7)
    for c in (1, 2, 3):
        img = rng.integers(0, 256, (9, 7, c), dtype=np.uint8)
        for _ in range(10):
            m = aug._matrix(aug._sample(rng), 9, 7, (1.0, 1.0))
            fast = warp_affine(img, m, [40.0])
            ref = _warp_numpy(img, np.linalg.inv(m), [40.0])
            assert fast.shape == img.shape and fast.dtype == np.uint8
            assert np.abs(fast.astype(int) - ref.astype(int)).max() <= 1  # fixed-point rounding in Pillow
