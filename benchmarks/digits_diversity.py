"""Per-class diversity of the digits CGAN: trains a config for several seeds and scores each final generator
with `layergraph evaluate`'s metrics, beside the real-vs-real ceiling.

Prints, per seed and as the mean: recognised share, k-NN precision and recall (Kynkäänniemi et al. 2019,
k=3), density and coverage (Naeem et al. 2020, k=5), and the Fréchet distance, all in the feature space of the
small classifier `layergraph evaluate` trains on the reference half of the real digits; training time per
seed (wall clock; the machine's load average is printed beside it, since other work skews it).

Usage: python benchmarks/digits_diversity.py [--config examples/cgan_digits.yaml] [--seeds 1 2 3]
       [--set lossFunction=hinge --set "diffAugment=[translation]" ...] [--every 300] [--label NAME]
       [--jsonl results.jsonl] [--keep DIR]
       python benchmarks/digits_diversity.py --jsonl results.jsonl --show LABEL ...   (print stored results)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ("recognised", "precision", "recall", "density", "coverage", "frechet")


def run_seed(config: Path, data: Path, seed: int, overrides: dict, every: int | None, keep: Path | None) -> dict:
    """Train one seed in this process; the final (and every `every`) scores, and the training wall time."""
    from layergraph.gan.config import load_config
    from layergraph.gan.trainer import GANTrainer

    with tempfile.TemporaryDirectory() as tmp:
        out = keep / f"seed{seed}" if keep else Path(tmp)
        cfg = load_config(config, output=str(out), data=str(data.absolute()), seed=seed,
                          validationFrequency=10**9, checkpointFrequency=10**9, evaluationFrequency=every,
                          **overrides)
        trainer = GANTrainer(cfg)
        trainer.console.quiet = True
        t0 = time.perf_counter()
        trainer.run()
        seconds = time.perf_counter() - t0
        if trainer.evaluator is None:  # no evaluation during training: score the final generator now
            from layergraph.gan.evaluator import Evaluator

            trainer.evaluator = Evaluator(cfg.data, tuple(cfg.imageSize), trainer.channels)
            trainer.record_evaluation()
        ceiling = trainer.evaluator.ceiling()
    st = trainer.state
    return {"seed": seed, "seconds": seconds, "iterations": st.iteration, "final": st.evaluations[-1],
            "along": st.evaluations, "ceiling": {k: ceiling[k] for k in FIGURES}}


def step_cost(config: Path, data: Path, overrides: dict, rounds: int = 7, steps: int = 20) -> tuple[float, float]:
    """Median ms per training iteration as configured and with the overrides, timed interleaved (rounds of
    `steps` iterations each, alternating) so that load from other work hits both alike."""
    from layergraph.gan.config import load_config
    from layergraph.gan.trainer import GANTrainer

    with tempfile.TemporaryDirectory() as tmp:
        trainers = []
        for extra in ({}, overrides):
            cfg = load_config(config, output=tmp, data=str(data.absolute()), **extra)
            trainer = GANTrainer(cfg)
            batches = list(trainer.feed.epoch(1))[:steps]
            trainers.append((trainer, batches))
        times: list[list[float]] = [[], []]
        for _ in range(rounds):
            for i, (trainer, batches) in enumerate(trainers):
                t0 = time.perf_counter()
                for X, T in batches:
                    trainer.state.iteration += 1
                    trainer._train_step(X, T)
                times[i].append((time.perf_counter() - t0) / len(batches) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def parse_set(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = yaml.safe_load(value)
    return out


# the acceptance for the demo checkpoint, per seed
TARGETS = {"recognised": 0.98, "precision": 0.80, "recall": 0.30}


def summarize(label: str, results: list[dict]) -> None:
    """Mean and worst seed of each figure, the real-vs-real ceiling, and each seed against TARGETS."""
    mean = {k: statistics.mean(r["final"][k] for r in results) for k in FIGURES}
    # the worst seed of each figure: the lowest, or for the Fréchet distance the highest
    worst = {k: (max if k == "frechet" else min)(r["final"][k] for r in results) for k in FIGURES}
    ceiling = results[0]["ceiling"]
    print(f"\n== {label} ==")
    print(f"{'':>22}" + "".join(f"{k:>12}" for k in FIGURES))
    print(f"{'mean over seeds':>22}" + "".join(f"{mean[k]:>12.3f}" for k in FIGURES))
    print(f"{'worst seed':>22}" + "".join(f"{worst[k]:>12.3f}" for k in FIGURES))
    print(f"{'real vs real ceiling':>22}" + "".join(f"{ceiling[k]:>12.3f}" for k in FIGURES))
    print(f"training time per seed: {statistics.mean(r['seconds'] for r in results):.0f} s "
          f"(load average {statistics.mean(r['load'] for r in results):.1f})")
    for r in results:
        misses = [f"{k} {r['final'][k]:.3f} < {t}" for k, t in TARGETS.items() if r["final"][k] < t]
        print(f"seed {r['seed']}: " + ("meets " + ", ".join(f"{k} ≥ {t}" for k, t in TARGETS.items())
                                       if not misses else "misses: " + "; ".join(misses)))


def show(path: Path, labels: list[str]) -> None:
    """Print the summary of results stored with --jsonl: all seeds of the runs whose label starts with
    one of `labels`, pooled (so seeds trained in separate runs are summarized together)."""
    runs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for want in labels:
        results = [r for run in runs if run["label"].startswith(want) for r in run["results"]]
        if not results:
            raise SystemExit(f"{path}: no results labelled {want!r}")
        for r in results:
            f = r["final"]
            print(f"seed {r['seed']}: {r['iterations']} iterations in {r['seconds']:.0f} s (load {r['load']:.1f})  "
                  + "  ".join(f"{k} {f[k]:.3f}" for k in FIGURES))
        summarize(want, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(ROOT / "examples/cgan_digits.yaml"))
    parser.add_argument("--data", default=str(ROOT / "data/digits"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--set", action="append", default=[], metavar="OPTION=YAML",
                        help="override a training-config option, e.g. --set r1Gamma=0.1; repeatable")
    parser.add_argument("--every", type=int, help="also score every N iterations along the run")
    parser.add_argument("--label", help="name of this configuration in the printed table")
    parser.add_argument("--jsonl", help="append the results as one JSON line to this file")
    parser.add_argument("--keep", help="write each seed's checkpoint to KEEP/seedN/ instead of a temporary folder")
    parser.add_argument("--cost", action="store_true",
                        help="only time a training iteration with and without the --set options (interleaved)")
    parser.add_argument("--show", nargs="+", metavar="LABEL",
                        help="print the summary of the results stored in --jsonl under these labels (prefixes)")
    args = parser.parse_args()
    if args.show:
        show(Path(args.jsonl), args.show)
        return
    data = Path(args.data)
    if not data.exists():
        subprocess.run([sys.executable, "-m", "layergraph", "data", "digits", str(data)], check=True)
    overrides = parse_set(args.set)
    label = args.label or (", ".join(f"{k}={v}" for k, v in overrides.items()) or "as configured")
    if args.cost:
        base, changed = step_cost(Path(args.config), data, overrides)
        print(f"{label}: {changed:.1f} ms per iteration against {base:.1f} ms as configured "
              f"(×{changed / base:.2f}; medians of interleaved rounds, load {os.getloadavg()[0]:.1f})")
        return
    results = []
    for seed in args.seeds:
        r = run_seed(Path(args.config), data, seed, overrides, args.every, Path(args.keep) if args.keep else None)
        r["load"] = os.getloadavg()[0]
        results.append(r)
        f = r["final"]
        print(f"seed {seed}: {r['iterations']} iterations in {r['seconds']:.0f} s (load {r['load']:.1f})  " +
              "  ".join(f"{k} {f[k]:.3f}" for k in FIGURES), flush=True)
        for e in r["along"][:-1]:
            print(f"    at {e['iteration']:>5}: " + "  ".join(f"{k} {e[k]:.3f}" for k in FIGURES), flush=True)
    summarize(label, results)
    if args.jsonl:
        with open(args.jsonl, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"label": label, "overrides": overrides, "config": args.config,
                                 "results": results}) + "\n")


if __name__ == "__main__":
    main()
