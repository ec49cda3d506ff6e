"""The analyzeNetwork page in a real browser: Debian's headless Chromium driven by selenium through Debian's
chromedriver (no browser or driver is downloaded). One browser serves every test of this module.

Skipped, with the reason, where chromium, chromedriver or selenium is missing; .ci/run installs them."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from layergraph.analyze import network_report
from layergraph.analyze.html import write_report_html
from layergraph.layers.functions import register_function
from layergraph.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:  # the dev extra installs it
    webdriver = None

pytestmark = [
    pytest.mark.skipif(webdriver is None, reason="selenium is not installed (pip install -e '.[dev]')"),
    pytest.mark.skipif(not CHROMIUM or not DRIVER,
                       reason="Debian's chromium and chromium-driver are not installed "
                              "(apt-get install chromium chromium-driver; .ci/run does this)"),
]


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,900", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def generator_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("page") / "cgan_flowers_generator.html"
    report = network_report(load_spec(ROOT / "specs/cgan_flowers_generator.yaml"), order="matlab")
    return write_report_html(report, out, "cgan_flowers_generator")


def visible_rows(driver) -> list[str]:
    return [r.find_element(By.CSS_SELECTOR, ".name").text
            for r in driver.find_elements(By.CSS_SELECTOR, "#layers tbody tr") if r.is_displayed()]


def in_view(driver, el, pane: str) -> bool:
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(), p = document.getElementById(arguments[1])"
        ".getBoundingClientRect(); return r.top >= p.top && r.bottom <= p.bottom;", el, pane)


def test_generator_page_select_search_and_screenshot(browser, generator_page: Path, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    browser.get(generator_page.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#layers tbody tr")
    nodes = browser.find_elements(By.CSS_SELECTOR, "#lg-graph g.node")
    assert len(rows) == 19 and len(nodes) == 19
    assert browser.execute_script("return document.getElementById('lg-graph').getBBox().height") > 19 * 40

    # click the node 'cat': its row, and only its row, is selected and scrolled into the table's view
    cat = next(n for n in nodes if n.find_element(By.CSS_SELECTOR, "text.name").text == "cat")
    cat.click()
    selected = browser.find_elements(By.CSS_SELECTOR, "#layers tbody tr.selected")
    assert [r.find_element(By.CSS_SELECTOR, ".name").text for r in selected] == ["cat"]
    assert selected[0].get_attribute("aria-selected") == "true"
    assert "selected" in cat.get_attribute("class")
    assert browser.find_element(By.ID, "selected").text == "cat"
    assert in_view(browser, selected[0], "table-pane")

    # click a row: its node is selected instead, and the graph scrolls to it
    relu_3 = next(n for n in nodes if n.find_element(By.CSS_SELECTOR, "text.name").text == "relu_3")
    assert not in_view(browser, relu_3, "graph-pane")
    row = next(r for r in rows if r.find_element(By.CSS_SELECTOR, ".name").text == "relu_3")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    row.click()
    chosen = browser.find_elements(By.CSS_SELECTOR, "#lg-graph g.node.selected text.name")
    assert [n.text for n in chosen] == ["relu_3"] and "selected" not in cat.get_attribute("class")
    assert in_view(browser, relu_3, "graph-pane")

    # the search box filters by name or type; the other nodes are dimmed
    browser.find_element(By.ID, "search").send_keys("conv")
    want = ["transposed-conv_1", "transposed-conv_2", "transposed-conv_3", "transposed-conv_4"]
    assert visible_rows(browser) == want
    assert len(browser.find_elements(By.CSS_SELECTOR, "#lg-graph g.node.dim")) == 15
    assert browser.find_element(By.ID, "shown").text == "4 of 19 shown"
    box = browser.find_element(By.ID, "search")
    box.clear()
    box.send_keys("Feature Input")
    assert visible_rows(browser) == ["input", "input_1"]

    box.clear()
    box.send_keys(" ")  # an empty query shows every layer again
    browser.get(generator_page.as_uri() + "#batchnorm_2")  # a link to a layer opens with it selected
    assert [n.text for n in browser.find_elements(By.CSS_SELECTOR, "#lg-graph g.node.selected text.name")] == [
        "batchnorm_2"]
    assert len(visible_rows(browser)) == 19
    shot = tmp_path / "page.png"
    assert browser.save_screenshot(str(shot))
    image = Image.open(shot).convert("L")
    assert image.size[0] >= 1000
    # a blank page has one grey level and no spread; this one has text, boxes and edges
    assert ImageStat.Stat(image).stddev[0] > 15 and len(image.getcolors(256) or []) > 50


# layer names may not contain "/", so this one leaves its tags open: neither the svg nor the script may run
CAT_NAME = "cat<svg onload=\"window.__pwned='cat'\"><script>window.__pwned='cat'"
PAYLOAD_FN = "<script>window.__pwned='fn'</script>"


@register_function(PAYLOAD_FN, output_size=lambda inputs: inputs[0])
def _identity(x):  # a function with a hostile name
    return x


def test_markup_in_a_spec_is_shown_as_text_and_never_runs(browser, tmp_path: Path) -> None:
    name = "<img src=x onerror=\"window.__pwned='img';document.title='pwned'\">\"'"
    desc = "<svg onload=\"window.__pwned='svg'\"></svg>'\"<script>window.__pwned='desc'</script>"
    data = {"name": "hostile", "layers": [
        {"type": "featureInputLayer", "Name": name, "InputSize": 4},
        {"type": "functionLayer", "Name": "fn'\"<b>", "PredictFcn": PAYLOAD_FN, "Description": desc},
        {"type": "functionLayer", "Name": "fn2", "PredictFcn": PAYLOAD_FN},
        {"type": "concatenationLayer", "Name": CAT_NAME, "Dim": 1,
         "NumInputs": 2},
    ]}
    spec = tmp_path / "hostile.yaml"
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    report = network_report(load_spec(spec))
    page = write_report_html(report, tmp_path / "hostile.html", "<script>window.__pwned='title'</script>")
    browser.get(page.as_uri())
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.title == "analyzeNetwork — <script>window.__pwned='title'</script>"
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#layers tbody .name")]
    assert names == [name, "fn'\"<b>", "fn2", CAT_NAME]
    descs = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#layers tbody .desc")]
    assert descs[1] == desc and descs[2] == f"@(X){PAYLOAD_FN}(X)"
    issues = browser.find_element(By.ID, "issues").text
    assert "input 'in2' is not connected" in issues and "cat<svg onload=" in issues
    assert not browser.find_elements(By.CSS_SELECTOR, "#layers img, #layers svg, #layers b, #issues script")
    # the page's own script did run: clicking the node with the markup name selects its row
    browser.find_element(By.CSS_SELECTOR, "#lg-graph g.node[data-i='0']").click()
    assert browser.find_element(By.ID, "selected").text == name
    assert browser.execute_script("return window.__pwned === undefined")
