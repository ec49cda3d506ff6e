"""The allowed import order of layergraph/, written down: every module sits on one floor of a stack, and imports
only from its own floor or those below; nothing imports in a circle; no private name (`_x`) crosses packages.

Imports are read from the code (module level, inside functions and under TYPE_CHECKING alike), as
`/work/shared/tools/import_cycles.py` reads them: an import of a package stands for the modules its
`__init__.py` imports. A new module or package must be given a floor in FLOORS, or this test fails.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "layergraph"

# The floors, lowest first. A module belongs to the floor of the longest prefix that names it ("layergraph"
# names the package's __init__.py only, so that a new top-level module must be given a floor).
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    # plain helpers every floor may use: errors, names, formats, sizes, tables, safety checks, worker threads
    ("base", ("layergraph.errors", "layergraph.names", "layergraph.namevalue", "layergraph.formats",
              "layergraph.sizes", "layergraph.table", "layergraph.tree", "layergraph.precision",
              "layergraph.workers", "layergraph.safety", "layergraph.version",
              "layergraph.nargout", "layergraph.tracing")),
    ("dlarray", ("layergraph.dlarray",)),
    ("devices", ("layergraph.devices",)),  # gpuArray/gather work on dlarrays
    ("data", ("layergraph.data",)),  # datastores, minibatchqueue, categorical, images
    ("layers", ("layergraph.layers",)),
    ("graph", ("layergraph.graph",)),  # layerGraph and size inference over the layers
    ("spec", ("layergraph.spec",)),  # YAML specs read into and written from layer graphs
    ("compile", ("layergraph.compile",)),  # dlnetwork: a layer graph compiled to torch
    ("dlfun", ("layergraph.dlfun",)),  # the dl* functions of custom training loops
    ("matfile", ("layergraph.matfile",)),  # MATLAB's save/load of MAT-files (networks, dlarrays, structs)
    # MATLAB's trainingProgressMonitor and confusionchart: figures a training loop draws, below training so
    # that the training library (trainnet's plots) may use them
    ("monitor", ("layergraph.monitor",)),
    # the MATLAB training library: dlgradient, the *update solvers, losses, checkpoint files, Ctrl-C,
    # multi-process helpers; it knows nothing of GANs
    ("train", ("layergraph.train",)),
    ("gan", ("layergraph.gan",)),  # the GAN application: trainer, its config, data feed, generate, evaluation
    # what people look at or exchange: analyzeNetwork and plots, ONNX import/export
    ("presentation", ("layergraph.analyze", "layergraph.interop")),
    ("facade", ("layergraph",)),  # layergraph/__init__.py alone: every public MATLAB name in one place
    # `layergraph port`: MATLAB programs translated to code that uses the facade; its runtime helpers use it too
    ("port", ("layergraph.port",)),
    ("cli", ("layergraph.cli", "layergraph.__main__")),
]

KNOWN_CIRCLES: list[set[str]] = []  # none is allowed
KNOWN_PRIVATE: set[tuple[str, str, str]] = set()  # (importer, source module, name): none is allowed


@dataclass(frozen=True)
class Import:
    """One imported name: from module `source` (a module or package of layergraph), in module `importer`."""

    importer: str
    source: str
    name: str | None
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


FILES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
PACKAGES = {m for m, p in FILES.items() if p.name == "__init__.py"}


def imports_of(mod: str) -> list[Import]:
    """Every import of a layergraph module in `mod`'s source, resolved to the module it reads from."""
    tree = ast.parse(FILES[mod].read_text(encoding="utf-8"))
    base = mod if mod in PACKAGES else mod.rsplit(".", 1)[0]
    in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for n in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        pairs: list[tuple[str, str | None]] = []
        if isinstance(node, ast.Import):
            pairs = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            src = node.module or ""
            if node.level:
                anchor = base.split(".")[: len(base.split(".")) - (node.level - 1)]
                src = ".".join(anchor + ([node.module] if node.module else []))
            for a in node.names:
                sub = f"{src}.{a.name}"
                pairs.append((sub, None) if sub in FILES else (src, a.name))
        found += [Import(mod, src, name, node.lineno, id(node) in in_function)
                  for src, name in pairs if src in FILES and src != mod]
    return found


