"""Issue 24's classes, fuzzed (hypothesis, fixed seed, no shrinking): template expressions, special files as
outputs, checkpoint class names that become folders, `--import` edge cases, numbers from text and rich markup
in paths. 1,150 cases, all in-process calls of the CLI or of the expression evaluator. Each ends in success or
exactly one `error:` line with exit 2 (1 for an invalid network), never a traceback or a catch-all message;
special files are made only inside this module's own temporary folder and are still special afterwards."""
from __future__ import annotations

import math
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from layergraph.cli.main import main
from layergraph.spec.evaluate import evaluate
from layergraph.spec.expr import MAX_LIST, MAX_MAGNITUDE, ExprError
from tests.hostile import FALLBACKS, make_checkpoint, make_special, still_special


def fuzz(cases: int) -> settings:
    """Reproducible runs of `cases` examples without shrinking (a failure prints its example as it is)."""
    return settings(max_examples=cases, deadline=None, phases=(Phase.explicit, Phase.generate), derandomize=True,
                    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                          HealthCheck.data_too_large])


SMALL = ("layers:\n  - {type: featureInputLayer, Name: in, InputSize: 4}\n"
         "  - {type: fullyConnectedLayer, Name: fc, OutputSize: 3}\n  - {type: reluLayer, Name: relu}\n")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's folder, the current folder for its tests: a spec, a model, a checkpoint, a table. Files
    are not flushed to disk here (fsync is not what these cases test, and it costs a third of their time)."""
    folder = tmp_path_factory.mktemp("fuzz-hostile")
    old = os.getcwd()
    os.chdir(folder)
    Path("s.yaml").write_text(SMALL)
    assert main(["export", "s.yaml", "--onnx", "m.onnx"]) == 0
    make_checkpoint(folder / "ck.safetensors")
    Path("table.txt").write_text("1\tin\tFeature Input\t4 features\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("layergraph.safety.outputs._fsync", lambda *a, **k: None)
        yield folder
    os.chdir(old)


def check(argv: list[str], capsys: pytest.CaptureFixture, codes: tuple[int, ...] = (0, 1, 2)) -> tuple[int, str]:
    """One in-process CLI call: an allowed exit code, and on exit 2 exactly one specific `error:` line; returns
    (exit code, stderr); standard output is left in `check.out`."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    check.out = out  # type: ignore[attr-defined]
    assert "Traceback" not in err, err
    assert code in codes, (code, err)
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert not lines[0].startswith(FALLBACKS), lines[0]
    return code, err


# ----- 1. template expressions: a value within the limits, or an ExprError -----------------------------------
HOSTILE_NUMBERS = ["1e-320", "5e-324", "4.9e-324", "1e-300", "1e308", "1e309", "1.7976931348623157e308",
                   "9" * 400, "0." + "0" * 300 + "1", "1" + "0" * 16, "1e15", "1e16", "0", "0.0", "2", "3.5", "17",
                   "1e-16", ".5", "00012", "1e+3", "2.5e-3"]
OPS = ["+", "-", "*", "/", "//", "^", ":"]
FUNCS = ["prod", "sum", "min", "max", "floor", "ceil", "round", "numel"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 7 if depth < 3 else 1))
    if kind == 0:
        return draw(st.sampled_from(HOSTILE_NUMBERS) | st.integers(-10**6, 10**6).map(str))
    if kind == 1:
        return draw(st.sampled_from(["k", "v", "end", "s", "big", "tiny"]))
    if kind in (2, 3):
        return f"{draw(expressions(depth + 1))}{draw(st.sampled_from(OPS))}{draw(expressions(depth + 1))}"
    if kind == 4:
        return f"{draw(st.sampled_from(FUNCS))}({draw(expressions(depth + 1))})"
    if kind == 5:
        return f"[{', '.join(draw(st.lists(expressions(depth + 1), max_size=3)))}]"
    if kind == 6:
        return f"{draw(st.sampled_from(['-', '+', '(']))}{draw(expressions(depth + 1))}" + \
            (")" if draw(st.booleans()) else "")
    return f"v({draw(expressions(depth + 1))})"


ENV = {"k": 3, "v": [1, 2, 3], "s": "same", "big": 10**15, "tiny": 5e-324}


def bounded(value: object) -> bool:
    items = value if isinstance(value, list) else [value]
    return len(items) <= MAX_LIST and all(
        isinstance(x, str) or (isinstance(x, (int, float)) and math.isfinite(x) and abs(x) <= MAX_MAGNITUDE)
        for x in items)


