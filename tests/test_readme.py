"""README's Python taste runs as printed and gives the sizes its comment claims."""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_taste_runs(capsys) -> None:
    block = re.search(r"## A taste of the Python API\s+```python\n(.*?)```", README.read_text(), re.S)
    assert block, "README lost its Python taste"
    scope: dict = {}
    # runs the project's own README snippet (a doc test), never user input
    exec(compile(block.group(1), "README.md", "exec"), scope)
    assert tuple(scope["extractdata"](scope["Y"]).shape) == (16, 16, 3, 16)  # the comment's MATLAB size
    printed = capsys.readouterr().out
    assert "tconv2" in printed and "Total learnables" in printed
