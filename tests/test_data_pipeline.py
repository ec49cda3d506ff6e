"""imageDatastore → augmentedImageDatastore → minibatchqueue on tiny image folders, checked against the PNG files.

MATLAB behaviour these tests pin (from the MathWorks reference pages for imageDatastore, augmentedImageDatastore,
minibatchqueue, next and partition): labels come from folder names with categories sorted; Files of a folder are
listed sorted; partition(ds, 3, 1) of 10 files holds the first 4; minibatchqueue returns categorical labels as
their 1-based category index; MiniBatchFormat "BC" labels are stored "CB"; PartialMiniBatch "return" is the
default and "discard" drops the last short batch.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import layergraph.data.images as images_mod
from layergraph.data import (
    augmentedImageDatastore,
    cat,
    categories,
    imageDataAugmenter,
    imageDatastore,
    minibatchqueue,
    rescale,
)
from layergraph.data.datastore import ReadFailureWarning
from layergraph.errors import DataError, OptionError

H, W = 6, 5  # deliberately not square, so height/width mix-ups show


def make_folder(root: Path, counts: dict[str, int], mode: str = "RGB", size: tuple[int, int] = (H, W),
                seed: int = 0) -> Path:
    """Class folders of small random PNGs; every image differs and none is left-right symmetric."""
    rng = np.random.default_rng(seed)
    channels = 3 if mode == "RGB" else 1
    for name, n in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            arr = rng.integers(0, 256, (size[0], size[1], channels), dtype=np.uint8)
            Image.fromarray(arr if mode == "RGB" else arr[:, :, 0], mode).save(root / name / f"im{i:02d}.png")
    return root


def png(path: str) -> np.ndarray:
    """Independent decode of one file, H×W×C."""
    arr = np.array(Image.open(path))
    return arr[:, :, None] if arr.ndim == 2 else arr


def preprocessData(XCell: list, TCell: list) -> tuple:
    """The CGAN example's mini-batch function, line by line."""
    X = cat(4, *XCell)
    T = cat(1, *TCell)
    X = rescale(X, -1, 1, InputMin=0, InputMax=255)
    return X, T


# --- imageDatastore ---------------------------------------------------------------------------------------------

def test_labels_from_folder_names_categories_and_files_sorted(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"b": 2, "a": 3, "C": 1})
    (root / "a" / "notes.txt").write_text("not an image")
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    rel = [str(Path(f).relative_to(root)) for f in imds.Files]
    # code-point order, as MATLAB sorts: upper-case before lower-case
    assert rel == ["C/im00.png", "a/im00.png", "a/im01.png", "a/im02.png", "b/im00.png", "b/im01.png"]
    assert categories(imds.Labels) == ["C", "a", "b"]
    assert imds.Labels.tolist() == ["C", "a", "a", "a", "b", "b"]
    assert list(np.asarray(imds.Labels)) == [1, 2, 2, 2, 3, 3]
    assert imds.countEachLabel() == {"C": 1, "a": 3, "b": 2}
    assert len(imds) == 6 and all(Path(f).is_absolute() for f in imds.Files)


def test_options_as_name_value_pairs_case_insensitive_and_unknown(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"x": 2, "y": 1})
    a = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    b = imageDatastore(root, "includesubfolders", True, "LABELSOURCE", "FolderNames")
    assert a.Files == b.Files and a.Labels.tolist() == b.Labels.tolist()
    with pytest.raises(OptionError) as err:
        imageDatastore(root, IncludeSubfolder=True)
    msg = str(err.value)
    assert "imageDatastore" in msg and "IncludeSubfolder" in msg and "IncludeSubfolders" in msg and "LabelSource" in msg
    with pytest.raises(DataError, match="no image files"):
        imageDatastore(root)  # the images are only in sub-folders
    with pytest.raises(DataError, match="missing"):
        imageDatastore(tmp_path / "missing")
    with pytest.raises(DataError):
        imageDatastore(root, IncludeSubfolders=True, FileExtensions=".jpg")
    assert len(imageDatastore(root, IncludeSubfolders=True, FileExtensions=["PNG"])) == 3


