"""docs/layers.md's "Output-size rules at a glance" table is rendered from the layer classes (`size_rule`),
so it covers every registered built-in layer and cannot drift. After changing a rule or adding a layer:
`python -m tests.test_docs_size_table --write`.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from layergraph.layers import LAYER_CLASSES
from layergraph.layers.base import is_builtin
from tests.layer_records import BY_NAME

DOCS = Path(__file__).resolve().parents[1] / "docs" / "layers.md"
BUILTIN = [cls for cls in LAYER_CLASSES if is_builtin(cls)]
TABLE = re.compile(r"(\| layer \| output \|\n\|---\|---\|\n)((?:\|.*\|\n)+)")
SAME = "same as the input"


def render_size_table() -> str:
    """The table rows: one per distinct rule, naming its layers in registration order."""
    rows: dict[str, list[str]] = {}
    for cls in BUILTIN:
        rows.setdefault(cls.size_rule, []).append(cls.matlab_name())
    return "".join(f"| {', '.join(names)} | {rule} |\n" for rule, names in rows.items())


def test_every_builtin_layer_states_its_size_rule() -> None:
    missing = [cls.matlab_name() for cls in BUILTIN if not cls.size_rule.strip()]
    assert not missing, f"set `size_rule` (the output-size rule in words) on: {missing}"


def test_docs_table_is_the_rendered_one() -> None:
    found = TABLE.search(DOCS.read_text(encoding="utf-8"))
    assert found, "docs/layers.md has no '| layer | output |' table"
    assert found[2] == render_size_table(), "docs/layers.md's size table is stale: " \
                                            "run `python -m tests.test_docs_size_table --write`"


@pytest.mark.parametrize("name", [cls.matlab_name() for cls in BUILTIN if cls.size_rule == SAME])
def test_same_size_rules_hold_on_the_probe(name: str) -> None:
    record = BY_NAME[name]
    assert record.make().output_size(record.inputs) == record.inputs[0]


if __name__ == "__main__" and "--write" in sys.argv:
    text = DOCS.read_text(encoding="utf-8")
    DOCS.write_text(TABLE.sub(lambda m: m[1] + render_size_table(), text, count=1), encoding="utf-8")
    print(f"wrote the size table of {DOCS}")
