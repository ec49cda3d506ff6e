"""arrayDatastore, combine, transform, augmentedImageDatastore on arrays, and minibatchqueue over them.

Expectations are computed independently with numpy slicing from MATLAB's documented behaviour: an observation is
the slice of the data along IterationDimension, read returns ReadSize observations (a ReadSize×1 cell, or the rows
themselves for OutputType 'same'), combine puts each datastore's columns side by side, and a mini-batch function
receives one list (MATLAB's cell array) per datastore column.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph import dims, extractdata
from layergraph.data import (
    arrayDatastore,
    augmentedImageDatastore,
    cat,
    categorical,
    combine,
    minibatchqueue,
    preview,
    transform,
)
from layergraph.data.cells import BatchTable
from layergraph.errors import DataError, OptionError

RNG = np.random.default_rng(7)


def _images(n: int = 7) -> np.ndarray:
    return RNG.standard_normal((3, 4, 2, n))  # H×W×C×N, MATLAB layout


def test_array_datastore_iteration_dimension_4_reads_slices() -> None:
    X = _images(5)
    ds = arrayDatastore(X, IterationDimension=4)
    first = ds.read()
    assert isinstance(first, list) and len(first) == 1  # a 1×1 cell
    np.testing.assert_array_equal(first[0], X[:, :, :, 0])
    ds.ReadSize = 3
    got = ds.read()
    assert len(got) == 3
    for k, img in enumerate(got, start=1):
        np.testing.assert_array_equal(img, X[:, :, :, k])
    assert ds.hasdata()
    assert len(ds.read()) == 1  # the last read returns what is left
    assert not ds.hasdata()
    with pytest.raises(DataError, match="no more data"):
        ds.read()
    ds.reset()
    np.testing.assert_array_equal(ds.read()[0], X[:, :, :, 0])
    everything = ds.readall()
    assert len(everything) == 5 and all(np.array_equal(a, X[:, :, :, k]) for k, a in enumerate(everything))


def test_array_datastore_rows_columns_and_trailing_singletons() -> None:
    F = np.arange(12.0).reshape(4, 3)
    rows = arrayDatastore(F).readall()
    assert [r.shape for r in rows] == [(1, 3)] * 4  # F(i,:) is 1×3
    np.testing.assert_array_equal(np.concatenate(rows), F)
    cols = arrayDatastore(F, IterationDimension=2).readall()
    assert [c.shape for c in cols] == [(4, 1)] * 3  # F(:,j) is 4×1
    np.testing.assert_array_equal(np.concatenate(cols, axis=1), F)
    grey = RNG.standard_normal((5, 6, 1, 3))
    assert arrayDatastore(grey, IterationDimension=4).read()[0].shape == (5, 6)  # 5×6×1 shows as 5×6 in MATLAB
    vec = arrayDatastore(np.array([4.0, 5.0, 6.0]), ReadSize=2).read()
    assert [v.shape for v in vec] == [(), ()] and [float(v) for v in vec] == [4.0, 5.0]  # 1×1: a scalar


def test_array_datastore_output_type_same() -> None:
    F = np.arange(20).reshape(5, 4)
    ds = arrayDatastore(F, ReadSize=2, OutputType="same")
    np.testing.assert_array_equal(ds.read(), F[0:2])
    np.testing.assert_array_equal(ds.read(), F[2:4])
    np.testing.assert_array_equal(ds.read(), F[4:5])
    np.testing.assert_array_equal(ds.readall(), F)
    with pytest.raises(OptionError, match="IterationDimension 1"):
        arrayDatastore(F, OutputType="same", IterationDimension=2)
    ds.reset()
    ds.read()
    ds.OutputType = "cell"  # MATLAB resets the datastore when OutputType or IterationDimension changes
    np.testing.assert_array_equal(ds.read()[0], F[0:1])


def test_array_datastore_categorical_and_cell_data() -> None:
    labels = categorical(["cat", "dog", "dog", "bird"])
    ds = arrayDatastore(labels)
    first = ds.read()
    assert len(first) == 1 and first[0] == "cat" and first[0].categories == ["bird", "cat", "dog"]
    same = arrayDatastore(labels, ReadSize=3, OutputType="same").read()
    assert same.tolist() == ["cat", "dog", "dog"]
    seqs = [np.arange(3.0), np.arange(5.0), np.arange(2.0)]
    assert arrayDatastore(seqs, OutputType="same").read()[0] is seqs[0]  # C(1) of a cell: {seq}
    wrapped = arrayDatastore(seqs).read()  # OutputType 'cell' wraps the 1×1 cell C(1) once more: {{seq}}
    assert len(wrapped) == 1 and isinstance(wrapped[0], list) and wrapped[0][0] is seqs[0]


def test_array_datastore_shuffle_partition_subset_preview() -> None:
    F = np.arange(10.0).reshape(10, 1)
    ds = arrayDatastore(F)
    torch.manual_seed(3)
    shuffled = [float(v) for v in ds.shuffle().readall()]
    torch.manual_seed(3)
    order = torch.randperm(10).numpy()
    assert shuffled == F[order, 0].tolist()
    parts = [[float(v) for v in ds.partition(3, i).readall()] for i in (1, 2, 3)]
    assert parts == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert [float(v) for v in ds.subset([2, 5]).readall()] == [1.0, 4.0]
    ds.read()
    assert float(preview(ds)[0]) == 0.0 and float(ds.read()[0]) == 1.0  # preview leaves the position alone


def test_combine_reads_one_row_side_by_side() -> None:
    X = _images(4)
    labels = categorical(["a", "b", "a", "b", "b"])  # one more label than images: reading stops at 4
    cds = combine(arrayDatastore(X, IterationDimension=4), arrayDatastore(labels))
    row = cds.read()
    assert len(row) == 2  # MATLAB: 1×2 cell {image, label}
    np.testing.assert_array_equal(row[0], X[:, :, :, 0])
    assert row[1] == "a"
    n = 1
    while cds.hasdata():
        cds.read()
        n += 1
    assert n == 4
    cds.reset()
    assert cds.hasdata()
    rows = cds.readall()  # a 4×2 cell: a list of rows
    assert len(rows) == 4 and all(len(r) == 2 for r in rows)
    assert [str(r[1]) for r in rows] == ["a", "b", "a", "b"]
    np.testing.assert_array_equal(rows[3][0], X[:, :, :, 3])
    wide = combine(arrayDatastore(X, IterationDimension=4, ReadSize=2), arrayDatastore(labels, ReadSize=2))
    assert len(wide.read()) == 2 and len(wide.read()[0]) == 2  # ReadSize 2: a list of two rows
    with pytest.raises(DataError, match="different numbers of observations"):
        combine(arrayDatastore(X, IterationDimension=4, ReadSize=2), arrayDatastore(labels)).read()


def test_combine_tables_and_shuffle_keeps_rows_together() -> None:
    X = _images(6)
    Y = np.arange(6.0)
    aug = augmentedImageDatastore([3, 4], X, Y, MiniBatchSize=6)
    cds = combine(aug, aug)
    table = cds.read()
    assert isinstance(table, BatchTable) and table.VariableNames == ["input", "response", "input_1", "response_1"]
    torch.manual_seed(0)
    rows = combine(arrayDatastore(Y), arrayDatastore(Y * 10)).shuffle().readall()
    assert all(float(b) == 10 * float(a) for a, b in rows)
    assert sorted(float(a) for a, _ in rows) == Y.tolist()


def test_transform_applies_to_each_read_with_info() -> None:
    F = np.arange(5.0).reshape(5, 1)
    seen: list[int] = []

    def double(data: list[np.ndarray]) -> list[np.ndarray]:
        seen.append(len(data))
        return [2 * d for d in data]

    ds = transform(arrayDatastore(F, ReadSize=2), double)
    assert [float(v) for v in ds.read()] == [0.0, 2.0]
    assert seen == [2]  # the function gets a whole read (a ReadSize×1 cell)
    assert [float(v) for v in ds.readall()] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert seen[1:] == [2, 2, 1]

    def with_info(data: list[np.ndarray], info: dict) -> tuple[list[np.ndarray], dict]:
        return data, {**info, "seen": True}

    data, info = transform(arrayDatastore(F), with_info, IncludeInfo=True).read(info=True)
    assert float(data[0]) == 0.0 and info["seen"] is True
    row = transform(combine(arrayDatastore(F), arrayDatastore(F)), lambda d: [d[0] + 1, d[1]]).read()
    assert [float(v) for v in row] == [1.0, 0.0]  # a flat list from one observation is one row {x+1, y}


def test_minibatchfcn_gets_one_cell_per_column_as_matlab_calls_it() -> None:
    """mbq = minibatchqueue(dsTrain, MiniBatchSize=3, MiniBatchFcn=@preprocessMiniBatch, MiniBatchFormat=["SSCB",""])
    with function [X,T] = preprocessMiniBatch(dataX, dataT): X = cat(4, dataX{:}); T = onehot(cat(2, dataT{:}))."""
    X = _images(7)
    labels = categorical(["b", "a", "c", "a", "b", "c", "c"])
    dsTrain = combine(arrayDatastore(X, IterationDimension=4), arrayDatastore(labels))
    calls: list[tuple[list, list]] = []

    def preprocessMiniBatch(dataX: list, dataT: list) -> tuple[np.ndarray, np.ndarray]:
        calls.append((dataX, dataT))
        Xb = cat(4, *dataX)
        T = cat(2, *dataT)
        return Xb, np.eye(3)[:, T.codes.ravel() - 1]  # one-hot, classes down dimension 1

    mbq = minibatchqueue(dsTrain, MiniBatchSize=3, MiniBatchFcn=preprocessMiniBatch, MiniBatchFormat=["SSCB", ""])
    batches = []
    while mbq.hasdata():
        batches.append(next(mbq))
    assert [len(c[0]) for c in calls] == [3, 3, 1]
    for k, (dataX, dataT) in enumerate(calls):
        assert isinstance(dataX, list) and isinstance(dataT, list)
        for i, (img, lab) in enumerate(zip(dataX, dataT)):
            np.testing.assert_array_equal(img, X[:, :, :, 3 * k + i])
            assert lab == labels.tolist()[3 * k + i] and lab.codes.ndim == 0
    Xb, Tb = batches[0]
    assert dims(Xb) == "SSCB" and tuple(extractdata(Xb).shape) == (3, 4, 2, 3)
    np.testing.assert_allclose(extractdata(Xb).numpy(), X[:, :, :, :3].astype(np.float32))
    expected = np.zeros((3, 3))
    expected[[1, 0, 2], [0, 1, 2]] = 1  # b, a, c → rows 2, 1, 3
    assert dims(Tb) == "" and Tb.dtype == torch.float32
    np.testing.assert_array_equal(Tb.numpy(), expected)


def test_queue_over_table_datastore_and_default_collate() -> None:
    X = _images(5)
    Y = categorical(["x", "y", "x", "y", "y"])
    aug = augmentedImageDatastore([3, 4], X, Y)
    got: list[tuple[list, list]] = []
    mbq = minibatchqueue(aug, MiniBatchSize=5, MiniBatchFcn=lambda a, b: got.append((a, b)) or (cat(4, *a),),
                         NumOutputs=1, MiniBatchFormat="SSCB")
    next(mbq)
    images, responses = got[0]
    assert len(images) == 5 and [str(r) for r in responses] == Y.tolist()  # table variables arrive as cells
    np.testing.assert_allclose(images[2], X[:, :, :, 2])
    Xc, Tc = next(minibatchqueue(combine(arrayDatastore(X, IterationDimension=4), arrayDatastore(Y)),
                                 MiniBatchSize=5, MiniBatchFormat=["SSCB", "BC"]))
    assert dims(Xc) == "SSCB" and dims(Tc) == "CB"
    np.testing.assert_array_equal(extractdata(Tc).numpy(), [[1, 2, 1, 2, 2]])  # categorical → class numbers


def test_queue_over_transform_keeps_whole_reads_and_leftovers() -> None:
    F = np.arange(5.0).reshape(5, 1)
    reads: list[int] = []

    def twice(data: list[np.ndarray]) -> list[np.ndarray]:
        reads.append(len(data))
        return [v for d in data for v in (d, d + 0.5)]  # each observation becomes two

    mbq = minibatchqueue(transform(arrayDatastore(F, ReadSize=2), twice), MiniBatchSize=3,
                         MiniBatchFcn=lambda c: cat(1, *c), OutputAsDlarray=False)
    reads.clear()  # creating the queue previewed one read to count the columns
    out = []
    while mbq.hasdata():
        out.append(next(mbq).ravel().tolist())
    assert out == [[0, 0.5, 1], [1.5, 2, 2.5], [3, 3.5, 4], [4.5]]
    assert sorted(reads) == [1, 2, 2]  # the function always saw whole reads of the datastore


def test_augmented_image_datastore_arrays_resize_like_bilinear_reference() -> None:
    X = RNG.uniform(0, 1, (2, 3, 1, 4))
    out = augmentedImageDatastore([4, 6], X).read().input
    assert len(out) == 4 and out[0].shape == (4, 6, 1) and out[0].dtype == X.dtype

    def bilinear(img: np.ndarray, h: int, w: int) -> np.ndarray:
        # pixel centres: output i samples input (i + 0.5)·n/h − 0.5, clamped at the edges
        def weights(n: int, m: int) -> np.ndarray:
            src = np.clip((np.arange(m) + 0.5) * n / m - 0.5, 0, n - 1)
            lo = np.floor(src).astype(int)
            hi = np.minimum(lo + 1, n - 1)
            W = np.zeros((m, n))
            W[np.arange(m), lo] += 1 - (src - lo)
            W[np.arange(m), hi] += src - lo
            return W
        return weights(img.shape[0], h) @ img @ weights(img.shape[1], w).T

    for k in range(4):
        np.testing.assert_allclose(out[k][:, :, 0], bilinear(X[:, :, 0, k], 4, 6), atol=1e-6)
    X8 = (X * 255).round().astype(np.uint8)
    out8 = augmentedImageDatastore([4, 6], X8).read().input
    assert out8[0].dtype == np.uint8
    assert np.abs(out8[1].astype(float)[:, :, 0] - bilinear(X8[:, :, 0, 1].astype(float), 4, 6)).max() <= 1


def test_augmented_image_datastore_array_responses_and_errors() -> None:
    X = _images(4)
    Y = RNG.standard_normal((4, 2))
    table = augmentedImageDatastore([3, 4], X, Y).read()
    np.testing.assert_array_equal(table.response, Y)
    np.testing.assert_array_equal(table.input[3], X[:, :, :, 3])
    labels = augmentedImageDatastore([3, 4], X, categorical(list("pqqp"))).readall().response
    assert labels.tolist() == list("pqqp")
    assert augmentedImageDatastore([3, 4], X).read().VariableNames == ["input"]
    with pytest.raises(ValueError, match="one image with 5 channels"):
        augmentedImageDatastore([3, 4], RNG.standard_normal((3, 4, 5)), np.arange(5.0))
    with pytest.raises(DataError, match="observation 1 of X"):
        augmentedImageDatastore([3, 4, 3], X).read()