def test_read_hasdata_reset_readall_decode_like_pillow(tmp_path: Path) -> None:
    make_folder(tmp_path / "rgb", {"k": 2})
    make_folder(tmp_path / "grey", {"k": 2}, mode="L", seed=1)
    for sub, channels in (("rgb", 3), ("grey", 1)):
        imds = imageDatastore(tmp_path / sub, IncludeSubfolders=True)
        assert len(imds.Labels) == 0
        first = imds.read()
        assert first.dtype == np.uint8 and first.shape == (H, W, channels)
        np.testing.assert_array_equal(first, png(imds.Files[0]))
        imds.read()
        assert not imds.hasdata()
        with pytest.raises(DataError):
            imds.read()
        imds.reset()
        np.testing.assert_array_equal(imds.read(), first)
        assert len(imds.readall()) == 2


def test_shuffle_returns_permuted_copy_keeping_labels_with_files(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 5, "b": 5, "c": 5})
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    torch.manual_seed(1)
    shuffled = imds.shuffle()
    assert sorted(shuffled.Files) == imds.Files and shuffled.Files != imds.Files
    assert imds.Files == sorted(imds.Files)  # the original is untouched
    for f, label in zip(shuffled.Files, shuffled.Labels.tolist()):
        assert Path(f).parent.name == label
    torch.manual_seed(1)
    assert imds.shuffle().Files == shuffled.Files  # torch.manual_seed plays MATLAB's rng


def test_partition_contiguous_parts_cover_everything(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 10})
    imds = imageDatastore(root, IncludeSubfolders=True)
    parts = [imds.partition(3, i) for i in (1, 2, 3)]
    assert [len(p) for p in parts] == [4, 3, 3]
    assert [f for p in parts for f in p.Files] == imds.Files
    assert imds.partition("Files", 2).Files == [imds.Files[1]]
    with pytest.raises(ValueError):
        imds.partition(3, 0)  # indices are 1-based
    assert imds.numpartitions() == 10


def test_corrupt_file_error_names_the_file(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 3})
    bad = root / "a" / "im01.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    imds.read()
    with pytest.raises(DataError) as err:
        imds.read()
    assert str(bad) in str(err.value) and "\n" not in str(err.value)
    mbq = minibatchqueue(augmentedImageDatastore([H, W], imds), MiniBatchSize=2)
    with pytest.raises(DataError, match=r"im01\.png"):
        mbq.next()


def test_skip_mode_warns_and_skips(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 3, "b": 2})
    bad = root / "a" / "im02.png"
    bad.write_bytes(b"not an image at all")
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames", ReadFailureRule="skip")
    with pytest.warns(ReadFailureWarning, match="im02.png"):
        assert len(imds.readall()) == 4
    augimds = augmentedImageDatastore([H, W], imds)
    mbq = minibatchqueue(augimds, MiniBatchSize=2, MiniBatchFormat=["SSCB", "BC"], OutputEnvironment="cpu")
    labels = []
    while mbq.hasdata():
        _, T = mbq.next()
        labels += T.flatten().tolist()
    # the bad file is left out and the batches are filled from the next files: a a | b b
    assert labels == [1, 1, 2, 2]


# --- augmentedImageDatastore --------------------------------------------------------------------------------------

