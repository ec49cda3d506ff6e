"""A program's own datastore (a translated `classdef D < matlab.io.Datastore & matlab.io.datastore.MiniBatchable`)
read by minibatchqueue as MATLAB reads it: whole reads (tables of MiniBatchSize rows) in order, rows gathered into
the queue's mini-batches, each variable handed to the MiniBatchFcn as a cell column; matlab.io.Datastore's
preview; tables with matrix variables; categorical of numbers with a numeric value set (what the nanoGPT
example's datastore returns), onehotencode of a categorical matrix."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import layergraph
from layergraph.data.arrays import cat
from layergraph.data.categorical import Categorical, categorical
from layergraph.data.tables import table
from layergraph.dlfun.onehot import onehotencode
from layergraph.port.objects import MatlabDatastore


class Counting(MatlabDatastore):
    """Rows [k, k+1, k+2] for k = 1..NumObservations, MiniBatchSize rows a read (fewer at the end), responses
    the categorical of the rows shifted by one over the value set 1:20 (as the nanoGPT datastore builds them)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.MiniBatchSize = 2
        self.NumObservations = n
        self.pos = 0

    def read(self) -> tuple[Any, Any]:
        ks = torch.arange(self.pos + 1, min(self.pos + self.MiniBatchSize, self.NumObservations) + 1,
                          dtype=torch.float64)
        self.pos += len(ks)
        predictors = ks.reshape(-1, 1) + torch.arange(3.0)
        responses = categorical(predictors + 1, torch.arange(1, 21.0))
        return table(predictors, responses, VariableNames=["predictors", "responses"]), {}

    def hasdata(self) -> bool:
        return self.pos < self.NumObservations

    def reset(self) -> None:
        self.pos = 0


def test_minibatchqueue_gathers_rows_of_whole_reads_and_hands_cell_columns_to_the_function() -> None:
    ds = Counting(11)
    seen: list[tuple[int, int]] = []

    def preprocess(dataX: Any, dataT: Any) -> tuple[Any, Any]:
        assert isinstance(dataX, list) and isinstance(dataT, list)  # cell columns, one 1×3 row per observation
        assert all(tuple(r.shape) == (1, 3) for r in dataX) and all(r.shape == (1, 3) for r in dataT)
        seen.append((len(dataX), len(dataT)))
        X = cat(1, *dataX)
        T = onehotencode(cat(1, *dataT), 3)
        return X, T

    mbq = layergraph.minibatchqueue(ds, MiniBatchSize=5, MiniBatchFcn=preprocess, MiniBatchFormat=["BTC", "BTC"])
    ds.MiniBatchSize = 1  # the queue reads its own copy: its reads stay 2 rows long
    batches = []
    while mbq.hasdata():
        batches.append(mbq.next())
    assert seen == [(5, 5), (5, 5), (1, 1)]  # 11 observations: reads of 2 rows gathered into 5, the rest at the end
    X, T = batches[0]
    assert layergraph.dims(X) == "CBT" and tuple(X.shape) == (5, 1, 3)  # torch layout B×C×T of a B×T×1 "BTC"
    x = layergraph.extractdata(X).numpy()[0]  # MATLAB layout C×B×T: B×T
    np.testing.assert_array_equal(x, np.arange(1, 6)[:, None] + np.arange(3))
    t = layergraph.extractdata(T).numpy()  # 20×B×T one-hot, the class of each response at its position
    assert t.shape == (20, 5, 3) and np.all(t.sum(0) == 1)
    np.testing.assert_array_equal(t.argmax(0) + 1, x + 1)
    assert ds.pos == 0  # the program's datastore was not read
    mbq.reset()  # MATLAB's reset(mbq) resets the datastore: the first mini-batch again
    np.testing.assert_array_equal(layergraph.extractdata(mbq.next()[0]).numpy()[0], x)


def test_preview_reads_a_reset_copy_and_keeps_at_most_eight_rows() -> None:
    ds = Counting(30)
    ds.MiniBatchSize = 12
    ds.read()
    tbl = layergraph.preview(ds)
    assert ds.pos == 12  # the datastore itself has not moved
    np.testing.assert_array_equal(tbl.predictors.numpy(), np.arange(1, 9)[:, None] + np.arange(3))
    ds.MiniBatchSize = 1
    assert tuple(layergraph.preview(ds).predictors.shape) == (1, 3)


def test_a_table_holds_matrix_variables_whole_and_categorical_numbers_keep_their_shape() -> None:
    P = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    R = categorical(torch.tensor([[2.0, 7], [1, 3]]), torch.arange(1, 5.0))
    # MATLAB: categories '1'..'4' named as the numbers; 7 is outside the value set, <undefined>; shape 2×2
    assert R.categories == ["1", "2", "3", "4"] and R.shape == (2, 2)
    np.testing.assert_array_equal(R.codes, [[2, 0], [1, 3]])
    assert categorical(torch.tensor([10.0, 2, 2.5])).categories == ["2", "2.5", "10"]  # numeric order
    tbl = table(P, R, VariableNames=["P", "R"])
    assert len(tbl) == 2 and tbl.P is P and tbl.R is R  # T.P is the matrix itself
    rows = [R[i: i + 1] for i in range(2)]
    joined = cat(1, *rows)
    assert isinstance(joined, Categorical) and joined.shape == (2, 2)
    onehot = onehotencode(categorical(torch.tensor([[2.0, 1], [3, 3]]), torch.arange(1, 5.0)), 3)
    want = np.zeros((2, 2, 4), np.float32)
    for (i, j), c in np.ndenumerate(np.array([[2, 1], [3, 3]])):
        want[i, j, c - 1] = 1
    np.testing.assert_array_equal(onehot, want)


def test_an_object_without_datastore_methods_is_refused() -> None:
    with pytest.raises(TypeError, match="expected a datastore"):
        layergraph.minibatchqueue(object(), MiniBatchSize=2)


def test_readall_joins_every_read_of_a_reset_copy() -> None:
    ds = Counting(5)
    ds.read()
    tbl = ds.readall()
    assert ds.pos == 2  # the datastore itself has not moved
    np.testing.assert_array_equal(tbl.predictors.numpy(), np.arange(1, 6)[:, None] + np.arange(3))
    assert tbl.responses.shape == (5, 3) and tbl.responses.codes[4, 2] == 8  # row 5 shifted by one: 6 7 8


class Shuffling(Counting):
    """Counting with Shuffleable's shuffle: a copy reading its rows in reverse order."""

    def shuffle(self) -> Shuffling:
        new = self.copy()
        new.reversed = True
        return new

    def read(self) -> tuple[Any, Any]:
        tbl, info = super().read()
        if getattr(self, "reversed", False):
            tbl = table(self.NumObservations + 3 - tbl.predictors, VariableNames=["predictors"])
        return tbl, info


def test_shuffle_of_a_queue_needs_a_shuffleable_datastore() -> None:
    mbq = layergraph.minibatchqueue(Counting(4), 1, MiniBatchSize=4, MiniBatchFormat="BC", OutputCast="double")
    with pytest.raises(layergraph.errors.DataError, match="needs a shuffleable datastore"):
        mbq.shuffle()
    mbq = layergraph.minibatchqueue(Shuffling(4), 1, MiniBatchSize=4, MiniBatchFormat="BC", OutputCast="double")
    first = layergraph.extractdata(mbq.next()).numpy()
    mbq.shuffle()  # the datastore's own shuffle: its rows now come in reverse
    np.testing.assert_array_equal(layergraph.extractdata(mbq.next()).numpy(), 7 - first)