IMPORTS = [imp for mod in FILES for imp in imports_of(mod)]


def real_modules(target: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The modules an import of `target` loads: itself, or for a package what its __init__ imports."""
    if target not in PACKAGES or target == "layergraph":
        return {target}
    out: set[str] = set()
    for imp in IMPORTS:
        if imp.importer == target and imp.source not in seen:
            out |= real_modules(imp.source, seen | {imp.source})
    return out


def floor_of(mod: str) -> int:
    best = max(((len(p), i) for i, (_, prefixes) in enumerate(FLOORS) for p in prefixes
                if mod == p or (mod.startswith(p + ".") and p != "layergraph")), default=None)
    assert best is not None, f"{mod} has no floor in FLOORS: give it one (which floors does it import from?)"
    return best[1]


def graph() -> dict[str, dict[str, list[Import]]]:
    """module → imported module → the imports that tie them (packages stand for what they import)."""
    edges: dict[str, dict[str, list[Import]]] = {m: {} for m in FILES if m not in PACKAGES or m == "layergraph"}
    for imp in IMPORTS:
        if imp.importer in edges:
            for real in real_modules(imp.source):
                if real != imp.importer and real in edges:
                    edges[imp.importer].setdefault(real, []).append(imp)
    return edges


def circles(edges: dict[str, dict[str, list[Import]]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[set[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(edges[w])))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.add(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    found.append(comp)
    return found


def where(imp: Import) -> str:
    return f"{FILES[imp.importer].relative_to(PACKAGE.parent)}:{imp.line}"


def test_every_module_has_a_floor() -> None:
    for mod in FILES:
        floor_of(mod)


def test_no_import_circles_but_the_known_one() -> None:
    edges = graph()
    bad = [c for c in circles(edges) if c not in KNOWN_CIRCLES]
    lines = [f"{' ↔ '.join(sorted(c))}: " + "; ".join(
        f"{a} imports {b} ({where(edges[a][b][0])})" for a in sorted(c) for b in sorted(edges[a]) if b in c)
        for c in bad]
    assert not bad, "import circles:\n" + "\n".join(lines)


def test_the_known_circle_is_still_listed_only_while_it_exists() -> None:
    # when the dlarray rewrite unties it, KNOWN_CIRCLES must be emptied so that it cannot come back unseen
    assert all(c in circles(graph()) for c in KNOWN_CIRCLES)


def test_no_import_runs_up_the_floors() -> None:
    edges = graph()
    up = [f"{where(imps[0])}: {a} ({FLOORS[floor_of(a)][0]}) imports {b} ({FLOORS[floor_of(b)][0]})"
          for a, targets in edges.items() for b, imps in targets.items() if floor_of(b) > floor_of(a)]
    assert not up, "imports from a lower floor to a higher one:\n" + "\n".join(sorted(up))


def test_no_private_name_crosses_packages() -> None:
    def package(mod: str) -> str:
        return mod if mod in PACKAGES else mod.rsplit(".", 1)[0]

    bad = [f"{where(imp)}: {imp.importer} imports {imp.name} from {imp.source}" for imp in IMPORTS
           if imp.name and imp.name.startswith("_") and not imp.name.startswith("__")
           and package(imp.importer) != package(imp.source)
           and (imp.importer, imp.source, imp.name) not in KNOWN_PRIVATE]
    assert not bad, "private names imported from another package:\n" + "\n".join(bad)
    still = {(i.importer, i.source, i.name) for i in IMPORTS}
    assert still >= KNOWN_PRIVATE, f"no longer imported, drop from KNOWN_PRIVATE: {KNOWN_PRIVATE - still}"


def test_the_walk_sees_imports_inside_functions() -> None:
    # the reader itself: an import inside a function counts, and a package import stands for its modules
    assert any(i.in_function for i in IMPORTS)
    assert real_modules("layergraph.compile") >= {"layergraph.compile.dlnetwork"}