def test_augimds_read_resize_and_colour(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 2, "b": 1}, mode="L")
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    augimds = augmentedImageDatastore([4, 3], imds, ColorPreprocessing="gray2rgb")
    augimds.MinibatchSize = 2  # the seed's spelling: MATLAB-style case-insensitive property
    assert augimds.MiniBatchSize == 2
    with pytest.raises(AttributeError):
        augimds.MiniBatchSizes = 3
    data = augimds.read()
    assert data.VariableNames == ["input", "response"] and len(data) == 2
    expected = np.asarray(Image.open(imds.Files[0]).resize((3, 4), Image.BILINEAR))
    assert data.input[0].shape == (4, 3, 3)
    for c in range(3):
        np.testing.assert_array_equal(data.input[0][:, :, c], expected)
    assert data.response.tolist() == ["a", "a"]
    assert augimds.read().response.tolist() == ["b"] and not augimds.hasdata()
    grey = augmentedImageDatastore([H, W], imageDatastore(tmp_path / "a"))
    rgb = make_folder(tmp_path / "rgb", {"k": 1})
    out = augmentedImageDatastore([H, W], imageDatastore(rgb / "k"), ColorPreprocessing="rgb2gray").read().input[0]
    src = png(imageDatastore(rgb / "k").Files[0]).astype(np.float64)
    expected_grey = np.rint(src @ [0.298936021293775, 0.587043074451121, 0.114020904255103])
    np.testing.assert_array_equal(out[:, :, 0], expected_grey)
    assert grey.read().input[0].shape == (H, W, 1)


def test_cache_avoids_decoding_again_but_augmentation_changes(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_folder(tmp_path, {"a": 4, "b": 4})
    calls: list[str] = []
    real = images_mod.imread
    lock = threading.Lock()

    def counting(path: str) -> np.ndarray:
        with lock:
            calls.append(path)
        return real(path)

    monkeypatch.setattr(images_mod, "imread", counting)
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    augimds = augmentedImageDatastore([H, W], imds, DataAugmentation=imageDataAugmenter(RandXReflection=True))
    mbq = minibatchqueue(augimds, MiniBatchSize=8, MiniBatchFormat=["SSCB", "BC"], OutputEnvironment="cpu")
    torch.manual_seed(0)
    epochs = []
    for _ in range(3):
        mbq.reset()  # same order every epoch, so only the augmentation can differ
        X, _ = mbq.next()
        epochs.append(X.clone())
    assert sorted(calls) == sorted(imds.Files)  # each file decoded once over three epochs
    assert not all(torch.equal(epochs[0], e) for e in epochs[1:])
    source = torch.stack([torch.from_numpy(png(f)).permute(2, 0, 1).float() for f in imds.Files])
    for e in epochs:  # every image is the file or its mirror image
        same = (e == source).flatten(1).all(1)
        mirrored = (e == source.flip(-1)).flatten(1).all(1)
        assert bool((same | mirrored).all())


def test_resize_conjugates_translation_to_file_pixels(tmp_path: Path) -> None:
    # an 8-wide file resized to 4 wide: a translation of 4 file pixels is 2 output pixels (augment, then resize)
    root = make_folder(tmp_path, {"a": 1}, size=(8, 8))
    imds = imageDatastore(root / "a")
    aug = imageDataAugmenter(RandXTranslation=[4, 4])
    out = augmentedImageDatastore([4, 4], imds, DataAugmentation=aug).read().input[0]
    small = np.asarray(Image.open(imds.Files[0]).resize((4, 4), Image.BILINEAR))
    expected = np.zeros_like(small)
    expected[:, 2:] = small[:, :2]
    np.testing.assert_array_equal(out, expected)


# --- minibatchqueue -----------------------------------------------------------------------------------------------

def test_partial_minibatch_return_and_discard(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 6, "b": 4})
    augimds = augmentedImageDatastore([H, W], imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames"))
    sizes = {}
    for mode in ("return", "discard"):
        mbq = minibatchqueue(augimds, MiniBatchSize=4, PartialMiniBatch=mode, MiniBatchFormat=["SSCB", "BC"],
                             OutputEnvironment="cpu")
        sizes[mode] = [X.shape[0] for X, _ in mbq]
    assert sizes == {"return": [4, 4, 2], "discard": [4, 4]}
    assert not mbq.hasdata()  # the epoch is over until reset or shuffle, as in MATLAB
    with pytest.raises(DataError, match="reset"):
        mbq.next()
    mbq.reset()
    assert mbq.hasdata()
    default = minibatchqueue(augimds, MiniBatchSize=4, OutputEnvironment="cpu")
    assert default.PartialMiniBatch == "return"


def test_formats_shapes_and_values_against_the_pngs(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"cat": 3, "ant": 2, "bee": 2})
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    augimds = augmentedImageDatastore([H, W], imds)
    mbq = minibatchqueue(augimds, MiniBatchSize=4, PartialMiniBatch="discard", MiniBatchFcn=preprocessData,
                         MiniBatchFormat=["SSCB", "BC"], OutputEnvironment="cpu")
    X, T = mbq.next()
    assert tuple(X.shape) == (4, 3, H, W) and X.fmt == "SSCB" and X.dtype == torch.float32
    assert tuple(T.shape) == (4, 1) and T.fmt == "CB" and T.dtype == torch.float32
    classes = ["ant", "bee", "cat"]
    for b in range(4):
        src = png(imds.Files[b]).astype(np.float64)
        np.testing.assert_allclose(X[b].numpy(), (src / 127.5 - 1.0).transpose(2, 0, 1), atol=1e-6)
        assert T[b, 0].item() == classes.index(Path(imds.Files[b]).parent.name) + 1


