"""fft/ifft and pagemtimes against independent oracles: GNU Octave for fft/ifft of real and complex arrays (run
through `layergraph port`), numpy written from MATLAB's documentation for ifft's "symmetric" option, formats,
dimensions beyond the array and pagemtimes' page expansion and transposes, finite differences for the complex
gradients dlgradient returns."""
from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph import dlarray, fft, ifft, pagemtimes
from layergraph.dlarray import DLArray

OCTAVE = shutil.which("octave") or shutil.which("octave-cli")

SETUP = """M = [4 1 0 2; 1 3 1 0; 0 1 5 1];
C = [1+2i 0.5-1i; -3i 2; 4 1+1i];
v = [1 2 3 4 5];
A = cat(3, [1 2; 3 4], [0 -1; 2 0.5]);
"""
CASES = ["fft(M)", "fft(v)", "fft(v')", "fft(M, 5)", "fft(M, 2)", "fft(M, [], 2)", "fft(M, 6, 2)", "fft(C)",
         "fft(C, 4, 1)", "fft(C, [], 2)", "fft(A, [], 3)", "fft(A, 3, 3)", "fft(7)", "fft([0 0; 1 1])",
         "ifft(M)", "ifft(C)", "ifft(fft(M))", "ifft(C, 2)", "ifft(v, 8)", "ifft(M, [], 2)", "ifft(A, 4, 3)",
         "fft(single(M))", "ifft(fft(C, [], 2), [], 2)"]


def _program() -> str:
    lines = [SETUP]
    for k, e in enumerate(CASES, start=1):
        lines.append(f"r = {e};")
        lines.append(f"fprintf('{k}:'); fprintf('%d ', size(r)); fprintf('|'); fprintf('%.17g ', real(r(:))); "
                     "fprintf('|'); fprintf('%.17g ', imag(r(:))); fprintf('\\n');")
    return "\n".join(lines) + "\n"


def _parse(text: str) -> dict[int, tuple[tuple[int, ...], np.ndarray]]:
    out = {}
    for line in text.splitlines():
        k, _, rest = line.partition(":")
        if not k.isdigit():
            continue
        size, re_, im = rest.split("|")
        vals = np.array([float(v) for v in re_.split()]) + 1j * np.array([float(v) for v in im.split()])
        out[int(k)] = (tuple(int(s) for s in size.split()), vals)
    return out


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is the oracle (apt-get install -y octave)")
def test_fft_ifft_match_octave(tmp_path: Path) -> None:
    """fft/ifft of real and complex matrices, vectors (rows along dimension 2), N-D arrays along dimension 3,
    n padding and truncation, [] for the default length, single data: Octave's sizes and values."""
    pytest.importorskip("tree_sitter_matlab")
    from layergraph.port import translate_with_report

    source = _program()
    (tmp_path / "cases.m").write_text(source)
    res = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--norc", str(tmp_path / "cases.m")], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    want = _parse(res.stdout)
    assert len(want) == len(CASES), res.stderr[-2000:]
    code, report = translate_with_report(source, "cases.m")
    assert not report.untranslated and not report.missing, report.summary()
    buf = io.StringIO()
    with redirect_stdout(buf):
        exec(compile(code, "cases.py", "exec"), {"__name__": "__main__"})
    got = _parse(buf.getvalue())
    for k, expr in enumerate(CASES, start=1):
        (wsize, wvals), (gsize, gvals) = want[k], got[k]
        assert gsize == wsize, (expr, gsize, wsize)
        tol = 1e-5 if "single" in expr else 1e-12
        np.testing.assert_allclose(gvals, wvals, rtol=0, atol=tol * max(1.0, np.abs(wvals).max()), err_msg=expr)


