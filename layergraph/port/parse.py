"""Parse MATLAB source with tree-sitter-matlab (MIT), the grammar the `port` extra installs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layergraph.errors import LayergraphError


class PortError(LayergraphError):
    """Bad input to `layergraph port` (a missing parser, an unreadable file)."""


@dataclass
class Source:
    """A parsed MATLAB file: its text (as bytes, tree-sitter's offsets are byte offsets) and syntax tree."""

    text: bytes
    root: Any

    def node_text(self, node: Any) -> str:
        return self.text[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _parser() -> Any:
    try:
        import tree_sitter_matlab
        from tree_sitter import Language, Parser
    except ImportError:
        raise PortError("layergraph port needs the MATLAB parser: pip install 'layergraph[port]' "
                        "(tree-sitter and tree-sitter-matlab)") from None
    return Parser(Language(tree_sitter_matlab.language()))


def parse(source: str) -> Source:
    """Parse MATLAB source text; a final newline is added (the grammar trips on a file ending without one)."""
    text = source.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"
    data = text.encode("utf-8")
    return Source(data, _parser().parse(data).root_node)


def children(node: Any) -> list[Any]:
    """A node's named children without comments and line continuations."""
    return [c for c in node.named_children if c.type not in ("comment", "line_continuation")]


def walk(node: Any) -> list[Any]:
    """Every node under `node` (itself included), not entering nested function definitions."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.type == "function_definition":
            continue
        out.append(n)
        stack.extend(n.children)
    return out


def body_nodes(func: Any) -> list[Any]:
    """A function's statements, with the comments the grammar puts before the block."""
    blk = next((c for c in func.named_children if c.type == "block"), None)
    before = [c for c in func.children if c.type == "comment" and (blk is None or c.end_byte <= blk.start_byte)]
    return before + (list(blk.children) if blk is not None else [])