def test_default_collate_without_minibatchfcn(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 2, "b": 1}, mode="L")
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    mbq = minibatchqueue(augmentedImageDatastore([H, W], imds), MiniBatchFormat=["SSCB", "BC"],
                         OutputEnvironment="cpu")
    X, T = mbq.next()
    assert tuple(X.shape) == (3, 1, H, W) and X.dtype == torch.float32
    for b, f in enumerate(imds.Files):
        np.testing.assert_array_equal(X[b, 0].numpy(), png(f)[:, :, 0].astype(np.float32))
    assert T.flatten().tolist() == [1.0, 1.0, 2.0]
    # no format: MATLAB layout H×W×C×B, as an unformatted dlarray
    plain = minibatchqueue(augmentedImageDatastore([H, W], imds), 1, OutputEnvironment="cpu").next()
    assert tuple(plain.shape) == (H, W, 1, 3)
    # OutputCast double keeps the values exactly and still reorders to torch layout
    X64, _ = minibatchqueue(augmentedImageDatastore([H, W], imds), MiniBatchFcn=preprocessData,
                            MiniBatchFormat=["SSCB", "BC"], OutputCast="double", OutputEnvironment="cpu").next()
    assert X64.dtype == torch.float64
    np.testing.assert_array_equal(X64[2, 0].numpy(), png(imds.Files[2])[:, :, 0] / 127.5 - 1.0)


