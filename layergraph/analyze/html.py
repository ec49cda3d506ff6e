"""analyzeNetwork as one self-contained HTML page (graph, layer table, summary, issues), inline in notebooks too.

Everything is inline (no network, no CDN). Text from a spec is written with html.escape and the JSON the
script reads is escaped for a <script> block; a Content-Security-Policy lets only this page's own script
and style (by hash) run, so markup hidden in a layer name could not execute even if it reached the page.
"""
from __future__ import annotations

import base64
import hashlib
import json
import sys
from html import escape
from pathlib import Path
from typing import Any

from layergraph.analyze.render import issue_line
from layergraph.analyze.svg import family_css, graph_svg

_HERE = Path(__file__).parent
_MARK = {"error": "✖", "warning": "⚠"}


def _asset(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


def script_json(obj: Any) -> str:
    """JSON that is safe inside <script type="application/json">: no '<', '>', '&', U+2028 or U+2029 left."""
    text = json.dumps(obj, ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def page(title: str, body: str, script: str | None = None, data: Any = None) -> str:
    """A complete HTML document; its CSP allows only the inline `script` and the page's style, nothing loaded."""
    style = _asset("page.css") + family_css()
    script_src = _sha(script) if script else "'none'"
    csp = (f"default-src 'none'; script-src {script_src}; style-src {_sha(style)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    parts = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(title)}</title><style>{style}</style></head><body>", body]
    if data is not None:
        parts.append(f'<script type="application/json" id="lg-data">{script_json(data)}</script>')
    if script:
        parts.append(f"<script>{script}</script>")
    parts.append("</body></html>\n")
    return "".join(parts)


# ----- the analyzeNetwork page -----------------------------------------------------------------------------------
def report_page(report: Any, title: str = "network") -> str:
    """The analyzeNetwork page of a report from network_report (it carries the graph it was made from)."""
    order = [row["name"] for row in report["layers"]]
    index = {name: i for i, name in enumerate(order)}
    marks: dict[str, str] = {}
    for issue in report["issues"]:
        if marks.get(issue["layer"]) != "error":
            marks[issue["layer"]] = issue["severity"]
    body = (_header(report, title, index) + '<main><div class="pane" id="graph-pane">'
            + graph_svg(report.graph, order, marks) + '</div><div class="pane" id="table-pane">'
            + _table(report, marks) + "</div></main>")
    data = {"layers": [{"name": r["name"], "type": r["type"]} for r in report["layers"]]}
    return page(f"analyzeNetwork — {title}", body, _asset("page.js"), data)


def _header(report: Any, title: str, index: dict[str, int]) -> str:
    counts = {sev: sum(i["severity"] == sev for i in report["issues"]) for sev in ("warning", "error")}

    def stat(n: int | str, label: str, cls: str = "") -> str:
        return f'<span class="stat {cls}"><b>{n}</b> {label}</span>'

    stats = (stat(len(report["layers"]), "layers") + stat(f"{report['total_learnables']:,}", "total learnables")
             + stat(counts["warning"], "warnings", "warnings" + (" zero" if not counts["warning"] else ""))
             + stat(counts["error"], "errors", "errors" + (" zero" if not counts["error"] else ""))
             + '<span>selected: <b id="selected">none</b></span><span id="shown"></span>'
             + '<input id="search" type="search" placeholder="Filter layers by name or type" '
               'aria-label="Filter layers by name or type" autocomplete="off">')
    items = []
    for issue in report["issues"]:
        i = index.get(issue["layer"])
        attrs = f' data-i="{i}" tabindex="0" role="button"' if i is not None else ""
        items.append(f'<li class="{escape(issue["severity"])}"{attrs}>{escape(issue_line(issue))}</li>')
    issues = "".join(items) or '<li class="none">No issues found.</li>'
    return (f'<header><h1><span class="what">analyzeNetwork</span> {escape(title)}</h1>'
            f'<div class="bar">{stats}</div><ul id="issues" aria-label="issues">{issues}</ul></header>')


def _kv(values: dict[str, str]) -> str:
    return "".join(f'<div class="kv">{escape(k)} {escape(v)}</div>' for k, v in values.items()) or "-"


def _table(report: Any, marks: dict[str, str]) -> str:
    head = ('<table id="layers"><thead><tr><th class="num">#</th><th>Name</th><th>Type</th><th>Activations</th>'
            "<th>Learnables</th><th>States</th></tr></thead><tbody>")
    rows = []
    for i, r in enumerate(report["layers"]):
        mark = marks.get(r["name"])
        flag = f'<span class="mark" title="{mark}">{_MARK[mark]}</span>' if mark else ""
        rows.append(f'<tr data-i="{i}" class="{mark or ""}" tabindex="0" aria-selected="false">'
                    f'<td class="num">{flag}{r["index"]}</td>'
                    f'<td><div class="name">{escape(r["name"])}</div><div class="desc">{escape(r["description"])}'
                    f'</div></td><td>{escape(r["type"])}</td><td>{escape(r["activations"])}</td>'
                    f'<td>{_kv(r["learnables"])}</td><td>{_kv(r["states"])}</td></tr>')
    return head + "".join(rows) + "</tbody></table>"


def write_report_html(report: Any, path: str | Path, title: str | None = None) -> Path:
    """Write the analyzeNetwork page to `path` (UTF-8); returns the path."""
    from layergraph.safety.outputs import write_text_atomic

    path = Path(path)
    return write_text_atomic(path, report_page(report, title or path.stem))


# ----- notebooks -------------------------------------------------------------------------------------------------
def notebook_html(report: Any, title: str = "network", height: int = 620) -> str:
    """The same page inline: a sandboxed <iframe srcdoc> (scripts run inside it, nothing reaches the notebook)."""
    return (f'<iframe srcdoc="{escape(report_page(report, title), quote=True)}" sandbox="allow-scripts" '
            f'title="analyzeNetwork" style="width:100%;height:{height}px;border:1px solid #d5dbe1"></iframe>')


def _kernel() -> Any:
    """The running Jupyter kernel's shell, or None outside a notebook (terminal IPython prints the table)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell if shell is not None and "IPKernelApp" in getattr(shell, "config", {}) else None


def in_notebook() -> bool:
    """True inside a Jupyter kernel."""
    return _kernel() is not None


def show(report: Any) -> None:
    """Display the page in the notebook now; the same report is not shown again as the cell's value."""
    from IPython.display import HTML, display

    display(HTML(notebook_html(report)))
    report._shown_in = _kernel().execution_count


def ipython_display(report: Any) -> None:
    """IPython's display hook for reports: the page, unless analyzeNetwork already showed it in this cell."""
    kernel = _kernel()
    if kernel is not None and getattr(report, "_shown_in", None) == kernel.execution_count:
        return
    from IPython.display import HTML, display

    display(HTML(notebook_html(report)))


# ----- compare ---------------------------------------------------------------------------------------------------
_CELLS = ("Name", "Type", "Activations", "Learnables")


def compare_page(result: dict[str, Any], rows: list[Any], report: Any, spec: str, table: str) -> str:
    """MATLAB's table and the network's side by side, rows paired as compare_table paired them; cells that
    differ are marked."""
    ours = {r["name"]: r for r in report["layers"]}
    head = ('<table class="cmp"><thead><tr><th class="group" colspan="5">MATLAB table: ' + escape(table)
            + '</th><th class="group sep" colspan="5">layergraph: ' + escape(spec)
            + '</th><th class="sep"></th></tr><tr>'
            + "".join(f"<th>{c}</th>" for c in ("#", *_CELLS))
            + "".join(f'<th class="{"sep" if c == "#" else ""}">{c}</th>' for c in ("#", *_CELLS))
            + '<th class="sep">Result</th></tr></thead><tbody>')
    body = []
    for pos, (row, res) in enumerate(zip(rows, result["rows"])):
        by_position = any(d.startswith("name:") for d in res["differences"])
        mine = report["layers"][pos] if by_position else ours.get(row.name)
        bad = {c for c in _CELLS for d in res["differences"] if _about(d) == c}
        left = [str(row.index), row.name, row.type, row.activations, "\n".join(f"{k} {v}" for k, v in row.learnables)]
        right = _cells_of(mine)
        body.append("<tr>" + _tds(left, bad, False) + _tds(right, bad, True) + _result(res) + "</tr>")
    for name in result["missing_from_table"]:
        body.append('<tr class="missing">' + _tds([""] * 5, set(_CELLS), False)
                    + _tds(_cells_of(ours[name]), set(_CELLS), True)
                    + '<td class="sep bad">not in the table</td></tr>')
    verdict = (f'<span class="{"ok" if result["all_match"] else "bad"}">{result["matched"]} of {result["total"]} '
               "rows match</span>" + ("" if result["same_order"] else " · the table lists the layers in another order"))
    header = (f'<header><h1><span class="what">compare</span> {escape(spec)} '
              f'<span class="what">with</span> {escape(table)}</h1><div class="bar">{verdict}</div></header>')
    return page(f"compare — {spec}", header + '<div class="cmp-wrap">' + head + "".join(body)
                + "</tbody></table></div>")


def _about(difference: str) -> str:
    """Which cell a compare_table difference is about."""
    head = difference.split(":", 1)[0]
    return {"name": "Name", "Type": "Type", "Activations": "Activations", "Learnables": "Learnables"}.get(head, "Name")


def _cells_of(mine: dict[str, Any] | None) -> list[str]:
    if mine is None:
        return [""] * 5
    return [str(mine["index"]), mine["name"], mine["type"], mine["activations"],
            "\n".join(f"{k} {v}" for k, v in mine["learnables"].items())]


def _tds(cells: list[str], bad: set[str], right: bool) -> str:
    out = []
    for col, text in zip(("#", *_CELLS), cells):
        cls = " ".join(c for c in ("sep" if right and col == "#" else "", "diff" if col in bad else "") if c)
        lines = "".join(f'<div class="kv">{escape(t)}</div>' for t in text.split("\n")) if text else "-"
        out.append(f'<td class="{cls}">{lines}</td>')
    return "".join(out)


def _result(res: dict[str, Any]) -> str:
    notes = "".join(f"<div>{escape(d)}</div>" for d in res["differences"])
    notes += "".join(f'<div class="note">note: {escape(n)}</div>' for n in res["notes"])
    return (f'<td class="sep"><span class="{"ok" if res["match"] else "bad"}">'
            f'{"match" if res["match"] else "differs"}</span>{notes}</td>')
