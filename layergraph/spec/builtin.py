"""The specs and templates that ship inside the package, reachable as `template:NAME` wherever a spec path goes.

The repository's `specs/` folder is their source; the package reaches it as `layergraph/builtin_specs` (a link
in the repository, copied files in a wheel).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from layergraph.errors import SpecError

PREFIX = "template:"
ROOT = Path(__file__).resolve().parents[1] / "builtin_specs"
_FOLDERS = ("templates", ".")  # a name is looked up among the templates first, then the flat specs


@dataclass(frozen=True)
class BuiltinSpec:
    """One shipped spec: its name, its file and whether it is a template (has `params:`)."""

    name: str
    path: Path
    kind: str  # "template" or "spec"


def builtin_specs() -> list[BuiltinSpec]:
    """Every shipped spec, templates first, each group sorted by name."""
    found: list[BuiltinSpec] = []
    for folder in _FOLDERS:
        kind = "template" if folder == "templates" else "spec"
        found += [BuiltinSpec(p.stem, p, kind) for p in sorted((ROOT / folder).glob("*.yaml"))]
    return found


def is_builtin_name(path: str | Path) -> bool:
    """Whether `path` names a shipped spec (`template:NAME`) rather than a file."""
    return isinstance(path, str) and path.startswith(PREFIX)


def resolve_spec_path(path: str | Path) -> str | Path:
    """The file behind `template:NAME`; any other path is returned unchanged."""
    if not is_builtin_name(path):
        return path
    name = str(path)[len(PREFIX):]
    for spec in builtin_specs():
        if spec.name == name:
            return spec.path
    names = ", ".join(s.name for s in builtin_specs())
    raise SpecError(f"{path}: no shipped spec or template of that name (there are: {names}; "
                    "`layergraph templates` lists them with their parameters)")