@fuzz(400)
@given(text=expressions(), junk=st.sampled_from(["", "", "", "²", "٣", "_", "1_000", "\x00", "e", "..", "**"]),
       where=st.integers(0, 3))
def test_fuzzed_expressions(text: str, junk: str, where: int) -> None:
    text = text[:where] + junk + text[where:] if junk else text
    try:
        value = evaluate(text, ENV)
    except ExprError as err:
        assert err.message and "\n" not in err.message, err.message
        return
    assert bounded(value), (text, value)


@fuzz(100)
@given(text=expressions(), field=st.sampled_from(["InputSize", "repeat", "param", "set"]))
def test_fuzzed_expressions_in_specs(work: Path, capsys: pytest.CaptureFixture, text: str, field: str) -> None:
    quoted = text.replace("'", "''")
    head = "params: {k: 3, v: [1, 2, 3], p: 1}\nlayers:\n"
    if field == "InputSize":
        spec = head + f"  - {{type: featureInputLayer, Name: in, InputSize: '${{{quoted}}}'}}\n"
    elif field == "repeat":
        spec = head + "  - {type: featureInputLayer, Name: in, InputSize: 2}\n" \
            f"  - {{type: reluLayer, Name: 'r${{i}}', repeat: '${{{quoted}}}'}}\n"
    else:
        spec = head + "  - {type: featureInputLayer, Name: in, InputSize: '${numel(0:p:k)}'}\n"
    Path("e.yaml").write_text(spec, encoding="utf-8")
    argv = ["expand", "e.yaml"] + (["--set", f"p={text}"] if field in ("param", "set") else [])
    check(argv, capsys)


# ----- 2. special files as outputs: refused before any work, still special afterwards ---------------------------
WRITERS = [["expand", "s.yaml", "-o", "{}"], ["analyze", "s.yaml", "--html", "{}"],
           ["compare", "s.yaml", "table.txt", "--html", "{}"], ["plot", "s.yaml", "{}", "--format", "mermaid"],
           ["export", "s.yaml", "--onnx", "{}"], ["generate", "ck.safetensors", "--out", "{}"],
           ["import", "m.onnx", "--out", "{}"], ["import", "m.onnx", "--out", "o.yaml", "--weights", "{}"],
           ["data", "digits", "{}"]]


@pytest.fixture(scope="module")
def specials(work: Path) -> dict[str, Path]:
    """One special file of each kind, some reached through a link or a linked folder."""
    folder = work / "specials"
    folder.mkdir()
    made = {kind: make_special(folder / f"{kind}.png", kind) for kind in ("fifo", "socket")}
    try:  # a device node needs root (CAP_MKNOD); without it the device cases use the FIFO
        made["device"] = make_special(folder / "device.png", "device")
    except pytest.skip.Exception:
        os.symlink(made["fifo"], folder / "device.png")
    os.symlink(folder / "device.png", folder / "link-to-device.yaml")
    os.symlink(folder, work / "linked-folder")
    return made


@fuzz(200)
@given(writer=st.sampled_from(WRITERS), kind=st.sampled_from(["device", "fifo", "socket", "link"]),
       form=st.sampled_from(["relative", "absolute", "through-link", "dotted"]))
def test_fuzzed_special_outputs(work: Path, specials: dict[str, Path], capsys: pytest.CaptureFixture,
                                writer: list[str], kind: str, form: str) -> None:
    name = "link-to-device.yaml" if kind == "link" else f"{kind}.png"
    path = {"relative": f"specials/{name}", "absolute": str(work / "specials" / name),
            "through-link": f"linked-folder/{name}", "dotted": f"./specials/../specials/{name}"}[form]
    _, err = check([a.replace("{}", path) for a in writer], capsys, codes=(2,))
    assert name in err, err
    for k, p in specials.items():
        assert still_special(p, k)
    assert os.path.exists(work / "specials/device.png")
    assert not Path("o.yaml").exists()


# ----- 3. checkpoint class names that become folder names stay inside --out ---------------------------------------
CLASS_NAMES = st.one_of(
    st.sampled_from(["..", ".", "../escaped", "../../x", "/tmp/abs", "a/b", "a\\b", "a\x00b", "\t", "x" * 256,
                     "é" * 128, "ok", "0", "1", " ", "-rf", "~", "$HOME", "con", "a" * 255, "[b]", "..."]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=12))


