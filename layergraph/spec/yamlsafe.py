"""Safe YAML loading that remembers the line of every mapping key and list item."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from layergraph.errors import SpecError


class LineDict(dict):
    """A dict from YAML with `line` (its own first line), `lines[key]` (each key's line) and `at[key]`
    ((line, column) where a string value's text starts, for `${...}` errors)."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}
        self.at: dict[Any, tuple[int, int]] = {}


class LineList(list):
    """A list from YAML with `line`, `lines[i]` and `at[i]` for each item."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []
        self.at: list[tuple[int, int]] = []


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"}
MAX_VALUES = 200_000  # values built from one document: aliases (&a/*a) could otherwise multiply without bound


def _at(node: yaml.Node) -> tuple[int, int]:
    """(line, column), 1-based, where a scalar's text starts (after its opening quote)."""
    quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
    return node.start_mark.line + 1, node.start_mark.column + 1 + quoted


def _count(loader: yaml.SafeLoader, n: int, where: str, line: int) -> None:
    loader.built = getattr(loader, "built", 0) + n  # type: ignore[attr-defined]
    if loader.built > MAX_VALUES:  # type: ignore[attr-defined]
        raise SpecError(f"{where}:{line}: the document holds more than {MAX_VALUES:,} values (aliases included)")


def _build(node: yaml.Node, loader: yaml.SafeLoader, where: str) -> Any:
    """The plain value of a node; an alias (*a) of a list or mapping is the same object again, counted again."""
    line = node.start_mark.line + 1
    seen = loader.__dict__.setdefault("seen", {})
    if id(node) in seen:
        value, size = seen[id(node)]
        _count(loader, size, where, line)
        return value
    start = getattr(loader, "built", 0)
    _count(loader, 1, where, line)
    value = _build_new(node, loader, where, line)
    if isinstance(node, yaml.CollectionNode):
        seen[id(node)] = (value, loader.built - start)  # type: ignore[attr-defined]
    return value


def _build_new(node: yaml.Node, loader: yaml.SafeLoader, where: str, line: int) -> Any:
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        # e.g. !!python/object/apply: refused outright, never read as plain data
        raise SpecError(f"{where}:{line}: unsupported YAML value (tag {node.tag}); specs hold plain data only")
    if isinstance(node, yaml.MappingNode):
        out = LineDict()
        out.line = line
        for key_node, value_node in node.value:
            key = _build(key_node, loader, where)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise SpecError(f"{where}:{key_node.start_mark.line + 1}: mapping keys must be plain values")
            if key in out:
                raise SpecError(f"{where}:{key_node.start_mark.line + 1}: key '{key}' appears twice "
                                f"(first at line {out.lines[key]})")
            out[key] = _build(value_node, loader, where)
            out.lines[key] = key_node.start_mark.line + 1
            out.at[key] = _at(value_node)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = LineList()
        items.line = line
        for item in node.value:
            items.append(_build(item, loader, where))
            items.lines.append(item.start_mark.line + 1)
            items.at.append(_at(item))
        return items
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as err:
        raise SpecError(f"{where}:{line}: unsupported YAML value ({err.problem}); specs hold plain data only") \
            from None


def load_yaml(text: str, where: str) -> Any:
    """Parse YAML with the safe loader only; errors name where:line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(f"{where}: the file is empty")
        return _build(node, loader, where)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f":{mark.line + 1}" if mark else ""
        hint, lines = "", text.splitlines()
        if mark and mark.line < len(lines) and "${" in lines[mark.line]:
            hint = ' (inside {...} or [...], quote a ${...} value: "${numFilters}")'
        raise SpecError(f"{where}{line}: YAML syntax error: {err.problem or err.context}{hint}") from None
    except yaml.YAMLError as err:
        raise SpecError(f"{where}: YAML error: {err}") from None
    finally:
        loader.dispose()


def read_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file; a missing or unreadable file is a one-line SpecError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"{p}: cannot read the file ({err.__class__.__name__})") from None
    if not text.strip():
        raise SpecError(f"{p}: the file is empty")
    return load_yaml(text, str(p))
