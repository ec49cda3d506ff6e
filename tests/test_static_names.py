"""Every registered built-in layer's MATLAB constructor is a static name (so type checkers see
`from layergraph import eluLayer` and reject `eluLayr`): an assignment in layergraph/layers/matlab_names.py,
and a literal entry of `__all__` in layergraph/layers/__init__.py and layergraph/__init__.py (type checkers
read only literal lists). All three are generated from the registry; after adding a layer run
`python -m tests.test_static_names --write`.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import layergraph
import layergraph.layers
from layergraph.layers import LAYER_CLASSES
from layergraph.layers.base import constructors, is_builtin

PACKAGE = Path(__file__).resolve().parents[1] / "layergraph"
NAMES_MODULE = PACKAGE / "layers" / "matlab_names.py"
LAYERS_INIT = PACKAGE / "layers" / "__init__.py"
TOP_INIT = PACKAGE / "__init__.py"
BUILTIN = [cls.matlab_name() for cls in LAYER_CLASSES if is_builtin(cls)]
WRITE = "run `python -m tests.test_static_names --write`"

HEAD = '''"""The MATLAB-named layer constructors as static names, so that type checkers and editors see
`from layergraph import eluLayer` (each is the registry's constructor, layers/base.py).

Generated from the layer registry by `python -m tests.test_static_names --write`; do not edit by hand
(tests/test_static_names.py checks that it lists every registered built-in layer).
"""
from __future__ import annotations

from collections.abc import Callable

from layergraph.layers.base import Layer, constructors

_MADE = constructors()

'''
BLOCK = re.compile(r"# BEGIN generated layer names\n.*?# END generated layer names\n", re.S)


def _order(name: str) -> tuple[int, str]:
    """ruff's __all__ order (RUF022): CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def _listing(names: list[str]) -> str:
    return "".join(f'    "{n}",\n' for n in sorted(names, key=_order))


def render_module(names: list[str]) -> str:
    """The text of layers/matlab_names.py for these MATLAB constructor names (registration order)."""
    lines = "".join(f'{n}: Callable[..., Layer] = _MADE["{n}"]\n' for n in names)
    return f"{HEAD}{lines}\n__all__ = [\n{_listing(names)}]\n"


def render_block(names: list[str]) -> str:
    """The generated `__all__ += [...]` block of an __init__.py."""
    return f"# BEGIN generated layer names\n__all__ += [\n{_listing(names)}]\n# END generated layer names\n"


def static_all(path: Path) -> list[str]:
    """`__all__` as a type checker reads it: the literal lists assigned and added at module level."""
    names: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else getattr(
            node, "target", None)
        if isinstance(target, ast.Name) and target.id == "__all__" and isinstance(node, (ast.Assign, ast.AugAssign)):
            assert isinstance(node.value, ast.List), f"{path}: __all__ must be built from literal lists"
            names = (names if isinstance(node, ast.AugAssign) else []) + [ast.literal_eval(e) for e in node.value.elts]
    return names


def _hand_names() -> list[str]:
    """The names layers/__init__.py lists by hand (everything but the generated block)."""
    return [n for n in static_all(LAYERS_INIT) if n not in BUILTIN]


def expected() -> dict[Path, str]:
    """Each generated file (or block) and its text."""
    return {NAMES_MODULE: render_module(BUILTIN), LAYERS_INIT: render_block(BUILTIN),
            TOP_INIT: render_block(_hand_names() + BUILTIN)}


def test_generated_names_are_current() -> None:
    module = ast.parse(NAMES_MODULE.read_text(encoding="utf-8"))
    assigned = {n.target.id for n in module.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    missing = [n for n in BUILTIN if n not in assigned]
    assert not missing, f"layergraph/layers/matlab_names.py lacks {missing}: {WRITE}"
    for path, text in expected().items():
        current = path.read_text(encoding="utf-8")
        found = current if path == NAMES_MODULE else "".join(BLOCK.findall(current))
        assert found == text, f"{path.relative_to(PACKAGE.parent)} is not current: {WRITE}"


def test_static_all_is_the_runtime_all_and_names_every_constructor() -> None:
    for module, path in ((layergraph.layers, LAYERS_INIT), (layergraph, TOP_INIT)):
        static = static_all(path)
        assert sorted(static) == sorted(module.__all__), path
        missing = [n for n in BUILTIN if n not in static]
        assert not missing, f"{path}: __all__ lacks {missing}: {WRITE}"
    made = constructors()
    for name in BUILTIN:  # the static names are the registry's own constructors (behaviour unchanged)
        assert getattr(layergraph, name) is made[name] and getattr(layergraph.layers, name) is made[name], name


if __name__ == "__main__" and "--write" in sys.argv:
    for path, text in expected().items():
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(text if path == NAMES_MODULE else BLOCK.sub(lambda _m, t=text: t, old), encoding="utf-8")
        print(f"wrote {path}")
