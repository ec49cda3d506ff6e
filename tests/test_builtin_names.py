"""MATLAB names that shadow Python builtins under `from layergraph import *` (abs, max, min, sum) give the
builtin's answer on plain Python values, so a ported script's own Python code keeps working."""
from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import pytest

import layergraph

SHADOWING = sorted(n for n in layergraph.__all__ if hasattr(builtins, n))

# name → calls on plain Python values; each is made twice (fresh generators) and run with both functions
CASES: dict[str, list[Callable[[Callable[..., Any]], Any]]] = {
    "abs": [lambda f: f(-2), lambda f: f(-2.5), lambda f: f(3), lambda f: f(True), lambda f: f(-3 + 4j)],
    "max": [lambda f: f(3, 5), lambda f: f([3, 5]), lambda f: f(i for i in [3, 9, 2]), lambda f: f(4, 1, 7),
            lambda f: f([], default=7), lambda f: f(["a", "bc"], key=len), lambda f: f("ab", "c"),
            lambda f: f({3: 1, 5: 2}), lambda f: f(range(4)), lambda f: f([(1, 2), (3, 0)]),
            lambda f: f([1.5, 2])],
    "min": [lambda f: f([4, 1]), lambda f: f(4, 1), lambda f: f(i for i in [4, 1, 6]), lambda f: f([], default=-1),
            lambda f: f([1, 5], key=lambda v: -v), lambda f: f("ab", "c"), lambda f: f({3, 5}),
            lambda f: f([(1, 2), (0, 9)])],
    "sum": [lambda f: f([1, 2, 3]), lambda f: f(i for i in [1, 2]), lambda f: f([1, 2], 10),
            lambda f: f([1.5, 2]), lambda f: f([[1], [2]], []), lambda f: f(range(5)), lambda f: f([]),
            lambda f: f((i * i for i in range(4)), start=1), lambda f: f({1: "a", 2: "b"})],
}


def test_the_shadowing_names_are_known() -> None:
    assert SHADOWING, "no MATLAB name shadows a builtin: drop this file"
    missing = [n for n in SHADOWING if n not in CASES]
    assert not missing, f"tests/test_builtin_names.py: add plain-value cases for {missing}"


@pytest.mark.parametrize("name", SHADOWING)
def test_plain_python_values_get_the_builtins_answer(name: str) -> None:
    for i, case in enumerate(CASES[name]):
        want = case(getattr(builtins, name))
        got = case(getattr(layergraph, name))
        assert type(got) is type(want) and got == want, (name, i, got, want)


def test_star_import_keeps_the_builtin_answers() -> None:
    """The spellings a script uses after `from layergraph import *`, unpacking included."""
    space: dict[str, Any] = {}
    exec("from layergraph import *\n"  # fixed source text: the point is the star import
         "a = max(3, 5); b = sum([1, 2, 3]); c = abs(-2); d = min([4, 1])\n"
         "e = max(x * x for x in range(-3, 2)); f = sum(x for x in range(4))\n"
         "g, h = max([(1, 2), (3, 0)]); k, m = min((1, 2), (0, 9))\n", space)
    assert space["max"] is layergraph.max and space["sum"] is layergraph.sum
    got = [space[k] for k in "abcdefghkm"]
    assert got == [5, 6, 2, 1, 9, 6, 3, 0, 0, 9]


def test_unpacking_a_plain_result_in_a_source_file() -> None:
    """max/min read the caller's nargout (M, I = max(X)); on plain values the tuple is the builtin's."""
    g, h = layergraph.max([(1, 2), (3, 0)])
    k, m = layergraph.min((1, 2), (0, 9))
    assert (g, h, k, m) == (3, 0, 0, 9)
