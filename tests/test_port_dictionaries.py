"""layergraph.port's dictionary against MATLAB's documentation of dictionary (R2022b): lookup element by element in
the keys' shape, the last of repeated keys wins, a scalar value for every key, a character row as one string,
numEntries/keys/values/isKey; characters as keys (the nanoGPT tokenizer's `dictionary(chars', tokens')`) with
unique and reshape of text against GNU Octave; and openExample's offline rule."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from layergraph.data.categorical import categorical
from layergraph.port import runtime as rt

OCTAVE = shutil.which("octave") or shutil.which("octave-cli")


def test_numeric_lookup_keeps_the_keys_shape_and_the_last_value_of_a_repeated_key() -> None:
    d = rt.dictionary(torch.tensor([1.0, 2, 3, 2]), torch.tensor([10.0, 20, 30, 40]))
    assert rt.numEntries(d) == 3  # key 2 given twice: one entry, its last value
    got = rt.at(d)[torch.tensor([[3.0, 2], [1, 3]])]
    np.testing.assert_array_equal(got.numpy(), [[30, 40], [10, 30]])
    assert rt.at(d)[2] == 40
    np.testing.assert_array_equal(rt.keys(d).numpy(), [[1], [2], [3]])  # a column, in the order added
    np.testing.assert_array_equal(rt.values(d).numpy(), [[10], [40], [30]])
    np.testing.assert_array_equal(rt.values(d, torch.tensor([3.0, 1])).numpy(), [[30, 10]])  # a row: 1×2
    assert rt.isKey(d, 3) and not rt.isKey(d, 4)
    np.testing.assert_array_equal(rt.isKey(d, torch.tensor([[1.0, 5]])).numpy(), [[True, False]])
    with pytest.raises(KeyError, match="key not found"):
        rt.at(d)[5]


def test_a_scalar_value_for_every_key_and_keys_values_must_match() -> None:
    d = rt.dictionary(torch.tensor([4.0, 5, 6]), 0)
    assert rt.numEntries(d) == 3 and rt.at(d)[5] == 0
    with pytest.raises(ValueError, match="3 keys but 2 values"):
        rt.dictionary(torch.tensor([4.0, 5, 6]), torch.tensor([1.0, 2]))
    d = rt.dictionary("a", 1, "b", 2)  # dictionary(k1, v1, k2, v2)
    assert rt.numEntries(d) == 2 and rt.at(d)["b"] == 2


def test_a_character_row_is_one_string_key() -> None:
    d = rt.dictionary("apple", 3)  # MATLAB converts a character row to a string scalar
    assert rt.numEntries(d) == 1 and rt.at(d)["apple"] == 3 and rt.keys(d) == ["apple"]
    d = rt.dictionary(["red", "green"], torch.tensor([1.0, 2]))  # a string array
    assert rt.at(d)["green"] == 2
    assert rt.at(d)[["green", "red"]].tolist() == [[2.0, 1.0]]


def test_characters_map_to_tokens_and_back_as_the_nanogpt_tokenizer_uses_them() -> None:
    """`dictionary(uniqueChars', tokens')`: each character a key; text is looked up character by character, and
    a dictionary with character values gives text back."""
    chars = rt.unique("hello world")
    assert chars == " dehlorw"  # unique of text: its characters sorted by code (Octave's and MATLAB's)
    tokens = rt.colon(1, len(chars))
    enc = rt.dictionary(rt.transpose(chars), rt.transpose(tokens))
    dec = rt.dictionary(rt.transpose(tokens), rt.transpose(chars))
    assert rt.numEntries(enc) == rt.numEntries(dec) == 8
    got = rt.at(enc)["hello"]
    np.testing.assert_array_equal(got.numpy(), [[4, 3, 5, 5, 6]])  # h e l l o in " dehlorw"
    assert rt.at(dec)[got] == "hello"
    assert rt.at(dec)[torch.tensor([[2.0], [1]])] == "d "
    assert rt.keys(enc) == " dehlorw" and rt.isKey(enc, "w") and not rt.isKey(enc, "z")
    # a categorical key is looked up as double(c) gives it: its category numbers
    c = categorical(torch.tensor([[4.0, 3]], dtype=torch.float64), torch.arange(1, 9.0))
    assert rt.at(dec)[c] == "he"


def test_open_example_uses_a_file_already_in_place_and_says_where_one_is_missing(tmp_path: Path) -> None:
    (tmp_path / "sonnets.txt").write_text("some lines\n")
    assert rt.openExample("matlab/AnalyzeTextDataExample", SupportingFile="sonnets.txt", WorkDir=str(tmp_path)) \
        is None
    assert (tmp_path / "sonnets.txt").read_text() == "some lines\n"
    with pytest.raises(FileNotFoundError, match=r"place the example's file 'other.txt' .* in "):
        rt.openExample("matlab/AnalyzeTextDataExample", "SupportingFile", "other.txt", "WorkDir", str(tmp_path))


TEXT_OCTAVE = """u = unique('hello world'); printf('%s|%d %d\\n', u, size(u));
r = reshape('abcdefgh', 2, 4); printf('%s|', r(1,:), r(2,:)); printf('\\n');
r = reshape(['abc';'def'], 3, 2); printf('%s|', r(1,:), r(2,:), r(3,:)); printf('\\n');
r = reshape('abcdef', [], 3); printf('%s|', r(1,:), r(2,:)); printf('\\n');
r = reshape('abcdef', 1, 6); printf('%s|', r); printf('\\n');
"""


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is the oracle (apt-get install -y octave)")
def test_unique_and_reshape_of_text_match_octave(tmp_path: Path) -> None:
    """unique of text is its sorted characters (a row); reshape lays characters out column by column, of a row
    or of a char matrix (held as its rows), with [] for a size computed."""
    (tmp_path / "o.m").write_text(TEXT_OCTAVE)
    res = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--norc", str(tmp_path / "o.m")], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    want = res.stdout.splitlines()
    u = rt.unique("hello world")
    got = [f"{u}|{' '.join(map(str, rt.size(u)))}",
           "|".join(rt.reshape("abcdefgh", 2, 4)) + "|",
           "|".join(rt.reshape(["abc", "def"], 3, 2)) + "|",
           "|".join(rt.reshape("abcdef", [], 3)) + "|",
           rt.reshape("abcdef", 1, 6) + "|"]
    assert got == want, res.stderr
    with pytest.raises(ValueError, match="does not have 6 elements"):
        rt.reshape("abcdef", 4, 2)
