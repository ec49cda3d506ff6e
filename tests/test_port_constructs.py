"""Constructs real programs use, translated and run, against GNU Octave running the same MATLAB: global and
persistent variables, varargout/varargin, struct arrays (`struct('a', {1, 2})`, `s(i).f = v`), arrays created
by `A(:, 1, 1, :) = B`, `2.*x`, inputParser and validateattributes, a bare `load` of variables the program
assigns before it, `save` by name, complex constants, nested functions sharing their parent's variables."""
from __future__ import annotations

import contextlib
import io
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tree_sitter_matlab")
from layergraph.port import port_files

OCTAVE = shutil.which("octave") or shutil.which("octave-cli")

# Octave runs a script's local functions only when they come first, after a `1;`
PROGRAMS = {
    "global_persistent": """1;
function bump()
    global counter
    counter = counter + 1;
end
function id = nextId()
    persistent n
    if isempty(n)
        n = 0;
    end
    n = n + 1;
    id = n * 100;
end
global counter
counter = 10;
bump(); bump();
fprintf('%d\\n', counter);
for k = 1:3
    fprintf('%d ', nextId());
end
fprintf('\\n');
""",
    "varargs": """1;
function varargout = spread(v)
    for k = 1:nargout
        varargout{k} = v * k;
    end
end
function [first, varargout] = several(n)
    first = n;
    for k = 1:n
        varargout{k} = k * 10;
    end
end
function s = total(varargin)
    s = 0;
    for k = 1:nargin
        s = s + varargin{k};
    end
end
[a, b, c] = spread(2);
fprintf('%d %d %d\\n', a, b, c);
x = spread(5);
fprintf('%d\\n', x);
[p, q, r] = several(3);
fprintf('%d %d %d\\n', p, q, r);
fprintf('%d\\n', total(1, 2, 3, 4));
args = {4, 5};
fprintf('%d\\n', total(args{:}));
""",
    "struct_arrays": """s = struct('a', {1, 2, 3}, 'b', 'x');
fprintf('%d\\n', numel(s));
fprintf('%d %s\\n', s(2).a, s(3).b);
s(2).a = 20;
s(5).a = 7;
fprintf('%d %d %d %d\\n', s(2).a, s(1).a, numel(s), isempty(s(4).b));
t = s(2:3);
fprintf('%d %d\\n', t(1).a, numel(t));
u(3).name = 'z';
fprintf('%d %d %s\\n', numel(u), isempty(u(1).name), u(3).name);
""",
    "colon_creation": """a(:, 1, 1, :) = reshape(1:12, 3, 4);
disp(size(a))
b(:, 1, 1, :) = 1:5;
disp(size(b))
c(2, :) = [7 8 9];
disp(size(c)); disp(c(2, 3))
d(:, 2, :) = ones(3, 4);
disp(size(d))
e = a(:);
disp(size(e)); disp(e(7))
""",
    # the grammar reads `2.*x` as the number `2.` times x (a matrix product): MATLAB's `2 .* x`
    "number_dot_operators": """x = [1 2; 3 4];
fprintf('%g ', x/2.*(1+x), 2.^x, 3./x, x.*2.*x, 1.5.*x);
fprintf('\\n');
""",
    "input_parser": """1;
function opts(varargin)
    p = inputParser();
    p.KeepUnmatched = true;
    p.addRequired('n');
    p.addOptional('k', 3);
    p.addParameter('Rate', 0.5, @(x) x > 0);
    p.addParameter('Name', 'net');
    p.parse(varargin{:});
    r = p.Results;
    fprintf('%d %d %g %s %d\\n', r.n, r.k, r.Rate, r.Name, isfield(p.Unmatched, 'Extra'));
end
opts(1);
opts(2, 5, 'rate', 2, 'Extra', 7);
opts(4, 'Name', 'x');
validateattributes(3, {'numeric'}, {'scalar', 'integer', 'positive'});
try
    validateattributes(-1, {'numeric'}, {'positive'});
catch
    fprintf('refused\\n');
end
""",
    "complex_numbers": """z = 3 + 4i;
w = z * (1 - 2i);
fprintf('%g %g %g %g\\n', real(w), imag(w), abs(z), real(exp(1i*pi)));
v = [1 2 3] * 2i;
fprintf('%g ', imag(v), real(v));
fprintf('\\n');
""",
    # Octave has nested functions in function files only: a program of two files
    "nested_functions": {"outer.m": """function r = outer(n)
    total = 0;
    scale = 2;
    for k = 1:n
        add(k);
    end
    r = total + counter();
    function add(v)
        total = total + scale * v;
    end
    function c = counter()
        c = 0;
        for j = 1:3
            c = c + j;
        end
        total = -1;
    end
end
""", "prog.m": "fprintf('%d\\n', outer(3));\n"},
    "load_overwrites": """x = 1;
y = 2;
save('first.mat', 'x');
x = 3;
load('first.mat')
fprintf('%d %d\\n', x, y);
""",
    "switch_cases": """1;
function r = kind(x)
    switch x
        case {'a', 'b'}
            r = 1;
        case 'c'
            r = 2;
        case 3
            r = 3;
        case {4, 5}
            r = 4;
        otherwise
            r = 0;
    end
end
fprintf('%d ', kind('a'), kind('b'), kind('c'), kind('cc'), kind(3), kind(5), kind(6));
fprintf('\\n');
""",
}


def _files(source: str | dict[str, str]) -> dict[str, str]:
    return source if isinstance(source, dict) else {"prog.m": source}


def run_octave(source: str | dict[str, str], folder: Path) -> str:
    for name, text in _files(source).items():
        (folder / name).write_text(text)
    res = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--norc", "prog.m"], cwd=folder, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout


def run_translation(source: str | dict[str, str], folder: Path) -> str:
    for name, text in _files(source).items():
        (folder / name).write_text(text)
    for path, code, report in port_files(sorted(folder.glob("*.m"))):
        assert not report.untranslated, report.summary()
        (folder / f"{path.stem}.py").write_text(code)
    sys.path.insert(0, str(folder))
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(folder / "prog.py"), run_name="__main__")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("outer", None)
    return out.getvalue()


def _numbers(text: str) -> list[float]:
    return [float(v) for v in text.split()]


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is the oracle (apt-get install octave)")
@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_constructs_print_what_octave_prints(program: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = PROGRAMS[program]
    (tmp_path / "octave").mkdir()
    (tmp_path / "python").mkdir()
    want = run_octave(source, tmp_path / "octave")
    monkeypatch.chdir(tmp_path / "python")
    got = run_translation(source, tmp_path / "python")
    if program in ("struct_arrays", "input_parser"):  # text among the numbers
        assert got.split() == want.split()
    else:
        np.testing.assert_allclose(_numbers(got), _numbers(want))
