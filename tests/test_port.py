"""`layergraph port`: the MATLAB GAN and CGAN examples translate completely and train as the hand ports do;
the CLI, the `# PORT:` markers, the summary and multi-file programs."""
from __future__ import annotations

import contextlib
import io
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("tree_sitter_matlab")
import layergraph
from layergraph.port import (
    plots,
    port_files,
    translate,
    translate_with_report,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "port_corpus"

# The sizes examples/train_gan.py --small and train_cgan.py --small use (32×32 images, 16 filters), written
# into the MATLAB source, and the data folder: the only edits to the programs.
GAN_SMALL = [
    ("augmentedImageDatastore([64 64]", "augmentedImageDatastore([32 32]"),
    ("numFilters = 64;", "numFilters = 16;"),
    ("projectionSize = [4 4 512];", "projectionSize = [2 2 512];"),
    ("transposedConv2dLayer(filterSize,4*numFilters,'Name','tconv1')",
     "transposedConv2dLayer(filterSize,4*numFilters,'Stride',2,'Cropping','same','Name','tconv1')"),
    ("inputSize = [64 64 3];", "inputSize = [32 32 3];"),
    ("convolution2dLayer(4,1)", "convolution2dLayer(2,1)"),
    ("miniBatchSize = 128;", "miniBatchSize = 32;"),
    ("numEpochs = 500;", "numEpochs = 1;"),
]
CGAN_SMALL = [
    ("augmentedImageDatastore([64 64]", "augmentedImageDatastore([32 32]"),
    ("numFilters = 64;", "numFilters = 16;"),
    ("projectionSize = [4 4 1024];", "projectionSize = [4 4 8*numFilters];"),
    ("transposedConv2dLayer(filterSize,4*numFilters)",
     'transposedConv2dLayer(filterSize,4*numFilters,Stride=2,Cropping="same")'),
    ('transposedConv2dLayer(filterSize,3,Stride=2,Cropping="same")',
     'transposedConv2dLayer(filterSize,3,Stride=1,Cropping="same")'),
    ("inputSize = [64 64 3];", "inputSize = [32 32 3];"),
    ("convolution2dLayer(4,1)", "convolution2dLayer(2,1)"),
    ("miniBatchSize = 128;", "miniBatchSize = 32;"),
    ("numEpochs = 500;", "numEpochs = 1;"),
]


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny RGB 'digits' (3 classes × 22): two mini-batches of 32 per epoch."""
    folder = tmp_path_factory.mktemp("port") / "digits"
    rng = np.random.default_rng(0)
    for k in range(3):
        (folder / str(k)).mkdir(parents=True)
        for i in range(22):
            img = rng.integers(0, 40, (16, 16)).astype(np.uint8)
            img[:, 3 + 4 * k: 6 + 4 * k] = 220
            Image.fromarray(np.stack([img] * 3, -1)).save(folder / str(k) / f"img_{i:03d}.png")
    return folder


def small(source: str, edits: list[tuple[str, str]], folder: Path) -> str:
    edits = [("imageFolder = fullfile(downloadFolder,'flower_photos');", f"imageFolder = '{folder}';"), *edits]
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


@pytest.mark.parametrize("program", ["train_gan.m", "train_cgan.m"])
def test_seed_programs_translate_completely(program: str) -> None:
    source = (CORPUS / "mathworks_gan" / program).read_text()
    code, report = translate_with_report(source, program)
    assert report.untranslated == [], report.summary()
    assert report.missing == {}, report.summary()
    assert report.statements == report.translated > 100
    compile(code, program, "exec")
    # every statement sits under its MATLAB text
    assert "    # probReal(:, :, :, idx) = 1-probReal(:, :, :, idx)\n    probReal = setat(" in code or \
        "    # probReal(:, :, :, idx) = 1 - probReal(:, :, :, idx)\n    probReal = setat(" in code


def _record(store: list[list[float]]):
    real = layergraph.dlfeval

    def dlfeval(fn, *args, **kwargs):
        out = real(fn, *args, **kwargs)
        store.append([float(layergraph.extractdata(v)) for v in out[3:5]])  # the two scores
        return out
    return dlfeval


@pytest.mark.parametrize(("program", "hand", "edits"), [("train_gan.m", "train_gan", GAN_SMALL),
                                                       ("train_cgan.m", "train_cgan", CGAN_SMALL)])
def test_translation_trains_as_the_hand_port(program: str, hand: str, edits: list[tuple[str, str]], digits: Path,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same seed, same data: the translated MATLAB program computes the hand port's scores at every iteration
    (the scores come from the losses' probabilities, after each Adam step)."""
    monkeypatch.setenv("LAYERGRAPH_PORT_FIGURES", str(tmp_path / "figures"))
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    module = __import__(hand)
    expected: list[list[float]] = []
    monkeypatch.setattr(module, "dlfeval", _record(expected))
    monkeypatch.setattr(sys, "argv", [hand, str(digits), "--small", "--epochs", "1", "--out", str(tmp_path / "h")])
    with contextlib.redirect_stdout(io.StringIO()):
        module.main()

    code = translate(small((CORPUS / "mathworks_gan" / program).read_text(), edits, digits))
    (tmp_path / "port.py").write_text(code)
    got: list[list[float]] = []
    monkeypatch.setattr(layergraph, "dlfeval", _record(got))
    torch.manual_seed(0)  # what the hand port does first
    try:
        runpy.run_path(str(tmp_path / "port.py"), run_name="__main__")
    finally:
        plots.close("all")
    assert len(expected) == 2
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert (tmp_path / "figures" / "figure_1.png").exists()  # training progress as MATLAB draws it
    line = plots.LINES[-2]
    np.testing.assert_allclose(line.y, [s[0] for s in expected], rtol=1e-5)  # addpoints got the scores


def test_untranslated_statements_are_marked_and_listed() -> None:
    source = ("x = 3;\neval('g = 1')\ny = int8(200) + evalin('base', 'x');\nz = undefinedThing(x);\n"
              "for k = 1:3\n  w = x' * k;\nend\n")
    code, report = translate_with_report(source, "t.m")
    compile(code, "t.py", "exec")
    assert [line for line, _, _ in report.untranslated] == [2, 3]
    assert "# PORT: line 2: not translated: eval works on variables by name" in code
    assert "# PORT: line 3: not translated: evalin works on variables by name" in code
    assert report.missing == {"undefinedThing": [4]}
    assert report.statements == 6 and report.translated == 4
    text = report.summary()
    assert "6 statements, 4 translated, 2 untranslated" in text and "undefinedThing (line 4)" in text


def run_translation(code: str, folder: Path, name: str = "prog.py") -> str:
    """Run translated code as a script (in this process: starting Python again costs seconds); its output."""
    (folder / name).write_text(code)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        runpy.run_path(str(folder / name), run_name="__main__")
    return buf.getvalue()


def test_functions_nargin_nargout_and_handles(tmp_path: Path) -> None:
    source = """
a = twice(4);
[p, q] = pair(2);
b = pair(5);
g = @(t) t + a;
h = cellfun(@(s) numel(s), {'ab', 'cde'});
fprintf('%d %d %d %d %d %d %d\\n', a, p, q, b, g(1), h(1), h(2));
fprintf('%d %d\\n', opt(1), opt(1, 5));
[m, n] = counted(3);
fprintf('%d %d\\n', m, n);
function y = twice(x)
y = 2 * x;
end
function [u, v] = pair(x)
u = x + 1;
v = x - 1;
end
function r = opt(x, k)
if nargin < 2
    k = 10;
end
r = x + k;
end
function [a, b] = counted(x)
a = x;
if nargout > 1
    b = nargout;
end
end
"""
    assert run_translation(translate(source), tmp_path).split("\n")[:3] == ["8 3 1 6 9 2 3", "11 6", "3 2"]


def test_control_flow_strings_and_structs(tmp_path: Path) -> None:
    source = """
s.name = "net";
s.sizes(3) = 7;
total = 0;
k = 0;
while true
    k = k + 1;
    if k > 4, break; end
    switch mod(k, 3)
        case 0
            total = total + 100;
        case {1, 2}
            total = total + k;
        otherwise
            total = -1;
    end
end
try
    error('myid:bad', 'bad value %d', 5);
catch ME
    msg = ME.message;
end
c = {};
c{end+1} = 'a';
c{end+1} = 'b';
v = 1:5;
v(2) = [];
disp("total " + total + ", " + s.name + " " + numel(s.sizes) + " " + msg + " " + strjoin(c, '-') + " " + numel(v))
"""
    # k = 1, 2 add k; k = 3 adds 100; k = 4 adds 4
    assert run_translation(translate(source), tmp_path).strip() == "total 107, net 3 bad value 5 a-b 4"


def test_cli_port_files_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from layergraph.cli.main import main
    (tmp_path / "helper.m").write_text("function y = helper(x)\n% doubles x\ny = 2 * x;\nend")
    (tmp_path / "main.m").write_text("z = helper(21);\nfprintf('%d\\n', z);\n")
    assert main(["port", str(tmp_path / "main.m"), str(tmp_path / "helper.m"), "--out-dir", str(tmp_path / "py")]) == 0
    assert "main.m: 2 statements, 2 translated, 0 untranslated" in capsys.readouterr().err
    assert "from helper import *" in (tmp_path / "py" / "main.py").read_text()
    monkeypatch.syspath_prepend(str(tmp_path / "py"))  # as `python py/main.py` puts its folder first
    assert run_translation((tmp_path / "py" / "main.py").read_text(), tmp_path / "py", "main.py").strip() == "42"
    assert main(["port", str(tmp_path / "nope.m")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.m: file not found" in err and "Traceback" not in err
    bad = subprocess.run([sys.executable, "-m", "layergraph", "port", str(tmp_path / "main.m"), "-o", "a.py",
                          "--out-dir", "d"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert bad.returncode == 2 and "not both" in bad.stderr and "Traceback" not in bad.stderr


SCALE_SHIFT_LAYER = """classdef scaleShiftLayer < nnet.layer.Layer
    properties
        Power = 2
    end
    properties (Learnable)
        Scale
        Shift
    end
    methods
        function layer = scaleShiftLayer(args)
            arguments
                args.Name = "";
                args.Power = 2;
            end
            layer.Name = args.Name;
            layer.Power = args.Power;
            layer.Type = "Scale and shift";
        end
        function layer = initialize(layer, layout)
            numChannels = layout.Size(finddim(layout, "C"));
            if isempty(layer.Scale)
                layer.Scale = ones(numChannels, 1, 'single') * 0.5;
            end
            if isempty(layer.Shift)
                layer.Shift = zeros(numChannels, 1, 'single') + 0.25;
            end
        end
        function Z = predict(layer, X)
            Z = layer.Scale .* X.^layer.Power + layer.Shift;
        end
    end
end
"""


def test_classdef_custom_layer_translates_and_trains(tmp_path: Path) -> None:
    """A classdef layer (properties, Learnable, arguments block with a default, initialize, predict) becomes a
    CustomLayer subclass that builds, fills its learnables and computes what its MATLAB code says."""
    (tmp_path / "scaleShiftLayer.m").write_text(SCALE_SHIFT_LAYER)
    (tmp_path / "build.m").write_text("""net = dlnetwork([featureInputLayer(3) scaleShiftLayer(Name="ss", Power=3)]);
X = dlarray(single([1 2; -1 0.5; 2 -2]), "CB");
Y = predict(net, X);
fprintf('%.6f ', extractdata(Y));
""")
    results = {p.name: (code, report) for p, code, report in
               port_files([tmp_path / "scaleShiftLayer.m", tmp_path / "build.m"])}
    for _code, report in results.values():
        assert not report.untranslated and not report.missing, report.summary()
    assert "class scaleShiftLayer(CustomLayer):" in results["scaleShiftLayer.m"][0]
    (tmp_path / "scaleShiftLayer.py").write_text(results["scaleShiftLayer.m"][0])
    sys.path.insert(0, str(tmp_path))
    try:
        printed = run_translation(results["build.m"][0], tmp_path, "build.py")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("scaleShiftLayer", None)
    x = np.array([[1, 2], [-1, 0.5], [2, -2]], dtype=np.float32)
    want = (0.5 * x ** 3 + 0.25).flatten(order="F")  # MATLAB prints column by column
    np.testing.assert_allclose([float(v) for v in printed.split()], want, rtol=1e-5)


def test_load_without_output_reads_the_names_the_program_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scipy_io = pytest.importorskip("scipy.io")
    scipy_io.savemat(tmp_path / "d.mat", {"A": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": 0.5})
    code, report = translate_with_report("load('d.mat')\nfprintf('%g %g\\n', sum(A(:)) + b, A(2, 1));\n"
                                         "save('out.mat', 'A')\n", "l.m")
    assert report.loaded == ["A", "b"] and "names read from the file" in report.summary()
    assert not report.untranslated  # save takes the names of the function's variables, as MATLAB's does
    monkeypatch.chdir(tmp_path)
    assert run_translation(code, tmp_path).strip() == "10.5 3"
    saved = scipy_io.loadmat(tmp_path / "out.mat")
    assert set(saved) - {"__header__", "__version__", "__globals__"} == {"A"}
    np.testing.assert_array_equal(saved["A"], [[1.0, 2.0], [3.0, 4.0]])


# (statements, translated) per program of the corpus, as docs/port.md reports them
CORPUS_RATES = {"ecg_gan": (192, 192), "eeg_vae": (169, 169), "pix2pix": (324, 323), "cyclegan": (282, 282),
                "hamiltonian_nn": (140, 140), "transformer_timeseries": (187, 187),
                "fourier_neural_operator": (161, 161), "convmixer": (41, 41), "nanogpt": (291, 291),
                "scinet": (143, 143), "mass_spring_pinn": (74, 74)}


@pytest.mark.parametrize("program", sorted(CORPUS_RATES))
def test_corpus_translation_rates(program: str) -> None:
    """The original MATLAB of the examples/ports programs: every file's Python compiles, and the statements
    left for a hand edit are the ones docs/port.md lists (classdefs that are not layers, save, ...)."""
    results = port_files(sorted((CORPUS / program).glob("*.m")))
    for path, code, _ in results:
        compile(code, path.name, "exec")
    statements = sum(r.statements for _, _, r in results)
    translated = sum(r.translated for _, _, r in results)
    assert (statements, translated) == CORPUS_RATES[program], "\n".join(r.summary() for _, _, r in results)
    reasons = [why for _, _, r in results for _, why, _ in r.untranslated]
    assert all(w.startswith(("classdef of", "load without an output",
                             "'p2p.", "'nanogpt.", "complex numbers")) for w in reasons), reasons


def test_cyclegan_network_files_build_the_hand_ports_networks(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The CycleGAN repository's generator.m and discriminator.m, translated and called, build the networks of
    examples/ports/cyclegan (same layers, connections and learnable sizes)."""
    out = tmp_path / "py"
    out.mkdir()
    files = [CORPUS / "cyclegan" / "generator.m", CORPUS / "cyclegan" / "discriminator.m"]
    for path, code, report in port_files(files):
        assert not report.untranslated, report.summary()
        (out / f"{path.stem}.py").write_text(code)
    monkeypatch.syspath_prepend(str(out))
    ported_g = runpy.run_path(str(out / "generator.py"))["generator"]
    ported_d = runpy.run_path(str(out / "discriminator.py"))["discriminator"]
    hand = runpy.run_path(str(ROOT / "examples" / "ports" / "cyclegan" / "train_cyclegan.py"))
    from layergraph.port.runtime import horzcat
    size = horzcat(128, 128, 3)  # a MATLAB row, as a translated caller passes it
    pairs = [(ported_g(size, size, 4, 2, 2), hand["generator"]([128, 128, 3], [128, 128, 3], 4, 2, 2)),
             (ported_d(size, 3, 4), hand["discriminator"]([128, 128, 3], 3, 4))]
    for ported, ref in pairs:
        net_p, net_r = layergraph.dlnetwork(ported), layergraph.dlnetwork(ref)
        assert set(net_p.Connections) == set(net_r.Connections)
        shapes = lambda net: {(a, b): tuple(v.shape) for a, b, v in net.Learnables}  # noqa: E731
        assert shapes(net_p) == shapes(net_r)


@pytest.mark.parametrize("source", ["x = [1 2\ny = 3;\n", "a = b(;\n", "function f(\nx = 1;", "@@@\n"])
def test_parse_errors_are_marked_never_translated(source: str) -> None:
    code, report = translate_with_report(source, "bad.m")
    compile(code, "bad.py", "exec")
    assert report.untranslated and all("could not read" in why for _, why, _ in report.untranslated)
