"""Property test: random MATLAB expressions over numeric arrays, translated by `layergraph port` and run,
give GNU Octave's results on the same inputs (Octave is the oracle; one Octave run, one Python run)."""
from __future__ import annotations

import io
import math
import random
import shutil
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import pytest

pytest.importorskip("tree_sitter_matlab")
from layergraph.port import translate_with_report

OCTAVE = shutil.which("octave") or shutil.which("octave-cli")
CASES = 1200

VARS = {"A": (3, 4), "B": (3, 4), "v": (1, 5), "w": (1, 5), "c": (4, 1), "s": (1, 1), "M": (4, 4)}


class Gen:
    """Well-formed expressions with their sizes (so every case is valid MATLAB)."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def number(self) -> tuple[str, tuple[int, int]]:
        return self.r.choice(["2", "3", "0.5", "1.5", "7", "10", "-2", "0.25"]), (1, 1)

    def literal(self) -> tuple[str, tuple[int, int]]:
        nums = ["1", "2", "-3", "4.5", "0", "6", "-1.5", "8"]
        k = self.r.choice([1, 2, 3, 4, 5])
        if self.r.random() < 0.3:
            rows = self.r.choice([2, 3])
            body = "; ".join(" ".join(self.r.choice(nums) for _ in range(k)) for _ in range(rows))
            return f"[{body}]", (rows, k)
        sep = self.r.choice([" ", ", "])
        return "[" + sep.join(self.r.choice(nums) for _ in range(k)) + "]", (1, k)

    def subscript(self, n: int) -> tuple[str, int]:
        """One subscript into an extent n: (text, count)."""
        kind = self.r.choice(["int", "end", "endm", "range", "rangeend", "colon", "list", "step"])
        if kind == "int":
            return str(self.r.randint(1, n)), 1
        if kind == "end":
            return "end", 1
        if kind == "endm" and n >= 2:
            k = self.r.randint(1, n - 1)
            return f"end-{k}", 1
        if kind in ("range", "rangeend"):
            a = self.r.randint(1, n)
            if kind == "rangeend":
                return f"{a}:end", n - a + 1
            b = self.r.randint(a, n)
            return f"{a}:{b}", b - a + 1
        if kind == "list":
            idx = [self.r.randint(1, n) for _ in range(self.r.randint(1, 3))]
            return "[" + " ".join(map(str, idx)) + "]", len(idx)
        if kind == "step" and n >= 3:
            return "1:2:end", (n + 1) // 2
        return ":", n

    def index(self, depth: int) -> tuple[str, tuple[int, int]]:
        name = self.r.choice(list(VARS))
        rows, cols = VARS[name]
        if name == "s":
            return "s(1)", (1, 1)
        if self.r.random() < 0.45:  # linear indexing
            n = rows * cols
            sub, k = self.subscript(n)
            if sub == ":":
                return f"{name}(:)", (n, 1)
            if k == 1:
                return f"{name}({sub})", (1, 1)
            if rows == 1:
                return f"{name}({sub})", (1, k)
            if cols == 1:
                return f"{name}({sub})", (k, 1)
            return f"{name}({sub})", (1, k)  # a row index into a matrix gives a row
        si, ki = self.subscript(rows)
        sj, kj = self.subscript(cols)
        return f"{name}({si}, {sj})", (ki, kj)

    def expr(self, depth: int = 0) -> tuple[str, tuple[int, int]]:
        r = self.r.random()
        if depth >= 3 or r < 0.2:
            pick = self.r.random()
            if pick < 0.35:
                name = self.r.choice(list(VARS))
                return name, VARS[name]
            if pick < 0.55:
                return self.number()
            if pick < 0.8:
                return self.index(depth)
            return self.literal()
        choice = self.r.choice(["binop", "binop", "scalarop", "unary", "reduce", "cat", "index", "range",
                                "transpose", "func", "compare"])
        if choice == "binop":
            a, sa = self.expr(depth + 1)
            b, sb = self.same(sa, depth + 1)
            op = self.r.choice(["+", "-", ".*", "./"])
            return f"({a} {op} {b})", sa if sa != (1, 1) else sb
        if choice == "scalarop":
            a, sa = self.expr(depth + 1)
            k, _ = self.number()
            op = self.r.choice(["*", "/", "+", "-", ".^"])
            if op == ".^":
                return f"({a}) .^ 2", sa
            if op == "/" or self.r.random() < 0.5:
                return f"({a} {op} {k})", sa
            return f"({k} {op} {a})", sa
        if choice == "unary":
            a, sa = self.expr(depth + 1)
            return f"-{a}" if not a.startswith("-") else f"-({a})", sa
        if choice == "transpose":
            a, sa = self.expr(depth + 1)
            return f"({a})'", (sa[1], sa[0])
        if choice == "reduce":
            a, sa = self.expr(depth + 1)
            fn = self.r.choice(["sum", "mean", "max", "min", "prod", "cumsum"])
            form = self.r.choice(["plain", "dim1", "dim2"])
            if fn in ("max", "min") and form != "plain":
                d = 1 if form == "dim1" else 2
                return f"{fn}({a}, [], {d})", (1, sa[1]) if d == 1 else (sa[0], 1)
            if form == "plain":
                if fn == "cumsum":
                    return f"cumsum({a})", sa
                if sa[0] == 1:
                    return f"{fn}({a})", (1, 1)
                return f"{fn}({a})", (1, sa[1])
            d = 1 if form == "dim1" else 2
            if fn == "cumsum":
                return f"cumsum({a}, {d})", sa
            return f"{fn}({a}, {d})", (1, sa[1]) if d == 1 else (sa[0], 1)
        if choice == "cat":
            a, sa = self.expr(depth + 1)
            if self.r.random() < 0.5:
                b, sb = self.with_rows(sa[0], depth + 1)
                return f"[{a} {b}]", (sa[0], sa[1] + sb[1])
            b, sb = self.with_cols(sa[1], depth + 1)
            return f"[{a}; {b}]", (sa[0] + sb[0], sa[1])
        if choice == "index":
            return self.index(depth)
        if choice == "range":
            a = self.r.randint(-3, 4)
            b = self.r.randint(a, a + 6)
            if self.r.random() < 0.4:
                step = self.r.choice([2, 3])
                return f"({a}:{step}:{b})", (1, (b - a) // step + 1)
            return f"({a}:{b})", (1, b - a + 1)
        if choice == "compare":
            a, sa = self.expr(depth + 1)
            b, sb = self.same(sa, depth + 1)
            op = self.r.choice([">", "<", "==", ">=", "~="])
            return f"double({a} {op} {b})", sa if sa != (1, 1) else sb
        a, sa = self.expr(depth + 1)
        fn = self.r.choice(["abs", "floor", "ceil", "round", "fix", "mod3", "rem3", "numel", "size1", "size2",
                            "length", "repmat", "any", "all"])
        if fn == "mod3":
            return f"mod({a}, 3)", sa
        if fn == "rem3":
            return f"rem({a}, 3)", sa
        if fn == "numel":
            return f"numel({a})", (1, 1)
        if fn in ("size1", "size2"):
            return f"size({a}, {fn[-1]})", (1, 1)
        if fn == "length":
            return f"length({a})", (1, 1)
        if fn == "repmat":
            m, n = self.r.randint(1, 2), self.r.randint(1, 3)
            return f"repmat({a}, {m}, {n})", (sa[0] * m, sa[1] * n)
        if fn in ("any", "all"):
            return f"double({fn}({a}))", (1, 1) if sa[0] == 1 else (1, sa[1])
        return f"{fn}({a} / 2)" if fn in ("floor", "ceil", "round", "fix") else f"{fn}({a})", sa

    def same(self, shape: tuple[int, int], depth: int) -> tuple[str, tuple[int, int]]:
        """An expression of the given size (or a scalar, which MATLAB expands)."""
        if shape == (1, 1) or self.r.random() < 0.25:
            return self.number() if self.r.random() < 0.5 else ("s", (1, 1))
        for name, sz in VARS.items():
            if sz == shape and self.r.random() < 0.5:
                return name, sz
        for _ in range(30):
            e, s = self.expr(depth + 1)
            if s == shape:
                return e, s
        return self.fill(shape)

    def fill(self, shape: tuple[int, int]) -> tuple[str, tuple[int, int]]:
        rows = "; ".join(" ".join(str(self.r.randint(-4, 9)) for _ in range(shape[1])) for _ in range(shape[0]))
        return f"[{rows}]", shape

    def with_rows(self, rows: int, depth: int) -> tuple[str, tuple[int, int]]:
        for _ in range(30):
            e, s = self.expr(depth + 1)
            if s[0] == rows:
                return e, s
        return self.fill((rows, self.r.randint(1, 3)))

    def with_cols(self, cols: int, depth: int) -> tuple[str, tuple[int, int]]:
        for _ in range(30):
            e, s = self.expr(depth + 1)
            if s[1] == cols:
                return e, s
        return self.fill((self.r.randint(1, 3), cols))


# written by hand: precedence the grammar groups differently, negative steps, matrix algebra, rounding
FIXED = ["-2^2", "2^3^2", "-v.^2", "[1 -2]", "[s -1]", "[s - 1]", "v(end:-1:1)", "A(:, end)'", "A(end)",
         "A([1 3], [2 4])", "M(2:3, [1 end])", "sum(A(:))", "mean(A, 2)'", "round(-2.5)", "round([2.5 -0.5 1.5])",
         "mod(-7, 3)", "rem(-7, 3)", "mod([5 -5], -3)", "size(1:0, 2)", "numel(A(:, 2:end))", "c' * c", "A * c",
         "M ^ 2", "v / 2", "2 ./ v", "A'", "M \\ c", "A(2, :) * 2 - 1", "-A(1, :)'",
         "max(A, [], 2)'", "min(min(A))", "cumsum(1:5)", "prod([1 2 3 4])", "floor(-v / 2)", "abs(-c)'",
         "v(v > 0)", "A(A > 4)'", "c(logical([1 0 1 0]))'", "repmat([1 2], 2, 2)", "[A(1, :), v(1:2)]",
         "linspace(0, 1, 5)", "numel(linspace(1, 2))", "fix(-2.7)", "~isempty(v)", "double(~v)",
         "double(2 == 2 | 0)", "double(1 | 0 & 0)", "double(v > 0 | v < -2)", "double(s == 2.5 & v > 1)",
         "double(sum(v == 1 | v == 3) == 2)", "double(1 == 1 == 1)", "double(3 > 2 > 1)"]

SETUP = """A = [1 -2 3 4; 5 6 -7 8; 9 10 11 -12];
B = [0.5 2 -1 3; 4 -0.25 6 1; 2 2 -3 5];
v = [3 -1 4 1 -5];
w = [2 7 1 8 2];
c = [1; -2; 3; 0.5];
s = 2.5;
M = [4 1 0 2; 1 3 1 0; 0 1 5 1; 2 0 1 6];
"""


def program(cases: list[str]) -> str:
    lines = [SETUP]
    for k, e in enumerate(cases, start=1):
        lines.append("try")
        lines.append(f"    r = {e};")
        lines.append(f"    fprintf('%d:', {k}); fprintf('%d ', size(r)); fprintf('|'); "
                     "fprintf('%.17g ', double(r(:))); fprintf('\\n');")
        lines.append("catch")
        lines.append(f"    fprintf('%d:ERR\\n', {k});")
        lines.append("end")
    return "\n".join(lines) + "\n"


def parse_results(text: str) -> dict[int, tuple[tuple[int, ...], list[float]] | None]:
    out: dict[int, tuple[tuple[int, ...], list[float]] | None] = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        k, rest = line.split(":", 1)
        if not k.isdigit():
            continue
        if rest.strip() == "ERR":
            out[int(k)] = None
            continue
        size_part, _, vals = rest.partition("|")
        size = tuple(int(v) for v in size_part.split())
        out[int(k)] = (size, [float(v.replace("Inf", "inf").replace("NaN", "nan")) for v in vals.split()])
    return out


def same_values(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y or abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
        for x, y in zip(a, b))


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is the oracle (apt-get install -y octave)")
def test_random_expressions_match_octave(tmp_path: Path) -> None:
    gen = Gen(20261206)
    cases = FIXED + [gen.expr()[0] for _ in range(CASES)]
    source = program(cases)
    (tmp_path / "cases.m").write_text(source)
    res = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--norc", str(tmp_path / "cases.m")], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    oracle = parse_results(res.stdout)
    assert len(oracle) == len(cases), res.stderr[-2000:]

    code, report = translate_with_report(source, "cases.m")
    assert not report.untranslated, report.summary()
    buf = io.StringIO()
    namespace: dict[str, object] = {"__name__": "__main__"}
    with redirect_stdout(buf):
        exec(compile(code, "cases.py", "exec"), namespace)
    ours = parse_results(buf.getvalue())

    compared, failures = 0, []
    for k, expr in enumerate(cases, start=1):
        want = oracle[k]
        if want is None:  # Octave rejected it (not a well-formed case): nothing to compare
            continue
        compared += 1
        got = ours.get(k)
        if got is None or got[0] != want[0] or not same_values(got[1], want[1]):
            failures.append(f"{expr}: octave {want}, port {got}")
    assert compared >= 1000, f"only {compared} cases were valid MATLAB"
    assert not failures, f"{len(failures)} of {compared} differ, e.g.\n" + "\n".join(failures[:10])


TEXT_CASES = ["num2str(pi)", "num2str(-pi)", "num2str(123.456)", "num2str(0.001234)", "num2str(1e6)",
              "num2str(12345.678)", "num2str(7)", "num2str(-3)", "num2str([1 2 3])",
              "num2str(pi, 8)", "sprintf('%5.2f|', [1.234 5])", "sprintf('%d-%d;', [1 2; 3 4])",
              "sprintf('%s=%d', 'ab', 3)", "sprintf('%x', 255)", "sprintf('%e', 12345.678)", "sprintf('%g', 0.0001)",
              "sprintf('%+d', 5)", "sprintf('100%%')", "sprintf('a\\tb')", "int2str(2.5)", "int2str(-2.5)",
              "fullfile('a', 'b', 'c.m')", "fullfile('a/', 'b')", "strrep('hello', 'l', 'L')", "upper('abc')",
              "strtrim('  x  ')", "strjoin({'a', 'b', 'c'}, ', ')", "num2str(2.5e-7)", "sprintf('%d', int32(7))",
              "sprintf('%s', 'xyz')", "sprintf('%c%c', 72, 105)", "lower('MiX')", "strcat('a ', 'b')"]
NUMBER_CASES = ["floor(-2.5)", "ceil(-2.5)", "fix(2.7)", "round(0.5)", "mod(5.5, 2)", "rem(-5.5, 2)",
                "linspace(1, 2, 4)", "repmat([1 2; 3 4], 1, 2)", "numel(randperm(7))", "sort(randperm(7))",
                "sum(randperm(10, 4) <= 10)", "length(zeros(3, 5))", "find([0 1 0 1])", "cumprod([1 2 3])",
                "double(any([0 0 1]))", "double(isempty([]))", "double(isempty(zeros(0, 3)))", "numel(cell(2, 3))",
                "double(ismember(3, [1 2 3]))", "double(strcmp('a', 'a'))", "unique([3 1 2 3 1])",
                "sort([3 1 2], 'descend')", "sign(-2)", "log2(8)", "log10(1000)", "nnz([1 0 2])", "eye(2)",
                "double(isequal([1 2], [1 2]))", "size(zeros(2, 3, 4))", "size(ones(3))", "numel(1:0.5:3)",
                "max([3 7 2], [], 2)", "min([4 2; 1 5])", "mean([1 2; 3 4])", "str2double('2.5')",
                "double('AB')", "floor(7 / 2)", "mod(-1, 5)", "prod([2 3 4])", "fliplr([1 2 3; 4 5 6])",
                "flipud([1 2; 3 4])", "double(ismatrix(zeros(2, 3)))", "fliplr(1:4)", "sin([0 1 2])", "cos(0.5)",
                "atan2(1, -1)", "std([2 4 4 4 5 5 7 9])", "std([1 2; 3 5])", "var([1 2 3 4], 1)", "diag([1 2 3])",
                "diag([1 2; 3 4])", "triu(magic4)", "tril(magic4, -1)", "erf([0 0.5 -1])", "std([1 2 3 4], 0, 2)"]


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is the oracle (apt-get install -y octave)")
def test_runtime_functions_match_octave(tmp_path: Path) -> None:
    """The MATLAB-named helpers (num2str, sprintf, fullfile, mod, linspace, repmat, randperm, ...) give
    Octave's text and numbers."""
    lines = []
    for k, e in enumerate(TEXT_CASES, start=1):
        lines.append(f"t = {e};")
        lines.append(f"fprintf('%d:[%s]\\n', {k}, t);")
    text_source = "\n".join(lines) + "\n"
    num_source = "magic4 = [16 2 3 13; 5 11 10 8; 9 7 6 12; 4 14 15 1];\n" + program(NUMBER_CASES)
    outputs = {}
    for label, source in (("text", text_source), ("num", num_source)):
        (tmp_path / f"{label}.m").write_text(source)
        res = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--norc", str(tmp_path / f"{label}.m")],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
        code, report = translate_with_report(source, f"{label}.m")
        assert not report.untranslated and not report.missing, report.summary()
        buf = io.StringIO()
        with redirect_stdout(buf):
            exec(compile(code, f"{label}.py", "exec"), {"__name__": "__main__"})
        outputs[label] = (res.stdout, buf.getvalue())
    want, got = outputs["text"]
    want_lines, got_lines = want.splitlines(), got.splitlines()
    assert len(want_lines) == len(TEXT_CASES)
    diffs = [f"{e}: octave {w!r}, port {g!r}" for e, w, g in zip(TEXT_CASES, want_lines, got_lines) if w != g]
    assert not diffs, "\n".join(diffs)
    oracle, ours = parse_results(outputs["num"][0]), parse_results(outputs["num"][1])
    assert len(oracle) == len(NUMBER_CASES) and all(v is not None for v in oracle.values())
    diffs = [f"{e}: octave {oracle[k]}, port {ours.get(k)}" for k, e in enumerate(NUMBER_CASES, start=1)
             if ours.get(k) is None or ours[k][0] != oracle[k][0] or not same_values(ours[k][1], oracle[k][1])]
    assert not diffs, "\n".join(diffs)


def test_sprintf_documented_matlab_behaviour() -> None:
    """Where Octave differs from MATLAB's documentation, MATLAB's documented behaviour: %d with a non-integer
    value is written with %e; string(x) of a number is num2str's text; round takes halves away from zero."""
    from layergraph.port import runtime as rt
    assert rt.sprintf("%d", 1.5) == "1.500000e+00"
    assert rt.string(3.14159265) == "3.1416" and rt.string(42) == "42" and rt.string(True) == "true"
    assert rt.round(2.5) == 3 and rt.round(-2.5) == -3 and rt.round(0.125, 2) == 0.13
    assert str(rt.duration(0, 0, 3725.2, Format="hh:mm:ss")) == "01:02:05"
