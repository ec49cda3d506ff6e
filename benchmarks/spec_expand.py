"""Time the expansion of the shipped spec templates (params, blocks, repeat, ${...}) into flat specs.

Prints, per template, the median time of `flatten` (the expansion alone), of `load_spec` of the template
(reading + expansion + validation into a LayerGraph) and of `load_spec` of the flat spec it expands to
(the same network without expansion), measured interleaved in one process. The goal is expansion under
100 ms for the largest shipped spec.

    .venv/bin/python benchmarks/spec_expand.py [--repeat 20]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from layergraph.spec import load_spec
from layergraph.spec.expand import flatten
from layergraph.spec.flat import dump_flat
from layergraph.spec.yamlsafe import read_yaml_file

ROOT = Path(__file__).resolve().parents[1]
CASES = [("cgan_generator.yaml", {}), ("cgan_discriminator.yaml", {}), ("pix2pix_unet_generator.yaml", {}),
         ("pix2pix_patchgan_discriminator.yaml", {}), ("cyclegan_resnet_generator.yaml", {}),
         ("cyclegan_resnet_generator.yaml", {"numResidualBlocks": 100})]


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"{'template':<55} {'layers':>6} {'expand':>9} {'load tmpl':>10} {'load flat':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, params in CASES:
            path = ROOT / "specs" / "templates" / name
            data = read_yaml_file(path)
            flat = flatten(data, str(path), params)
            flat_path = Path(tmp) / name
            flat_path.write_text(dump_flat(flat))
            expand = median_ms(lambda: flatten(data, str(path), params), args.repeat)  # noqa: B023
            load_t = median_ms(lambda: load_spec(path, **params), args.repeat)  # noqa: B023
            load_f = median_ms(lambda: load_spec(flat_path), args.repeat)  # noqa: B023
            label = name + (f" {params}" if params else "")
            print(f"{label:<55} {len(flat['layers']):>6} {expand:>7.1f}ms {load_t:>8.1f}ms {load_f:>8.1f}ms")


if __name__ == "__main__":
    main()