@fuzz(120)
@given(classes=st.lists(CLASS_NAMES, min_size=1, max_size=3), label=st.none() | st.integers(1, 3))  # tiny_gen: 3
def test_fuzzed_class_names_reaching_paths(work: Path, capsys: pytest.CaptureFixture, classes: list[str],
                                           label: int | None) -> None:
    case = work / "classes"
    shutil.rmtree(case, ignore_errors=True)
    (case / "inside").mkdir(parents=True)
    try:
        make_checkpoint(case / "ck.safetensors", classes)
    except Exception:  # not storable as JSON (a lone surrogate): not a case
        return
    before = sorted(p.name for p in work.iterdir())
    argv = ["generate", case / "ck.safetensors", "--out", case / "inside" / "out", "-n", "1"]
    if label is not None and label <= len(classes):
        argv += ["--label", str(label)]
    code, _ = check(argv, capsys, codes=(0, 2))
    assert sorted(p.name for p in work.iterdir()) == before  # nothing written beside this case's folder
    assert sorted(p.name for p in case.iterdir()) == ["ck.safetensors", "inside"]
    made = [p for p in (case / "inside").rglob("*") if p.is_file()]
    if code == 0:
        assert made and all(p.suffix == ".png" and p.resolve().is_relative_to((case / "inside/out").resolve())
                            for p in made)
    else:
        assert not made, made


# ----- 4. --import: installed names never taken from the current folder; every failure is one line -----------------
SAFE_INSTALLED = ["json", "colorsys", "string", "textwrap", "fractions", "numbers", "yaml"]
BODIES = ["X = 1\n", "raise SystemExit(3)\n", "raise SystemExit\n", "raise GeneratorExit('g')\n",
          "class E(BaseException):\n    pass\nraise E('b')\n", "raise ValueError('v')\n", "import os\nos.chdir('/')\n",
          "import fz_sibling\n", "1/0\n", "def f(:\n", "import sys\nsys.path.insert(0, '.')\n",
          "raise KeyboardInterrupt\n"]


@pytest.fixture(scope="module")
def import_folder(work: Path) -> Path:
    """A folder holding a trap for every installed name (running one leaves a mark), a sibling module and a
    package with a relative import."""
    case = work / "imports"
    (case / "fz_pkg").mkdir(parents=True)
    for trap in SAFE_INSTALLED:
        (case / f"{trap}.py").write_text(f"open('ran-{trap}', 'w').close()\n")
    (case / "fz_sibling.py").write_text("open('ran-sibling', 'w').close()\n")
    (case / "fz_pkg/__init__.py").write_text("")
    (case / "fz_pkg/sub.py").write_text("from . import helper\n")
    (case / "fz_pkg/helper.py").write_text("H = 1\n")
    return case


@fuzz(150)
@given(name=st.sampled_from(SAFE_INSTALLED) | st.from_regex(r"fz_[a-z]{1,6}", fullmatch=True)
       | st.sampled_from(["", ".", "..", ".x", "a..b", "a b", "ä", "x.py", "/etc/passwd", "sub/m.py", "1x", "fz.py.py",
                          "fz_pkg.sub", "fz_pkg..sub", "fz_pkg.missing"]),
       body=st.sampled_from(BODIES), form=st.sampled_from(["name", "file"]))
def test_fuzzed_imports(work: Path, import_folder: Path, capsys: pytest.CaptureFixture, name: str, body: str,
                        form: str) -> None:
    case = import_folder
    os.chdir(case)
    try:
        top = name.split(".")[0]
        if name.startswith("fz_") and top != "fz_pkg" and top.isidentifier():
            Path(f"{top}.py").write_text(body)
        target = f"{top}.py" if form == "file" and name.startswith("fz_") and "." not in name else name
        code = main(["--import", target, "expand", str(work / "s.yaml")])
        err = capsys.readouterr().err
        os.chdir(case)
        assert "Traceback" not in err and code in (0, 2, 130), (code, err)
        lines = [line for line in err.splitlines() if line.strip()]
        if code == 2:
            assert len(lines) == 1 and lines[0].startswith("error: --import"), err
            assert not lines[0].startswith(FALLBACKS), err
        assert not list(case.glob("ran-*")), (name, sorted(p.name for p in case.glob("ran-*")))
        assert not any(p == "" or p == "." or Path(p).resolve() == case.resolve() for p in sys.path if p)
    finally:
        os.chdir(work)
        for mod in [m for m in sys.modules if m.startswith("fz_")]:
            del sys.modules[mod]