def test_ifft_symmetric_is_the_real_inverse_of_the_first_half() -> None:
    """MATLAB's documented "symmetric": Y is taken as conjugate symmetric, so only its first floor(n/2)+1
    elements count and the result is real; oracle: numpy's ifft of that half mirrored, real part."""
    rng = np.random.default_rng(0)
    for n, given in [(8, 8), (7, 7), (10, 6), (6, 9)]:
        Y = rng.standard_normal((given, 3)) + 1j * rng.standard_normal((given, 3))
        padded = np.zeros((n, 3), complex)
        padded[:min(n, given)] = Y[:min(n, given)]
        full = padded.copy()
        full[n // 2 + 1:] = np.conj(padded[1:(n + 1) // 2][::-1])
        want = np.real(np.fft.ifft(full, axis=0))
        got = ifft(torch.tensor(Y), n, 1, "symmetric")
        assert not got.is_complex() and tuple(got.shape) == (n, 3)
        np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    z = ifft(torch.tensor(Y), [], 2, "nonsymmetric")
    np.testing.assert_allclose(z.numpy(), np.fft.ifft(Y, axis=1), atol=1e-12)


def test_fft_of_dlarrays_keeps_formats() -> None:
    """A formatted dlarray keeps its labels (the transformed dimension, counted in MATLAB's label order,
    changes size); an unformatted one stays unformatted; numpy data give numpy data."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3, 2)).astype(np.float32)  # S×C×B in MATLAB layout
    X = dlarray(torch.tensor(x), "SCB")
    Y = fft(X, 12, 1)
    assert Y.fmt == "SCB" and tuple(lg.size(Y)) == (12, 3, 2) and Y.dtype == torch.complex64
    np.testing.assert_allclose(lg.extractdata(Y).numpy(), np.fft.fft(x, 12, axis=0), rtol=1e-5, atol=1e-5)
    Z = fft(X, [], 2)  # dimension 2 of "SCB" is C
    np.testing.assert_allclose(lg.extractdata(Z).numpy(), np.fft.fft(x, axis=1), rtol=1e-5, atol=1e-5)
    U = ifft(lg.stripdims(X), [], 3)
    assert U.fmt == "" and isinstance(U, DLArray)
    np.testing.assert_allclose(U.numpy(), np.fft.ifft(x, axis=2), rtol=1e-5, atol=1e-6)
    row = x[:1, :, 0]  # 1×3: the first non-singleton dimension is 2
    np.testing.assert_allclose(fft(row), np.fft.fft(row, axis=1), atol=1e-5)
    with pytest.raises(ValueError, match="beyond the 3 dimensions"):
        fft(X, [], 4)
    C = dlarray(torch.tensor(np.fft.fft(x, axis=0)), "SCB")  # complex double data become single, as real ones do
    assert C.dtype == torch.complex64 and C.fmt == "SCB"
    np.testing.assert_allclose(lg.extractdata(C).numpy(), np.fft.fft(x, axis=0), rtol=1e-5, atol=1e-5)


def test_pagemtimes_pages_transposes_and_types() -> None:
    """Z(:,:,i,j) = op(X(:,:,i,j))*op(Y(:,:,i,j)) with size-1 page dimensions expanded (numpy's einsum over
    broadcast copies); 'ctranspose' conjugates; single beats double and complex beats real, as in MATLAB."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2, 3, 4, 1))
    Y = rng.standard_normal((3, 5, 1, 2))
    want = np.einsum("ijab,jkab->ikab", np.broadcast_to(X, (2, 3, 4, 2)), np.broadcast_to(Y, (3, 5, 4, 2)))
    np.testing.assert_allclose(pagemtimes(X, Y), want, atol=1e-12)
    A = rng.standard_normal((3, 2, 4)) + 1j * rng.standard_normal((3, 2, 4))
    B = rng.standard_normal((3, 5)).astype(np.float32)
    Z = pagemtimes(torch.tensor(A), "ctranspose", torch.tensor(B), "none")
    assert Z.dtype == torch.complex64 and tuple(Z.shape) == (2, 5, 4)
    np.testing.assert_allclose(Z.numpy(), np.einsum("jia,jk->ika", A.conj(), B), rtol=1e-5, atol=1e-5)
    T = pagemtimes(torch.tensor(A), "transpose", torch.tensor(A), "none")
    np.testing.assert_allclose(T.numpy(), np.einsum("jia,jka->ika", A, A), atol=1e-12)
    D = pagemtimes(lg.stripdims(dlarray(torch.tensor(X[..., 0]), "SCB")), torch.tensor(Y[:, :, 0, 0]))
    assert isinstance(D, DLArray) and D.fmt == ""
    np.testing.assert_allclose(D.numpy(), np.einsum("ija,jk->ika", X[..., 0], Y[:, :, 0, 0]), rtol=1e-5, atol=1e-5)


def test_dlgradient_of_complex_weights_is_the_descent_direction() -> None:
    """A real loss through fft, pagemtimes of complex weights and ifft(..., "symmetric"), as the Fourier neural
    operator's layer computes it: dlgradient gives dL/d(real W) + 1i*dL/d(imag W) (finite differences), the
    direction sgdmupdate steps against."""
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.standard_normal((8, 2, 3)))
    w0 = torch.tensor(rng.standard_normal((2, 2, 3)) + 1j * rng.standard_normal((2, 2, 3)))
    modes = 3

    def loss_of(w: torch.Tensor) -> torch.Tensor:
        xft = fft(x, [], 1)[:modes].permute(2, 1, 0)  # modes×C×B → B×C×modes pages
        yft = pagemtimes(xft, w).permute(2, 1, 0)
        yft = torch.cat([yft, torch.zeros(8 // 2 + 1 - modes, 2, 3, dtype=yft.dtype)])
        y = ifft(yft, 8, 1, "symmetric")
        return (y ** 2).sum() + y.sum()

    def model(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        loss = loss_of(w)
        return loss, lg.dlgradient(loss, w)

    _, grad = lg.dlfeval(model, dlarray(w0.clone()))
    eps = 1e-6
    numeric = np.zeros(w0.shape, complex)
    for idx in np.ndindex(*w0.shape):
        for part in (1, 1j):
            up, down = w0.clone(), w0.clone()
            up[idx] += part * eps
            down[idx] -= part * eps
            numeric[idx] += part * float(loss_of(up) - loss_of(down)) / (2 * eps)
    np.testing.assert_allclose(lg.extractdata(grad).numpy(), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("call, message", [
    (lambda: fft("abc"), "numeric array"),
    (lambda: fft(torch.ones(3), -1), "nonnegative integer scalar"),
    (lambda: fft(torch.ones(3), 2.5), "nonnegative integer scalar"),
    (lambda: fft(torch.ones(3), [], 0), "positive integer scalar"),
    (lambda: ifft(torch.ones(3), [], 1, "sym"), "unknown option 'sym'"),
    (lambda: pagemtimes(torch.ones(2, 3), torch.ones(2, 3)), "inner dimensions do not agree"),
    (lambda: pagemtimes(torch.ones(2, 2, 3), torch.ones(2, 2, 4)), "dimension 3 has size 3"),
    (lambda: pagemtimes(torch.ones(2, 2), "T", torch.ones(2, 2), "none"), "'none', 'transpose' or 'ctranspose'"),
    (lambda: pagemtimes(dlarray(torch.ones(2, 2), "SC"), torch.ones(2, 2)), "use stripdims first"),
    (lambda: pagemtimes(torch.ones(2, 2), torch.ones(2, 2), "none"), "expected pagemtimes"),
])
def test_bad_input_is_a_clear_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()
