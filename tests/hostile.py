"""Helpers for the hostile-input tests (issue 24): special files made inside a test's own folder, a generator
checkpoint built without training, and the check that a CLI call ends in one `error:` line."""
from __future__ import annotations

import functools
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from layergraph.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
GEN_SPEC = (ROOT / "tests/specs/tiny_gen.yaml").read_text()
FALLBACKS = ("error: unexpected ", "error: the input is nested too deeply", "error: out of memory")
SPECIAL_KINDS = ("device", "fifo", "socket")


def make_special(path: Path, kind: str) -> Path:
    """A device node (a copy of /dev/null: writing it would be harmless), a FIFO or a socket at `path`."""
    if kind == "device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except (PermissionError, OSError) as err:  # not root, or a container without CAP_MKNOD
            pytest.skip(f"cannot make a device node here ({err})")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        import socket

        sock = socket.socket(socket.AF_UNIX)
        try:
            sock.bind(str(path))
        finally:
            sock.close()
    return path


def still_special(path: Path, kind: str) -> bool:
    """True when `path` is still the special file make_special made."""
    mode = os.lstat(path).st_mode
    return {"device": stat.S_ISCHR, "fifo": stat.S_ISFIFO, "socket": stat.S_ISSOCK}[kind](mode)


@functools.cache
def _generator_tensors() -> dict[str, Any]:
    from layergraph.compile.dlnetwork import dlnetwork
    from layergraph.spec.io import graph_from_data
    from layergraph.spec.yamlsafe import load_yaml

    net = dlnetwork(graph_from_data(load_yaml(GEN_SPEC, "tiny_gen"), "tiny_gen"))
    return {f"generator/{k}": v.detach().clone() for k, v in net.tensors().items()}


def make_checkpoint(path: Path, classes: list[str] | None = None, **meta: Any) -> Path:
    """A conditional generator checkpoint (tiny_gen with MATLAB's default initialization), no training."""
    from layergraph.train.checkpoint import save_checkpoint

    save_checkpoint(path, _generator_tensors(), {"format": 1, "generator_spec": GEN_SPEC,
                                    "classes": classes if classes is not None else ["0", "1", "2"],
                                    "conditional": True, **meta})
    return path


def run_cli(argv: list[Any], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    """Run the CLI in-process: (exit code, stderr); never a traceback, never a catch-all message."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert not lines[0].startswith(FALLBACKS), lines[0]
    return code, err


def refused(argv: list[Any], capsys: pytest.CaptureFixture, *expect: str) -> str:
    """The call ends in exit 2 with one `error:` line containing each `expect`."""
    code, err = run_cli(argv, capsys)
    assert code == 2, err
    for text in expect:
        assert text in err, err
    return err.strip()