def test_shuffle_per_epoch_differs_and_is_repeatable(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 8, "b": 8, "c": 8})
    augimds = augmentedImageDatastore([H, W], imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames"))

    def epochs() -> list[list[float]]:
        torch.manual_seed(5)
        mbq = minibatchqueue(augimds, MiniBatchSize=6, MiniBatchFormat=["SSCB", "BC"], OutputEnvironment="cpu")
        out = []
        for _ in range(3):
            mbq.shuffle()
            out.append([t for _, T in mbq for t in T.flatten().tolist()])
        return out

    first = epochs()
    assert all(sorted(e) == [1.0] * 8 + [2.0] * 8 + [3.0] * 8 for e in first)
    assert first[0] != first[1] and first[1] != first[2]
    assert epochs() == first


def test_worker_exception_reaches_next(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 6})
    augimds = augmentedImageDatastore([H, W], imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames"))
    calls = []

    def fails_second(XCell: list, TCell: list) -> tuple:
        calls.append(len(XCell))
        if len(calls) == 2:
            raise ValueError("broken mini-batch function")
        return preprocessData(XCell, TCell)

    mbq = minibatchqueue(augimds, MiniBatchSize=2, MiniBatchFcn=fails_second, MiniBatchFormat=["SSCB", "BC"],
                         OutputEnvironment="cpu")
    mbq.next()
    assert mbq.hasdata()
    with pytest.raises(ValueError, match="broken mini-batch function"):
        mbq.next()
    mbq.reset()  # a new epoch starts cleanly
    assert mbq.next()[0].shape[0] == 2


def test_wrong_number_of_outputs_and_formats_are_reported(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 2})
    augimds = augmentedImageDatastore([H, W], imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames"))
    with pytest.raises(OptionError, match="MiniBatchFormat"):
        minibatchqueue(augimds, MiniBatchFormat="SSCB")  # two outputs need two formats
    with pytest.raises(OptionError, match=r"minibatchqueue.*MiniBatchSiz"):
        minibatchqueue(augimds, MiniBatchSiz=2)
    mbq = minibatchqueue(augimds, 'MiniBatchSize', 2, 'MiniBatchFcn', lambda X, T: cat(4, *X),
                         'MiniBatchFormat', ["SSCB", "BC"], 'OutputEnvironment', "cpu")
    with pytest.raises(DataError, match="MiniBatchFcn returned 1"):
        mbq.next()


def test_partition_of_queue_shards_the_data(tmp_path: Path) -> None:
    root = make_folder(tmp_path, {"a": 5, "b": 5})
    augimds = augmentedImageDatastore([H, W], imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames"))
    mbq = minibatchqueue(augimds, MiniBatchSize=3, MiniBatchFormat=["SSCB", "BC"], OutputEnvironment="cpu")
    torch.manual_seed(2)
    mbq.shuffle()
    seen = []
    for i in (1, 2):
        part = mbq.partition(2, i)
        seen.append(torch.cat([X for X, _ in part]))
    assert [s.shape[0] for s in seen] == [5, 5]
    everything = torch.cat([X for X, _ in minibatchqueue(augimds, MiniBatchSize=10, MiniBatchFormat=["SSCB", "BC"],
                                                          OutputEnvironment="cpu")])
    together = torch.cat(seen)
    # same images, each exactly once, across the two shards
    key = lambda t: sorted(x.flatten().tolist() for x in t)  # noqa: E731
    assert key(together) == key(everything)


def test_layout_conversion_matches_dlarray() -> None:
    from layergraph.data.minibatch import Output, convert
    from layergraph.dlarray import dlarray

    rng = np.random.default_rng(4)
    for fmt in ("SSCB", "BC", "CB", "SSC", "CBT", "SCB", "SSCBT"):
        x = rng.random(tuple(range(2, 2 + len(fmt))))
        expected = dlarray(torch.from_numpy(x).float(), fmt)
        for data in (x, torch.from_numpy(x)):  # numpy from the mini-batch function, or torch
            got = convert(data, Output(fmt, torch.float32, True, torch.device("cpu")))
            assert got.fmt == expected.fmt and got.dtype == torch.float32
            assert torch.equal(got.as_subclass(torch.Tensor), expected.as_subclass(torch.Tensor)), fmt


def test_forked_child_can_still_decode(tmp_path: Path) -> None:
    import multiprocessing

    root = make_folder(tmp_path, {"a": 4})
    imds = imageDatastore(root, IncludeSubfolders=True)
    assert len(imds.readall()) == 4  # starts the parent's decoding threads
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:  # the child must not wait on the parent's (absent) threads
        result = pool.apply_async(_count_images, (str(root),))
        assert result.get(timeout=30) == 4


def _count_images(folder: str) -> int:
    return len(imageDatastore(folder, IncludeSubfolders=True).readall())


def test_datastores_and_queue_pickle_for_spawned_workers(tmp_path: Path) -> None:
    import pickle

    root = make_folder(tmp_path, {"a": 3, "b": 2})
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    augimds = augmentedImageDatastore([H, W], imds)
    mbq = minibatchqueue(augimds, MiniBatchSize=5, MiniBatchFormat=["SSCB", "BC"], OutputEnvironment="cpu")
    X, T = mbq.next()  # a running worker thread must not stop the queue from pickling
    X2, T2 = pickle.loads(pickle.dumps(mbq)).next()
    assert torch.equal(X, X2) and torch.equal(T, T2)
    assert pickle.loads(pickle.dumps(imds)).Files == imds.Files
