"""How big is the analyzeNetwork page, and how fast does it open? Every shipped spec, plus a 300-layer network.

For each network it writes the page (`layergraph analyze SPEC --html`), prints its size, then opens it in
Debian's headless Chromium (selenium + chromedriver) several times and prints the median time from navigation
start to the end of the load event (Navigation Timing), and the time to build the page in Python. Goals: the
largest shipped spec's page under 1 MB and open in under 1 s. Figures, not assertions.

Usage: python benchmarks/analyze_page.py [--loads N]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from layergraph import additionLayer, batchNormalizationLayer, convolution2dLayer, imageInputLayer, reluLayer
from layergraph.analyze import network_report
from layergraph.analyze.html import write_report_html
from layergraph.graph.layergraph import LayerGraph
from layergraph.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def residual_net(blocks: int) -> LayerGraph:
    """A ResNet-like stack: each block conv-bn-relu-conv-bn plus the identity, added, then relu (6 layers)."""
    lg = LayerGraph()
    lg._add([imageInputLayer([32, 32, 16], Name="input"), convolution2dLayer(3, 16, Padding="same", Name="stem")])
    prev = "stem"
    for b in range(blocks):
        names = lg._add([convolution2dLayer(3, 16, Padding="same", Name=f"b{b}_conv1"),
                         batchNormalizationLayer(Name=f"b{b}_bn1"), reluLayer(Name=f"b{b}_relu1"),
                         convolution2dLayer(3, 16, Padding="same", Name=f"b{b}_conv2"),
                         batchNormalizationLayer(Name=f"b{b}_bn2"), additionLayer(2, Name=f"b{b}_add"),
                         reluLayer(Name=f"b{b}_out")])
        lg._connect(prev, names[0])
        lg._connect(prev, f"b{b}_add/in2")
        prev = names[-1]
    return lg


def open_times(driver, path: Path, loads: int) -> float:
    """Median milliseconds from navigation start to loadEventEnd over `loads` fresh loads."""
    times = []
    for _ in range(loads):
        driver.get("about:blank")
        driver.get(path.as_uri())
        times.append(driver.execute_script(
            "const e = performance.getEntriesByType('navigation')[0]; return e.loadEventEnd - e.startTime;"))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    nets = {p.stem: load_spec(p) for p in sorted((ROOT / "specs").glob("*.yaml"))}
    nets["residual_50_blocks (synthetic)"] = residual_net(50)
    print(f"{'network':<34} {'layers':>6} {'page KB':>8} {'build ms':>9} {'open ms':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, lg in nets.items():
            t0 = time.perf_counter()
            report = network_report(lg, order="execution")
            path = write_report_html(report, Path(tmp) / f"{name.split()[0]}.html", name)
            build = (time.perf_counter() - t0) * 1000
            ms = open_times(driver, path, args.loads)
            print(f"{name:<34} {len(report['layers']):>6} {path.stat().st_size / 1024:>8.1f} {build:>9.0f} {ms:>8.0f}")
    driver.quit()


if __name__ == "__main__":
    main()