# ----- 5. numbers from text: YAML, --set, compare tables, --label, --seed, -n, --zoom -----------------------------
NUMBER_TEXTS = st.one_of(
    st.sampled_from(["7" * 5000, "7" * 4300, "7" * 101, "7" * 100, "²", "٣", "¹²", "1_000", "0x" + "f" * 200,
                     "1e-320", "1e400", "-0", "+5", "2**64", str(2**64), str(2**63), str(2**63 - 1), "nan", "inf",
                     ".inf", "-.inf", "1.5", "3.0", "1e3", "0", "-1", " 4 ", "", "\x00", "1:30", "0o17", "0b101"]),
    st.integers(-2**70, 2**70).map(str), st.text(alphabet="0123456789.eE+-_²٣", max_size=12))


@fuzz(150)
@given(text=NUMBER_TEXTS, where=st.sampled_from(["yaml", "set", "table", "label", "seed", "n", "zoom", "evalseed"]))
def test_fuzzed_numbers_from_text(work: Path, capsys: pytest.CaptureFixture, text: str, where: str) -> None:
    if where == "yaml":
        Path("n.yaml").write_text(f"params: {{k: {text or '0'}}}\nlayers:\n"
                                  "  - {type: featureInputLayer, Name: in, InputSize: '${k}'}\n", encoding="utf-8")
        check(["expand", "n.yaml"], capsys)
    elif where == "set":
        Path("n.yaml").write_text("params: {k: 2}\nlayers:\n  - {type: featureInputLayer, Name: in, "
                                  "InputSize: '${k}'}\n")
        check(["expand", "n.yaml", "--set", f"k={text}"], capsys)
    elif where == "table":
        Path("t.txt").write_text(f"{text}\tin\tFeature Input\t4 features\n", encoding="utf-8")
        check(["compare", "s.yaml", "t.txt"], capsys)
    elif where == "evalseed":
        check(["evaluate", "ck.safetensors", "--data", "no-data", "--seed", text], capsys, codes=(2,))
    else:
        flag = {"label": "--label", "seed": "--seed", "n": "-n", "zoom": "--zoom"}[where]
        check(["generate", "ck.safetensors", "--out", "g.png", flag, text, *(["-n", "1"] if flag != "-n" else [])],
              capsys, codes=(0, 2))


# ----- 6. rich markup and odd characters in paths: printed as text, never a MarkupError -------------------------
PATH_PARTS = st.one_of(st.sampled_from(["a[/b]", "[bold]x[/]", "[link=file:///etc]y[/link]", "[", "]", "[/]",
                                        "\\[x]", "[red", "x]y[", "%s", "{0}", "a b", "-x", "ü[ü]"]),
                       st.text(alphabet="[]/\\ab:=# ", min_size=1, max_size=8)
                       .filter(lambda s: s.strip("/ ") not in ("", ".", "..") and "//" not in s))


@fuzz(150)
@given(parts=st.lists(PATH_PARTS, min_size=1, max_size=3), command=st.sampled_from(["analyze", "expand", "compare",
                                                                                      "plot"]))
def test_fuzzed_markup_in_paths(work: Path, capsys: pytest.CaptureFixture, parts: list[str], command: str) -> None:
    folder = work / "markup" / Path(*[p.strip("/") or "x" for p in parts])
    if not folder.resolve().is_relative_to((work / "markup").resolve()):
        return
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "s.yaml"
    shutil.copy(work / "s.yaml", spec)
    argv = {"analyze": ["analyze", spec], "expand": ["expand", spec, "-o", folder / "e.yaml"],
            "compare": ["compare", spec, work / "table.txt"],
            "plot": ["plot", spec, folder / "p.mmd", "--format", "mermaid"]}[command]
    _, err = check(argv, capsys, codes=(0, 1))
    assert not err, err
    if command == "analyze":  # the table's title is the path, printed as written (wrapped at the console width)
        assert "".join(str(spec).split()) in "".join(check.out.split()), check.out  # type: ignore[attr-defined]


def test_special_files_were_made_only_in_this_modules_folder(work: Path, specials: dict[str, Path]) -> None:
    for kind, path in specials.items():
        assert path.is_relative_to(work) and still_special(path, kind)
        assert stat.S_ISREG(os.stat(work / "s.yaml").st_mode)
