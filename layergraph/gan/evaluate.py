"""`layergraph evaluate`: a checkpoint's generator scored against its real data, beside the real-vs-real ceiling."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from layergraph.errors import DataError
from layergraph.gan.evaluator import METRICS, Evaluator
from layergraph.gan.features import cache_path
from layergraph.gan.generate import Generator
from layergraph.safety.outputs import refuse_special

__all__ = ["evaluate_checkpoint", "format_report"]


def evaluate_checkpoint(checkpoint: str | Path, data: str | Path, seed: int = 0, cache: bool = True) -> dict[str, Any]:
    """Scores of the checkpoint's generator (the images `generate` makes) and of held-out real images."""
    g = Generator(checkpoint)
    size = tuple(g.net.analysis.outputs[g.net.OutputNames[0]].spatial)
    channels = g.net.analysis.outputs[g.net.OutputNames[0]].channels
    if cache:  # before the data is read: the cache file may never replace a device, FIFO or socket
        refuse_special(cache_path(Path(data), size, channels), "evaluator cache")
    ev = Evaluator(data, size, channels, cache=cache)
    if g.conditional and ev.classes != g.classes:
        raise DataError(f"{data}: classes {', '.join(ev.classes)} differ from the checkpoint's "
                        f"({', '.join(g.classes)})")
    return {"checkpoint": str(checkpoint), "data": str(data), "seed": seed, "classes": ev.classes,
            "classifier": {"cached": ev.cached, "features": int(ev.ref_features.shape[1])},
            "generated": ev.score_generator(g.net, g.conditional, seed), "real": ev.ceiling()}


def _cell(v: Any, metric: str) -> str:
    if v is None:
        return "–"
    return f"{v:.1f}" if metric == "frechet" else f"{v:.3f}"


def format_report(result: dict[str, Any]) -> str:
    """A text table: one row per class and one for all images; each cell 'generated (real ceiling)'."""
    gen, real = result["generated"], result["real"]
    head = ["class", "n", *METRICS]
    rows = [["all", str(gen["n"]), *(f"{_cell(gen.get(m), m)} ({_cell(real.get(m), m)})" for m in METRICS)]]
    for name, sc in gen.get("classes", {}).items():
        ref = real["classes"][name]
        rows.append([name, str(sc["n"]), *(f"{_cell(sc.get(m), m)} ({_cell(ref.get(m), m)})" if m in sc else ""
                                           for m in METRICS)])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [head, *rows]]
    return "\n".join([f"{result['checkpoint']} against {result['data']}: generated (real held-out half)",
                      *lines, "recognised: share the classifier gives the conditioning label; precision/recall: "
                      "k-NN, k=3; density/coverage: k=5; frechet: Fréchet distance (lower is better)"])
