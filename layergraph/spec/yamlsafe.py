"""Safe YAML loading that remembers the line of every mapping key and list item."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from layergraph.errors import LimitError, SpecError
from layergraph.safety.files import read_text
from layergraph.safety.limits import MAX_YAML_BYTES, MAX_YAML_DEPTH
from layergraph.safety.numbers import MAX_NUMBER_CHARS
from layergraph.spec.builtin import resolve_spec_path


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
    building = loader.__dict__.setdefault("building", set())
    if id(node) in building:  # `&a [*a]`: a value that holds itself would never end
        raise SpecError(f"{where}:{line}: a YAML alias refers to a list or mapping that holds it")
    if len(building) >= MAX_YAML_DEPTH:  # aliases nest values deeper than the text does
        raise _too_deep(where, line)
    if isinstance(node, yaml.CollectionNode):
        building.add(id(node))
    try:
        value = _build_new(node, loader, where, line)
    finally:
        building.discard(id(node))
    if isinstance(node, yaml.CollectionNode):
        seen[id(node)] = (value, loader.built - start)  # type: ignore[attr-defined]
    return value


def _build_new(node: yaml.Node, loader: yaml.SafeLoader, where: str, line: int) -> Any:
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        # e.g. !!python/object/apply: refused outright, never read as plain data
        raise SpecError(f"{where}:{line}: unsupported YAML value (tag {node.tag}); specs hold plain data only")
    if isinstance(node, yaml.MappingNode):
        return _build_mapping(node, loader, where, line)
    if isinstance(node, yaml.SequenceNode):
        return _build_sequence(node, loader, where, line)
    if isinstance(node, yaml.ScalarNode) and node.tag in _NUMBER_TAGS:
        _check_number_text(node, where, line)
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError):  # `!!int ²`, `!!float x`: PyYAML's constructors raise these
        raise SpecError(f"{where}:{line}: '{_short(node.value)}' is not a number") from None
    except yaml.constructor.ConstructorError as err:
        raise SpecError(f"{where}:{line}: unsupported YAML value ({err.problem}); specs hold plain data only") \
            from None


def _build_mapping(node: yaml.MappingNode, loader: yaml.SafeLoader, where: str, line: int) -> LineDict:
    """A mapping with each key's line; keys must be plain values and appear once."""
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


def _build_sequence(node: yaml.SequenceNode, loader: yaml.SafeLoader, where: str, line: int) -> LineList:
    """A list with each item's line."""
    items = LineList()
    items.line = line
    for item in node.value:
        items.append(_build(item, loader, where))
        items.lines.append(item.start_mark.line + 1)
        items.at.append(_at(item))
    return items


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:23] + "…"


def _check_number_text(node: yaml.ScalarNode, where: str, line: int) -> None:
    """A number scalar is at most MAX_NUMBER_CHARS characters (the one limit of safety/numbers.py): Python
    refuses to read or print integers of over 4,300 digits, and no option needs more than 17."""
    if len(node.value) > MAX_NUMBER_CHARS:
        raise LimitError(f"{where}:{line}: the number '{_short(node.value)}' is {len(node.value):,} characters "
                         f"long; the limit is {MAX_NUMBER_CHARS}")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with the nesting depth capped while composing (it composes recursively, so a
    deep document would otherwise end in RecursionError)."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise _TooDeepError(mark.line + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _TooDeepError(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _too_deep(where: str, line: int) -> SpecError:
    return SpecError(f"{where}:{line}: lists and mappings are nested more than {MAX_YAML_DEPTH} deep (the limit)")


def load_yaml(text: str, where: str) -> Any:
    """Parse YAML with the safe loader only, within the caps (size, nesting, values); errors name where:line."""
    if not isinstance(text, str):
        raise SpecError(f"{where}: expected YAML text, got {type(text).__name__}")
    if len(text) > MAX_YAML_BYTES:
        raise SpecError(f"{where}: the YAML text is {len(text):,} characters; the limit is {MAX_YAML_BYTES:,}")
    loader = None
    try:
        loader = _Loader(text)  # the reader already refuses control characters here: inside the try
        node = loader.get_single_node()
        if node is None:
            raise SpecError(f"{where}: the file is empty")
        return _build(node, loader, where)
    except _TooDeepError as err:
        raise _too_deep(where, err.line) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f":{mark.line + 1}" if mark else ""
        hint, lines = "", text.splitlines()
        if mark and mark.line < len(lines) and "${" in lines[mark.line]:
            hint = ' (inside {...} or [...], quote a ${...} value: "${numFilters}")'
        raise SpecError(f"{where}{line}: YAML syntax error: {err.problem or err.context}{hint}") from None
    except yaml.reader.ReaderError as err:  # a control character or NUL byte: say which and where
        line = text.count("\n", 0, max(err.position, 0)) + 1
        char = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "\0")
        raise SpecError(f"{where}:{line}: YAML text may not hold the control character U+{char:04X} "
                        f"{chr(char)!r} (character {err.position + 1} of the file)") from None
    except yaml.YAMLError as err:
        raise SpecError(f"{where}: YAML error: {' '.join(str(err).split())}") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file (a regular file of at most MAX_YAML_BYTES), or a shipped spec named
    `template:NAME`; errors are one-line SpecErrors."""
    text = read_text(resolve_spec_path(path), MAX_YAML_BYTES, "YAML file")
    if not text.strip():
        raise SpecError(f"{path}: the file is empty")
    return load_yaml(text, str(path))
