"""Rich rendering of analyzeNetwork reports and table comparisons."""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def _params(d: dict[str, str]) -> Text:
    return Text("\n".join(f"{k} {v}" for k, v in d.items()) or "-")


def issue_line(issue: dict[str, Any]) -> str:
    """One line per issue: 'error  spec.yaml:12  layer 'cat': message'."""
    where = f"{issue['location']}: " if issue.get("location") else ""
    return f"{issue['severity']}: {where}layer '{issue['layer']}': {issue['message']}"


def print_report(report: dict[str, Any], console: Console | None = None, title: str | None = None) -> None:
    """Print the analyzeNetwork table (name + description, type, activations, learnables, states)."""
    console = console or Console()
    # every text from the spec (its path, names, descriptions) is plain Text: '[/b]' in a path is no markup
    table = Table(title=Text(title) if title is not None else None, show_lines=True, header_style="bold")
    for col, just in (("#", "right"), ("Name", "left"), ("Type", "left"), ("Activations", "left"),
                      ("Learnables", "left"), ("States", "left")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for row in report["layers"]:
        name = Text(row["name"], style="bold")
        name.append("\n" + row["description"], style="dim")
        table.add_row(str(row["index"]), name, Text(str(row["type"])), Text(str(row["activations"])),
                      _params(row["learnables"]), _params(row["states"]))
    console.print(table)
    console.print(Text(f"Total learnables: {report['total_learnables']:,}"))
    issues = report["issues"]
    if not issues:
        console.print("No issues found.")
    for issue in issues:
        style = "red" if issue["severity"] == "error" else "yellow"
        console.print(Text(issue_line(issue), style=style), soft_wrap=True)
