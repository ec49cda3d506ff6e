"""Small MATLAB functions the ported programs' own datastore classes use: table, randomCropWindow2d, imcrop,
and assigning imageDatastore.Files."""
from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from layergraph import imageDatastore, imcrop, randomCropWindow2d, size, table
from layergraph.errors import DataError


def test_table_columns_height_and_size() -> None:
    t = table([np.zeros((2, 2)), np.ones((2, 2))], ["a", "b"], VariableNames=["X", "Y"])
    assert t.VariableNames == ["X", "Y"] and len(t.X) == 2 and t.Y == ["a", "b"]
    assert size(t, 1) == 2 and size(t) == (2, 2)
    assert table([1], [2]).VariableNames == ["Var1", "Var2"]  # MATLAB's names for unnamed inputs
    with pytest.raises(DataError, match="same number of rows"):
        table([1, 2], [3])
    with pytest.raises(DataError, match="VariableNames"):
        table([1], VariableNames=["a", "b"])


def test_random_crop_window_and_imcrop_select_the_window() -> None:
    img = np.arange(10 * 12 * 3).reshape(10, 12, 3)
    random.seed(0)
    seen = set()
    for _ in range(1000):
        win = randomCropWindow2d([10, 12], [4, 5])
        (x0, x1), (y0, y1) = win.XLimits, win.YLimits
        assert x1 - x0 == 4 and y1 - y0 == 3 and 1 <= x0 <= 8 and 1 <= y0 <= 7
        seen.add((x0, y0))
        np.testing.assert_array_equal(imcrop(img, win), img[y0 - 1:y1, x0 - 1:x1, :])  # 1-based inclusive
    assert len(seen) == 8 * 7  # every start position occurs
    with pytest.raises(DataError, match="larger than the input"):
        randomCropWindow2d([4, 4], [5, 4])
    with pytest.raises(DataError, match="Rectangle"):
        imcrop(img, [1, 1, 2, 2])


def test_assigning_files_reorders_them_and_their_labels(tmp_path) -> None:
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        for i in range(2):
            value = 40 * i + (100 if d == "b" else 0)
            Image.fromarray(np.full((3, 3, 3), value, np.uint8)).save(tmp_path / d / f"{i}.png")
    imds = imageDatastore(tmp_path, IncludeSubfolders=True, LabelSource="foldernames")
    files = imds.Files
    imds.read()
    imds.Files = [files[i] for i in (3, 0)]
    assert imds.Files == [files[3], files[0]] and list(imds.Labels.tolist()) == ["b", "a"]
    assert int(imds.read()[0, 0, 0]) == 140  # reading restarts at the new first file (b/1.png)
    with pytest.raises(ValueError, match="reordered or selected"):
        imds.Files = ["/elsewhere.png"]


def test_augment_applies_one_identical_transformation_to_a_cell_of_images() -> None:
    """MATLAB's augment doc: "If I consists of multiple images, then augment applies an identical transformation
    to all images" (pix2pix augments input/target pairs this way)."""
    from layergraph import imageDataAugmenter
    a = np.arange(6 * 7 * 3, dtype=np.uint8).reshape(6, 7, 3)
    b = (255 - a).astype(np.uint8)
    flips = imageDataAugmenter(RandXReflection=True)
    rotate = imageDataAugmenter(RandRotation=[-30, 30])
    rng = np.random.default_rng(0)
    flipped = 0
    for _ in range(20):
        oa, ob = flips.augment([a, b], rng)
        assert np.array_equal(ob, 255 - oa)  # the same flip on both
        flipped += not np.array_equal(oa, a)
        ra, rb = rotate.augment([a.astype(np.float32), a.astype(np.float32)], rng)
        np.testing.assert_array_equal(ra, rb)
    assert 0 < flipped < 20


def test_categorical_transpose_and_comparison_with_a_column() -> None:
    """labels' of a 1×N decode result is N×1; a 1-D categorical (a column) == an N×1 one is elementwise."""
    from layergraph import categorical, onehotdecode
    row = onehotdecode(np.eye(3)[:, [0, 2, 1, 1]], ["a", "b", "c"], 1)
    assert row.shape == (1, 4) and row.T.shape == (4, 1) and row.T.tolist() == [["a"], ["c"], ["b"], ["b"]]
    col = categorical(["a", "c", "c", "b"])
    eq = col == row.T
    assert eq.shape == (4, 1) and eq.ravel().tolist() == [True, True, False, True]
    assert col.T.shape == (1, 4)
