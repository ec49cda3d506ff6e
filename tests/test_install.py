"""Installed as users install it: a wheel built from the repository, installed into a fresh virtual environment
outside it, gives the CLI, `--version` and the shipped templates by name."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import layergraph
from layergraph.spec.builtin import builtin_specs

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """(venv, a working folder outside the repository, the wheel's file names)."""
    tmp = tmp_path_factory.mktemp("install")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
               str(tmp / "dist"), str(ROOT)], tmp, env)
    assert res.returncode == 0, res.stderr
    wheel = next((tmp / "dist").glob("layergraph-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    venv = tmp / "venv"
    assert run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp, env).returncode == 0
    vpy = venv / "bin" / "python"
    site = run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp, env).stdout.strip()
    # the dependencies (torch, numpy, …) come from this interpreter's site-packages, not from the network; a
    # path line in a .pth file adds the folder without running the editable install's hooks that live there
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    res = run([sys.executable, "-m", "pip", "--python", str(vpy), "install", "--no-deps", "--no-index", "-q",
               str(wheel)], tmp, env)
    assert res.returncode == 0, res.stderr
    work = tmp / "elsewhere"
    work.mkdir()
    return venv, work, names


def test_the_wheel_holds_the_package_its_templates_and_licence(installed) -> None:
    _, _, names = installed
    listing = "\n".join(names)
    for spec in builtin_specs():
        rel = spec.path.relative_to(spec.path.parents[1 if spec.kind == "template" else 0]).as_posix()
        assert f"layergraph/builtin_specs/{rel}" in names, f"{rel} missing from the wheel:\n{listing}"
    for needed in ("layergraph/cli/main.py", "layergraph/analyze/page.js", "layergraph/py.typed"):
        assert needed in names, f"{needed} missing from the wheel:\n{listing}"
    assert any(n.endswith("licenses/LICENSE") for n in names), listing


def test_installed_cli_gives_version_and_templates_by_name(installed) -> None:
    venv, work, _ = installed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    exe = str(venv / "bin" / "layergraph")
    where = run([str(venv / "bin" / "python"), "-c", "import layergraph; print(layergraph.__file__)"], work, env)
    assert where.stdout.strip().startswith(str(venv)), where.stdout + where.stderr  # the installed copy ran
    res = run([exe, "--version"], work, env)
    assert res.returncode == 0 and res.stdout.strip() == f"layergraph {layergraph.__version__}", res.stderr
    res = run([exe, "analyze", "template:pix2pix_unet_generator", "--set", "depth=6"], work, env)
    assert res.returncode == 0 and "No issues found." in res.stdout, res.stdout + res.stderr
    res = run([exe, "expand", "template:cgan_generator", "--set", "numClasses=3"], work, env)
    assert res.returncode == 0 and "{type: embeddingLayer, Name: layer, OutputSize: 50, InputSize: 3}" in res.stdout, \
        res.stdout + res.stderr  # numClasses=3 reached the embedding's InputSize
    res = run([exe, "templates"], work, env)
    assert res.returncode == 0 and "template:pix2pix_unet_generator" in res.stdout and "depth=8" in res.stdout
    res = run([exe, "analyze", "template:no_such_thing"], work, env)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "no shipped spec" in res.stderr


def test_template_names_read_the_same_files_as_their_paths(capsys) -> None:
    from layergraph import load_spec
    from layergraph.cli.main import main
    from layergraph.spec.io import spec_data

    for spec in builtin_specs():
        assert spec_data(load_spec(f"template:{spec.name}")) == spec_data(load_spec(spec.path)), spec.name
    assert (ROOT / "specs/templates/cgan_generator.yaml").samefile(
        next(s.path for s in builtin_specs() if s.name == "cgan_generator"))  # the repository's specs/ is the source
    assert main(["templates", "cgan_generator"]) == 0
    assert capsys.readouterr().out == (ROOT / "specs/templates/cgan_generator.yaml").read_text()
    assert main(["templates", "nope"]) == 2
    assert "template:nope: no shipped spec" in capsys.readouterr().err


def test_a_training_config_names_shipped_networks(tmp_path: Path) -> None:
    from layergraph.gan.config import load_config

    cfg = tmp_path / "train.yaml"
    cfg.write_text("generator: template:cgan_digits_generator\ndiscriminator: template:cgan_digits_discriminator\n"
                   f"data: {tmp_path}\nimageSize: [16, 16]\n")
    loaded = load_config(cfg)
    assert loaded.generator.samefile(ROOT / "specs/cgan_digits_generator.yaml")
    assert loaded.discriminator.samefile(ROOT / "specs/cgan_digits_discriminator.yaml")
