"""The summary `layergraph port` prints: statements translated, the ones left as `# PORT:` comments, and
calls to functions neither the program nor layergraph defines."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    """One file's translation: counts, untranslated statements (line, reason, text), missing functions."""

    file: str
    statements: int = 0
    translated: int = 0
    untranslated: list[tuple[int, str, str]] = field(default_factory=list)
    missing: dict[str, list[int]] = field(default_factory=dict)
    loaded: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.file}: {self.statements} statements, {self.translated} translated, "
                 f"{len(self.untranslated)} untranslated"]
        for line, why, text in self.untranslated:
            lines.append(f"  line {line}: {why}: {text.strip()}")
        if self.missing:
            names = ", ".join(f"{n} (line {', '.join(map(str, sorted(set(ls))))})"
                              for n, ls in sorted(self.missing.items()))
            lines.append(f"  calls to functions neither the program nor layergraph defines: {names}")
        if self.loaded:
            lines.append("  names read from the file of a `load` without output (nothing else defines them): "
                         + ", ".join(self.loaded))
        return "\n".join(lines)
