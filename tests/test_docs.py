"""Every Python block in docs/ runs as printed, in order, from a folder that has the repository's specs/,
tests/ and examples/ (as the docs assume: commands are run from the repository root)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))

# runs the blocks of one document in one process, each in a fresh namespace, and names the first that fails
RUNNER = """
import re, sys, traceback
text = open(sys.argv[1], encoding="utf-8").read()
for i, block in enumerate(re.findall(r"```python\\n(.*?)```", text, re.S)):
    try:
        exec(compile(block, f"{sys.argv[1]} python block {i + 1}", "exec"), {"__name__": "__main__"})
    except BaseException:
        print(f"python block {i + 1} (starting {block.splitlines()[0]!r}) failed:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
"""


@pytest.mark.parametrize("doc", [d for d in DOCS if "```python" in d.read_text()], ids=lambda p: p.name)
def test_python_blocks_in_docs_run(doc: Path, tmp_path: Path) -> None:
    for sub in ("specs", "tests", "examples"):
        os.symlink(ROOT / sub, tmp_path / sub)
    res = subprocess.run([sys.executable, "-c", RUNNER, str(doc)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
